//! `verdict drift` end to end: the JSON contract, Markdown, time splits, schema changes,
//! retraining triggers from labelled logs, plan thresholds, and bad input (exit 2, one line).

mod common;
use common::{verdict, write};

use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const DIR: &str = "tests/fixtures/drift";

fn json(args: &[&str]) -> Value {
    let (code, out, err) = verdict(args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn trigger<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no trigger {id}"))
}

#[test]
fn json_contract_has_every_field() {
    let r = json(&[
        "drift",
        &format!("{DIR}/reference.csv"),
        &format!("{DIR}/current.csv"),
    ]);
    assert_eq!(r["reference"]["rows"], 3000);
    assert_eq!(r["current"]["rows"], 2500);
    for f in r["features"].as_array().unwrap() {
        for k in [
            "name",
            "kind",
            "test",
            "statistic",
            "p_value",
            "psi",
            "wasserstein",
            "wasserstein_norm",
            "null_rate_reference",
            "null_rate_current",
            "drifted",
            "alert",
        ] {
            assert!(f.get(k).is_some(), "feature field {k} missing in {f}");
        }
        let kind = f["kind"].as_str().unwrap();
        assert_eq!(f["test"], if kind == "numeric" { "ks" } else { "chi2" });
        if kind == "categorical" {
            assert!(f["wasserstein"].is_null());
        }
    }
    for k in ["only_in_reference", "only_in_current", "dtype_changes"] {
        assert!(r["schema"][k].is_array(), "schema.{k}");
    }
    assert!(r["drift_share"].is_number());
    assert!(r["dataset_drifted"].is_boolean());
    for t in r["triggers"].as_array().unwrap() {
        assert!(
            ["pass", "warn", "fail"].contains(&t["status"].as_str().unwrap()),
            "{t}"
        );
        assert!(!t["message"].as_str().unwrap().is_empty());
    }
    // --features restricts the comparison
    let r = json(&[
        "drift",
        &format!("{DIR}/reference.csv"),
        &format!("{DIR}/current.csv"),
        "--features",
        "age,country",
    ]);
    let names: Vec<&str> = r["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["age", "country"]);
}

#[test]
fn markdown_and_out_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("drift.md");
    let (code, _, err) = verdict(&[
        "drift",
        &format!("{DIR}/log.jsonl"),
        "--window",
        "7d",
        "--format",
        "md",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let md = std::fs::read_to_string(out).unwrap();
    assert!(md.starts_with("# Drift report"));
    assert!(md.contains("| features.amount | numeric | ks |"), "{md}");
    assert!(md.contains("window 7d"));
}

#[test]
fn schema_changes_and_empty_features_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = String::from("x,code,old_only,empty\n");
    let mut b = String::from("x,code,new_only,empty\n");
    for i in 0..400 {
        let _ = writeln!(a, "{},{},{},{}", i % 37, i % 5, i, i % 3);
        let _ = writeln!(b, "{},{},{},", i % 41, ["a", "b", "c"][i % 3], i);
    }
    let ra = write(dir.path(), "a.csv", &a);
    let rb = write(dir.path(), "b.csv", &b);
    let r = json(&["drift", ra.to_str().unwrap(), rb.to_str().unwrap()]);
    assert_eq!(
        r["schema"]["only_in_reference"],
        serde_json::json!(["old_only"])
    );
    assert_eq!(
        r["schema"]["only_in_current"],
        serde_json::json!(["new_only"])
    );
    let dt = &r["schema"]["dtype_changes"][0];
    assert_eq!(
        (
            dt["name"].as_str(),
            dt["reference"].as_str(),
            dt["current"].as_str()
        ),
        (Some("code"), Some("numeric"), Some("string"))
    );
    let code = r["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "code")
        .unwrap();
    assert_eq!(code["kind"], "categorical");
    let empty = r["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "empty")
        .unwrap();
    assert_eq!(empty["null_rate_current"], 1.0);
    assert!(empty["p_value"].is_null());
    assert_eq!(trigger(&r, "null_features")["status"], "fail");
    assert!(trigger(&r, "null_features")["message"]
        .as_str()
        .unwrap()
        .contains("empty"));
    assert_eq!(trigger(&r, "schema")["status"], "warn");
}

/// A labelled log over 12 days: the model's scores separate the classes well for 6 days,
/// then poorly; the plan declares a `converted` metric.
fn labelled_log(dir: &Path) -> PathBuf {
    let mut s = String::new();
    let mut state = 17u64;
    let mut rnd = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for d in 0..12 {
        for k in 0..300 {
            let label = (rnd() < 0.4) as u8;
            let sep = if d < 6 { 0.35 } else { 0.1 };
            let score =
                (0.5 + if label == 1 { sep } else { -sep } + (rnd() - 0.5) * 0.6).clamp(0.0, 1.0);
            let converted = (rnd() < if d < 6 { 0.3 } else { 0.2 }) as u8;
            let _ = writeln!(
                s,
                "{{\"timestamp\":\"2026-04-{:02}T{:02}:{:02}:00Z\",\"model_version\":\"v3\",\"score\":{score:.4},\"label\":{label},\"converted\":{converted},\"features\":{{\"f\":{:.3}}}}}",
                d + 1,
                k / 60 % 24,
                k % 60,
                rnd()
            );
        }
    }
    write(dir, "labelled.jsonl", &s)
}

#[test]
fn performance_triggers_fire_on_sustained_auc_and_f1_declines() {
    let dir = tempfile::tempdir().unwrap();
    let log = labelled_log(dir.path());
    let plan = write(dir.path(), "verdict.toml", "[columns]\nmetrics = [\"converted\"]\n\n[drift]\npsi_alert = 0.5\n\n[drift.triggers]\ndecline_days = 4\n");
    let r = json(&[
        "drift",
        log.to_str().unwrap(),
        "--split-at",
        "2026-04-07",
        "--plan",
        plan.to_str().unwrap(),
    ]);
    let auc = trigger(&r, "auc_decline");
    assert_eq!(auc["status"], "fail", "{auc}");
    // 12 days: the series shows periods of 6 hours picked from the span, the trigger
    // counts consecutive days (the log spans three days or more)
    assert!(
        auc["message"]
            .as_str()
            .unwrap()
            .contains("6 consecutive day(s)"),
        "{auc}"
    );
    assert_eq!(auc["estimated"], false);
    // --every 1d: daily periods
    let r1 = json(&[
        "drift",
        log.to_str().unwrap(),
        "--split-at",
        "2026-04-07",
        "--plan",
        plan.to_str().unwrap(),
        "--every",
        "1d",
    ]);
    let auc1 = trigger(&r1, "auc_decline");
    assert!(
        auc1["message"]
            .as_str()
            .unwrap()
            .contains("6 consecutive day(s)"),
        "{auc1}"
    );
    assert_eq!(r1["psi_over_time"]["bucket"], "1d");
    assert_eq!(r["psi_over_time"]["bucket"], "6h");
    assert_eq!(trigger(&r, "f1_drop")["status"], "fail");
    assert_eq!(trigger(&r, "metric_decline")["status"], "warn");
    assert_eq!(trigger(&r, "label_cardinality")["status"], "pass");
    assert_eq!(r["thresholds"]["psi_alert"], 0.5);
    let daily: Vec<&Value> = r["daily"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["metric"] == "auc")
        .collect();
    assert_eq!(daily.len(), 1);
    assert_eq!(daily[0]["series"], "v3");
    assert_eq!(daily[0]["days"].as_array().unwrap().len(), 6);
    let reference = daily[0]["reference"].as_f64().unwrap();
    assert!(daily[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v.as_f64().unwrap() < reference - 0.015));
    // with a 7-day requirement the same decline only warns
    let plan7 = write(
        dir.path(),
        "p7.toml",
        "[drift.triggers]\ndecline_days = 7\n",
    );
    let r = json(&[
        "drift",
        log.to_str().unwrap(),
        "--split-at",
        "2026-04-07",
        "--plan",
        plan7.to_str().unwrap(),
    ]);
    assert_eq!(trigger(&r, "auc_decline")["status"], "warn");
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = format!("{DIR}/reference.csv");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["drift".into(), good.clone(), "no/such/file.csv".into()],
            "no/such/file.csv",
        ),
        (vec!["drift".into(), good.clone()], "REFERENCE and CURRENT"),
        (
            vec![
                "drift".into(),
                format!("{DIR}/log.jsonl"),
                "--window".into(),
                "soon".into(),
            ],
            "--window",
        ),
        (
            vec![
                "drift".into(),
                format!("{DIR}/log.jsonl"),
                "--split-at".into(),
                "yesterday".into(),
            ],
            "--split-at",
        ),
        (
            vec![
                "drift".into(),
                good.clone(),
                good.clone(),
                "--split-at".into(),
                "2026-01-01".into(),
            ],
            "one LOG",
        ),
        (
            vec![
                "drift".into(),
                good.clone(),
                good.clone(),
                "--features".into(),
                "nope".into(),
            ],
            "nope",
        ),
        (
            vec![
                "drift".into(),
                format!("{DIR}/log.jsonl"),
                "--split-at".into(),
                "2030-01-01".into(),
            ],
            "current side is empty",
        ),
        (
            vec![
                "drift".into(),
                good.clone(),
                "--split-at".into(),
                "2026-01-01".into(),
            ],
            "no timestamp column",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = verdict(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let plan = write(dir.path(), "bad.toml", "[drift]\npsi_threshold = -1\n");
    let (code, _, err) = verdict(&["drift", &good, &good, "--plan", plan.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("psi_threshold"), "{err}");
    let plan = write(dir.path(), "bad2.toml", "[drift]\nunknown_key = 1\n");
    let (code, _, err) = verdict(&["drift", &good, &good, "--plan", plan.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown_key"), "{err}");
}

#[test]
fn one_drift_verdict_first_and_one_flag_word_per_feature() {
    let (code, md, err) = verdict(&[
        "drift",
        &format!("{DIR}/cbpe_service.jsonl"),
        "--split-at",
        "2026-03-04",
        "--format",
        "md",
    ]);
    assert_eq!(code, 0, "{err}");
    // the dataset's verdict and the retraining answer before any table
    let verdict_at = md
        .find("Dataset not drifted: 3 of 9 input features drifted")
        .expect(&md);
    let retrain_at = md
        .find("Retrain: yes (psi, auc_decline (estimated), f1_drop (estimated) failed)")
        .expect(&md);
    let first_table = md.find("\n|").unwrap();
    assert!(verdict_at < first_table && retrain_at < first_table, "{md}");
    // one flag column with one word, never "alert" beside "drifted"
    assert!(md.contains("| null ref | null cur | flag |"), "{md}");
    assert!(!md.contains("| alert |"), "{md}");
    assert!(md.contains("| features.velocity | numeric | ks |"), "{md}");
    for line in md.lines().filter(|l| {
        l.starts_with("| features.") && (l.contains("| ks |") || l.contains("| chi2 |"))
    }) {
        let flag = line.trim_end_matches(" |").rsplit("| ").next().unwrap();
        assert!(["stable", "watch", "drifted"].contains(&flag), "{line}");
    }
}
