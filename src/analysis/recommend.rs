//! The recommendation: ramp up, hold or roll back, with the checks and test results that
//! drove it.

use crate::plan::Plan;
use crate::report::{
    Action, Check, CheckId, GuardrailResult, GuardrailStatus, Recommendation, Status, TestMethod,
    TestResult,
};

/// Ramp up / hold / roll back, with the checks and results that drove it.
pub fn recommend(
    plan: &Plan,
    checks: &[Check],
    tests: &[TestResult],
    guards: &[GuardrailResult],
    primary: Option<&str>,
) -> Recommendation {
    let status = |id: CheckId| {
        checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.status)
            .unwrap_or(Status::Pass)
    };
    let mut reasons = Vec::new();
    let mut action = Action::RampUp;
    // the most severe action wins
    let demote = |a: Action, action: &mut Action| *action = (*action).max(a);
    // a guardrail that cannot be decided yet holds the rollout
    for g in guards
        .iter()
        .filter(|g| g.status == GuardrailStatus::Undecided)
    {
        demote(Action::Hold, &mut action);
        reasons.push(format!("guardrail not decided yet: {}", g.message));
    }
    for id in [CheckId::LatencyP99, CheckId::ErrorRate, CheckId::Guardrails] {
        if status(id) == Status::Fail {
            demote(Action::RollBack, &mut action);
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
    for id in [CheckId::Srm, CheckId::Leakage] {
        if status(id) == Status::Fail {
            demote(Action::Hold, &mut action);
            reasons.push(format!("{id} failed, so the comparison cannot be trusted"));
        }
    }
    let metric = primary.map(str::to_string).or_else(|| {
        tests
            .iter()
            .find(|t| t.method == TestMethod::TwoProportionZ)
            .map(|t| t.metric.clone())
    });
    match metric {
        None => {
            demote(Action::Hold, &mut action);
            reasons.push("no metric to decide on: declare a primary metric in the plan".into());
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
                    demote(Action::RollBack, &mut action);
                    reasons.push(format!(
                        "{label}: {} is significantly worse than {} ({:+.4}, p = {p})",
                        t.treatment, t.control, t.diff
                    ));
                } else {
                    demote(Action::Hold, &mut action);
                    reasons.push(format!(
                        "{label}: no significant difference yet ({:+.4}, p = {p}, alpha = {})",
                        t.diff, plan.alpha
                    ));
                }
            }
        }
    }
    if status(CheckId::SampleSize) == Status::Warn && action == Action::RampUp {
        demote(Action::Hold, &mut action);
        reasons.push("the planned sample size is not reached yet".into());
    }
    Recommendation { action, reasons }
}

/// A p-value for messages: 4 decimals, scientific below 0.0001.
pub fn fmt_p(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.2e}")
    } else {
        format!("{p:.4}")
    }
}
