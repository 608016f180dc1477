//! Drift on a service's own log: only prediction rows are compared (model loads, config
//! changes, health checks and errors are left out and counted), the service events' fields
//! are never features, and every compared column sits in its section — input features,
//! prediction (the model's output), target (label, outcomes), operational (latency) — with
//! the dataset-drift share over the input features only.

mod common;
use common::verdict;
use serde_json::{json, Value};
use std::io::Write;

/// A structlog-style log over two days: predictions with nested features, a score, a
/// label and a latency; service events (model loads, config changes, health checks) and
/// errors in between; one prediction in 400 carries a `debug_trace` field. On day two the
/// score's distribution moves (prediction drift) and, when `inputs_drift`, so does
/// `features.amount`.
fn write_log(dir: &std::path::Path, inputs_drift: bool) -> String {
    let path = dir.join("service.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    let mut state = 7u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut predictions, mut others) = (0, 0);
    for i in 0..4000 {
        let day2 = i >= 2000;
        let ts = format!(
            "2026-03-{:02}T{:02}:{:02}:{:02}Z",
            if day2 { 2 } else { 1 },
            (i % 2000) / 90,
            (i % 90) * 2 / 3,
            (i * 7) % 60
        );
        if i % 100 == 0 {
            writeln!(f, "{}", json!({"event": "model_loaded", "slot": "champion", "source": "s3", "load_ms": 800.0 + i as f64, "timestamp": ts})).unwrap();
            writeln!(f, "{}", json!({"event": "ab_config_changed", "challenger_percent": 5, "previous": 1, "timestamp": ts})).unwrap();
            writeln!(
                f,
                "{}",
                json!({"event": "health_check", "status": "ok", "uptime_s": i, "timestamp": ts})
            )
            .unwrap();
            writeln!(f, "{}", json!({"event": "model_error", "user_id": format!("u{i}"), "group": "A", "exception": "ValueError", "timestamp": ts})).unwrap();
            others += 4;
        }
        let amount = 50.0 + 30.0 * uniform() + if day2 && inputs_drift { 25.0 } else { 0.0 };
        let score = (uniform() * 0.6 + if day2 { 0.35 } else { 0.05 }).min(1.0);
        let mut row = json!({
            "event": "prediction",
            "timestamp": ts,
            "user_id": format!("u{}", i % 700),
            "group": if i % 2 == 0 { "A" } else { "B" },
            "model": "m1",
            "features": {"amount": amount, "channel": if uniform() < 0.5 { "web" } else { "app" }},
            "score": score,
            "label": (uniform() < score) as u8,
            "latency_ms": 20.0 + 10.0 * uniform(),
        });
        if i % 400 == 0 {
            row["debug_trace"] = json!("abc");
        }
        writeln!(f, "{row}").unwrap();
        predictions += 1;
    }
    assert_eq!((predictions, others), (4000, 160));
    path.display().to_string()
}

fn drift(args: &[&str]) -> Value {
    let (code, out, err) = verdict(args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The JSON array a compared column sits in, by its section name.
const ARRAYS: [(&str, &str); 4] = [
    ("features", "input"),
    ("prediction_drift", "prediction"),
    ("target_drift", "target"),
    ("operational", "operational"),
];

fn section_of<'a>(r: &'a Value, name: &str) -> Option<&'a str> {
    let mut found = None;
    for (array, section) in ARRAYS {
        for f in r[array].as_array().unwrap() {
            if f["name"] == name {
                assert!(found.is_none(), "{name} in two sections");
                assert_eq!(f["section"], section);
                found = Some(section);
            }
        }
    }
    found
}

/// Every compared column, any section.
fn compared(r: &Value) -> Vec<&Value> {
    ARRAYS
        .iter()
        .flat_map(|(a, _)| r[*a].as_array().unwrap().iter())
        .collect()
}

/// The reason an excluded column is given.
fn excluded_reason<'a>(r: &'a Value, name: &str) -> Option<&'a str> {
    r["excluded"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .map(|c| c["reason"].as_str().unwrap())
}

