//! Welch's unequal-variance t-test (as scipy's `ttest_ind(equal_var=False)`), with a
//! Welch–Satterthwaite interval for the difference of means (treatment − control).

use super::stats::{t_quantile, t_two_sided_p, Moments};

/// Result of comparing two means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WelchTest {
    /// Treatment mean − control mean.
    pub diff: f64,
    /// Interval for the difference.
    pub ci_low: f64,
    /// Interval for the difference.
    pub ci_high: f64,
    /// t statistic.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Tests treatment against control with a `1 − alpha` interval.
pub fn welch_t(control: &Moments, treatment: &Moments, alpha: f64) -> WelchTest {
    let (n1, n2) = (control.n as f64, treatment.n as f64);
    let a = control.var / n1;
    let b = treatment.var / n2;
    let se2 = a + b;
    let se = se2.sqrt();
    let diff = treatment.mean - control.mean;
    let t = diff / se;
    let df = se2 * se2 / (a * a / (n1 - 1.0) + b * b / (n2 - 1.0));
    let p_value = if se == 0.0 {
        if diff == 0.0 {
            f64::NAN
        } else {
            0.0
        }
    } else {
        t_two_sided_p(t, df)
    };
    let crit = t_quantile(1.0 - alpha / 2.0, df);
    WelchTest {
        diff,
        ci_low: diff - crit * se,
        ci_high: diff + crit * se,
        t,
        df,
        p_value,
    }
}
