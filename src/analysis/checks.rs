//! Health and guardrail checks of an experiment: pass / warn / fail, one line each, with
//! the numbers behind them.

use crate::plan::{Guardrails, Plan};
use crate::report::{
    Assignment, Check, CheckId, GroupSummary, GuardrailResult, GuardrailStatus, PowerResult,
    SrmResult, Status,
};

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// Runs every check. `groups[control]` is the control.
#[allow(clippy::too_many_arguments)]
pub fn run_checks(
    plan: &Plan,
    groups: &[GroupSummary],
    control: usize,
    srm: Option<&SrmResult>,
    stages: usize,
    assignment: &Assignment,
    power: Option<&PowerResult>,
    guards: &[GuardrailResult],
) -> Vec<Check> {
    let g = &plan.guardrails;
    let ctrl = &groups[control];
    let treatments: Vec<&GroupSummary> = groups
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != control)
        .map(|(_, x)| x)
        .collect();
    vec![
        srm_check(srm, stages, g),
        leakage_check(assignment, g),
        sample_size_check(power),
        latency_check(ctrl, &treatments, g, guards),
        error_rate_check(ctrl, &treatments, g, guards),
        fallbacks_check(&treatments),
    ]
}

/// The split against the expected ratio (per stage: the stage with the smallest p).
fn srm_check(srm: Option<&SrmResult>, stages: usize, g: &Guardrails) -> Check {
    let Some(srm) = srm else {
        return Check::new(
            CheckId::Srm,
            Status::Warn,
            "the split changed during the log and no split is declared: sample-ratio mismatch cannot be checked (declare ramp = [...] or [[stages]] in the plan)",
        )
        .with("srm_alpha", g.srm_alpha);
    };
    let at = srm
        .stage
        .filter(|_| stages > 1)
        .map(|s| format!(" (stage {s} of {stages}, the smallest p)"))
        .unwrap_or_default();
    let c = if srm.mismatch {
        Check::new(
            CheckId::Srm,
            Status::Fail,
            format!(
                "sample-ratio mismatch{at}: chi2 = {:.2}, p = {} < {}; the split is not what was planned",
                srm.chi2,
                crate::report::format::p(Some(srm.p_value)),
                g.srm_alpha
            ),
        )
    } else {
        Check::new(
            CheckId::Srm,
            Status::Pass,
            format!(
                "split matches the expected ratio{at}: chi2 = {:.2}, p = {:.3}",
                srm.chi2, srm.p_value
            ),
        )
    };
    let c = c
        .with("chi2", srm.chi2)
        .with("p_value", srm.p_value)
        .with("srm_alpha", g.srm_alpha);
    match srm.stage {
        Some(s) => c.with("stage", s as f64),
        None => c,
    }
}

/// Users seen in more than one group.
fn leakage_check(assignment: &Assignment, g: &Guardrails) -> Check {
    let share = if assignment.users > 0 {
        assignment.users_in_multiple_groups as f64 / assignment.users as f64
    } else {
        0.0
    };
    let leakage = if assignment.users == 0 {
        Check::new(
            CheckId::Leakage,
            Status::Warn,
            "no user column: assignment leakage cannot be checked",
        )
    } else if assignment.users_in_multiple_groups == 0 {
        Check::new(
            CheckId::Leakage,
            Status::Pass,
            format!(
                "no user seen in more than one group ({} users)",
                assignment.users
            ),
        )
    } else {
        let status = if share > g.leakage_max_share {
            Status::Fail
        } else {
            Status::Warn
        };
        Check::new(
            CheckId::Leakage,
            status,
            format!(
                "{} of {} users ({}) seen in more than one group",
                assignment.users_in_multiple_groups,
                assignment.users,
                pct(share)
            ),
        )
    };
    leakage
        .with("users", assignment.users as f64)
        .with(
            "users_in_multiple_groups",
            assignment.users_in_multiple_groups as f64,
        )
        .with("share", share)
        .with("max_share", g.leakage_max_share)
}

/// The planned sample size, reached or not.
fn sample_size_check(power: Option<&PowerResult>) -> Check {
    let sample = match power {
        None => Check::new(
            CheckId::SampleSize,
            Status::Warn,
            "no primary metric with a variance yet (or no proportion metric): required sample size unknown",
        ),
        Some(p) if p.reached => Check::new(
            CheckId::SampleSize,
            Status::Pass,
            format!(
                "{} {}s per group reached (needs {} for {} on {}{})",
                p.observed_per_group,
                p.unit.as_str(),
                p.required_per_group,
                fmt_mde(p),
                p.metric,
                other_inference(p)
            ),
        ),
        Some(p) => Check::new(
            CheckId::SampleSize,
            Status::Warn,
            format!(
                "{} of {} {}s per group needed ({:.0}%) to detect {} on {}{}",
                p.observed_per_group,
                p.required_per_group,
                p.unit.as_str(),
                p.progress * 100.0,
                fmt_mde(p),
                p.metric,
                other_inference(p)
            ),
        ),
    };
    match power {
        Some(p) => sample
            .with("observed_per_group", p.observed_per_group as f64)
            .with("required_per_group", p.required_per_group as f64)
            .with(
                "required_per_group_fixed",
                p.required_per_group_fixed as f64,
            )
            .with(
                "required_per_group_sequential",
                p.required_per_group_sequential as f64,
            )
            .with("progress", p.progress),
        None => sample,
    }
}

