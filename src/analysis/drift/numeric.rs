//! Drift statistics of one numeric feature from the sorted reference and current values:
//! two-sample KS, Wasserstein-1 and PSI on the reference deciles.

use super::kstwo::kstwo_sf;
use crate::analysis::stats::{pairwise_sum, percentile_sorted};
use crate::report::drift::Bin;

/// Zero bin shares are replaced by this before PSI's logarithm.
pub const PSI_FLOOR: f64 = 1e-4;

/// Numeric drift statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericStats {
    /// KS statistic D.
    pub ks: f64,
    /// Asymptotic two-sided p-value (scipy's `ks_2samp(method="asymp")`).
    pub p_value: f64,
    /// Wasserstein-1 distance.
    pub wasserstein: f64,
    /// Reference standard deviation (ddof 0).
    pub reference_std: f64,
    /// Reference mean.
    pub reference_mean: f64,
    /// Current mean.
    pub current_mean: f64,
    /// PSI on the reference deciles.
    pub psi: f64,
    /// The ten bins.
    pub bins: Vec<Bin>,
}

/// Two-sample KS statistic on sorted samples: the largest gap between the empirical CDFs,
/// evaluated after every distinct pooled value (as scipy's `ks_2samp`).
pub fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    ks_and_wasserstein(a, b).0
}

/// KS statistic and Wasserstein-1 distance in one merge of two sorted samples.
///
/// Steps one value at a time (branch-free choice of the smaller head) and reads the CDF gap
/// only after the last copy of a value in both samples, i.e. at the real steps of both
/// empirical CDFs, exactly where scipy evaluates them.
pub fn ks_and_wasserstein(a: &[f64], b: &[f64]) -> (f64, f64) {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (r1, r2) = (1.0 / n1 as f64, 1.0 / n2 as f64);
    let at = |s: &[f64], k: usize| s.get(k).copied().unwrap_or(f64::INFINITY);
    let (mut i, mut j) = (0usize, 0usize);
    let (mut max, mut min) = (0.0f64, 0.0f64);
    // The area is a sum of non-negative terms: blocks of 512 summed plainly, blocks added
    // with compensation, which keeps the relative error far below 1e-12.
    let mut area = crate::analysis::columns::Neumaier::default();
    let mut block = 0.0;
    let mut in_block = 0u32;
    let (mut x, mut y) = (a[0], b[0]);
    let mut prev = x.min(y);
    let mut gap = 0.0;
    for _ in 0..n1 + n2 {
        // consume the smaller head without a branch; ties take from `a` first
        let take_a = x <= y;
        let v = if take_a { x } else { y };
        i += usize::from(take_a);
        j += usize::from(!take_a);
        x = at(a, i);
        y = at(b, j);
        // the CDFs are only read once every copy of `v` in both samples is consumed
        if x.min(y) != v {
            block += gap * (v - prev);
            in_block += 1;
            if in_block == 512 {
                area.add(block);
                block = 0.0;
                in_block = 0;
            }
            let d = i as f64 * r1 - j as f64 * r2;
            max = max.max(d);
            min = min.min(d);
            gap = d.abs();
            prev = v;
        }
    }
    area.add(block);
    ((-min).clamp(0.0, 1.0).max(max), area.total())
}

/// Asymptotic two-sided KS p-value for sample sizes `n1`, `n2`:
/// `kstwo.sf(d, round(m·n/(m+n)))`, rounding half to even as numpy does.
pub fn ks_p_value(d: f64, n1: usize, n2: usize) -> f64 {
    let (m, n) = if n1 >= n2 {
        (n1 as f64, n2 as f64)
    } else {
        (n2 as f64, n1 as f64)
    };
    let en = (m * n / (m + n)).round_ties_even();
    kstwo_sf(en as u64, d)
}

