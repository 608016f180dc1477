//! The one command handler: every [`Command`] a widget or shortcut emits runs here (panel
//! commands are passed on to their panel).

use super::command::{Command, ExportKind, JobKind, ModelsCommand, View};
use super::dialogs::{DialogPurpose, Render};
use super::drift::LoadedLog;
use super::jobs::load::Inputs;
use super::notifications::Level;
use super::routing::{self, PathKind};
use super::{egui, embedded, short_files, VerdictApp};
use crate::plan::Plan;
use crate::report::{csv, html, markdown};
use std::path::PathBuf;
use std::sync::Arc;

impl VerdictApp {
    /// Runs one command.
    pub fn handle(&mut self, ctx: &egui::Context, cmd: Command) {
        match cmd {
            Command::ClickHouse(c) => self.handle_clickhouse(ctx, c),
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
            Command::ShadowLabelsDialog => self.dialogs.open(
                ctx,
                DialogPurpose::ShadowLabels,
                "Labels for the shadow run (request id, label)",
                &[("Labels", &["csv", "tsv", "jsonl", "json", "parquet", "gz"])],
                "",
            ),
            Command::ShadowLabels(path) => match &self.shadow_source {
                Some(source) => {
                    let job = crate::app::jobs::load::spawn_shadow_labels(
                        ctx,
                        source.clone(),
                        path.display().to_string(),
                    );
                    self.jobs.start(job);
                }
                None => self.notifications.push(
                    Level::Warning,
                    "open a shadow log first, then join its labels".to_string(),
                    None,
                ),
            },
            Command::LoadSample => {
                let plan = match Plan::parse(embedded::SAMPLE_PLAN, "embedded sample plan") {
                    Ok(p) => {
                        self.plan_path = None;
                        p
                    }
                    Err(e) => {
                        self.notifications.push(Level::Error, e.to_string(), None);
                        self.plan.clone()
                    }
                };
                self.start_load(
                    ctx,
                    Inputs::EmbeddedSample,
                    "sample experiment (embedded)".into(),
                    plan,
                );
            }
            Command::CancelJob(id) => self.jobs.cancel_id(id),
            Command::SetView(v) => self.state.view = v,
            Command::SetBucket(b) => {
                self.state.bucket = b;
                self.rebucket(ctx);
            }
            Command::SetCumulative(c) => self.state.cumulative = c,
            Command::SetRole(role, column) => {
                if self.loading_new_log() {
                    self.notifications.push(
                        Level::Info,
                        "A new log is loading: choose its roles once it is shown",
                        None,
                    );
                    return;
                }
                // the rows waiting for their roles keep their own; else the analysis on screen
                match &mut self.unanalysed {
                    Some(u) => {
                        u.roles.columns.insert(role, column.unwrap_or_default());
                    }
                    None => {
                        self.role_overrides
                            .columns
                            .insert(role, column.unwrap_or_default());
                    }
                }
                self.reanalyze_rows(ctx);
            }
            Command::SetUnit(unit) => {
                if self.loading_new_log() {
                    self.notifications.push(
                        Level::Info,
                        "A new log is loading: choose its unit once it is shown",
                        None,
                    );
                    return;
                }
                self.plan.unit = unit.clone();
                self.plan_draft.unit = unit;
                self.reanalyze(ctx);
            }
            Command::ApplyPlan(plan) => self.apply_plan(ctx, *plan, false),
            Command::SetPrimaryMetric(m) => {
                let mut plan = self.plan.clone();
                plan.primary_metric = m.clone();
                self.notifications.push(
                    Level::Info,
                    match &m {
                        Some(m) => format!("Primary metric: {m}, written to the plan (Plan view: Save as verdict.toml to keep it)"),
                        None => "No primary metric: every metric is exploratory".to_string(),
                    },
                    None,
                );
                self.handle(ctx, Command::ApplyPlan(Box::new(plan)));
            }
            Command::SetMetrics(metrics) => {
                let mut plan = self.plan.clone();
                if plan
                    .primary_metric
                    .as_ref()
                    .is_some_and(|p| !metrics.contains(p))
                {
                    plan.primary_metric = None;
                }
                plan.guardrails.metric.retain(|g| metrics.contains(&g.name));
                plan.columns.metrics = Some(metrics);
                self.apply_plan(ctx, plan, true);
            }
            Command::DiscardUnanalysed => {
                if self.unanalysed.take().is_some() {
                    // a retry still running must not bring the discarded rows back (a new
                    // log loading meanwhile goes on)
                    let retry = super::jobs::Input::Log(self.log_id);
                    if self
                        .jobs
                        .get(JobKind::Load)
                        .is_some_and(|j| j.input == retry)
                    {
                        self.jobs.cancel(JobKind::Load);
                    }
                    self.log_id += 1;
                    self.restore_settings();
                }
            }
            Command::SetSegments(segments) => {
                let mut plan = self.plan.clone();
                plan.segments = Some(segments);
                self.apply_plan(ctx, plan, true);
            }
            Command::Export(kind) => {
                let Some(cur) = &self.current else { return };
                let report = Arc::clone(&cur.report);
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
                let report = Arc::clone(&cur.report);
                self.save_dialog(
                    ctx,
                    Box::new(move || csv::table_csv(&report, table)),
                    "Save table as CSV",
                    ("CSV", "csv"),
                    &format!("{}.csv", table.name()),
                );
            }
            Command::CopyTable(table) => {
                let Some(cur) = &self.current else { return };
                let tsv = csv::table_tsv(&cur.report, table);
                let rows = tsv.lines().count().saturating_sub(1);
                ctx.copy_text(tsv.clone());
                self.last_copied = Some(tsv);
                self.notifications.push(
                    Level::Info,
                    format!(
                        "Copied the {} table ({rows} rows) as tab-separated text",
                        table.name()
                    ),
                    None,
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
                    overrides: &c.load.overrides,
                    analysis_id: self.analysis_id,
                    range: c.range_us,
                    streamed: c.streamed.as_ref().map(|s| s.files.clone()),
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
                self.models.reproducibility_tolerance = self.plan.reproducibility_tolerance;
                self.models.alpha = self.plan.alpha;
                self.models.handle(c, &mut sv);
            }
            Command::Save(kind) => self.save_report(ctx, kind),
        }
    }

    /// Puts a plan in force (and in the Plan view's draft) and re-analyses: the rows the Data
    /// view is about when `rows` (metric and segment edits), else the analysis on screen.
    fn apply_plan(&mut self, ctx: &egui::Context, plan: Plan, rows: bool) {
        if let Err(e) = plan.validate() {
            self.notifications
                .push(Level::Error, format!("plan: {e}"), None);
            return;
        }
        self.plan = plan.clone();
        self.plan_draft = plan;
        if rows {
            self.reanalyze_rows(ctx);
        } else {
            self.reanalyze(ctx);
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

    fn open_paths(&mut self, ctx: &egui::Context, paths: Vec<PathBuf>) {
        let mut logs = Vec::new();
        let mut models = Vec::new();
        let mut plan_changed = false;
        for p in paths {
            let text = p.display().to_string();
            if crate::clickhouse::TableUrl::is_clickhouse(&text) {
                self.open_clickhouse(ctx, &text);
                continue;
            }
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
        let with_models = !models.is_empty();
        if with_models {
            self.handle(ctx, Command::Models(ModelsCommand::Add(models)));
        }
        if !logs.is_empty() && (self.state.view == View::Models || with_models) {
            // in the Models view, or opened with models, a data file is the holdout; models
            // and a holdout opened together are replayed as soon as they are read
            if with_models {
                self.models.auto_replay = true;
            }
            self.handle(
                ctx,
                Command::Models(ModelsCommand::SetHoldout(PathBuf::from(&logs[0]))),
            );
        } else if !logs.is_empty() {
            self.state.remember(&logs);
            let label = short_files(&logs);
            // a plan opened with the logs analyses them; else the plan in force does
            let plan = if plan_changed {
                self.plan_draft.clone()
            } else {
                self.plan.clone()
            };
            self.start_load(ctx, Inputs::Files(logs), label, plan);
        } else if plan_changed {
            self.plan = self.plan_draft.clone();
            self.reanalyze(ctx);
        }
    }
}
