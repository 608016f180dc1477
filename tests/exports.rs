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
fn html_is_self_contained_with_png_plots_and_tables() {
    let r = report();
    let page = html::render(&r);
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("roll back"));
    // traffic, traffic share, cumulative requests, error rate (per bucket and cumulative),
    // p99, per metric its per-bucket and cumulative means (the engine's derived series), and
    // the primary metric's lift over time with its interval
    assert_eq!(
        page.matches("src=\"data:image/png;base64,").count(),
        7 + 2 * r.metrics.len()
    );
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
