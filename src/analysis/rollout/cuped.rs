//! CUPED: each unit's metric total adjusted by its user's pre-period total, as gbstats 0.8's
//! `RegressionAdjustedStatistic` with θ from `compute_theta` (pooled over both groups).
//!
//! The covariate of a user is their metric total over the pre-period (the log's rows
//! before `experiment_start`, or the `pre_period` files), or their mean of a declared
//! covariate column; users without one have 0. Every (user, group, stage) unit contributes
//! (post = the unit's total, pre = its user's covariate).

use super::unit_stats::{two_sided_t, RatioMoments, UnitStatistic, UnitTest};
use super::units::{UnitSums, Units, UserGroups};

/// The covariate of every pair's user, for one tested column.
#[derive(Debug, Clone, Default)]
pub struct Covariate {
    /// Per pair: the user's covariate (0 without pre-period data).
    pub value: Vec<f64>,
}

/// What CUPED needs beside the units: per tested column its covariate (None: the column
/// is not adjusted), and which pairs' users have one.
#[derive(Debug, Clone, Default)]
pub struct Covariates {
    /// Aligned with the tested columns.
    pub columns: Vec<Option<Covariate>>,
    /// Per pair: the user has pre-period data.
    pub has: Vec<bool>,
}

/// Per (stage, group) cell: moments of (post, pre) over the units with rows of the column.
pub fn cells(
    units: &Units,
    pairs: &UserGroups,
    sums: &UnitSums,
    cov: &Covariate,
    has: &[bool],
    stages: usize,
    k: usize,
) -> (Vec<RatioMoments>, Vec<u64>) {
    let cells = stages * k;
    let mut with = vec![0u64; cells];
    for u in 0..units.len() {
        let p = units.pair[u] as usize;
        if sums.d(u) > 0 && has[p] {
            with[units.stage[u] as usize * k + pairs.group[p] as usize] += 1;
        }
    }
    let out = super::units::moments_by_cell(units, pairs, sums, stages, k, |u| {
        (sums.m(u), cov.value[units.pair[u] as usize])
    });
    (out, with)
}

/// gbstats `compute_theta`: cov(post, pre) / var(pre) over both groups' units together;
/// 0 when either variance is 0.
pub fn theta(a: &RatioMoments, b: &RatioMoments) -> f64 {
    let j = a.merge(b);
    if j.n < 2 {
        return 0.0;
    }
    let k = j.n as f64 - 1.0;
    let (vpost, vpre, cov) = (j.css_m / k, j.css_d / k, j.csp_md / k);
    if vpre == 0.0 || vpost == 0.0 {
        return 0.0;
    }
    cov / vpre
}

/// gbstats `RegressionAdjustedStatistic` of one cell: mean post − θ·mean pre, variance
/// var(post) + θ²·var(pre) − 2θ·cov; the unadjusted mean is the post mean.
pub fn adjusted(m: &RatioMoments, theta: f64) -> UnitStatistic {
    let k = m.n as f64 - 1.0;
    let (vpost, vpre, cov) = (m.css_m / k, m.css_d / k, m.csp_md / k);
    UnitStatistic {
        n: m.n,
        mean: m.mean_m - theta * m.mean_d,
        variance: vpost + theta * theta * vpre - 2.0 * theta * cov,
        unadjusted_mean: m.mean_m,
    }
}

/// gbstats `SampleMeanStatistic` of the post totals.
pub fn unadjusted(m: &RatioMoments) -> UnitStatistic {
    UnitStatistic {
        n: m.n,
        mean: m.mean_m,
        variance: m.mean_variance(),
        unadjusted_mean: m.mean_m,
    }
}

/// The adjusted and unadjusted tests of one stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CupedTest {
    /// θ.
    pub theta: f64,
    /// Control's adjusted statistic.
    pub control: UnitStatistic,
    /// Treatment's adjusted statistic.
    pub treatment: UnitStatistic,
    /// The adjusted test.
    pub adjusted: UnitTest,
    /// The test of the post totals alone.
    pub unadjusted: UnitTest,
}

impl CupedTest {
    /// 1 − var(adjusted difference) / var(unadjusted difference).
    pub fn variance_reduction(&self) -> f64 {
        1.0 - self.adjusted.variance / self.unadjusted.variance
    }
}

/// The CUPED test of treatment cell `b` against control cell `a` (both with ≥ 2 units).
pub fn test(a: &RatioMoments, b: &RatioMoments, alpha: f64) -> CupedTest {
    let th = theta(a, b);
    let (sa, sb) = (adjusted(a, th), adjusted(b, th));
    CupedTest {
        theta: th,
        control: sa,
        treatment: sb,
        adjusted: two_sided_t(&sa, &sb, alpha),
        unadjusted: two_sided_t(&unadjusted(a), &unadjusted(b), alpha),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theta_recovers_a_linear_relation() {
        // post = 2·pre + noise-free: θ = 2 and no variance left
        let a = RatioMoments::of((0..50).map(|i| (2.0 * i as f64 + 1.0, i as f64)));
        let b = RatioMoments::of((0..40).map(|i| (2.0 * i as f64 + 1.0, i as f64)));
        let t = test(&a, &b, 0.05);
        assert!((t.theta - 2.0).abs() < 1e-9, "{}", t.theta);
        assert!(t.variance_reduction() > 0.99);
    }

    #[test]
    fn no_covariate_is_the_plain_test() {
        let a = RatioMoments::of((0..30).map(|i| ((i % 7) as f64, 0.0)));
        let b = RatioMoments::of((0..30).map(|i| ((i % 5) as f64, 0.0)));
        let t = test(&a, &b, 0.05);
        assert_eq!(t.theta, 0.0);
        assert_eq!(t.adjusted.diff, t.unadjusted.diff);
        assert_eq!(t.variance_reduction(), 0.0);
    }
}
