//! Performance estimated before labels arrive: on a fraud service's structlog log (nested
//! inputs, model-load / config-change / error events, labels for the first three days
//! only), `verdict drift` estimates ROC AUC, F1, precision, recall and accuracy per 6-hour
//! period with NannyML 0.13's CBPE, beside the realized values where labels exist, and runs
//! the `auc_decline` and `f1_drop` triggers on the estimates. Reference values:
//! `tests/reference/make_cbpe_reference.py` (NannyML 0.13.1, scikit-learn, scipy).

mod common;
use common::verdict;
use serde_json::Value;

const LOG: &str = "tests/fixtures/drift/cbpe_service.jsonl";

fn expected() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/drift/cbpe_expected.json").unwrap(),
    )
    .unwrap()
}

fn run(extra: &[&str]) -> Value {
    let mut args = vec!["drift", LOG, "--split-at", "2026-03-04T00:00:00Z"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--format", "json"]);
    let (code, out, err) = verdict(&args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

#[test]
fn estimates_equal_nannyml_per_period_with_band_and_realized() {
    let want = expected();
    let r = run(&["--every", "6h"]);
    assert_eq!(r["granularity"], want["granularity_s"]);
    assert_eq!(r["reference"]["rows"], want["reference_rows"]);
    assert_eq!(r["current"]["rows"], want["current_rows"]);
    let fits = r["performance_fits"].as_array().unwrap();
    assert_eq!(fits.len(), 1);
    assert_eq!(fits[0]["series"], "fraud-gbt 3");
    // NannyML's needs_calibration test says isotonic calibration helps these scores
    assert_eq!(want["needs_calibration"], true);
    assert_eq!(fits[0]["calibration"], "isotonic");
    let got = r["performance"].as_array().unwrap();
    let points = want["performance"].as_array().unwrap();
    assert_eq!(got.len(), points.len(), "24 periods x 5 metrics");
    let mut worst: f64 = 0.0;
    for w in points {
        let g = got
            .iter()
            .find(|g| g["start"] == w["start"] && g["metric"] == w["metric"])
            .unwrap_or_else(|| panic!("no {} {}", w["start"], w["metric"]));
        assert_eq!(g["n"], w["n"]);
        for k in ["estimated", "band_low", "band_high", "sampling_error"] {
            let (a, b) = (num(&g[k]).unwrap(), num(&w[k]).unwrap());
            worst = worst.max((a - b).abs());
            assert!(
                (a - b).abs() < 0.005,
                "{} {} {k}: {a} vs NannyML {b}",
                w["start"],
                w["metric"]
            );
        }
        // realized: scikit-learn's on the period's labelled rows, null without labels
        match num(&w["realized"]) {
            None => assert!(g["realized"].is_null(), "{}", w["start"]),
            Some(b) => {
                let a = num(&g["realized"]).unwrap();
                assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
            }
        }
        assert!(num(&g["band_low"]).unwrap() >= 0.0 && num(&g["band_high"]).unwrap() <= 1.0);
    }
    // in fact far closer than the 0.005: the same algorithm, not an approximation
    assert!(worst < 1e-6, "largest difference {worst}");
    // labelled periods carry both values; unlabelled ones the estimate only
    let labelled = got.iter().filter(|g| !g["realized"].is_null()).count();
    assert_eq!(labelled, 12 * 5);
}

#[test]
fn triggers_fire_on_the_estimates_while_labels_are_missing() {
    let want = expected();
    let r = run(&[]);
    let triggers = r["triggers"].as_array().unwrap();
    let find = |id: &str, estimated: bool| {
        triggers
            .iter()
            .find(|t| t["id"] == id && t["estimated"] == estimated)
            .unwrap_or_else(|| panic!("no {id} estimated={estimated}"))
    };
    // every trigger says whether it judged estimates
    assert!(triggers.iter().all(|t| t["estimated"].is_boolean()));
    // realized: nothing to judge, the labels have not arrived
    assert!(find("auc_decline", false)["message"]
        .as_str()
        .unwrap()
        .contains("no labelled rows"));
    // estimated: three daily periods more than 0.015 below the reference's realized AUC
    let auc = find("auc_decline", true);
    assert_eq!(auc["status"], "fail", "{}", auc["message"]);
    let n = &auc["numbers"];
    let ref_auc = want["reference_realized"]["roc_auc"].as_f64().unwrap();
    assert!((n["fraud-gbt 3.auc_reference"].as_f64().unwrap() - ref_auc).abs() < 1e-12);
    assert_eq!(n["fraud-gbt 3.periods_below"], 3.0);
    let daily = want["daily_estimated_auc"].as_array().unwrap();
    let last = daily.last().unwrap().as_f64().unwrap();
    assert!((n["fraud-gbt 3.auc_estimated_latest"].as_f64().unwrap() - last).abs() < 1e-6);
    // estimated F1 of the whole current side against the reference's realized F1
    let f1 = find("f1_drop", true);
    assert_eq!(f1["status"], "fail");
    let est = want["current_estimates"]["f1"].as_f64().unwrap();
    let rf = want["reference_realized"]["f1"].as_f64().unwrap();
    assert!((f1["numbers"]["fraud-gbt 3.f1_estimated"].as_f64().unwrap() - est).abs() < 1e-9);
    assert!((f1["numbers"]["fraud-gbt 3.f1_reference"].as_f64().unwrap() - rf).abs() < 1e-12);
    // the service events' numeric fields (load_ms, uptime_s, port...) are no metrics
    assert!(triggers.iter().all(|t| t["id"] != "metric_decline"));
    // labels that have not arrived are not a data problem
    assert_eq!(find("label_cardinality", false)["status"], "pass");
    assert_eq!(find("null_features", false)["status"], "pass");
}

#[test]
fn the_right_columns_and_scipy_statistics_on_the_service_log() {
    let want = expected();
    let r = run(&[]);
    let names = |a: &str| -> Vec<String> {
        r[a].as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("features").len(), 9, "the nine inputs");
    assert!(names("features").iter().all(|n| n.starts_with("features.")));
    assert_eq!(names("prediction_drift"), ["score"]);
    assert_eq!(names("target_drift"), ["label"]);
    assert_eq!(names("operational"), ["latency_ms"]);
    assert_eq!(r["excluded"]["events"], 51);
    for (name, stats) in want["ks"].as_object().unwrap() {
        let f = r["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name.as_str())
            .unwrap();
        let (s, p) = (
            f["statistic"].as_f64().unwrap(),
            f["p_value"].as_f64().unwrap(),
        );
        let (ws, wp) = (
            stats["statistic"].as_f64().unwrap(),
            stats["pvalue"].as_f64().unwrap(),
        );
        assert!(
            (s - ws).abs() <= 1e-9 * ws.max(1e-300),
            "{name}: {s} vs {ws}"
        );
        assert!(
            (p - wp).abs() <= 1e-6 * wp.max(1e-300),
            "{name}: {p} vs {wp}"
        );
    }
    // the shown granularity is picked from the six days' span
    let g = r["granularity"].as_u64().unwrap();
    let span = 6 * 86_400;
    assert!((10..=60).contains(&(span / g)), "{g}");
}

#[test]
fn a_series_with_a_tiny_labelled_reference_is_not_judged_on_estimates() {
    // the sample's fallback model has six labelled reference rows
    let (code, out, err) = verdict(&[
        "drift",
        "sample_data/experiment.jsonl",
        "--window",
        "12h",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let est = r["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "auc_decline" && t["estimated"] == true)
        .unwrap();
    let msg = est["message"].as_str().unwrap();
    assert!(
        msg.contains(
            "fallback_legacy 2.0.0: not judged, too few labelled reference rows (6; minimum 100)"
        ),
        "{msg}"
    );
    assert_ne!(est["status"], "fail", "{msg}");
    // its estimates are still shown
    assert!(r["performance"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["series"] == "fallback_legacy 2.0.0"));
}
