//! The drift report: the contract between the drift engine, `verdict drift` (JSON and
//! Markdown) and the Drift view.

pub use super::drift_verdict::{DriftFlag, Retrain};
use super::Check;
use serde::{Deserialize, Serialize};

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftSide {
    /// Rows on this side.
    pub rows: u64,
    /// Files read.
    pub files: Vec<String>,
    /// First and last timestamp (ISO 8601) when the data has a time column.
    pub start: Option<String>,
    /// Last timestamp.
    pub end: Option<String>,
}

/// What a compared column is, each shown in its own section.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DriftSection {
    /// The model's inputs (data drift): the only columns the dataset-drift share counts.
    #[default]
    Input,
    /// The model's output: score, predicted class (prediction drift).
    Prediction,
    /// The target: label and outcome metrics (target drift).
    Target,
    /// The service's behaviour: latency.
    Operational,
}

impl DriftSection {
    /// Every section, in report order.
    pub const ALL: [DriftSection; 4] = [
        DriftSection::Input,
        DriftSection::Prediction,
        DriftSection::Target,
        DriftSection::Operational,
    ];

    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftSection::Input => "input",
            DriftSection::Prediction => "prediction",
            DriftSection::Target => "target",
            DriftSection::Operational => "operational",
        }
    }

    /// A heading for people.
    pub fn title(self) -> &'static str {
        match self {
            DriftSection::Input => "Input features (data drift)",
            DriftSection::Prediction => "Prediction drift (the model's output)",
            DriftSection::Target => "Target drift (label and outcomes)",
            DriftSection::Operational => "Operational (latency)",
        }
    }
}

/// Why a column is in no section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// A field of the service's own events: present only on rows without a model output.
    OnlyOnEvents,
    /// Non-null on fewer than 1 % of the prediction rows.
    Sparse,
    /// The timestamp.
    Timestamp,
    /// An identifier (user, request, session, `*_id`).
    Identifier,
    /// The group, model or version column (who served the row).
    Assignment,
    /// A log field: the event type, level, logger, message, error text...
    LogField,
    /// Features were declared and this column is not one of them.
    NotDeclared,
    /// The inputs are the nested `features` object; other top-level fields are not inputs.
    NotInFeatures,
}

impl ExclusionReason {
    /// The reason in words.
    pub fn describe(self) -> &'static str {
        match self {
            ExclusionReason::OnlyOnEvents => "only on non-prediction events",
            ExclusionReason::Sparse => "on fewer than 1% of prediction rows",
            ExclusionReason::Timestamp => "timestamp",
            ExclusionReason::Identifier => "identifier",
            ExclusionReason::Assignment => "group, model or version",
            ExclusionReason::LogField => "log field (event, level, logger, error...)",
            ExclusionReason::NotDeclared => "not among the declared features",
            ExclusionReason::NotInFeatures => "not in the nested features object",
        }
    }
}

/// A column in no section, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExcludedColumn {
    /// Column name.
    pub name: String,
    /// Why it is not compared.
    pub reason: ExclusionReason,
}

/// Rows and columns left out of the comparison.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DriftExcluded {
    /// Rows left out as non-prediction events (model loads, config changes, health checks,
    /// errors), both sides.
    pub events: u64,
    /// Of which in the reference.
    pub reference_events: u64,
    /// Of which in the current data.
    pub current_events: u64,
    /// Every column in no section, with its reason.
    pub columns: Vec<ExcludedColumn>,
}

impl DriftExcluded {
    /// One line for people: the event rows left out and the columns not compared, grouped
    /// by reason; None when nothing was left out.
    pub fn summary(&self) -> Option<String> {
        if self.events == 0 && self.columns.is_empty() {
            return None;
        }
        let mut reasons: Vec<(ExclusionReason, Vec<&str>)> = Vec::new();
        for c in &self.columns {
            match reasons.iter_mut().find(|(r, _)| *r == c.reason) {
                Some((_, names)) => names.push(&c.name),
                None => reasons.push((c.reason, vec![&c.name])),
            }
        }
        let mut line = format!(
            "Prediction rows only: {} reference and {} current rows without a model output (service events, errors) left out",
            self.reference_events, self.current_events
        );
        if !reasons.is_empty() {
            let parts: Vec<String> = reasons
                .iter()
                .map(|(r, names)| format!("{} ({})", names.join(", "), r.describe()))
                .collect();
            line.push_str("; not compared: ");
            line.push_str(&parts.join("; "));
        }
        Some(line)
    }
}

/// How CBPE was fitted for one series (model or group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceFit {
    /// Model, version or group ("all" without them).
    pub series: String,
    /// Labelled reference rows it was fitted on (0 when it could not be).
    pub reference_rows: u64,
    /// `isotonic` when calibration lowered the calibration error, else `none`.
    pub calibration: String,
    /// Why there are no estimates, when there are none.
    pub note: Option<String>,
}

