//! Always-valid inference, CUPED, latency percentile tests and non-inferiority guardrails
//! against gbstats 0.8 / statsmodels / scipy reference values
//! (`tests/reference/make_inference_reference.py` → `tests/fixtures/inference/`).

use serde_json::Value;
use verdict::analysis::{analyze, AnalysisConfig};
use verdict::ingest::{load, load_pre_period, LoadOptions};
use verdict::plan::{Inference, Plan, UnitChoice};
use verdict::report::{ExperimentReport, GuardrailStatus, QuantileTest, TestMethod, TestResult};

const DIR: &str = "tests/fixtures/inference";

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/reference.json")).unwrap())
        .unwrap()
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    let err = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        err <= tol || (got - want).abs() <= 1e-13,
        "{what}: got {got}, want {want} (rel err {err:.2e})"
    );
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A test's estimate: at the top of combined entries, inside `fixed` of stage entries.
fn est(v: &Value) -> f64 {
    if v["estimate"].is_number() {
        f(&v["estimate"])
    } else {
        f(&v["fixed"]["estimate"])
    }
}

const PLAN: &str = r#"
primary_metric = "revenue"
experiment_start = "2025-12-01T00:00:00Z"

[[stages]]
start = "2025-12-01T00:00:00Z"
split = { A = 90, B = 10 }

[[stages]]
start = "2025-12-05T00:00:00Z"
split = { A = 50, B = 50 }

[guardrails]
latency_p99_max_increase = 0.10

[[guardrails.metric]]
name = "revenue"
margin = 0.5
direction = "increase"

[[guardrails.metric]]
name = "converted"
margin = 0.02
relative = true
direction = "increase"
"#;

fn plan(extra: &str) -> Plan {
    Plan::parse(&format!("{extra}\n{PLAN}"), "test plan").unwrap()
}

fn run_files(
    files: &[&str],
    plan: Plan,
    inference: Inference,
    pre: Option<&str>,
) -> ExperimentReport {
    let opts = LoadOptions {
        overrides: plan.role_overrides(),
        known_groups: None,
    };
    let files: Vec<String> = files.iter().map(|f| format!("{DIR}/{f}")).collect();
    let mut ds = load(&files, &opts).unwrap();
    if let Some(p) = pre {
        let pre = load_pre_period(
            &[format!("{DIR}/{p}")],
            &opts.overrides,
            &std::sync::atomic::AtomicBool::new(false),
        )
        .unwrap();
        ds.pre_period = Some(std::sync::Arc::new(pre));
    }
    analyze(
        &ds,
        &AnalysisConfig {
            plan,
            inference: Some(inference),
            ..Default::default()
        },
    )
    .unwrap()
}

fn run(plan: Plan, inference: Inference) -> ExperimentReport {
    run_files(&["experiment.jsonl"], plan, inference, None)
}

fn mode(inference: Inference) -> &'static str {
    match inference {
        Inference::Sequential => "sequential",
        Inference::Fixed => "fixed",
    }
}

