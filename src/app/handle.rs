//! The one command handler: every [`Command`] a widget or shortcut emits runs here (panel
//! commands are passed on to their panel).

use super::command::{Command, ExportKind, JobKind, ModelsCommand, View};
use super::dialogs::{DialogPurpose, Render};
use super::drift::{loaded_range_us, LoadedLog};
use super::jobs::load::{spawn_load, spawn_reanalyze, spawn_timeline, Inputs};
use super::jobs::Input;
use super::notifications::Level;
use super::routing::{self, PathKind};
use super::{egui, embedded, settings_for, short_files, VerdictApp};
use crate::ingest::RoleOverrides;
use crate::plan::Plan;
use crate::report::{csv, html, markdown};
use std::path::PathBuf;

impl VerdictApp {
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
                self.save_dialog(
                    ctx,
                    Box::new(move || plan.to_toml()),
                    "Save analysis plan",
                    ("Plan", "toml"),
                    "verdict.toml",
                );
            }
            Command::Open(paths) => self.open_paths(ctx, paths),
            Command::LoadSample => {
                match Plan::parse(embedded::SAMPLE_PLAN, "embedded sample plan") {
                    Ok(p) => {
                        self.plan = p.clone();
                        self.plan_draft = p;
                        self.plan_path = None;
                    }
                    Err(e) => self.notifications.push(Level::Error, e.to_string(), None),
                }
                self.start_load(
                    ctx,
                    Inputs::EmbeddedSample,
                    "sample experiment (embedded)".into(),
                );
            }
            Command::CancelJob(kind) => self.jobs.cancel(kind),
            Command::SetView(v) => self.state.view = v,
            Command::SetBucket(b) => {
                self.state.bucket = b;
                self.refresh_analysis(ctx);
            }
            Command::SetCumulative(c) => self.state.cumulative = c,
            Command::SetRole(role, column) => {
                self.role_overrides
                    .columns
                    .insert(role, column.unwrap_or_default());
                self.refresh_analysis(ctx);
            }
            Command::ApplyPlan(plan) => {
                if let Err(e) = plan.validate() {
                    self.notifications
                        .push(Level::Error, format!("plan: {e}"), None);
                    return;
                }
                self.plan = (*plan).clone();
                self.plan_draft = *plan;
                self.refresh_analysis(ctx);
            }
            Command::Export(kind) => {
                let Some(cur) = &self.current else { return };
                let report = cur.report.clone();
                let (render, name, ext): (Render, &str, &str) = match kind {
                    ExportKind::Markdown => (
                        Box::new(move || markdown::render(&report)),
                        "verdict_report.md",
                        "md",
                    ),
                    ExportKind::Html => (
                        Box::new(move || html::render(&report)),
                        "verdict_report.html",
                        "html",
                    ),
                    ExportKind::Json => (
                        Box::new(move || serde_json::to_string_pretty(&report).unwrap_or_default()),
                        "verdict_report.json",
                        "json",
                    ),
                };
                self.save_dialog(ctx, render, "Export report", ("Report", ext), name);
            }
            Command::ExportCsv(table) => {
                let Some(cur) = &self.current else { return };
                let report = cur.report.clone();
                self.save_dialog(
                    ctx,
                    Box::new(move || csv::table_csv(&report, table)),
                    "Save table as CSV",
                    ("CSV", "csv"),
                    &format!("{}.csv", table.name()),
                );
            }
            Command::ExportPlotPng(name, rect) => self.dialogs.open(
                ctx,
                DialogPurpose::SavePng(rect),
                "Save plot as PNG",
                &[("PNG", &["png"])],
                &format!("{name}.png"),
            ),
            Command::Dismiss(id) => self.notifications.dismiss(id),
            Command::ClearRecent => self.state.recent.clear(),
            Command::SetDark(d) => self.state.dark = d,
            Command::Drift(c) => {
                let loaded = self.current.as_ref().map(|c| LoadedLog {
                    raw: &c.raw,
                    id: self.log_id,
                    range: loaded_range_us(&c.report),
                });
                let mut sv =
                    Self::services(ctx, &mut self.jobs, &self.dialogs, &mut self.notifications);
                self.drift
                    .handle(c, &mut sv, loaded, &self.plan, &mut self.state.drift_sort);
            }
            Command::Models(c) => {
                if matches!(c, ModelsCommand::Set(..) | ModelsCommand::Add(_)) {
                    self.state.view = View::Models;
                }
                let mut sv =
                    Self::services(ctx, &mut self.jobs, &self.dialogs, &mut self.notifications);
                self.models.handle(c, &mut sv);
            }
            Command::Save(kind) => self.save_report(ctx, kind),
        }
    }

    /// Opens a save dialog; once a path is chosen, `render` runs in an export job.
    pub(crate) fn save_dialog(
        &self,
        ctx: &egui::Context,
        render: Render,
        title: &str,
        filter: (&str, &str),
        default_name: &str,
    ) {
        self.dialogs.open(
            ctx,
            DialogPurpose::SaveText(render),
            title,
            &[(filter.0, &[filter.1])],
            default_name,
        );
    }

    /// A load of new files (not a re-analysis) is running.
    fn loading_new_log(&self) -> bool {
        self.jobs
            .get(JobKind::Load)
            .is_some_and(|j| j.input == Input::Independent)
    }

    /// Brings the analysis on screen in line with the plan, the role overrides and the
    /// bucket: re-analyses the parsed rows when roles or plan differ, re-buckets when only
    /// the bucket does. While new files load, waits for them (their result is reconciled
    /// when it lands), so no load is cancelled by a setting change.
    pub(crate) fn refresh_analysis(&mut self, ctx: &egui::Context) {
        if self.loading_new_log() {
            return;
        }
        let Some(cur) = &self.current else { return };
        let (load, config) = settings_for(&self.plan, &self.role_overrides, &self.state);
        if load != cur.load || config.plan != cur.config.plan {
            let job = spawn_reanalyze(ctx, cur.raw.clone(), self.log_id, load, config);
            self.jobs.start(job);
        } else if config.bucket != cur.config.bucket {
            let seconds = self.state.bucket.seconds();
            let job = spawn_timeline(
                ctx,
                cur.dataset.clone(),
                self.analysis_id,
                config.bucket,
                seconds,
            );
            self.jobs.start(job);
        }
    }

    fn start_load(&mut self, ctx: &egui::Context, inputs: Inputs, label: String) {
        // roles chosen in the Data view belonged to the old log
        self.role_overrides = RoleOverrides::default();
        let (load, config) = settings_for(&self.plan, &self.role_overrides, &self.state);
        self.source_label = label.clone();
        let job = spawn_load(ctx, inputs, load, config, format!("Loading {label}"));
        self.jobs.start(job);
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
            self.handle(ctx, Command::Models(ModelsCommand::Add(models)));
        }
        if plan_changed {
            self.plan = self.plan_draft.clone();
        }
        if !logs.is_empty() && self.state.view == View::Models {
            // in the Models view a data file is the holdout
            self.handle(
                ctx,
                Command::Models(ModelsCommand::SetHoldout(PathBuf::from(&logs[0]))),
            );
        } else if !logs.is_empty() {
            self.state.remember(&logs);
            let label = short_files(&logs);
            self.start_load(ctx, Inputs::Files(logs), label);
        } else if plan_changed {
            self.refresh_analysis(ctx);
        }
    }
}
