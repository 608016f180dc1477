//! The model comparison report: the contract between the replay engine, `verdict compare`
//! (JSON and Markdown) and the Models view.

use super::{Check, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The ONNX Runtime used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeInfo {
    /// ONNX Runtime version.
    pub version: String,
    /// The shared library loaded.
    pub library: String,
}

/// An input or output of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Port {
    /// Name.
    pub name: String,
    /// ONNX type, e.g. `tensor(float)` or `seq(map(int64,tensor(float)))`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Dimensions: numbers, names of symbolic dimensions, or null when unknown.
    pub shape: Option<Vec<serde_json::Value>>,
}

/// Classification or regression metrics on the labelled holdout.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// ROC AUC (ties by mid-ranks).
    pub auc: Option<f64>,
    /// Accuracy at the threshold.
    pub accuracy: Option<f64>,
    /// Precision of the positive class at the threshold.
    pub precision: Option<f64>,
    /// Recall of the positive class at the threshold.
    pub recall: Option<f64>,
    /// F1 of the positive class at the threshold.
    pub f1: Option<f64>,
    /// Log loss (probabilities clipped to [eps, 1-eps]).
    pub log_loss: Option<f64>,
    /// Brier score.
    pub brier: Option<f64>,
    /// Root mean squared error (regression).
    pub rmse: Option<f64>,
    /// Mean absolute error (regression).
    pub mae: Option<f64>,
    /// One-vs-rest ROC AUC averaged over classes (multi-class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auc_macro_ovr: Option<f64>,
    /// One-vs-rest ROC AUC weighted by class prevalence (multi-class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auc_weighted_ovr: Option<f64>,
    /// Precision, recall and F1 of each class, top-1 (multi-class).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_class: Vec<ClassMetrics>,
    /// Reliability curve: mean predicted probability per non-empty bin of 10 uniform bins
    /// (of the top class's probability against top-1 correctness for multi-class).
    pub calibration_pred: Vec<f64>,
    /// Reliability curve: observed positive rate per non-empty bin.
    pub calibration_true: Vec<f64>,
    /// Rows per non-empty bin.
    pub calibration_count: Vec<u64>,
}

/// One class's top-1 metrics (scikit-learn's `precision_recall_fscore_support`, zero
/// division giving 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Class label.
    pub class: String,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Labelled rows of this class.
    pub support: u64,
}

/// What a model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelTask {
    /// A probability of the positive class.
    Binary,
    /// A number.
    Regression,
    /// One of k > 2 classes (a probability per class).
    Multiclass,
}

impl ModelTask {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelTask::Binary => "binary",
            ModelTask::Regression => "regression",
            ModelTask::Multiclass => "multiclass",
        }
    }
}

/// How the holdout's features reach a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputLayout {
    /// One [N, F] tensor.
    Matrix,
    /// One [N, 1] input per feature.
    PerFeature,
}

impl InputLayout {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            InputLayout::Matrix => "matrix",
            InputLayout::PerFeature => "per_feature",
        }
    }
}

/// Where a model's feature order came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MappingSource {
    /// The bundle manifest's `features`.
    #[serde(rename = "manifest")]
    Manifest,
    /// The model's `feature_names` metadata.
    #[serde(rename = "metadata_props")]
    MetadataProps,
    /// The holdout's columns in order.
    #[serde(rename = "holdout columns")]
    HoldoutColumns,
    /// The model's input names.
    #[serde(rename = "input names")]
    InputNames,
    /// The manifest's `[inputs]` mapping.
    #[serde(rename = "manifest inputs")]
    ManifestInputs,
    /// The MLflow signature's column names.
    #[serde(rename = "mlflow signature")]
    Signature,
}

impl MappingSource {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            MappingSource::Manifest => "manifest",
            MappingSource::MetadataProps => "metadata_props",
            MappingSource::HoldoutColumns => "holdout columns",
            MappingSource::InputNames => "input names",
            MappingSource::ManifestInputs => "manifest inputs",
            MappingSource::Signature => "mlflow signature",
        }
    }
}

/// How holdout columns were mapped to the model's inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputMapping {
    /// `matrix` (one [N, F] tensor) or `per_feature` (one [N, 1] input per feature).
    pub layout: InputLayout,
    /// Where the feature order came from: `manifest`, `metadata_props`, `holdout columns`,
    /// `input names` or `manifest inputs`.
    pub source: MappingSource,
    /// Model input → holdout columns feeding it, in order.
    pub inputs: BTreeMap<String, Vec<String>>,
}

