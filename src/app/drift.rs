//! The Drift view's runtime state and its command handler: which two sides to compare (two
//! files, or a time split of the loaded log or of a log read for this view), the report, the
//! selected feature and the sort order.

pub use super::command::{DriftCommand, DriftMode, DriftSort};

use super::dialogs::DialogPurpose;
use super::jobs::drift::{spawn_drift, DriftSource};
use super::jobs::Input;
use super::notifications::Level;
use super::services::Services;
use crate::ingest::time::midpoint;
use crate::ingest::{RawLoad, RoleOverrides};
use crate::plan::Plan;
use crate::report::drift::DriftReport;
use std::path::PathBuf;
use std::sync::Arc;

/// Runtime state of the Drift view (not persisted).
#[derive(Default)]
pub struct DriftPanel {
    /// Reference file (two-file mode).
    pub reference: Option<PathBuf>,
    /// Current file (two-file mode).
    pub current: Option<PathBuf>,
    /// Which comparison the controls set up.
    pub mode: DriftMode,
    /// Split point (UTC µs); the middle of the log when unset.
    pub split_at_us: Option<i64>,
    /// The last report (shared, so saving it copies nothing).
    pub report: Option<Arc<DriftReport>>,
    /// What the report was computed from (a report of the loaded log is dropped when
    /// another log is loaded).
    pub report_input: Option<Input>,
    /// Feature shown in the detail plot.
    pub selected: Option<String>,
    /// A run was requested automatically once (first visit to the view).
    pub auto_ran: bool,
    /// A log read for splitting (instead of the loaded experiment), with its time range.
    pub split_log: Option<(Arc<RawLoad>, (i64, i64))>,
    /// The metric of the estimated-vs-realized performance plot.
    pub performance_metric: crate::analysis::cbpe::CbpeMetric,
}

/// The loaded experiment's log, as the Drift view may split it.
pub struct LoadedLog<'a> {
    /// Its parsed rows.
    pub raw: &'a Arc<RawLoad>,
    /// The role overrides of the analysis on screen (so the split uses the same timestamp
    /// column as the timeline shows).
    pub overrides: &'a RoleOverrides,
    /// The identity of the analysis on screen.
    pub analysis_id: u64,
    /// First and last time (UTC µs), when it has timestamps.
    pub range: Option<(i64, i64)>,
    /// The files of a log larger than memory (`raw` holds its first chunk only): a split
    /// reads them again in chunks.
    pub streamed: Option<Vec<String>>,
}

const DATA_FILTERS: &[(&str, &[&str])] = &[
    (
        "Data",
        &[
            "jsonl", "ndjson", "json", "csv", "tsv", "parquet", "log", "txt", "gz",
        ],
    ),
    ("All files", &["*"]),
];

impl DriftPanel {
    /// Runs a drift command. `sort` is the persisted table order.
    pub fn handle(
        &mut self,
        cmd: DriftCommand,
        sv: &mut Services,
        loaded: Option<LoadedLog>,
        plan: &Plan,
        sort: &mut DriftSort,
    ) {
        match cmd {
            DriftCommand::PickReference => sv.dialogs.open(
                sv.ctx,
                DialogPurpose::DriftReference,
                "Reference data (training or an earlier period)",
                DATA_FILTERS,
                "",
            ),
            DriftCommand::PickCurrent => sv.dialogs.open(
                sv.ctx,
                DialogPurpose::DriftCurrent,
                "Current data",
                DATA_FILTERS,
                "",
            ),
            DriftCommand::PickLog => sv.dialogs.open(
                sv.ctx,
                DialogPurpose::DriftLog,
                "Log to split by time",
                DATA_FILTERS,
                "",
            ),
            DriftCommand::SplitLog(path) => {
                self.mode = DriftMode::SplitLoaded;
                self.split_log = None;
                self.split_at_us = None;
                sv.jobs.start(spawn_drift(
                    sv.ctx,
                    DriftSource::SplitFile {
                        path: path.display().to_string(),
                        at_us: None,
                    },
                    plan.drift.clone(),
                    plan.role_overrides(),
                ));
            }
            DriftCommand::SetFiles(r, c) => {
                if r.is_some() {
                    self.reference = r;
                }
                if c.is_some() {
                    self.current = c;
                }
                self.mode = DriftMode::Files;
                if self.reference.is_some() && self.current.is_some() {
                    self.run(sv, loaded, plan);
                }
            }
            DriftCommand::Swap => {
                std::mem::swap(&mut self.reference, &mut self.current);
                if self.mode == DriftMode::Files {
                    self.run(sv, loaded, plan);
                }
            }
            DriftCommand::SetMode(m) => self.mode = m,
            DriftCommand::SetSplit(us) => self.split_at_us = Some(us),
            DriftCommand::Run => self.run(sv, loaded, plan),
            DriftCommand::Select(f) => self.selected = Some(f),
            DriftCommand::Sort(s) => *sort = s,
            DriftCommand::PerformanceMetric(m) => self.performance_metric = m,
        }
    }

