//! The loaded experiment: starting loads, re-analyses and re-bucketing, and applying their
//! results so that the settings in force (plan, Data-view roles, bucket, label) always
//! describe what is on screen. A job carries the settings it was started with; they become
//! the window's when its result lands. A job that fails or is cancelled leaves the screen as
//! it was and puts the settings back to the screen's. A setting changed while new files
//! load is applied once, when their analysis lands, instead of cancelling the load.

use super::command::{Bucket, JobKind};
use super::jobs::load::{spawn_load, spawn_reanalyze, spawn_timeline, Analyzed, Inputs, Request};
use super::jobs::Input;
use super::notifications::Level;
use super::{egui, settings_for, VerdictApp};
use crate::ingest::RoleOverrides;
use crate::plan::duration::format_bucket;
use crate::plan::Plan;

impl VerdictApp {
    /// A load of new files (not a re-analysis of the rows on screen) is running.
    pub(crate) fn loading_new_log(&self) -> bool {
        self.jobs
            .get(JobKind::Load)
            .is_some_and(|j| j.input == Input::Independent)
    }

    /// Reads and analyses new files with `plan` and no Data-view roles.
    pub(crate) fn start_load(
        &mut self,
        ctx: &egui::Context,
        inputs: Inputs,
        label: String,
        plan: Plan,
    ) {
        let roles = RoleOverrides::default();
        let (load, config) = settings_for(&plan, &roles, &self.state);
        self.settings_changed_during_load = false;
        let request = Request {
            load,
            config,
            roles,
            label,
        };
        self.jobs.start(spawn_load(ctx, inputs, request));
    }

    /// Re-analyses the rows on screen with the plan, roles and bucket in force (after a
    /// role or plan change). While new files load, the change waits for them.
    pub(crate) fn reanalyze(&mut self, ctx: &egui::Context) {
        if self.loading_new_log() {
            self.settings_changed_during_load = true;
            return;
        }
        // the plan, bucket and unit belong to the analysis on screen; only without one do they
        // go to rows waiting for their roles
        if self.current.is_none() && self.unanalysed.is_some() {
            return self.retry_unanalysed(ctx);
        }
        self.reanalyze_shown(ctx);
    }

    /// Re-analyses the rows the Data view is about: the rows waiting for their roles when
    /// there are some, else the analysis on screen (role, metric and segment edits).
    pub(crate) fn reanalyze_rows(&mut self, ctx: &egui::Context) {
        if self.loading_new_log() {
            self.settings_changed_during_load = true;
            return;
        }
        if self.unanalysed.is_some() {
            return self.retry_unanalysed(ctx);
        }
        self.reanalyze_shown(ctx);
    }

    /// Tries the rows waiting for their roles again with the roles and plan in force.
    fn retry_unanalysed(&mut self, ctx: &egui::Context) {
        if let Some(u) = &self.unanalysed {
            let (load, config) = settings_for(&self.plan, &u.roles, &self.state);
            let request = Request {
                load,
                config,
                roles: u.roles.clone(),
                label: u.label.clone(),
            };
            let job = spawn_reanalyze(ctx, u.raw.clone(), self.log_id, request);
            self.jobs.start(job);
        }
    }

    /// Re-analyses the analysis on screen with the settings in force.
    fn reanalyze_shown(&mut self, ctx: &egui::Context) {
        let Some(cur) = &self.current else { return };
        let (load, config) = settings_for(&self.plan, &self.role_overrides, &self.state);
        let request = Request {
            load,
            config,
            roles: self.role_overrides.clone(),
            label: cur.label.clone(),
        };
        // a ClickHouse table is analysed on the server again, streamed files from their
        // spill
        let job = match (&cur.remote, &cur.streamed) {
            (Some(remote), _) => super::jobs::clickhouse::spawn_analyze(
                ctx,
                remote.clone(),
                request,
                Some(self.log_id),
            ),
            (None, Some(spill)) => {
                super::jobs::load::spawn_stream_reanalyze(ctx, spill.clone(), self.log_id, request)
            }
            (None, None) => spawn_reanalyze(ctx, cur.raw.clone(), self.log_id, request),
        };
        self.jobs.start(job);
    }

