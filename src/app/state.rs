//! Settings that persist between sessions (eframe storage). Runtime data lives in
//! `VerdictApp`, never here.

use super::command::{Bucket, DriftSort, View};
use serde::{Deserialize, Serialize};

/// Inputs of the sample-size calculator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calculator {
    /// Baseline (control) rate.
    pub baseline: f64,
    /// Minimum detectable effect, absolute.
    pub mde: f64,
    /// Significance level.
    pub alpha: f64,
    /// Power.
    pub power: f64,
}

impl Default for Calculator {
    fn default() -> Self {
        Self {
            baseline: 0.10,
            mde: 0.01,
            alpha: 0.05,
            power: 0.8,
        }
    }
}

/// Persisted settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// Current view.
    pub view: View,
    /// Timeline bucket.
    pub bucket: Bucket,
    /// Cumulative timeline.
    pub cumulative: bool,
    /// Dark theme.
    pub dark: bool,
    /// Recently opened files, newest first.
    pub recent: Vec<String>,
    /// Segment column picked in the Segments view.
    pub segment_column: Option<String>,
    /// Metric picked in the Segments view.
    pub segment_metric: Option<String>,
    /// Sample-size calculator inputs.
    pub calculator: Calculator,
    /// Drift feature table order.
    pub drift_sort: DriftSort,
    /// The last ClickHouse server, database and user of the Open dialog (never a password).
    pub clickhouse: Option<(String, String, String)>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            view: View::Overview,
            bucket: Bucket::Auto,
            cumulative: false,
            dark: true,
            recent: vec![],
            segment_column: None,
            segment_metric: None,
            calculator: Calculator::default(),
            drift_sort: Default::default(),
            clickhouse: None,
        }
    }
}

impl State {
    /// Most recent files kept.
    pub const MAX_RECENT: usize = 10;

    /// Records opened files at the front of the recent list.
    pub fn remember(&mut self, files: &[String]) {
        for f in files.iter().rev() {
            self.recent.retain(|r| r != f);
            self.recent.insert(0, f.clone());
        }
        self.recent.truncate(Self::MAX_RECENT);
    }
}
