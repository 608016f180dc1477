//! Report exports (Markdown, HTML with embedded PNG plots, CSV tables), persisted window
//! settings, and the no-display message.

use verdict::analysis::{analyze, AnalysisConfig};
#[cfg(feature = "gui")]
use verdict::app::command::{Bucket, View};
#[cfg(feature = "gui")]
use verdict::app::state::State;
use verdict::ingest::{load, LoadOptions};
use verdict::plan::Plan;
use verdict::report::csv::{table_csv, Table};
use verdict::report::{html, markdown, ExperimentReport};

fn report() -> ExperimentReport {
    let plan = Plan::load("sample_data/verdict.toml".as_ref()).unwrap();
    let opts = LoadOptions {
        overrides: plan.role_overrides(),
        known_groups: None,
    };
    let ds = load(&["sample_data/experiment.parquet".to_string()], &opts).unwrap();
    analyze(
        &ds,
        &AnalysisConfig {
            plan,
            bucket: Some("1h".into()),
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn html_is_self_contained_with_labelled_svg_plots_and_tables() {
    let r = report();
    let page = html::render(&r);
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("roll back"));
    // traffic, traffic share, cumulative requests, error rate (per bucket and cumulative),
    // p99, per metric its per-bucket and cumulative means (the engine's derived series), and
    // the primary metric's lift over time with its interval
    assert_eq!(page.matches("<svg ").count(), 7 + 2 * r.metrics.len());
    // every chart labels its axes: time ticks, value ticks, the unit
    assert!(page.contains(">time (UTC)</text>"));
    assert!(
        page.contains(">12-14 00:00</text>"),
        "midnight ticks name the day"
    );
    assert!(page.contains(">% of requests</text>"));
    assert!(page.contains("Lift of converted over time, always-valid interval"));
    assert!(page.contains("from where it is within 8 times today"));
    assert!(page.contains("<h2>Guardrails (non-inferiority)</h2>"));
    assert!(page.contains("<h2>Latency percentiles</h2>"));
    assert!(page.contains("Traffic share (ramp stages)"));
    assert!(!page.contains("src=\"http"), "no external resources");
    assert!(
        page.contains("sample_data/experiment.parquet"),
        "names the data file"
    );
    assert!(!page.contains("req-0000001"), "does not embed the data");
    let p = r.tests.iter().find(|t| t.primary).unwrap().p_value.unwrap();
    assert!(page.contains(&format!("{p:.4}")));
}

#[test]
fn markdown_has_every_section() {
    let md = markdown::render(&report());
    for section in [
        "# Verdict: roll back",
        "## Checks",
        "## Groups",
        "## Tests",
        "## Sample-ratio mismatch",
        "## Power",
        "## Segments",
        "## Timeline",
    ] {
        assert!(md.contains(section), "{section}");
    }
}

#[test]
fn csv_tables_have_a_row_per_item() {
    let r = report();
    let count = |t: &str| table_csv(&r, Table::parse(t).unwrap()).lines().count() - 1;
    assert_eq!(count("groups"), r.groups.len());
    assert_eq!(count("tests"), r.tests.len());
    assert_eq!(
        count("segments"),
        r.segments.iter().map(|s| s.tests.len()).sum::<usize>()
    );
    assert_eq!(count("timeline"), r.timeline.rows.len());
    assert_eq!(count("checks"), r.checks.len());
    assert_eq!(count("quantile_tests"), r.quantile_tests.len());
    assert_eq!(count("guardrails"), r.guardrails.len());
    assert_eq!(count("lift_over_time"), r.timeline.lift_over_time.len());
    assert!(!r.quantile_tests.is_empty() && !r.guardrails.is_empty());
    // every row has as many cells as the header
    for t in Table::ALL {
        let text = table_csv(&r, t);
        let mut lines = text.lines();
        let cols = lines.next().unwrap().split(',').count();
        for l in lines.filter(|l| !l.contains('"')) {
            assert_eq!(l.split(',').count(), cols, "{}: {l}", t.name());
        }
    }
    let tests = table_csv(&r, Table::Tests);
    assert!(tests
        .lines()
        .next()
        .unwrap()
        .starts_with("metric,method,control,treatment"));
    let converted = tests.lines().find(|l| l.starts_with("converted,")).unwrap();
    let p = r
        .tests
        .iter()
        .find(|t| t.metric == "converted")
        .unwrap()
        .p_value
        .unwrap();
    assert!(converted.contains(&format!("{p}")));
}

#[cfg(feature = "gui")]
#[test]
fn settings_survive_a_restart() {
    let mut s = State {
        view: View::Segments,
        bucket: Bucket::H1,
        cumulative: true,
        dark: false,
        ..Default::default()
    };
    s.remember(&["a.jsonl".into(), "b.csv".into()]);
    s.remember(&["a.jsonl".into()]);
    assert_eq!(s.recent, vec!["a.jsonl".to_string(), "b.csv".to_string()]);
    let text = serde_json::to_string(&s).unwrap();
    let back: State = serde_json::from_str(&text).unwrap();
    assert_eq!(back, s);
    // settings written by an older version (missing fields) still load
    let old: State = serde_json::from_str("{\"view\":\"Timeline\"}").unwrap();
    assert_eq!(old.view, View::Timeline);
    assert_eq!(old.bucket, Bucket::Auto);
}

#[cfg(feature = "gui")]
#[test]
fn without_a_display_the_window_says_so_in_one_line() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("no display") && err.contains("verdict analyze"),
        "{err}"
    );
}