/// "; fixed horizon: N" or "; always-valid: N" — the figure of the other inference.
fn other_inference(p: &PowerResult) -> String {
    let cuped = p
        .variance_reduction
        .map(|v| format!(", CUPED variance −{:.0}%", v * 100.0))
        .unwrap_or_default();
    if p.required_per_group == p.required_per_group_sequential {
        format!(
            " with the always-valid test; a single fixed-horizon look needs {}{cuped}",
            p.required_per_group_fixed
        )
    } else {
        format!(
            " with a fixed-horizon test; the always-valid test needs {}{cuped}",
            p.required_per_group_sequential
        )
    }
}

/// Each treatment's p99 latency: the ceiling on the estimate, and the non-inferiority
/// guardrail on its increase over the control (pass / fail / undecided → warn).
fn latency_check(
    ctrl: &GroupSummary,
    treatments: &[&GroupSummary],
    g: &Guardrails,
    guards: &[GuardrailResult],
) -> Check {
    let mut worst = Status::Pass;
    let mut msgs = Vec::new();
    let mut numbers = Vec::new();
    for t in treatments {
        let (Some(tl), Some(cl)) = (t.latency_ms, ctrl.latency_ms) else {
            worst = worst.max(Status::Warn);
            msgs.push(format!("{}: no latency values", t.name));
            continue;
        };
        numbers.push((format!("{}.p99_ms", t.name), tl.p99));
        numbers.push((format!("{}.p99_ms", ctrl.name), cl.p99));
        if tl.p99 > g.latency_p99_ms {
            worst = Status::Fail;
            msgs.push(format!(
                "{} p99 {} ms is above the {} ms ceiling",
                t.name,
                crate::report::format::latency_ms(tl.p99),
                g.latency_p99_ms
            ));
        }
        match guard(guards, "latency_p99", &t.name) {
            Some(r) => {
                worst = worst.max(guard_status(r.status));
                if let Some(b) = r.bound {
                    numbers.push((format!("{}.p99_increase_bound", t.name), b));
                }
                msgs.push(format!(
                    "{} (p99 {} ms, control {} ms)",
                    r.message,
                    crate::report::format::latency_ms(tl.p99),
                    crate::report::format::latency_ms(cl.p99)
                ));
            }
            None => msgs.push(format!(
                "{} p99 {} ms (control {} ms)",
                t.name,
                crate::report::format::latency_ms(tl.p99),
                crate::report::format::latency_ms(cl.p99)
            )),
        }
    }
    let mut latency = Check::new(CheckId::LatencyP99, worst, msgs.join("; "))
        .with("limit_p99_ms", g.latency_p99_ms)
        .with("max_relative_increase", g.latency_p99_max_increase);
    for (name, value) in numbers {
        latency.add(name, value);
    }
    latency
}

fn guard<'a>(
    guards: &'a [GuardrailResult],
    name: &str,
    treatment: &str,
) -> Option<&'a GuardrailResult> {
    guards
        .iter()
        .find(|r| r.name == name && r.treatment == treatment)
}

pub(super) fn guard_status(s: GuardrailStatus) -> Status {
    match s {
        GuardrailStatus::Pass => Status::Pass,
        GuardrailStatus::Undecided => Status::Warn,
        GuardrailStatus::Fail => Status::Fail,
    }
}

/// Each treatment's error rate: the non-inferiority guardrail on its increase over the
/// control's (without an error test: the observed rates against the margin).
fn error_rate_check(
    ctrl: &GroupSummary,
    treatments: &[&GroupSummary],
    g: &Guardrails,
    guards: &[GuardrailResult],
) -> Check {
    let mut worst = Status::Pass;
    let mut msgs = Vec::new();
    for t in treatments {
        let d = t.error_rate - ctrl.error_rate;
        let rates = format!(
            "{} vs control {}, {}",
            pct(t.error_rate),
            pct(ctrl.error_rate),
            crate::report::format::points(d)
        );
        match guard(guards, crate::analysis::rollout::ERROR_RATE, &t.name) {
            Some(r) => {
                worst = worst.max(guard_status(r.status));
                msgs.push(format!("{} ({rates})", r.message));
            }
            None => {
                if d > g.error_rate_margin {
                    worst = Status::Fail;
                }
                msgs.push(format!(
                    "{} error rate {rates} (margin {:.2} pp)",
                    t.name,
                    g.error_rate_margin * 100.0
                ));
            }
        }
    }
    let mut errors = Check::new(CheckId::ErrorRate, worst, msgs.join("; "))
        .with(format!("{}.error_rate", ctrl.name), ctrl.error_rate)
        .with("margin", g.error_rate_margin);
    for t in treatments {
        errors.add(format!("{}.error_rate", t.name), t.error_rate);
    }
    errors
}

