//! Chi-squared distribution with real shape (degrees of freedom) `k > 0`.
//!
//! `cdf(x, k) = P(k/2, x/2)` and `sf(x, k) = Q(k/2, x/2)` (see the incomplete gamma
//! functions in `gamma.rs`: Temme's uniform expansion near the mean for `k >= 40`,
//! series / continued fraction elsewhere). Quantiles start from the Wilson-Hilferty
//! approximation, or from the small-`x` (`P ~ x^a / Gamma(a+1)`) or large-`x`
//! (`Q ~ x^(a-1) e^-x / Gamma(a)`) asymptotes when those are better, and are refined
//! by safeguarded Halley iteration on `ln P` or `ln Q` (whichever tail is smaller)
//! as a function of `ln x`. At most 200 evaluations.

use super::gamma::{gamma_pq, ln_gamma, ln_gamma_prefactor};
use super::normal;
use super::solve::{halley_step, solve_positive, Probe, Steps};

/// Checks the shape; returns `a = k/2` or `None` for invalid `k`.
fn shape(k: f64) -> Option<f64> {
    if k.is_nan() || k <= 0.0 || k.is_infinite() {
        None
    } else {
        // k / 2 underflows for the smallest subnormal k; keep a positive shape.
        Some((0.5 * k).max(f64::from_bits(1)))
    }
}

/// Cumulative distribution function `P(X <= x)`; 0 for `x <= 0`, NaN for NaN
/// arguments or `k <= 0` or `k = inf`.
pub fn cdf(x: f64, k: f64) -> f64 {
    match shape(k) {
        Some(a) if !x.is_nan() => gamma_pq(a, 0.5 * x).0,
        _ => f64::NAN,
    }
}

/// Survival function `P(X > x)`, computed directly in the upper tail so tiny values
/// keep their relative accuracy; 1 for `x <= 0`.
pub fn sf(x: f64, k: f64) -> f64 {
    match shape(k) {
        Some(a) if !x.is_nan() => gamma_pq(a, 0.5 * x).1,
        _ => f64::NAN,
    }
}

/// Wilson-Hilferty start (gamma scale) for the normal deviate `z` of the lower tail.
fn wilson_hilferty(a: f64, z: f64) -> Option<f64> {
    let c = 1.0 / (9.0 * a); // 2 / (9 k)
    let w = 1.0 - c + z * c.sqrt();
    if w > 0.0 {
        Some(a * w * w * w)
    } else {
        None
    }
}

/// `x` (gamma scale) with `P(a, x) = p`, `0 < p <= 1/2`.
fn lower(a: f64, p: f64) -> f64 {
    // Small-x asymptote P ~ x^a / Gamma(a + 1).
    let ln_xs = (p.ln() + ln_gamma(a + 1.0)) / a;
    if ln_xs < -700.0 {
        return ln_xs.exp();
    }
    let xs = ln_xs.exp();
    let x0 = match wilson_hilferty(a, normal::quantile(p)) {
        Some(xw) => xw.max(xs),
        None => xs,
    };
    solve_positive(x0, Steps::Log, |x| {
        let pv = gamma_pq(a, x).0;

        let g = (pv / p).ln();
        // x pdf(x) / P = a D / P with D = x^a e^-x / Gamma(a+1)
        let xh = (ln_gamma_prefactor(a, x) + a.ln() - pv.ln()).exp();
        let gu = xh;
        let guu = xh * (a - x) - xh * xh;
        Probe {
            dir: -g,
            step: halley_step(g, gu, guu),
        }
    })
}

/// `x` (gamma scale) with `Q(a, x) = q`, `0 < q <= 1/2`.
fn upper(a: f64, q: f64) -> f64 {
    let mut x0 = wilson_hilferty(a, normal::isf(q)).unwrap_or(f64::INFINITY);
    // Large-x asymptote Q ~ x^(a-1) e^-x / Gamma(a): x = -ln(q Gamma(a)) + (a-1) ln x.
    let base = -q.ln() - ln_gamma(a);
    let mut xt = base.max(1.0);
    for _ in 0..4 {
        xt = base + (a - 1.0) * xt.ln();
        if xt.is_nan() || xt <= 0.0 {
            break;
        }
    }
    if xt > a && xt < x0 {
        x0 = xt;
    }
    if !(x0 > 0.0 && x0.is_finite()) {
        x0 = a.max(1.0);
    }
    solve_positive(x0, Steps::Log, |x| {
        let qv = gamma_pq(a, x).1;
        let g = (qv / q).ln();
        let xh = (ln_gamma_prefactor(a, x) + a.ln() - qv.ln()).exp();
        let gu = -xh;
        let guu = xh * (x - a) - xh * xh;
        Probe {
            dir: g,
            step: halley_step(g, gu, guu),
        }
    })
}

/// Quantile (inverse CDF), equal to `scipy.stats.chi2.ppf(p, k)`; 0 for `p = 0`,
/// `+inf` for `p = 1`, NaN for `p` outside `[0, 1]`, NaN arguments or invalid `k`.
pub fn quantile(p: f64, k: f64) -> f64 {
    let Some(a) = shape(k) else {
        return f64::NAN;
    };
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return 0.0;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    2.0 * if p <= 0.5 {
        lower(a, p)
    } else {
        upper(a, 1.0 - p)
    }
}

/// Inverse survival function, equal to `scipy.stats.chi2.isf(q, k)`: the `x` with
/// `sf(x) = q`, accurate for tiny `q`; `+inf` for `q = 0`, 0 for `q = 1`.
pub fn isf(q: f64, k: f64) -> f64 {
    let Some(a) = shape(k) else {
        return f64::NAN;
    };
    if q.is_nan() || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    if q == 0.0 {
        return f64::INFINITY;
    }
    if q == 1.0 {
        return 0.0;
    }
    2.0 * if q <= 0.5 {
        upper(a, q)
    } else {
        lower(a, 1.0 - q)
    }
}
