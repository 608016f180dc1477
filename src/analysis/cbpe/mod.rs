//! Confidence-based performance estimation (CBPE) of a binary classifier before its labels
//! arrive, as NannyML 0.13 documents it: scores calibrated on a labelled reference
//! (isotonic regression when [`calibration::needs_calibration`] says it helps, else the raw
//! scores), then each period's expected confusion matrix (a row predicted positive counts
//! its calibrated probability as a true positive and the rest as a false positive; a row
//! predicted negative, as a false negative and a true negative) and its expected ROC curve
//! (rows ranked by their raw score, each contributing its calibrated probability to the
//! true positives and the rest to the false positives). Sampling errors from the reference
//! ([`sampling_error`]); the band is ± 3 of them, clipped to [0, 1].

pub mod calibration;
pub mod isotonic;
pub mod sampling_error;

use crate::analysis::stats::auc;
use isotonic::Isotonic;
use sampling_error::Components;
use serde::{Deserialize, Serialize};

/// Sampling errors on each side of an estimate in its band.
pub const BAND_SAMPLING_ERRORS: f64 = 3.0;

/// A metric CBPE estimates.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum CbpeMetric {
    /// Area under the ROC curve.
    #[default]
    RocAuc,
    /// F1 of the positive class.
    F1,
    /// Precision of the positive class.
    Precision,
    /// Recall of the positive class.
    Recall,
    /// Share of correct predictions.
    Accuracy,
}

impl CbpeMetric {
    /// Every metric, in report order.
    pub const ALL: [CbpeMetric; 5] = [
        CbpeMetric::RocAuc,
        CbpeMetric::F1,
        CbpeMetric::Precision,
        CbpeMetric::Recall,
        CbpeMetric::Accuracy,
    ];

    /// The name as written in reports (NannyML's).
    pub fn as_str(self) -> &'static str {
        match self {
            CbpeMetric::RocAuc => "roc_auc",
            CbpeMetric::F1 => "f1",
            CbpeMetric::Precision => "precision",
            CbpeMetric::Recall => "recall",
            CbpeMetric::Accuracy => "accuracy",
        }
    }

    /// A label for people.
    pub fn title(self) -> &'static str {
        match self {
            CbpeMetric::RocAuc => "ROC AUC",
            CbpeMetric::F1 => "F1",
            CbpeMetric::Precision => "Precision",
            CbpeMetric::Recall => "Recall",
            CbpeMetric::Accuracy => "Accuracy",
        }
    }
}

/// An estimator fitted on a labelled reference.
#[derive(Debug, Clone)]
pub struct Cbpe {
    calibrator: Option<Isotonic>,
    components: Vec<(CbpeMetric, Components)>,
    /// Labelled reference rows it was fitted on.
    pub reference_rows: usize,
}

/// One metric of one period: the estimate, its sampling error and band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The metric.
    pub metric: CbpeMetric,
    /// The estimate (None when undefined, e.g. no rows).
    pub value: Option<f64>,
    /// Its sampling error.
    pub sampling_error: Option<f64>,
}

impl Estimate {
    /// The band: ± [`BAND_SAMPLING_ERRORS`] sampling errors, clipped to [0, 1].
    pub fn band(&self) -> (Option<f64>, Option<f64>) {
        match (self.value, self.sampling_error) {
            (Some(v), Some(se)) => (
                Some((v - BAND_SAMPLING_ERRORS * se).max(0.0)),
                Some((v + BAND_SAMPLING_ERRORS * se).min(1.0)),
            ),
            _ => (None, None),
        }
    }
}

impl Cbpe {
    /// Fits on the labelled reference: `labels` 0/1, `scores` the model's raw scores,
    /// `preds` its predicted classes (0/1). None without both classes.
    pub fn fit(labels: &[f64], scores: &[f64], preds: &[f64]) -> Option<Cbpe> {
        let n = labels.len().min(scores.len()).min(preds.len());
        let (labels, scores, preds) = (&labels[..n], &scores[..n], &preds[..n]);
        let pos = labels.iter().filter(|l| **l == 1.0).count();
        if pos == 0 || pos == n {
            return None;
        }
        let calibrator = if calibration::needs_calibration(labels, scores) {
            Isotonic::fit(scores, labels)
        } else {
            None
        };
        let components = CbpeMetric::ALL
            .iter()
            .map(|m| (*m, sampling_error::components(*m, labels, scores, preds)))
            .collect();
        Some(Cbpe {
            calibrator,
            components,
            reference_rows: n,
        })
    }

    /// Whether scores are calibrated (isotonic) before estimating.
    pub fn calibrated(&self) -> bool {
        self.calibrator.is_some()
    }

    /// The calibrated probability of a raw score.
    pub fn calibrate(&self, score: f64) -> f64 {
        self.calibrator.as_ref().map_or(score, |c| c.predict(score))
    }

