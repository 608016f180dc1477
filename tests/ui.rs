//! Headless UI tests (egui_kittest, no GPU): the dashboard on the embedded sample, every
//! view, bucket and role changes, and files arriving through the drop path.
#![cfg(feature = "gui")]

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use std::path::PathBuf;
use verdict::analysis::{analyze, AnalysisConfig};
use verdict::app::command::{Command, View};
use verdict::app::egui;
use verdict::app::state::State;
use verdict::app::views::fmt_p;
use verdict::app::VerdictApp;
use verdict::ingest::{load, LoadOptions, Role};
use verdict::plan::Plan;

/// A dropped file as the window system delivers it.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(h: &mut Harness<'static, VerdictApp>, path: PathBuf) {
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(path)));
}

fn harness(files: Vec<PathBuf>) -> Harness<'static, VerdictApp> {
    Harness::builder()
        .with_size([1500.0, 1100.0])
        .build_ui_state(
            |ui, app: &mut VerdictApp| app.ui_root(ui),
            VerdictApp::new(State::default(), files),
        )
}

/// Steps until no background job is running.
fn settle(h: &mut Harness<'static, VerdictApp>) {
    for _ in 0..2000 {
        h.step();
        if !h.state().jobs.any() {
            h.run_steps(3);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("background job did not finish");
}

fn engine_report() -> verdict::report::ExperimentReport {
    let plan = Plan::load("sample_data/verdict.toml".as_ref()).unwrap();
    let opts = LoadOptions {
        overrides: plan.role_overrides(),
        known_groups: Some(plan.expected_split.keys().cloned().collect()),
    };
    let ds = load(&["sample_data/experiment.parquet".to_string()], &opts).unwrap();
    analyze(
        &ds,
        &AnalysisConfig {
            plan,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn sample_dashboard_shows_the_engine_numbers() {
    let mut h = harness(vec![]);
    settle(&mut h);
    let report = h
        .state()
        .current
        .as_ref()
        .expect("sample loaded")
        .report
        .clone();
    let engine = engine_report();
    // the window's report is the engine's report, number for number
    assert_eq!(
        serde_json::to_value(&report.tests).unwrap(),
        serde_json::to_value(&engine.tests).unwrap()
    );
    assert_eq!(report.recommendation, engine.recommendation);
    let primary = engine.tests.iter().find(|t| t.primary).unwrap();
    h.get_by_label(&fmt_p(primary.p_value));
    h.get_by_label("ROLL BACK");
    h.get_by_label("converted");
    assert!(h.get_all_by_label_contains("B p99").count() >= 1);
}

#[test]
fn every_view_renders() {
    let mut h = harness(vec![]);
    settle(&mut h);
    let expect = [
        (View::Timeline, "Traffic (QPS)"),
        (View::Significance, "Sample-size calculator"),
        (View::Segments, "Segment column:"),
        (View::Data, "Column roles"),
        (View::Plan, "Analysis plan"),
        (View::Overview, "Health checks"),
    ];
    for (i, (view, label)) in expect.iter().enumerate() {
        // keyboard shortcut Ctrl+N for timeline..plan, then the tab for overview
        if i < 5 {
            let key = [
                egui::Key::Num2,
                egui::Key::Num3,
                egui::Key::Num4,
                egui::Key::Num5,
                egui::Key::Num6,
            ][i];
            h.key_press_modifiers(egui::Modifiers::COMMAND, key);
        } else {
            h.get_by_label("Overview").click();
        }
        h.run_steps(3);
        assert_eq!(h.state().state.view, *view);
        h.get_by_label(label);
    }
}

#[test]
fn bucket_and_role_changes_rerun_in_the_background() {
    let mut h = harness(vec![]);
    settle(&mut h);
    h.state_mut().send(Command::SetView(View::Timeline));
    h.run_steps(2);
    h.get_by_label("1h").click();
    h.run_steps(1);
    settle(&mut h);
    let tl = &h.state().current.as_ref().unwrap().report.timeline;
    assert_eq!(tl.bucket, "1h");
    assert_eq!(
        tl.rows.len(),
        72 * 2,
        "3 days of hourly buckets for 2 groups"
    );

    // clear the score role: AUC disappears from every group
    h.state_mut().send(Command::SetRole(Role::Score, None));
    h.run_steps(1);
    settle(&mut h);
    let r = &h.state().current.as_ref().unwrap().report;
    assert!(r.groups.iter().all(|g| g.auc.is_none()));
    assert!(!r.columns.contains_key(&Role::Score));
}

#[test]
fn dropped_files_load_and_broken_ones_notify_without_losing_data() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, [0u8, 1, 2, 3, 255, 0, 7]).unwrap();
    let mut h = harness(vec![]);
    settle(&mut h);
    let before = h.state().current.as_ref().unwrap().report.input.rows_valid;

    drop_file(&mut h, broken.clone());
    h.run_steps(1);
    settle(&mut h);
    let app = h.state();
    assert_eq!(
        app.current.as_ref().unwrap().report.input.rows_valid,
        before,
        "what was loaded is kept"
    );
    let err = app
        .notifications
        .items()
        .iter()
        .find(|n| n.text.contains("broken.jsonl"))
        .expect("error notification");
    assert!(err.text.contains("binary"), "{}", err.text);
    assert!(
        h.get_all_by_label_contains("broken.jsonl").count() >= 1,
        "the notification is shown"
    );

    // a good CSV through the same path replaces the data
    let csv = PathBuf::from("sample_data/experiment.csv");
    drop_file(&mut h, csv);
    h.run_steps(1);
    settle(&mut h);
    let r = &h.state().current.as_ref().unwrap().report;
    assert_eq!(r.input.format.as_str(), "csv");
    assert_eq!(r.input.rows_valid, 8000);
    assert!(r.input.rows_rejected >= 2);
    assert!(h
        .state()
        .state
        .recent
        .iter()
        .any(|f| f.ends_with("experiment.csv")));
}

#[test]
fn dropping_a_plan_reanalyses_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("verdict.toml");
    std::fs::write(
        &plan,
        "primary_metric = \"revenue\"\nalpha = 0.01\ncontrol = \"A\"\n",
    )
    .unwrap();
    let mut h = harness(vec![]);
    settle(&mut h);
    drop_file(&mut h, plan);
    h.run_steps(1);
    settle(&mut h);
    let r = &h.state().current.as_ref().unwrap().report;
    assert_eq!(r.primary_metric.as_deref(), Some("revenue"));
    assert_eq!(r.alpha, 0.01);
}

#[test]
fn role_combo_box_in_the_data_view_reruns_the_analysis() {
    let mut h = harness(vec![]);
    settle(&mut h);
    h.state_mut().send(Command::SetView(View::Data));
    h.run_steps(3);
    let roles: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_string()).collect();
    let score_index = roles.iter().position(|r| r == "score").unwrap();
    // the role combo boxes appear in Role::ALL order
    let combo = h
        .get_all_by_role(egui::accesskit::Role::ComboBox)
        .nth(score_index)
        .expect("score combo");
    combo.click();
    h.run_steps(2);
    h.get_by_label("(none)").click();
    h.run_steps(1);
    settle(&mut h);
    let r = &h.state().current.as_ref().unwrap().report;
    assert!(!r.columns.contains_key(&Role::Score), "{:?}", r.columns);
    assert!(r.groups.iter().all(|g| g.mean_score.is_none()));
}

#[test]
fn hovering_files_shows_the_drop_overlay() {
    let mut h = harness(vec![]);
    settle(&mut h);
    assert!(!h.state().drop_hover);
    h.input_mut().hovered_files.push(egui::HoveredFile {
        path: Some(PathBuf::from("x.jsonl")),
        ..Default::default()
    });
    h.step();
    assert!(h.state().drop_hover);
    h.input_mut().hovered_files.clear();
    h.step();
    assert!(!h.state().drop_hover);
}

#[test]
fn drift_view_splits_the_loaded_log_and_compares_dropped_files() {
    use verdict::analysis::drift::{run, DriftConfig, DriftInputs};
    use verdict::app::drift::DriftMode;
    let mut h = harness(vec![]);
    settle(&mut h);
    // Ctrl+7 opens the Drift view, which splits the loaded log at its middle by itself
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num7);
    h.run_steps(2);
    assert_eq!(h.state().state.view, View::Drift);
    settle(&mut h);
    let split = h.state().drift.report.clone().expect("split report");
    assert_eq!(split.split.mode, verdict::report::drift::SplitMode::SplitAt);
    // prediction rows only: the sample's error events (no score) are left out and counted
    assert_eq!(
        split.reference.rows + split.current.rows + split.excluded.events,
        8000
    );
    assert!(split.excluded.events > 0);
    h.get_by_label("Retraining triggers and data checks");
    // two data files dropped on the Drift view become reference and current
    drop_file(&mut h, PathBuf::from("tests/fixtures/drift/reference.csv"));
    drop_file(&mut h, PathBuf::from("tests/fixtures/drift/current.csv"));
    h.run_steps(2);
    settle(&mut h);
    assert_eq!(h.state().drift.mode, DriftMode::Files);
    let r = h.state().drift.report.clone().expect("files report");
    let engine = run(
        &DriftInputs::Files {
            reference: vec!["tests/fixtures/drift/reference.csv".into()],
            current: vec!["tests/fixtures/drift/current.csv".into()],
        },
        &DriftConfig::default(),
        &Default::default(),
        &|_| {},
        &|_, _| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(
        r.features, engine.features,
        "the window shows the engine's numbers"
    );
    // the most drifted feature is selected and flagged; its PSI is printed as the engine has it
    assert_eq!(h.state().drift.selected.as_deref(), Some("country"));
    h.get_all_by_label("drifted").next().expect("flag");
    let country = r.features.iter().find(|f| f.name == "country").unwrap();
    h.get_by_label(&format!("{:.4}", country.psi.unwrap()));
    // sorting by p is a click on the header
    h.get_by_label("p").click();
    h.run_steps(2);
    assert_eq!(
        h.state().state.drift_sort,
        verdict::app::drift::DriftSort::P
    );
    // the main experiment was not replaced by the dropped files
    assert_eq!(
        h.state().current.as_ref().unwrap().report.input.rows_valid,
        8000
    );
}

/// Steps until `done` holds (background threads outside the job slot included).
fn wait_for(h: &mut Harness<'static, VerdictApp>, done: impl Fn(&VerdictApp) -> bool) {
    for _ in 0..3000 {
        h.step();
        if done(h.state()) && !h.state().jobs.any() {
            h.run_steps(3);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the Models view did not finish");
}

#[test]
fn models_view_replays_the_embedded_sample_and_takes_dropped_models() {
    use std::sync::atomic::AtomicBool;
    use verdict::app::models::ModelsCommand;
    let mut h = harness(vec![]);
    settle(&mut h);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num8);
    h.run_steps(2);
    assert_eq!(h.state().state.view, View::Models);
    // the embedded sample models are written, read, and replayed on first visit
    wait_for(&mut h, |a| a.models.compared.is_some());
    let shown = h.state().models.compared.as_ref().unwrap().report.clone();
    let engine = verdict::models::compare(
        std::path::Path::new("sample_data/models/champion.onnx"),
        std::path::Path::new("sample_data/models/challenger"),
        &verdict::models::CompareOptions {
            threshold: Some(0.5),
            ..Default::default()
        },
        &|_, _| {},
        &AtomicBool::new(false),
    )
    .unwrap()
    .report;
    assert_eq!(shown.diff.rate, engine.diff.rate);
    assert_eq!(shown.champion.metrics, engine.champion.metrics);
    assert_eq!(shown.challenger.metrics, engine.challenger.metrics);
    h.get_by_label(&format!("{:.4}", engine.champion.metrics.auc.unwrap()));
    h.get_by_label("Flip matrix (predicted class)");
    h.get_by_label("importance_shift");
    // the bundled sample is labelled as such
    assert_eq!(
        h.state().models.sample_parts(),
        vec!["champion", "challenger", "holdout"]
    );
    h.get_by_label(" SAMPLE ");
    // two models dropped at once: the first becomes the champion
    drop_file(&mut h, PathBuf::from("sample_data/models/challenger"));
    drop_file(&mut h, PathBuf::from("sample_data/models/champion.onnx"));
    wait_for(&mut h, |a| {
        a.models
            .champion
            .as_ref()
            .is_some_and(|(p, _)| p.ends_with("challenger"))
            && a.models
                .challenger
                .as_ref()
                .is_some_and(|(p, _)| p.ends_with("champion.onnx"))
    });
    // the user's own models: only the holdout is still the sample's
    assert_eq!(h.state().models.sample_parts(), vec!["holdout"]);
    h.get_by_label("Swap").click();
    h.run_steps(2);
    assert!(h
        .state()
        .models
        .champion
        .as_ref()
        .unwrap()
        .0
        .ends_with("champion.onnx"));
    h.state_mut().models.repeats = 1;
    h.get_by_label("Replay").click();
    h.run_steps(2);
    wait_for(&mut h, |a| {
        a.models
            .compared
            .as_ref()
            .is_some_and(|c| c.report.importance.repeats == 1)
    });
    // a broken model is reported once and the loaded ones stay
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.onnx");
    std::fs::write(&bad, b"not a model").unwrap();
    h.state_mut()
        .send(Command::Models(ModelsCommand::Add(vec![bad])));
    for _ in 0..100 {
        h.step();
        if !h.state().notifications.items().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(h
        .state()
        .notifications
        .items()
        .iter()
        .any(|n| n.text.contains("broken.onnx") && n.text.contains("not an ONNX model")));
    assert!(h.state().models.champion.is_some() && h.state().models.challenger.is_some());
}

/// Steps until `done` holds and no job runs.
fn wait_all(h: &mut Harness<'static, VerdictApp>, what: &str, done: impl Fn(&VerdictApp) -> bool) {
    for _ in 0..6000 {
        h.step();
        if done(h.state()) && !h.state().jobs.any() {
            h.run_steps(3);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("{what} did not finish");
}

#[test]
fn a_model_replay_and_a_log_load_run_side_by_side_and_both_finish() {
    use verdict::app::command::JobKind;
    let mut h = harness(vec![]);
    settle(&mut h);
    // enough permutation repeats that the replay is still running when the log is opened
    h.state_mut().models.repeats = 50;
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num8);
    for _ in 0..2000 {
        h.step();
        if h.state().jobs.running(JobKind::Replay) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(
        h.state().jobs.running(JobKind::Replay),
        "the replay started"
    );
    // back on the Overview, a log is opened while the replay runs
    h.state_mut().send(Command::SetView(View::Overview));
    h.state_mut().send(Command::Open(vec![PathBuf::from(
        "sample_data/experiment.csv",
    )]));
    h.step();
    assert!(
        h.state().jobs.running(JobKind::Load) && h.state().jobs.running(JobKind::Replay),
        "both run at once"
    );
    wait_all(&mut h, "replay and load", |a| {
        a.models.compared.is_some() && a.current.is_some()
    });
    let app = h.state();
    assert_eq!(
        app.models
            .compared
            .as_ref()
            .unwrap()
            .report
            .importance
            .repeats,
        50,
        "the replay finished, not cancelled"
    );
    assert!(app.current.as_ref().unwrap().report.input.files[0].ends_with("experiment.csv"));
    assert!(
        app.notifications
            .items()
            .iter()
            .all(|n| !n.text.contains("cancelled")),
        "nothing was cancelled"
    );
}

#[test]
fn a_drift_result_of_a_replaced_log_is_discarded() {
    use std::sync::mpsc::channel;
    use verdict::app::command::{DriftCommand, JobKind};
    use verdict::app::jobs::{Input, Job, JobMsg};
    let mut h = harness(vec![]);
    settle(&mut h);
    // a real time split of the loaded sample, and a new log right after it
    h.state_mut().send(Command::Drift(DriftCommand::Run));
    h.step();
    assert!(h.state().jobs.running(JobKind::Drift));
    h.state_mut().send(Command::Open(vec![PathBuf::from(
        "sample_data/experiment.jsonl",
    )]));
    wait_all(&mut h, "load", |a| {
        a.current
            .as_ref()
            .is_some_and(|c| c.report.input.files[0].ends_with("experiment.jsonl"))
    });
    // whichever finished first, no drift numbers of the old log are on screen
    assert!(h.state().drift.report.is_none(), "old drift report shown");

    // a drift job of the loaded log that answers only after another log replaced it
    let old = h.state().log_id;
    let (tx, rx) = channel();
    h.state_mut()
        .jobs
        .start(Job::from_channel(JobKind::Drift, Input::Log(old), rx));
    h.state_mut().send(Command::Open(vec![PathBuf::from(
        "sample_data/experiment.csv",
    )]));
    for _ in 0..3000 {
        h.step();
        if !h.state().jobs.running(JobKind::Load) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_ne!(h.state().log_id, old);
    assert!(
        !h.state().jobs.running(JobKind::Drift),
        "the drift job of the old log was cancelled"
    );
    assert!(h
        .state()
        .notifications
        .items()
        .iter()
        .any(|n| n.text.contains("Drift cancelled") && n.text.contains("experiment.csv")));
    let report = verdict::analysis::drift::run(
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
    // its late answer goes nowhere
    let _ = tx.send(JobMsg::Drift(Box::new(report)));
    h.run_steps(3);
    assert!(h.state().drift.report.is_none());

    // a drift comparison of two files does not depend on the loaded log: it survives a load
    let (tx, rx) = channel();
    h.state_mut()
        .jobs
        .start(Job::from_channel(JobKind::Drift, Input::Independent, rx));
    h.state_mut().send(Command::LoadSample);
    for _ in 0..3000 {
        h.step();
        if !h.state().jobs.running(JobKind::Load) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(h.state().jobs.running(JobKind::Drift));
    let report = verdict::analysis::drift::run(
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
    tx.send(JobMsg::Drift(Box::new(report))).unwrap();
    h.run_steps(3);
    assert!(
        h.state().drift.report.is_some(),
        "the two-file report is shown"
    );
}

#[test]
fn a_bucket_change_during_a_load_waits_for_it_instead_of_cancelling_it() {
    use verdict::app::command::{Bucket, JobKind};
    let mut h = harness(vec![]);
    settle(&mut h);
    h.state_mut().send(Command::Open(vec![PathBuf::from(
        "sample_data/experiment.jsonl",
    )]));
    h.step();
    assert!(h.state().jobs.running(JobKind::Load));
    h.state_mut().send(Command::SetBucket(Bucket::D1));
    h.step();
    wait_all(&mut h, "load and re-bucket", |a| {
        a.current
            .as_ref()
            .is_some_and(|c| c.report.timeline.bucket == "1d")
    });
    let cur = h.state().current.as_ref().unwrap();
    assert!(cur.report.input.files[0].ends_with("experiment.jsonl"));
    assert!(h
        .state()
        .notifications
        .items()
        .iter()
        .all(|n| !n.text.contains("ancelled")));
}

#[test]
fn a_failed_reanalysis_puts_the_settings_back_to_what_is_shown() {
    use verdict::app::command::{Bucket, JobKind};
    let mut h = harness(vec![]);
    settle(&mut h);
    let shown_plan = h.state().plan.clone();
    // a plan whose primary metric the log does not have: the analysis refuses it
    let mut bad = shown_plan.clone();
    bad.primary_metric = Some("no_such_metric".into());
    h.state_mut().send(Command::ApplyPlan(Box::new(bad)));
    settle(&mut h);
    assert!(h
        .state()
        .notifications
        .items()
        .iter()
        .any(|n| n.text.contains("no_such_metric")));
    assert_eq!(
        h.state().plan,
        shown_plan,
        "the plan in force is the shown one"
    );
    // a bucket change now only re-buckets (it does not retry the failed plan)
    h.state_mut().send(Command::SetBucket(Bucket::H1));
    h.step();
    assert!(h.state().jobs.running(JobKind::Load));
    settle(&mut h);
    let cur = h.state().current.as_ref().unwrap();
    assert_eq!(cur.report.timeline.bucket, "1h");
    assert_eq!(cur.config.plan, shown_plan);
    let errors = h
        .state()
        .notifications
        .items()
        .iter()
        .filter(|n| n.text.contains("no_such_metric"))
        .count();
    assert_eq!(errors, 1, "the failed plan is reported once, not retried");
}

#[test]
fn changing_the_models_drops_a_replay_of_the_old_ones() {
    use verdict::app::command::JobKind;
    use verdict::app::models::ModelsCommand;
    let mut h = harness(vec![]);
    settle(&mut h);
    h.state_mut().models.repeats = 50;
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num8);
    for _ in 0..2000 {
        h.step();
        if h.state().jobs.running(JobKind::Replay) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(h.state().jobs.running(JobKind::Replay));
    // swapping the models while they replay: the running replay is for the old order
    h.state_mut().send(Command::Models(ModelsCommand::Swap));
    h.step();
    assert!(!h.state().jobs.running(JobKind::Replay));
    assert!(h.state().models.compared.is_none());
    assert!(h
        .state()
        .notifications
        .items()
        .iter()
        .any(|n| n.text.contains("Replay cancelled")));
    // a replay of the swapped models shows them in their new roles
    h.state_mut().models.repeats = 1;
    h.state_mut().send(Command::Models(ModelsCommand::Replay));
    wait_all(&mut h, "replay", |a| a.models.compared.is_some());
    let app = h.state();
    let c = app.models.compared.as_ref().unwrap();
    assert!(app
        .models
        .champion
        .as_ref()
        .unwrap()
        .0
        .ends_with("challenger"));
    assert!(c.report.champion.path.ends_with("challenger"));
}

#[test]
fn the_unit_combo_box_switches_between_users_and_requests() {
    let mut h = harness(vec![]);
    settle(&mut h);
    let r = &h.state().current.as_ref().unwrap().report;
    assert_eq!(r.unit.kind, verdict::report::UnitKind::User);
    h.state_mut().send(Command::SetView(View::Data));
    h.run_steps(3);
    // the unit combo box follows the role combo boxes
    let combo = h
        .get_all_by_role(egui::accesskit::Role::ComboBox)
        .nth(Role::ALL.len())
        .expect("unit combo");
    combo.click();
    h.run_steps(2);
    h.get_by_label("request").click();
    h.run_steps(1);
    settle(&mut h);
    let r = &h.state().current.as_ref().unwrap().report;
    assert_eq!(r.unit.kind, verdict::report::UnitKind::Request);
    assert_eq!(r.unit.source, verdict::report::UnitSource::Plan);
    let conv = r.tests.iter().find(|t| t.metric == "converted").unwrap();
    assert_eq!(conv.method, verdict::report::TestMethod::TwoProportionZ);
    // and back to detection
    h.state_mut().send(Command::SetUnit(None));
    h.run_steps(1);
    settle(&mut h);
    let r = &h.state().current.as_ref().unwrap().report;
    assert_eq!(r.unit.kind, verdict::report::UnitKind::User);
}

#[test]
fn significance_view_shows_the_inference_numbers_of_the_engine() {
    let mut h = harness(vec![]);
    settle(&mut h);
    let engine = engine_report();
    let report = h.state().current.as_ref().unwrap().report.clone();
    assert_eq!(
        serde_json::to_value(&report.quantile_tests).unwrap(),
        serde_json::to_value(&engine.quantile_tests).unwrap()
    );
    assert_eq!(
        serde_json::to_value(&report.guardrails).unwrap(),
        serde_json::to_value(&engine.guardrails).unwrap()
    );
    h.state_mut().send(Command::SetView(View::Significance));
    h.run_steps(3);
    h.get_by_label_contains("Always-valid inference");
    h.get_by_label("Latency percentiles");
    h.get_by_label("Guardrails");
    h.get_by_label("fixed-horizon p");
    let primary = engine.tests.iter().find(|t| t.primary).unwrap();
    assert!(h.get_all_by_label(&fmt_p(primary.fixed.p_value)).count() >= 1);
    let g = &engine.guardrails[0];
    assert!(h.get_all_by_label(g.status.as_str()).count() >= 1);

    // switching the plan to fixed-horizon re-analyses: every number becomes the fixed one
    let mut plan = report_plan(&h);
    plan.inference = verdict::plan::Inference::Fixed;
    h.state_mut().send(Command::ApplyPlan(Box::new(plan)));
    h.run_steps(1);
    settle(&mut h);
    let fixed = h.state().current.as_ref().unwrap().report.clone();
    assert_eq!(fixed.inference, verdict::plan::Inference::Fixed);
    let t = fixed.tests.iter().find(|t| t.primary).unwrap();
    assert_eq!(t.p_value, primary.fixed.p_value);
    assert_eq!(t.ci_low, primary.fixed.ci_low);
}

fn report_plan(h: &Harness<'static, VerdictApp>) -> Plan {
    h.state().current.as_ref().unwrap().config.plan.clone()
}

#[test]
fn a_shadow_log_opens_in_the_shadow_view() {
    let mut h = harness(vec![std::path::PathBuf::from(
        "tests/fixtures/shadow/two_records.jsonl",
    )]);
    settle(&mut h);
    assert_eq!(h.state().state.view, View::Shadow);
    let r = h.state().shadow.clone().expect("shadow report");
    assert_eq!(r.pairs, 1972);
    h.run_steps(3);
    h.get_by_label("1972");
    h.get_by_label("Decisions");
    h.get_by_label_contains("b = 9, c = 36");
    h.get_by_label("Join labels...");
    // joining the labels file analyses the run again with outcomes
    h.state_mut()
        .send(Command::ShadowLabels(std::path::PathBuf::from(
            "tests/fixtures/shadow/labels.csv",
        )));
    h.run_steps(1);
    settle(&mut h);
    let r = h.state().shadow.clone().unwrap();
    let lab = r.labelled.as_ref().expect("labelled");
    assert_eq!(lab.n, 1639);
    assert!(lab.delong.is_some());
    h.run_steps(3);
    h.get_by_label("With outcomes");
}

#[test]
fn the_models_view_declares_what_an_output_means() {
    use verdict::app::models::{ModelsCommand, Slot};
    use verdict::report::compare::OutputKind;
    let mut h = harness(vec![]);
    settle(&mut h);
    h.state_mut().send(Command::SetView(View::Models));
    h.run_steps(3);
    h.get_by_label("champion output");
    h.state_mut().send(Command::Models(ModelsCommand::SetOutput(
        Slot::Champion,
        Some(OutputKind::Logit),
    )));
    h.run_steps(2);
    assert_eq!(h.state().models.outputs, [Some(OutputKind::Logit), None]);
    h.state_mut().send(Command::Models(ModelsCommand::SetOutput(
        Slot::Champion,
        None,
    )));
    h.run_steps(2);
    assert_eq!(h.state().models.outputs, [None, None]);
}

#[test]
fn models_opened_with_a_holdout_replay_and_show_paired_tests_segments_and_mlflow() {
    use std::sync::atomic::AtomicBool;
    let f = "tests/fixtures/models/mlflow";
    let paths = vec![
        PathBuf::from(format!("{f}/champion")),
        PathBuf::from(format!("{f}/challenger.zip")),
        PathBuf::from(format!("{f}/holdout_shuffled.csv")),
    ];
    // opened together (as `verdict open A B holdout.csv`): the data file is the holdout, the
    // sample is not loaded over them, and the replay starts by itself
    let mut h = harness(paths);
    wait_all(&mut h, "the replay", |a| a.models.compared.is_some());
    assert_eq!(h.state().state.view, View::Models);
    let shown = h.state().models.compared.as_ref().unwrap().report.clone();
    assert!(shown.champion.path.ends_with("mlflow/champion"));
    assert!(shown.holdout.path.ends_with("holdout_shuffled.csv"));
    let engine = verdict::models::compare(
        std::path::Path::new(&format!("{f}/champion")),
        std::path::Path::new(&format!("{f}/challenger.zip")),
        &verdict::models::CompareOptions {
            holdout: Some(format!("{f}/holdout_shuffled.csv")),
            threshold: Some(0.5),
            ..Default::default()
        },
        &|_, _| {},
        &AtomicBool::new(false),
    )
    .unwrap()
    .report;
    assert_eq!(shown.worst_segments, engine.worst_segments);
    assert_eq!(shown.paired_tests, engine.paired_tests);
    h.get_by_label("MLflow models");
    h.get_by_label(&format!(
        "Where the challenger does worse: {} of {} segments",
        engine.worst_segments.len(),
        engine.segments_tested
    ));
    h.get_by_label("bootstrap Δf1");
    let w = &engine.worst_segments[0];
    h.get_by_label(&w.segment);
    h.get_by_label(&verdict::report::format::diff(w.diff));
    h.get_by_label("reproducibility");
    h.get_by_label("input_example");
}

#[test]
fn a_three_class_pair_shows_per_class_metrics_and_the_flip_matrix() {
    let f = "tests/fixtures/models/multiclass";
    let mut h = harness(vec![
        PathBuf::from(format!("{f}/champion.onnx")),
        PathBuf::from(format!("{f}/challenger.onnx")),
        PathBuf::from(format!("{f}/holdout.csv")),
    ]);
    wait_all(&mut h, "the replay", |a| a.models.compared.is_some());
    h.state_mut().models.label = "tier".into();
    h.get_by_label("Replay").click();
    h.run_steps(2);
    wait_all(&mut h, "the labelled replay", |a| {
        a.models
            .compared
            .as_ref()
            .is_some_and(|c| c.report.holdout.label.as_deref() == Some("tier"))
    });
    let r = h.state().models.compared.as_ref().unwrap().report.clone();
    assert_eq!(r.champion.classes, ["bronze", "gold", "silver"]);
    h.get_by_label("Per class (top-1)");
    h.get_by_label("Flip matrix: champion's class (rows) to challenger's class (columns)");
    h.get_by_label("AUC macro OvR");
    h.get_by_label(&r.diff.flip_matrix["silver"]["gold"].to_string());
    h.get_by_label("Permutation importance: rise in log_loss (5 repeats, seed 0; 0.0 s)");
}

#[test]
fn the_drift_view_plots_estimated_and_realized_performance() {
    use verdict::analysis::cbpe::CbpeMetric;
    use verdict::app::command::DriftCommand;
    let mut h = harness(vec![]);
    settle(&mut h);
    h.state_mut()
        .send(Command::Drift(DriftCommand::SplitLog(PathBuf::from(
            "tests/fixtures/drift/cbpe_service.jsonl",
        ))));
    h.state_mut().send(Command::SetView(View::Drift));
    h.run_steps(2);
    settle(&mut h);
    let r = h.state().drift.report.clone().expect("drift report");
    assert!(!r.performance.is_empty());
    assert_eq!(r.performance_fits[0].calibration, "isotonic");
    h.run_steps(3);
    h.get_by_label("Performance over time: estimated before labels arrive, and realized");
    h.get_by_label_contains("fraud-gbt 3: fitted on 4500 labelled reference rows");
    // the estimated triggers are named as such in the table
    h.get_by_label("auc_decline (estimated)");
    assert_eq!(h.state().drift.performance_metric, CbpeMetric::RocAuc);
    h.get_by_label("F1").click();
    h.run_steps(2);
    assert_eq!(h.state().drift.performance_metric, CbpeMetric::F1);
}

#[test]
fn the_clickhouse_dialog_reports_an_unreachable_server_in_place() {
    use verdict::app::command::ClickHouseCommand;
    let mut h = harness(vec![]);
    settle(&mut h);
    h.state_mut()
        .send(Command::ClickHouse(ClickHouseCommand::Show));
    h.run_steps(5);
    assert!(h.state().clickhouse.open);
    h.get_by_label("Test connection");
    h.get_by_label("Analyze on the server");
    // nothing listens on port 9: one line, in the dialog, not as a notification
    h.state_mut().clickhouse.server = "127.0.0.1:9".into();
    let before = h.state().notifications.items().len();
    h.get_by_label("Test connection").click();
    h.run_steps(2);
    settle(&mut h);
    let err = h
        .state()
        .clickhouse
        .error
        .clone()
        .expect("an error in the dialog");
    assert!(err.contains("127.0.0.1:9"), "{err}");
    assert_eq!(err.lines().count(), 1);
    assert_eq!(h.state().notifications.items().len(), before);
    assert!(h.state().clickhouse.server_info.is_none());
    // a password in the address is refused before anything is sent
    h.state_mut().clickhouse.server = "u:pw@127.0.0.1:9".into();
    h.state_mut()
        .send(Command::ClickHouse(ClickHouseCommand::Test));
    h.run_steps(2);
    let err = h.state().clickhouse.error.clone().unwrap();
    assert!(!err.contains("pw@"), "{err}");
    // an address given to Open analyses on the server; unreachable: one notification,
    // the data on screen kept
    let shown = h.state().current.as_ref().map(|c| c.label.clone());
    h.state_mut().send(Command::Open(vec![PathBuf::from(
        "clickhouse://127.0.0.1:9/db.t",
    )]));
    h.run_steps(2);
    settle(&mut h);
    assert_eq!(h.state().current.as_ref().map(|c| c.label.clone()), shown);
    assert!(h.state().notifications.items().len() > before);
}

#[test]
fn the_clickhouse_dialog_never_shows_the_password_and_forgets_a_table_of_another_server() {
    use verdict::app::command::ClickHouseCommand;
    let mut h = harness(vec![]);
    settle(&mut h);
    {
        let d = &mut h.state_mut().clickhouse;
        d.open = true;
        d.password = "s3cret-pw".into();
        d.server = "127.0.0.1:9".into();
        d.table = "old_table".into();
        d.tested = Some(("127.0.0.1:8".into(), "default".into()));
    }
    let shown = format!("{:?}", h.state().clickhouse);
    assert!(!shown.contains("s3cret-pw"), "{shown}");
    // testing another server forgets the table picked on the old one
    h.state_mut()
        .send(Command::ClickHouse(ClickHouseCommand::Test));
    h.run_steps(2);
    settle(&mut h);
    assert!(h.state().clickhouse.table.is_empty());
    assert!(h.state().clickhouse.error.is_some());
    // a role set to "(none)" reads as none, "(inferred)" gives it back to inference
    h.state_mut()
        .send(Command::ClickHouse(ClickHouseCommand::SetRole(
            Role::Latency,
            Some(String::new()),
        )));
    h.run_steps(2);
    assert_eq!(h.state().clickhouse_role(Role::Latency), None);
    assert_eq!(
        h.state().clickhouse.roles.columns.get(&Role::Latency),
        Some(&String::new())
    );
    h.state_mut()
        .send(Command::ClickHouse(ClickHouseCommand::SetRole(
            Role::Latency,
            None,
        )));
    h.run_steps(2);
    settle(&mut h);
    assert!(!h
        .state()
        .clickhouse
        .roles
        .columns
        .contains_key(&Role::Latency));
}

#[test]
fn a_log_opened_in_the_drift_view_is_also_the_experiment() {
    let state = State {
        view: View::Drift,
        ..State::default()
    };
    let mut h = Harness::builder()
        .with_size([1500.0, 1100.0])
        .build_ui_state(
            |ui, app: &mut VerdictApp| app.ui_root(ui),
            VerdictApp::new(state, vec![PathBuf::from("sample_data/experiment.jsonl")]),
        );
    for _ in 0..3000 {
        h.step();
        if h.state().drift.report.is_some() && h.state().current.is_some() && !h.state().jobs.any()
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(h.state().drift.report.is_some(), "the drift split");
    let cur = h.state().current.as_ref().expect("the experiment too");
    assert!(cur.report.input.files[0].ends_with("experiment.jsonl"));
    assert_eq!(
        h.state().state.view,
        View::Drift,
        "the view asked for stays"
    );
}

#[test]
fn timeline_panels_without_data_say_why_instead_of_an_empty_grid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no_latency.csv");
    let mut csv = String::from("timestamp,user_id,group,converted\n");
    for i in 0..400 {
        csv.push_str(&format!(
            "2026-01-01T{:02}:{:02}:00Z,u{},{},{}\n",
            i / 60,
            i % 60,
            i % 97,
            if i % 2 == 0 { "A" } else { "B" },
            (i % 7 == 0) as u8
        ));
    }
    std::fs::write(&path, csv).unwrap();
    let mut h = harness(vec![path]);
    settle(&mut h);
    h.state_mut().send(Command::SetView(View::Timeline));
    h.run_steps(3);
    h.get_by_label(
        "No latency column in this log, so no latency to plot (map one in the Data view).",
    );
    // the panels with data are drawn as before
    h.get_by_label("Traffic (QPS)");
}

#[test]
fn the_calculator_starts_from_the_plan() {
    let mut h = harness(vec![]);
    settle(&mut h);
    h.state_mut().send(Command::SetView(View::Significance));
    h.run_steps(3);
    let pw = h
        .state()
        .current
        .as_ref()
        .unwrap()
        .report
        .power
        .clone()
        .expect("the sample's sample size");
    h.get_by_label_contains(&format!(": {} ", pw.required_per_group));
    h.get_by_label("Use the plan's values").click();
    h.run_steps(2);
    let c = &h.state().state.calculator;
    assert!((c.baseline - pw.baseline_rate).abs() < 1e-12);
    assert!((c.mde - pw.mde_absolute.abs()).abs() < 1e-12);
    assert_eq!((c.alpha, c.power), (pw.alpha, pw.power));
}

#[test]
fn a_significant_worse_result_is_coloured_as_a_failure_and_a_null_one_grey() {
    use verdict::app::theme::{group_color, status_color};
    use verdict::app::views::significance::verdict_color;
    use verdict::report::Status;
    let r = engine_report();
    let latency = r.tests.iter().find(|t| t.metric == "latency_ms").unwrap();
    assert!(latency.significant && latency.favorable == Some(false));
    assert_eq!(verdict_color(latency, 1), status_color(Status::Fail));
    let revenue = r.tests.iter().find(|t| t.metric == "revenue").unwrap();
    assert!(revenue.significant && revenue.favorable == Some(true));
    assert_eq!(verdict_color(revenue, 1), status_color(Status::Pass));
    let converted = r.tests.iter().find(|t| t.metric == "converted").unwrap();
    assert!(!converted.significant);
    let grey = verdict_color(converted, 1);
    assert_ne!(grey, group_color(1));
    assert_ne!(grey, status_color(Status::Pass));
    assert_ne!(grey, status_color(Status::Fail));
}

#[test]
fn the_overview_says_what_was_analysed_and_its_picker_writes_the_primary_metric() {
    let mut h = harness(vec![]);
    settle(&mut h);
    let r = h.state().current.as_ref().unwrap().report.clone();
    let w = r.window.clone().expect("the sample has timestamps");
    assert_eq!(w.start, "2025-12-13 00:00:00");
    // files, window with its duration, groups with model@version, rows
    let line = verdict::app::views::overview::context_line(&r);
    for part in [
        "sample_experiment.parquet",
        "2025-12-13 00:00:00 – 2025-12-15 23:59:27 UTC (2 d 23 h)",
        "A: ranker_v1@1.4.2",
        "8,000 rows",
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    h.get_by_label(&line);
    // goal, secondary and guardrail sections apart: converted is the goal only
    h.get_by_label("Goal metric");
    h.get_by_label("Secondary metrics");
    assert_eq!(
        h.get_all_by_label("converted").count(),
        1,
        "the goal's card only, not again among the secondary metrics"
    );
    h.state_mut()
        .send(Command::SetPrimaryMetric(Some("revenue".into())));
    h.run_steps(1);
    settle(&mut h);
    let r = &h.state().current.as_ref().unwrap().report;
    assert_eq!(r.primary_metric.as_deref(), Some("revenue"));
    assert!(r.tests.iter().any(|t| t.primary && t.metric == "revenue"));
    assert_eq!(h.state().plan.primary_metric.as_deref(), Some("revenue"));
    h.state_mut().send(Command::SetPrimaryMetric(None));
    h.run_steps(1);
    settle(&mut h);
    assert!(h
        .state()
        .current
        .as_ref()
        .unwrap()
        .report
        .primary_metric
        .is_none());
    h.get_by_label_contains("No primary metric declared");
}

#[test]
fn a_log_without_a_group_column_keeps_its_rows_and_takes_roles_in_the_data_view() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no_group.csv");
    let mut csv = String::from("timestamp,user_id,zzz,converted,latency_ms,debug\n");
    for i in 0..400 {
        csv.push_str(&format!(
            "2026-01-01T{:02}:{:02}:00Z,u{},{},{},{},{}\n",
            i / 60,
            i % 60,
            i % 97,
            if i % 2 == 0 { "ctl" } else { "new" },
            (i % 7 == 0) as u8,
            40 + i % 13,
            i % 5
        ));
    }
    std::fs::write(&path, csv).unwrap();
    let mut h = harness(vec![path]);
    settle(&mut h);
    assert!(h.state().current.is_none());
    let u = h.state().unanalysed.as_ref().expect("the rows are kept");
    assert_eq!(u.raw.table.rows, 400);
    assert!(!u.problem.contains("--column"), "{}", u.problem);
    assert_eq!(h.state().state.view, View::Data);
    h.run_steps(2);
    h.get_by_label_contains("were read but not analysed");
    // the group role picked in the Data view's combo box
    h.get_by_label("group").click();
    h.run_steps(2);
    not_a_label(&h, "zzz").click();
    h.run_steps(1);
    settle(&mut h);
    let cur = h
        .state()
        .current
        .as_ref()
        .expect("analysed with the chosen group");
    assert_eq!(
        cur.report.columns.get(&Role::Group).map(String::as_str),
        Some("zzz")
    );
    assert!(h.state().unanalysed.is_none());
    let names: Vec<&str> = cur.report.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["ctl", "new"]);
    // a junk metric removed, then added back, with the "×" and "add to metrics…" controls
    assert!(cur.report.metrics.iter().any(|m| m.name == "debug"));
    h.get_by_label("debug (mean) ×").click();
    h.run_steps(1);
    settle(&mut h);
    let r = &h.state().current.as_ref().unwrap().report;
    assert!(
        !r.metrics.iter().any(|m| m.name == "debug"),
        "{:?}",
        r.metrics
    );
    assert!(r.metrics.iter().any(|m| m.name == "converted"));
    assert_eq!(
        h.state().plan.columns.metrics.as_deref(),
        Some(&["converted".to_string()][..])
    );
    h.get_by_label("add to metrics:").click();
    h.run_steps(2);
    not_a_label(&h, "debug").click();
    h.run_steps(1);
    settle(&mut h);
    let r = &h.state().current.as_ref().unwrap().report;
    assert!(r.metrics.iter().any(|m| m.name == "debug"));
}

/// The clickable node (a combo box entry) among the nodes with this label.
fn not_a_label<'a>(h: &'a Harness<'static, VerdictApp>, label: &'a str) -> egui_kittest::Node<'a> {
    h.get_all_by_label(label)
        .find(|n| n.accesskit_node().role() != egui::accesskit::Role::Label)
        .unwrap_or_else(|| panic!("no clickable {label}"))
}

#[test]
fn drift_histograms_sit_on_the_feature_values_with_both_sides_overlaid() {
    use verdict::app::views::drift::features::numeric_bars;
    let state = State {
        view: View::Drift,
        ..State::default()
    };
    let mut h = Harness::builder()
        .with_size([1500.0, 1100.0])
        .build_ui_state(
            |ui, app: &mut VerdictApp| app.ui_root(ui),
            VerdictApp::new(
                state,
                vec![PathBuf::from("tests/fixtures/drift/cbpe_service.jsonl")],
            ),
        );
    wait_for(&mut h, |a| a.drift.report.is_some() && !a.jobs.any());
    let r = h.state().drift.report.clone().unwrap();
    // the log has no group column: it stays in Drift, its rows kept for the Data view
    assert_eq!(h.state().state.view, View::Drift);
    assert!(h.state().unanalysed.is_some());
    h.run_steps(2);
    h.get_by_label_contains("Retrain: yes");
    let f = r
        .features
        .iter()
        .find(|f| f.name == "features.velocity")
        .unwrap();
    let bars = numeric_bars(f);
    // bins on the value axis: contiguous, increasing, one reference and one current height
    // each, areas summing to the shares (100 %)
    assert!(bars.len() >= 8, "{bars:?}");
    for w in bars.windows(2) {
        assert!((w[0].1 - w[1].0).abs() < 1e-9, "contiguous {w:?}");
        assert!(w[1].0 > w[0].0);
    }
    let area = |pick: fn(&(f64, f64, f64, f64, bool)) -> f64| -> f64 {
        bars.iter().map(|b| pick(b) * (b.1 - b.0)).sum()
    };
    assert!((area(|b| b.2) - 100.0).abs() < 1e-6);
    assert!((area(|b| b.3) - 100.0).abs() < 1e-6);
    // the open-ended outer bins are marked
    assert!(bars.first().unwrap().4 && bars.last().unwrap().4);
    // one flag word per feature
    for f in &r.features {
        assert!(["stable", "watch", "drifted"].contains(&f.flag().as_str()));
    }
}

#[test]
fn model_differences_are_coloured_only_when_their_interval_excludes_zero() {
    use verdict::app::views::models::tables::difference_evidence;
    use verdict::report::compare::{BootstrapInterval, PairedTests};
    let boot = |lo: f64, hi: f64| BootstrapInterval {
        diff: (lo + hi) / 2.0,
        ci_low: lo,
        ci_high: hi,
        n: 1000,
    };
    let p = PairedTests {
        n: 2000,
        mcnemar: None,
        delong: None,
        abs_error: None,
        bootstrap: [
            ("f1".to_string(), boot(-0.01, 0.02)),
            ("log_loss".to_string(), boot(0.001, 0.01)),
        ]
        .into_iter()
        .collect(),
    };
    let f1 = difference_evidence("F1", &p, 0.05).unwrap();
    assert!(!f1.1, "an interval across zero is not coloured: {}", f1.0);
    let ll = difference_evidence("log loss", &p, 0.05).unwrap();
    assert!(ll.1, "{}", ll.0);
    assert_eq!(ll.0, "[+0.001000, +0.01000]");
    assert!(difference_evidence("precision", &p, 0.05).is_none());
}

#[test]
fn copying_a_table_gives_tab_separated_text_for_a_spreadsheet() {
    let mut h = harness(vec![]);
    settle(&mut h);
    h.run_steps(2);
    // the first table on the Overview with a Copy button: the guardrails
    let copies: Vec<_> = h.get_all_by_label("Copy").collect();
    assert!(copies.len() >= 3, "a Copy button beside each CSV button");
    copies[0].click();
    h.run_steps(2);
    let text = h.state().last_copied.clone().expect("copied");
    let r = h.state().current.as_ref().unwrap().report.clone();
    use verdict::report::csv::{table_tsv, Table};
    assert_eq!(text, table_tsv(&r, Table::Guardrails));
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert!(head.len() > 5, "{text}");
    for line in lines {
        assert_eq!(line.split('\t').count(), head.len(), "{line}");
    }
    assert_eq!(text.lines().count(), 1 + r.guardrails.len());
    assert!(h
        .state()
        .notifications
        .items()
        .iter()
        .any(|n| n.text.starts_with("Copied the guardrails table")));
}

#[test]
fn rates_latencies_and_p_values_read_the_same_in_the_window() {
    use verdict::report::format;
    let r = engine_report();
    let mut h = harness(vec![]);
    settle(&mut h);
    h.run_steps(2);
    let a = &r.groups[0];
    // rates with two decimals, latency with three significant digits, p in one style
    h.get_by_label(&format::rate(a.error_rate));
    h.get_by_label(&format::latency_ms(a.latency_ms.unwrap().p99));
    assert_eq!(fmt_p(Some(0.0000123)), "< 0.0001");
    assert_eq!(format::rate(0.0057), "0.57%");
}

#[test]
fn while_rows_wait_for_roles_the_shown_analysis_keeps_its_own_settings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no_group.csv");
    let mut csv = String::from("timestamp,user_id,zzz,converted\n");
    for i in 0..200 {
        csv.push_str(&format!(
            "2026-01-01T00:{:02}:{:02}Z,u{},{},{}\n",
            i / 60,
            i % 60,
            i % 37,
            if i % 2 == 0 { "ctl" } else { "new" },
            (i % 7 == 0) as u8
        ));
    }
    std::fs::write(&path, csv).unwrap();
    // the sample on screen, then a log that cannot be analysed
    let mut h = harness(vec![]);
    settle(&mut h);
    h.state_mut().send(Command::Open(vec![path]));
    h.run_steps(1);
    settle(&mut h);
    assert!(h.state().unanalysed.is_some());
    assert!(h.state().current.is_some(), "the sample stays on screen");
    // the Overview's goal picker re-analyses the sample, not the waiting rows
    h.state_mut()
        .send(Command::SetPrimaryMetric(Some("revenue".into())));
    h.run_steps(1);
    settle(&mut h);
    let cur = h.state().current.as_ref().unwrap();
    assert_eq!(cur.report.primary_metric.as_deref(), Some("revenue"));
    assert!(cur.report.input.files[0].contains("sample"));
    assert!(
        h.state().unanalysed.is_some(),
        "the rows still wait for their roles"
    );
    // discarding them leaves the sample as it is
    h.state_mut().send(Command::DiscardUnanalysed);
    h.run_steps(1);
    settle(&mut h);
    assert!(h.state().unanalysed.is_none());
    assert!(h.state().current.as_ref().unwrap().report.input.files[0].contains("sample"));
}
