//! Health and guardrail checks (pass / warn / fail, one line each) and the
//! recommendation they drive.

use crate::plan::Plan;
use crate::report::{
    Assignment, Check, GroupSummary, PowerResult, Recommendation, SrmResult, Status, TestResult,
};

fn check(id: &str, status: Status, message: String) -> Check {
    Check {
        id: id.into(),
        status,
        message,
    }
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// Runs every check. `groups[control]` is the control.
pub fn run_checks(
    plan: &Plan,
    groups: &[GroupSummary],
    control: usize,
    srm: &SrmResult,
    assignment: &Assignment,
    power: Option<&PowerResult>,
) -> Vec<Check> {
    let g = &plan.guardrails;
    let ctrl = &groups[control];
    let treatments: Vec<&GroupSummary> = groups
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != control)
        .map(|(_, x)| x)
        .collect();
    let mut out = Vec::new();

    out.push(if srm.mismatch {
        check("srm", Status::Fail, format!("sample-ratio mismatch: chi2 = {:.2}, p = {:.3e} < {}; the split is not what was planned", srm.chi2, srm.p_value, g.srm_alpha))
    } else {
        check("srm", Status::Pass, format!("split matches the expected ratio (chi2 = {:.2}, p = {:.3})", srm.chi2, srm.p_value))
    });

    let share = if assignment.users > 0 {
        assignment.users_in_multiple_groups as f64 / assignment.users as f64
    } else {
        0.0
    };
    out.push(if assignment.users == 0 {
        check(
            "leakage",
            Status::Warn,
            "no user column: assignment leakage cannot be checked".into(),
        )
    } else if assignment.users_in_multiple_groups == 0 {
        check(
            "leakage",
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
        check(
            "leakage",
            status,
            format!(
                "{} of {} users ({}) seen in more than one group",
                assignment.users_in_multiple_groups,
                assignment.users,
                pct(share)
            ),
        )
    });

    out.push(match power {
        None => check(
            "sample_size",
            Status::Warn,
            "no proportion metric: required sample size unknown".into(),
        ),
        Some(p) if p.reached => check(
            "sample_size",
            Status::Pass,
            format!(
                "{} per group reached (needs {} for {} on {})",
                p.observed_per_group,
                p.required_per_group,
                fmt_mde(p),
                p.metric
            ),
        ),
        Some(p) => check(
            "sample_size",
            Status::Warn,
            format!(
                "{} of {} per group needed ({:.0}%) to detect {} on {}",
                p.observed_per_group,
                p.required_per_group,
                p.progress * 100.0,
                fmt_mde(p),
                p.metric
            ),
        ),
    });

    // latency p99
    let mut worst = Status::Pass;
    let mut msgs = Vec::new();
    for t in &treatments {
        match (t.latency_ms, ctrl.latency_ms) {
            (Some(tl), Some(cl)) => {
                let limit_rel = cl.p99 * (1.0 + g.latency_p99_max_increase);
                let over_abs = tl.p99 > g.latency_p99_ms;
                let over_rel = tl.p99 > limit_rel;
                if over_abs || over_rel {
                    worst = Status::Fail;
                }
                let mut why = Vec::new();
                if over_abs {
                    why.push(format!("above {} ms", g.latency_p99_ms));
                }
                if over_rel {
                    why.push(format!(
                        "{:+.1}% vs control, limit +{:.0}%",
                        (tl.p99 / cl.p99 - 1.0) * 100.0,
                        g.latency_p99_max_increase * 100.0
                    ));
                }
                if why.is_empty() {
                    msgs.push(format!(
                        "{} p99 {:.1} ms (control {:.1} ms)",
                        t.name, tl.p99, cl.p99
                    ));
                } else {
                    msgs.push(format!(
                        "{} p99 {:.1} ms (control {:.1} ms): {}",
                        t.name,
                        tl.p99,
                        cl.p99,
                        why.join(", ")
                    ));
                }
            }
            _ => {
                worst = worst.max(Status::Warn);
                msgs.push(format!("{}: no latency values", t.name));
            }
        }
    }
    out.push(check("latency_p99", worst, msgs.join("; ")));

    // error rate
    let mut worst = Status::Pass;
    let mut msgs = Vec::new();
    for t in &treatments {
        let d = t.error_rate - ctrl.error_rate;
        if d > g.error_rate_margin {
            worst = Status::Fail;
        }
        msgs.push(format!(
            "{} error rate {} vs control {} ({:+.2} points, margin {:.2} points)",
            t.name,
            pct(t.error_rate),
            pct(ctrl.error_rate),
            d * 100.0,
            g.error_rate_margin * 100.0
        ));
    }
    out.push(check("error_rate", worst, msgs.join("; ")));

    let fb: u64 = treatments.iter().map(|t| t.fallbacks).sum();
    out.push(if fb == 0 {
        check(
            "fallbacks",
            Status::Pass,
            "every treatment request was served by the treatment model".into(),
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
        check(
            "fallbacks",
            Status::Warn,
            format!(
                "{fb} treatment requests served by another model ({})",
                detail.join(", ")
            ),
        )
    });
    out
}

/// A p-value for messages: 4 decimals, scientific below 0.0001.
pub fn fmt_p(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.2e}")
    } else {
        format!("{p:.4}")
    }
}

