//! Student's t distribution with real degrees of freedom `df > 0`
//! (`df = +inf` is the standard normal).
//!
//! Methods, with `a = df/2`, `u = t^2/df`, `x = 1/(1+u)`, `y = u/(1+u)` and
//! `sf(t) = I_x(a, 1/2) / 2` for `t > 0`:
//! * `df = 1`, `df = 2`: closed forms (Cauchy; `sf = 1/(s (s + t))`, `s = sqrt(2 + t^2)`).
//! * Central region (`y < 1.5/(a + 2.5)`): `P(0 < T < t) = I_y(1/2, a)/2` by its
//!   power series (positive terms), so quantiles near the median keep full relative
//!   accuracy.
//! * Tail, `df >= 30` and `ln(1+u) < 1`: a uniform large-`a` expansion in the spirit
//!   of DiDonato and Morris' BGRAT (ACM TOMS 18, 1992), specialised to `b = 1/2`:
//!   with `T = a - 1/4`, `w0 = ln(1 + u)`, `z = T w0`,
//!   `I_x(a, 1/2) = (1/B(a, 1/2)) sum_j e_j Gamma(1/2 + 2j, z) / T^(1/2 + 2j)`, where
//!   `e_j` are the Taylor coefficients of `(2 sinh(w/2)/w)^(-1/2)` in `w^2`. The
//!   incomplete gammas follow from `Gamma(1/2, z) = sqrt(pi) erfc(sqrt z)` by upward
//!   recurrence, `Gamma(a + 1/2)/Gamma(a)` comes from Stirling's series (no
//!   `ln_gamma` differences), and `exp(-z)` is split as `exp(-t^2/2)` (exact square)
//!   times a small correction. The leading term is the classical normal
//!   approximation `Phi(-sqrt((df - 1/2) ln(1 + t^2/df)))`; the series is accurate
//!   to ~1e-16 for any `df >= 30` and stays exact as `df -> inf`.
//! * Tail otherwise: the incomplete-beta continued fraction on `x`, where `x` is not
//!   close to 1, with the prefactor `x^a sqrt(y) Gamma(a+1/2) / (a Gamma(a) sqrt(pi))`
//!   in log space.
//! * Quantiles: closed forms for `df = 1, 2`; otherwise a Cornish-Fisher (normal
//!   limit, four terms) or tail-asymptotic (`sf ~ C t^-df`) start, then safeguarded
//!   Halley iteration: on the central probability for `p` within `[1/4, 3/4]`, and
//!   on `ln sf` against `ln t` in the tails. At most 200 evaluations.
//! * `df >= 1e20` is treated as normal (the relative difference is below 1e-14 for
//!   every probability above 1e-300).

use super::beta::continued_fraction;
use super::erf::erfcx;
use super::gamma::ln_gamma_ratio_half;
use super::normal;
use super::solve::{halley_step, solve_positive, Probe, Steps};
use super::util::{exp_neg_half_sq, log1pmx, LN_SQRT_2PI, SQRT_PI};
use std::f64::consts::PI;

/// Taylor coefficients `e_j` of `(2 sinh(w/2) / w)^(-1/2) = sum_j e_j w^(2j)`
/// (exact rationals rounded to f64 by `tests/reference/gen_dist_coefficients.py`).
const SINH_HALF: [f64; 26] = [
    1.0,
    -0.020833333333333332,
    0.000390625,
    -7.879670965608466e-06,
    1.6967665791721782e-07,
    -3.805064191721906e-09,
    8.748377596315407e-11,
    -2.044523359411974e-12,
    4.833351797967704e-14,
    -1.152434101767386e-15,
    2.76605204359937e-17,
    -6.67428195089166e-19,
    1.61745507718158e-20,
    -3.93397792009138e-22,
    9.597634062586047e-24,
    -2.347690291162632e-25,
    5.7558703875442666e-27,
    -1.414008810826549e-28,
    3.479869365059028e-30,
    -8.577466165340376e-32,
    2.1172351041679865e-33,
    -5.232780285737599e-35,
    1.2947835769777707e-36,
    -3.2071412978037775e-38,
    7.951627314205514e-40,
    -1.973224903040875e-41,
];

