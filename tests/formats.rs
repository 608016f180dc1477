//! The same experiment in every format (and gzip, globs, several files) gives the same report.

use std::io::Write;
use verdict::analysis::{analyze, AnalysisConfig};
use verdict::ingest::{load, LoadOptions, MetricKind, Role};
use verdict::plan::Plan;
use verdict::report::ExperimentReport;

fn run(files: &[&str]) -> ExperimentReport {
    let plan = Plan::load("sample_data/verdict.toml".as_ref()).unwrap();
    let opts = LoadOptions {
        overrides: plan.role_overrides(),
        known_groups: None,
    };
    let files: Vec<String> = files.iter().map(|s| s.to_string()).collect();
    let ds = load(&files, &opts).unwrap();
    analyze(
        &ds,
        &AnalysisConfig {
            plan,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Everything but the input description and the source column names.
fn body(r: &ExperimentReport) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap();
    let m = v.as_object_mut().unwrap();
    m.remove("input");
    m.remove("columns");
    // the unit's source column is named differently in the app log
    if let Some(u) = m.get_mut("unit").and_then(|u| u.as_object_mut()) {
        u.remove("column");
    }
    v
}

#[test]
fn four_formats_give_identical_reports() {
    let base = run(&["sample_data/experiment.parquet"]);
    assert_eq!(base.input.rows_valid, 8000);
    assert_eq!(base.input.rows_rejected, 0);
    for f in [
        "sample_data/experiment.jsonl",
        "sample_data/experiment.csv",
        "sample_data/experiment.log",
    ] {
        let r = run(&[f]);
        assert_eq!(r.input.rows_valid, 8000, "{f}");
        assert!(r.input.rows_rejected >= 2, "{f} has malformed lines");
        assert_eq!(body(&r), body(&base), "{f} differs from parquet");
    }
    let log = run(&["sample_data/experiment.log"]);
    assert!(
        log.input.lines_skipped >= 10,
        "banners, access lines, tracebacks skipped"
    );
    assert_eq!(log.input.format.as_str(), "applog");
}

#[test]
fn gzip_glob_and_several_files() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read("sample_data/experiment.jsonl").unwrap();
    let gz = dir.path().join("part.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&text).unwrap();
    enc.finish().unwrap();
    let r = run(&[gz.to_str().unwrap()]);
    assert_eq!(body(&r), body(&run(&["sample_data/experiment.parquet"])));
    assert_eq!(r.input.format.as_str(), "jsonl");

    // the same file twice via a glob doubles every count
    std::fs::copy("sample_data/experiment.csv", dir.path().join("a.csv")).unwrap();
    std::fs::copy("sample_data/experiment.csv", dir.path().join("b.csv")).unwrap();
    let pattern = format!("{}/*.csv", dir.path().display());
    let r = run(&[&pattern]);
    assert_eq!(r.input.files.len(), 2);
    assert_eq!(r.input.rows_valid, 16000);
    assert_eq!(r.groups.iter().map(|g| g.requests).sum::<u64>(), 16000);
    // rejected rows name their own file
    assert!(r.input.rejected.iter().any(|x| x.file.ends_with("b.csv")));
}

#[test]
fn format_is_sniffed_when_the_extension_lies() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("export.txt");
    std::fs::copy("sample_data/experiment.jsonl", &p).unwrap();
    let r = run(&[p.to_str().unwrap()]);
    assert_eq!(r.input.format.as_str(), "jsonl");
    assert_eq!(r.input.rows_valid, 8000);
}

#[test]
fn structlog_timestamps_without_fraction_and_seconds_latency() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.jsonl");
    let mut lines = String::new();
    for i in 0..40 {
        let g = if i % 2 == 0 { "control" } else { "treatment" };
        lines.push_str(&format!(
            "{{\"event\": \"prediction\", \"level\": \"info\", \"timestamp\": \"2025-12-13T13:{:02}:39Z\", \"variant\": \"{g}\", \"latency_s\": {}, \"clicked\": {}}}\n",
            i, 0.01 + i as f64 * 0.001, i % 3 == 0
        ));
    }
    std::fs::write(&p, lines).unwrap();
    let ds = load(&[p.display().to_string()], &LoadOptions::default()).unwrap();
    let r = analyze(&ds, &AnalysisConfig::default()).unwrap();
    assert_eq!(r.control, "control");
    assert_eq!(r.control_source, verdict::report::ControlSource::Name);
    assert_eq!(r.columns[&Role::Group], "variant");
    assert_eq!(r.columns[&Role::Timestamp], "timestamp");
    // seconds converted to milliseconds
    let c = r.groups.iter().find(|g| g.name == "control").unwrap();
    assert!(
        (c.latency_ms.unwrap().p50 - 29.0).abs() < 1e-9,
        "{:?}",
        c.latency_ms
    );
    assert!(r
        .metrics
        .iter()
        .any(|m| m.name == "clicked" && m.kind == MetricKind::Proportion));
    assert_eq!(r.timeline.rows.iter().map(|x| x.requests).sum::<u64>(), 40);
}

