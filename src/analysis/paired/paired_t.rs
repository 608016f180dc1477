//! The paired t-test of per-request differences (scipy's `ttest_rel`), with the t interval
//! of the mean difference.

use crate::analysis::dist::student_t;
use serde::{Deserialize, Serialize};

/// Mean of the differences with its t interval and p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedT {
    /// Pairs.
    pub n: u64,
    /// Mean difference.
    pub mean: f64,
    /// t statistic (null without spread).
    pub t: Option<f64>,
    /// n − 1.
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: Option<f64>,
    /// Interval at 1 − alpha.
    pub ci_low: Option<f64>,
    /// Interval at 1 − alpha.
    pub ci_high: Option<f64>,
}

/// The paired t-test of `d` (two passes: mean, then centred squares).
pub fn paired_t(d: &[f64], alpha: f64) -> PairedT {
    let n = d.len();
    let mean = d.iter().sum::<f64>() / n as f64;
    let df = n as f64 - 1.0;
    if n < 2 {
        return PairedT {
            n: n as u64,
            mean,
            t: None,
            df,
            p_value: None,
            ci_low: None,
            ci_high: None,
        };
    }
    let ss: f64 = d.iter().map(|x| (x - mean) * (x - mean)).sum();
    let se = (ss / df / n as f64).sqrt();
    let ok = se > 0.0 && se.is_finite();
    let t = mean / se;
    let crit = student_t::quantile(1.0 - alpha / 2.0, df);
    PairedT {
        n: n as u64,
        mean,
        t: ok.then_some(t),
        df,
        p_value: ok.then(|| student_t::two_sided_p(t, df)),
        ci_low: ok.then(|| mean - crit * se),
        ci_high: ok.then(|| mean + crit * se),
    }
}
