//! Guardrail decisions on small synthetic logs: every treatment once, a zero variance never
//! passes, and a log without latencies is not held for a latency guardrail it does not have.

use std::fmt::Write as _;
use verdict::analysis::{analyze, AnalysisConfig};
use verdict::ingest::{load, LoadOptions};
use verdict::plan::Plan;
use verdict::report::{ExperimentReport, GuardrailStatus};

fn run(csv: &str, plan: &str) -> ExperimentReport {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    std::fs::write(&path, csv).unwrap();
    let plan = Plan::parse(plan, "plan").unwrap();
    let ds = load(
        &[path.display().to_string()],
        &LoadOptions {
            overrides: plan.role_overrides(),
            known_groups: None,
        },
    )
    .unwrap();
    analyze(
        &ds,
        &AnalysisConfig {
            plan,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Three groups, 600 users each, converted with a fixed pattern; an error column that is
/// never set.
fn three_groups() -> String {
    let mut out = String::from("ts,user_id,group,converted,error\n");
    for i in 0..1800u64 {
        let g = ["A", "B", "C"][(i % 3) as usize];
        for r in 0..3u64 {
            let c = ((i * 7 + r * 3) % 10 == 0) as u8;
            let _ = writeln!(out, "{},u{i},{g},{c},", 1_765_000_000_000u64 + i * 1000 + r);
        }
    }
    out
}

#[test]
fn every_treatment_once_and_no_latency_hold_without_latencies() {
    let rep = run(
        &three_groups(),
        "primary_metric = \"converted\"\n[[guardrails.metric]]\nname = \"converted\"\nmargin = 0.5\ndirection = \"increase\"\n",
    );
    let names: Vec<(String, String)> = rep
        .guardrails
        .iter()
        .map(|g| (g.treatment.clone(), g.name.clone()))
        .collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(names.len(), unique.len(), "{names:?}");
    assert!(names.iter().any(|n| n.0 == "B") && names.iter().any(|n| n.0 == "C"));
    assert!(rep.quantile_tests.is_empty());
    assert!(
        rep.recommendation
            .reasons
            .iter()
            .all(|r| !r.contains("latency")),
        "{:?}",
        rep.recommendation.reasons
    );
    let conv = rep
        .guardrails
        .iter()
        .find(|g| g.name == "converted")
        .unwrap();
    assert_eq!(conv.status, GuardrailStatus::Pass, "{}", conv.message);
}

#[test]
fn a_guardrail_without_variance_is_undecided_not_passed() {
    // no error at all: the error-rate difference has no variance and proves nothing
    let rep = run(&three_groups(), "primary_metric = \"converted\"\n");
    let errors: Vec<_> = rep
        .guardrails
        .iter()
        .filter(|g| g.name == "error_rate")
        .collect();
    assert_eq!(errors.len(), 2);
    for g in errors {
        assert_eq!(g.status, GuardrailStatus::Undecided, "{}", g.message);
        assert!(g.p_value.is_none());
    }
    assert_ne!(rep.recommendation.action, verdict::report::Action::RampUp);
}
