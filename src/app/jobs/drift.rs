//! Drift jobs: compare two files, or split a log (the loaded one, or one read here) by time.

use super::load::progress_text;
use super::{spawn, Input, Job, JobMsg};
use crate::analysis::drift::split::TimeSplitSpec;
use crate::analysis::drift::{self, DriftConfig, DriftError, DriftInputs};
use crate::app::command::JobKind;
use crate::ingest::time::midpoint;
use crate::ingest::{self, LoadProgress, RawLoad, RoleOverrides};
use crate::report::drift::DriftReport;
use eframe::egui;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What a drift job compares.
pub enum DriftSource {
    /// Two files (or folders/globs), read by the job.
    Files {
        /// Reference input.
        reference: String,
        /// Current input.
        current: String,
    },
    /// Rows already parsed, split at a time (UTC µs).
    Split {
        /// The parsed rows.
        raw: Arc<RawLoad>,
        /// What they are: the loaded log (its id) or a log read for the Drift view.
        input: Input,
        /// Split point.
        at_us: i64,
    },
    /// Log files larger than memory, read in chunks and split at a time (UTC µs).
    SplitFiles {
        /// The log's files.
        files: Vec<String>,
        /// The analysis on screen they belong to.
        input: Input,
        /// Split point.
        at_us: i64,
    },
    /// A log file to read, then split (at its middle when None).
    SplitFile {
        /// The log.
        path: String,
        /// Split point.
        at_us: Option<i64>,
    },
}

/// Runs the drift analysis on a named thread with progress (features done) and cancel.
pub fn spawn_drift(
    ctx: &egui::Context,
    source: DriftSource,
    config: DriftConfig,
    overrides: RoleOverrides,
) -> Job {
    let input = match &source {
        DriftSource::Split { input, .. } | DriftSource::SplitFiles { input, .. } => *input,
        _ => Input::Independent,
    };
    spawn(
        JobKind::Drift,
        input,
        "Drift analysis".into(),
        ctx,
        move |emit, cancel| {
            let on_load = |p: LoadProgress| {
                let (text, frac) = progress_text(&p);
                emit(JobMsg::Progress(text, frac));
            };
            let on_feature = |done: usize, total: usize| {
                emit(JobMsg::Progress(
                    format!("Drift: {done} of {total} features"),
                    Some(done as f32 / total.max(1) as f32),
                ))
            };
            // files larger than memory are read in chunks (exact statistics, performance
            // not computed)
            let big = |inputs: &[String]| {
                crate::stream::input_bytes(inputs) > crate::stream::stream_above_bytes()
            };
            let on_stream = |p: crate::stream::StreamProgress| match p {
                crate::stream::StreamProgress::Reading(p) => on_load(p.clone()),
                crate::stream::StreamProgress::Step(what, done) => {
                    emit(JobMsg::Progress(format!("Drift: {what}"), Some(done)))
                }
            };
            let streamed = |inputs: DriftInputs| {
                crate::stream::drift::drift_files(&inputs, &config, &overrides, &on_stream, cancel)
                    .map_err(|e| match e {
                        crate::stream::StreamError::Drift(e) => e,
                        crate::stream::StreamError::Ingest(e) => e.into(),
                        crate::stream::StreamError::Analysis(e) => {
                            DriftError::Streamed(e.to_string())
                        }
                    })
            };
            let result = match source {
                DriftSource::Files { reference, current }
                    if big(&[reference.clone(), current.clone()]) =>
                {
                    streamed(DriftInputs::Files {
                        reference: vec![reference],
                        current: vec![current],
                    })
                }
                DriftSource::SplitFiles { files, at_us, .. } => streamed(DriftInputs::Split {
                    log: files,
                    spec: TimeSplitSpec::At(at_us),
                    window: None,
                }),
                DriftSource::SplitFile { path, at_us } if big(std::slice::from_ref(&path)) => {
                    let at = match at_us {
                        Some(at) => Ok(at),
                        None => crate::stream::drift::time_range_files(
                            std::slice::from_ref(&path),
                            &overrides,
                            &on_stream,
                            cancel,
                        )
                        .map_err(|e| DriftError::Streamed(e.to_string()))
                        .and_then(|r| {
                            r.map(|(a, b)| midpoint(a, b))
                                .ok_or(DriftError::NoTimestampColumn {
                                    files: path.clone(),
                                })
                        }),
                    };
                    at.and_then(|at| {
                        streamed(DriftInputs::Split {
                            log: vec![path],
                            spec: TimeSplitSpec::At(at),
                            window: None,
                        })
                    })
                }
                DriftSource::Files { reference, current } => drift::run(
                    &DriftInputs::Files {
                        reference: vec![reference],
                        current: vec![current],
                    },
                    &config,
                    &overrides,
                    &on_load,
                    &on_feature,
                    cancel,
                ),
                DriftSource::Split { raw, at_us, .. } => {
                    split_raw(&raw, at_us, &config, &overrides, &on_feature, cancel)
                }
                DriftSource::SplitFile { path, at_us } => {
                    match ingest::read_raw(std::slice::from_ref(&path), &on_load, cancel) {
                        Err(e) => Err(e.into()),
                        Ok(raw) => {
                            let raw = Arc::new(raw);
                            // the time range is read once, here, and sent with the rows
                            match drift::time_range_us(&raw.table, &overrides) {
                                None => Err(DriftError::NoTimestampColumn { files: path }),
                                Some(range) => {
                                    let at = at_us.unwrap_or(midpoint(range.0, range.1));
                                    let out = split_raw(
                                        &raw,
                                        at,
                                        &config,
                                        &overrides,
                                        &on_feature,
                                        cancel,
                                    );
                                    if out.is_ok() {
                                        emit(JobMsg::DriftLog(raw, range));
                                    }
                                    out
                                }
                            }
                        }
                    }
                }
            };
            if cancel.load(Ordering::Relaxed) {
                return emit(JobMsg::Cancelled);
            }
            match result {
                Ok(r) => emit(JobMsg::Drift(Box::new(r))),
                Err(DriftError::Cancelled) => emit(JobMsg::Cancelled),
                Err(e) => emit(JobMsg::Failed(format!("drift: {e}"), None)),
            }
        },
    )
}

fn split_raw(
    raw: &RawLoad,
    at_us: i64,
    config: &DriftConfig,
    overrides: &RoleOverrides,
    on_feature: &(dyn Fn(usize, usize) + Sync),
    cancel: &AtomicBool,
) -> Result<DriftReport, DriftError> {
    drift::split_log(
        &raw.table,
        &raw.files,
        TimeSplitSpec::At(at_us),
        None,
        config,
        overrides,
        on_feature,
        cancel,
    )
}
