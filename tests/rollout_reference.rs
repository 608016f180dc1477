//! Rollout-aware analysis against gbstats 0.8 / scipy reference values
//! (`tests/reference/make_rollout_reference.py` → `tests/fixtures/rollout/`).

use serde_json::Value;
use verdict::analysis::{analyze, AnalysisConfig};
use verdict::ingest::{load, LoadOptions};
use verdict::plan::{Plan, PlanStage, UnitChoice};
use verdict::report::{ExperimentReport, TestMethod, UnitKind};

const LOG: &str = "tests/fixtures/rollout/ramp_app.log";

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string("tests/fixtures/rollout/reference.json").unwrap())
        .unwrap()
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    let err = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        err <= tol || (got - want).abs() <= 1e-15,
        "{what}: got {got}, want {want} (rel err {err:.2e})"
    );
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn run(plan: Plan, unit: Option<UnitChoice>) -> ExperimentReport {
    let opts = LoadOptions {
        overrides: plan.role_overrides(),
        known_groups: None,
    };
    let ds = load(&[LOG.to_string()], &opts).unwrap();
    analyze(
        &ds,
        &AnalysisConfig {
            plan,
            unit,
            inference: Some(verdict::plan::Inference::Fixed),
            ..Default::default()
        },
    )
    .unwrap()
}

/// The plan with the stages at the switch times the generator used.
fn declared_plan(r: &Value) -> Plan {
    let t0 = verdict::ingest::time::parse_timestamp_us(r["t0"].as_str().unwrap()).unwrap();
    let stages = r["stage_starts_ms"]
        .as_array()
        .unwrap()
        .iter()
        .zip(r["ramp"].as_array().unwrap())
        .map(|(ms, pct)| PlanStage {
            start: verdict::ingest::time::format_timestamp_us(t0 + ms.as_i64().unwrap() * 1000),
            split: [("A".to_string(), 100.0 - f(pct)), ("B".to_string(), f(pct))]
                .into_iter()
                .collect(),
        })
        .collect();
    Plan {
        primary_metric: Some("converted".into()),
        stages,
        ..Default::default()
    }
}

#[test]
fn stages_match_gbstats_and_scipy() {
    let r = reference();
    let rep = run(declared_plan(&r), None);
    assert_eq!(rep.unit.kind, UnitKind::User);
    assert_eq!(rep.stages.len(), 4);
    for (s, want) in rep.stages.iter().zip(r["stages"].as_array().unwrap()) {
        assert_eq!(
            s.requests,
            want["requests"].as_u64().unwrap(),
            "stage {}",
            s.index
        );
        for g in ["A", "B"] {
            assert_eq!(s.units[g], want["units"][g].as_u64().unwrap(), "units {g}");
        }
        let srm = s.srm.unwrap();
        close("srm chi2", srm.chi2, f(&want["srm"]["chi2"]), 1e-9);
        close("srm p", srm.p_value, f(&want["srm"]["p_value"]), 1e-6);
        for t in &s.tests {
            let w = &want["tests"][&t.metric];
            let a = &w["absolute"];
            let rel = &w["relative"];
            let m = format!("stage {} {}", s.index, t.metric);
            assert_eq!(t.method, TestMethod::DeltaRatio, "{m}");
            assert_eq!(t.units_control, w["units_control"].as_u64(), "{m}");
            close(&m, t.control_value, f(&w["control_value"]), 1e-9);
            close(&m, t.treatment_value, f(&w["treatment_value"]), 1e-9);
            close(&m, t.diff, f(&a["estimate"]), 1e-9);
            close(&m, t.ci_low.unwrap(), f(&a["ci"][0]), 1e-9);
            close(&m, t.ci_high.unwrap(), f(&a["ci"][1]), 1e-9);
            close(&m, t.statistic.unwrap(), f(&a["t"]), 1e-9);
            close(&m, t.df.unwrap(), f(&a["dof"]), 1e-9);
            close(&m, t.p_value.unwrap(), f(&a["p_value"]), 1e-6);
            close(&m, t.relative_lift.unwrap(), f(&rel["estimate"]), 1e-9);
            close(&m, t.relative_lift_ci_low.unwrap(), f(&rel["ci"][0]), 1e-9);
            close(&m, t.relative_lift_ci_high.unwrap(), f(&rel["ci"][1]), 1e-9);
        }
    }
}

