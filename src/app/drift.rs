//! The Drift view's runtime state and commands: which two sides to compare (two files, or
//! a time split of the loaded log), the report, the selected feature and the sort order.

use super::command::Command;
use super::dialogs::DialogPurpose;
use super::jobs::{self, DriftSource};
use super::notifications::Level;
use super::VerdictApp;
use crate::report::drift::DriftReport;
use eframe::egui;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where the two sides come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DriftMode {
    /// The loaded log split at a time.
    #[default]
    SplitLoaded,
    /// Two dropped or picked files.
    Files,
}

/// Feature table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DriftSort {
    /// Largest PSI first.
    #[default]
    Psi,
    /// Smallest p first.
    P,
    /// Largest statistic first.
    Statistic,
    /// By name.
    Name,
}

/// Runtime state of the Drift view (not persisted).
#[derive(Default)]
pub struct DriftPanel {
    /// Reference file (two-file mode).
    pub reference: Option<PathBuf>,
    /// Current file (two-file mode).
    pub current: Option<PathBuf>,
    /// Which comparison the controls set up.
    pub mode: DriftMode,
    /// Split point for the loaded log (UTC µs); the middle of the log when unset.
    pub split_at_us: Option<i64>,
    /// The last report.
    pub report: Option<DriftReport>,
    /// Feature shown in the detail plot.
    pub selected: Option<String>,
    /// A run was requested automatically once (first visit to the view).
    pub auto_ran: bool,
    /// A log read for splitting (instead of the loaded experiment), with its time range.
    pub split_log: Option<(std::sync::Arc<crate::ingest::RawLoad>, (i64, i64))>,
}

/// Drift view intents.
#[derive(Debug, Clone, PartialEq)]
pub enum DriftCommand {
    /// Pick the reference file with a dialog.
    PickReference,
    /// Pick the current file with a dialog.
    PickCurrent,
    /// Pick a log to split by time with a dialog.
    PickLog,
    /// Read this log and split it by time (at its middle).
    SplitLog(PathBuf),
    /// Use these files as reference and current (either may be kept).
    SetFiles(Option<PathBuf>, Option<PathBuf>),
    /// Swap reference and current.
    Swap,
    /// Compare two files or split the loaded log.
    SetMode(DriftMode),
    /// Move the split point of the loaded log.
    SetSplit(i64),
    /// Run the comparison the controls describe.
    Run,
    /// Show this feature's distributions.
    Select(String),
    /// Sort the feature table.
    Sort(DriftSort),
}

impl VerdictApp {
    /// Runs a drift command.
    pub fn handle_drift(&mut self, ctx: &egui::Context, cmd: DriftCommand) {
        let data_filters: &[(&str, &[&str])] = &[
            (
                "Data",
                &[
                    "jsonl", "ndjson", "json", "csv", "tsv", "parquet", "log", "txt", "gz",
                ],
            ),
            ("All files", &["*"]),
        ];
        match cmd {
            DriftCommand::PickReference => self.dialogs.open(
                ctx,
                DialogPurpose::DriftReference,
                "Reference data (training or an earlier period)",
                data_filters,
                "",
            ),
            DriftCommand::PickCurrent => self.dialogs.open(
                ctx,
                DialogPurpose::DriftCurrent,
                "Current data",
                data_filters,
                "",
            ),
            DriftCommand::PickLog => self.dialogs.open(
                ctx,
                DialogPurpose::DriftLog,
                "Log to split by time",
                data_filters,
                "",
            ),
            DriftCommand::SplitLog(path) => {
                self.drift.mode = DriftMode::SplitLoaded;
                self.drift.split_log = None;
                self.drift.split_at_us = None;
                let job = jobs::spawn_drift(
                    ctx,
                    DriftSource::SplitFile {
                        path: path.display().to_string(),
                        at_us: None,
                    },
                    self.plan_draft.drift.clone(),
                    self.plan_draft.role_overrides(),
                );
                self.replace_job(job);
            }
            DriftCommand::SetFiles(r, c) => {
                if r.is_some() {
                    self.drift.reference = r;
                }
                if c.is_some() {
                    self.drift.current = c;
                }
                self.drift.mode = DriftMode::Files;
                if self.drift.reference.is_some() && self.drift.current.is_some() {
                    self.handle_drift(ctx, DriftCommand::Run);
                }
            }
            DriftCommand::Swap => {
                std::mem::swap(&mut self.drift.reference, &mut self.drift.current);
                if self.drift.mode == DriftMode::Files {
                    self.handle_drift(ctx, DriftCommand::Run);
                }
            }
            DriftCommand::SetMode(m) => self.drift.mode = m,
            DriftCommand::SetSplit(us) => self.drift.split_at_us = Some(us),
            DriftCommand::Run => self.run_drift(ctx),
            DriftCommand::Select(f) => self.drift.selected = Some(f),
            DriftCommand::Sort(s) => self.state.drift_sort = s,
        }
    }

