//! Two-proportion z-test (pooled standard error, as statsmodels' `proportions_ztest`) with
//! an unpooled Wald interval for the difference. Differences are treatment − control.

use super::stats::{normal_quantile, normal_two_sided_p};

/// Result of comparing two rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionTest {
    /// Control rate.
    pub control_rate: f64,
    /// Treatment rate.
    pub treatment_rate: f64,
    /// Treatment − control.
    pub diff: f64,
    /// Wald interval for the difference.
    pub ci_low: f64,
    /// Wald interval for the difference.
    pub ci_high: f64,
    /// z statistic (positive when treatment is higher).
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Tests `x_t / n_t` against `x_c / n_c` with a `1 − alpha` interval.
pub fn two_proportion_z(x_c: f64, n_c: f64, x_t: f64, n_t: f64, alpha: f64) -> ProportionTest {
    let pc = x_c / n_c;
    let pt = x_t / n_t;
    let diff = pt - pc;
    let pooled = (x_c + x_t) / (n_c + n_t);
    let se_pooled = (pooled * (1.0 - pooled) * (1.0 / n_c + 1.0 / n_t)).sqrt();
    let z = diff / se_pooled;
    let p_value = normal_two_sided_p(z);
    let se = (pc * (1.0 - pc) / n_c + pt * (1.0 - pt) / n_t).sqrt();
    let crit = normal_quantile(1.0 - alpha / 2.0);
    ProportionTest {
        control_rate: pc,
        treatment_rate: pt,
        diff,
        ci_low: diff - crit * se,
        ci_high: diff + crit * se,
        z,
        p_value,
    }
}
