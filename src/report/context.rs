//! What a report was made from, in words: the time window of the analysed rows and the one
//! context line (files, window, groups with model@version, rows, ramp stage) that the
//! window, Markdown and HTML print.

use super::ExperimentReport;
use serde::{Deserialize, Serialize};

/// The time the analysed rows span: first and last timestamp and the duration between.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeWindow {
    /// First timestamp, UTC, to the second (milliseconds when the window is under a minute).
    pub start: String,
    /// Last timestamp, as `start`.
    pub end: String,
    /// First timestamp, µs since the epoch.
    pub start_us: i64,
    /// Last timestamp, µs since the epoch.
    pub end_us: i64,
    /// `end − start` in seconds.
    pub duration_seconds: f64,
}

impl TimeWindow {
    /// The window from the first and last timestamp (µs); the strings to the second unless
    /// the whole window is under a minute.
    pub fn from_us(start_us: i64, end_us: i64) -> Self {
        let duration_seconds = end_us.saturating_sub(start_us) as f64 / 1e6;
        let sub = duration_seconds < 60.0;
        Self {
            start: super::format::timestamp(start_us, sub),
            end: super::format::timestamp(end_us, sub),
            start_us,
            end_us,
            duration_seconds,
        }
    }

    /// `2025-12-13 13:00:00 – 15:00:00 UTC (2 h)`: the end without its date when on the
    /// start's day.
    pub fn label(&self) -> String {
        let end = match (self.start.split_once(' '), self.end.split_once(' ')) {
            (Some((d0, _)), Some((d1, t1))) if d0 == d1 => t1.to_string(),
            _ => self.end.clone(),
        };
        format!(
            "{} – {end} UTC ({})",
            self.start,
            super::format::duration(self.duration_seconds)
        )
    }
}

impl ExperimentReport {
    /// One line of what was analysed: files, time window and duration, groups with their
    /// models (name@version), rows, and the current stage of a ramp.
    pub fn context_line(&self) -> String {
        let r = self;
        use super::format;
        let mut parts = Vec::new();
        let names: Vec<&str> = r
            .input
            .files
            .iter()
            .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f))
            .collect();
        parts.push(match names.len() {
            0 => "no files".to_string(),
            1..=3 => names.join(", "),
            n => format!("{}, {} and {} more", names[0], names[1], n - 2),
        });
        parts.push(match &r.window {
            Some(w) => w.label(),
            None => "no timestamps".into(),
        });
        let groups: Vec<String> = r
            .groups
            .iter()
            .map(|g| {
                let models = if g.models.is_empty() {
                    "model not logged".to_string()
                } else {
                    g.models.join("+")
                };
                if g.versions.is_empty() {
                    format!("{}: {models}", g.name)
                } else {
                    format!("{}: {models}@{}", g.name, g.versions.join("+"))
                }
            })
            .collect();
        parts.push(groups.join(" vs "));
        parts.push(format!("{} rows", format::count(r.input.rows_valid)));
        if r.stages.len() > 1 {
            if let Some(s) = r.stages.last() {
                let split = s
                    .expected_share
                    .as_ref()
                    .unwrap_or(&s.observed_share)
                    .iter()
                    .filter(|(g, _)| **g != r.control)
                    .map(|(g, x)| format!("{g} {}", format::share(*x)))
                    .collect::<Vec<_>>()
                    .join(", ");
                parts.push(format!(
                    "stage {} of {} since {} ({split})",
                    s.index + 1,
                    r.stages.len(),
                    format::timestamp(s.start_us, false)
                ));
            }
        }
        parts.join(" · ")
    }
}
