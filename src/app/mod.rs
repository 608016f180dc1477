//! The desktop dashboard (eframe/egui). A thin shell over the engine: views read the
//! report, widgets emit [`Command`]s, one handler runs them, slow work runs in [`jobs`].

pub mod chrome;
pub mod command;
pub mod dialogs;
pub mod drift;
pub mod embedded;
pub mod jobs;
pub mod models;
pub mod notifications;
pub mod routing;
pub mod save;
pub mod state;
pub mod theme;
pub mod views;

/// The egui version the window uses (re-exported for tests and embedders).
pub use eframe::egui;

use crate::analysis::AnalysisConfig;
use crate::ingest::{LoadOptions, RoleOverrides};
use crate::plan::Plan;
use crate::report::markdown;
use command::{Command, ExportKind, TableKind, View};
use dialogs::{DialogPurpose, Dialogs};
use jobs::{Analyzed, Job, JobMsg};
use notifications::{Level, Notifications};
use routing::PathKind;
use state::State;
use std::path::PathBuf;

/// The window's application state.
pub struct VerdictApp {
    /// Persisted settings.
    pub state: State,
    /// The analysed experiment on screen.
    pub current: Option<Analyzed>,
    /// The plan being edited in the Plan view.
    pub plan_draft: Plan,
    /// Where the plan came from.
    pub plan_path: Option<PathBuf>,
    /// A short name for what is loaded ("sample experiment", file names).
    pub source_label: String,
    /// The running background job.
    pub job: Option<Job>,
    /// Messages for the user.
    pub notifications: Notifications,
    /// Commands emitted this frame, run at its end.
    pub(crate) pending: Vec<Command>,
    pub(crate) dialogs: Dialogs,
    /// A PNG export waiting for its screenshot: region, target file, and where it arrives.
    screenshot: Option<(
        egui::Rect,
        PathBuf,
        std::sync::mpsc::Receiver<std::sync::Arc<egui::ColorImage>>,
    )>,
    /// Files are being dragged over the window.
    pub drop_hover: bool,
    /// Duration of the last completed job, seconds.
    pub last_job_seconds: Option<f64>,
    /// The Drift view's state.
    pub drift: drift::DriftPanel,
    /// The Models view's state.
    pub models: models::ModelsPanel,
}

impl VerdictApp {
    /// A new app that will open `files` (or the embedded sample when empty) on its first frame.
    pub fn new(state: State, files: Vec<PathBuf>) -> Self {
        let all_data = files
            .iter()
            .all(|f| matches!(routing::classify(f), PathKind::Log | PathKind::LogFolder));
        let first = if files.is_empty() {
            Command::LoadSample
        } else if state.view == View::Drift && all_data && files.len() <= 2 {
            // `verdict open --view drift LOG` splits LOG; with REFERENCE CURRENT compares them
            Command::Drift(match files.as_slice() {
                [one] => drift::DriftCommand::SplitLog(one.clone()),
                [a, b, ..] => drift::DriftCommand::SetFiles(Some(a.clone()), Some(b.clone())),
                [] => drift::DriftCommand::Run,
            })
        } else {
            Command::Open(files)
        };
        Self {
            state,
            current: None,
            plan_draft: Plan::default(),
            plan_path: None,
            source_label: String::new(),
            job: None,
            notifications: Notifications::default(),
            pending: vec![first],
            dialogs: Dialogs::default(),
            screenshot: None,
            drop_hover: false,
            last_job_seconds: None,
            drift: drift::DriftPanel::default(),
            models: models::ModelsPanel::default(),
        }
    }

    /// Queues a command to run at the end of the frame.
    pub fn send(&mut self, cmd: Command) {
        self.pending.push(cmd);
    }