/// Degrees of freedom from which the normal distribution is used.
const DF_NORMAL: f64 = 1e20;

/// Degrees of freedom from which the large-df tail expansion is used.
const DF_ASYMPTOTIC: f64 = 30.0;

/// Largest `ln(1 + t^2/df)` for which the large-df tail expansion is used.
const W_MAX: f64 = 1.0;

/// A Student t distribution with its df-dependent constants.
struct StudentT {
    df: f64,
    a: f64,
    /// `ln(Gamma(a + 1/2) / (Gamma(a) sqrt(a)))`.
    ln_c: f64,
}

impl StudentT {
    fn new(df: f64) -> Self {
        // df / 2 underflows for the smallest subnormal df; keep a positive shape.
        let a = (0.5 * df).max(f64::from_bits(1));
        StudentT {
            df,
            a,
            ln_c: ln_gamma_ratio_half(a),
        }
    }

    /// `(u, ln(1 + u))` with `u = t^2 / df`, for `t >= 0`; safe against overflow.
    fn u_and_log(&self, t: f64) -> (f64, f64) {
        let u = t * t / self.df;
        if u.is_finite() {
            (u, u.ln_1p())
        } else {
            (f64::INFINITY, 2.0 * t.ln() - self.df.ln())
        }
    }

    /// Whether `t >= 0` lies in the central region (where `P(0 < T < t)` is the
    /// quantity computed directly).
    fn is_central(&self, u: f64) -> bool {
        let y = if u.is_finite() { u / (1.0 + u) } else { 1.0 };
        y < 1.5 / (self.a + 2.5)
    }

    /// `ln pdf(t)`.
    fn ln_pdf(&self, t: f64) -> f64 {
        let (_, l) = self.u_and_log(t.abs());
        self.ln_c - LN_SQRT_2PI - (self.a + 0.5) * l
    }

    /// `P(0 < T < t) = I_y(1/2, a) / 2` by the power series, for central `t >= 0`.
    fn central_series(&self, t: f64, u: f64, l: f64) -> f64 {
        if t == 0.0 {
            return 0.0;
        }
        let y = u / (1.0 + u);
        // I_y(1/2, a) = 2 sqrt(y) x^a Gamma(a+1/2) / (Gamma(a) sqrt(pi)) * sum_n
        //             (a + 1/2)_n / (3/2)_n y^n,  with sqrt(y a) = t / sqrt(2 (1 + u)).
        let pre = 2.0 * t / (2.0 * (1.0 + u)).sqrt() * (self.ln_c - self.a * l).exp() / SQRT_PI;
        let mut term = 1.0;
        let mut sum = 1.0;
        let mut n = 0.0;
        while n < 5000.0 {
            term *= (self.a + 0.5 + n) * y / (1.5 + n);
            sum += term;
            if term <= 1e-17 * sum {
                break;
            }
            n += 1.0;
        }
        0.5 * pre * sum
    }

    /// Upper tail `sf(t)` for `t > 0` outside the central region.
    fn tail(&self, t: f64, u: f64, l: f64) -> f64 {
        if self.df >= DF_ASYMPTOTIC && l < W_MAX {
            return self.tail_expansion(t, u, l);
        }
        let a = self.a;
        let x = if u.is_finite() { 1.0 / (1.0 + u) } else { 0.0 };
        // sqrt(y) = 1 / sqrt(1 + 1/u)
        let ln_sqrt_y = -0.5 * (1.0 / u).ln_1p();
        let ln_pre = -a * l + ln_sqrt_y + self.ln_c - 0.5 * a.ln() - 0.5 * PI.ln();
        0.5 * ln_pre.exp() * continued_fraction(a, 0.5, x)
    }