    fn run_drift(&mut self, ctx: &egui::Context) {
        let config = self.plan_draft.drift.clone();
        let overrides = self.plan_draft.role_overrides();
        let source = match self.drift.mode {
            DriftMode::Files => match (&self.drift.reference, &self.drift.current) {
                (Some(r), Some(c)) => DriftSource::Files {
                    reference: r.display().to_string(),
                    current: c.display().to_string(),
                },
                _ => {
                    self.notifications.push(
                        Level::Info,
                        "Pick or drop a reference and a current file first",
                        None,
                    );
                    return;
                }
            },
            DriftMode::SplitLoaded => {
                // split where the slider shows: its value, else the middle of the log
                let (raw, range) = match (&self.drift.split_log, &self.current) {
                    (Some((raw, range)), _) => (raw.clone(), Some(*range)),
                    (None, Some(cur)) => (cur.raw.clone(), loaded_range_us(&cur.report)),
                    (None, None) => {
                        self.notifications.push(
                            Level::Info,
                            "Load or choose a log to split, or compare two files",
                            None,
                        );
                        return;
                    }
                };
                let Some((lo, hi)) = range else {
                    self.notifications.push(
                        Level::Warning,
                        "The loaded log has no timestamps to split by",
                        None,
                    );
                    return;
                };
                DriftSource::Split {
                    raw,
                    at_us: self.drift.split_at_us.unwrap_or(lo + (hi - lo) / 2),
                }
            }
        };
        self.replace_job(jobs::spawn_drift(ctx, source, config, overrides));
    }

    /// Takes dropped data files in the Drift view: two set both sides; one is the log to
    /// split in time-split mode, else it fills the empty side (reference first).
    pub fn drop_into_drift(&mut self, files: Vec<PathBuf>) {
        let cmd = match files.as_slice() {
            [a, b, ..] => DriftCommand::SetFiles(Some(a.clone()), Some(b.clone())),
            [a] if self.drift.mode == DriftMode::SplitLoaded => DriftCommand::SplitLog(a.clone()),
            [a] if self.drift.reference.is_none() || self.drift.current.is_some() => {
                DriftCommand::SetFiles(Some(a.clone()), None)
            }
            [a] => DriftCommand::SetFiles(None, Some(a.clone())),
            [] => return,
        };
        self.pending.push(Command::Drift(cmd));
    }
}

/// First and last time of the loaded log (UTC µs), from its timeline.
pub fn loaded_range_us(report: &crate::report::ExperimentReport) -> Option<(i64, i64)> {
    let rows = &report.timeline.rows;
    let lo = rows.iter().map(|r| r.start_us).min()?;
    let hi =
        rows.iter().map(|r| r.start_us).max()? + report.timeline.bucket_seconds as i64 * 1_000_000;
    (hi > lo).then_some((lo, hi))
}
