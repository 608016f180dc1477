//! Shadow runs against statsmodels / sklearn / scipy / numpy reference values computed from
//! logs a small service wrote while dual-running two ONNX models
//! (`tests/reference/make_shadow_reference.py` → `tests/fixtures/shadow/`).

use serde_json::Value;
use verdict::analysis::paired::mcnemar;
use verdict::analysis::shadow::{analyze_shadow, review::review_csv, Labels, ShadowConfig};
use verdict::ingest::{read_raw, RoleOverrides};
use verdict::report::shadow::{Layout, ReviewKind, ShadowReport};

const DIR: &str = "tests/fixtures/shadow";

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

fn run(layout: &str, seed: u64) -> ShadowReport {
    let none = std::sync::atomic::AtomicBool::new(false);
    let raw = read_raw(&[format!("{DIR}/{layout}.jsonl")], &|_| {}, &none).unwrap();
    let labels_raw = read_raw(&[format!("{DIR}/labels.csv")], &|_| {}, &none).unwrap();
    let labels = Labels::from_raw(&labels_raw, &RoleOverrides::default()).unwrap();
    analyze_shadow(
        &raw,
        &RoleOverrides::default(),
        Some(&labels),
        &ShadowConfig {
            bucket_seconds: Some(900),
            seed,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn both_layouts_match_the_references() {
    let all = reference();
    for (name, layout) in [
        ("two_records", Layout::TwoRecords),
        ("one_record", Layout::OneRecord),
    ] {
        let r = &all[name];
        let rep = run(name, 1);
        assert_eq!(rep.layout, layout);
        assert_eq!(rep.requests, r["requests"].as_u64().unwrap(), "{name}");
        assert_eq!(rep.pairs, r["pairs"].as_u64().unwrap(), "{name}");
        assert_eq!(
            rep.unpaired.champion_only,
            r["unpaired"]["champion_only"].as_u64().unwrap()
        );
        assert_eq!(
            rep.unpaired.challenger_only,
            r["unpaired"]["challenger_only"].as_u64().unwrap()
        );
        for (m, rm) in rep.models.iter().zip(r["models"].as_array().unwrap()) {
            assert_eq!(m.role, rm["role"].as_str().unwrap());
            assert_eq!(m.name.as_deref(), rm["name"].as_str());
            assert_eq!(
                m.requests,
                rm["requests"].as_u64().unwrap(),
                "{name} {}",
                m.role
            );
            assert_eq!(m.errors, rm["errors"].as_u64().unwrap());
            let l = m.latency_ms.unwrap();
            close("latency p99", l.p99, f(&rm["latency_ms"]["p99"]), 1e-12);
            close("latency p50", l.p50, f(&rm["latency_ms"]["p50"]), 1e-12);
        }
        assert_eq!(rep.decided_pairs, r["decided_pairs"].as_u64().unwrap());
        close(
            "agreement",
            rep.agreement_rate.unwrap(),
            f(&r["agreement_rate"]),
            1e-12,
        );
        close("flip", rep.flip_rate.unwrap(), f(&r["flip_rate"]), 1e-12);
        assert_eq!(
            serde_json::to_value(&rep.flip_matrix).unwrap(),
            r["flip_matrix"]
        );
        let s = rep.score_diff.as_ref().unwrap();
        let rs = &r["score_diff"];
        for (what, got, key) in [
            ("mean_abs", s.mean_abs, "mean_abs"),
            ("p50_abs", s.p50_abs, "p50_abs"),
            ("p95_abs", s.p95_abs, "p95_abs"),
            ("p99_abs", s.p99_abs, "p99_abs"),
            ("max_abs", s.max_abs, "max_abs"),
            ("correlation", s.correlation.unwrap(), "correlation"),
        ] {
            close(what, got, f(&rs[key]), 1e-9);
        }
        assert_eq!(s.histogram.iter().map(|b| b.count).sum::<u64>(), s.n);
        let l = rep.latency_diff_ms.unwrap();
        let rl = &r["latency_diff_ms"];
        close("latency mean", l.mean, f(&rl["mean"]), 1e-9);
        close("latency p95", l.p95, f(&rl["p95"]), 1e-9);
        close("latency t", l.t.unwrap(), f(&rl["t"]), 1e-9);
        close("latency p", l.p_value.unwrap(), f(&rl["p_value"]), 1e-6);
        close("latency ci_low", l.ci_low.unwrap(), f(&rl["ci_low"]), 1e-9);
        close(
            "latency ci_high",
            l.ci_high.unwrap(),
            f(&rl["ci_high"]),
            1e-9,
        );
        let m = rep.error_mcnemar;
        let rm = &r["error_mcnemar"];
        assert_eq!(
            (m.b, m.c, m.exact),
            (
                rm["b"].as_u64().unwrap(),
                rm["c"].as_u64().unwrap(),
                rm["exact"].as_bool().unwrap()
            )
        );
        close(
            "error mcnemar stat",
            m.statistic.unwrap(),
            f(&rm["statistic"]),
            1e-9,
        );
        close(
            "error mcnemar p",
            m.p_value.unwrap(),
            f(&rm["p_value"]),
            1e-6,
        );
        let lab = rep.labelled.as_ref().unwrap();
        let rlab = &r["labelled"];
        assert_eq!(lab.n, rlab["n"].as_u64().unwrap());
        close(
            "acc champion",
            lab.champion.accuracy,
            f(&rlab["champion"]["accuracy"]),
            1e-12,
        );
        close(
            "acc challenger",
            lab.challenger.accuracy,
            f(&rlab["challenger"]["accuracy"]),
            1e-12,
        );
        close(
            "auc champion",
            lab.champion.auc.unwrap(),
            f(&rlab["champion"]["auc"]),
            1e-9,
        );
        close(
            "auc challenger",
            lab.challenger.auc.unwrap(),
            f(&rlab["challenger"]["auc"]),
            1e-9,
        );
        assert_eq!(lab.mcnemar.b, rlab["mcnemar"]["b"].as_u64().unwrap());
        close(
            "labelled mcnemar p",
            lab.mcnemar.p_value.unwrap(),
            f(&rlab["mcnemar"]["p_value"]),
            1e-6,
        );
        let d = lab.delong.unwrap();
        for key in ["delong", "delong_slow"] {
            let rd = &rlab[key];
            close("delong diff", d.diff, f(&rd["diff"]), 1e-9);
            close("delong variance", d.variance, f(&rd["variance"]), 1e-9);
            close("delong z", d.z, f(&rd["z"]), 1e-9);
            close("delong p", d.p_value, f(&rd["p_value"]), 1e-6);
            close("delong ci_low", d.ci_low, f(&rd["ci_low"]), 1e-9);
        }
        assert_eq!(
            serde_json::to_value(&rep.by_segment).unwrap(),
            r["by_segment"]
        );
        assert_eq!(rep.over_time.bucket, "15m");
        assert_eq!(
            serde_json::to_value(&rep.over_time.rows).unwrap(),
            r["over_time"]["rows"]
        );
        let top: Vec<&str> = rep
            .review_sample
            .iter()
            .filter(|i| i.kind == ReviewKind::MostDisagreeing)
            .map(|i| i.request_id.as_str())
            .collect();
        let want: Vec<&str> = r["most_disagreeing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["request_id"].as_str().unwrap())
            .collect();
        assert_eq!(top, want, "{name}");
    }
}

#[test]
fn mcnemar_follows_statsmodels_on_both_branches() {
    for case in reference()["mcnemar_cases"].as_array().unwrap() {
        let (b, c) = (case["b"].as_u64().unwrap(), case["c"].as_u64().unwrap());
        let m = mcnemar(b, c);
        assert_eq!(m.exact, case["exact"].as_bool().unwrap(), "{b} {c}");
        close(
            "statistic",
            m.statistic.unwrap(),
            f(&case["statistic"]),
            1e-12,
        );
        close("p", m.p_value.unwrap(), f(&case["p_value"]), 1e-9);
    }
}

#[test]
fn the_review_sample_is_seeded_and_carries_the_inputs() {
    let a = run("one_record", 7);
    let b = run("one_record", 7);
    let c = run("one_record", 8);
    assert_eq!(a.review_sample, b.review_sample, "same seed, same sample");
    let random = |r: &ShadowReport| -> Vec<String> {
        r.review_sample
            .iter()
            .filter(|i| i.kind == ReviewKind::Random)
            .map(|i| i.request_id.clone())
            .collect()
    };
    assert_eq!(random(&a).len(), 10);
    assert_ne!(random(&a), random(&c), "another seed, another sample");
    // random picks are disagreements, with the logged inputs
    for i in a
        .review_sample
        .iter()
        .filter(|i| i.kind == ReviewKind::Random)
    {
        assert_ne!(i.champion_pred, i.challenger_pred);
        assert_eq!(i.inputs.len(), 8, "{:?}", i.inputs);
    }
    let csv = review_csv(&a.review_sample);
    assert_eq!(csv.lines().count(), 21);
    assert!(csv.lines().next().unwrap().contains("income_k"));
}

#[test]
fn the_cli_writes_json_markdown_html_and_the_review_csv() {
    let dir = tempfile::tempdir().unwrap();
    let review = dir.path().join("review.csv");
    let bin = env!("CARGO_BIN_EXE_verdict");
    let out = std::process::Command::new(bin)
        .args([
            "shadow",
            &format!("{DIR}/two_records.jsonl"),
            "--labels",
            &format!("{DIR}/labels.csv"),
            "--review-csv",
            review.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "pairs",
        "unpaired",
        "models",
        "agreement_rate",
        "flip_rate",
        "flip_matrix",
        "score_diff",
        "latency_diff_ms",
        "error_mcnemar",
        "labelled",
        "by_segment",
        "over_time",
        "review_sample",
    ] {
        assert!(!v[key].is_null(), "{key}");
    }
    assert!(std::fs::read_to_string(&review)
        .unwrap()
        .starts_with("request_id,kind"));
    for (format, needle) in [("md", "## Decisions"), ("html", "<h2>McNemar")] {
        let out = std::process::Command::new(bin)
            .args([
                "shadow",
                &format!("{DIR}/one_record.jsonl"),
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(needle),
            "{format}"
        );
    }
    // a log without a shadow is one clear line, exit 2
    let out = std::process::Command::new(bin)
        .args(["shadow", "sample_data/experiment.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("sample_data/experiment.jsonl"), "{err}");
}

#[test]
fn outcomes_logged_with_the_requests_are_used_without_a_labels_file() {
    let all = reference();
    let mut label: std::collections::HashMap<String, String> = Default::default();
    for line in std::fs::read_to_string(format!("{DIR}/labels.csv"))
        .unwrap()
        .lines()
        .skip(1)
    {
        let (id, y) = line.split_once(',').unwrap();
        label.insert(id.to_string(), y.to_string());
    }
    let mut out = String::new();
    for line in std::fs::read_to_string(format!("{DIR}/one_record.jsonl"))
        .unwrap()
        .lines()
    {
        let mut v: Value = serde_json::from_str(line).unwrap();
        if let Some(y) = v["request_id"].as_str().and_then(|id| label.get(id)) {
            v["label"] = serde_json::json!(y.parse::<i64>().unwrap());
        }
        out.push_str(&v.to_string());
        out.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("labelled.jsonl");
    std::fs::write(&path, out).unwrap();
    let none = std::sync::atomic::AtomicBool::new(false);
    let raw = read_raw(&[path.display().to_string()], &|_| {}, &none).unwrap();
    let rep = analyze_shadow(
        &raw,
        &RoleOverrides::default(),
        None,
        &ShadowConfig::default(),
    )
    .unwrap();
    let lab = rep.labelled.expect("labels from the log");
    let r = &all["one_record"]["labelled"];
    assert_eq!(lab.n, r["n"].as_u64().unwrap());
    close(
        "auc",
        lab.challenger.auc.unwrap(),
        f(&r["challenger"]["auc"]),
        1e-9,
    );
    close(
        "delong p",
        lab.delong.unwrap().p_value,
        f(&r["delong"]["p_value"]),
        1e-6,
    );
}
