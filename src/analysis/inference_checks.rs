//! Checks of the inference layer: the metrics declared as guardrails, and whether CUPED
//! applied.

use super::checks::guard_status;
use crate::plan::Plan;
use crate::report::{Check, CheckId, GuardrailResult, Status};

/// The metrics declared as guardrails (None without any).
pub fn metric_guardrails_check(plan: &Plan, guards: &[GuardrailResult]) -> Option<Check> {
    let declared: Vec<&GuardrailResult> = guards
        .iter()
        .filter(|r| plan.guardrails.metric.iter().any(|m| m.name == r.name))
        .collect();
    if declared.is_empty() {
        return None;
    }
    let worst = declared
        .iter()
        .map(|r| guard_status(r.status))
        .max()
        .unwrap_or(Status::Pass);
    let msg: Vec<&str> = declared.iter().map(|r| r.message.as_str()).collect();
    let mut c = Check::new(CheckId::Guardrails, worst, msg.join("; "));
    for r in declared {
        if let Some(p) = r.p_value_adjusted {
            c.add(format!("{}.{}.p_value_adjusted", r.treatment, r.name), p);
        }
    }
    Some(c)
}

/// CUPED applied (with the primary metric's variance reduction), or asked for in the plan
/// without a covariate; None when CUPED is neither on nor asked for.
pub fn cuped_check(
    asked: Option<bool>,
    pre: Option<&crate::report::PrePeriodInfo>,
    unit: crate::report::UnitKind,
    tests: &[crate::report::TestResult],
) -> Option<Check> {
    let by_request = unit == crate::report::UnitKind::Request;
    match (pre, asked) {
        (Some(p), _) if !by_request => {
            let primary = tests.iter().find(|t| t.primary).or(tests.first());
            let reduction = primary.and_then(|t| t.cuped.map(|c| (t, c)));
            let mut c = Check::new(
                CheckId::Cuped,
                Status::Pass,
                match reduction {
                    Some((t, c)) => format!(
                        "CUPED on ({} covariate, {} users): {} variance −{:.1}% (θ = {:.3})",
                        p.source,
                        p.users,
                        t.metric,
                        c.variance_reduction * 100.0,
                        c.theta
                    ),
                    None => format!("CUPED on ({} covariate, {} users)", p.source, p.users),
                },
            )
            .with("users", p.users as f64)
            .with("rows", p.rows as f64);
            if let Some((_, cu)) = reduction {
                c.add("variance_reduction", cu.variance_reduction);
            }
            Some(c)
        }
        (Some(_), Some(true)) | (None, Some(true)) if by_request => Some(Check::new(
            CheckId::Cuped,
            Status::Warn,
            "cuped = true, but CUPED needs users as the unit (this analysis is by request)",
        )),
        (None, Some(true)) => Some(Check::new(
            CheckId::Cuped,
            Status::Warn,
            "cuped = true, but there is no pre-period: set experiment_start (rows before it), pre_period files or a covariate column",
        )),
        _ => None,
    }
}
