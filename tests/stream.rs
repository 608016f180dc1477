//! Files larger than memory: `verdict analyze --stream on` reads the files in chunks, spills
//! the normalised rows and assembles the report from aggregate scans. On the same files its
//! report must equal the in-memory engine's in every number (1e-9 relative, p-values 1e-6,
//! percentiles exact) and every word — in every input format, with chunks so small that
//! every user, stage and bucket spans several of them, and with the plan's CUPED settings.

mod common;

use common::{close_deep, verdict, write};
use std::process::Command;

/// The report of `args` (JSON), with `VERDICT_STREAM_CHUNK_ROWS` set when given.
fn report(args: &[&str], chunk_rows: Option<usize>) -> serde_json::Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_verdict"));
    cmd.args(args);
    if let Some(n) = chunk_rows {
        cmd.env("VERDICT_STREAM_CHUNK_ROWS", n.to_string());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The streamed and in-memory reports of `file` with extra arguments, equal but for the
/// streamed report's `backend`.
fn assert_streamed_equals_local(file: &str, extra: &[&str], chunk_rows: Option<usize>) {
    let base = [&["analyze", file, "--format", "json"][..], extra].concat();
    let local = report(&[&base[..], &["--stream", "off"]].concat(), None);
    let mut streamed = report(&[&base[..], &["--stream", "on"]].concat(), chunk_rows);
    let backend = streamed.as_object_mut().unwrap().remove("backend").unwrap();
    assert_eq!(backend["kind"], "stream", "{file}");
    assert_eq!(
        backend["not_pushed_down"],
        serde_json::json!([]),
        "{file}: nothing left out"
    );
    let mut local = local;
    local.as_object_mut().unwrap().remove("backend");
    close_deep(
        &format!("{file} {extra:?} chunks {chunk_rows:?}"),
        &local,
        &streamed,
    );
}

#[test]
fn a_streamed_report_equals_the_in_memory_one_in_every_format() {
    for file in [
        "sample_data/experiment.jsonl",
        "sample_data/experiment.csv",
        "sample_data/experiment.parquet",
        "sample_data/experiment.log",
    ] {
        assert_streamed_equals_local(file, &[], None);
    }
}

#[test]
fn chunks_smaller_than_a_user_or_a_bucket_change_nothing() {
    // 8,000 rows in chunks of 333 rows (text) or the file's row groups (Parquet)
    for file in [
        "sample_data/experiment.jsonl",
        "sample_data/experiment.parquet",
    ] {
        assert_streamed_equals_local(file, &[], Some(333));
    }
    // the rollout fixture: 1 -> 5 -> 20 -> 50 % stages detected across chunks, error events
    // attributed to groups by their user's assignments in other chunks
    assert_streamed_equals_local(
        "tests/fixtures/rollout/ramp_structlog.jsonl",
        &[],
        Some(500),
    );
}

#[test]
fn cuped_from_the_logs_pre_period_and_from_a_covariate_column_stream_too() {
    let dir = tempfile::tempdir().unwrap();
    let started = write(
        dir.path(),
        "started.toml",
        "experiment_start = \"2025-12-13T18:00:00Z\"\nprimary_metric = \"converted\"\n",
    );
    let covariate = write(
        dir.path(),
        "covariate.toml",
        "covariate = \"revenue\"\nprimary_metric = \"converted\"\n",
    );
    for plan in [&started, &covariate] {
        let plan = plan.to_str().unwrap();
        assert_streamed_equals_local(
            "sample_data/experiment.jsonl",
            &["--plan", plan],
            Some(1000),
        );
    }
    // CUPED really ran on the streamed rows
    let r = report(
        &[
            "analyze",
            "sample_data/experiment.jsonl",
            "--plan",
            started.to_str().unwrap(),
            "--stream",
            "on",
            "--format",
            "json",
        ],
        Some(1000),
    );
    assert_eq!(r["pre_period"]["source"], "log");
    assert!(r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["metric"] == "converted" && !t["cuped"].is_null()));
}