#[test]
fn combined_effect_and_heterogeneity_match() {
    let r = reference();
    let rep = run(declared_plan(&r), None);
    for t in &rep.tests {
        let w = &r["combined"][&t.metric];
        let (a, rel) = (&w["absolute"], &w["relative"]);
        let m = &t.metric;
        assert_eq!(t.stages_combined, 4, "{m}");
        assert!(t.df.is_none());
        close(m, t.diff, f(&a["estimate"]), 1e-9);
        close(m, t.ci_low.unwrap(), f(&a["ci"][0]), 1e-9);
        close(m, t.ci_high.unwrap(), f(&a["ci"][1]), 1e-9);
        close(m, t.statistic.unwrap(), f(&a["z"]), 1e-9);
        close(m, t.p_value.unwrap(), f(&a["p_value"]), 1e-6);
        close(m, t.relative_lift.unwrap(), f(&rel["estimate"]), 1e-9);
        close(m, t.relative_lift_ci_low.unwrap(), f(&rel["ci"][0]), 1e-9);
        let h = t.heterogeneity.unwrap();
        close(m, h.q, f(&a["q"]), 1e-9);
        assert_eq!(h.df, 3.0);
        close(m, h.p_value, f(&a["q_p_value"]), 1e-6);
        close(m, h.i2, f(&a["i2"]), 1e-9);
    }
    assert_eq!(rep.tests.len(), 4, "converted, latency, score, error rate");
    // the top-level SRM is the stage with the smallest p
    let srm = rep.srm.as_ref().unwrap();
    let worst = rep
        .stages
        .iter()
        .min_by(|a, b| a.srm.unwrap().p_value.total_cmp(&b.srm.unwrap().p_value))
        .unwrap();
    assert_eq!(srm.stage, Some(worst.index));
}

#[test]
fn users_moved_at_the_ramp_are_not_leakage_and_errors_go_to_the_right_model() {
    let r = reference();
    let rep = run(declared_plan(&r), None);
    assert_eq!(rep.assignment.users, r["users"].as_u64().unwrap());
    assert_eq!(
        rep.assignment.users_moved_at_ramp,
        r["users_moved_at_ramp"].as_u64().unwrap()
    );
    assert_eq!(
        rep.assignment.users_in_multiple_groups,
        r["users_in_multiple_groups"].as_u64().unwrap()
    );
    assert!(rep.assignment.users_moved_at_ramp > 100);
    for g in &rep.groups {
        assert_eq!(
            g.errors,
            r["errors"][&g.name].as_u64().unwrap(),
            "{}",
            g.name
        );
    }
    assert_eq!(
        rep.errors_unattributed,
        r["errors_unattributed"].as_u64().unwrap()
    );
    // the challenger's out-of-memory errors are charged to the challenger
    let b = rep.groups.iter().find(|g| g.name == "B").unwrap();
    let a = rep.groups.iter().find(|g| g.name == "A").unwrap();
    assert!(b.errors > a.errors);
}

#[test]
fn ramp_is_detected_and_refined_to_the_switch() {
    let r = reference();
    let plan = Plan {
        ramp: Some(vec![1.0, 5.0, 20.0, 50.0]),
        ..Default::default()
    };
    let rep = run(plan, None);
    assert_eq!(
        rep.stages.len(),
        4,
        "{:?}",
        rep.stages.iter().map(|s| &s.start).collect::<Vec<_>>()
    );
    let t0 = verdict::ingest::time::parse_timestamp_us(r["t0"].as_str().unwrap()).unwrap();
    let span_us = 120 * 60 * 1_000_000i64;
    for (s, ms) in rep
        .stages
        .iter()
        .zip(r["stage_starts_ms"].as_array().unwrap())
        .skip(1)
    {
        let truth = t0 + ms.as_i64().unwrap() * 1000;
        let off = (s.start_us - truth).abs();
        // within 1 % of the span (the rule is 1 % or 1 h, whichever is less)
        assert!(
            off <= span_us / 100,
            "stage {} starts {} µs from the switch",
            s.index,
            off
        );
    }
    for s in &rep.stages {
        let srm = s.srm.expect("the ramp gives every stage a split");
        assert!(!srm.mismatch, "stage {} SRM p = {}", s.index, srm.p_value);
    }
    let check = rep
        .checks
        .iter()
        .find(|c| c.id.as_str() == "stages")
        .unwrap();
    assert_eq!(check.status.as_str(), "pass", "{}", check.message);
    // pooling the whole ramp would be a mismatch; the per-stage SRM is not
    assert!(!rep.srm.as_ref().unwrap().mismatch);
}

#[test]
fn request_unit_is_one_stage_of_request_level_tests() {
    let rep = run(Plan::default(), Some(UnitChoice::Request));
    assert_eq!(rep.unit.kind, UnitKind::Request);
    assert_eq!(rep.stages.len(), 1);
    let conv = rep.tests.iter().find(|t| t.metric == "converted").unwrap();
    assert_eq!(conv.method, TestMethod::TwoProportionZ);
    assert_eq!(conv.units_control, Some(conv.control_n));
    // the whole-log request SRM sees the ramp as a mismatch
    assert!(rep.srm.as_ref().unwrap().mismatch);
}