    /// Large-df tail expansion (see the module documentation).
    fn tail_expansion(&self, t: f64, u: f64, l: f64) -> f64 {
        let tt = self.a - 0.25;
        let z = tt * l;
        if z > 760.0 {
            return 0.0; // sf < exp(-z) underflows
        }
        let ez = if u < 0.1 {
            // z = t^2/2 - u/4 + T (ln(1+u) - u)
            exp_neg_half_sq(t) * (0.25 * u - tt * log1pmx(u)).exp()
        } else {
            (-z).exp()
        };
        let sz = z.sqrt();
        // g_j = e^z Gamma(1/2 + j, z) / T^j:
        // g_0 = sqrt(pi) erfcx(sqrt z), g_{j+1} = ((1/2 + j) g_j + sqrt(z) w0^j) / T.
        let mut g = SQRT_PI * erfcx(sz);
        let mut wj = 1.0;
        let mut sum = g;
        for j in 0..(2 * SINH_HALF.len() - 2) {
            g = ((0.5 + j as f64) * g + sz * wj) / tt;
            wj *= l;
            if j % 2 == 1 {
                let term = SINH_HALF[j.div_ceil(2)] * g;
                sum += term;
                if term.abs() <= 1e-17 * sum.abs() {
                    break;
                }
            }
        }
        // sf = Gamma(a+1/2)/(Gamma(a) sqrt(pi)) e^-z / sqrt(T) * sum / 2
        let scale = self.ln_c.exp() / (1.0 - 0.25 / self.a).sqrt() / (2.0 * SQRT_PI);
        scale * ez * sum
    }

    /// `(sf(t), P(0 < T < t))` for `t >= 0`; whichever is the small one in its
    /// region is computed directly, the other as `1/2 -` it.
    fn split(&self, t: f64) -> (f64, f64) {
        if t.is_infinite() {
            return (0.0, 0.5);
        }
        if self.df == 1.0 {
            let c = t.atan() / PI;
            let s = if t > 1.0 {
                (1.0 / t).atan() / PI
            } else {
                0.5 - c
            };
            return (s, c);
        }
        if self.df == 2.0 {
            let s2 = (2.0 + t * t).sqrt();
            let c = 0.5 * t / s2;
            let s = if t > 1.0 {
                1.0 / (s2 * (s2 + t))
            } else {
                0.5 - c
            };
            return (s, c);
        }
        let (u, l) = self.u_and_log(t);
        if self.is_central(u) {
            let c = self.central_series(t, u, l).min(0.5);
            (0.5 - c, c)
        } else {
            let s = self.tail(t, u, l).min(0.5);
            (s, 0.5 - s)
        }
    }

    fn sf(&self, t: f64) -> f64 {
        if t >= 0.0 {
            self.split(t).0
        } else {
            0.5 + self.split(-t).1
        }
    }

    /// The `t > 0` with `sf(t) = q`, for `0 < q < 1/2`.
    fn upper_quantile(&self, q: f64) -> f64 {
        let df = self.df;
        if df == 1.0 {
            return if q < 0.25 {
                1.0 / (PI * q).tan()
            } else {
                (PI * (0.5 - q)).tan()
            };
        }
        if df == 2.0 {
            return (1.0 - 2.0 * q) / (2.0 * q * (1.0 - q)).sqrt();
        }
        let z = normal::isf(q);
        let t_cf = cornish_fisher(z, df);
        if q >= 0.25 {
            return self.central_quantile(0.5 - q, t_cf);
        }
        // Tail asymptote sf(t) ~ C df^((df+1)/2) t^-df / df, C = pdf constant.
        let ln_t_tail = (self.ln_c - LN_SQRT_2PI + 0.5 * (df - 1.0) * df.ln() - q.ln()) / df;
        let ln_t0 = if 2.0 * ln_t_tail > (4.0 * df).ln() || t_cf.is_nan() || t_cf <= 0.0 {
            ln_t_tail
        } else {
            t_cf.ln()
        };
        if ln_t0 > f64::MAX.ln() - 10.0 && self.sf(f64::MAX) > q {
            return f64::INFINITY;
        }
        solve_positive(ln_t0.exp().min(f64::MAX), Steps::Log, |t| {
            let sf = self.split(t).0;
            let g = (sf / q).ln();
            let th = t * (self.ln_pdf(t) - sf.ln()).exp();
            let (u, _) = self.u_and_log(t);
            let r = if u.is_finite() { u / (1.0 + u) } else { 1.0 };
            // Derivatives of g = ln(sf/q) with respect to s = ln t.
            let gs = -th;
            let gss = th * ((1.0 + 1.0 / df) * r - 1.0) - th * th;
            Probe {
                dir: g,
                step: halley_step(g, gs, gss),
            }
        })
    }