#[test]
fn service_events_are_left_out_and_columns_sit_in_their_sections() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), false);
    let r = drift(&[
        "drift",
        &log,
        "--split-at",
        "2026-03-02T00:00:00Z",
        "--format",
        "json",
    ]);
    // 160 service-event and error rows, 80 on each day
    assert_eq!(r["excluded"]["events"], 160);
    assert_eq!(r["excluded"]["reference_events"], 80);
    assert_eq!(r["excluded"]["current_events"], 80);
    assert_eq!(r["reference"]["rows"], 2000);
    assert_eq!(r["current"]["rows"], 2000);
    for (c, reason) in [
        ("slot", "only_on_events"),
        ("source", "only_on_events"),
        ("load_ms", "only_on_events"),
        ("challenger_percent", "only_on_events"),
        ("previous", "only_on_events"),
        ("status", "only_on_events"),
        ("uptime_s", "only_on_events"),
        ("exception", "log_field"),
        ("debug_trace", "sparse"),
        ("timestamp", "timestamp"),
        ("user_id", "identifier"),
        ("group", "assignment"),
        ("model", "assignment"),
        ("event", "log_field"),
    ] {
        assert_eq!(section_of(&r, c), None, "{c} is never compared");
        assert_eq!(excluded_reason(&r, c), Some(reason), "{c}");
    }
    // every column of the log is compared or excluded with a reason, never both
    let names: Vec<String> = compared(&r)
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    for c in r["excluded"]["columns"].as_array().unwrap() {
        assert!(!names.contains(&c["name"].as_str().unwrap().to_string()));
    }
    assert_eq!(r["features"].as_array().unwrap().len(), 2, "inputs only");
    assert_eq!(section_of(&r, "features.amount"), Some("input"));
    assert_eq!(section_of(&r, "features.channel"), Some("input"));
    assert_eq!(section_of(&r, "score"), Some("prediction"));
    assert_eq!(section_of(&r, "label"), Some("target"));
    assert_eq!(section_of(&r, "latency_ms"), Some("operational"));
    assert_eq!(r["input_features"], 2);
    // the score moved (prediction drift) but no input did: the dataset has not drifted,
    // and the check says what did move
    let score = r["prediction_drift"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "score")
        .unwrap();
    assert_eq!(score["drifted"], true);
    assert_eq!(r["drift_share"], 0.0);
    assert_eq!(r["dataset_drifted"], false);
    let check = r["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "dataset_drift")
        .unwrap();
    assert_eq!(check["status"], "warn");
    let msg = check["message"].as_str().unwrap();
    assert!(
        msg.contains("0 of 2 input features") && msg.contains("score (prediction)"),
        "{msg}"
    );
    // Markdown: one section each
    let (_, md, _) = verdict(&[
        "drift",
        &log,
        "--split-at",
        "2026-03-02T00:00:00Z",
        "--format",
        "md",
    ]);
    for title in [
        "## Input features (data drift)",
        "## Prediction drift (the model's output)",
        "## Target drift (label and outcomes)",
        "## Operational (latency)",
    ] {
        assert!(md.contains(title), "{title}");
    }
    assert!(md.contains("80 reference and 80 current rows without a model output"));
}

#[test]
fn the_dataset_share_counts_input_features_only() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), true);
    let r = drift(&[
        "drift",
        &log,
        "--split-at",
        "2026-03-02T00:00:00Z",
        "--format",
        "json",
    ]);
    let amount = r["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "features.amount")
        .unwrap();
    assert_eq!(amount["drifted"], true);
    // 1 of 2 inputs drifted: share 0.5, the dataset threshold
    assert_eq!(r["drift_share"], 0.5);
    assert_eq!(r["dataset_drifted"], true);
    // declared features are the inputs, whatever their coverage
    let r = drift(&[
        "drift",
        &log,
        "--split-at",
        "2026-03-02T00:00:00Z",
        "--features",
        "features.amount,debug_trace",
        "--format",
        "json",
    ]);
    assert_eq!(section_of(&r, "debug_trace"), Some("input"));
    assert_eq!(r["input_features"], 2);
}
