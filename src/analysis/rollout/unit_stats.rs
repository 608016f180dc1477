//! Unit-level sufficient statistics and the t-test GrowthBook's gbstats 0.8 runs on them:
//! `RatioStatistic` (per-unit sums m over per-unit counts d, delta-method variance) and
//! `SampleMeanStatistic` (one value per unit) inside `TwoSidedTTest`.
//!
//! The moments are kept centred (means plus centred sums of squares and products), so
//! merging units or stages never subtracts two large sums (no Σx² − (Σx)²/n).

use crate::analysis::dist::{normal, student_t};

/// Count, means and centred second moments of the per-unit pairs (m, d).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RatioMoments {
    /// Units (d > 0).
    pub n: u64,
    /// Σm over units.
    pub sum_m: f64,
    /// Σd over units.
    pub sum_d: f64,
    /// Mean of m.
    pub mean_m: f64,
    /// Mean of d.
    pub mean_d: f64,
    /// Σ(m − m̄)².
    pub css_m: f64,
    /// Σ(d − d̄)².
    pub css_d: f64,
    /// Σ(m − m̄)(d − d̄).
    pub csp_md: f64,
}

impl RatioMoments {
    /// Moments of the pairs, two passes.
    pub fn of(pairs: impl Iterator<Item = (f64, f64)> + Clone) -> Self {
        let (mut n, mut sm, mut sd) = (0u64, 0.0f64, 0.0f64);
        for (m, d) in pairs.clone() {
            n += 1;
            sm += m;
            sd += d;
        }
        if n == 0 {
            return Self::default();
        }
        let (mm, md) = (sm / n as f64, sd / n as f64);
        let (mut a, mut b, mut c) = (0.0, 0.0, 0.0);
        for (m, d) in pairs {
            let (x, y) = (m - mm, d - md);
            a += x * x;
            b += y * y;
            c += x * y;
        }
        Self {
            n,
            sum_m: sm,
            sum_d: sd,
            mean_m: mm,
            mean_d: md,
            css_m: a,
            css_d: b,
            csp_md: c,
        }
    }

    /// The moments of two disjoint sets of units together (Chan et al.'s pairwise update).
    pub fn merge(&self, o: &Self) -> Self {
        if self.n == 0 {
            return *o;
        }
        if o.n == 0 {
            return *self;
        }
        let n = self.n + o.n;
        let (na, nb, nf) = (self.n as f64, o.n as f64, n as f64);
        let dm = o.mean_m - self.mean_m;
        let dd = o.mean_d - self.mean_d;
        let w = na * nb / nf;
        Self {
            n,
            sum_m: self.sum_m + o.sum_m,
            sum_d: self.sum_d + o.sum_d,
            mean_m: self.mean_m + dm * nb / nf,
            mean_d: self.mean_d + dd * nb / nf,
            css_m: self.css_m + o.css_m + dm * dm * w,
            css_d: self.css_d + o.css_d + dd * dd * w,
            csp_md: self.csp_md + o.csp_md + dm * dd * w,
        }
    }

    /// The ratio Σm / Σd (gbstats' `mean`).
    pub fn ratio(&self) -> f64 {
        self.mean_m / self.mean_d
    }

    /// gbstats `RatioStatistic.variance`: the delta-method variance of the ratio per unit,
    /// var_m/d̄² − 2·cov·m̄/d̄³ + m̄²·var_d/d̄⁴ (ddof 1).
    pub fn ratio_variance(&self) -> f64 {
        let k = self.n as f64 - 1.0;
        let (vm, vd, cov) = (self.css_m / k, self.css_d / k, self.csp_md / k);
        let (m, d) = (self.mean_m, self.mean_d);
        vm / (d * d) - 2.0 * cov * m / (d * d * d) + m * m * vd / (d * d * d * d)
    }

    /// gbstats `SampleMeanStatistic` of the per-unit values m/d when d is the same for
    /// every unit's value (a per-unit constant): mean and variance (ddof 1) of m.
    pub fn mean_variance(&self) -> f64 {
        self.css_m / (self.n as f64 - 1.0)
    }
}

/// One group's statistic in a test: its mean and the variance of one unit's contribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitStatistic {
    /// Units.
    pub n: u64,
    /// Mean (a ratio Σm/Σd, or the mean of per-unit values).
    pub mean: f64,
    /// Variance per unit (delta method for ratios, sample variance for values).
    pub variance: f64,
    /// The mean before any regression adjustment (gbstats `unadjusted_mean`): the base of
    /// the relative lift.
    pub unadjusted_mean: f64,
}

/// gbstats `TwoSidedTTest` results, absolute (treatment − control) and relative
/// ((treatment − control) / control).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitTest {
    /// Treatment − control.
    pub diff: f64,
    /// Variance of the difference.
    pub variance: f64,
    /// Interval at 1 − alpha (t quantile with Welch–Satterthwaite df).
    pub ci: (f64, f64),
    /// t statistic of the difference.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value of the difference.
    pub p_value: f64,
    /// Relative lift (NaN when the control mean is 0).
    pub relative: f64,
    /// Variance of the relative lift.
    pub relative_variance: f64,
    /// Interval of the relative lift at 1 − alpha.
    pub relative_ci: (f64, f64),
}

