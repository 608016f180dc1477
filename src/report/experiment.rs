//! The experiment report printed by `verdict analyze`, shown by the window and rendered by
//! the Markdown/HTML/CSV exports: every number any of them shows is computed into it.

use super::context::TimeWindow;
use super::inference::{
    CupedInfo, FixedResult, GuardrailResult, LiftOverTime, PrePeriodInfo, QuantileTest,
};
use super::rollout::{EventInfo, Heterogeneity, StageLeftOut, StageResult, UnitInfo};
use super::Check;
use crate::ingest::{MetricKind, Reason, Rejected, Role};
use crate::plan::Correction;
use crate::plan::Inference;
use serde::Serializer;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSummary {
    /// Files read, in order.
    pub files: Vec<String>,
    /// `jsonl`, `csv`, `parquet`, `applog`, `json` or `mixed`.
    pub format: InputFormat,
    /// Rows (events) read, valid or not.
    pub rows_read: u64,
    /// Rows used.
    pub rows_valid: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
    /// Rejected rows per reason.
    #[serde(serialize_with = "by_name")]
    pub rejected_by_reason: BTreeMap<Reason, u64>,
    /// First 100 rejected rows.
    pub rejected: Vec<Rejected>,
    /// App-log lines that were not events (banners, access logs, tracebacks).
    pub lines_skipped: u64,
}

/// Latency summary in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Mean.
    pub mean: f64,
    /// Median (linear interpolation).
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// n / mean / sum of a metric in one group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Non-missing values.
    pub n: u64,
    /// Mean (a rate for 0/1 metrics).
    pub mean: Option<f64>,
    /// Sum.
    pub sum: f64,
}

/// Everything about one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Group name.
    pub name: String,
    /// Model names seen.
    pub models: Vec<String>,
    /// Model versions seen.
    pub versions: Vec<String>,
    /// Rows (requests, including error events).
    pub requests: u64,
    /// Share of all requests.
    pub share: f64,
    /// Distinct users.
    pub users: u64,
    /// Error events.
    pub errors: u64,
    /// errors / requests.
    pub error_rate: f64,
    /// Treatment rows served by a model other than the group's own (0 for control).
    pub fallbacks: u64,
    /// Latency over all rows with a latency.
    pub latency_ms: Option<LatencySummary>,
    /// Per metric column.
    pub metrics: BTreeMap<String, MetricSummary>,
    /// Mean score.
    pub mean_score: Option<f64>,
    /// AUC of score against label.
    pub auc: Option<f64>,
}

/// Sample-ratio mismatch test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SrmResult {
    /// Observed requests per group.
    pub observed: BTreeMap<String, u64>,
    /// Expected requests per group under the expected split.
    pub expected: BTreeMap<String, f64>,
    /// Expected share per group (sums to 1).
    pub expected_share: BTreeMap<String, f64>,
    /// Chi-square statistic.
    pub chi2: f64,
    /// Degrees of freedom.
    pub df: u64,
    /// p-value.
    pub p_value: f64,
    /// p below the SRM threshold.
    pub mismatch: bool,
    /// The stage this SRM is of (the stage with the smallest p-value).
    #[serde(default)]
    pub stage: Option<usize>,
}

/// Users and assignment leakage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// Distinct users.
    pub users: u64,
    /// Users seen in more than one group within one stage.
    pub users_in_multiple_groups: u64,
    /// Users whose group changed at a ramp boundary (never leakage).
    #[serde(default)]
    pub users_moved_at_ramp: u64,
}

