//! Engine statistics against scipy / statsmodels / sklearn / numpy reference values
//! (tests/fixtures/reference.json, made by tests/reference/make_reference.py).

use serde_json::Value;
use verdict::analysis::{analyze, corrections::Correction, AnalysisConfig};
use verdict::ingest::{load, LoadOptions};
use verdict::plan::Plan;
use verdict::report::{ExperimentReport, TestResult};

const REL: f64 = 1e-9;

fn close(what: &str, got: f64, want: f64) {
    let tol = REL * want.abs().max(1e-12);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (diff {:e})",
        (got - want).abs()
    );
}

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string("tests/fixtures/reference.json").unwrap())
        .unwrap()
}

fn report(correction: Correction, bucket: Option<&str>) -> ExperimentReport {
    let mut plan = Plan::load("sample_data/verdict.toml".as_ref()).unwrap();
    plan.correction = correction;
    let opts = LoadOptions {
        overrides: plan.role_overrides(),
        known_groups: None,
    };
    let ds = load(&["sample_data/experiment.parquet".to_string()], &opts).unwrap();
    let cfg = AnalysisConfig {
        plan,
        bucket: bucket.map(str::to_string),
        // these references are request-level (scipy / statsmodels on rows)
        unit: Some(verdict::plan::UnitChoice::Request),
        // fixed-horizon numbers (the always-valid ones have their own reference)
        inference: Some(verdict::plan::Inference::Fixed),
        ..Default::default()
    };
    analyze(&ds, &cfg).unwrap()
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("missing {key} in {v}"))
}

fn check_test(what: &str, t: &TestResult, r: &Value) {
    close(
        &format!("{what} control_value"),
        t.control_value,
        f(r, "control_value"),
    );
    close(
        &format!("{what} treatment_value"),
        t.treatment_value,
        f(r, "treatment_value"),
    );
    close(&format!("{what} diff"), t.diff, f(r, "diff"));
    close(&format!("{what} ci_low"), t.ci_low.unwrap(), f(r, "ci_low"));
    close(
        &format!("{what} ci_high"),
        t.ci_high.unwrap(),
        f(r, "ci_high"),
    );
    close(
        &format!("{what} statistic"),
        t.statistic.unwrap(),
        f(r, "statistic"),
    );
    close(
        &format!("{what} p_value"),
        t.p_value.unwrap(),
        f(r, "p_value"),
    );
    close(
        &format!("{what} relative_lift"),
        t.relative_lift.unwrap(),
        f(r, "relative_lift"),
    );
    if let Some(df) = r.get("df") {
        close(&format!("{what} df"), t.df.unwrap(), df.as_f64().unwrap());
    }
    assert_eq!(
        t.method.as_str(),
        r["method"].as_str().unwrap(),
        "{what} method"
    );
}

#[test]
fn groups_match_numpy_and_sklearn() {
    let rep = report(Correction::Holm, None);
    let refv = reference();
    for g in &rep.groups {
        let r = &refv["groups"][&g.name];
        assert_eq!(g.requests, r["requests"].as_u64().unwrap());
        assert_eq!(g.errors, r["errors"].as_u64().unwrap());
        assert_eq!(g.users, r["users"].as_u64().unwrap());
        close("error_rate", g.error_rate, f(r, "error_rate"));
        let l = g.latency_ms.unwrap();
        close("latency mean", l.mean, f(r, "latency_mean"));
        close("p50", l.p50, f(r, "latency_p50"));
        close("p95", l.p95, f(r, "latency_p95"));
        close("p99", l.p99, f(r, "latency_p99"));
        let c = &g.metrics["converted"];
        assert_eq!(c.n, r["converted_n"].as_u64().unwrap());
        close("converted mean", c.mean.unwrap(), f(r, "converted_mean"));
        close("converted sum", c.sum, f(r, "converted_sum"));
        close(
            "revenue mean",
            g.metrics["revenue"].mean.unwrap(),
            f(r, "revenue_mean"),
        );
        close("mean score", g.mean_score.unwrap(), f(r, "mean_score"));
        close("auc", g.auc.unwrap(), f(r, "auc"));
    }
}

