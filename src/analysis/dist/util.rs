//! Small numerical helpers shared by the distribution functions.

/// `ln(sqrt(2 pi))`.
pub(crate) const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// `1 / sqrt(2 pi)`.
pub(crate) const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// `sqrt(pi)`.
pub(crate) const SQRT_PI: f64 = 1.772_453_850_905_516;

/// Splits `x` into `hi + lo` where `hi` has at most 26 significant bits, so that
/// `hi * hi` is exact (Veltkamp splitting). Requires `|x| < 1e300`.
fn split(x: f64) -> (f64, f64) {
    let c = 134_217_729.0 * x; // 2^27 + 1
    let hi = c - (c - x);
    (hi, x - hi)
}

/// `exp(-x^2)` with the square formed exactly, so the relative error stays at a
/// few ulps even where `x^2` is several hundred.
pub(crate) fn exp_neg_sq(x: f64) -> f64 {
    let ax = x.abs();
    if ax.is_nan() {
        return f64::NAN;
    }
    if ax > 30.0 {
        return 0.0; // exp(-900) underflows
    }
    let (hi, lo) = split(ax);
    // x^2 = hi^2 + (2 hi + lo) lo, with hi^2 exact.
    (-(hi * hi)).exp() * (-((2.0 * hi + lo) * lo)).exp()
}

/// `exp(-x^2 / 2)` with the square formed exactly (see [`exp_neg_sq`]).
pub(crate) fn exp_neg_half_sq(x: f64) -> f64 {
    let ax = x.abs();
    if ax.is_nan() {
        return f64::NAN;
    }
    if ax > 40.0 {
        return 0.0; // exp(-800) underflows
    }
    let (hi, lo) = split(ax);
    (-0.5 * (hi * hi)).exp() * (-0.5 * ((2.0 * hi + lo) * lo)).exp()
}

/// `ln(1 + x) - x`, accurate to a few ulps for all `x > -1` (including tiny `x`,
/// where the naive difference cancels).
pub(crate) fn log1pmx(x: f64) -> f64 {
    if x.is_nan() || x < -1.0 {
        return f64::NAN;
    }
    if !(-0.5..=1.0).contains(&x) {
        return x.ln_1p() - x;
    }
    if x.abs() < 1e-9 {
        return x * x * (-0.5 + x * (1.0 / 3.0 - 0.25 * x));
    }
    // ln(1+x) = 2 atanh(s), s = x / (2 + x), |s| <= 1/3:
    // ln(1+x) - x = -x^2 / (2 + x) + 2 (s^3/3 + s^5/5 + ...).
    let s = x / (2.0 + x);
    let s2 = s * s;
    let mut term = s * s2;
    let mut sum = 0.0;
    let mut k = 3.0;
    while k < 200.0 {
        let add = term / k;
        sum += add;
        if add.abs() <= 1e-18 * sum.abs() {
            break;
        }
        term *= s2;
        k += 2.0;
    }
    -x * x / (2.0 + x) + 2.0 * sum
}

/// Evaluates the polynomial `c[0] + c[1] x + c[2] x^2 + ...` by Horner's rule.
pub(crate) fn poly(c: &[f64], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ci| acc * x + ci)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log1pmx_matches_naive_where_naive_is_fine() {
        for &x in &[-0.9, -0.5, -0.1, 0.3, 0.99, 2.0, 10.0] {
            let naive = f64::ln_1p(x) - x;
            assert!((log1pmx(x) - naive).abs() <= 1e-14 * naive.abs(), "{x}");
        }
        let x = 1e-5;
        let exact = -x * x / 2.0 + x * x * x / 3.0 - x * x * x * x / 4.0;
        assert!((log1pmx(x) - exact).abs() <= 1e-15 * exact.abs());
    }

    #[test]
    fn exp_neg_sq_is_exact_at_representable_squares() {
        assert_eq!(exp_neg_sq(0.0), 1.0);
        let v = exp_neg_half_sq(3.0);
        assert!((v - (-4.5f64).exp()).abs() <= 2e-16 * v);
    }
}
