//! Time from the schema: typed Parquet timestamps keep their unit and zone (dates before
//! 1973 included), numeric epochs in text formats are read by magnitude up to nanoseconds
//! or in the unit the plan or `--time-unit` declares, and durations are validated.

mod common;
use common::{verdict, write};

use polars::prelude::*;
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::atomic::AtomicBool;
use verdict::ingest::time::{column_timestamps_us, format_timestamp_us, EpochUnit};
use verdict::ingest::{read_raw, RawLoad};

fn raw(path: &std::path::Path) -> RawLoad {
    read_raw(
        &[path.display().to_string()],
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap()
}

fn stamps(raw: &RawLoad, column: &str, unit: Option<EpochUnit>) -> Vec<String> {
    let col = raw.table.columns.iter().find(|c| c.name == column).unwrap();
    column_timestamps_us(col, unit)
        .into_iter()
        .map(|t| t.map(format_timestamp_us).unwrap_or_default())
        .collect()
}

#[test]
fn parquet_timestamps_use_their_declared_unit_and_zone() {
    let dir = tempfile::tempdir().unwrap();
    // 1969-07-20 20:17:40, 1972-01-01 and 2025-12-13 13:03:39.123
    let ms: Vec<i64> = vec![-14_182_940_000, 63_072_000_000, 1_765_631_019_123];
    let datetime = |name: &str, unit: TimeUnit, scale: i64, tz: Option<&str>| {
        let values: Vec<i64> = ms.iter().map(|v| v * scale).collect();
        Series::new(name.into(), values)
            .cast(&DataType::Datetime(
                unit,
                TimeZone::opt_try_new(tz).unwrap(),
            ))
            .unwrap()
            .into_column()
    };
    let mut df = DataFrame::new(
        3,
        vec![
            datetime("ts_ms", TimeUnit::Milliseconds, 1, None),
            datetime("ts_ns", TimeUnit::Nanoseconds, 1_000_000, None),
            datetime(
                "ts_us_berlin",
                TimeUnit::Microseconds,
                1_000,
                Some("Europe/Berlin"),
            ),
            Series::new("day".into(), vec![-165i32, 730, 20435])
                .cast(&DataType::Date)
                .unwrap()
                .into_column(),
            Column::new("group".into(), vec!["A", "B", "A"]),
        ],
    )
    .unwrap();
    let path = dir.path().join("typed.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    let raw = raw(&path);
    let want = [
        "1969-07-20T20:17:40Z",
        "1972-01-01T00:00:00Z",
        "2025-12-13T13:03:39.123Z",
    ];
    for column in ["ts_ms", "ts_ns", "ts_us_berlin"] {
        assert_eq!(stamps(&raw, column, None), want, "{column}");
        // the plan's unit is for untyped numbers; a typed column keeps its own
        assert_eq!(stamps(&raw, column, Some(EpochUnit::S)), want, "{column}");
    }
    assert_eq!(
        stamps(&raw, "day", None),
        [
            "1969-07-20T00:00:00Z",
            "1972-01-01T00:00:00Z",
            "2025-12-13T00:00:00Z"
        ]
    );
}

#[test]
fn nanosecond_epochs_in_json_lines_are_read_as_nanoseconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::new();
    for i in 0..200u64 {
        let ns = 1_765_631_019_000_000_000u64 + i * 60_000_000_000;
        let _ = writeln!(
            s,
            "{{\"ts\":{ns},\"group\":\"{}\",\"user_id\":\"u{i}\",\"converted\":{}}}",
            if i % 2 == 0 { "A" } else { "B" },
            i % 3 == 0
        );
    }
    let log = write(dir.path(), "ns.jsonl", s);
    let (code, out, err) = verdict(&["analyze", log.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let first = r["timeline"]["rows"][0]["start"].as_str().unwrap();
    assert!(first.starts_with("2025-12-13T13:03"), "{first}");
    assert_eq!(r["input"]["rows_rejected"], 0);
}

#[test]
fn the_plan_or_a_flag_declares_the_unit_of_old_millisecond_epochs() {
    let dir = tempfile::tempdir().unwrap();
    // milliseconds in 1971-1972: below 1e11, so by magnitude they would be seconds
    let mut s = String::from("ts,group,converted\n");
    for i in 0..100i64 {
        let _ = writeln!(
            s,
            "{},{},{}",
            40_000_000_000 + i * 3_600_000,
            if i % 2 == 0 { "A" } else { "B" },
            i % 4 == 0
        );
    }
    let log = write(dir.path(), "old.csv", s);
    let log = log.to_str().unwrap();
    let start = |args: &[&str]| -> String {
        let (code, out, err) = verdict(args);
        assert_eq!(code, 0, "{err}");
        let r: Value = serde_json::from_str(&out).unwrap();
        r["timeline"]["rows"][0]["start"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // by magnitude: 4e10 seconds is the year 3237
    assert!(start(&["analyze", log]).starts_with("3237-"));
    let plan = write(dir.path(), "verdict.toml", "time_unit = \"ms\"\n");
    assert!(start(&["analyze", log, "--plan", plan.to_str().unwrap()]).starts_with("1971-04-08"));
    assert!(start(&["analyze", log, "--time-unit", "ms"]).starts_with("1971-04-08"));
    let (code, _, err) = verdict(&["analyze", log, "--time-unit", "days"]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--time-unit"), "{err}");
    let bad = write(dir.path(), "bad.toml", "time_unit = \"days\"\n");
    let (code, _, err) = verdict(&["analyze", log, "--plan", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("time_unit"), "{err}");
}

#[test]
fn durations_are_validated_with_one_clear_line() {
    let log = "tests/fixtures/drift/log.jsonl";
    for (args, needle) in [
        (
            vec!["drift", log, "--window", "99999999999999999999d"],
            "--window",
        ),
        (vec!["drift", log, "--window", "0d"], "--window"),
        (vec!["drift", log, "--window", "-2h"], "--window"),
        (vec!["drift", log, "--window", "3 fortnights"], "--window"),
        (
            vec!["analyze", "sample_data/experiment.csv", "--bucket", "1.5s"],
            "--bucket",
        ),
        (
            vec![
                "analyze",
                "sample_data/experiment.csv",
                "--bucket",
                "1000000000d",
            ],
            "--bucket",
        ),
    ] {
        let (code, out, err) = verdict(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // the largest window that fits is fine: everything before it is the reference
    let (code, _, err) = verdict(&["drift", log, "--window", "36500d"]);
    assert_eq!(
        code, 2,
        "an empty reference side is reported, not a crash: {err}"
    );
    assert!(err.contains("reference side is empty"), "{err}");
}

#[test]
fn auc_and_f1_triggers_both_leave_a_series_new_in_the_current_period_unjudged() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::new();
    let mut state = 5u64;
    let mut rnd = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for d in 0..10 {
        // v3 serves throughout; v4 appears only in the current period
        let versions: &[&str] = if d < 5 { &["v3"] } else { &["v3", "v4"] };
        for v in versions {
            for k in 0..200 {
                let label = (rnd() < 0.4) as u8;
                let score = (0.5 + if label == 1 { 0.3 } else { -0.3 } + (rnd() - 0.5) * 0.6)
                    .clamp(0.0, 1.0);
                let _ = writeln!(
                    s,
                    "{{\"timestamp\":\"2026-05-{:02}T{:02}:{:02}:00Z\",\"model_version\":\"{v}\",\"score\":{score:.4},\"label\":{label},\"features\":{{\"f\":{:.3}}}}}",
                    d + 1,
                    k / 60 % 24,
                    k % 60,
                    rnd()
                );
            }
        }
    }
    let log = write(dir.path(), "versions.jsonl", s);
    let (code, out, err) = verdict(&["drift", log.to_str().unwrap(), "--split-at", "2026-05-06"]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    for id in ["auc_decline", "f1_drop"] {
        let t = r["triggers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap();
        let msg = t["message"].as_str().unwrap();
        assert!(
            msg.contains("v4: not judged, no labelled rows of this series in the reference period"),
            "{id}: {msg}"
        );
        assert!(msg.contains("v3"), "{id}: {msg}");
    }
}
