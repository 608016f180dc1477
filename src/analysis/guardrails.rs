//! Guardrails as non-inferiority tests: for each treatment, "the harm is at least the
//! margin" is tested one-sided at the guardrail alpha on the test's estimate (fixed-horizon
//! or always-valid, following the inference), with Holm's correction across the
//! treatment's guardrails. Pass: shown not worse than the margin; fail: even the favourable
//! bound is past the margin; otherwise undecided (hold).
//!
//! The always-valid one-sided bound is the two-sided confidence sequence at level 2α (ρ
//! tuned for α); its p-value is half the two-sided always-valid p of `harm − margin` when
//! the harm is below the margin (1 − half otherwise), so p < α exactly when the bound is
//! inside the margin.

use super::corrections::adjust;
use super::dist::{normal, student_t};
use super::inference::{rho, sequential_p, InferenceSettings};
use super::rollout::ERROR_RATE;
use crate::plan::{Correction, Direction, Inference, Plan};
use crate::report::{GuardrailResult, GuardrailStatus, Precision, QuantileTest, TestResult};

/// Why a guardrail has no estimate to test (it is undecided).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum NoEstimate {
    /// Too few units, or no variance yet.
    #[error("no test yet (too few units or no variance)")]
    NoTest,
    /// The control's value is 0.
    #[error("no relative lift (the control is 0)")]
    ControlZero,
    /// The relative lift has no variance yet.
    #[error("no variance of the relative lift yet")]
    NoRelativeVariance,
    /// The metric is not in the log.
    #[error("no test of {0} in this log")]
    NotInLog(String),
}

/// What one guardrail tests.
struct Target<'a> {
    name: String,
    metric: String,
    treatment: &'a str,
    margin: f64,
    relative: bool,
    direction: Direction,
    /// (estimate, precision) or why there is none.
    estimate: Result<(f64, Precision), NoEstimate>,
}

/// One-sided numbers of one guardrail before the correction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OneSided {
    /// Harmful-side bound.
    pub bound: f64,
    /// Favourable-side bound.
    pub favorable_bound: f64,
    /// p of "harm ≥ margin".
    pub p_value: f64,
}

/// The one-sided test of "h·estimate ≥ margin" (h = +1 when lower is better).
pub fn one_sided(
    estimate: f64,
    p: &Precision,
    variance: f64,
    margin: f64,
    h: f64,
    s: &InferenceSettings,
) -> OneSided {
    let se = variance.sqrt();
    let shifted = h * estimate - margin;
    match s.mode {
        Inference::Fixed => {
            let (crit, cdf) = match p.df {
                Some(df) => (
                    student_t::quantile(1.0 - s.alpha, df),
                    student_t::cdf(shifted / se, df),
                ),
                None => (normal::quantile(1.0 - s.alpha), normal::cdf(shifted / se)),
            };
            OneSided {
                bound: estimate + h * crit * se,
                favorable_bound: estimate - h * crit * se,
                p_value: cdf,
            }
        }
        Inference::Sequential => {
            let n = p.n;
            let r = rho(s.alpha, s.tuning);
            let nr2 = n * r * r;
            let level = 2.0 * s.alpha;
            let width = (variance * n).sqrt()
                * (2.0 * (nr2 + 1.0) * ((nr2 + 1.0).sqrt() / level).ln() / (n * r).powi(2)).sqrt();
            let two = sequential_p(shifted, variance, n, s.alpha, s.tuning);
            OneSided {
                bound: estimate + h * width,
                favorable_bound: estimate - h * width,
                p_value: if shifted < 0.0 {
                    two / 2.0
                } else {
                    1.0 - two / 2.0
                },
            }
        }
    }
}

fn harm_sign(direction: Direction) -> f64 {
    match direction {
        Direction::Decrease => 1.0,
        Direction::Increase => -1.0,
    }
}

/// The estimate a guardrail tests: the difference, or the relative lift with its variance
/// (the difference's over the squared control value when the test has no relative one).
fn estimate_of(
    diff: f64,
    relative: Option<f64>,
    control: f64,
    precision: Option<Precision>,
    want_relative: bool,
) -> Result<(f64, Precision), NoEstimate> {
    let p = precision
        .filter(|p| p.variance.is_finite() && p.variance > 0.0)
        .ok_or(NoEstimate::NoTest)?;
    if !want_relative {
        return Ok((diff, p));
    }
    let rel = relative.ok_or(NoEstimate::ControlZero)?;
    let variance = p
        .relative_variance
        .unwrap_or(p.variance / (control * control));
    if !(variance.is_finite() && variance > 0.0) {
        return Err(NoEstimate::NoRelativeVariance);
    }
    Ok((
        rel,
        Precision {
            variance,
            relative_variance: None,
            ..p
        },
    ))
}

