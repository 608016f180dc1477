//! Fixed-horizon and always-valid inference on an estimate with its variance.
//!
//! The always-valid test is gbstats 0.8's `SequentialTwoSidedTTest`: the normal-mixture
//! confidence sequence of Waudby-Smith et al. (2023, eq. 9) with ρ tuned to N* (eq. 161) and
//! the p-value min(1, 1/e) of its e-value (eq. 155). Looking at it after every new unit keeps
//! the chance of ever excluding a true zero effect below alpha.

use crate::plan::Inference;
use crate::report::{FixedResult, Precision, QuantileTest, TestResult};

/// The inference every test of one analysis follows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InferenceSettings {
    /// Sequential or fixed.
    pub mode: Inference,
    /// Significance level.
    pub alpha: f64,
    /// N*, the sample size the sequential test is tuned for.
    pub tuning: f64,
}

/// ρ of the mixture, tuned so the boundary is tightest near N* units (eq. 161).
pub fn rho(alpha: f64, tuning: f64) -> f64 {
    let l = -2.0 * alpha.ln();
    ((l + (l + 1.0).ln()) / tuning).sqrt()
}

/// Half-width of the always-valid interval of an estimate with variance `variance` after
/// `n` units in both groups together (s² = variance · n).
pub fn sequential_half_width(variance: f64, n: f64, alpha: f64, tuning: f64) -> f64 {
    let r = rho(alpha, tuning);
    let nr2 = n * r * r;
    let s2 = variance * n;
    s2.sqrt() * (2.0 * (nr2 + 1.0) * ((nr2 + 1.0).sqrt() / alpha).ln() / (n * r).powi(2)).sqrt()
}

/// Always-valid two-sided p-value of `estimate − null` (min(1, 1/e-value)).
pub fn sequential_p(estimate: f64, variance: f64, n: f64, alpha: f64, tuning: f64) -> f64 {
    let r = rho(alpha, tuning);
    let st2 = estimate * estimate * n / variance;
    let tr2p1 = n * r * r + 1.0;
    // ln e = ρ²·st²/(2(Nρ²+1)) − ln √(Nρ²+1); in logs so a large e does not overflow
    let ln_e = r * r * st2 / (2.0 * tr2p1) - 0.5 * tr2p1.ln();
    (-ln_e).exp().min(1.0)
}

/// What an estimate's interval needs besides its value: its variance, the relative lift's
/// variance when known, and the units behind it (both groups).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Variance of the difference.
    pub variance: f64,
    /// Variance of the relative lift (None: the relative interval is the difference's
    /// interval over the control value).
    pub relative_variance: Option<f64>,
    /// Units in both groups (N).
    pub n: f64,
}

impl Spread {
    fn usable(&self) -> bool {
        self.variance.is_finite() && self.variance > 0.0 && self.n > 0.0
    }
}

/// An always-valid interval and p for one estimate.
pub fn sequential(estimate: f64, spread: &Spread, s: &InferenceSettings) -> Option<Sequential> {
    if !spread.usable() || !estimate.is_finite() {
        return None;
    }
    let w = sequential_half_width(spread.variance, spread.n, s.alpha, s.tuning);
    Some(Sequential {
        ci: (estimate - w, estimate + w),
        p_value: sequential_p(estimate, spread.variance, spread.n, s.alpha, s.tuning),
    })
}

/// An always-valid interval and p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sequential {
    /// Interval.
    pub ci: (f64, f64),
    /// p-value.
    pub p_value: f64,
}

/// The always-valid interval of the difference, its p-value and the relative interval:
/// from the relative variance when known, else None (the caller derives it).
fn always_valid(
    diff: f64,
    relative: Option<f64>,
    spread: Option<&Spread>,
    s: &InferenceSettings,
) -> (Option<Sequential>, Option<(f64, f64)>) {
    let Some(sp) = spread else {
        return (None, None);
    };
    let seq = sequential(diff, sp, s);
    let rel = match (relative, sp.relative_variance) {
        (Some(r), Some(rv)) => sequential(
            r,
            &Spread {
                variance: rv,
                relative_variance: None,
                n: sp.n,
            },
            s,
        )
        .map(|q| q.ci),
        _ => None,
    };
    (seq, rel)
}

/// The precision kept for guardrails and power: none without a usable variance (a zero
/// variance decides nothing).
fn precision(spread: Option<&Spread>, df: Option<f64>) -> Option<Precision> {
    spread.filter(|sp| sp.usable()).map(|sp| Precision {
        variance: sp.variance,
        relative_variance: sp.relative_variance,
        n: sp.n,
        df,
    })
}

/// Keeps the row's fixed-horizon numbers in `fixed` and, for sequential inference, replaces
/// its interval, p-value and relative interval with the always-valid ones. `significant`
/// is set by the caller from the p-value that applies.
pub fn apply(row: &mut TestResult, spread: Option<&Spread>, s: &InferenceSettings) {
    row.fixed = FixedResult {
        p_value: row.p_value,
        ci_low: row.ci_low,
        ci_high: row.ci_high,
        significant: row.p_value.is_some_and(|p| p < s.alpha),
    };
    row.precision = precision(spread, row.df);
    if s.mode == Inference::Fixed {
        return;
    }
    let (seq, rel) = always_valid(row.diff, row.relative_lift, spread, s);
    row.ci_low = seq.map(|q| q.ci.0);
    row.ci_high = seq.map(|q| q.ci.1);
    row.p_value = seq.map(|q| q.p_value);
    match rel {
        Some((lo, hi)) => {
            row.relative_lift_ci_low = Some(lo);
            row.relative_lift_ci_high = Some(hi);
        }
        None => {
            // the relative interval is the difference's interval over the control value
            row.relative_lift = None;
            row.relative_lift_ci_low = None;
            row.relative_lift_ci_high = None;
        }
    }
}

/// [`apply`] for a percentile test, which also sets `significant`.
pub fn apply_quantile(
    row: &mut QuantileTest,
    spread: &Spread,
    df: Option<f64>,
    s: &InferenceSettings,
) {
    row.fixed = FixedResult {
        p_value: row.p_value,
        ci_low: row.ci_low,
        ci_high: row.ci_high,
        significant: row.p_value.is_some_and(|p| p < s.alpha),
    };
    row.precision = precision(Some(spread), df);
    if s.mode == Inference::Sequential {
        let (seq, rel) = always_valid(row.diff, row.relative_lift, Some(spread), s);
        row.ci_low = seq.map(|q| q.ci.0);
        row.ci_high = seq.map(|q| q.ci.1);
        row.p_value = seq.map(|q| q.p_value);
        row.relative_lift_ci_low = rel.map(|r| r.0);
        row.relative_lift_ci_high = rel.map(|r| r.1);
    }
    row.significant = row.p_value.is_some_and(|p| p < s.alpha);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wider_than_fixed_and_shrinking() {
        let s = InferenceSettings {
            mode: Inference::Sequential,
            alpha: 0.05,
            tuning: 5000.0,
        };
        // variance of a mean difference with unit variance per unit: 4/n
        let mut last = f64::INFINITY;
        for n in [100.0, 1000.0, 10_000.0, 100_000.0] {
            let w = sequential_half_width(4.0 / n, n, s.alpha, s.tuning);
            assert!(w > 1.959964 * (4.0 / n).sqrt(), "n={n}");
            assert!(w < last);
            last = w;
        }
        assert_eq!(sequential_p(0.0, 1.0, 100.0, 0.05, 5000.0), 1.0);
        assert!(sequential_p(1e6, 1.0, 100.0, 0.05, 5000.0) == 0.0);
    }
}