    fn run(&mut self, sv: &mut Services, loaded: Option<LoadedLog>, plan: &Plan) {
        let mut overrides = plan.role_overrides();
        let source = match self.mode {
            DriftMode::Files => match (&self.reference, &self.current) {
                (Some(r), Some(c)) => DriftSource::Files {
                    reference: r.display().to_string(),
                    current: c.display().to_string(),
                },
                _ => {
                    sv.notifications.push(
                        Level::Info,
                        "Pick or drop a reference and a current file first",
                        None,
                    );
                    return;
                }
            },
            DriftMode::SplitLoaded => {
                // split where the slider shows: its value, else the middle of the log
                // a streamed log is split by reading its files again in chunks
                if let (
                    None,
                    Some(LoadedLog {
                        streamed: Some(files),
                        range: Some((lo, hi)),
                        overrides: o,
                        analysis_id,
                        ..
                    }),
                ) = (&self.split_log, &loaded)
                {
                    let source = DriftSource::SplitFiles {
                        files: files.clone(),
                        input: Input::Analysis(*analysis_id),
                        at_us: self.split_at_us.unwrap_or(midpoint(*lo, *hi)),
                    };
                    sv.jobs.start(spawn_drift(
                        sv.ctx,
                        source,
                        plan.drift.clone(),
                        (*o).clone(),
                    ));
                    return;
                }
                let (raw, input, range) = match (&self.split_log, loaded) {
                    (Some((raw, range)), _) => (raw.clone(), Input::Independent, Some(*range)),
                    (None, Some(l)) => {
                        overrides = l.overrides.clone();
                        (l.raw.clone(), Input::Analysis(l.analysis_id), l.range)
                    }
                    (None, None) => {
                        sv.notifications.push(
                            Level::Info,
                            "Load or choose a log to split, or compare two files",
                            None,
                        );
                        return;
                    }
                };
                let Some((lo, hi)) = range else {
                    sv.notifications.push(
                        Level::Warning,
                        "The loaded log has no timestamps to split by",
                        None,
                    );
                    return;
                };
                DriftSource::Split {
                    raw,
                    input,
                    at_us: self.split_at_us.unwrap_or(midpoint(lo, hi)),
                }
            }
        };
        sv.jobs
            .start(spawn_drift(sv.ctx, source, plan.drift.clone(), overrides));
    }

    /// Shows a finished report: keeps the selected feature if it is still there, else
    /// selects the one with the largest PSI.
    pub fn show_report(&mut self, r: Arc<DriftReport>, input: Input) {
        if self
            .selected
            .as_ref()
            .is_none_or(|s| r.features.iter().all(|f| &f.name != s))
        {
            self.selected = r
                .features
                .iter()
                .filter(|f| f.psi.is_some())
                .max_by(|a, b| a.psi.unwrap_or(0.0).total_cmp(&b.psi.unwrap_or(0.0)))
                .map(|f| f.name.clone());
        }
        self.report = Some(r);
        self.report_input = Some(input);
    }

    /// Another analysis of the loaded log is on screen (new rows, or new roles): forget
    /// what was computed from the previous one, so no number of it is shown against the
    /// new one. `new_log`: the rows changed too (the split point no longer applies). True
    /// when a report was cleared.
    pub fn forget_analysis(&mut self, analysis_id: u64, new_log: bool) -> bool {
        let stale = matches!(self.report_input, Some(Input::Analysis(id)) if id != analysis_id);
        if stale {
            self.report = None;
            self.report_input = None;
            self.selected = None;
            self.auto_ran = false;
        }
        if new_log && self.split_log.is_none() {
            self.split_at_us = None;
            self.auto_ran = false;
        }
        stale
    }

    /// Where dropped data files go in the Drift view: two set both sides; one is the log to
    /// split in time-split mode, else it fills the empty side (reference first).
    pub fn drop_command(&self, files: Vec<PathBuf>) -> Option<DriftCommand> {
        Some(match files.as_slice() {
            [a, b, ..] => DriftCommand::SetFiles(Some(a.clone()), Some(b.clone())),
            [a] if self.mode == DriftMode::SplitLoaded => DriftCommand::SplitLog(a.clone()),
            [a] if self.reference.is_none() || self.current.is_some() => {
                DriftCommand::SetFiles(Some(a.clone()), None)
            }
            [a] => DriftCommand::SetFiles(None, Some(a.clone())),
            [] => return None,
        })
    }
}
