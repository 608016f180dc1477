//! Report structs of a rollout: the analysis unit, allocation stages and the combination
//! of per-stage estimates.

use super::experiment::TestResult;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one observation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A user: request metrics are per-user ratios.
    User,
    /// A request: every row is an observation.
    Request,
}

impl UnitKind {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::User => "user",
            UnitKind::Request => "request",
        }
    }
}

/// Where the unit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitSource {
    /// The plan's `unit`.
    Plan,
    /// `--unit`.
    Flag,
    /// A user column was found (or none: requests).
    Detected,
}

impl UnitSource {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitSource::Plan => "plan",
            UnitSource::Flag => "flag",
            UnitSource::Detected => "detected",
        }
    }
}

/// The analysis unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitInfo {
    /// `user` or `request`.
    pub kind: UnitKind,
    /// The user column (source name) when the unit is the user.
    pub column: Option<String>,
    /// `plan`, `flag` or `detected`.
    pub source: UnitSource,
}

/// Sample-ratio mismatch of one stage's units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageSrm {
    /// Chi-square statistic.
    pub chi2: f64,
    /// Degrees of freedom.
    pub df: u64,
    /// p-value.
    pub p_value: f64,
    /// p below the SRM threshold.
    pub mismatch: bool,
}

/// One allocation stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageResult {
    /// From 0.
    pub index: usize,
    /// Start (inclusive), ISO 8601 UTC.
    pub start: String,
    /// End (exclusive), ISO 8601 UTC: the next stage's start.
    pub end: String,
    /// Start in µs since the epoch.
    pub start_us: i64,
    /// End in µs since the epoch.
    pub end_us: i64,
    /// Rows in the stage.
    pub requests: u64,
    /// Units per group.
    pub units: BTreeMap<String, u64>,
    /// Share of units per group.
    pub observed_share: BTreeMap<String, f64>,
    /// Declared share per group (null when no split is declared for the stage).
    pub expected_share: Option<BTreeMap<String, f64>>,
    /// Unit-level SRM against the declared split.
    pub srm: Option<StageSrm>,
    /// Why `srm` is null.
    pub srm_reason: Option<String>,
    /// The stage's own tests.
    pub tests: Vec<TestResult>,
    /// The stage's latency percentile tests.
    #[serde(default)]
    pub quantile_tests: Vec<super::inference::QuantileTest>,
}

/// Cochran's Q of the per-stage estimates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Heterogeneity {
    /// Q = Σwᵢ(dᵢ − d̂)².
    pub q: f64,
    /// Stages − 1.
    pub df: f64,
    /// Chi-square p-value of Q.
    pub p_value: f64,
    /// I² = max(0, (Q − df)/Q).
    pub i2: f64,
}

/// A stage not in a combined estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageLeftOut {
    /// Stage index.
    pub stage: usize,
    /// Why.
    pub reason: String,
}

/// A service event found in the log (model loaded, config changed, health check).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventInfo {
    /// ISO 8601 UTC time (null when the row has none).
    pub time: Option<String>,
    /// Time in µs since the epoch.
    pub time_us: Option<i64>,
    /// The event's name.
    pub name: String,
    /// The file it is in.
    pub file: String,
    /// Its line.
    pub line: u64,
}

/// Most events listed in a report (all are counted).
pub const MAX_EVENTS: usize = 500;
