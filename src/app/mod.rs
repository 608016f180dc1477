//! The desktop dashboard (eframe/egui, feature `gui`). A thin shell over the engine: views
//! read the reports, widgets emit [`Command`]s, [`VerdictApp::handle`] runs them, and slow
//! work runs in [`jobs`], one slot per kind of work.
//!
//! Module layers (each imports only those below it): `command` (every intent) →
//! `state`, `notifications`, `dialogs`, `jobs`, `services` → the panels `drift` and
//! `models` → `views` (draw only) → this module with its `impl` blocks in `handle`,
//! `events`, `chrome` and `save`.

pub mod chrome;
pub mod clickhouse;
pub mod command;
pub mod dialogs;
pub mod drift;
pub mod embedded;
pub mod events;
pub mod experiment;
pub mod handle;
pub mod jobs;
pub mod models;
pub mod notifications;
pub mod routing;
pub mod save;
pub mod services;
pub mod state;
pub mod theme;
pub mod views;

/// The egui version the window uses (re-exported for tests and embedders).
pub use eframe::egui;

use crate::analysis::AnalysisConfig;
use crate::ingest::{LoadOptions, RoleOverrides};
use crate::plan::Plan;
use command::{Command, View};
use dialogs::Dialogs;
use jobs::load::Analyzed;
use jobs::Jobs;
use notifications::Notifications;
use routing::PathKind;
use services::Services;
use state::State;
use std::path::PathBuf;

/// The window's application state.
pub struct VerdictApp {
    /// Persisted settings.
    pub state: State,
    /// The analysed experiment on screen.
    pub current: Option<Analyzed>,
    /// Rows read but not analysed yet (the analysis needs roles assigned in the Data view);
    /// `current` stays on screen meanwhile.
    pub unanalysed: Option<jobs::load::Unanalysed>,
    /// Identity of the loaded log (changes when new rows are read).
    pub log_id: u64,
    /// Identity of the analysis on screen (changes with every analysis, also of the same
    /// rows with other roles or settings).
    pub analysis_id: u64,
    /// The plan in force (the analysis on screen was made with it, or is being made).
    pub plan: Plan,
    /// The plan being edited in the Plan view (applied with Apply).
    pub plan_draft: Plan,
    /// Where the plan came from.
    pub plan_path: Option<PathBuf>,
    /// Role overrides chosen in the Data view on top of the plan's (reset by a new log).
    pub role_overrides: RoleOverrides,
    /// A short name for what is loaded ("sample experiment", file names).
    pub source_label: String,
    /// A plan or bucket was changed while new files loaded: apply it when they land.
    pub(crate) settings_changed_during_load: bool,
    /// Background jobs, one slot per kind.
    pub jobs: Jobs,
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
    /// The last shadow run opened (the Shadow view).
    pub shadow: Option<std::sync::Arc<crate::report::shadow::ShadowReport>>,
    /// What it was made from (a labels join analyses it again).
    pub shadow_source: Option<jobs::load::ShadowSource>,
    /// The Models view's state.
    pub models: models::ModelsPanel,
    /// The Open-from-ClickHouse dialog.
    pub clickhouse: clickhouse::ClickHouseDialog,
    /// The last text copied to the clipboard (for tests; the clipboard is the system's).
    pub last_copied: Option<String>,
}

impl VerdictApp {
    /// A new app that will open `files` (or the embedded sample when empty) on its first frame.
    pub fn new(state: State, files: Vec<PathBuf>) -> Self {
        let all_data = files
            .iter()
            .all(|f| matches!(routing::classify(f), PathKind::Log | PathKind::LogFolder));
        // `verdict open --view drift LOG`: the log is also the experiment on screen (every
        // file given is loaded where it belongs)
        let also_experiment = (state.view == View::Drift && all_data && files.len() == 1)
            .then(|| Command::Open(files.clone()));
        let first = if files.is_empty() {
            Command::LoadSample
        } else if state.view == View::Drift && all_data && files.len() <= 2 {
            // `verdict open --view drift LOG` splits LOG; with REFERENCE CURRENT compares them
            Command::Drift(match files.as_slice() {
                [one] => command::DriftCommand::SplitLog(one.clone()),
                [a, b, ..] => command::DriftCommand::SetFiles(Some(a.clone()), Some(b.clone())),
                [] => command::DriftCommand::Run,
            })
        } else {
            Command::Open(files)
        };
        Self {
            state,
            current: None,
            unanalysed: None,
            log_id: 0,
            analysis_id: 0,
            plan: Plan::default(),
            plan_draft: Plan::default(),
            plan_path: None,
            role_overrides: RoleOverrides::default(),
            source_label: String::new(),
            settings_changed_during_load: false,
            jobs: Jobs::default(),
            notifications: Notifications::default(),
            pending: std::iter::once(first).chain(also_experiment).collect(),
            dialogs: Dialogs::default(),
            screenshot: None,
            drop_hover: false,
            last_job_seconds: None,
            drift: drift::DriftPanel::default(),
            shadow: None,
            shadow_source: None,
            models: models::ModelsPanel::default(),
            last_copied: None,
            clickhouse: clickhouse::ClickHouseDialog::default(),
        }
    }

    /// Queues a command to run at the end of the frame.
    pub fn send(&mut self, cmd: Command) {
        self.pending.push(cmd);
    }

    /// The services handlers use, borrowed for one call.
    fn services<'a>(
        ctx: &'a egui::Context,
        jobs: &'a mut Jobs,
        dialogs: &'a Dialogs,
        notifications: &'a mut Notifications,
    ) -> Services<'a> {
        Services {
            ctx,
            jobs,
            dialogs,
            notifications,
        }
    }

    /// The whole window, for eframe and for headless tests.
    pub fn ui_root(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        ctx.set_visuals(if self.state.dark {
            egui::Visuals::dark()
        } else {
            egui::Visuals::light()
        });
        self.poll_jobs(&ctx);
        {
            let mut sv =
                Self::services(&ctx, &mut self.jobs, &self.dialogs, &mut self.notifications);
            self.models.poll(&mut sv);
        }
        self.poll_dialogs(&ctx);
        self.poll_screenshot(&ctx);
        self.input_ui(&ctx);

        let mut cmds = Vec::new();
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui, &mut cmds));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui, &mut cmds));
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui, &mut cmds));
        if self.clickhouse.open {
            let chosen: Vec<Option<String>> = views::clickhouse::ROLES
                .iter()
                .map(|r| self.clickhouse_role(*r))
                .collect();
            let busy = self.jobs.get(command::JobKind::Remote).map(|j| {
                if j.progress.is_empty() {
                    j.label.clone()
                } else {
                    j.progress.clone()
                }
            });
            views::clickhouse::clickhouse_dialog_ui(
                &ctx,
                &mut self.clickhouse,
                &chosen,
                busy.as_deref(),
                &mut cmds,
            );
        }
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
        if self.jobs.any() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
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
            .map(crate::plan::duration::format_bucket),
        ..Default::default()
    };
    (load, config)
}

/// Up to three file names, else two and a count.
pub fn short_files(files: &[String]) -> String {
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
