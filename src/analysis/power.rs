//! Sample size per group for a two-proportion test:
//! n = (z₁₋α/₂·√(2·p̄(1−p̄)) + z₁₋β·√(p1(1−p1)+p2(1−p2)))² / δ².

use super::stats::normal_quantile;

/// Required observations per group to detect `p1 → p2` at `alpha` (two-sided) with `power`.
/// Not rounded; callers round up.
pub fn required_n_per_group(p1: f64, p2: f64, alpha: f64, power: f64) -> f64 {
    let delta = p2 - p1;
    let pbar = (p1 + p2) / 2.0;
    let za = normal_quantile(1.0 - alpha / 2.0);
    let zb = normal_quantile(power);
    let num =
        za * (2.0 * pbar * (1.0 - pbar)).sqrt() + zb * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    num * num / (delta * delta)
}
