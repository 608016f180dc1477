//! McNemar's test of paired failures, as statsmodels' `mcnemar`: exact (two-sided binomial
//! at 1/2 on the discordant pairs) below 25 discordant pairs, else chi-square with
//! continuity correction, (|b − c| − 1)² / (b + c), on 1 df.

use crate::analysis::dist::{beta_reg, chi_squared};
pub use crate::report::paired::McNemar;

/// P(X ≤ k) for X ~ Binomial(n, 1/2).
fn binom_half_cdf(k: u64, n: u64) -> f64 {
    if k >= n {
        return 1.0;
    }
    // P(X ≤ k) = I_{1/2}(n − k, k + 1)
    beta_reg((n - k) as f64, (k + 1) as f64, 0.5)
}

/// statsmodels `mcnemar([[·, b], [c, ·]], exact = b + c < 25, correction = True)`.
pub fn mcnemar(b: u64, c: u64) -> McNemar {
    let n = b + c;
    let exact = n < 25;
    if exact {
        let k = b.min(c);
        McNemar {
            b,
            c,
            statistic: Some(k as f64),
            p_value: Some((2.0 * binom_half_cdf(k, n)).min(1.0)),
            exact,
        }
    } else {
        let d = (b as f64 - c as f64).abs() - 1.0;
        let stat = d * d / n as f64;
        McNemar {
            b,
            c,
            statistic: Some(stat),
            p_value: Some(chi_squared::sf(stat, 1.0)),
            exact,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_chi_square_branches() {
        // binom.cdf(3, 12, .5) * 2 = 0.14599609375
        let m = mcnemar(3, 9);
        assert!(m.exact);
        assert!((m.p_value.unwrap() - 0.146_0).abs() < 1e-4);
        assert_eq!(mcnemar(0, 0).p_value, Some(1.0));
        let m = mcnemar(40, 22);
        assert!(!m.exact);
        // (18 - 1)^2 / 62
        assert!((m.statistic.unwrap() - 289.0 / 62.0).abs() < 1e-12);
    }
}
