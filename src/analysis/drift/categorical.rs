//! Drift statistics of one categorical feature from its category counts: chi-square test
//! of homogeneity on the 2×k table, PSI over categories and each category's share change.

use super::numeric::{floored_shares, psi};
use crate::analysis::stats::chi2_sf;
use crate::report::drift::CategoryShare;

/// Categorical drift statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalStats {
    /// Chi-square statistic (no continuity correction).
    pub chi2: f64,
    /// Degrees of freedom, categories - 1.
    pub dof: u64,
    /// p-value.
    pub p_value: f64,
    /// PSI over categories (zero shares floored).
    pub psi: f64,
    /// Shares per category, largest absolute change first.
    pub shares: Vec<CategoryShare>,
}

/// Chi-square test of homogeneity on a 2×k table of counts: statistic, degrees of freedom
/// and p-value (`scipy.stats.chi2_contingency(..., correction=False)`). With one category
/// the statistic is 0 and p is 1.
pub fn chi2_homogeneity(reference: &[u64], current: &[u64]) -> (f64, u64, f64) {
    let k = reference.len();
    let (nr, nc): (u64, u64) = (reference.iter().sum(), current.iter().sum());
    let total = (nr + nc) as f64;
    if k < 2 || nr == 0 || nc == 0 {
        return (0.0, k.saturating_sub(1) as u64, 1.0);
    }
    let mut stat = crate::analysis::columns::Neumaier::default();
    for (r, c) in reference.iter().zip(current) {
        let col = (r + c) as f64;
        for (obs, row) in [(*r, nr), (*c, nc)] {
            let expected = row as f64 * col / total;
            let d = obs as f64 - expected;
            stat.add(d * d / expected);
        }
    }
    let stat = stat.total();
    let dof = (k - 1) as u64;
    (stat, dof, chi2_sf(stat, dof as f64))
}

/// All categorical statistics from aligned counts (`names[i]` has `reference[i]` and
/// `current[i]`).
pub fn categorical_stats(names: &[String], reference: &[u64], current: &[u64]) -> CategoricalStats {
    let (chi2, dof, p_value) = chi2_homogeneity(reference, current);
    let psi = psi(&floored_shares(reference), &floored_shares(current));
    let share = |c: &[u64], i: usize| {
        let t: u64 = c.iter().sum();
        if t == 0 {
            0.0
        } else {
            c[i] as f64 / t as f64
        }
    };
    let mut shares: Vec<CategoryShare> = names
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (r, c) = (share(reference, i), share(current, i));
            CategoryShare {
                value: v.clone(),
                reference: r,
                current: c,
                change: c - r,
            }
        })
        .collect();
    shares.sort_by(|a, b| {
        b.change
            .abs()
            .total_cmp(&a.change.abs())
            .then_with(|| a.value.cmp(&b.value))
    });
    CategoricalStats {
        chi2,
        dof,
        p_value,
        psi,
        shares,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_shares_give_zero() {
        let (s, dof, p) = chi2_homogeneity(&[10, 20, 30], &[20, 40, 60]);
        assert!(s.abs() < 1e-12);
        assert_eq!(dof, 2);
        assert!((p - 1.0).abs() < 1e-12);
    }

    #[test]
    fn new_category_counts() {
        let st = categorical_stats(
            &["a".into(), "b".into(), "new".into()],
            &[50, 50, 0],
            &[40, 40, 20],
        );
        assert!(st.chi2 > 0.0);
        assert_eq!(st.shares[0].value, "new");
        assert!((st.shares[0].change - 0.2).abs() < 1e-12);
    }
}
