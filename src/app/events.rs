//! What arrives from background threads: job results (dropped when the input they were
//! computed for has gone), dialog answers and screenshots for PNG exports.

use super::command::{Command, DriftCommand, JobKind, ModelsCommand, View};
use super::dialogs::DialogPurpose;
use super::jobs::export::{spawn_export, Export};
use super::jobs::{thousands, JobEvent, JobMsg};
use super::notifications::Level;
use super::{egui, short_files, VerdictApp};
use crate::ingest::time::midpoint;
use std::sync::Arc;

impl VerdictApp {
    /// Applies what the jobs sent since the last frame.
    pub(crate) fn poll_jobs(&mut self, ctx: &egui::Context) {
        for ev in self.jobs.poll() {
            if !self.input_current(ev.input) {
                // computed for data that is no longer on screen
                continue;
            }
            self.apply(ctx, ev);
        }
    }

    fn apply(&mut self, ctx: &egui::Context, ev: JobEvent) {
        let finished = !matches!(ev.msg, JobMsg::DriftLog(..));
        if finished {
            self.last_job_seconds = Some(ev.seconds);
        }
        match ev.msg {
            JobMsg::Progress(..) => {}
            JobMsg::Shadow(r, source) => {
                self.shadow_source = Some(source);
                self.notifications.push(
                    Level::Info,
                    format!(
                        "Shadow run: {} paired requests, agreement {}",
                        r.pairs,
                        r.agreement_rate
                            .map_or("–".into(), |a| format!("{:.1}%", a * 100.0))
                    ),
                    None,
                );
                if let Some(l) = &r.labelled {
                    self.notifications.push(
                        Level::Info,
                        format!("Labels joined: {} labelled pairs", l.n),
                        None,
                    );
                }
                self.shadow = Some(std::sync::Arc::new(*r));
                self.state.view = View::Shadow;
            }
            JobMsg::Analyzed(a) => {
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
                            "{} {} rejected in {} (see Data > Rejected rows)",
                            thousands(a.report.input.rows_rejected),
                            if a.report.input.rows_rejected == 1 {
                                "row"
                            } else {
                                "rows"
                            },
                            short_files(&a.report.input.files)
                        ),
                        first,
                    );
                }
                self.show_analysis(ctx, *a);
            }
            JobMsg::Unanalysed(mut u) => {
                // a new log, or another try of the one waiting for its roles: keep its rows
                if u.new_log || self.unanalysed.is_some() {
                    // the window's way to name a column is the Data view, not a flag
                    u.problem = u.problem.replace("; name one with --column group=NAME", "");
                    // a log opened for Drift is compared there: not being an experiment
                    // is information, not an error
                    let elsewhere =
                        matches!(self.state.view, View::Drift | View::Models | View::Shadow);
                    self.notifications.push(
                        if elsewhere { Level::Info } else { Level::Error },
                        format!(
                            "{}. The rows are kept: assign the roles in the Data view{}.",
                            u.problem,
                            if elsewhere {
                                " to analyse it as an experiment"
                            } else {
                                ""
                            }
                        ),
                        None,
                    );
                    if u.new_log {
                        self.log_id += 1;
                        self.forget_stale(true);
                        // the plan the log was opened with is the one its next try uses
                        // (unless one was applied while it loaded)
                        if !self.settings_changed_during_load {
                            self.plan = u.plan.clone();
                            self.plan_draft = u.plan.clone();
                        }
                    }
                    // the rows keep their own role choices (`u.roles`); the analysis on
                    // screen keeps its own
                    self.unanalysed = Some(*u);
                    // the roles are assigned in the Data view; a log opened for Drift,
                    // Models or Shadow stays there
                    if !matches!(self.state.view, View::Drift | View::Models | View::Shadow) {
                        self.state.view = View::Data;
                    }
                    self.settings_changed_during_load = false;
                } else {
                    self.notifications.push(Level::Error, u.problem, None);
                    self.analysis_stopped(ctx);
                }
            }
            JobMsg::Timeline(t, bucket) => {
                if let Some(cur) = &mut self.current {
                    cur.range_us = t.range_us();
                    Arc::make_mut(&mut cur.report).timeline = *t;
                    cur.config.bucket = bucket;
                }
                // the bucket may have changed again while this one was computed
                self.rebucket(ctx);
            }
            JobMsg::Drift(r) => self.drift.show_report(Arc::new(*r), ev.input),
            JobMsg::DriftLog(raw, range) => {
                self.drift.split_at_us = Some(midpoint(range.0, range.1));
                self.drift.split_log = Some((raw, range));
            }
            JobMsg::Compared(c) => self.models.compared = Some(Arc::new(*c)),
            JobMsg::Exported(path) => {
                self.notifications
                    .push(Level::Info, format!("Saved {}", path.display()), None)
            }
            JobMsg::RemoteServer(info) => {
                // one table: nothing to choose
                if let [only] = info.tables.as_slice() {
                    if self.clickhouse.table.is_empty() {
                        self.pending.push(Command::ClickHouse(
                            super::command::ClickHouseCommand::PickTable(only.clone()),
                        ));
                    }
                }
                self.clickhouse.server_info = Some(info);
                self.clickhouse.error = None;
            }
            JobMsg::RemoteTable(info) => {
                self.clickhouse.table_info = Some(*info);
                self.clickhouse.error = None;
            }
            // the dialog's own jobs report there, once
            JobMsg::Failed(text, _) if ev.kind == JobKind::Remote && self.clickhouse.open => {
                self.clickhouse.error = Some(text);
            }
            JobMsg::Failed(text, details) => {
                self.notifications.push(Level::Error, text, details);
                if ev.kind == JobKind::Load {
                    self.analysis_stopped(ctx);
                }
            }
            // the dialog's own jobs stop when it closes: nothing to tell
            JobMsg::Cancelled if ev.kind == JobKind::Remote => {}
            JobMsg::Cancelled => {
                self.notifications.push(
                    Level::Info,
                    match ev.kind {
                        JobKind::Load => "Cancelled; the previous data is still shown".to_string(),
                        kind => format!("{} cancelled", kind.title()),
                    },
                    None,
                );
                if ev.kind == JobKind::Load {
                    self.analysis_stopped(ctx);
                }
            }
        }
    }

    /// Applies file-dialog answers: opens, routes to the panels, or starts an export.
    pub(crate) fn poll_dialogs(&mut self, ctx: &egui::Context) {
        for r in self.dialogs.poll() {
            let Some(first) = r.paths.first().cloned() else {
                continue;
            };
            match r.purpose {
                DialogPurpose::Open | DialogPurpose::OpenPlan => {
                    self.pending.push(Command::Open(r.paths))
                }
                DialogPurpose::Model(slot) => self
                    .pending
                    .push(Command::Models(ModelsCommand::Set(slot, first))),
                DialogPurpose::ShadowLabels => self.pending.push(Command::ShadowLabels(first)),
                DialogPurpose::Holdout => self
                    .pending
                    .push(Command::Models(ModelsCommand::SetHoldout(first))),
                DialogPurpose::DriftLog => self
                    .pending
                    .push(Command::Drift(DriftCommand::SplitLog(first))),
                DialogPurpose::DriftReference => self
                    .pending
                    .push(Command::Drift(DriftCommand::SetFiles(Some(first), None))),
                DialogPurpose::DriftCurrent => self
                    .pending
                    .push(Command::Drift(DriftCommand::SetFiles(None, Some(first)))),
                DialogPurpose::SaveText(render) => {
                    let job = spawn_export(ctx, Export::Text(render), first);
                    self.jobs.start(job);
                }
                DialogPurpose::SavePng(rect) => {
                    let (tx, rx) = std::sync::mpsc::channel();
                    let repaint = ctx.clone();
                    ctx.request_screenshot(move |image| {
                        let _ = tx.send(image);
                        repaint.request_repaint();
                    });
                    self.screenshot = Some((rect, first, rx));
                }
            }
        }
    }

    /// A screenshot for a PNG export arrived: crop and write it in an export job.
    pub(crate) fn poll_screenshot(&mut self, ctx: &egui::Context) {
        let Some((_, _, rx)) = &self.screenshot else {
            return;
        };
        let Ok(image) = rx.try_recv() else { return };
        if let Some((rect, path, _)) = self.screenshot.take() {
            let what = Export::Png {
                image,
                rect,
                pixels_per_point: ctx.pixels_per_point(),
            };
            self.jobs.start(spawn_export(ctx, what, path));
        }
    }
}
