//! The seeded paired bootstrap: rows are resampled with replacement, the same rows for both
//! models, and a metric difference is recomputed from per-row sums on every resample.
//! Resample `b` draws from its own generator (seed, b), so the intervals are identical on a
//! rerun whatever the number of threads.

use crate::analysis::stats::percentile_sorted;
use crate::report::compare::BootstrapInterval;
use crate::sample::Rng;
use std::collections::BTreeMap;

/// A metric difference computed from the column sums of a resample and its row count.
pub struct SumMetric {
    /// Name in the report (`f1`, `log_loss`...).
    pub name: &'static str,
    /// Challenger − champion from the sums of every column and the number of rows.
    pub eval: fn(&[f64], f64) -> f64,
}

/// Percentile intervals at 1 − `alpha` (the alpha/2 and 1 − alpha/2 percentiles, linear
/// interpolation) of each metric's difference over `resamples` paired resamples of the
/// rows of `rows` (row-major, `width` columns). Resamples where a metric is not finite are
/// left out of its interval.
pub fn paired_bootstrap(
    rows: &[f64],
    width: usize,
    metrics: &[SumMetric],
    resamples: u32,
    seed: u64,
    alpha: f64,
) -> BTreeMap<String, BootstrapInterval> {
    let n = rows.len().checked_div(width).unwrap_or(0);
    if n == 0 || resamples == 0 || metrics.is_empty() {
        return BTreeMap::new();
    }
    let mut total = vec![0.0; width];
    for r in rows.chunks_exact(width) {
        for (t, v) in total.iter_mut().zip(r) {
            *t += v;
        }
    }
    let one = |b: u32| -> Vec<f64> {
        let mut rng = Rng::new(seed ^ (u64::from(b) + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let mut sums = vec![0.0; width];
        for _ in 0..n {
            let i = rng.below(n as u64) as usize;
            for (s, v) in sums.iter_mut().zip(&rows[i * width..(i + 1) * width]) {
                *s += v;
            }
        }
        metrics.iter().map(|m| (m.eval)(&sums, n as f64)).collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(2, |t| t.get())
        .min(resamples as usize)
        .max(1);
    let per = (resamples as usize).div_ceil(threads);
    let mut draws: Vec<Vec<f64>> = Vec::with_capacity(resamples as usize);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let lo = (t * per) as u32;
                let hi = (((t + 1) * per) as u32).min(resamples);
                let one = &one;
                std::thread::Builder::new()
                    .name(format!("verdict-bootstrap-{t}"))
                    .spawn_scoped(s, move || (lo..hi).map(one).collect::<Vec<_>>())
            })
            .collect();
        for h in handles {
            if let Some(v) = h.ok().and_then(|h| h.join().ok()) {
                draws.extend(v);
            }
        }
    });
    // a thread that could not start or failed: every resample again, in this thread
    if draws.len() < resamples as usize {
        draws = (0..resamples).map(one).collect();
    }
    metrics
        .iter()
        .enumerate()
        .map(|(j, m)| {
            let mut d: Vec<f64> = draws
                .iter()
                .map(|x| x[j])
                .filter(|v| v.is_finite())
                .collect();
            d.sort_unstable_by(f64::total_cmp);
            let interval = BootstrapInterval {
                diff: (m.eval)(&total, n as f64),
                ci_low: if d.is_empty() {
                    f64::NAN
                } else {
                    percentile_sorted(&d, 50.0 * alpha)
                },
                ci_high: if d.is_empty() {
                    f64::NAN
                } else {
                    percentile_sorted(&d, 100.0 - 50.0 * alpha)
                },
                n: u64::from(resamples),
            };
            (m.name.to_string(), interval)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_diff(s: &[f64], n: f64) -> f64 {
        (s[1] - s[0]) / n
    }

    #[test]
    fn seeded_and_close_to_the_normal_interval() {
        // per-row losses of two models: the bootstrap interval of the mean difference
        // matches mean ± 1.96 sd/sqrt(n) for a large sample
        let mut rng = Rng::new(3);
        let n = 4000;
        let mut rows = Vec::with_capacity(2 * n);
        let mut d = Vec::with_capacity(n);
        for _ in 0..n {
            let a = rng.normal();
            let b = a * 0.8 + rng.normal() * 0.6 + 0.05;
            rows.extend([a, b]);
            d.push(b - a);
        }
        let m = [SumMetric {
            name: "x",
            eval: mean_diff,
        }];
        let r = paired_bootstrap(&rows, 2, &m, 1000, 7, 0.05);
        assert_eq!(r, paired_bootstrap(&rows, 2, &m, 1000, 7, 0.05));
        assert_ne!(r, paired_bootstrap(&rows, 2, &m, 1000, 8, 0.05));
        // a 90 % interval is narrower
        let r90 = paired_bootstrap(&rows, 2, &m, 1000, 7, 0.1)["x"];
        assert!(r90.ci_high - r90.ci_low < r["x"].ci_high - r["x"].ci_low);
        let x = r["x"];
        let mean = d.iter().sum::<f64>() / n as f64;
        let sd = (d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        let half = 1.959964 * sd / (n as f64).sqrt();
        assert!((x.diff - mean).abs() < 1e-12);
        assert!(
            ((x.ci_high - x.ci_low) / 2.0 / half - 1.0).abs() < 0.1,
            "{x:?} {half}"
        );
        assert!(x.ci_low < x.diff && x.diff < x.ci_high);
        assert_eq!(x.n, 1000);
    }
}
