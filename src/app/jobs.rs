//! Background work: loading, re-analysing and re-bucketing run on named threads, report
//! progress over a channel, call `request_repaint` on every message, and can be cancelled.

use crate::analysis::{analyze, timeline, AnalysisConfig};
use crate::ingest::{self, Dataset, IngestError, LoadOptions, LoadProgress, RawLoad};
use crate::report::{ExperimentReport, Timeline};
use eframe::egui;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

/// A finished load or re-analysis.
pub struct Analyzed {
    /// Parsed rows (kept so role changes need no re-read).
    pub raw: Arc<RawLoad>,
    /// The dataset with roles applied.
    pub dataset: Arc<Dataset>,
    /// The engine's report.
    pub report: ExperimentReport,
    /// The settings it was computed with.
    pub config: AnalysisConfig,
    /// Role overrides used.
    pub load: LoadOptions,
    /// How long it took.
    pub seconds: f64,
}

/// Messages from a job thread.
pub enum JobMsg {
    /// Progress: a line of text and a fraction when known.
    Progress(String, Option<f32>),
    /// A dataset was loaded or re-analysed.
    Analyzed(Box<Analyzed>),
    /// A new timeline was computed.
    Timeline(Box<Timeline>, f64),
    /// A drift report was computed (and how long it took).
    Drift(Box<crate::report::drift::DriftReport>, f64),
    /// A log read for a drift time split (kept so the split can move without a re-read),
    /// with its time range (UTC µs).
    DriftLog(Arc<RawLoad>, (i64, i64)),
    /// Champion and challenger were replayed and compared (and how long it took).
    Compared(Box<crate::models::Compared>, f64),
    /// The job failed; one line naming the file and the problem, plus details.
    Failed(String, Option<String>),
    /// The job stopped because it was cancelled.
    Cancelled,
}

/// A running job.
pub struct Job {
    /// What it does, for the status bar.
    pub label: String,
    /// Set to stop the job.
    pub cancel: Arc<AtomicBool>,
    /// Messages from the job thread.
    pub rx: Receiver<JobMsg>,
    /// Latest progress text.
    pub progress: String,
    /// Latest progress fraction.
    pub fraction: Option<f32>,
    /// When it started.
    pub started: Instant,
}

impl Job {
    /// Asks the job to stop.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

fn spawn(
    name: &str,
    label: String,
    ctx: &egui::Context,
    work: impl FnOnce(&(dyn Fn(JobMsg) + Sync), &AtomicBool) + Send + 'static,
) -> Job {
    let (tx, rx) = channel::<JobMsg>();
    let cancel = Arc::new(AtomicBool::new(false));
    let cancel2 = Arc::clone(&cancel);
    let ctx = ctx.clone();
    let send = move |tx: &Sender<JobMsg>, m: JobMsg| {
        let _ = tx.send(m);
        ctx.request_repaint();
    };
    let spawned = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let tx2 = tx.clone();
            let emit = |m: JobMsg| send(&tx2, m);
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&emit, &cancel2)));
            if result.is_err() {
                send(
                    &tx,
                    JobMsg::Failed(
                        "internal error: the background job crashed (please report this)".into(),
                        None,
                    ),
                );
            }
        });
    if let Err(e) = spawned {
        let (tx, rx2) = channel();
        let _ = tx.send(JobMsg::Failed(
            format!("cannot start a background thread: {e}"),
            None,
        ));
        return Job {
            label,
            cancel,
            rx: rx2,
            progress: String::new(),
            fraction: None,
            started: Instant::now(),
        };
    }
    Job {
        label,
        cancel,
        rx,
        progress: String::new(),
        fraction: None,
        started: Instant::now(),
    }
}

fn progress_text(p: &LoadProgress) -> (String, Option<f32>) {
    let name = std::path::Path::new(&p.file)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mb = |b: u64| b as f64 / 1_048_576.0;
    let frac = if p.bytes_total > 0 {
        Some((p.bytes_read as f64 / p.bytes_total as f64).min(1.0) as f32)
    } else {
        None
    };
    let files = if p.files > 1 {
        format!(" (file {} of {})", p.file_index + 1, p.files)
    } else {
        String::new()
    };
    (
        format!(
            "Reading {name}{files}: {:.1} of {:.1} MB, {} rows",
            mb(p.bytes_read.min(p.bytes_total.max(p.bytes_read))),
            mb(p.bytes_total),
            thousands(p.rows)
        ),
        frac,
    )
}