#[test]
fn tests_match_statsmodels_and_scipy() {
    let rep = report(Correction::Holm, None);
    let refv = reference();
    // converted, revenue, latency_ms, then score and error_rate (checked in rollout_reference)
    assert_eq!(rep.tests.len(), 5);
    for t in rep.tests.iter().take(3) {
        check_test(&t.metric, t, &refv["tests"][&t.metric]);
    }
    assert!(
        rep.tests
            .iter()
            .find(|t| t.metric == "converted")
            .unwrap()
            .primary
    );
    assert!(
        !rep.tests
            .iter()
            .find(|t| t.metric == "revenue")
            .unwrap()
            .primary
    );
}

#[test]
fn srm_and_power_match() {
    let rep = report(Correction::Holm, None);
    let refv = reference();
    let srm = rep.srm.as_ref().unwrap();
    close("srm chi2", srm.chi2, f(&refv["srm"], "chi2"));
    close("srm p", srm.p_value, f(&refv["srm"], "p_value"));
    let p = rep.power.unwrap();
    assert_eq!(
        p.required_per_group,
        f(&refv["power"], "required").ceil() as u64
    );
}

#[test]
fn segments_match_holm_and_bh() {
    for (corr, key) in [(Correction::Holm, "holm"), (Correction::Bh, "fdr_bh")] {
        let rep = report(corr, None);
        let refv = &reference()["segments"][key];
        let mut seen = 0;
        for s in &rep.segments {
            for t in &s.tests {
                let r = &refv[&s.column][&s.value][&t.metric];
                check_test(
                    &format!("{key} {}={} {}", s.column, s.value, t.metric),
                    t,
                    r,
                );
                close(
                    "p adjusted",
                    t.p_value_adjusted.unwrap(),
                    f(r, "p_value_adjusted"),
                );
                assert_eq!(t.significant, f(r, "p_value_adjusted") < 0.05);
                seen += 1;
            }
        }
        assert_eq!(
            seen,
            (3 + 4) * 3,
            "every segment value and metric is tested"
        );
    }
}

#[test]
fn hourly_timeline_matches_pandas() {
    let rep = report(Correction::Holm, Some("1h"));
    let refv = reference();
    let rows = refv["timeline"].as_array().unwrap();
    assert_eq!(rep.timeline.bucket, "1h");
    assert_eq!(rep.timeline.rows.len(), rows.len());
    for (got, want) in rep.timeline.rows.iter().zip(rows) {
        assert_eq!(got.start, want["start"].as_str().unwrap());
        assert_eq!(got.group, want["group"].as_str().unwrap());
        assert_eq!(got.requests, want["requests"].as_u64().unwrap());
        close("qps", got.qps, want["requests"].as_f64().unwrap() / 3600.0);
        close("tl error rate", got.error_rate, f(want, "error_rate"));
        close("tl p50", got.latency_p50.unwrap(), f(want, "latency_p50"));
        close("tl p95", got.latency_p95.unwrap(), f(want, "latency_p95"));
        close("tl p99", got.latency_p99.unwrap(), f(want, "latency_p99"));
        close(
            "tl converted",
            got.metrics["converted"].unwrap(),
            f(want, "converted"),
        );
    }
}

#[test]
fn standalone_primitives_match() {
    use verdict::analysis::{proportions, stats, welch};
    let s = &reference()["standalone"];
    let auc = stats::auc(
        &[0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9],
        &[0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0],
    )
    .unwrap();
    close("auc ties", auc, f(s, "auc_ties"));
    let z = proportions::two_proportion_z(45.0, 1000.0, 30.0, 1000.0, 0.05);
    close("z", z.z, f(s, "z_small"));
    close("z p", z.p_value, f(s, "p_small"));
    let c = stats::Moments::of(&[2.0, 2.5, 9.0, 7.0, 8.0]);
    let t = stats::Moments::of(&[1.0, 2.0, 3.5, 4.0]);
    let w = welch::welch_t(&c, &t, 0.05);
    close("welch t", w.t, f(s, "welch_t"));
    close("welch df", w.df, f(s, "welch_df"));
    close("welch p", w.p_value, f(s, "welch_p"));
}