#[test]
fn streaming_states_its_backend_and_a_bad_file_is_one_line_with_exit_2() {
    let (code, out, err) = verdict(&[
        "analyze",
        "sample_data/experiment.parquet",
        "--stream",
        "on",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["backend"]["kind"], "stream");
    assert_eq!(r["input"]["format"], "parquet");
    assert_eq!(r["input"]["rows_valid"], 8000);
    assert!(err.contains("streamed 8,000 rows"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "broken.parquet", b"PAR1 not really");
    let (code, _, err) = verdict(&["analyze", bad.to_str().unwrap(), "--stream", "on"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("broken.parquet"), "{err}");
    // the request as the unit needs the rows in memory: said, not silently changed
    let (code, _, err) = verdict(&[
        "analyze",
        "sample_data/experiment.jsonl",
        "--stream",
        "on",
        "--unit",
        "request",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--unit request"), "{err}");
}

#[test]
fn a_metric_first_seen_after_the_first_chunk_is_named_not_silently_dropped() {
    // 600 rows of two groups; `revenue` appears from row 400 on
    let mut text = String::new();
    for i in 0..600 {
        let g = if i % 2 == 0 { "A" } else { "B" };
        let revenue = if i >= 400 {
            format!(", \"revenue\": {}", i % 7)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "{{\"ts\": \"2025-12-13T{:02}:{:02}:00Z\", \"user_id\": \"u{}\", \"group\": \"{g}\", \"converted\": {}{revenue}}}\n",
            i / 60,
            i % 60,
            i % 50,
            i % 3 == 0
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "late.jsonl", text);
    let file = file.to_str().unwrap();
    let r = report(
        &["analyze", file, "--stream", "on", "--format", "json"],
        Some(250),
    );
    let notes = r["backend"]["not_pushed_down"].to_string();
    assert!(
        notes.contains("revenue") && notes.contains("first 250 rows"),
        "{notes}"
    );
    assert!(!r["metrics"].to_string().contains("revenue"));
    // declared in a plan, it is analysed, as in memory
    let plan = write(
        dir.path(),
        "plan.toml",
        "[columns]\nmetrics = [\"converted\", \"revenue\"]\n",
    );
    assert_streamed_equals_local(file, &["--plan", plan.to_str().unwrap()], Some(250));
}

/// The streamed and in-memory drift reports of `args`, equal but for what a streamed
/// comparison does not compute (performance and its triggers) and its `binned` note.
fn assert_streamed_drift_equals_local(args: &[&str], chunk_rows: usize) {
    let base = [&["drift"][..], args].concat();
    let mut local = report(&[&base[..], &["--stream", "off"]].concat(), None);
    let mut streamed = report(&[&base[..], &["--stream", "on"]].concat(), Some(chunk_rows));
    let note = streamed["binned"].clone();
    assert_eq!(note["source"], "stream", "{args:?}");
    assert!(note["not_computed"].to_string().contains("performance"));
    for r in [&mut local, &mut streamed] {
        let o = r.as_object_mut().unwrap();
        for k in ["daily", "performance", "performance_fits", "binned"] {
            o.remove(k);
        }
    }
    // the data triggers (performance ones need the rows)
    let ids: Vec<serde_json::Value> = streamed["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert!(ids.len() >= 4, "{ids:?}");
    let kept: Vec<serde_json::Value> = local["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| ids.contains(&t["id"]) && t["estimated"] != true)
        .cloned()
        .collect();
    local["triggers"] = serde_json::Value::Array(kept);
    close_deep(&format!("drift {args:?}"), &local, &streamed);
}

#[test]
fn streamed_drift_equals_the_in_memory_comparison_feature_by_feature() {
    // two files; one log split at a time and by a trailing window; nested JSON and CSV;
    // chunks of a few hundred rows
    assert_streamed_drift_equals_local(
        &[
            "tests/fixtures/drift/reference.csv",
            "tests/fixtures/drift/current.csv",
        ],
        300,
    );
    assert_streamed_drift_equals_local(
        &[
            "tests/fixtures/drift/cbpe_service.jsonl",
            "--split-at",
            "2026-03-04",
            "--every",
            "6h",
        ],
        250,
    );
    assert_streamed_drift_equals_local(&["tests/fixtures/drift/log.jsonl", "--window", "7d"], 400);
    assert_streamed_drift_equals_local(
        &[
            "sample_data/experiment.parquet",
            "--split-at",
            "2025-12-14T12:00:00Z",
        ],
        700,
    );
}

#[test]
fn a_pre_period_file_without_groups_first_streams_as_in_memory() {
    // the pre-period file has no group key at all; the experiment file follows
    let dir = tempfile::tempdir().unwrap();
    let (mut pre, mut exp) = (String::new(), String::new());
    for i in 0..400 {
        pre.push_str(&format!(
            "{{\"ts\": \"2025-12-12T{:02}:{:02}:00Z\", \"user_id\": \"u{}\", \"converted\": {}}}\n",
            i / 60,
            i % 60,
            i % 40,
            i % 4 == 0
        ));
    }
    for i in 0..800 {
        let g = if (i % 40) % 2 == 0 { "A" } else { "B" };
        exp.push_str(&format!(
            "{{\"ts\": \"2025-12-13T{:02}:{:02}:00Z\", \"user_id\": \"u{}\", \"group\": \"{g}\", \"converted\": {}}}\n",
            i / 60,
            i % 60,
            i % 40,
            i % 3 == 0
        ));
    }
    write(dir.path(), "a_pre.jsonl", pre);
    write(dir.path(), "b_exp.jsonl", exp);
    let plan = write(
        dir.path(),
        "plan.toml",
        "experiment_start = \"2025-12-13T00:00:00Z\"\nprimary_metric = \"converted\"\n",
    );
    let files = dir.path().join("*.jsonl");
    // chunks of 300 rows: the first file's chunks have no group column
    assert_streamed_equals_local(
        files.to_str().unwrap(),
        &["--plan", plan.to_str().unwrap()],
        Some(300),
    );
    let r = report(
        &[
            "analyze",
            files.to_str().unwrap(),
            "--plan",
            plan.to_str().unwrap(),
            "--stream",
            "on",
            "--format",
            "json",
        ],
        Some(300),
    );
    assert_eq!(r["pre_period"]["rows"], 400);
}

#[test]
fn a_role_first_seen_after_the_sampled_rows_is_named() {
    // the error key appears only after ~11 MB of lines (beyond the first parsed block)
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..130_000 {
        let g = if i % 2 == 0 { "A" } else { "B" };
        let error = if i >= 125_000 && i % 7 == 0 {
            ", \"error\": \"timeout\""
        } else {
            ""
        };
        text.push_str(&format!(
            "{{\"ts\": {}, \"user_id\": \"u{}\", \"group\": \"{g}\", \"converted\": {}, \"padding\": \"................\"{error}}}\n",
            1_765_584_000 + i,
            i % 500,
            i % 3 == 0
        ));
    }
    let file = write(dir.path(), "late_error.jsonl", text);
    let r = report(
        &[
            "analyze",
            file.to_str().unwrap(),
            "--stream",
            "on",
            "--format",
            "json",
        ],
        Some(50_000),
    );
    let notes = r["backend"]["not_pushed_down"].to_string();
    assert!(notes.contains("error (as error)"), "{notes}");
}

#[test]
fn a_categorical_feature_with_too_many_values_stops_a_streamed_drift_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("score,city\n");
    for i in 0..2000 {
        text.push_str(&format!("0.{},city{}\n", i % 97, (i * 7919) % 300));
    }
    let r = write(dir.path(), "r.csv", &text);
    let c = write(dir.path(), "c.csv", &text);
    let out = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args([
            "drift",
            r.to_str().unwrap(),
            c.to_str().unwrap(),
            "--stream",
            "on",
        ])
        .env("VERDICT_STREAM_MAX_CATEGORIES", "100")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("city has over 100 distinct values"), "{err}");
    // under the bound it is compared as usual
    let (code, _, err) = verdict(&[
        "drift",
        r.to_str().unwrap(),
        c.to_str().unwrap(),
        "--stream",
        "on",
    ]);
    assert_eq!(code, 0, "{err}");
}