/// One control-vs-treatment test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// Metric column name.
    pub metric: String,
    /// `delta_ratio`, `welch_t` or `two_proportion_z`.
    pub method: TestMethod,
    /// Control group.
    pub control: String,
    /// Treatment group.
    pub treatment: String,
    /// Control observations.
    pub control_n: u64,
    /// Treatment observations.
    pub treatment_n: u64,
    /// Control rate or mean.
    pub control_value: f64,
    /// Treatment rate or mean.
    pub treatment_value: f64,
    /// Treatment − control.
    pub diff: f64,
    /// Interval for the difference at 1 − alpha.
    pub ci_low: Option<f64>,
    /// Interval for the difference at 1 − alpha.
    pub ci_high: Option<f64>,
    /// diff / control value.
    pub relative_lift: Option<f64>,
    /// Relative lift interval (difference interval / control value).
    pub relative_lift_ci_low: Option<f64>,
    /// Relative lift interval (difference interval / control value).
    pub relative_lift_ci_high: Option<f64>,
    /// z or t.
    pub statistic: Option<f64>,
    /// Welch–Satterthwaite df (null for z).
    pub df: Option<f64>,
    /// Two-sided p-value.
    pub p_value: Option<f64>,
    /// Corrected p-value (segments only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub p_value_adjusted: Option<f64>,
    /// p (adjusted p for segments) below alpha.
    pub significant: bool,
    /// The plan's primary metric.
    pub primary: bool,
    /// The change is in the direction the plan wants (primary) or upward (others).
    pub favorable: Option<bool>,
    /// Control units (users, or requests when the request is the unit).
    #[serde(default)]
    pub units_control: Option<u64>,
    /// Treatment units.
    #[serde(default)]
    pub units_treatment: Option<u64>,
    /// Stages whose estimates this result combines (1: a single-stage test).
    #[serde(default = "one")]
    pub stages_combined: u32,
    /// Cochran's Q across the stages combined (null with one stage).
    #[serde(default)]
    pub heterogeneity: Option<Heterogeneity>,
    /// Stages left out of the combination, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages_left_out: Vec<StageLeftOut>,
    /// The fixed-horizon numbers of the same estimate (equal to the main ones when the
    /// inference is `fixed`).
    #[serde(default)]
    pub fixed: FixedResult,
    /// CUPED's adjustment (null when not applied to this test).
    #[serde(default)]
    pub cuped: Option<CupedInfo>,
    /// What the interval was built from.
    #[serde(skip)]
    pub precision: Option<super::inference::Precision>,
}

fn one() -> u32 {
    1
}

fn default_tuning() -> f64 {
    5000.0
}

/// Sample size for the primary metric: per group, for the unit and inference actually run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerResult {
    /// Metric used.
    pub metric: String,
    /// Baseline (control) rate or mean, in the test's units.
    pub baseline_rate: f64,
    /// Minimum detectable effect, absolute (in the test's units).
    pub mde_absolute: f64,
    /// Significance level.
    pub alpha: f64,
    /// Power.
    pub power: f64,
    /// Units per group needed under the report's inference (rounded up).
    pub required_per_group: u64,
    /// Units per group a fixed-horizon test needs.
    #[serde(default)]
    pub required_per_group_fixed: u64,
    /// Units per group an always-valid test needs (more: it may be looked at any time).
    #[serde(default)]
    pub required_per_group_sequential: u64,
    /// Smallest group's units so far.
    pub observed_per_group: u64,
    /// observed / required (1.0 = reached).
    pub progress: f64,
    /// Reached.
    pub reached: bool,
    /// `user` (delta-method variance per user from the data so far) or `request`.
    #[serde(default = "request_unit")]
    pub unit: super::rollout::UnitKind,
    /// The variance of one unit's contribution used (after CUPED when it is on).
    #[serde(default)]
    pub variance_per_unit: f64,
    /// CUPED's variance reduction included in the variance (null without CUPED).
    #[serde(default)]
    pub variance_reduction: Option<f64>,
}

fn request_unit() -> super::rollout::UnitKind {
    super::rollout::UnitKind::Request
}

/// Tests within one value of one segment column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentResult {
    /// Segment column.
    pub column: String,
    /// Value.
    pub value: String,
    /// Requests with this value.
    pub requests: u64,
    /// The tests, with corrected p-values.
    pub tests: Vec<TestResult>,
}

/// One group in one time bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineRow {
    /// Bucket start, ISO-8601 UTC.
    pub start: String,
    /// Bucket start in microseconds since the epoch.
    pub start_us: i64,
    /// Group.
    pub group: String,
    /// Requests.
    pub requests: u64,
    /// Requests per second over the bucket.
    pub qps: f64,
    /// Error events.
    #[serde(default)]
    pub errors: u64,
    /// Error rate.
    pub error_rate: f64,
    /// This group's share of the bucket's requests (for a treatment: the ramp stage).
    #[serde(default)]
    pub share: f64,
    /// Requests from the first bucket through this one.
    #[serde(default)]
    pub cumulative_requests: u64,
    /// Error rate from the first bucket through this one.
    #[serde(default)]
    pub cumulative_error_rate: f64,
    /// Latency p50 in ms.
    pub latency_p50: Option<f64>,
    /// Latency p95 in ms.
    pub latency_p95: Option<f64>,
    /// Latency p99 in ms.
    pub latency_p99: Option<f64>,
    /// Metric means (rates for 0/1 metrics).
    pub metrics: BTreeMap<String, Option<f64>>,
    /// Metric means over every value from the first bucket through this one.
    #[serde(default)]
    pub metrics_cumulative: BTreeMap<String, Option<f64>>,
}

