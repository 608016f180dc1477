//! Safeguarded Newton/Halley root finding on `(0, inf)` used by the quantile
//! functions.
//!
//! The caller evaluates its residual at a point and reports on which side the
//! root lies plus a proposed (Halley) step. The solver keeps a bracket, falls back
//! to bisection (or interval expansion towards an infinite end) whenever the step
//! would leave the bracket or is not finite, and stops after a fixed number of
//! evaluations, so it always terminates.

/// Upper bound on residual evaluations per solve.
const MAX_EVALS: usize = 200;

/// Relative step size at which the iteration is considered converged.
const REL_TOL: f64 = 1e-15;

/// What the caller learned at one point.
pub(crate) struct Probe {
    /// `> 0` if the root lies above the point, `< 0` if below, `0` if the point is
    /// the root; NaN aborts the solve (returns NaN).
    pub(crate) dir: f64,
    /// Proposed (Newton or Halley) step: in `x` for [`Steps::Linear`], in `ln x`
    /// for [`Steps::Log`].
    pub(crate) step: f64,
}

/// How the caller's steps are expressed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Steps {
    /// Steps in `x`.
    Linear,
    /// Steps in `ln x` (applied as `x * exp(step)`, rounded like a relative
    /// update so the final digits of `x` are not limited by the resolution of
    /// `ln x`); bisection is geometric while the bracket spans more than a factor 2.
    Log,
}

/// Finds the root of a monotone function on `(0, inf)`, starting from `x0 > 0`.
pub(crate) fn solve_positive(x0: f64, steps: Steps, mut eval: impl FnMut(f64) -> Probe) -> f64 {
    let mut lo = 0.0_f64;
    let mut hi = f64::INFINITY;
    let mut x = if x0 > 0.0 && x0.is_finite() { x0 } else { 1.0 };
    for _ in 0..MAX_EVALS {
        let p = eval(x);
        if p.dir.is_nan() {
            return f64::NAN;
        }
        if p.dir == 0.0 {
            return x;
        }
        if p.dir > 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let mut next = match steps {
            Steps::Linear => x + p.step,
            Steps::Log if p.step.abs() < 0.1 => x + x * p.step.exp_m1(),
            Steps::Log => x * p.step.exp(),
        };
        if (next - x).abs() <= REL_TOL * x {
            return next; // converged (also when the step is below one ulp)
        }
        if !(next > lo && next < hi) {
            next = if lo == 0.0 {
                if hi < 0.5 {
                    hi * hi
                } else {
                    hi / 16.0
                }
            } else if hi.is_infinite() {
                if lo > 2.0 {
                    lo * lo
                } else {
                    lo * 16.0
                }
            } else if hi > 2.0 * lo {
                (0.5 * (lo.ln() + hi.ln())).exp()
            } else {
                lo + 0.5 * (hi - lo)
            };
            if next == 0.0 || next.is_infinite() {
                return next;
            }
        }
        if next == lo || next == hi {
            return next;
        }
        x = next;
    }
    x
}

/// Halley step for `g(x) = 0` from `g`, `g'` and `g''`, falling back to the Newton
/// step where the curvature correction is large (far from the root, where Halley's
/// factor would shrink the step needlessly).
pub(crate) fn halley_step(g: f64, g1: f64, g2: f64) -> f64 {
    let newton = -g / g1;
    let c = g * g2 / (2.0 * g1 * g1);
    if c.abs() <= 0.5 {
        newton / (1.0 - c)
    } else {
        newton
    }
}
