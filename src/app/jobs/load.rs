//! Load jobs: read logs and analyse them, re-analyse parsed rows after a role or plan
//! change, or recompute the timeline with another bucket.

use super::{spawn, thousands, Emit, Input, Job, JobMsg};
use crate::analysis::{analyze, timeline, AnalysisConfig};
use crate::app::command::JobKind;
use crate::ingest::{
    self, Dataset, IngestError, LoadOptions, LoadProgress, RawLoad, RoleOverrides,
};
use crate::report::ExperimentReport;
use eframe::egui;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// A finished load or re-analysis, with everything it was made from: when it lands, the
/// window's settings become these, so what is on screen and the settings never disagree.
pub struct Analyzed {
    /// Parsed rows (kept so role changes need no re-read).
    pub raw: Arc<RawLoad>,
    /// The dataset with roles applied.
    pub dataset: Arc<Dataset>,
    /// The engine's report (shared, so exports and views never copy it).
    pub report: Arc<ExperimentReport>,
    /// The settings it was computed with (the plan among them).
    pub config: AnalysisConfig,
    /// Load options used (the plan's role overrides merged with `roles`).
    pub load: LoadOptions,
    /// The role overrides chosen in the Data view on top of the plan's.
    pub roles: RoleOverrides,
    /// A short name for what was loaded.
    pub label: String,
    /// First and last time of the log (UTC µs), from its timeline.
    pub range_us: Option<(i64, i64)>,
    /// How long it took.
    pub seconds: f64,
    /// The rows were read by this job (a new log), not re-used.
    pub new_log: bool,
    /// A ClickHouse table analysed on the server (`raw` and `dataset` then hold its first
    /// rows only); re-analyses run on the server again.
    pub remote: Option<Arc<super::clickhouse::RemoteTable>>,
    /// Files larger than memory, read in chunks and spilled (`raw` and `dataset` then hold
    /// their first chunk only); re-analyses aggregate the spill again.
    pub streamed: Option<Arc<crate::stream::Spill>>,
}

/// Rows that were read but could not be analysed (no group column, one group, a role on
/// the wrong column...): kept so the roles can be assigned in the Data view and the rows
/// analysed again without a re-read.
pub struct Unanalysed {
    /// Parsed rows.
    pub raw: Arc<RawLoad>,
    /// The Data view's role overrides it was tried with.
    pub roles: RoleOverrides,
    /// A short name for what was read.
    pub label: String,
    /// One line naming the files and the problem.
    pub problem: String,
    /// The roles, metrics and segments inferred with `roles` (what the Data view shows).
    pub inferred: crate::ingest::Roles,
    /// The rows were read by this job (a new log), not re-used.
    pub new_log: bool,
    /// The plan it was tried with (a plan opened with the log is kept for the next try).
    pub plan: crate::plan::Plan,
}

/// What an analysis job is asked to produce besides the rows: its settings and how the
/// result is named.
pub struct Request {
    /// Load options (roles).
    pub load: LoadOptions,
    /// Analysis settings.
    pub config: AnalysisConfig,
    /// The Data view's role overrides behind `load`.
    pub roles: RoleOverrides,
    /// A short name for what is analysed.
    pub label: String,
}

/// What a load reads.
pub enum Inputs {
    /// Log files, folders or globs.
    Files(Vec<String>),
    /// The sample compiled into the binary (written to a temp file by the job).
    EmbeddedSample,
}