/// The row's main numbers against the reference of the same inference, and `fixed`
/// against the fixed-horizon reference.
fn check_row(what: &str, t: &TestResult, abs: &Value, rel: &Value, inference: Inference) {
    let m = mode(inference);
    close(&format!("{what} diff"), t.diff, est(abs), 1e-9);
    let ci = &abs[m]["ci"];
    close(
        &format!("{what} ci_low"),
        t.ci_low.unwrap(),
        f(&ci[0]),
        1e-9,
    );
    close(
        &format!("{what} ci_high"),
        t.ci_high.unwrap(),
        f(&ci[1]),
        1e-9,
    );
    close(
        &format!("{what} p"),
        t.p_value.unwrap(),
        f(&abs[m]["p_value"]),
        1e-6,
    );
    assert_eq!(
        t.significant,
        f(&abs[m]["p_value"]) < 0.05,
        "{what} significant"
    );
    close(
        &format!("{what} fixed p"),
        t.fixed.p_value.unwrap(),
        f(&abs["fixed"]["p_value"]),
        1e-6,
    );
    close(
        &format!("{what} fixed ci_low"),
        t.fixed.ci_low.unwrap(),
        f(&abs["fixed"]["ci"][0]),
        1e-9,
    );
    close(
        &format!("{what} fixed ci_high"),
        t.fixed.ci_high.unwrap(),
        f(&abs["fixed"]["ci"][1]),
        1e-9,
    );
    close(
        &format!("{what} relative"),
        t.relative_lift.unwrap(),
        est(rel),
        1e-9,
    );
    close(
        &format!("{what} rel ci_low"),
        t.relative_lift_ci_low.unwrap(),
        f(&rel[m]["ci"][0]),
        1e-9,
    );
    close(
        &format!("{what} rel ci_high"),
        t.relative_lift_ci_high.unwrap(),
        f(&rel[m]["ci"][1]),
        1e-9,
    );
}

fn test_of<'a>(tests: &'a [TestResult], metric: &str) -> &'a TestResult {
    tests.iter().find(|t| t.metric == metric).unwrap()
}

#[test]
fn ratio_tests_follow_the_inference_per_stage_and_combined() {
    let r = reference();
    for inference in [Inference::Sequential, Inference::Fixed] {
        let rep = run(plan("cuped = false"), inference);
        assert_eq!(rep.inference, inference);
        assert_eq!(rep.sequential_tuning, 5000.0);
        assert!(rep.pre_period.is_none());
        assert_eq!(rep.stages.len(), 2);
        for metric in ["converted", "revenue"] {
            let rm = &r["ratio"][metric];
            for (s, stage) in rep.stages.iter().enumerate() {
                let t = test_of(&stage.tests, metric);
                assert_eq!(t.method, TestMethod::DeltaRatio);
                let rs = &rm["stages"][s];
                assert_eq!(t.units_control, rs["units_control"].as_u64());
                assert_eq!(t.units_treatment, rs["units_treatment"].as_u64());
                let what = format!("{metric} stage {s} {}", mode(inference));
                check_row(&what, t, &rs["absolute"], &rs["relative"], inference);
            }
            let t = test_of(&rep.tests, metric);
            let c = &rm["combined"];
            check_row(
                &format!("{metric} combined"),
                t,
                &c["absolute"],
                &c["relative"],
                inference,
            );
            assert!(t.cuped.is_none());
        }
    }
}

#[test]
fn sequential_intervals_are_wider_and_contain_the_fixed_ones() {
    let rep = run(plan("cuped = false"), Inference::Sequential);
    for t in rep.tests.iter().filter(|t| t.p_value.is_some()) {
        assert!(t.ci_low.unwrap() < t.fixed.ci_low.unwrap(), "{}", t.metric);
        assert!(
            t.ci_high.unwrap() > t.fixed.ci_high.unwrap(),
            "{}",
            t.metric
        );
        assert!(
            t.p_value.unwrap() >= t.fixed.p_value.unwrap(),
            "{}",
            t.metric
        );
    }
}