/// Per-bucket series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Bucket span (`1m`, `5m`, `1h`, `1d`).
    pub bucket: String,
    /// Bucket span in seconds.
    pub bucket_seconds: u64,
    /// Rows sorted by start, then group.
    pub rows: Vec<TimelineRow>,
    /// The primary metric's cumulative difference per bucket with its interval.
    #[serde(default)]
    pub lift_over_time: Vec<LiftOverTime>,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// `ramp_up`, `hold` or `roll_back`.
    pub action: Action,
    /// Why, one sentence per driver.
    pub reasons: Vec<String>,
}

/// A metric analysed and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricInfo {
    /// Column name.
    pub name: String,
    /// `proportion` or `mean`.
    pub kind: MetricKind,
    /// Declared primary in the plan.
    pub primary: bool,
}

/// The full experiment report printed by `verdict analyze`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentReport {
    /// Verdict version that wrote the report.
    pub verdict_version: String,
    /// What was read.
    pub input: InputSummary,
    /// The time the analysed rows span (first to last timestamp; null without one).
    #[serde(default)]
    pub window: Option<TimeWindow>,
    /// Role → source column.
    #[serde(serialize_with = "by_name")]
    pub columns: BTreeMap<Role, String>,
    /// Segment columns.
    pub segment_columns: Vec<String>,
    /// Metrics analysed.
    pub metrics: Vec<MetricInfo>,
    /// Control group.
    pub control: String,
    /// How the control was chosen: `flag`, `plan`, `name` or `largest`.
    pub control_source: ControlSource,
    /// The plan's primary metric, if any.
    pub primary_metric: Option<String>,
    /// Significance level.
    pub alpha: f64,
    /// `sequential` (always-valid) or `fixed`: what `ci_low`, `ci_high`, `p_value` and
    /// `significant` of every test follow.
    #[serde(default)]
    pub inference: Inference,
    /// N* of the sequential tests.
    #[serde(default = "default_tuning")]
    pub sequential_tuning: f64,
    /// CUPED's covariate source (null without CUPED).
    #[serde(default)]
    pub pre_period: Option<PrePeriodInfo>,
    /// Segment correction (`holm` or `bh`).
    pub correction: Correction,
    /// Per group.
    pub groups: Vec<GroupSummary>,
    /// The analysis unit.
    pub unit: UnitInfo,
    /// Allocation stages (one for a static split).
    pub stages: Vec<StageResult>,
    /// Error events that could not be charged to a group (never guessed).
    pub errors_unattributed: u64,
    /// Service events (no group, error or prediction): the first ones, in log order.
    pub events: Vec<EventInfo>,
    /// All service events.
    pub events_total: u64,
    /// Sample-ratio mismatch: the per-stage SRM with the smallest p-value (null when no
    /// stage has a known split).
    pub srm: Option<SrmResult>,
    /// Assignment leakage.
    pub assignment: Assignment,
    /// Control vs each treatment.
    pub tests: Vec<TestResult>,
    /// Latency percentile tests (p50, p95, p99), users as clusters.
    #[serde(default)]
    pub quantile_tests: Vec<QuantileTest>,
    /// Non-inferiority guardrails.
    #[serde(default)]
    pub guardrails: Vec<GuardrailResult>,
    /// Sample size for the primary proportion metric.
    pub power: Option<PowerResult>,
    /// Tests within segment values.
    pub segments: Vec<SegmentResult>,
    /// Time series.
    pub timeline: Timeline,
    /// Checks.
    pub checks: Vec<Check>,
    /// Recommendation.
    pub recommendation: Recommendation,
    /// Where the numbers were computed when not from files in memory (a ClickHouse table:
    /// the aggregates pushed down, queries, bytes back, what was not pushed down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<BackendInfo>,
}

/// Where a report's numbers were computed and what it cost.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BackendInfo {
    /// `clickhouse`.
    pub kind: String,
    /// The table's address (never with a password).
    pub table: String,
    /// Queries sent.
    pub queries: u64,
    /// Bytes of answers received (they grow with groups × stages × buckets, not rows).
    pub bytes_received: u64,
    /// Report sections not computed on the server yet (left empty).
    pub not_pushed_down: Vec<String>,
}

impl TestResult {
    /// Whether the test is significant and which way, the same words everywhere: "yes,
    /// better", "yes, worse", "yes" (no direction declared) or "no".
    pub fn significance_word(&self) -> &'static str {
        match (self.significant, self.favorable) {
            (true, Some(true)) => "yes, better",
            (true, Some(false)) => "yes, worse",
            (true, None) => "yes",
            (false, _) => "no",
        }
    }
}

impl Timeline {
    /// Buckets with rows (distinct bucket starts; each group has at most one row per bucket).
    pub fn buckets(&self) -> usize {
        let mut starts: Vec<i64> = self.rows.iter().map(|r| r.start_us).collect();
        starts.sort_unstable();
        starts.dedup();
        starts.len()
    }