/// One metric of one period: estimated (CBPE) and realized performance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformancePoint {
    /// Period start (ISO 8601 UTC); the period is [start, start + granularity).
    pub start: String,
    /// Model, version or group ("all" without them).
    pub series: String,
    /// `roc_auc`, `f1`, `precision`, `recall` or `accuracy`.
    pub metric: String,
    /// CBPE's estimate (null when it cannot be made).
    pub estimated: Option<f64>,
    /// Its sampling error (NannyML's).
    pub sampling_error: Option<f64>,
    /// Estimate − 3 sampling errors, clipped to [0, 1].
    pub band_low: Option<f64>,
    /// Estimate + 3 sampling errors, clipped to [0, 1].
    pub band_high: Option<f64>,
    /// From the period's labelled rows; null without labels.
    pub realized: Option<f64>,
    /// Prediction rows in the period.
    pub n: u64,
    /// Labelled rows in the period.
    pub labelled: u64,
}

/// `numeric` or `categorical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    /// Numbers: KS, Wasserstein, PSI on reference deciles.
    Numeric,
    /// Categories: chi-square, PSI over categories, share changes.
    Categorical,
}

/// The test a feature's p-value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftTest {
    /// Two-sample Kolmogorov–Smirnov (numeric features).
    Ks,
    /// Chi-square test of homogeneity (categorical features).
    Chi2,
}

impl DriftTest {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftTest::Ks => "ks",
            DriftTest::Chi2 => "chi2",
        }
    }
}

/// The value type of a column on one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Absent or every value missing.
    Empty,
    /// Numbers.
    Numeric,
    /// true/false.
    Boolean,
    /// Text.
    String,
}

impl ColumnType {
    /// Lower-case name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Empty => "empty",
            ColumnType::Numeric => "numeric",
            ColumnType::Boolean => "boolean",
            ColumnType::String => "string",
        }
    }
}

/// How the two sides of a drift comparison were chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitMode {
    /// Two datasets.
    Files,
    /// One log split at a time.
    SplitAt,
    /// One log: the last window against the one before.
    Window,
}

impl SplitMode {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SplitMode::Files => "files",
            SplitMode::SplitAt => "split_at",
            SplitMode::Window => "window",
        }
    }
}

/// One histogram bin on shared edges (numeric features).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Lower edge (None = -inf).
    pub lo: Option<f64>,
    /// Upper edge (None = +inf).
    pub hi: Option<f64>,
    /// Share of the reference's non-null values.
    pub reference: f64,
    /// Share of the current's non-null values.
    pub current: f64,
}

/// One category's shares (categorical features).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryShare {
    /// Category value.
    pub value: String,
    /// Share in the reference (non-null values).
    pub reference: f64,
    /// Share in the current.
    pub current: f64,
    /// current - reference.
    pub change: f64,
}

/// Drift of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// Column name.
    pub name: String,
    /// What the column is: an input feature, the model's output, the target, operational.
    #[serde(default)]
    pub section: DriftSection,
    /// Numeric or categorical.
    pub kind: FeatureKind,
    /// `ks` or `chi2`.
    pub test: DriftTest,
    /// KS D or chi-square statistic (None when a side has no values).
    pub statistic: Option<f64>,
    /// p-value of the test.
    pub p_value: Option<f64>,
    /// Degrees of freedom (chi-square).
    pub dof: Option<u64>,
    /// Population stability index.
    pub psi: Option<f64>,
    /// Wasserstein-1 distance (numeric).
    pub wasserstein: Option<f64>,
    /// Wasserstein-1 divided by the reference standard deviation (ddof 0).
    pub wasserstein_norm: Option<f64>,
    /// Share of reference rows where the feature is missing.
    pub null_rate_reference: f64,
    /// Share of current rows where the feature is missing.
    pub null_rate_current: f64,
    /// Non-null reference values.
    pub n_reference: u64,
    /// Non-null current values.
    pub n_current: u64,
    /// Reference mean (numeric).
    pub mean_reference: Option<f64>,
    /// Current mean (numeric).
    pub mean_current: Option<f64>,
    /// p < alpha and PSI at or above the drift threshold.
    pub drifted: bool,
    /// PSI at or above the alert threshold.
    pub alert: bool,
    /// PSI bins on the reference deciles (numeric).
    pub bins: Vec<Bin>,
    /// Category shares, largest change first (categorical).
    pub categories: Vec<CategoryShare>,
    /// KS computed on the server from counts on a grid of reference quantiles: the true
    /// statistic lies in `[statistic, statistic + ks_error_bound]` (absent when exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ks_error_bound: Option<f64>,
}

/// A column whose type differs between the sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DtypeChange {
    /// Column name.
    pub name: String,
    /// Type in the reference (`numeric`, `boolean`, `string`, `empty`).
    pub reference: ColumnType,
    /// Type in the current.
    pub current: ColumnType,
}

/// Schema differences; reported, never fatal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaDiff {
    /// Columns only the reference has.
    pub only_in_reference: Vec<String>,
    /// Columns only the current has.
    pub only_in_current: Vec<String>,
    /// Columns whose type changed.
    pub dtype_changes: Vec<DtypeChange>,
}