/// One model in the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    /// Path as given.
    pub path: String,
    /// Manifest name, else the file name.
    pub name: String,
    /// Manifest version.
    pub version: Option<String>,
    /// Graph inputs.
    pub inputs: Vec<Port>,
    /// Graph outputs.
    pub outputs: Vec<Port>,
    /// Opset version per domain.
    pub opsets: BTreeMap<String, i64>,
    /// Producer name and version, e.g. `skl2onnx 1.20.0`.
    pub producer: String,
    /// IR version.
    pub ir_version: i64,
    /// Graph name.
    pub graph_name: String,
    /// `metadata_props`.
    pub metadata: BTreeMap<String, String>,
    /// Training environment from the manifest.
    pub environment: BTreeMap<String, String>,
    /// Training metrics from the manifest.
    pub training_metrics: BTreeMap<String, f64>,
    /// `binary` or `regression` (None until the model is replayed).
    pub task: Option<ModelTask>,
    /// The output read as the prediction.
    pub prediction_output: String,
    /// What that output means: declared (`bundle.toml` `output`, `--output`) or as read.
    #[serde(default)]
    pub output_kind: Option<OutputKind>,
    /// Decision threshold.
    pub threshold: f64,
    /// Holdout mapping used (None until the model is replayed).
    pub mapping: Option<InputMapping>,
    /// Metrics on the holdout labels.
    pub metrics: Metrics,
    /// Replay wall time, seconds.
    pub replay_seconds: f64,
    /// Class labels in probability column order (multi-class only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// What was opened: `onnx`, `bundle`, `zip` or `mlflow`.
    #[serde(default)]
    pub source: SourceKind,
    /// The MLflow model's ids, versions and environment (null unless read from MLflow).
    #[serde(default)]
    pub mlflow: Option<MlflowInfo>,
}

/// What a model was opened from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A single `.onnx` file.
    #[default]
    Onnx,
    /// A bundle folder (`model.onnx`, optional `bundle.toml`).
    Bundle,
    /// A zipped bundle.
    Zip,
    /// An MLflow model folder, or a zip of one.
    Mlflow,
}

impl SourceKind {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Onnx => "onnx",
            SourceKind::Bundle => "bundle",
            SourceKind::Zip => "zip",
            SourceKind::Mlflow => "mlflow",
        }
    }
}

/// One input of an MLflow signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureInput {
    /// Column name (None for an unnamed tensor).
    pub name: Option<String>,
    /// MLflow type: `double`, `long`, `string`, `tensor(float32)`...
    #[serde(rename = "type")]
    pub ty: String,
}

/// What an MLflow model folder records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MlflowInfo {
    /// The run that logged the model (null when written by `save_model`).
    pub run_id: Option<String>,
    /// The model's id.
    pub model_uuid: Option<String>,
    /// When it was saved (UTC, as MLflow writes it).
    pub utc_time_created: Option<String>,
    /// MLflow version that wrote it.
    pub mlflow_version: Option<String>,
    /// The lines of `requirements.txt`.
    pub requirements: Vec<String>,
    /// Python version (`python_env.yaml`, else the pyfunc flavor's).
    pub python_version: Option<String>,
    /// Flavors in the MLmodel file.
    pub flavors: Vec<String>,
    /// The signature's inputs, in order.
    pub signature_inputs: Vec<SignatureInput>,
    /// Environment files present (`requirements.txt`, `python_env.yaml`, `conda.yaml`).
    pub environment_files: Vec<String>,
    /// Rows of the saved input example (null without one).
    pub input_example_rows: Option<u64>,
}

/// The holdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutInfo {
    /// File.
    pub path: String,
    /// Rows replayed.
    pub rows: u64,
    /// Label column (None when unlabelled).
    pub label: Option<String>,
}

/// Flip counts between the models' predicted classes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Flips {
    /// Champion negative, challenger positive.
    pub neg_to_pos: u64,
    /// Champion positive, challenger negative.
    pub pos_to_neg: u64,
    /// Both negative.
    pub neg_to_neg: u64,
    /// Both positive.
    pub pos_to_pos: u64,
}

/// A row on which the models disagree most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisagreeingRow {
    /// 0-based holdout row.
    pub row: u64,
    /// Champion prediction.
    pub champion: f64,
    /// Challenger prediction.
    pub challenger: f64,
    /// |challenger - champion|.
    pub abs_delta: f64,
    /// Label, when known (the class index for multi-class).
    pub label: Option<f64>,
    /// Multi-class: the champion's and the challenger's top-1 class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<(String, String)>,
    /// Feature values (as text).
    pub features: BTreeMap<String, String>,
}

/// Agreement within one value of a segment column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentAgreement {
    /// Column.
    pub column: String,
    /// Value.
    pub value: String,
    /// Rows.
    pub rows: u64,
    /// Share of rows with the same predicted class.
    pub agreement: f64,
    /// Mean |Δp|.
    pub mean_abs_delta: f64,
}

/// How the predictions differ.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    /// Share of rows whose predicted class differs.
    pub rate: f64,
    /// Mean |challenger - champion|.
    pub mean_abs_delta: f64,
    /// Max |challenger - champion|.
    pub max_abs_delta: f64,
    /// Quantiles of |Δ| (linear interpolation).
    pub quantiles: BTreeMap<String, f64>,
    /// Flip matrix.
    pub flips: Flips,
    /// Histogram of |Δ|: bin edges (len = counts + 1) and counts.
    pub histogram_edges: Vec<f64>,
    /// Histogram counts.
    pub histogram_counts: Vec<u64>,
    /// Rows that disagree most.
    pub top_rows: Vec<DisagreeingRow>,
    /// Multi-class: rows by champion top-1 class (outer) and challenger top-1 class (inner).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flip_matrix: BTreeMap<String, BTreeMap<String, u64>>,
    /// Agreement within each segment column's values.
    pub segments: Vec<SegmentAgreement>,
}