    /// The whole window, for eframe and for headless tests.
    pub fn ui_root(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        ctx.set_visuals(if self.state.dark {
            egui::Visuals::dark()
        } else {
            egui::Visuals::light()
        });
        self.poll_job();
        self.poll_models(&ctx);
        self.poll_dialogs(&ctx);
        self.poll_screenshot(&ctx);
        self.input_ui(&ctx);

        let mut cmds = Vec::new();
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui, &mut cmds));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui, &mut cmds));
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui, &mut cmds));
        for id in self.notifications.notifications_ui(&ctx) {
            cmds.push(Command::Dismiss(id));
        }
        if self.drop_hover {
            chrome::drop_overlay_ui(&ctx);
        }
        self.pending.extend(cmds);
        let pending = std::mem::take(&mut self.pending);
        for cmd in pending {
            self.handle(&ctx, cmd);
        }
        if self.job.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    fn input_ui(&mut self, ctx: &egui::Context) {
        let (dropped, hovering, open, view) = ctx.input(|i| {
            let dropped: Vec<PathBuf> = i
                .raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
            let open = i.modifiers.command && i.key_pressed(egui::Key::O);
            let keys = [
                egui::Key::Num1,
                egui::Key::Num2,
                egui::Key::Num3,
                egui::Key::Num4,
                egui::Key::Num5,
                egui::Key::Num6,
                egui::Key::Num7,
                egui::Key::Num8,
            ];
            let view = keys
                .iter()
                .position(|k| i.modifiers.command && i.key_pressed(*k))
                .map(|p| View::ALL[p]);
            (dropped, !i.raw.hovered_files.is_empty(), open, view)
        });
        self.drop_hover = hovering;
        if !dropped.is_empty() {
            if self.state.view == View::Drift {
                // in the Drift view, dropped data files become the reference / current sides
                let (data, other): (Vec<PathBuf>, Vec<PathBuf>) =
                    dropped.into_iter().partition(|p| {
                        matches!(routing::classify(p), PathKind::Log | PathKind::LogFolder)
                    });
                self.drop_into_drift(data);
                if !other.is_empty() {
                    self.pending.push(Command::Open(other));
                }
            } else {
                self.pending.push(Command::Open(dropped));
            }
        }
        if open {
            self.pending.push(Command::OpenDialog);
        }
        if let Some(v) = view {
            self.pending.push(Command::SetView(v));
        }
    }

    fn central_ui(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        if self.state.view == View::Models {
            let ctx = ui.ctx().clone();
            self.models.probe_runtime(&ctx);
            if !self.models.sample_started
                && self.models.champion.is_none()
                && self.models.challenger.is_none()
            {
                cmds.push(Command::Models(models::ModelsCommand::LoadSample));
                self.models.sample_started = true;
            }
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    views::models::models_ui(ui, &self.models, self.job.is_some(), cmds)
                });
            return;
        }
        if self.state.view == View::Drift {
            if !self.drift.auto_ran
                && self.drift.report.is_none()
                && self.job.is_none()
                && self.current.is_some()
            {
                self.drift.auto_ran = true;
                cmds.push(Command::Drift(drift::DriftCommand::Run));
            }
            let loaded = match &self.drift.split_log {
                Some((raw, range)) => Some((*range, short_files(&raw.files))),
                None => self.current.as_ref().and_then(|c| {
                    drift::loaded_range_us(&c.report).map(|r| (r, self.source_label.clone()))
                }),
            };
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    views::drift::drift_ui(
                        ui,
                        &self.drift,
                        loaded,
                        self.state.drift_sort,
                        self.job.is_some(),
                        cmds,
                    )
                });
            return;
        }
        let Some(cur) = &self.current else {
            ui.vertical_centered(|ui| {
                ui.add_space(ui.available_height() / 3.0);
                ui.heading("Verdict");
                ui.label("Should the challenger replace the champion?");
                ui.add_space(8.0);
                ui.label("Drop prediction logs (JSON lines, CSV, Parquet, app logs, .gz) anywhere in this window,");
                ui.label("or use File > Open logs... (Ctrl+O).");
                if ui.button("Load the sample experiment").clicked() {
                    cmds.push(Command::LoadSample);
                }
            });
            return;
        };
        let ctx = views::ViewCtx {
            report: &cur.report,
            dataset: &cur.dataset,
            config: &cur.config,
            load: &cur.load,
        };
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| match self.state.view {
                View::Overview => views::overview::overview_ui(ui, &ctx, cmds),
                View::Timeline => views::timeline::timeline_ui(ui, &ctx, &self.state, cmds),
                View::Significance => {
                    views::significance::significance_ui(ui, &ctx, &mut self.state.calculator, cmds)
                }
                View::Segments => views::segments::segments_ui(ui, &ctx, &mut self.state, cmds),
                View::Data => views::data::data_ui(ui, &ctx, cmds),
                View::Plan => views::plan::plan_ui(
                    ui,
                    &ctx,
                    &mut self.plan_draft,
                    self.plan_path.as_deref(),
                    cmds,
                ),
                View::Drift | View::Models => {}
            });
    }

    fn poll_job(&mut self) {
        let Some(job) = &mut self.job else { return };
        let mut done = false;
        let mut msgs = Vec::new();
        for m in job.rx.try_iter() {
            msgs.push(m);
        }
        for m in msgs {
            match m {
                JobMsg::Progress(text, frac) => {
                    if let Some(job) = &mut self.job {
                        job.progress = text;
                        job.fraction = frac;
                    }
                }
                JobMsg::Analyzed(a) => {
                    self.last_job_seconds = Some(a.seconds);
                    if a.report.input.rows_rejected > 0 {
                        let first = a
                            .report
                            .input
                            .rejected
                            .first()
                            .map(|r| format!("first: {}:{}: {}", r.file, r.line, r.reason));
                        self.notifications.push(
                            Level::Warning,
                            format!(
                                "{} rows rejected in {} (see Data > Rejected rows)",
                                jobs::thousands(a.report.input.rows_rejected),
                                short_files(&a.report.input.files)
                            ),
                            first,
                        );
                    }
                    self.plan_draft = a.config.plan.clone();
                    self.current = Some(*a);
                    done = true;
                }
                JobMsg::Timeline(t, secs) => {
                    if let Some(cur) = &mut self.current {
                        cur.report.timeline = *t;
                    }
                    self.last_job_seconds = Some(secs);
                    done = true;
                }
                JobMsg::Drift(r, secs) => {
                    self.last_job_seconds = Some(secs);
                    if self
                        .drift
                        .selected
                        .as_ref()
                        .is_none_or(|s| r.features.iter().all(|f| &f.name != s))
                    {
                        self.drift.selected = r
                            .features
                            .iter()
                            .filter(|f| f.psi.is_some())
                            .max_by(|a, b| a.psi.unwrap_or(0.0).total_cmp(&b.psi.unwrap_or(0.0)))
                            .map(|f| f.name.clone());
                    }
                    self.drift.report = Some(*r);
                    done = true;
                }
                JobMsg::Compared(c, secs) => {
                    self.last_job_seconds = Some(secs);
                    self.models.compared = Some(c);
                    done = true;
                }
                JobMsg::DriftLog(raw, range) => {
                    self.drift.split_at_us = Some(range.0 + (range.1 - range.0) / 2);
                    self.drift.split_log = Some((raw, range));
                }
                JobMsg::Failed(text, details) => {
                    self.notifications.push(Level::Error, text, details);
                    done = true;
                }
                JobMsg::Cancelled => {
                    self.notifications.push(
                        Level::Info,
                        "Cancelled; the previous data is still shown",
                        None,
                    );
                    done = true;
                }
            }
        }
        if done {
            self.job = None;
        }
    }

    fn poll_dialogs(&mut self, ctx: &egui::Context) {
        for r in self.dialogs.poll() {
            match r.purpose {
                DialogPurpose::Saved(Ok(path)) => {
                    self.notifications
                        .push(Level::Info, format!("Saved {}", path.display()), None)
                }
                DialogPurpose::Saved(Err(e)) => self.notifications.push(Level::Error, e, None),
                _ if r.paths.is_empty() => {}
                DialogPurpose::Open | DialogPurpose::OpenPlan => {
                    self.pending.push(Command::Open(r.paths))
                }
                DialogPurpose::Model(slot) => {
                    self.pending
                        .push(Command::Models(models::ModelsCommand::Set(
                            slot,
                            r.paths[0].clone(),
                        )))
                }
                DialogPurpose::Holdout => {
                    self.pending
                        .push(Command::Models(models::ModelsCommand::SetHoldout(
                            r.paths[0].clone(),
                        )))
                }
                DialogPurpose::DriftLog => {
                    self.pending
                        .push(Command::Drift(drift::DriftCommand::SplitLog(
                            r.paths[0].clone(),
                        )))
                }
                DialogPurpose::DriftReference => {
                    self.pending
                        .push(Command::Drift(drift::DriftCommand::SetFiles(
                            r.paths.first().cloned(),
                            None,
                        )))
                }
                DialogPurpose::DriftCurrent => {
                    self.pending
                        .push(Command::Drift(drift::DriftCommand::SetFiles(
                            None,
                            r.paths.first().cloned(),
                        )))
                }
                // written on the dialog thread, which answers with `Saved`
                DialogPurpose::SaveText(_) => {}
                DialogPurpose::SavePng(rect) => {
                    let (tx, rx) = std::sync::mpsc::channel();
                    let repaint = ctx.clone();
                    ctx.request_screenshot(move |image| {
                        let _ = tx.send(image);
                        repaint.request_repaint();
                    });
                    self.screenshot = Some((rect, r.paths[0].clone(), rx));
                }
            }
        }
    }

    fn poll_screenshot(&mut self, ctx: &egui::Context) {
        let Some((_, _, rx)) = &self.screenshot else {
            return;
        };
        let Ok(image) = rx.try_recv() else { return };
        if let Some((rect, path, _)) = self.screenshot.take() {
            self.dialogs.save_png(ctx, image, rect, path);
        }
    }

    /// Runs one command.
    pub fn handle(&mut self, ctx: &egui::Context, cmd: Command) {
        match cmd {
            Command::OpenDialog => self.dialogs.open(
                ctx,
                DialogPurpose::Open,
                "Open prediction logs",
                &[
                    (
                        "Logs",
                        &[
                            "jsonl", "ndjson", "json", "csv", "tsv", "parquet", "log", "txt", "gz",
                            "toml", "onnx", "zip",
                        ],
                    ),
                    ("All files", &["*"]),
                ],
                "",
            ),
            Command::LoadPlanDialog => self.dialogs.open(
                ctx,
                DialogPurpose::OpenPlan,
                "Open analysis plan",
                &[("Plan", &["toml"])],
                "",
            ),
            Command::SavePlanDialog => {
                let plan = self.plan_draft.clone();
                self.dialogs.open(
                    ctx,
                    DialogPurpose::SaveText(Box::new(move || plan.to_toml())),
                    "Save analysis plan",
                    &[("Plan", &["toml"])],
                    "verdict.toml",
                );
            }
            Command::Open(paths) => self.open_paths(ctx, paths),
            Command::LoadSample => {
                match Plan::parse(embedded::SAMPLE_PLAN, "embedded sample plan") {
                    Ok(p) => {
                        self.plan_draft = p;
                        self.plan_path = None;
                    }
                    Err(e) => self.notifications.push(Level::Error, e.to_string(), None),
                }
                self.start_load(
                    ctx,
                    jobs::Inputs::EmbeddedSample,
                    "sample experiment (embedded)".into(),
                );
            }
            Command::CancelJob => {
                if let Some(job) = &self.job {
                    job.cancel();
                }
            }
            Command::SetView(v) => self.state.view = v,
            Command::SetBucket(b) => {
                self.state.bucket = b;
                if let Some(cur) = &self.current {
                    self.replace_job(jobs::spawn_timeline(ctx, cur.dataset.clone(), b.seconds()));
                }
            }
            Command::SetCumulative(c) => self.state.cumulative = c,
            Command::SetRole(role, column) => {
                if let Some(cur) = &self.current {
                    let mut load = cur.load.clone();
                    load.overrides
                        .columns
                        .insert(role, column.unwrap_or_default());
                    let config = cur.config.clone();
                    self.replace_job(jobs::spawn_reanalyze(ctx, cur.raw.clone(), load, config));
                }
            }
            Command::ApplyPlan(plan) => {
                if let Err(e) = plan.validate() {
                    self.notifications
                        .push(Level::Error, format!("plan: {e}"), None);
                    return;
                }
                self.plan_draft = (*plan).clone();
                if let Some(cur) = &self.current {
                    let (load, config) = settings_for(&plan, &cur.load.overrides, &self.state);
                    self.replace_job(jobs::spawn_reanalyze(ctx, cur.raw.clone(), load, config));
                }
            }
            Command::Export(kind) => {
                let Some(cur) = &self.current else { return };
                let report = cur.report.clone();
                // rendered on the dialog thread once a path is chosen
                let (render, name, filter): (dialogs::Render, &str, &[&str]) = match kind {
                    ExportKind::Markdown => (
                        Box::new(move || markdown::render(&report)),
                        "verdict_report.md",
                        &["md"],
                    ),
                    ExportKind::Html => (
                        Box::new(move || crate::report::html::render(&report)),
                        "verdict_report.html",
                        &["html"],
                    ),
                    ExportKind::Json => (
                        Box::new(move || serde_json::to_string_pretty(&report).unwrap_or_default()),
                        "verdict_report.json",
                        &["json"],
                    ),
                };
                self.dialogs.open(
                    ctx,
                    DialogPurpose::SaveText(render),
                    "Export report",
                    &[("Report", filter)],
                    name,
                );
            }
            Command::ExportCsv(kind) => {
                let Some(cur) = &self.current else { return };
                let report = cur.report.clone();
                let render = move || crate::report::csv::table_csv(&report, table_name(kind));
                self.dialogs.open(
                    ctx,
                    DialogPurpose::SaveText(Box::new(render)),
                    "Save table as CSV",
                    &[("CSV", &["csv"])],
                    &format!("{}.csv", table_name(kind)),
                );
            }
            Command::ExportPlotPng(name, rect) => {
                self.dialogs.open(
                    ctx,
                    DialogPurpose::SavePng(rect),
                    "Save plot as PNG",
                    &[("PNG", &["png"])],
                    &format!("{name}.png"),
                );
            }
            Command::Dismiss(id) => self.notifications.dismiss(id),
            Command::ClearRecent => self.state.recent.clear(),
            Command::SetDark(d) => self.state.dark = d,
            Command::Drift(c) => self.handle_drift(ctx, c),
            Command::Models(c) => self.handle_models(ctx, c),
            Command::Save(kind) => self.save_report(ctx, kind),
        }
    }

    pub(crate) fn replace_job(&mut self, job: Job) {
        if let Some(old) = self.job.take() {
            old.cancel();
        }
        self.job = Some(job);
    }

    fn start_load(&mut self, ctx: &egui::Context, inputs: jobs::Inputs, label: String) {
        let overrides = self.plan_draft.role_overrides();
        let (load, config) = settings_for(&self.plan_draft, &overrides, &self.state);
        self.source_label = label.clone();
        let job = jobs::spawn_load(ctx, inputs, load, config, format!("Loading {label}"));
        self.replace_job(job);
    }

    fn open_paths(&mut self, ctx: &egui::Context, paths: Vec<PathBuf>) {
        let mut logs = Vec::new();
        let mut models = Vec::new();
        let mut plan_changed = false;
        for p in paths {
            match routing::classify(&p) {
                PathKind::Log | PathKind::LogFolder => logs.push(p.display().to_string()),
                PathKind::Plan => match Plan::load(&p) {
                    Ok(plan) => {
                        self.plan_draft = plan;
                        self.plan_path = Some(p.clone());
                        plan_changed = true;
                        self.notifications.push(
                            Level::Info,
                            format!("Plan loaded from {}", p.display()),
                            None,
                        );
                    }
                    Err(e) => self.notifications.push(Level::Error, e.to_string(), None),
                },
                PathKind::OnnxModel | PathKind::ModelBundle => models.push(p.clone()),
                PathKind::Unknown => self.notifications.push(
                    Level::Error,
                    format!("{}: not a log, plan or model Verdict can read", p.display()),
                    None,
                ),
            }
        }
        if !models.is_empty() {
            self.handle_models(ctx, models::ModelsCommand::Add(models));
        }
        if !logs.is_empty() && self.state.view == View::Models {
            // in the Models view a data file is the holdout
            self.handle_models(
                ctx,
                models::ModelsCommand::SetHoldout(PathBuf::from(&logs[0])),
            );
        } else if !logs.is_empty() {
            self.state.remember(&logs);
            let label = short_files(&logs);
            self.start_load(ctx, jobs::Inputs::Files(logs), label);
        } else if plan_changed {
            let plan = self.plan_draft.clone();
            self.handle(ctx, Command::ApplyPlan(Box::new(plan)));
        }
    }
}

