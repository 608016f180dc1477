//! Permutation importance for two models on the same permutations: for each feature and
//! repeat, one shuffled copy of the column feeds both models; the importance is the drop in
//! AUC (rise in RMSE for regression, in log loss for multi-class; mean |Δprediction|
//! without labels).

use super::error::ModelError;
use super::metrics;
use super::replay::{Model, Permuted, Prepared, Task};
use crate::report::compare::{FeatureImportance, Importance};
use crate::sample::Rng;
use std::sync::atomic::AtomicBool;

/// What importance measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportanceMetric {
    /// Drop in AUC.
    Auc,
    /// Rise in RMSE.
    Rmse,
    /// Rise in log loss (multi-class).
    LogLoss,
    /// Mean |prediction change|.
    MeanAbsChange,
}

impl ImportanceMetric {
    /// Name in the report.
    pub fn name(self) -> &'static str {
        match self {
            ImportanceMetric::Auc => "auc",
            ImportanceMetric::Rmse => "rmse",
            ImportanceMetric::LogLoss => "log_loss",
            ImportanceMetric::MeanAbsChange => "mean_abs_prediction_change",
        }
    }

    /// The metric chosen for a task and labels.
    pub fn for_task(task: Task, labelled: bool) -> Self {
        match (labelled, task) {
            (false, _) => ImportanceMetric::MeanAbsChange,
            (true, Task::Binary) => ImportanceMetric::Auc,
            (true, Task::Regression) => ImportanceMetric::Rmse,
            (true, Task::Multiclass) => ImportanceMetric::LogLoss,
        }
    }
}

/// The score importance is measured on (higher is better for AUC, lower for RMSE); None
/// for the label-free measure.
fn score(metric: ImportanceMetric, pred: &[f64], y: Option<&[f64]>) -> Option<f64> {
    let y = y?;
    match metric {
        ImportanceMetric::Auc => {
            let (mut neg, mut pos) = (Vec::new(), Vec::new());
            for (p, l) in pred.iter().zip(y) {
                if *l == 1.0 {
                    pos.push(*p);
                } else if *l == 0.0 {
                    neg.push(*p);
                }
            }
            crate::analysis::stats::auc_split(&mut neg, &mut pos)
        }
        ImportanceMetric::Rmse => metrics::regression(pred, y).rmse,
        ImportanceMetric::LogLoss => {
            metrics::multiclass_log_loss(pred, pred.len() / y.len().max(1), y)
        }
        ImportanceMetric::MeanAbsChange => None,
    }
}

/// Drop of the score when the feature is shuffled (`base_score` is the unshuffled score).
fn drop(
    metric: ImportanceMetric,
    base: &[f64],
    base_score: Option<f64>,
    perm: &[f64],
    y: Option<&[f64]>,
) -> f64 {
    match (metric, base_score, score(metric, perm, y)) {
        (ImportanceMetric::Auc, Some(b), Some(p)) => b - p,
        (ImportanceMetric::Rmse | ImportanceMetric::LogLoss, Some(b), Some(p)) => p - b,
        _ => {
            let n = base.len().max(1) as f64;
            base.iter()
                .zip(perm)
                .map(|(a, b)| (a - b).abs())
                .sum::<f64>()
                / n
        }
    }
}

/// A seeded permutation of `0..n` for (feature index, repeat).
pub fn permutation(n: usize, seed: u64, feature: usize, repeat: u32) -> Vec<u32> {
    let mut rng = Rng::new(
        seed ^ (feature as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (u64::from(repeat) + 1).wrapping_mul(0xC2B2_AE3D_27D4_EB4F),
    );
    let mut p: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = (rng.uniform() * (i + 1) as f64) as usize;
        p.swap(i, j.min(i));
    }
    p
}

fn ranks(means: &[f64]) -> Vec<u32> {
    let mut idx: Vec<usize> = (0..means.len()).collect();
    idx.sort_by(|a, b| means[*b].total_cmp(&means[*a]).then(a.cmp(b)));
    let mut r = vec![0u32; means.len()];
    for (rank, i) in idx.into_iter().enumerate() {
        r[i] = rank as u32 + 1;
    }
    r
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n).sqrt(),
    )
}

/// Runs permutation importance over `features` (holdout columns). `base` holds each model's
/// predictions on the unshuffled holdout. `progress(done, total)` counts replays.
#[allow(clippy::too_many_arguments)]
pub fn permutation_importance(
    models: (&Model, &Model),
    data: &Prepared,
    features: &[String],
    base: (&[f64], &[f64]),
    labels: Option<&[f64]>,
    repeats: u32,
    seed: u64,
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &AtomicBool,
) -> Result<Importance, ModelError> {
    let t0 = std::time::Instant::now();
    let metric = ImportanceMetric::for_task(models.0.task, labels.is_some());
    let total = features.len() * repeats as usize * 2;
    let base_scores = (score(metric, base.0, labels), score(metric, base.1, labels));
    let mut done = 0usize;
    let mut rows = Vec::new();
    for (fi, f) in features.iter().enumerate() {
        let uses = |m: &Model| m.plan.columns().contains(f);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for r in 0..repeats {
            let perm = permutation(data.rows, seed, fi, r);
            let p = Permuted {
                column: f,
                perm: &perm,
            };
            for (k, m) in [models.0, models.1].into_iter().enumerate() {
                let d = if uses(m) {
                    let pred = m.predict(data, Some(&p), &|_| {}, cancel)?;
                    let (b, bs) = if k == 0 {
                        (base.0, base_scores.0)
                    } else {
                        (base.1, base_scores.1)
                    };
                    drop(metric, b, bs, &pred, labels)
                } else {
                    0.0
                };
                if k == 0 {
                    a.push(d)
                } else {
                    b.push(d)
                }
                done += 1;
                progress(done, total);
            }
        }
        let ((am, asd), (bm, bsd)) = (mean_std(&a), mean_std(&b));
        rows.push((f.clone(), am, asd, bm, bsd));
    }
    let ra = ranks(&rows.iter().map(|r| r.1).collect::<Vec<_>>());
    let rb = ranks(&rows.iter().map(|r| r.3).collect::<Vec<_>>());
    Ok(Importance {
        metric: metric.name().into(),
        repeats,
        seed,
        features: rows
            .into_iter()
            .enumerate()
            .map(|(i, (name, am, asd, bm, bsd))| FeatureImportance {
                name,
                champion_mean: am,
                champion_std: asd,
                challenger_mean: bm,
                challenger_std: bsd,
                champion_rank: ra[i],
                challenger_rank: rb[i],
            })
            .collect(),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_seeded_and_complete() {
        let a = permutation(1000, 7, 2, 1);
        assert_eq!(a, permutation(1000, 7, 2, 1));
        assert_ne!(a, permutation(1000, 7, 2, 2));
        assert_ne!(a, permutation(1000, 8, 2, 1));
        let mut s = a.clone();
        s.sort();
        assert_eq!(s, (0..1000).collect::<Vec<u32>>());
    }

    #[test]
    fn ranks_put_the_largest_first() {
        assert_eq!(ranks(&[0.1, 0.3, 0.2]), vec![3, 1, 2]);
    }
}
