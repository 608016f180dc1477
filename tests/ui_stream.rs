//! The window on files larger than memory (headless, egui_kittest): a file over the
//! streaming threshold is read in chunks by the load job, its report equals the engine's
//! in-memory one, the Data view says what was streamed, and a plan change re-analyses the
//! spilled rows without reading the file again; the Drift view streams big files and splits
//! a streamed log by reading it again; a shadow run is still read whole. (Its own test binary: the threshold is set
//! through the environment — the same values in every test here — which other UI tests
//! must not see.)
#![cfg(feature = "gui")]

mod common;

use common::close_deep;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::path::PathBuf;
use verdict::app::command::{Command, View};
use verdict::app::state::State;
use verdict::app::VerdictApp;

/// The window on `files`, every file "larger than memory", chunks of 400 rows.
fn window(files: Vec<PathBuf>) -> Harness<'static, VerdictApp> {
    std::env::set_var("VERDICT_STREAM_ABOVE_BYTES", "1");
    std::env::set_var("VERDICT_STREAM_CHUNK_ROWS", "400");
    Harness::builder()
        .with_size([1500.0, 1100.0])
        .build_ui_state(
            |ui, app: &mut VerdictApp| app.ui_root(ui),
            VerdictApp::new(State::default(), files),
        )
}

fn settle(h: &mut Harness<'static, VerdictApp>) {
    for _ in 0..3000 {
        h.step();
        if !h.state().jobs.any() {
            h.run_steps(3);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("background job did not finish");
}

#[test]
fn a_file_over_the_threshold_is_streamed_and_re_analysed_from_its_spill() {
    // every file is "larger than memory" here
    let file = PathBuf::from("tests/fixtures/rollout/ramp_structlog.jsonl");
    let mut h = window(vec![file.clone()]);
    settle(&mut h);
    let cur = h.state().current.as_ref().expect("the log is analysed");
    let report = cur.report.clone();
    let spill = cur
        .streamed
        .clone()
        .expect("streamed, not read into memory");
    assert_eq!(report.backend.as_ref().unwrap().kind, "stream");
    // the first chunk is what the Data view shows
    assert_eq!(cur.raw.table.rows, 400);
    // the same report as the engine's in memory, with the window's own settings
    let ds = verdict::ingest::load(&[file.display().to_string()], &cur.load).unwrap();
    let local = verdict::analysis::analyze(&ds, &cur.config).unwrap();
    let mut streamed = serde_json::to_value(&*report).unwrap();
    streamed.as_object_mut().unwrap().remove("backend");
    let mut local = serde_json::to_value(&local).unwrap();
    local.as_object_mut().unwrap().remove("backend");
    close_deep("window", &local, &streamed);
    // the Data view says what was streamed
    h.state_mut().send(Command::SetView(View::Data));
    h.run_steps(4);
    h.get_by_label_contains("larger than memory, read in chunks");
    // a plan change re-analyses the spill (the same spill, no new read)
    let metric = report.metrics[0].name.clone();
    h.state_mut()
        .send(Command::SetPrimaryMetric(Some(metric.clone())));
    settle(&mut h);
    let cur = h.state().current.as_ref().unwrap();
    assert_eq!(cur.report.primary_metric.as_deref(), Some(metric.as_str()));
    assert!(std::sync::Arc::ptr_eq(
        cur.streamed.as_ref().unwrap(),
        &spill
    ));
    // splitting the loaded log in the Drift view reads all of it again in chunks (not only
    // the first chunk the window holds)
    h.state_mut().send(Command::Drift(
        verdict::app::command::DriftCommand::SetMode(verdict::app::command::DriftMode::SplitLoaded),
    ));
    h.state_mut()
        .send(Command::Drift(verdict::app::command::DriftCommand::Run));
    settle(&mut h);
    let d = h
        .state()
        .drift
        .report
        .clone()
        .expect("drift of the streamed log");
    assert_eq!(d.binned.as_ref().unwrap().source, "stream");
    assert!(
        d.reference.rows + d.current.rows > 8000,
        "{} + {}",
        d.reference.rows,
        d.current.rows
    );
}

#[test]
fn the_drift_view_streams_files_over_the_threshold() {
    use verdict::app::command::DriftCommand;
    let mut h = window(vec![PathBuf::from("sample_data/experiment.jsonl")]);
    settle(&mut h);
    h.state_mut().send(Command::Drift(DriftCommand::SetFiles(
        Some(PathBuf::from("tests/fixtures/drift/reference.csv")),
        Some(PathBuf::from("tests/fixtures/drift/current.csv")),
    )));
    h.state_mut().send(Command::Drift(DriftCommand::Run));
    h.state_mut().send(Command::SetView(View::Drift));
    h.run_steps(2);
    settle(&mut h);
    let r = h.state().drift.report.clone().expect("drift report");
    let b = r.binned.as_ref().expect("streamed");
    assert_eq!(b.source, "stream");
    // the same features as the in-memory comparison
    let local = verdict::analysis::drift::run(
        &verdict::analysis::drift::DriftInputs::Files {
            reference: vec!["tests/fixtures/drift/reference.csv".into()],
            current: vec!["tests/fixtures/drift/current.csv".into()],
        },
        &Default::default(),
        &Default::default(),
        &|_| {},
        &|_, _| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
    .unwrap();
    close_deep(
        "window drift",
        &serde_json::to_value(&local.features).unwrap(),
        &serde_json::to_value(&r.features).unwrap(),
    );
    h.run_steps(3);
    h.get_by_label_contains("Streamed");
}

#[test]
fn a_shadow_run_over_the_threshold_is_read_whole_for_the_shadow_view() {
    let mut h = window(vec![PathBuf::from(
        "tests/fixtures/shadow/two_records.jsonl",
    )]);
    settle(&mut h);
    assert_eq!(h.state().state.view, View::Shadow);
    let r = h.state().shadow.clone().expect("shadow report");
    // every pair, as read whole (not a first chunk)
    assert_eq!(r.pairs, 1972);
}