fn fmt_mde(p: &PowerResult) -> String {
    format!("{:+.2} points", p.mde_absolute * 100.0)
}

/// Ramp up / hold / roll back, with the checks and results that drove it.
pub fn recommend(
    plan: &Plan,
    checks: &[Check],
    tests: &[TestResult],
    primary: Option<&str>,
) -> Recommendation {
    let status = |id: &str| {
        checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.status)
            .unwrap_or(Status::Pass)
    };
    let mut reasons = Vec::new();
    let mut action = "ramp_up";
    let demote = |a: &'static str, action: &mut &'static str| {
        let rank = |x: &str| match x {
            "ramp_up" => 0,
            "hold" => 1,
            _ => 2,
        };
        if rank(a) > rank(action) {
            *action = a;
        }
    };
    for id in ["latency_p99", "error_rate"] {
        if status(id) == Status::Fail {
            demote("roll_back", &mut action);
            reasons.push(format!(
                "guardrail {id} failed: {}",
                checks
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| c.message.as_str())
                    .unwrap_or("")
            ));
        }
    }
    for id in ["srm", "leakage"] {
        if status(id) == Status::Fail {
            demote("hold", &mut action);
            reasons.push(format!("{id} failed, so the comparison cannot be trusted"));
        }
    }
    let metric = primary.map(str::to_string).or_else(|| {
        tests
            .iter()
            .find(|t| t.method == "two_proportion_z")
            .map(|t| t.metric.clone())
    });
    match metric {
        None => {
            demote("hold", &mut action);
            reasons.push("no metric to decide on: declare a primary metric in verdict.toml".into());
        }
        Some(m) => {
            let label = if primary.is_some() {
                format!("primary metric {m}")
            } else {
                format!("{m} (exploratory: no primary metric declared)")
            };
            for t in tests.iter().filter(|t| t.metric == m) {
                let better = t.favorable.unwrap_or(false);
                let p = t.p_value.map(fmt_p).unwrap_or_else(|| "n/a".into());
                if t.significant && better {
                    reasons.push(format!(
                        "{label}: {} beats {} by {:+.4} (p = {p})",
                        t.treatment, t.control, t.diff
                    ));
                } else if t.significant {
                    demote("roll_back", &mut action);
                    reasons.push(format!(
                        "{label}: {} is significantly worse than {} ({:+.4}, p = {p})",
                        t.treatment, t.control, t.diff
                    ));
                } else {
                    demote("hold", &mut action);
                    reasons.push(format!(
                        "{label}: no significant difference yet ({:+.4}, p = {p}, alpha = {})",
                        t.diff, plan.alpha
                    ));
                }
            }
        }
    }
    if status("sample_size") == Status::Warn && action == "ramp_up" {
        demote("hold", &mut action);
        reasons.push("the planned sample size is not reached yet".into());
    }
    Recommendation {
        action: action.into(),
        reasons,
    }
}
