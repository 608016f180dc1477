//! NannyML 0.13's sampling errors for CBPE's binary metrics: a standard deviation and a
//! share of relevant rows taken from the labelled reference, then `std / sqrt(n · share)`
//! for a period of `n` rows (accuracy: `std / sqrt(n)`). Standard deviations are numpy's
//! (population, ddof 0).

use super::CbpeMetric;

/// What the reference contributes to one metric's sampling error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Components {
    /// Standard deviation of the per-row contributions.
    pub std: f64,
    /// Share of rows the metric is about (1 for accuracy).
    pub share: f64,
}

impl Components {
    /// The sampling error of a period of `n` rows (None when undefined).
    pub fn for_rows(&self, n: usize) -> Option<f64> {
        let v = self.std / (n as f64 * self.share).sqrt();
        (n > 0 && v.is_finite()).then_some(v)
    }
}

/// Population standard deviation of `k1` ones (each `value`) and `k0` zeros.
fn two_point_std(k1: f64, k0: f64, value: f64) -> f64 {
    let n = k1 + k0;
    if n == 0.0 {
        return f64::NAN;
    }
    let p = k1 / n;
    value * (p * (1.0 - p)).sqrt()
}

/// Components of `metric` from the reference's labels, uncalibrated scores and predicted
/// classes (0/1).
pub fn components(metric: CbpeMetric, labels: &[f64], scores: &[f64], preds: &[f64]) -> Components {
    let n = labels.len() as f64;
    let (tp, fp, fneg, tn) = super::confusion(labels, preds);
    match metric {
        CbpeMetric::RocAuc => auroc(labels, scores),
        CbpeMetric::F1 => {
            let len = tp + fp + fneg;
            if len == 0.0 {
                return Components {
                    std: f64::NAN,
                    share: 0.0,
                };
            }
            let factor = len / ((fneg + fp) * 0.5 + tp);
            Components {
                std: two_point_std(tp, fp + fneg, factor),
                share: len / n,
            }
        }
        CbpeMetric::Precision => Components {
            std: two_point_std(tp, fp, 1.0),
            share: (tp + fp) / n,
        },
        CbpeMetric::Recall => Components {
            std: two_point_std(tp, fneg, 1.0),
            share: (tp + fneg) / n,
        },
        CbpeMetric::Accuracy => Components {
            std: two_point_std(tp + tn, fp + fneg, 1.0),
            share: 1.0,
        },
    }
}

/// AUROC as a Mann–Whitney statistic: per positive (the rarer class, labels flipped when
/// positives are the majority), the share of negatives ranked below it; the positive at
/// rank 0, if any, is left out as NannyML's `np.unique(...)[1:]` leaves it.
fn auroc(labels: &[f64], scores: &[f64]) -> Components {
    let n = labels.len();
    let mean = labels.iter().sum::<f64>() / n.max(1) as f64;
    let flip = mean > 0.5;
    let y: Vec<f64> = labels
        .iter()
        .map(|l| if flip { (l - 1.0).abs() } else { *l })
        .collect();
    let s: Vec<f64> = scores
        .iter()
        .map(|v| if flip { 1.0 - v } else { *v })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| s[*a].total_cmp(&s[*b]));
    let n_pos = y.iter().sum::<f64>();
    let n_neg = n as f64 - n_pos;
    let ser: Vec<f64> = order
        .iter()
        .enumerate()
        .filter(|(rank, i)| *rank > 0 && y[**i] == 1.0)
        .enumerate()
        .map(|(k, (rank, _))| (rank - k) as f64 / n_neg)
        .collect();
    if ser.is_empty() || n_neg == 0.0 {
        return Components {
            std: f64::NAN,
            share: 0.0,
        };
    }
    let m = ser.iter().sum::<f64>() / ser.len() as f64;
    let var = ser.iter().map(|v| (v - m).powi(2)).sum::<f64>() / ser.len() as f64;
    Components {
        std: var.sqrt(),
        share: n_pos / n as f64,
    }
}