    /// The `t >= 0` with `P(0 < T < t) = c`, for `0 <= c <= 1/4`.
    fn central_quantile(&self, c: f64, t0: f64) -> f64 {
        if c == 0.0 {
            return 0.0;
        }
        let df = self.df;
        solve_positive(t0, Steps::Linear, |t| {
            let cc = self.split(t).1 - c;
            let f = self.ln_pdf(t).exp();
            let (u, _) = self.u_and_log(t);
            // d/dt ln pdf = -(df + 1) t / (df + t^2)
            let k = t * (1.0 + 1.0 / df) / (1.0 + u);
            Probe {
                dir: -cc,
                step: halley_step(cc, f, -f * k),
            }
        })
    }

    /// Quantile for `0 < p < 1`.
    fn quantile(&self, p: f64) -> f64 {
        if p == 0.5 {
            0.0
        } else if p < 0.5 {
            -self.upper_quantile(p)
        } else {
            self.upper_quantile(1.0 - p)
        }
    }
}

/// Cornish-Fisher expansion of the t quantile in terms of the normal quantile `z`
/// (Abramowitz and Stegun 26.7.5).
fn cornish_fisher(z: f64, df: f64) -> f64 {
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    let r = 1.0 / df;
    z + r * (g1 + r * (g2 + r * (g3 + r * g4)))
}

/// Checks `df`; `None` means NaN should be returned, `Some(None)` the normal
/// distribution, `Some(Some(d))` a finite-df distribution.
fn dist(df: f64) -> Option<Option<StudentT>> {
    if df.is_nan() || df <= 0.0 {
        None
    } else if df >= DF_NORMAL {
        Some(None)
    } else {
        Some(Some(StudentT::new(df)))
    }
}

/// Survival function `P(T > t)` (upper tail), accurate in relative terms for tiny
/// tails. NaN for NaN arguments or `df <= 0`.
pub fn sf(t: f64, df: f64) -> f64 {
    if t.is_nan() {
        return f64::NAN;
    }
    match dist(df) {
        None => f64::NAN,
        Some(None) => normal::sf(t),
        Some(Some(d)) => d.sf(t),
    }
}

/// Cumulative distribution function `P(T <= t)`, accurate in relative terms for
/// tiny lower tails. NaN for NaN arguments or `df <= 0`.
pub fn cdf(t: f64, df: f64) -> f64 {
    sf(-t, df)
}

/// Two-sided p-value `min(1, 2 sf(|t|))`. NaN for NaN arguments or `df <= 0`;
/// 0 for `t = +-inf`.
pub fn two_sided_p(t: f64, df: f64) -> f64 {
    let p = 2.0 * sf(t.abs(), df);
    if p > 1.0 {
        1.0
    } else {
        p // NaN stays NaN
    }
}

/// Quantile (inverse CDF), equal to `scipy.stats.t.ppf(p, df)`.
///
/// Returns `-inf` for `p = 0`, `+inf` for `p = 1` (and for `p` so close to 1 that
/// the quantile exceeds the largest finite f64, possible for tiny `df`), NaN for
/// `p` outside `[0, 1]`, NaN arguments or `df <= 0`.
pub fn quantile(p: f64, df: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let Some(d) = dist(df) else {
        return f64::NAN;
    };
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    match d {
        None => normal::quantile(p),
        Some(d) => d.quantile(p),
    }
}

/// Inverse survival function, equal to `scipy.stats.t.isf(q, df)`: the `t` with
/// `sf(t) = q`, accurate for tiny `q`.
pub fn isf(q: f64, df: f64) -> f64 {
    -quantile(q, df)
}