fn check_cuped(rep: &ExperimentReport, r: &Value, inference: Inference) {
    let m = mode(inference);
    let pre = rep.pre_period.as_ref().expect("pre-period");
    assert_eq!(
        pre.rows,
        r["counts"]["pre_period"]["rows"].as_u64().unwrap()
    );
    assert_eq!(
        pre.users,
        r["counts"]["pre_period"]["users"].as_u64().unwrap()
    );
    // pre-period rows are in no stage and no group summary
    let requests: u64 = rep.stages.iter().map(|s| s.requests).sum();
    assert_eq!(
        requests,
        r["counts"]["experiment"]["rows"].as_u64().unwrap()
    );
    let grouped: u64 = rep.groups.iter().map(|g| g.requests).sum();
    assert_eq!(grouped, r["counts"]["experiment"]["rows"].as_u64().unwrap());
    for metric in ["converted", "revenue"] {
        let rm = &r["cuped"][metric];
        for (s, stage) in rep.stages.iter().enumerate() {
            let t = test_of(&stage.tests, metric);
            assert_eq!(t.method, TestMethod::Cuped);
            let rs = &rm["stages"][s];
            let c = t.cuped.expect("cuped");
            let what = format!("{metric} stage {s} cuped {m}");
            close(&format!("{what} theta"), c.theta, f(&rs["theta"]), 1e-9);
            close(
                &format!("{what} reduction"),
                c.variance_reduction,
                f(&rs["variance_reduction"]),
                1e-9,
            );
            assert_eq!(
                c.users_with_covariate,
                rs["users_with_covariate"].as_u64().unwrap()
            );
            close(
                &format!("{what} control"),
                t.control_value,
                f(&rs["control_value"]),
                1e-9,
            );
            close(
                &format!("{what} treatment"),
                t.treatment_value,
                f(&rs["treatment_value"]),
                1e-9,
            );
            check_row(
                &what,
                t,
                &rs["adjusted"]["absolute"],
                &rs["adjusted"]["relative"],
                inference,
            );
            let u = &rs["unadjusted"]["absolute"];
            close(
                &format!("{what} unadjusted diff"),
                c.unadjusted.diff,
                est(u),
                1e-9,
            );
            close(
                &format!("{what} unadjusted ci"),
                c.unadjusted.ci_low.unwrap(),
                f(&u[m]["ci"][0]),
                1e-9,
            );
            close(
                &format!("{what} unadjusted p"),
                c.unadjusted.p_value.unwrap(),
                f(&u[m]["p_value"]),
                1e-6,
            );
            close(
                &format!("{what} post mean"),
                c.unadjusted.control_value,
                f(&rs["control_post_mean"]),
                1e-9,
            );
        }
        let t = test_of(&rep.tests, metric);
        let c = &rm["combined"];
        let what = format!("{metric} combined cuped {m}");
        check_row(
            &what,
            t,
            &c["adjusted"]["absolute"],
            &c["adjusted"]["relative"],
            inference,
        );
        let cu = t.cuped.expect("combined cuped");
        let u = &c["unadjusted"]["absolute"];
        close(
            &format!("{what} unadjusted diff"),
            cu.unadjusted.diff,
            est(u),
            1e-9,
        );
        close(
            &format!("{what} unadjusted ci_high"),
            cu.unadjusted.ci_high.unwrap(),
            f(&u[m]["ci"][1]),
            1e-9,
        );
        close(
            &format!("{what} unadjusted p"),
            cu.unadjusted.p_value.unwrap(),
            f(&u[m]["p_value"]),
            1e-6,
        );
        close(
            &format!("{what} reduction"),
            cu.variance_reduction,
            1.0 - f(&c["adjusted"]["absolute"]["variance"]) / f(&u["variance"]),
            1e-9,
        );
    }
}

#[test]
fn cuped_from_the_logs_pre_period_matches_gbstats() {
    let r = reference();
    for inference in [Inference::Sequential, Inference::Fixed] {
        // on by default when the log has rows before experiment_start
        check_cuped(&run(plan(""), inference), &r, inference);
    }
}

#[test]
fn cuped_from_pre_period_files_gives_the_same_numbers() {
    let r = reference();
    let rep = run_files(
        &["post.jsonl"],
        plan(""),
        Inference::Sequential,
        Some("pre_period.jsonl"),
    );
    assert_eq!(rep.pre_period.as_ref().unwrap().source, "files");
    check_cuped(&rep, &r, Inference::Sequential);
    // and the plan's pre_period key is what the CLI reads
    let p = Plan::parse(
        &format!("pre_period = [\"{DIR}/pre_period.jsonl\"]\n{PLAN}"),
        "plan",
    )
    .unwrap();
    assert_eq!(p.pre_period.len(), 1);
}