#[test]
fn structlog_with_config_events_is_staged() {
    let opts = LoadOptions::default();
    let ds = load(
        &["tests/fixtures/rollout/ramp_structlog.jsonl".to_string()],
        &opts,
    )
    .unwrap();
    let rep = analyze(&ds, &AnalysisConfig::default()).unwrap();
    assert_eq!(rep.unit.kind, UnitKind::User);
    assert_eq!(rep.stages.len(), 4);
    // the same requests as the app log: the same errors per group and unattributed
    let r = reference();
    assert_eq!(
        rep.errors_unattributed,
        r["errors_unattributed"].as_u64().unwrap()
    );
    for g in &rep.groups {
        assert_eq!(
            g.errors,
            r["errors"][&g.name].as_u64().unwrap(),
            "{}",
            g.name
        );
    }
    assert_eq!(rep.assignment.users_in_multiple_groups, 0);
    // model loads and config changes are events, not rejected rows, and their fields
    // (load_ms, challenger_percent, previous, slot) are not metrics or segments
    assert_eq!(rep.events_total, 6);
    assert_eq!(
        rep.events
            .iter()
            .filter(|e| e.name == "ab_config_changed")
            .count(),
        4
    );
    // one error line of a user never seen in a group is the only rejected row
    assert_eq!(rep.input.rows_rejected, 1);
    let metrics: Vec<&str> = rep.metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(metrics, ["converted"]);
    assert!(rep.segment_columns.is_empty());
}

/// A ramp of three stages of a few hundred requests each, over minutes.
#[test]
fn short_stages_of_a_few_hundred_requests_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("ts,user_id,group,converted\n");
    let mut state = 7u64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let t0 = 1_765_000_000_000i64;
    let pct = [10.0, 30.0, 60.0];
    for i in 0..900i64 {
        let stage = (i / 300) as usize;
        let user = (next() * 250.0) as u64;
        let bucket = (user * 2_654_435_761 % 4_294_967_296) % 100;
        let g = if (bucket as f64) < pct[stage] {
            "B"
        } else {
            "A"
        };
        let c = (next() < 0.2) as u8;
        csv.push_str(&format!("{},u{user},{g},{c}\n", t0 + i * 400));
    }
    let path = dir.path().join("short.csv");
    std::fs::write(&path, csv).unwrap();
    let ds = load(&[path.display().to_string()], &LoadOptions::default()).unwrap();
    let rep = analyze(
        &ds,
        &AnalysisConfig {
            plan: Plan {
                ramp: Some(pct.to_vec()),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        rep.stages.len(),
        3,
        "{:?}",
        rep.stages.iter().map(|s| &s.start).collect::<Vec<_>>()
    );
    for (s, want) in rep.stages.iter().zip([0i64, 300, 600]).skip(1) {
        let truth = (t0 + want * 400) * 1000;
        // a request is 0.4 s apart; the span is 6 minutes (1 % = 3.6 s)
        assert!(
            (s.start_us - truth).abs() <= 3_600_000,
            "stage {} off by {} µs",
            s.index,
            s.start_us - truth
        );
    }
}

#[test]
fn markdown_and_html_carry_the_unit_stages_and_events() {
    let ds = load(
        &["tests/fixtures/rollout/ramp_structlog.jsonl".to_string()],
        &LoadOptions::default(),
    )
    .unwrap();
    let rep = analyze(&ds, &AnalysisConfig::default()).unwrap();
    let md = verdict::report::markdown::render(&rep);
    assert!(md.contains("## Unit and stages"), "{md}");
    assert!(md.contains("Unit: user `user_id` (detected). 4 stage(s)."));
    assert!(md.contains("Cochran's Q"));
    assert!(md.contains("| 2025-12-13T13:30:00Z | ab_config_changed |"));
    let html = verdict::report::html::render(&rep);
    assert!(html.contains("<h2>Unit and stages</h2>"));
    assert!(html.contains("<h2>Service events</h2>"));
    let json = serde_json::to_value(&rep).unwrap();
    for key in [
        "unit",
        "stages",
        "errors_unattributed",
        "events",
        "events_total",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    let t = &json["tests"][0];
    for key in [
        "units_control",
        "units_treatment",
        "stages_combined",
        "heterogeneity",
    ] {
        assert!(t.get(key).is_some(), "{key}");
    }
    assert!(json["assignment"].get("users_moved_at_ramp").is_some());
    // four stages and no declared split: no SRM can be computed, and the checks say so
    assert!(json["srm"].is_null());
    assert!(rep
        .stages
        .iter()
        .all(|s| s.srm.is_none() && s.srm_reason.is_some()));
    let stages = rep
        .checks
        .iter()
        .find(|c| c.id.as_str() == "stages")
        .unwrap();
    assert_eq!(stages.status.as_str(), "warn");
    let srm = rep.checks.iter().find(|c| c.id.as_str() == "srm").unwrap();
    assert_eq!(srm.status.as_str(), "warn");
}