#[test]
fn json_array_export_reads_like_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("export.json");
    let lines = std::fs::read_to_string("sample_data/experiment.jsonl").unwrap();
    let objects: Vec<&str> = lines
        .lines()
        .filter(|l| l.starts_with('{') && l.ends_with('}') && !l.contains("\"abc\""))
        .collect();
    std::fs::write(&p, format!("[\n{}\n]\n", objects.join(",\n"))).unwrap();
    let r = run(&[p.to_str().unwrap()]);
    assert_eq!(r.input.format.as_str(), "json");
    assert_eq!(r.input.rows_valid, 8000);
    assert_eq!(body(&r), body(&run(&["sample_data/experiment.parquet"])));
}

#[test]
fn numeric_groups_pick_zero_as_control() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.csv");
    let mut text = String::from("bucket,converted,latency_ms\n");
    for i in 0..200 {
        text.push_str(&format!(
            "{},{},{}\n",
            i % 2,
            (i % 7 == 0) as u8,
            10 + i % 13
        ));
    }
    std::fs::write(&p, text).unwrap();
    let ds = load(&[p.display().to_string()], &LoadOptions::default()).unwrap();
    let r = analyze(&ds, &AnalysisConfig::default()).unwrap();
    assert_eq!(r.columns[&Role::Group], "bucket");
    assert_eq!(r.control, "0");
    assert_eq!(
        r.tests.iter().filter(|t| t.metric == "converted").count(),
        1
    );
}

#[test]
fn nested_structlog_fields_and_pandas_csv_index() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("serve.jsonl");
    let mut text = String::new();
    for i in 0..60 {
        let (arm, model) = if i % 2 == 0 {
            ("champion", "m1")
        } else {
            ("challenger", "m2")
        };
        text.push_str(&format!(
            "{{\"event\": \"prediction\", \"timestamp\": \"2025-12-13T13:{:02}:39Z\", \"level\": \"info\", \"experiment\": {{\"variant\": \"{arm}\"}}, \"model\": {{\"name\": \"{model}\", \"version\": \"1\"}}, \"latency_ms\": {}, \"features\": {{\"age\": {}, \"country\": \"DE\"}}, \"outcome\": {}}}\n",
            i, 30 + i % 7, 20 + i, (i % 3 == 0) as u8
        ));
    }
    std::fs::write(&p, text).unwrap();
    let ds = load(&[p.display().to_string()], &LoadOptions::default()).unwrap();
    let r = analyze(&ds, &AnalysisConfig::default()).unwrap();
    assert_eq!(r.columns[&Role::Group], "experiment.variant");
    assert_eq!(r.columns[&Role::Model], "model.name");
    assert_eq!(r.control, "champion");
    let metrics: Vec<&str> = r.metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(metrics, ["outcome"], "features are not metrics");

    // pandas' to_csv writes its index as an unnamed first column: not a metric
    let csv = dir.path().join("pandas.csv");
    let mut text = String::from(",arm,clicked,latency_ms\n");
    for i in 0..100 {
        text.push_str(&format!(
            "{i},{},{},{}\n",
            if i % 2 == 0 { "control" } else { "treatment" },
            i % 3 == 0,
            10 + i % 9
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let ds = load(&[csv.display().to_string()], &LoadOptions::default()).unwrap();
    let r = analyze(&ds, &AnalysisConfig::default()).unwrap();
    let metrics: Vec<&str> = r.metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(metrics, ["clicked"]);
    assert_eq!(r.metrics[0].kind, MetricKind::Proportion);
}