/// Every guardrail of every treatment.
pub fn guardrails(
    plan: &Plan,
    mode: Inference,
    tests: &[TestResult],
    quantiles: &[QuantileTest],
) -> Vec<GuardrailResult> {
    let alpha = plan.guardrail_alpha.unwrap_or(plan.alpha);
    let settings = InferenceSettings {
        mode,
        alpha,
        tuning: plan.sequential_tuning,
    };
    let g = &plan.guardrails;
    // each treatment once, in the order the tests list them
    let mut treatments: Vec<&str> = Vec::new();
    for t in tests
        .iter()
        .map(|t| t.treatment.as_str())
        .chain(quantiles.iter().map(|q| q.treatment.as_str()))
    {
        if !treatments.contains(&t) {
            treatments.push(t);
        }
    }
    let mut out = Vec::new();
    for tr in treatments {
        let mut targets = Vec::new();
        let test_of = |name: &str| tests.iter().find(|t| t.treatment == tr && t.metric == name);
        if let Some(t) = test_of(ERROR_RATE) {
            targets.push(Target {
                name: ERROR_RATE.into(),
                metric: ERROR_RATE.into(),
                treatment: tr,
                margin: g.error_rate_margin,
                relative: false,
                direction: Direction::Decrease,
                estimate: estimate_of(t.diff, t.relative_lift, t.control_value, t.precision, false),
            });
        }
        if let Some(q) = quantiles
            .iter()
            .find(|q| q.treatment == tr && (q.quantile - 0.99).abs() < 1e-9)
        {
            targets.push(Target {
                name: "latency_p99".into(),
                metric: q.metric.clone(),
                treatment: tr,
                margin: g.latency_p99_max_increase,
                relative: true,
                direction: Direction::Decrease,
                estimate: estimate_of(q.diff, q.relative_lift, q.control_value, q.precision, true),
            });
        }
        for m in &g.metric {
            let estimate = match test_of(&m.name) {
                Some(t) => estimate_of(
                    t.diff,
                    t.relative_lift,
                    t.control_value,
                    t.precision,
                    m.relative,
                ),
                None => Err(NoEstimate::NotInLog(m.name.clone())),
            };
            targets.push(Target {
                name: m.name.clone(),
                metric: m.name.clone(),
                treatment: tr,
                margin: m.margin,
                relative: m.relative,
                direction: m.direction,
                estimate,
            });
        }
        out.extend(decide(&targets, &settings));
    }
    out
}

/// The one-sided tests of one treatment's guardrails, Holm-corrected.
fn decide(targets: &[Target], s: &InferenceSettings) -> Vec<GuardrailResult> {
    let tested: Vec<Option<OneSided>> = targets
        .iter()
        .map(|t| {
            let (est, p) = t.estimate.as_ref().ok()?;
            Some(one_sided(
                *est,
                p,
                p.variance,
                t.margin,
                harm_sign(t.direction),
                s,
            ))
        })
        .collect();
    // Holm across the guardrails that could be tested
    let ps: Vec<f64> = tested.iter().flatten().map(|o| o.p_value).collect();
    let mut adjusted = adjust(&ps, Correction::Holm).into_iter();
    targets
        .iter()
        .zip(&tested)
        .map(|(t, o)| {
            let h = harm_sign(t.direction);
            let (p_adj, status, message) = match (o, &t.estimate) {
                (Some(o), Ok((est, _))) => {
                    let p_adj = adjusted.next().unwrap_or(f64::NAN);
                    let status = if p_adj < s.alpha {
                        GuardrailStatus::Pass
                    } else if h * o.favorable_bound > t.margin {
                        GuardrailStatus::Fail
                    } else {
                        GuardrailStatus::Undecided
                    };
                    (Some(p_adj), status, describe(t, *est, o, status))
                }
                (_, Err(why)) => (
                    None,
                    GuardrailStatus::Undecided,
                    format!("{} {}: {why}; undecided", t.treatment, t.name),
                ),
                _ => (None, GuardrailStatus::Undecided, String::new()),
            };
            GuardrailResult {
                name: t.name.clone(),
                metric: t.metric.clone(),
                treatment: t.treatment.to_string(),
                margin: t.margin,
                relative: t.relative,
                direction: t.direction,
                estimate: t.estimate.as_ref().ok().map(|e| e.0),
                bound: o.map(|o| o.bound),
                favorable_bound: o.map(|o| o.favorable_bound),
                p_value: o.map(|o| o.p_value),
                p_value_adjusted: p_adj,
                alpha: s.alpha,
                status,
                message,
            }
        })
        .collect()
}

fn fmt(x: f64, relative: bool) -> String {
    if relative {
        format!("{:+.1}%", x * 100.0)
    } else {
        crate::report::format::diff(x)
    }
}

fn describe(t: &Target, est: f64, o: &OneSided, status: GuardrailStatus) -> String {
    let h = harm_sign(t.direction);
    let margin = if t.relative {
        format!("{:.1}%", t.margin * 100.0)
    } else {
        format!("{}", t.margin)
    };
    format!(
        "{} {}: worse by at most {} (estimate {}), margin {margin}: {}",
        t.treatment,
        t.name,
        fmt(h * o.bound, t.relative),
        fmt(h * est, t.relative),
        status.as_str()
    )
}