    /// Recomputes the timeline with the bucket in force. A running re-analysis is replaced
    /// by one with every setting (so its role or plan change is not lost); while new files
    /// load, the bucket waits for them.
    pub(crate) fn rebucket(&mut self, ctx: &egui::Context) {
        if self.loading_new_log() {
            self.settings_changed_during_load = true;
            return;
        }
        if self.jobs.running(JobKind::Load) {
            return self.reanalyze(ctx);
        }
        let Some(cur) = &self.current else { return };
        let (_, config) = settings_for(&self.plan, &self.role_overrides, &self.state);
        if config.bucket == cur.config.bucket {
            return;
        }
        // the lift over time follows the bucket, and a pre-period is split off before the
        // timeline: both need the whole analysis
        if !cur.report.timeline.lift_over_time.is_empty()
            || cur.remote.is_some()
            || cur.streamed.is_some()
            || cur.config.plan.experiment_start.is_some()
            || cur.dataset.pre_period.is_some()
        {
            return self.reanalyze(ctx);
        }
        match crate::analysis::settings::bucket_seconds(&config) {
            Ok(seconds) => {
                let job = spawn_timeline(
                    ctx,
                    cur.dataset.clone(),
                    self.analysis_id,
                    config.bucket,
                    seconds,
                );
                self.jobs.start(job);
            }
            Err(e) => {
                self.notifications.push(Level::Error, e.to_string(), None);
                self.restore_settings();
            }
        }
    }

    /// An analysis landed: it is what the window shows now, and its settings are the ones
    /// in force. A new log also resets what was computed from the old one.
    pub(crate) fn show_analysis(&mut self, ctx: &egui::Context, a: Analyzed) {
        // rows that waited for their roles, analysed now, are a new log on screen
        let from_waiting = self
            .unanalysed
            .as_ref()
            .is_some_and(|u| std::sync::Arc::ptr_eq(&u.raw, &a.raw));
        let new_log = a.new_log || from_waiting;
        self.analysis_id += 1;
        if new_log {
            self.log_id += 1;
        }
        // a plan applied while the files loaded is kept (and applied just below)
        if !(new_log && self.settings_changed_during_load) {
            self.plan = a.config.plan.clone();
        }
        if new_log {
            self.plan_draft = self.plan.clone();
        }
        self.role_overrides = a.roles.clone();
        self.source_label = a.label.clone();
        self.current = Some(a);
        if new_log {
            self.unanalysed = None;
        }
        self.forget_stale(new_log);
        if new_log && std::mem::take(&mut self.settings_changed_during_load) {
            self.reanalyze(ctx);
        }
    }

    /// A job of the Load kind failed or was cancelled: the screen keeps what it had; the
    /// settings go back to the screen's, unless some were changed while new files loaded
    /// (those are applied to the rows on screen now).
    pub(crate) fn analysis_stopped(&mut self, ctx: &egui::Context) {
        if std::mem::take(&mut self.settings_changed_during_load) && self.current.is_some() {
            self.reanalyze(ctx);
        } else {
            self.restore_settings();
        }
    }

    /// Puts plan, roles, bucket and label back to those of the analysis on screen.
    pub(crate) fn restore_settings(&mut self) {
        let Some(cur) = &self.current else { return };
        self.plan = cur.config.plan.clone();
        self.role_overrides = cur.roles.clone();
        self.source_label = cur.label.clone();
        self.state.bucket = Bucket::ALL
            .into_iter()
            .find(|b| b.seconds().map(format_bucket) == cur.config.bucket)
            .unwrap_or_default();
    }

    /// The job's input is still what the window shows.
    pub(crate) fn input_current(&self, input: Input) -> bool {
        match input {
            Input::Independent => true,
            Input::Log(id) => id == self.log_id,
            Input::Analysis(id) => id == self.analysis_id,
            Input::Models(id) => id == self.models.input_id,
        }
    }

    /// Another analysis is on screen: jobs still working on the previous one are
    /// cancelled, and views computed from it are reset, with a note for each.
    pub(crate) fn forget_stale(&mut self, new_log: bool) {
        let (log_id, analysis_id) = (self.log_id, self.analysis_id);
        let stale = self.jobs.drop_stale(|i| match i {
            Input::Log(id) => id == log_id,
            Input::Analysis(id) => id == analysis_id,
            Input::Independent | Input::Models(_) => true,
        });
        let what = if new_log {
            "the log it was working on was replaced by"
        } else {
            "the analysis it was working on was replaced: roles or plan changed for"
        };
        for kind in stale {
            self.notifications.push(
                Level::Info,
                format!("{} cancelled: {what} {}", kind.title(), self.source_label),
                None,
            );
        }
        if self.drift.forget_analysis(analysis_id, new_log) {
            self.notifications.push(
                Level::Info,
                format!(
                    "The drift report of the previous analysis was cleared; {} is shown now",
                    self.source_label
                ),
                None,
            );
        }
    }
}
