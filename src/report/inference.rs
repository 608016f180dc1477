//! Report structs of the inference layer: the fixed-horizon numbers kept beside the
//! always-valid ones, CUPED, latency percentile tests, non-inferiority guardrails and the
//! primary metric's lift over time.

use crate::plan::Direction;
use serde::{Deserialize, Serialize};

/// The fixed-horizon result of a test (what a single look at the planned sample size gives).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct FixedResult {
    /// Two-sided p-value.
    pub p_value: Option<f64>,
    /// Interval for the difference at 1 − alpha.
    pub ci_low: Option<f64>,
    /// Interval for the difference at 1 − alpha.
    pub ci_high: Option<f64>,
    /// p below alpha.
    pub significant: bool,
}

/// What an estimate's interval was built from (kept for guardrails and power; not part of
/// the JSON contract).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Precision {
    /// Variance of the difference.
    pub variance: f64,
    /// Variance of the relative lift, when known.
    pub relative_variance: Option<f64>,
    /// Units in both groups (N of the sequential test).
    pub n: f64,
    /// Degrees of freedom (None: normal).
    pub df: Option<f64>,
}

/// The same test without CUPED's adjustment (per-user totals).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Unadjusted {
    /// Control mean per user.
    pub control_value: f64,
    /// Treatment mean per user.
    pub treatment_value: f64,
    /// Treatment − control.
    pub diff: f64,
    /// Interval (following the report's inference).
    pub ci_low: Option<f64>,
    /// Interval (following the report's inference).
    pub ci_high: Option<f64>,
    /// p-value (following the report's inference).
    pub p_value: Option<f64>,
    /// Relative lift.
    pub relative_lift: Option<f64>,
}

/// CUPED's regression adjustment of one test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CupedInfo {
    /// θ = cov(post, pre) / var(pre), pooled over both groups (gbstats `compute_theta`).
    pub theta: f64,
    /// 1 − var(adjusted difference) / var(unadjusted difference).
    pub variance_reduction: f64,
    /// Users (both groups) with a covariate (at least one pre-period row).
    pub users_with_covariate: u64,
    /// The unadjusted per-user-total test.
    pub unadjusted: Unadjusted,
}

/// A test of a latency percentile, users as clusters (gbstats `QuantileClusteredStatistic`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantileTest {
    /// The latency column.
    pub metric: String,
    /// 0.5, 0.95 or 0.99.
    pub quantile: f64,
    /// Control group.
    pub control: String,
    /// Treatment group.
    pub treatment: String,
    /// Control percentile (ms).
    pub control_value: f64,
    /// Treatment percentile (ms).
    pub treatment_value: f64,
    /// Treatment − control (ms).
    pub diff: f64,
    /// Interval of the difference (following `inference`).
    pub ci_low: Option<f64>,
    /// Interval of the difference (following `inference`).
    pub ci_high: Option<f64>,
    /// diff / control.
    pub relative_lift: Option<f64>,
    /// Interval of the relative lift.
    pub relative_lift_ci_low: Option<f64>,
    /// Interval of the relative lift.
    pub relative_lift_ci_high: Option<f64>,
    /// Two-sided p-value (following `inference`).
    pub p_value: Option<f64>,
    /// p below alpha.
    pub significant: bool,
    /// Fixed-horizon numbers of the same estimate.
    pub fixed: FixedResult,
    /// Requests with a latency, control.
    pub control_n: u64,
    /// Requests with a latency, treatment.
    pub treatment_n: u64,
    /// Clusters (users, or requests when the request is the unit), control.
    pub clusters_control: u64,
    /// Clusters, treatment.
    pub clusters_treatment: u64,
    /// Stages combined (0: not testable yet).
    pub stages_combined: u32,
    /// Why there is no test (too few requests for this percentile, no variance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What the interval was built from.
    #[serde(skip)]
    pub precision: Option<Precision>,
}

/// The outcome of a non-inferiority guardrail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuardrailStatus {
    /// Shown not worse than the margin (Holm-adjusted p below alpha).
    Pass,
    /// Worse than the margin: even the favourable bound is past it.
    Fail,
    /// Not decided yet: keep collecting data (hold).
    Undecided,
}

impl GuardrailStatus {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            GuardrailStatus::Pass => "pass",
            GuardrailStatus::Fail => "fail",
            GuardrailStatus::Undecided => "undecided",
        }
    }
}

/// One non-inferiority guardrail for one treatment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardrailResult {
    /// `error_rate`, `latency_p99` or the metric's name.
    pub name: String,
    /// The tested column.
    pub metric: String,
    /// Treatment group.
    pub treatment: String,
    /// The largest harm tolerated.
    pub margin: f64,
    /// The margin (and bound) are relative to the control.
    pub relative: bool,
    /// The direction the metric should move.
    pub direction: Direction,
    /// Treatment − control (relative when `relative`).
    pub estimate: Option<f64>,
    /// One-sided 1 − alpha bound of the difference on the harmful side.
    pub bound: Option<f64>,
    /// One-sided 1 − alpha bound on the favourable side.
    pub favorable_bound: Option<f64>,
    /// One-sided p of "harm ≥ margin".
    pub p_value: Option<f64>,
    /// Holm-adjusted across the guardrails of this treatment.
    pub p_value_adjusted: Option<f64>,
    /// Level of the test.
    pub alpha: f64,
    /// pass / fail / undecided.
    pub status: GuardrailStatus,
    /// One sentence: the bound against the margin.
    pub message: String,
}

/// One lift point as written in reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiftOverTime {
    /// Bucket start, ISO 8601 UTC.
    pub start: String,
    /// Bucket start in µs since the epoch.
    pub start_us: i64,
    /// The primary metric.
    pub metric: String,
    /// Treatment group.
    pub treatment: String,
    /// Treatment − control through the bucket's end.
    pub diff: f64,
    /// Interval (following `inference`).
    pub ci_low: Option<f64>,
    /// Interval (following `inference`).
    pub ci_high: Option<f64>,
}

/// Where CUPED's covariate came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrePeriodInfo {
    /// `log` (rows before `experiment_start`), `files` (`pre_period`) or `column`.
    pub source: String,
    /// Pre-period rows used.
    pub rows: u64,
    /// Distinct users in the pre-period.
    pub users: u64,
    /// The covariate column (source `column`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}