/// Treatment requests served by another model.
fn fallbacks_check(treatments: &[&GroupSummary]) -> Check {
    let fb: u64 = treatments.iter().map(|t| t.fallbacks).sum();
    let fallbacks = if fb == 0 {
        Check::new(
            CheckId::Fallbacks,
            Status::Pass,
            "every treatment request was served by the treatment model",
        )
    } else {
        let detail: Vec<String> = treatments
            .iter()
            .filter(|t| t.fallbacks > 0)
            .map(|t| {
                format!(
                    "{}: {} ({})",
                    t.name,
                    t.fallbacks,
                    pct(t.fallbacks as f64 / t.requests as f64)
                )
            })
            .collect();
        Check::new(
            CheckId::Fallbacks,
            Status::Warn,
            format!(
                "{fb} treatment requests served by another model ({})",
                detail.join(", ")
            ),
        )
    };
    fallbacks.with("fallbacks", fb as f64)
}

/// The MDE as every difference is written (treatment − control, four significant digits).
fn fmt_mde(p: &PowerResult) -> String {
    crate::report::format::diff(p.mde_absolute)
}

/// Declared ramp against the detected stages.
pub fn stages_check(declared: Option<usize>, detected: usize, from_plan: bool) -> Check {
    let c = match declared {
        _ if from_plan => Check::new(
            CheckId::Stages,
            Status::Pass,
            format!("{detected} stage(s) as declared in the plan"),
        ),
        Some(d) if d == detected => Check::new(
            CheckId::Stages,
            Status::Pass,
            format!("{detected} stage(s) detected, as the plan's ramp declares"),
        ),
        Some(d) => Check::new(
            CheckId::Stages,
            Status::Warn,
            format!("the plan's ramp declares {d} stage(s), {detected} detected: the per-stage SRM cannot use the ramp"),
        )
        .with("declared", d as f64),
        None => Check::new(
            CheckId::Stages,
            if detected > 1 { Status::Warn } else { Status::Pass },
            if detected > 1 {
                format!("{detected} stages detected and none declared: declare ramp = [...] in the plan to check each stage's split")
            } else {
                "one stage: the split did not change".to_string()
            },
        ),
    };
    c.with("detected", detected as f64)
}

/// Whether the effect differs between stages (Cochran's Q) for the primary metric.
pub fn heterogeneity_check(tests: &[crate::report::TestResult], alpha: f64) -> Option<Check> {
    let with_q: Vec<&crate::report::TestResult> =
        tests.iter().filter(|t| t.heterogeneity.is_some()).collect();
    if with_q.is_empty() {
        return None;
    }
    let primary = with_q
        .iter()
        .find(|t| t.primary)
        .copied()
        .or(with_q.first().copied())?;
    let h = primary.heterogeneity?;
    let others: Vec<String> = with_q
        .iter()
        .filter(|t| !std::ptr::eq(**t, primary))
        .filter(|t| t.heterogeneity.is_some_and(|h| h.p_value < alpha))
        .map(|t| format!("{} ({})", t.metric, t.treatment))
        .collect();
    let also = if others.is_empty() {
        String::new()
    } else {
        format!("; also differs for {}", others.join(", "))
    };
    let c = if h.p_value < alpha && primary.primary {
        Check::new(
            CheckId::Heterogeneity,
            Status::Warn,
            format!(
                "the effect on {} differs between stages (Q = {:.2}, df = {}, p = {}, I² = {:.0}%): novelty or learning effects, or a stage-specific problem{also}",
                primary.metric,
                h.q,
                h.df,
                crate::report::format::p(Some(h.p_value)),
                h.i2 * 100.0
            ),
        )
    } else {
        Check::new(
            CheckId::Heterogeneity,
            if others.is_empty() { Status::Pass } else { Status::Warn },
            format!(
                "the effect on {} is consistent across stages (Q = {:.2}, df = {}, p = {:.3}){also}",
                primary.metric, h.q, h.df, h.p_value
            ),
        )
    };
    Some(
        c.with("q", h.q)
            .with("df", h.df)
            .with("p_value", h.p_value)
            .with("i2", h.i2),
    )
}