/// One line of load progress and its fraction.
pub fn progress_text(p: &LoadProgress) -> (String, Option<f32>) {
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

/// The message for a load that stopped.
pub fn ingest_failure(e: IngestError) -> JobMsg {
    match e {
        IngestError::Cancelled => JobMsg::Cancelled,
        other => JobMsg::Failed(other.to_string(), None),
    }
}

/// Loads files and analyses them.
pub fn spawn_load(ctx: &egui::Context, inputs: Inputs, request: Request) -> Job {
    spawn(
        JobKind::Load,
        Input::Independent,
        format!("Loading {}", request.label),
        ctx,
        move |emit, cancel| {
            let t0 = Instant::now();
            let files = match inputs {
                Inputs::Files(files) => files,
                Inputs::EmbeddedSample => match crate::app::embedded::materialize() {
                    Ok(path) => vec![path.display().to_string()],
                    Err(e) => {
                        return emit(JobMsg::Failed(
                            format!("cannot write the sample to the temp folder: {e}"),
                            None,
                        ))
                    }
                },
            };
            // files larger than memory are read in chunks and aggregated (a shadow run,
            // which pairs rows, is read whole)
            if crate::stream::input_bytes(&files) > crate::stream::stream_above_bytes()
                && !crate::stream::looks_like_shadow(&files, &request.load.overrides, cancel)
            {
                return stream_and_send(emit, cancel, &files, None, request, t0, true);
            }
            let on_progress = |p: LoadProgress| {
                let (text, frac) = progress_text(&p);
                emit(JobMsg::Progress(text, frac));
            };
            let raw = match ingest::read_raw(&files, &on_progress, cancel) {
                Ok(r) => Arc::new(r),
                Err(e) => return emit(ingest_failure(e)),
            };
            // a shadow run (both models on every request) goes to the Shadow view
            if crate::analysis::shadow::is_shadow(&raw, &request.load.overrides) {
                emit(JobMsg::Progress("Pairing the shadow run".into(), None));
                let cfg = crate::analysis::shadow::ShadowConfig {
                    threshold: request.config.plan.threshold,
                    alpha: request.config.plan.alpha,
                    ..Default::default()
                };
                let source = ShadowSource {
                    raw: raw.clone(),
                    overrides: request.load.overrides.clone(),
                    config: cfg,
                };
                return emit(shadow_msg(source, None));
            }
            emit(JobMsg::Progress(
                format!("Analysing {} rows", thousands(raw.table.rows as u64)),
                None,
            ));
            analyse_and_send(emit, cancel, raw, request, t0, true);
        },
    )
}

/// Re-applies roles and re-analyses already-parsed rows (of the log `log_id`).
pub fn spawn_reanalyze(
    ctx: &egui::Context,
    raw: Arc<RawLoad>,
    log_id: u64,
    request: Request,
) -> Job {
    spawn(
        JobKind::Load,
        Input::Log(log_id),
        "Re-analysing".into(),
        ctx,
        move |emit, cancel| {
            emit(JobMsg::Progress(
                format!("Re-analysing {} rows", thousands(raw.table.rows as u64)),
                None,
            ));
            analyse_and_send(emit, cancel, raw, request, Instant::now(), false);
        },
    )
}

fn analyse_and_send(
    emit: Emit,
    cancel: &AtomicBool,
    raw: Arc<RawLoad>,
    request: Request,
    t0: Instant,
    new_log: bool,
) {
    let Request {
        load,
        config,
        roles,
        label,
    } = request;
    let unanalysed = |raw: Arc<RawLoad>, roles: RoleOverrides, label: String, problem: String| {
        let inferred = crate::ingest::roles::infer(&raw.table, &load.overrides);
        JobMsg::Unanalysed(Box::new(Unanalysed {
            raw,
            inferred,
            plan: config.plan.clone(),
            roles,
            label,
            problem,
            new_log,
        }))
    };
    let mut dataset = match ingest::build_dataset(&raw, &load) {
        Ok(d) => d,
        Err(IngestError::Cancelled) => return emit(JobMsg::Cancelled),
        Err(e) => {
            let problem = e.to_string();
            return emit(unanalysed(raw, roles, label, problem));
        }
    };
    // the plan's pre-period files (CUPED's covariate)
    if !config.plan.pre_period.is_empty() {
        match ingest::load_pre_period(&config.plan.pre_period, &load.overrides, cancel) {
            Ok(pre) => dataset.pre_period = Some(Arc::new(pre)),
            Err(e) => return emit(ingest_failure(e)),
        }
    }
    let dataset = Arc::new(dataset);
    if cancel.load(Ordering::Relaxed) {
        return emit(JobMsg::Cancelled);
    }
    match analyze(&dataset, &config) {
        Ok(report) => {
            if cancel.load(Ordering::Relaxed) {
                return emit(JobMsg::Cancelled);
            }
            let range_us = report.timeline.range_us();
            emit(JobMsg::Analyzed(Box::new(Analyzed {
                raw,
                dataset,
                report: Arc::new(report),
                config,
                load,
                roles,
                label,
                range_us,
                seconds: t0.elapsed().as_secs_f64(),
                new_log,
                remote: None,
                streamed: None,
            })))
        }
        Err(e) => {
            let problem = format!("{}: {e}", dataset.files.join(", "));
            emit(unanalysed(raw, roles, label, problem))
        }
    }
}

/// Streams `files` (or re-uses `spill` when its roles are the request's) and sends the
/// report aggregated from the spilled rows, with their first chunk for the Data view.
fn stream_and_send(
    emit: Emit,
    cancel: &AtomicBool,
    files: &[String],
    spill: Option<Arc<crate::stream::Spill>>,
    request: Request,
    t0: Instant,
    new_log: bool,
) {
    use crate::stream::{Spill, StreamProgress};
    let progress = |p: StreamProgress| match p {
        StreamProgress::Reading(p) => {
            let (text, frac) = progress_text(p);
            emit(JobMsg::Progress(format!("{text} (streamed)"), frac));
        }
        StreamProgress::Step(what, done) => emit(JobMsg::Progress(
            format!("Aggregating the streamed rows: {what}"),
            Some(done),
        )),
    };
    let spill = match spill.filter(|s| s.load == request.load) {
        Some(s) => s,
        None => match Spill::write(
            files,
            &request.load,
            true,
            &|p: LoadProgress| progress(StreamProgress::Reading(&p)),
            cancel,
        ) {
            Ok(s) => Arc::new(s),
            Err(e) => return emit(ingest_failure(e)),
        },
    };
    let Some((raw, dataset)) = spill.first.clone() else {
        return emit(JobMsg::Failed(
            format!("{}: no rows to show", spill.shown()),
            None,
        ));
    };
    match crate::stream::analyze_spill(&spill, &request.config, &progress, cancel) {
        Ok(report) => {
            if cancel.load(Ordering::Relaxed) {
                return emit(JobMsg::Cancelled);
            }
            let range_us = report.timeline.range_us();
            emit(JobMsg::Analyzed(Box::new(Analyzed {
                raw,
                dataset,
                report: Arc::new(report),
                config: request.config,
                load: request.load,
                roles: request.roles,
                label: request.label,
                range_us,
                seconds: t0.elapsed().as_secs_f64(),
                new_log,
                remote: None,
                streamed: Some(spill),
            })))
        }
        Err(crate::stream::StreamError::Ingest(e)) => emit(ingest_failure(e)),
        Err(crate::stream::StreamError::Analysis(
            crate::clickhouse::ClickHouseError::Cancelled,
        )) => emit(JobMsg::Cancelled),
        Err(e) => emit(JobMsg::Failed(e.to_string(), None)),
    }
}

/// Re-analyses a streamed log (`log_id`): its spill again with new settings, or its files
/// read again when the roles changed.
pub fn spawn_stream_reanalyze(
    ctx: &egui::Context,
    spill: Arc<crate::stream::Spill>,
    log_id: u64,
    request: Request,
) -> Job {
    spawn(
        JobKind::Load,
        Input::Log(log_id),
        "Re-analysing the streamed rows".into(),
        ctx,
        move |emit, cancel| {
            let files = spill.files.clone();
            stream_and_send(
                emit,
                cancel,
                &files,
                Some(spill),
                request,
                Instant::now(),
                false,
            );
        },
    )
}

/// Recomputes only the timeline of the analysis `analysis_id` with another bucket
/// (`bucket` as the analysis settings write it, `bucket_seconds` its length).
pub fn spawn_timeline(
    ctx: &egui::Context,
    dataset: Arc<Dataset>,
    analysis_id: u64,
    bucket: Option<String>,
    bucket_seconds: Option<u64>,
) -> Job {
    spawn(
        JobKind::Load,
        Input::Analysis(analysis_id),
        "Re-bucketing".into(),
        ctx,
        move |emit, cancel| {
            emit(JobMsg::Progress("Re-bucketing the timeline".into(), None));
            match timeline::timeline(&dataset, bucket_seconds) {
                Ok(t) if !cancel.load(Ordering::Relaxed) => {
                    emit(JobMsg::Timeline(Box::new(t), bucket))
                }
                Ok(_) => emit(JobMsg::Cancelled),
                Err(e) => emit(JobMsg::Failed(format!("timeline: {e}"), None)),
            }
        },
    )
}

/// What a shadow report was made from: the parsed log, the roles and the settings.
#[derive(Clone)]
pub struct ShadowSource {
    /// The parsed shadow log.
    pub raw: Arc<RawLoad>,
    /// Role overrides.
    pub overrides: crate::ingest::RoleOverrides,
    /// Threshold, alpha, seed.
    pub config: crate::analysis::shadow::ShadowConfig,
}

fn shadow_msg(source: ShadowSource, labels: Option<&crate::analysis::shadow::Labels>) -> JobMsg {
    match crate::analysis::shadow::analyze_shadow(
        &source.raw,
        &source.overrides,
        labels,
        &source.config,
    ) {
        Ok(r) => JobMsg::Shadow(Box::new(r), source),
        Err(e) => JobMsg::Failed(e.to_string(), None),
    }
}

/// Joins a labels file (request id, label) to the shadow run and analyses it again.
pub fn spawn_shadow_labels(ctx: &egui::Context, source: ShadowSource, labels: String) -> Job {
    spawn(
        JobKind::Load,
        Input::Independent,
        format!("Joining labels from {labels}"),
        ctx,
        move |emit, cancel| {
            let raw = match ingest::read_raw(std::slice::from_ref(&labels), &|_| {}, cancel) {
                Ok(r) => r,
                Err(e) => return emit(ingest_failure(e)),
            };
            match crate::analysis::shadow::Labels::from_raw(&raw, &source.overrides) {
                Ok(l) => emit(shadow_msg(source, Some(&l))),
                Err(e) => emit(JobMsg::Failed(e.to_string(), None)),
            }
        },
    )
}