/// Permutation importance of one feature for both models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureImportance {
    /// Feature (holdout column).
    pub name: String,
    /// Mean drop for the champion.
    pub champion_mean: f64,
    /// Standard deviation over repeats (ddof 0).
    pub champion_std: f64,
    /// Mean drop for the challenger.
    pub challenger_mean: f64,
    /// Standard deviation over repeats.
    pub challenger_std: f64,
    /// Rank by mean for the champion (1 = most important).
    pub champion_rank: u32,
    /// Rank for the challenger.
    pub challenger_rank: u32,
}

/// Permutation importance for both models on the same permutations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Importance {
    /// `auc`, `rmse` or `mean_abs_prediction_change`.
    pub metric: String,
    /// Repeats per feature.
    pub repeats: u32,
    /// Seed of the permutations.
    pub seed: u64,
    /// Per feature, in holdout column order.
    pub features: Vec<FeatureImportance>,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareReport {
    /// ONNX Runtime.
    pub runtime: RuntimeInfo,
    /// The champion.
    pub champion: ModelReport,
    /// The challenger.
    pub challenger: ModelReport,
    /// The holdout.
    pub holdout: HoldoutInfo,
    /// Prediction differences.
    pub diff: Diff,
    /// Permutation importance.
    pub importance: Importance,
    /// Checks: diff_rate, importance_shift, feature_alignment, environment.
    pub checks: Vec<Check>,
    /// Paired tests of the two models on the labelled holdout rows (null without labels).
    #[serde(default)]
    pub paired_tests: Option<PairedTests>,
    /// Segments where the challenger does worse than the champion, worst first.
    #[serde(default)]
    pub worst_segments: Vec<WorstSegment>,
    /// How many segments were tested (the Holm family).
    #[serde(default)]
    pub segments_tested: u64,
}

/// A single-column segment of the holdout where the challenger does worse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorstSegment {
    /// Holdout column.
    pub column: String,
    /// A value, or a decile `[lo, hi)` of a numeric feature.
    pub segment: String,
    /// Labelled rows in it.
    pub rows: u64,
    /// `accuracy` (classifiers) or `neg_mean_squared_error` (regressors): higher is better.
    pub metric: String,
    /// The champion's metric in the segment.
    pub champion: f64,
    /// The challenger's.
    pub challenger: f64,
    /// Challenger − champion (negative: the challenger is worse).
    pub diff: f64,
    /// McNemar (classifiers) or paired t (regressors) within the segment.
    pub p_value: f64,
    /// Holm-adjusted over every segment tested.
    pub p_value_adjusted: f64,
}

/// A paired bootstrap interval of a metric difference, challenger − champion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BootstrapInterval {
    /// The difference on the whole holdout.
    pub diff: f64,
    /// 2.5th percentile of the resampled differences (linear interpolation): a 95 %
    /// interval whatever the plan's alpha.
    pub ci_low: f64,
    /// 97.5th percentile.
    pub ci_high: f64,
    /// Resamples.
    pub n: u64,
}

/// What a model's output means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// Class probabilities (or one positive-class probability).
    Probability,
    /// Logits: `[N, 1]` through a sigmoid, `[N, 2]` through a softmax.
    Logit,
    /// A regression value.
    Regression,
}

impl OutputKind {
    /// Parses `probability`, `logit` or `regression` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "probability" | "proba" | "prob" => Some(OutputKind::Probability),
            "logit" | "logits" => Some(OutputKind::Logit),
            "regression" | "value" => Some(OutputKind::Regression),
            _ => None,
        }
    }

    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::Probability => "probability",
            OutputKind::Logit => "logit",
            OutputKind::Regression => "regression",
        }
    }
}

/// The paired tests `verdict compare` and `verdict shadow` share: both models on the same
/// labelled rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedTests {
    /// Labelled rows used.
    pub n: u64,
    /// McNemar on correct / incorrect decisions (classification).
    pub mcnemar: Option<super::paired::McNemar>,
    /// DeLong's test of ΔAUC, challenger − champion (binary classification).
    pub delong: Option<super::paired::DeLong>,
    /// Paired t-test of |error| challenger − champion per row (regression).
    pub abs_error: Option<super::paired::PairedT>,
    /// Seeded paired bootstrap intervals by metric: `f1`, `log_loss`, `brier` (binary),
    /// `log_loss` (multi-class), `rmse`, `mae` (regression).
    #[serde(default)]
    pub bootstrap: BTreeMap<String, BootstrapInterval>,
}

impl CompareReport {
    /// Worst check status.
    pub fn worst(&self) -> Status {
        super::check::worst(&self.checks)
    }
}
