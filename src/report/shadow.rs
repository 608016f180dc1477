//! The shadow-run report printed by `verdict shadow`: two models scored on the same
//! requests, compared request by request. Differences are challenger − champion.

use super::paired::{DeLong, McNemar};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a shadow log is laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// One record per model and request id.
    #[default]
    TwoRecords,
    /// One record with both models' outputs.
    OneRecord,
}

/// Requests with only one side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Unpaired {
    /// Only the champion answered (or the shadow record is missing / null).
    pub champion_only: u64,
    /// Only the challenger answered.
    pub challenger_only: u64,
}

/// p50 / p95 / p99 of a latency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// One model of the shadow run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShadowModel {
    /// `champion` or `challenger`.
    pub role: String,
    /// Model name (most frequent in its records).
    pub name: Option<String>,
    /// Model version.
    pub version: Option<String>,
    /// Records of this role with an output or an error, paired or not.
    pub requests: u64,
    /// Of them, errors.
    pub errors: u64,
    /// Latency percentiles over its records with a latency (ms).
    pub latency_ms: Option<Percentiles>,
}

/// |challenger score − champion score| over pairs where both scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreDiff {
    /// Pairs with both scores.
    pub n: u64,
    /// Mean |Δscore|.
    pub mean_abs: f64,
    /// Median |Δscore|.
    pub p50_abs: f64,
    /// 95th percentile.
    pub p95_abs: f64,
    /// 99th percentile.
    pub p99_abs: f64,
    /// Largest.
    pub max_abs: f64,
    /// Pearson correlation of the two scores.
    pub correlation: Option<f64>,
    /// Histogram of |Δscore|: 20 equal bins from 0 to the largest.
    pub histogram: Vec<HistogramBin>,
}

/// One histogram bin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HistogramBin {
    /// Lower edge (inclusive).
    pub low: f64,
    /// Upper edge (exclusive; the last bin includes it).
    pub high: f64,
    /// Values in the bin.
    pub count: u64,
}

/// Per-request latency difference (challenger − champion) over pairs with both latencies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencyDiff {
    /// Pairs.
    pub n: u64,
    /// Mean difference (ms).
    pub mean: f64,
    /// Median difference.
    pub p50: f64,
    /// 95th percentile of the difference.
    pub p95: f64,
    /// 99th percentile of the difference.
    pub p99: f64,
    /// Paired t interval of the mean at 1 − alpha.
    pub ci_low: Option<f64>,
    /// Paired t interval of the mean at 1 − alpha.
    pub ci_high: Option<f64>,
    /// Paired t statistic.
    pub t: Option<f64>,
    /// n − 1.
    pub df: f64,
    /// Two-sided p (scipy `ttest_rel`).
    pub p_value: Option<f64>,
}

/// Accuracy and AUC of one model on the labelled pairs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelQuality {
    /// Share of correct decisions.
    pub accuracy: f64,
    /// AUC of the score (null without both classes).
    pub auc: Option<f64>,
}

/// Both models on the labelled pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labelled {
    /// Pairs where both decided and a label exists.
    pub n: u64,
    /// Champion.
    pub champion: ModelQuality,
    /// Challenger.
    pub challenger: ModelQuality,
    /// McNemar on correct / incorrect.
    pub mcnemar: McNemar,
    /// DeLong's test of ΔAUC (null for more than two classes or one class).
    pub delong: Option<DeLong>,
}

/// Agreement within one segment value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentAgreement {
    /// Segment column.
    pub column: String,
    /// Value.
    pub value: String,
    /// Pairs with both decisions.
    pub pairs: u64,
    /// Share of them with the same decision.
    pub agreement_rate: f64,
}

/// Agreement in one time bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeAgreement {
    /// Bucket start, ISO 8601 UTC.
    pub start: String,
    /// Pairs with both decisions.
    pub pairs: u64,
    /// Share of them with the same decision.
    pub agreement_rate: f64,
}

/// Agreement over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverTime {
    /// Bucket span (`15m`, `1h`...).
    pub bucket: String,
    /// One row per bucket with pairs.
    pub rows: Vec<TimeAgreement>,
}

/// Why a request is in the review sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// Among the largest |Δscore|.
    MostDisagreeing,
    /// A seeded random disagreement.
    Random,
}

/// One request to review by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// Request id.
    pub request_id: String,
    /// Why it is here.
    pub kind: ReviewKind,
    /// Champion score.
    pub champion_score: Option<f64>,
    /// Challenger score.
    pub challenger_score: Option<f64>,
    /// |Δscore|.
    pub abs_diff: Option<f64>,
    /// Champion decision.
    pub champion_pred: Option<String>,
    /// Challenger decision.
    pub challenger_pred: Option<String>,
    /// The request's logged inputs (`inputs.*` fields, or the feature columns).
    pub inputs: BTreeMap<String, String>,
}

/// The shadow-run report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShadowReport {
    /// Verdict version.
    pub verdict_version: String,
    /// Files read.
    pub files: Vec<String>,
    /// `two_records` or `one_record`.
    pub layout: Layout,
    /// Distinct request ids with an output or an error.
    pub requests: u64,
    /// Request ids where both sides have a score or an error.
    pub pairs: u64,
    /// Request ids with one side only.
    pub unpaired: Unpaired,
    /// Champion and challenger.
    pub models: Vec<ShadowModel>,
    /// Decision threshold on the score when no decision is logged.
    pub threshold: f64,
    /// Significance level.
    pub alpha: f64,
    /// Pairs where both produced a decision.
    pub decided_pairs: u64,
    /// Share of those with the same decision.
    pub agreement_rate: Option<f64>,
    /// 1 − agreement.
    pub flip_rate: Option<f64>,
    /// Champion decision → challenger decision → count.
    pub flip_matrix: BTreeMap<String, BTreeMap<String, u64>>,
    /// Score differences.
    pub score_diff: Option<ScoreDiff>,
    /// Latency differences.
    pub latency_diff_ms: Option<LatencyDiff>,
    /// Errors of one model where the other answered.
    pub error_mcnemar: McNemar,
    /// With outcomes: both models on the same labelled requests.
    pub labelled: Option<Labelled>,
    /// Agreement per segment value.
    pub by_segment: Vec<SegmentAgreement>,
    /// Agreement over time.
    pub over_time: OverTime,
    /// Requests to review by hand.
    pub review_sample: Vec<ReviewItem>,
    /// Up to 5,000 evenly spaced pairs' (champion, challenger) scores for the window's
    /// scatter plot (not part of the JSON).
    #[serde(skip)]
    pub scatter_sample: Vec<(f64, f64)>,
}