fn table_name(kind: TableKind) -> &'static str {
    match kind {
        TableKind::Groups => "groups",
        TableKind::Tests => "tests",
        TableKind::Segments => "segments",
        TableKind::Timeline => "timeline",
        TableKind::Rejected => "rejected",
        TableKind::Checks => "checks",
    }
}

/// Load options and analysis settings for a plan plus overrides and view settings.
pub fn settings_for(
    plan: &Plan,
    overrides: &RoleOverrides,
    state: &State,
) -> (LoadOptions, AnalysisConfig) {
    let mut merged = plan.role_overrides();
    for (role, col) in &overrides.columns {
        merged.columns.insert(*role, col.clone());
    }
    let load = LoadOptions {
        overrides: merged,
        known_groups: (!plan.expected_split.is_empty())
            .then(|| plan.expected_split.keys().cloned().collect()),
    };
    let config = AnalysisConfig {
        plan: plan.clone(),
        bucket: state
            .bucket
            .seconds()
            .map(crate::analysis::timeline::format_bucket),
        ..Default::default()
    };
    (load, config)
}

fn short_files(files: &[String]) -> String {
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            std::path::Path::new(f)
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| f.clone())
        })
        .collect();
    match names.len() {
        0 => String::new(),
        1..=3 => names.join(", "),
        n => format!("{}, ... ({n} files)", names[..2].join(", ")),
    }
}

impl eframe::App for VerdictApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_root(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.state);
    }
}

/// Opens the window on `files` (the embedded sample when empty), optionally on a given
/// view. Returns the exit code.
pub fn run(files: Vec<PathBuf>, view: Option<View>) -> i32 {
    #[cfg(target_os = "linux")]
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!("verdict: no display (DISPLAY and WAYLAND_DISPLAY are unset); use the command line instead, e.g. `verdict analyze LOG --format md`");
        return 2;
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Verdict")
            .with_inner_size([1280.0, 820.0])
            .with_min_inner_size([720.0, 480.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    let result = eframe::run_native(
        "Verdict",
        options,
        Box::new(move |cc| {
            let mut state: State = cc
                .storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default();
            if let Some(v) = view {
                state.view = v;
            }
            Ok(Box::new(VerdictApp::new(state, files)))
        }),
    );
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("verdict: cannot open the window: {e}; the command line works without one: `verdict analyze LOG`");
            2
        }
    }
}