/// Formats an integer with thousands separators.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ingest_failure(e: IngestError) -> JobMsg {
    match e {
        IngestError::Cancelled => JobMsg::Cancelled,
        other => JobMsg::Failed(other.to_string(), None),
    }
}

/// What a load reads.
pub enum Inputs {
    /// Log files, folders or globs.
    Files(Vec<String>),
    /// The sample compiled into the binary (written to a temp file by the job).
    EmbeddedSample,
}

/// Loads files and analyses them.
pub fn spawn_load(
    ctx: &egui::Context,
    inputs: Inputs,
    load: LoadOptions,
    config: AnalysisConfig,
    label: String,
) -> Job {
    spawn("verdict-load", label, ctx, move |emit, cancel| {
        let t0 = Instant::now();
        let files = match inputs {
            Inputs::Files(files) => files,
            Inputs::EmbeddedSample => match super::embedded::materialize() {
                Ok(path) => vec![path.display().to_string()],
                Err(e) => {
                    return emit(JobMsg::Failed(
                        format!("cannot write the sample to the temp folder: {e}"),
                        None,
                    ))
                }
            },
        };
        let on_progress = |p: LoadProgress| {
            let (text, frac) = progress_text(&p);
            emit(JobMsg::Progress(text, frac));
        };
        let raw = match ingest::read_raw(&files, &on_progress, cancel) {
            Ok(r) => Arc::new(r),
            Err(e) => return emit(ingest_failure(e)),
        };
        emit(JobMsg::Progress(
            format!("Analysing {} rows", thousands(raw.table.rows as u64)),
            None,
        ));
        analyse_and_send(emit, cancel, raw, load, config, t0);
    })
}

/// Re-applies roles and re-analyses already-parsed rows.
pub fn spawn_reanalyze(
    ctx: &egui::Context,
    raw: Arc<RawLoad>,
    load: LoadOptions,
    config: AnalysisConfig,
) -> Job {
    spawn(
        "verdict-analyze",
        "Re-analysing".into(),
        ctx,
        move |emit, cancel| {
            emit(JobMsg::Progress(
                format!("Re-analysing {} rows", thousands(raw.table.rows as u64)),
                None,
            ));
            analyse_and_send(emit, cancel, raw, load, config, Instant::now());
        },
    )
}

fn analyse_and_send(
    emit: &(dyn Fn(JobMsg) + Sync),
    cancel: &AtomicBool,
    raw: Arc<RawLoad>,
    load: LoadOptions,
    config: AnalysisConfig,
    t0: Instant,
) {
    let dataset = match ingest::build_dataset(&raw, &load) {
        Ok(d) => Arc::new(d),
        Err(e) => return emit(ingest_failure(e)),
    };
    if cancel.load(Ordering::Relaxed) {
        return emit(JobMsg::Cancelled);
    }
    match analyze(&dataset, &config) {
        Ok(report) => {
            if cancel.load(Ordering::Relaxed) {
                return emit(JobMsg::Cancelled);
            }
            emit(JobMsg::Analyzed(Box::new(Analyzed {
                raw,
                dataset,
                report,
                config,
                load,
                seconds: t0.elapsed().as_secs_f64(),
            })))
        }
        Err(e) => emit(JobMsg::Failed(
            format!("{}: {e}", dataset.files.join(", ")),
            None,
        )),
    }
}

/// Recomputes only the timeline with another bucket.
pub fn spawn_timeline(
    ctx: &egui::Context,
    dataset: Arc<Dataset>,
    bucket_seconds: Option<u64>,
) -> Job {
    spawn(
        "verdict-timeline",
        "Re-bucketing".into(),
        ctx,
        move |emit, cancel| {
            let t0 = Instant::now();
            emit(JobMsg::Progress("Re-bucketing the timeline".into(), None));
            match timeline::timeline(&dataset, bucket_seconds) {
                Ok(t) if !cancel.load(Ordering::Relaxed) => {
                    emit(JobMsg::Timeline(Box::new(t), t0.elapsed().as_secs_f64()))
                }
                Ok(_) => emit(JobMsg::Cancelled),
                Err(e) => emit(JobMsg::Failed(format!("timeline: {e}"), None)),
            }
        },
    )
}