fn quantile(qs: &[QuantileTest], nu: f64) -> &QuantileTest {
    qs.iter().find(|q| (q.quantile - nu).abs() < 1e-12).unwrap()
}

#[test]
fn latency_percentile_tests_match_gbstats_quantile_clustered() {
    let r = reference();
    for inference in [Inference::Sequential, Inference::Fixed] {
        let m = mode(inference);
        let rep = run(plan(""), inference);
        for (key, nu) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
            let rq = &r["quantile"]["latency_ms"][key];
            for (s, stage) in rep.stages.iter().enumerate() {
                let q = quantile(&stage.quantile_tests, nu);
                let rs = &rq["stages"][s];
                let what = format!("{key} stage {s} {m}");
                close(
                    &format!("{what} control"),
                    q.control_value,
                    f(&rs["inputs"]["A"]["quantile_hat"]),
                    1e-12,
                );
                close(
                    &format!("{what} treatment"),
                    q.treatment_value,
                    f(&rs["inputs"]["B"]["quantile_hat"]),
                    1e-12,
                );
                assert_eq!(q.control_n, rs["inputs"]["A"]["n"].as_u64().unwrap());
                assert_eq!(
                    q.clusters_treatment,
                    rs["inputs"]["B"]["n_clusters"].as_u64().unwrap()
                );
                assert!(rs["testable"].as_bool().unwrap());
                let (a, rl) = (&rs["absolute"], &rs["relative"]);
                close(
                    &format!("{what} diff"),
                    q.diff,
                    f(&a["fixed"]["estimate"]),
                    1e-9,
                );
                close(
                    &format!("{what} ci_low"),
                    q.ci_low.unwrap(),
                    f(&a[m]["ci"][0]),
                    1e-9,
                );
                close(
                    &format!("{what} ci_high"),
                    q.ci_high.unwrap(),
                    f(&a[m]["ci"][1]),
                    1e-9,
                );
                close(
                    &format!("{what} p"),
                    q.p_value.unwrap(),
                    f(&a[m]["p_value"]),
                    1e-6,
                );
                close(
                    &format!("{what} fixed p"),
                    q.fixed.p_value.unwrap(),
                    f(&a["fixed"]["p_value"]),
                    1e-6,
                );
                close(
                    &format!("{what} rel ci"),
                    q.relative_lift_ci_high.unwrap(),
                    f(&rl[m]["ci"][1]),
                    1e-9,
                );
            }
            let q = quantile(&rep.quantile_tests, nu);
            let c = &rq["combined"];
            let what = format!("{key} combined {m}");
            assert_eq!(q.stages_combined, 2);
            close(
                &format!("{what} diff"),
                q.diff,
                f(&c["absolute"]["estimate"]),
                1e-9,
            );
            close(
                &format!("{what} ci_low"),
                q.ci_low.unwrap(),
                f(&c["absolute"][m]["ci"][0]),
                1e-9,
            );
            close(
                &format!("{what} p"),
                q.p_value.unwrap(),
                f(&c["absolute"][m]["p_value"]),
                1e-6,
            );
            close(
                &format!("{what} relative"),
                q.relative_lift.unwrap(),
                est(&c["relative"]),
                1e-9,
            );
            close(
                &format!("{what} rel ci_low"),
                q.relative_lift_ci_low.unwrap(),
                f(&c["relative"][m]["ci"][0]),
                1e-9,
            );
        }
    }
}

