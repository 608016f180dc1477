//! DeLong's test of two correlated AUCs on the same cases, computed the fast way (Sun & Xu
//! 2014): the structural components from midranks, O(n log n) per model, instead of the
//! O(m·n) pairwise comparisons of DeLong, DeLong & Clarke-Pearson (1988).

use crate::analysis::dist::normal;
pub use crate::report::paired::DeLong;

/// Midranks (1-based, ties averaged) of `x`.
fn midranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut out = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            out[k] = r;
        }
        i = j + 1;
    }
    out
}

/// AUC and the structural components (V10 over positives, V01 over negatives) of one
/// model's scores.
fn components(pos: &[f64], neg: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
    let (m, n) = (pos.len(), neg.len());
    let all: Vec<f64> = pos.iter().chain(neg).copied().collect();
    let tz = midranks(&all);
    let tx = midranks(pos);
    let ty = midranks(neg);
    let v10: Vec<f64> = (0..m).map(|i| (tz[i] - tx[i]) / n as f64).collect();
    let v01: Vec<f64> = (0..n)
        .map(|j| 1.0 - (tz[m + j] - ty[j]) / m as f64)
        .collect();
    let auc = v10.iter().sum::<f64>() / m as f64;
    (auc, v10, v01)
}

/// Sample covariance (ddof 1).
fn cov(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (n - 1.0)
}

/// DeLong's paired test of the challenger's AUC against the champion's, on the same
/// cases (`labels` 1 = positive); None without two positives and two negatives.
pub fn delong(champion: &[f64], challenger: &[f64], labels: &[bool], alpha: f64) -> Option<DeLong> {
    let split = |s: &[f64]| {
        let pos: Vec<f64> = s
            .iter()
            .zip(labels)
            .filter(|x| *x.1)
            .map(|x| *x.0)
            .collect();
        let neg: Vec<f64> = s
            .iter()
            .zip(labels)
            .filter(|x| !*x.1)
            .map(|x| *x.0)
            .collect();
        (pos, neg)
    };
    let (pa, na) = split(champion);
    let (pb, nb) = split(challenger);
    let (m, n) = (pa.len(), na.len());
    if m < 2 || n < 2 {
        return None;
    }
    let (auc_a, v10a, v01a) = components(&pa, &na);
    let (auc_b, v10b, v01b) = components(&pb, &nb);
    let s10 = [cov(&v10a, &v10a), cov(&v10b, &v10b), cov(&v10a, &v10b)];
    let s01 = [cov(&v01a, &v01a), cov(&v01b, &v01b), cov(&v01a, &v01b)];
    let s = |i: usize| s10[i] / m as f64 + s01[i] / n as f64;
    let variance = s(0) + s(1) - 2.0 * s(2);
    let se = variance.max(0.0).sqrt();
    let diff = auc_b - auc_a;
    let z = diff / se;
    let crit = normal::quantile(1.0 - alpha / 2.0);
    Some(DeLong {
        auc_champion: auc_a,
        auc_challenger: auc_b,
        diff,
        variance,
        se,
        z,
        p_value: if se > 0.0 {
            normal::two_sided_p(z)
        } else {
            f64::NAN
        },
        ci_low: diff - crit * se,
        ci_high: diff + crit * se,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The O(m·n) definition.
    fn slow_auc(pos: &[f64], neg: &[f64]) -> f64 {
        let mut s = 0.0;
        for x in pos {
            for y in neg {
                s += if x > y {
                    1.0
                } else if x == y {
                    0.5
                } else {
                    0.0
                };
            }
        }
        s / (pos.len() * neg.len()) as f64
    }

    #[test]
    fn auc_matches_the_pairwise_definition_with_ties() {
        let pos = [0.9, 0.8, 0.8, 0.3, 0.6];
        let neg = [0.1, 0.8, 0.4, 0.3, 0.2, 0.6];
        let (auc, _, _) = components(&pos, &neg);
        assert!((auc - slow_auc(&pos, &neg)).abs() < 1e-15);
    }

    #[test]
    fn identical_models_have_no_difference() {
        let s = [0.1, 0.4, 0.35, 0.8, 0.7, 0.2];
        let l = [false, false, true, true, true, false];
        let d = delong(&s, &s, &l, 0.05).unwrap();
        assert_eq!(d.diff, 0.0);
        assert!(d.variance.abs() < 1e-15);
    }
}