/// Wasserstein-1 distance between two sorted samples: the area between their empirical
/// CDFs, `∫ |F_a - F_b| dx`.
pub fn wasserstein(a: &[f64], b: &[f64]) -> f64 {
    ks_and_wasserstein(a, b).1
}

/// Inner PSI edges: the reference's 10th..90th percentiles (linear interpolation).
pub fn decile_edges(reference_sorted: &[f64]) -> Vec<f64> {
    (1..10)
        .map(|i| percentile_sorted(reference_sorted, i as f64 * 10.0))
        .collect()
}

/// Counts per bin `[e_i, e_{i+1})` with outer edges ±inf, as `numpy.histogram` with
/// those edges (values equal to an inner edge go to the bin above it).
pub fn bin_counts(sorted: &[f64], inner_edges: &[f64]) -> Vec<u64> {
    let mut below: Vec<usize> = vec![0];
    for e in inner_edges {
        below.push(sorted.partition_point(|x| x < e));
    }
    below.push(sorted.len());
    below.windows(2).map(|w| (w[1] - w[0]) as u64).collect()
}

/// Shares of a count vector, zero shares floored at [`PSI_FLOOR`].
pub fn floored_shares(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .map(|&c| {
            if c == 0 || total == 0 {
                PSI_FLOOR
            } else {
                c as f64 / total as f64
            }
        })
        .collect()
}

/// PSI = Σ (cur − ref)·ln(cur/ref) over floored shares.
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    reference
        .iter()
        .zip(current)
        .map(|(r, c)| (c - r) * (c / r).ln())
        .sum()
}

fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = pairwise_sum(values) / n;
    let mut ss = crate::analysis::columns::Neumaier::default();
    for x in values {
        ss.add((x - mean) * (x - mean));
    }
    (mean, (ss.total() / n).sqrt())
}

/// All numeric statistics of two sorted, non-empty samples.
pub fn numeric_stats(reference: &[f64], current: &[f64]) -> NumericStats {
    let (ks, wasserstein) = ks_and_wasserstein(reference, current);
    let p_value = ks_p_value(ks, reference.len(), current.len());
    let edges = decile_edges(reference);
    let rc = bin_counts(reference, &edges);
    let cc = bin_counts(current, &edges);
    let (rs, cs) = (floored_shares(&rc), floored_shares(&cc));
    let raw =
        |c: &[u64], n: usize| -> Vec<f64> { c.iter().map(|&x| x as f64 / n as f64).collect() };
    let (rr, cr) = (raw(&rc, reference.len()), raw(&cc, current.len()));
    let bins = (0..10)
        .map(|i| Bin {
            lo: if i == 0 { None } else { Some(edges[i - 1]) },
            hi: if i == 9 { None } else { Some(edges[i]) },
            reference: rr[i],
            current: cr[i],
        })
        .collect();
    let (reference_mean, reference_std) = mean_std(reference);
    NumericStats {
        ks,
        p_value,
        wasserstein,
        reference_std,
        reference_mean,
        current_mean: pairwise_sum(current) / current.len() as f64,
        psi: psi(&rs, &cs),
        bins,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_of_identical_samples_is_zero_and_of_disjoint_is_one() {
        let a = [1.0, 2.0, 3.0];
        assert_eq!(ks_statistic(&a, &a), 0.0);
        assert_eq!(ks_statistic(&a, &[4.0, 5.0]), 1.0);
        assert_eq!(ks_statistic(&[4.0, 5.0], &a), 1.0);
    }

    #[test]
    fn wasserstein_of_a_shift_is_the_shift() {
        let a: Vec<f64> = (0..100).map(f64::from).collect();
        let b: Vec<f64> = a.iter().map(|x| x + 2.5).collect();
        assert!((wasserstein(&a, &b) - 2.5).abs() < 1e-12);
    }

    #[test]
    fn bins_put_edge_values_above() {
        let counts = bin_counts(&[0.0, 1.0, 1.0, 2.0], &[1.0]);
        assert_eq!(counts, vec![1, 3]);
    }
}
