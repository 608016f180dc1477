//! The paired t-test of per-request differences (scipy's `ttest_rel`), with the t interval
//! of the mean difference.

use crate::analysis::dist::student_t;
pub use crate::report::paired::PairedT;

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
        ci_low: ok.then_some(mean - crit * se),
        ci_high: ok.then_some(mean + crit * se),
    }
}