    /// Every metric's estimate for a period's raw scores and predicted classes.
    pub fn estimate(&self, scores: &[f64], preds: &[f64]) -> Vec<Estimate> {
        let n = scores.len().min(preds.len());
        let q: Vec<f64> = scores[..n].iter().map(|s| self.calibrate(*s)).collect();
        let (mut tp, mut fp, mut fneg, mut tn) = (0.0, 0.0, 0.0, 0.0);
        for (p, pred) in q.iter().zip(&preds[..n]) {
            if *pred == 1.0 {
                tp += p;
                fp += 1.0 - p;
            } else {
                fneg += p;
                tn += 1.0 - p;
            }
        }
        let ratio = |a: f64, b: f64| if b != 0.0 { a / b } else { 0.0 };
        CbpeMetric::ALL
            .iter()
            .map(|m| {
                let value = if n == 0 {
                    None
                } else {
                    match m {
                        CbpeMetric::RocAuc => expected_roc_auc(&scores[..n], &q),
                        CbpeMetric::F1 => Some(ratio(tp, tp + 0.5 * (fp + fneg))),
                        CbpeMetric::Precision => Some(ratio(tp, tp + fp)),
                        CbpeMetric::Recall => Some(ratio(tp, tp + fneg)),
                        CbpeMetric::Accuracy => Some((tp + tn) / n as f64),
                    }
                };
                let se = self
                    .components
                    .iter()
                    .find(|(k, _)| k == m)
                    .and_then(|(_, c)| c.for_rows(n));
                Estimate {
                    metric: *m,
                    value: value.filter(|v| v.is_finite()),
                    sampling_error: se,
                }
            })
            .collect()
    }
}

/// NannyML's `estimate_roc_auc`: rows by descending raw score; cumulative expected true
/// and false positives rounded to 5 decimals; the trapezoid area under the curve.
pub fn expected_roc_auc(scores: &[f64], calibrated: &[f64]) -> Option<f64> {
    let n = scores.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    let round5 = |v: f64| (v * 1e5).round_ties_even() / 1e5;
    let mut tps = Vec::with_capacity(n + 1);
    let mut fps = Vec::with_capacity(n + 1);
    tps.push(0.0);
    fps.push(0.0);
    let mut cum = 0.0;
    for (k, &i) in order.iter().enumerate() {
        cum += calibrated[i];
        tps.push(round5(cum));
        fps.push(round5(1.0 + k as f64 - cum));
    }
    let (tl, fl) = (*tps.last()?, *fps.last()?);
    if tl == 0.0 || fl == 0.0 {
        return None;
    }
    let mut area = 0.0;
    for k in 1..tps.len() {
        let (x0, x1) = (fps[k - 1] / fl, fps[k] / fl);
        let (y0, y1) = (tps[k - 1] / tl, tps[k] / tl);
        area += (x1 - x0) * (y0 + y1) / 2.0;
    }
    Some(area)
}

/// The confusion counts (TP, FP, FN, TN) of 0/1 labels and predicted classes.
pub fn confusion(labels: &[f64], preds: &[f64]) -> (f64, f64, f64, f64) {
    let (mut tp, mut fp, mut fneg, mut tn) = (0.0, 0.0, 0.0, 0.0);
    for (l, p) in labels.iter().zip(preds) {
        match (*p == 1.0, *l == 1.0) {
            (true, true) => tp += 1.0,
            (true, false) => fp += 1.0,
            (false, true) => fneg += 1.0,
            (false, false) => tn += 1.0,
        }
    }
    (tp, fp, fneg, tn)
}

/// A metric from labels, scores and predicted classes (scikit-learn's values; None when
/// NannyML's realized value is NaN: one class among the labels, or — for F1, precision
/// and recall — among the predictions).
pub fn realized(metric: CbpeMetric, labels: &[f64], scores: &[f64], preds: &[f64]) -> Option<f64> {
    if labels.is_empty() {
        return None;
    }
    let (tp, fp, fneg, tn) = confusion(labels, preds);
    let one_label = tp + fneg == 0.0 || fp + tn == 0.0;
    let one_pred = tp + fp == 0.0 || fneg + tn == 0.0;
    let ratio = |a: f64, b: f64| if b != 0.0 { a / b } else { 0.0 };
    match metric {
        CbpeMetric::RocAuc => auc(scores, labels),
        CbpeMetric::Accuracy => Some((tp + tn) / labels.len() as f64),
        _ if one_label || one_pred => None,
        CbpeMetric::F1 => Some(ratio(2.0 * tp, 2.0 * tp + fp + fneg)),
        CbpeMetric::Precision => Some(ratio(tp, tp + fp)),
        CbpeMetric::Recall => Some(ratio(tp, tp + fneg)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfectly_calibrated_probabilities_estimate_the_expected_confusion_matrix() {
        let cbpe = Cbpe {
            calibrator: None,
            components: vec![],
            reference_rows: 0,
        };
        let est = cbpe.estimate(&[0.9, 0.8, 0.3, 0.1], &[1.0, 1.0, 0.0, 0.0]);
        let v = |m: CbpeMetric| est.iter().find(|e| e.metric == m).unwrap().value.unwrap();
        // TP 1.7, FP 0.3, FN 0.4, TN 1.6
        assert!((v(CbpeMetric::Precision) - 0.85).abs() < 1e-12);
        assert!((v(CbpeMetric::Recall) - 1.7 / 2.1).abs() < 1e-12);
        assert!((v(CbpeMetric::Accuracy) - 3.3 / 4.0).abs() < 1e-12);
        assert!((v(CbpeMetric::F1) - 1.7 / (1.7 + 0.35)).abs() < 1e-12);
        assert!(v(CbpeMetric::RocAuc) > 0.5 && v(CbpeMetric::RocAuc) < 1.0);
        assert!(est.iter().all(|e| e.sampling_error.is_none()));
    }
}