/// PSI of the top features per time bucket of the current data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PsiOverTime {
    /// Snapshot width (`1s` … `14d`), picked from the data's span (about 25–60
    /// snapshots) or chosen with `every`.
    pub bucket: String,
    /// Bucket start times (ISO 8601).
    pub starts: Vec<String>,
    /// Bucket start times in microseconds since the epoch.
    pub starts_us: Vec<i64>,
    /// Feature name → PSI per bucket (None when the bucket has no values).
    pub features: Vec<PsiSeries>,
}

/// PSI per bucket for one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PsiSeries {
    /// Feature name.
    pub name: String,
    /// PSI per bucket.
    pub psi: Vec<Option<f64>>,
}

/// A daily performance series (AUC, F1, metric means) of one model or group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailySeries {
    /// `auc`, `f1` or a metric name.
    pub metric: String,
    /// Model or group ("all" when the data has neither).
    pub series: String,
    /// Period starts: dates (YYYY-MM-DD) for whole-day periods, else ISO timestamps.
    pub days: Vec<String>,
    /// Period width (`1d`, `6h`, `5m`...), picked from the data's span or chosen.
    #[serde(default)]
    pub period: String,
    /// Value per day (None when it cannot be computed that day).
    pub values: Vec<Option<f64>>,
    /// The reference period's value.
    pub reference: Option<f64>,
}

/// How the two sides were chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitInfo {
    /// `files`, `split_at` or `window`.
    pub mode: SplitMode,
    /// Timestamp column used to split.
    pub time_column: Option<String>,
    /// The split point (ISO 8601), for `split_at` and `window`.
    pub split_at: Option<String>,
    /// Window span, for `window`.
    pub window: Option<String>,
    /// Rows left out (no timestamp, or outside both windows).
    pub rows_excluded: u64,
}

/// Thresholds the report was made with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftThresholds {
    /// Significance level.
    pub alpha: f64,
    /// PSI at or above which a significant shift counts as drift.
    pub psi_drift: f64,
    /// PSI at or above which a feature alerts.
    pub psi_alert: f64,
    /// Drift share at or above which the dataset counts as drifted.
    pub drift_share: f64,
}

/// The whole drift report. In JSON, `features` holds the input features and the other
/// sections have their own arrays (`prediction_drift`, `target_drift`, `operational`);
/// see [`super::drift_json`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    into = "super::drift_json::DriftJson",
    from = "super::drift_json::DriftJson"
)]
pub struct DriftReport {
    /// The reference side.
    pub reference: DriftSide,
    /// The current side.
    pub current: DriftSide,
    /// How the sides were chosen.
    pub split: SplitInfo,
    /// Thresholds used.
    pub thresholds: DriftThresholds,
    /// Per-column drift, by section (inputs, prediction, target, operational), each in
    /// column order.
    pub features: Vec<FeatureDrift>,
    /// Input features compared (what `drift_share` divides by).
    #[serde(default)]
    pub input_features: u64,
    /// Rows and columns left out.
    #[serde(default)]
    pub excluded: DriftExcluded,
    /// Schema differences.
    pub schema: SchemaDiff,
    /// Drifted input features / input features (0 without input features).
    pub drift_share: f64,
    /// drift_share >= the dataset threshold.
    pub dataset_drifted: bool,
    /// Retraining triggers and validation checks.
    pub triggers: Vec<Check>,
    /// PSI over time for the top features.
    pub psi_over_time: PsiOverTime,
    /// Daily AUC / F1 / metric series behind the performance triggers.
    pub daily: Vec<DailySeries>,
    /// Width of the periods of PSI over time and the performance series, seconds.
    pub granularity_s: u64,
    /// Estimated (CBPE) and realized performance per period, metric and series.
    pub performance: Vec<PerformancePoint>,
    /// How the estimator was fitted per series.
    pub performance_fits: Vec<PerformanceFit>,
    /// Computed on a ClickHouse server from counts (the table too large to read, or
    /// `--binned`); absent when the rows were compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binned: Option<BinnedInfo>,
}

fn clickhouse_source() -> String {
    "clickhouse".into()
}

/// A drift comparison computed from counts: on the server, or from files read in chunks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinnedInfo {
    /// Where the counts came from: `clickhouse` (the server) or `stream` (files read in
    /// chunks: exact statistics, one feature in memory at a time).
    #[serde(default = "clickhouse_source")]
    pub source: String,
    /// The table's address (never with a password), or the files.
    pub table: String,
    /// Rows of the sample that chose the columns and their sections.
    pub sample_rows: u64,
    /// Queries sent.
    pub queries: u64,
    /// Bytes of answers received (they grow with features × bins × snapshots, not rows).
    pub bytes_received: u64,
    /// Cells of the KS grid (reference quantiles).
    pub ks_grid: u64,
    /// What a binned comparison does not compute.
    pub not_computed: Vec<String>,
}