/// gbstats `TwoSidedTTest` on two unit statistics at level `alpha`. The p-value is the
/// t distribution's two-sided tail (gbstats writes 2·(1 − cdf), equal where that does not
/// round to zero).
pub fn two_sided_t(a: &UnitStatistic, b: &UnitStatistic, alpha: f64) -> UnitTest {
    let (na, nb) = (a.n as f64, b.n as f64);
    let (va, vb) = (a.variance / na, b.variance / nb);
    let variance = va + vb;
    let df = variance * variance / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    let diff = b.mean - a.mean;
    let se = variance.sqrt();
    let t = diff / se;
    let p_value = if se > 0.0 {
        student_t::two_sided_p(t, df)
    } else {
        f64::NAN
    };
    let crit = student_t::quantile(1.0 - alpha / 2.0, df);
    let (ua, ub) = (a.unadjusted_mean, b.unadjusted_mean);
    let relative = diff / ua;
    let relative_variance = b.variance / (ua * ua * nb) + a.variance * ub * ub / ua.powi(4) / na;
    let rse = relative_variance.sqrt();
    UnitTest {
        diff,
        variance,
        ci: (diff - crit * se, diff + crit * se),
        t,
        df,
        p_value,
        relative,
        relative_variance,
        relative_ci: (relative - crit * rse, relative + crit * rse),
    }
}

/// An estimate with its variance, from one stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its variance.
    pub variance: f64,
}

/// Inverse-variance combination of per-stage estimates with Cochran's Q.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Combined {
    /// Σwᵢdᵢ / Σwᵢ.
    pub value: f64,
    /// 1 / Σwᵢ.
    pub variance: f64,
    /// z = value / √variance.
    pub z: f64,
    /// Two-sided normal p-value.
    pub p_value: f64,
    /// Normal interval at 1 − alpha.
    pub ci: (f64, f64),
    /// Cochran's Q = Σwᵢ(dᵢ − value)².
    pub q: f64,
    /// Stages − 1.
    pub q_df: f64,
    /// Q's chi-square p-value.
    pub q_p_value: f64,
    /// I² = max(0, (Q − df) / Q).
    pub i2: f64,
}

/// Combines estimates with weights 1/varianceᵢ (fixed effect) at level `alpha`.
pub fn combine(estimates: &[Estimate], alpha: f64) -> Combined {
    let w: Vec<f64> = estimates.iter().map(|e| 1.0 / e.variance).collect();
    let sw: f64 = w.iter().sum();
    let value = estimates
        .iter()
        .zip(&w)
        .map(|(e, w)| w * e.value)
        .sum::<f64>()
        / sw;
    let variance = 1.0 / sw;
    let se = variance.sqrt();
    let z = value / se;
    let crit = normal::quantile(1.0 - alpha / 2.0);
    let q: f64 = estimates
        .iter()
        .zip(&w)
        .map(|(e, w)| w * (e.value - value) * (e.value - value))
        .sum();
    let q_df = estimates.len() as f64 - 1.0;
    let q_p_value = if q_df >= 1.0 {
        crate::analysis::dist::chi_squared::sf(q, q_df)
    } else {
        f64::NAN
    };
    Combined {
        value,
        variance,
        z,
        p_value: if se > 0.0 {
            normal::two_sided_p(z)
        } else {
            f64::NAN
        },
        ci: (value - crit * se, value + crit * se),
        q,
        q_df,
        q_p_value,
        i2: if q > 0.0 {
            ((q - q_df) / q).max(0.0)
        } else {
            0.0
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_equals_one_pass() {
        let pairs: Vec<(f64, f64)> = (0..50)
            .map(|i| ((i * 7 % 11) as f64 + 1e6, (i % 4 + 1) as f64))
            .collect();
        let all = RatioMoments::of(pairs.iter().copied());
        let a = RatioMoments::of(pairs[..17].iter().copied());
        let b = RatioMoments::of(pairs[17..].iter().copied());
        let m = a.merge(&b);
        for (x, y) in [
            (all.css_m, m.css_m),
            (all.css_d, m.css_d),
            (all.csp_md, m.csp_md),
            (all.mean_m, m.mean_m),
        ] {
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{x} {y}");
        }
    }

    #[test]
    fn one_estimate_combines_to_itself() {
        let c = combine(
            &[Estimate {
                value: 0.3,
                variance: 0.01,
            }],
            0.05,
        );
        assert_eq!(c.value, 0.3);
        assert!((c.z - 3.0).abs() < 1e-12);
        assert_eq!(c.q, 0.0);
        assert!(c.q_p_value.is_nan());
    }
}