#[test]
fn guardrails_are_holm_corrected_non_inferiority_tests() {
    let r = reference();
    for inference in [Inference::Sequential, Inference::Fixed] {
        let m = mode(inference);
        let rep = run(plan("cuped = false"), inference);
        assert_eq!(rep.guardrails.len(), 3, "{:?}", rep.guardrails);
        for g in &rep.guardrails {
            let rg = &r["guardrails"][g.name.as_str()];
            let what = format!("guardrail {} {m}", g.name);
            assert_eq!(g.treatment, "B");
            close(
                &format!("{what} estimate"),
                g.estimate.unwrap(),
                f(&rg["estimate"]),
                1e-9,
            );
            close(
                &format!("{what} bound"),
                g.bound.unwrap(),
                f(&rg[m]["bound"]),
                1e-9,
            );
            close(
                &format!("{what} favorable"),
                g.favorable_bound.unwrap(),
                f(&rg[m]["favourable_bound"]),
                1e-9,
            );
            close(
                &format!("{what} p"),
                g.p_value.unwrap(),
                f(&rg[m]["p_value"]),
                1e-6,
            );
            close(
                &format!("{what} p adj"),
                g.p_value_adjusted.unwrap(),
                f(&rg[m]["p_value_adjusted"]),
                1e-6,
            );
            assert_eq!(
                g.status.as_str(),
                rg[m]["status"].as_str().unwrap(),
                "{what}"
            );
        }
        // an undecided guardrail holds the rollout
        if rep
            .guardrails
            .iter()
            .any(|g| g.status == GuardrailStatus::Undecided)
        {
            assert_ne!(rep.recommendation.action, verdict::report::Action::RampUp);
        }
    }
}