/// What a drift job compares.
pub enum DriftSource {
    /// Two files (or folders/globs), read by the job.
    Files {
        /// Reference input.
        reference: String,
        /// Current input.
        current: String,
    },
    /// Already-parsed rows split at a time (UTC µs).
    Split {
        /// The parsed rows.
        raw: Arc<RawLoad>,
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
    config: crate::analysis::drift::DriftConfig,
    overrides: ingest::RoleOverrides,
) -> Job {
    use crate::analysis::drift::{self, DriftInputs};
    spawn(
        "verdict-drift",
        "Drift analysis".into(),
        ctx,
        move |emit, cancel| {
            let t0 = Instant::now();
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
            let result = match source {
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
                DriftSource::Split { raw, at_us } => {
                    split_raw(&raw, Some(at_us), &config, &overrides, &on_feature, cancel)
                }
                DriftSource::SplitFile { path, at_us } => {
                    match ingest::read_raw(std::slice::from_ref(&path), &on_load, cancel) {
                        Err(e) => Err(e.to_string()),
                        Ok(raw) => {
                            let raw = Arc::new(raw);
                            // the time range is read once, here, and sent with the rows
                            let range = raw_time_range_us(&raw, &overrides);
                            let at = at_us.or(range.map(|(lo, hi)| lo + (hi - lo) / 2));
                            let out = split_raw(&raw, at, &config, &overrides, &on_feature, cancel);
                            if let (Ok(_), Some(range)) = (&out, range) {
                                emit(JobMsg::DriftLog(raw, range));
                            }
                            out
                        }
                    }
                }
            };
            if cancel.load(Ordering::Relaxed) {
                return emit(JobMsg::Cancelled);
            }
            match result {
                Ok(r) => emit(JobMsg::Drift(Box::new(r), t0.elapsed().as_secs_f64())),
                Err(e) => emit(JobMsg::Failed(format!("drift: {e}"), None)),
            }
        },
    )
}

/// Time range (UTC µs) of a parsed log's timestamp column.
pub fn raw_time_range_us(raw: &RawLoad, overrides: &ingest::RoleOverrides) -> Option<(i64, i64)> {
    let roles = ingest::roles::infer(&raw.table, overrides);
    let name = roles.get(ingest::Role::Timestamp)?;
    let col = raw.table.columns.iter().find(|c| c.name == name)?;
    let ts = ingest::time::column_timestamps_us(col);
    let lo = ts.iter().flatten().min().copied()?;
    let hi = ts.iter().flatten().max().copied()?;
    (hi > lo).then_some((lo, hi))
}

fn split_raw(
    raw: &RawLoad,
    at_us: Option<i64>,
    config: &crate::analysis::drift::DriftConfig,
    overrides: &ingest::RoleOverrides,
    on_feature: &(dyn Fn(usize, usize) + Sync),
    cancel: &AtomicBool,
) -> Result<crate::report::drift::DriftReport, String> {
    use crate::analysis::drift::{self, split::TimeSplitSpec};
    // None: the log has no readable timestamps
    let at = at_us.ok_or_else(|| {
        format!(
            "{}: no timestamps to split by (name the column with [columns] timestamp in the plan)",
            raw.files.join(", ")
        )
    })?;
    drift::split_log(
        &raw.table,
        &raw.files,
        TimeSplitSpec::At(at),
        None,
        config,
        overrides,
        on_feature,
        cancel,
    )
}

/// Replays the holdout through both models and compares them (named thread, progress,
/// cancel).
pub fn spawn_compare(
    ctx: &egui::Context,
    champion: crate::models::compare::Inspected,
    challenger: crate::models::compare::Inspected,
    opts: crate::models::CompareOptions,
) -> Job {
    spawn(
        "verdict-replay",
        "Replaying the holdout".into(),
        ctx,
        move |emit, cancel| {
            let t0 = Instant::now();
            let progress = |text: String, frac: Option<f32>| emit(JobMsg::Progress(text, frac));
            match crate::models::compare::compare_inspected(
                champion, challenger, &opts, &progress, cancel,
            ) {
                _ if cancel.load(Ordering::Relaxed) => emit(JobMsg::Cancelled),
                Ok(c) => emit(JobMsg::Compared(Box::new(c), t0.elapsed().as_secs_f64())),
                Err(e) => emit(JobMsg::Failed(format!("replay: {e}"), None)),
            }
        },
    )
}