#[test]
fn markdown_and_html_carry_the_window_the_same_table_order_and_no_traceback_headings() {
    let r = report();
    let (md, page) = (markdown::render(&r), html::render(&r));
    let window = r.window.as_ref().unwrap().label();
    assert_eq!(
        window,
        "2025-12-13 00:00:00 – 2025-12-15 23:59:27 UTC (2 d 23 h)"
    );
    assert!(md.contains(&format!("- time window: {window}")), "{md}");
    assert!(page.contains(&format!("Time window: {window}")));
    assert!(md.contains(&r.context_line()) && page.contains("A: ranker_v1@1.4.2"));
    // control before treatment in both, as in the window
    assert!(md.contains(
        "| metric | method | control | treatment | control value | treatment value | diff |"
    ));
    assert!(page.contains("<th>metric</th><th>method</th><th>control</th><th>treatment</th><th>control value</th><th>treatment value</th>"));
    // the same numbers and words: the primary test's row in both
    let t = r.tests.iter().find(|t| t.primary).unwrap();
    let diff = verdict::report::format::diff(t.diff);
    assert!(md.contains(&format!(
        "| {} | {} | {diff} |",
        verdict::report::format::opt(Some(t.control_value), 4).trim(),
        verdict::report::format::opt(Some(t.treatment_value), 4)
    )));
    assert!(page.contains(&format!("<td>{diff}</td>")));
    // bucket count: the same words as the window
    let buckets = format!("{} buckets of 1h, UTC", r.timeline.buckets());
    assert!(
        md.contains(&buckets) && page.contains(&buckets),
        "{buckets}"
    );
    assert_eq!(r.timeline.buckets(), 72);

    // a log whose error column carries tracebacks, declared as a segment on purpose
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tracebacks.jsonl");
    let mut lines = String::new();
    for i in 0..600 {
        let detail = match i % 3 {
            0 => "ok".to_string(),
            1 => "Traceback (most recent call last):\n  File \"app.py\", line 12, in score\nValueError: bad | input".to_string(),
            _ => "timeout".to_string(),
        };
        lines.push_str(
            &serde_json::json!({
                "timestamp": format!("2026-01-01T00:{:02}:{:02}Z", i / 60, i % 60),
                "user_id": format!("u{}", i % 150),
                "group": if (i / 7) % 2 == 0 { "A" } else { "B" },
                "converted": (i % 5 == 0) as u8,
                "detail": detail,
            })
            .to_string(),
        );
        lines.push('\n');
    }
    std::fs::write(&path, lines).unwrap();
    let ds = load(&[path.display().to_string()], &LoadOptions::default()).unwrap();
    // by default a column of tracebacks is no segment
    assert!(
        !ds.segments.contains(&"detail".to_string()),
        "{:?}",
        ds.segments
    );
    let plan = Plan {
        segments: Some(vec!["detail".into()]),
        ..Plan::default()
    };
    let opts = LoadOptions {
        overrides: plan.role_overrides(),
        known_groups: None,
    };
    let ds = load(&[path.display().to_string()], &opts).unwrap();
    let r = analyze(
        &ds,
        &AnalysisConfig {
            plan,
            ..Default::default()
        },
    )
    .unwrap();
    let (md, page) = (markdown::render(&r), html::render(&r));
    assert!(md.contains("### converted by detail"), "{md}");
    for line in md.lines().filter(|l| l.starts_with('#')) {
        assert!(
            !line.contains("Traceback") && !line.contains("File"),
            "{line}"
        );
    }
    // the value is one short cell, its pipe escaped, in both formats
    assert!(
        md.contains("| Traceback (most recent call last):… | B |"),
        "{md}"
    );
    assert!(!page.contains("<h3>detail = Traceback"));
    assert!(page.contains("<td>Traceback (most recent call last):…</td>"));
    // no empty tables
    assert!(!md.contains("|---|\n\n"), "{md}");
}
