//! Statistical primitives shared by the tests: moments, linear-interpolation percentiles,
//! distribution tails and AUC.

use super::dist::{chi_squared, normal, student_t};

/// Count, mean and sample variance (ddof = 1) of a sample, computed in two passes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    /// Number of values.
    pub n: u64,
    /// Sum of values.
    pub sum: f64,
    /// Arithmetic mean (NaN when empty).
    pub mean: f64,
    /// Sample variance with ddof = 1 (NaN when n < 2).
    pub var: f64,
}

impl Moments {
    /// Moments of a slice.
    pub fn of(values: &[f64]) -> Self {
        let n = values.len() as u64;
        if n == 0 {
            return Self {
                n,
                sum: 0.0,
                mean: f64::NAN,
                var: f64::NAN,
            };
        }
        let sum: f64 = pairwise_sum(values);
        let mean = sum / n as f64;
        let var = if n > 1 {
            let ss: f64 = values.iter().map(|x| (x - mean) * (x - mean)).sum();
            ss / (n - 1) as f64
        } else {
            f64::NAN
        };
        Self { n, sum, mean, var }
    }
}

/// Pairwise summation (as numpy does) for accurate sums of long columns.
pub fn pairwise_sum(v: &[f64]) -> f64 {
    if v.len() <= 128 {
        let mut acc = [0.0f64; 8];
        let chunks = v.chunks_exact(8);
        let rest = chunks.remainder();
        for c in chunks {
            for i in 0..8 {
                acc[i] += c[i];
            }
        }
        let mut s =
            ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for x in rest {
            s += x;
        }
        s
    } else {
        let mid = (v.len() / 2) & !7;
        let mid = if mid == 0 { v.len() / 2 } else { mid };
        pairwise_sum(&v[..mid]) + pairwise_sum(&v[mid..])
    }
}

/// Percentile `q` (0–100) of sorted values by linear interpolation between order
/// statistics, as `numpy.percentile`'s default. NaN when empty.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = (q / 100.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    if lo == hi {
        sorted[lo]
    } else {
        lerp(sorted[lo], sorted[hi], frac)
    }
}

/// The value a fraction `frac` of the way from order statistic `a` to `b`, in numpy's lerp
/// form: a + (b − a)·t, with the symmetric form for t ≥ 0.5 (shared by every back end, so a
/// percentile is bit-identical wherever its order statistics were found).
pub fn lerp(a: f64, b: f64, frac: f64) -> f64 {
    let d = b - a;
    if frac >= 0.5 {
        b - d * (1.0 - frac)
    } else {
        a + d * frac
    }
}

/// Where percentile `q` (0–100) of `n` sorted values falls: the 0-based lower order
/// statistic and the fraction toward the next.
pub fn percentile_position(n: u64, q: f64) -> (u64, f64) {
    let pos = (q / 100.0) * n.saturating_sub(1) as f64;
    let lo = pos.floor();
    (lo as u64, pos - lo)
}

/// Several percentiles of unsorted values (reorders `values` in place). Uses selection,
/// not a full sort: only the order statistics around each percentile are located.
/// `qs` must be ascending.
pub fn percentiles(values: &mut [f64], qs: &[f64]) -> Vec<f64> {
    let n = values.len();
    if n == 0 {
        return vec![f64::NAN; qs.len()];
    }
    let mut out = Vec::with_capacity(qs.len());
    let mut from = 0usize; // values[..from] are all <= values[from..]
    let mut known: Vec<(usize, f64)> = Vec::new();
    let mut stat = |values: &mut [f64], from: &mut usize, k: usize| -> f64 {
        if let Some(&(_, v)) = known.iter().find(|(i, _)| *i == k) {
            return v;
        }
        let v = order_stat(values, from, k);
        known.push((k, v));
        v
    };
    for &q in qs {
        let pos = (q / 100.0) * (n - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = pos.ceil() as usize;
        let frac = pos - lo as f64;
        let a = stat(values, &mut from, lo);
        let b = if hi == lo {
            a
        } else {
            stat(values, &mut from, hi)
        };
        out.push(if hi == lo {
            a
        } else {
            let d = b - a;
            if frac >= 0.5 {
                b - d * (1.0 - frac)
            } else {
                a + d * frac
            }
        });
    }
    out
}

/// The k-th smallest value (0-based), selecting within `values[*from..]` when k >= from.
fn order_stat(values: &mut [f64], from: &mut usize, k: usize) -> f64 {
    if k < *from {
        // percentiles out of order: select in the left part (ascending `qs` never get here)
        let (_, kth, _) = values[..*from].select_nth_unstable_by(k, f64::total_cmp);
        return *kth;
    }
    let start = *from;
    let (_, kth, _) = values[start..].select_nth_unstable_by(k - start, f64::total_cmp);
    let v = *kth;
    *from = k;
    v
}

/// Two-sided p-value of a standard normal statistic.
pub fn normal_two_sided_p(z: f64) -> f64 {
    normal::two_sided_p(z)
}

/// Quantile of the standard normal distribution.
pub fn normal_quantile(p: f64) -> f64 {
    normal::quantile(p)
}

/// Two-sided p-value of a Student t statistic with `df` degrees of freedom (NaN for a
/// NaN statistic or invalid df, 0 for an infinite statistic).
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_infinite() {
        return 0.0;
    }
    student_t::two_sided_p(t, df)
}

/// Quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    student_t::quantile(p, df)
}

/// Upper tail of the chi-square distribution.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    chi_squared::sf(x, df)
}

/// Area under the ROC curve of `scores` against 0/1 `labels`, ties by mid-ranks (equal to
/// sklearn's `roc_auc_score`). `None` when only one class is present.
pub fn auc(scores: &[f64], labels: &[f64]) -> Option<f64> {
    let (mut pos, mut neg): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    for (s, l) in scores.iter().zip(labels) {
        if *l == 1.0 {
            pos.push(*s);
        } else {
            neg.push(*s);
        }
    }
    auc_split(&mut neg, &mut pos)
}

/// AUC from the scores of negatives and positives (Mann–Whitney U, mid-ranks for ties);
/// sorts both slices in place. `None` when either class is empty.
pub fn auc_split(neg: &mut [f64], pos: &mut [f64]) -> Option<f64> {
    if neg.is_empty() || pos.is_empty() {
        return None;
    }
    neg.sort_unstable_by(f64::total_cmp);
    pos.sort_unstable_by(f64::total_cmp);
    let (n, p) = (&*neg, &*pos);
    // Mann–Whitney U: for each positive, negatives below it plus half the ties
    let (mut lo, mut hi) = (0usize, 0usize);
    let mut u = 0.0f64;
    for &x in p {
        while lo < n.len() && n[lo] < x {
            lo += 1;
        }
        if hi < lo {
            hi = lo;
        }
        while hi < n.len() && n[hi] <= x {
            hi += 1;
        }
        u += lo as f64 + (hi - lo) as f64 / 2.0;
    }
    Some(u / (n.len() as f64 * p.len() as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_selection_match_sorting() {
        let mut rng = crate::sample::Rng::new(3);
        for n in [1usize, 2, 3, 7, 100, 1001] {
            let v: Vec<f64> = (0..n).map(|_| (rng.uniform() * 50.0).round()).collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let qs = [0.0, 1.0, 50.0, 50.0, 95.0, 99.0, 100.0];
            let got = percentiles(&mut v.clone(), &qs);
            for (g, q) in got.iter().zip(qs) {
                assert_eq!(*g, percentile_sorted(&sorted, q), "n={n} q={q}");
            }
        }
    }

    #[test]
    fn percentiles_match_numpy_linear() {
        let mut v = vec![1.0, 2.0, 3.0, 4.0, 10.0];
        let p = percentiles(&mut v, &[50.0, 95.0, 99.0, 0.0, 100.0]);
        for (a, b) in p.iter().zip([3.0, 8.8, 9.76, 1.0, 10.0]) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    #[test]
    fn auc_with_ties() {
        let s = [0.1, 0.4, 0.35, 0.8, 0.4];
        let l = [0.0, 0.0, 1.0, 1.0, 1.0];
        // sklearn.metrics.roc_auc_score -> 0.75
        assert!((auc(&s, &l).unwrap() - 0.75).abs() < 1e-15);
        assert_eq!(auc(&s, &[1.0; 5]), None);
        let split = auc_split(&mut [0.1, 0.4], &mut [0.35, 0.8, 0.4]).unwrap();
        assert!((split - 0.75).abs() < 1e-15);
    }

    #[test]
    fn moments() {
        let m = Moments::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!((m.n, m.mean, m.var), (4, 2.5, 5.0 / 3.0));
    }
}
