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
        auc_macro_ovr: None,
        auc_weighted_ovr: None,
        per_class: Vec::new(),
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

/// The top-1 class of a row of probabilities: the first largest (numpy's `argmax`); NaN
/// never wins.
pub fn top1(row: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] || row[best].is_nan() && !v.is_nan() {
            best = i;
        }
    }
    best
}

/// The labelled rows of a multi-class prediction: (row, class index) for every finite label
/// that names one of the `k` classes.
fn labelled(y: &[f64], k: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    y.iter()
        .enumerate()
        .filter(move |(_, c)| c.is_finite() && **c >= 0.0 && (**c as usize) < k)
        .map(|(i, c)| (i, *c as usize))
}

/// scikit-learn's multi-class `log_loss`: the true class's probability clipped to
/// [eps, 1 − eps] (not renormalised), averaged over labelled rows.
pub fn multiclass_log_loss(p: &[f64], k: usize, y: &[f64]) -> Option<f64> {
    if k == 0 {
        return None;
    }
    let eps = f64::EPSILON;
    let ll: Vec<f64> = labelled(y, k)
        .map(|(i, c)| -p[i * k + c].clamp(eps, 1.0 - eps).ln())
        .collect();
    (!ll.is_empty()).then(|| pairwise_sum(&ll) / ll.len() as f64)
}

/// Multi-class metrics of row-major probabilities `p` (n × k, columns in `classes` order)
/// against class indices `y` (rows with a NaN or unknown label are skipped), as
/// scikit-learn computes them: top-1 accuracy, log loss, one-vs-rest ROC AUC averaged over
/// classes (macro) and by prevalence (weighted; None when a class has no labelled row),
/// per-class precision/recall/F1 (zero division giving 0), and the reliability curve of the
/// top class's probability against top-1 correctness.
pub fn multiclass(p: &[f64], k: usize, y: &[f64], classes: &[String]) -> Metrics {
    let rows: Vec<(usize, usize)> = labelled(y, k).collect();
    let n = rows.len();
    if n == 0 || k == 0 {
        return Metrics::default();
    }
    let mut tp = vec![0u64; k];
    let mut predicted = vec![0u64; k];
    let mut support = vec![0u64; k];
    let (mut top_p, mut correct) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for &(i, c) in &rows {
        let row = &p[i * k..(i + 1) * k];
        let t = top1(row);
        predicted[t] += 1;
        support[c] += 1;
        tp[c] += (t == c) as u64;
        top_p.push(row[t]);
        correct.push(if t == c { 1.0 } else { 0.0 });
    }
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let per_class = (0..k)
        .map(|c| {
            let (pr, rc) = (ratio(tp[c], predicted[c]), ratio(tp[c], support[c]));
            crate::report::compare::ClassMetrics {
                class: classes.get(c).cloned().unwrap_or_else(|| c.to_string()),
                precision: pr,
                recall: rc,
                f1: ratio(2 * tp[c], predicted[c] + support[c]),
                support: support[c],
            }
        })
        .collect();
    // one vs rest
    let aucs: Option<Vec<f64>> = (0..k)
        .map(|c| {
            let s: Vec<f64> = rows.iter().map(|&(i, _)| p[i * k + c]).collect();
            let l: Vec<f64> = rows
                .iter()
                .map(|&(_, t)| if t == c { 1.0 } else { 0.0 })
                .collect();
            auc(&s, &l)
        })
        .collect();
    let (macro_auc, weighted_auc) = match aucs {
        Some(a) => (
            Some(a.iter().sum::<f64>() / k as f64),
            Some(
                a.iter()
                    .zip(&support)
                    .map(|(x, s)| x * *s as f64)
                    .sum::<f64>()
                    / n as f64,
            ),
        ),
        None => (None, None),
    };
    let (cal_pred, cal_true, cal_count) = calibration(&top_p, &correct, 10);
    Metrics {
        accuracy: Some(ratio(tp.iter().sum(), n as u64)),
        log_loss: multiclass_log_loss(p, k, y),
        auc_macro_ovr: macro_auc,
        auc_weighted_ovr: weighted_auc,
        per_class,
        calibration_pred: cal_pred,
        calibration_true: cal_true,
        calibration_count: cal_count,
        ..Default::default()
    }
}