    /// First bucket start and last bucket end (UTC µs); None without two distinct times.
    pub fn range_us(&self) -> Option<(i64, i64)> {
        let lo = self.rows.iter().map(|r| r.start_us).min()?;
        let last = self.rows.iter().map(|r| r.start_us).max()?;
        let hi = last.saturating_add((self.bucket_seconds as i64).saturating_mul(1_000_000));
        (hi > lo).then_some((lo, hi))
    }
}

/// The format of the inputs: one format, or `mixed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    /// JSON lines.
    Jsonl,
    /// Delimited text with a header.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Pipe-delimited application logs.
    Applog,
    /// One JSON array of objects.
    Json,
    /// Files of several formats.
    Mixed,
    /// A ClickHouse table (aggregates pushed down).
    Clickhouse,
}

impl InputFormat {
    /// The format of files read in `formats`: their one format, or `mixed`.
    pub fn of(formats: &[crate::ingest::Format]) -> Self {
        use crate::ingest::Format;
        let one = |f: Format| match f {
            Format::Jsonl => InputFormat::Jsonl,
            Format::Csv => InputFormat::Csv,
            Format::Parquet => InputFormat::Parquet,
            Format::Applog => InputFormat::Applog,
            Format::JsonArray => InputFormat::Json,
        };
        match formats.split_first() {
            Some((first, rest)) if rest.iter().all(|f| f == first) => one(*first),
            Some(_) => InputFormat::Mixed,
            None => InputFormat::Mixed,
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Jsonl => "jsonl",
            InputFormat::Csv => "csv",
            InputFormat::Parquet => "parquet",
            InputFormat::Applog => "applog",
            InputFormat::Json => "json",
            InputFormat::Mixed => "mixed",
            InputFormat::Clickhouse => "clickhouse",
        }
    }
}

/// The hypothesis test behind a [`TestResult`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestMethod {
    /// gbstats' ratio of per-unit sums with delta-method variance (unit = user).
    DeltaRatio,
    /// Pooled two-proportion z-test with an unpooled Wald interval (0/1 metrics).
    TwoProportionZ,
    /// Welch's unequal-variance t-test (means).
    WelchT,
    /// gbstats' regression-adjusted (CUPED) mean of per-user totals.
    Cuped,
}

impl TestMethod {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            TestMethod::DeltaRatio => "delta_ratio",
            TestMethod::TwoProportionZ => "two_proportion_z",
            TestMethod::WelchT => "welch_t",
            TestMethod::Cuped => "cuped",
        }
    }
}

/// What to do next, from the mildest to the most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Give the challenger more traffic.
    RampUp,
    /// Keep the split and wait.
    Hold,
    /// Send all traffic back to the champion.
    RollBack,
}

impl Action {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::RampUp => "ramp_up",
            Action::Hold => "hold",
            Action::RollBack => "roll_back",
        }
    }

    /// In words (`ramp up`).
    pub fn words(self) -> &'static str {
        match self {
            Action::RampUp => "ramp up",
            Action::Hold => "hold",
            Action::RollBack => "roll back",
        }
    }

    /// The headline shown to people (`RAMP UP`).
    pub fn headline(self) -> &'static str {
        match self {
            Action::RampUp => "RAMP UP",
            Action::Hold => "HOLD",
            Action::RollBack => "ROLL BACK",
        }
    }

    /// The status colour that goes with it: pass, warn, fail.
    pub fn status(self) -> super::Status {
        match self {
            Action::RampUp => super::Status::Pass,
            Action::Hold => super::Status::Warn,
            Action::RollBack => super::Status::Fail,
        }
    }
}

/// How the control group was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlSource {
    /// `--control`.
    Flag,
    /// The plan's `control`.
    Plan,
    /// A conventional name (control, champion, baseline, ...).
    Name,
    /// The group with the most requests.
    Largest,
}

impl ControlSource {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ControlSource::Flag => "flag",
            ControlSource::Plan => "plan",
            ControlSource::Name => "name",
            ControlSource::Largest => "largest",
        }
    }
}

/// Serialises a map with enum keys ordered by their report strings, as when the keys were
/// strings, so the JSON stays byte-for-byte what scripts already compare.
fn by_name<K, V, S>(map: &BTreeMap<K, V>, serializer: S) -> Result<S::Ok, S::Error>
where
    K: std::fmt::Display,
    V: Serialize,
    S: Serializer,
{
    let sorted: BTreeMap<String, &V> = map.iter().map(|(k, v)| (k.to_string(), v)).collect();
    sorted.serialize(serializer)
}
