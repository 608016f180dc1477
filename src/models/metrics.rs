//! Holdout metrics as scikit-learn computes them: ROC AUC (mid-rank ties), accuracy,
//! precision/recall/F1 of the positive class at a threshold, log loss (clipped at machine
//! epsilon), Brier score, the uniform 10-bin reliability curve; RMSE and MAE for regression.

use crate::analysis::stats::{auc, pairwise_sum};
use crate::report::compare::Metrics;

/// Binary-classification metrics of probabilities `p` against 0/1 `y` (rows with a NaN
/// label are skipped), class = `p >= threshold`.
pub fn binary(p: &[f64], y: &[f64], threshold: f64) -> Metrics {
    let (pp, yy): (Vec<f64>, Vec<f64>) = p
        .iter()
        .zip(y)
        .filter(|(a, b)| !b.is_nan() && !a.is_nan())
        .map(|(a, b)| (*a, *b))
        .unzip();
    let n = pp.len();
    if n == 0 {
        return Metrics::default();
    }
    let (mut tp, mut fp, mut tn, mut fneg) = (0u64, 0u64, 0u64, 0u64);
    for (pi, yi) in pp.iter().zip(&yy) {
        match (*pi >= threshold, *yi == 1.0) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fneg += 1,
        }
    }
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let eps = f64::EPSILON;
    let ll: Vec<f64> = pp
        .iter()
        .zip(&yy)
        .map(|(pi, yi)| {
            let q = pi.clamp(eps, 1.0 - eps);
            -(yi * q.ln() + (1.0 - yi) * (1.0 - q).ln())
        })
        .collect();
    let sq: Vec<f64> = pp
        .iter()
        .zip(&yy)
        .map(|(pi, yi)| (pi - yi) * (pi - yi))
        .collect();
    let (cal_pred, cal_true, cal_count) = calibration(&pp, &yy, 10);
    Metrics {
        auc: auc(&pp, &yy),
        accuracy: Some(ratio(tp + tn, n as u64)),
        precision: Some(ratio(tp, tp + fp)),
        recall: Some(ratio(tp, tp + fneg)),
        f1: Some(ratio(2 * tp, 2 * tp + fp + fneg)),
        log_loss: Some(pairwise_sum(&ll) / n as f64),
        brier: Some(pairwise_sum(&sq) / n as f64),
        rmse: None,
        mae: None,
        calibration_pred: cal_pred,
        calibration_true: cal_true,
        calibration_count: cal_count,
    }
}

/// sklearn's `calibration_curve(strategy="uniform")`: bins of width 1/`bins`, a value on an
/// inner edge counts in the lower bin; mean prediction and positive rate of non-empty bins.
pub fn calibration(p: &[f64], y: &[f64], bins: usize) -> (Vec<f64>, Vec<f64>, Vec<u64>) {
    let step = 1.0 / bins as f64;
    let edges: Vec<f64> = (1..bins).map(|i| i as f64 * step).collect();
    let mut sum_p = vec![0.0; bins];
    let mut sum_y = vec![0.0; bins];
    let mut count = vec![0u64; bins];
    for (pi, yi) in p.iter().zip(y) {
        let b = edges.partition_point(|e| e < pi);
        sum_p[b] += pi;
        sum_y[b] += yi;
        count[b] += 1;
    }
    let mut out = (vec![], vec![], vec![]);
    for b in 0..bins {
        if count[b] > 0 {
            out.0.push(sum_p[b] / count[b] as f64);
            out.1.push(sum_y[b] / count[b] as f64);
            out.2.push(count[b]);
        }
    }
    out
}

/// Regression metrics (rows with a NaN target are skipped).
pub fn regression(pred: &[f64], y: &[f64]) -> Metrics {
    let (sq, ab): (Vec<f64>, Vec<f64>) = pred
        .iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(a, b)| ((a - b) * (a - b), (a - b).abs()))
        .unzip();
    if sq.is_empty() {
        return Metrics::default();
    }
    let n = sq.len() as f64;
    Metrics {
        rmse: Some((pairwise_sum(&sq) / n).sqrt()),
        mae: Some(pairwise_sum(&ab) / n),
        ..Default::default()
    }
}