#[test]
fn request_level_non_inferiority_matches_statsmodels() {
    let r = reference();
    let rl = &r["request_level"];
    // stage 1's rows only, every request an observation
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(format!("{DIR}/post.jsonl")).unwrap();
    let stage1: String = text
        .lines()
        .filter(|l| {
            l.contains("\"group\"") && l.contains("\"timestamp\": \"2025-12-") && {
                let i = l.find("\"timestamp\": \"").unwrap() + 14;
                &l[i..i + 10] >= "2025-12-05"
            }
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let path = dir.path().join("stage1.jsonl");
    std::fs::write(&path, stage1).unwrap();
    let plan = Plan::parse(
        "primary_metric = \"revenue\"\n[[guardrails.metric]]\nname = \"revenue\"\nmargin = 0.5\ndirection = \"increase\"\n[[guardrails.metric]]\nname = \"converted\"\nmargin = 0.002\ndirection = \"increase\"\n",
        "plan",
    )
    .unwrap();
    let ds = load(
        &[path.display().to_string()],
        &LoadOptions {
            overrides: plan.role_overrides(),
            known_groups: None,
        },
    )
    .unwrap();
    let rep = analyze(
        &ds,
        &AnalysisConfig {
            plan,
            unit: Some(UnitChoice::Request),
            inference: Some(Inference::Fixed),
            ..Default::default()
        },
    )
    .unwrap();
    for name in ["revenue", "converted"] {
        let g = rep.guardrails.iter().find(|g| g.name == name).unwrap();
        let want = f(&rl[name]["statsmodels"]["p_value"]);
        close(
            &format!("{name} request-level one-sided p"),
            g.p_value.unwrap(),
            want,
            1e-6,
        );
        close(
            &format!("{name} estimate"),
            g.estimate.unwrap(),
            f(&rl[name]["estimate"]),
            1e-9,
        );
    }
}

#[test]
fn the_lift_over_time_ends_at_the_primary_test_and_its_band_is_always_valid() {
    for inference in [Inference::Sequential, Inference::Fixed] {
        let rep = run(plan(""), inference);
        let lift = &rep.timeline.lift_over_time;
        assert!(lift.len() > 100, "{}", lift.len());
        assert!(lift
            .iter()
            .all(|l| l.metric == "revenue" && l.treatment == "B"));
        assert!(lift.windows(2).all(|w| w[0].start_us < w[1].start_us));
        let last = lift.last().unwrap();
        let t = test_of(&rep.tests, "revenue");
        close("last diff", last.diff, t.diff, 1e-6);
        close("last ci_low", last.ci_low.unwrap(), t.ci_low.unwrap(), 1e-6);
        close(
            "last ci_high",
            last.ci_high.unwrap(),
            t.ci_high.unwrap(),
            1e-6,
        );
    }
}

#[test]
fn settings_errors_name_the_key() {
    for (text, key) in [
        ("inference = \"bayes\"", "inference"),
        ("sequential_tuning = 0", "sequential_tuning"),
        ("guardrail_alpha = 2", "guardrail_alpha"),
    ] {
        let e = Plan::parse(text, "verdict.toml").unwrap_err().to_string();
        assert!(e.contains(key), "{text}: {e}");
    }
}

#[test]
fn a_declared_covariate_column_is_cuped_without_a_pre_period() {
    let r = reference();
    // log each user's pre-period revenue with every experiment row, as services often do
    let mut prior: std::collections::HashMap<String, f64> = Default::default();
    for line in std::fs::read_to_string(format!("{DIR}/pre_period.jsonl"))
        .unwrap()
        .lines()
    {
        let v: Value = serde_json::from_str(line).unwrap();
        *prior
            .entry(v["user_id"].as_str().unwrap().to_string())
            .or_default() += f(&v["revenue"]);
    }
    let mut out = String::new();
    for line in std::fs::read_to_string(format!("{DIR}/post.jsonl"))
        .unwrap()
        .lines()
    {
        let mut v: Value = serde_json::from_str(line).unwrap();
        if let Some(u) = v["user_id"].as_str().map(str::to_string) {
            v["prior_revenue"] = serde_json::json!(prior.get(&u).copied().unwrap_or(0.0));
        }
        out.push_str(&v.to_string());
        out.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("with_covariate.jsonl");
    std::fs::write(&path, out).unwrap();
    let plan = plan("covariate = \"prior_revenue\"");
    let ds = load(
        &[path.display().to_string()],
        &LoadOptions {
            overrides: plan.role_overrides(),
            known_groups: None,
        },
    )
    .unwrap();
    let rep = analyze(
        &ds,
        &AnalysisConfig {
            plan,
            inference: Some(Inference::Fixed),
            ..Default::default()
        },
    )
    .unwrap();
    let pre = rep.pre_period.as_ref().unwrap();
    assert_eq!(pre.source, "column");
    assert_eq!(pre.column.as_deref(), Some("prior_revenue"));
    // the covariate is not tested as an outcome
    assert!(rep.tests.iter().all(|t| t.metric != "prior_revenue"));
    for (s, stage) in rep.stages.iter().enumerate() {
        let t = test_of(&stage.tests, "revenue");
        let rs = &r["cuped"]["revenue"]["stages"][s];
        close(
            "column theta",
            t.cuped.unwrap().theta,
            f(&rs["theta"]),
            1e-9,
        );
        check_row(
            "column cuped",
            t,
            &rs["adjusted"]["absolute"],
            &rs["adjusted"]["relative"],
            Inference::Fixed,
        );
    }
    // an unknown covariate is one clear error naming it
    let bad = Plan::parse(&format!("covariate = \"nope\"\n{PLAN}"), "p").unwrap();
    let e = analyze(
        &ds,
        &AnalysisConfig {
            plan: bad,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
}

#[test]
fn the_cuped_check_says_whether_it_applied() {
    use verdict::report::{CheckId, Status};
    let on = run(plan(""), Inference::Sequential);
    let c = on.checks.iter().find(|c| c.id == CheckId::Cuped).unwrap();
    assert_eq!(c.status, Status::Pass, "{}", c.message);
    assert!(c.message.contains("revenue variance"), "{}", c.message);
    let asked = run_files(
        &["post.jsonl"],
        plan("cuped = true"),
        Inference::Sequential,
        None,
    );
    let c = asked
        .checks
        .iter()
        .find(|c| c.id == CheckId::Cuped)
        .unwrap();
    assert_eq!(c.status, Status::Warn, "{}", c.message);
    assert!(asked.tests.iter().all(|t| t.cuped.is_none()));
    let off = run(plan("cuped = false"), Inference::Sequential);
    assert!(off.checks.iter().all(|c| c.id != CheckId::Cuped));
}
