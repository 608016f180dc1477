//! Files larger than memory: the rows are read in chunks through ingest's normalisation and
//! spilled once to a private temporary file of compact columns (`spill.rs`); the report is
//! then assembled by `clickhouse::report` — the same assembly as for a ClickHouse table —
//! from aggregate requests that `answers.rs` answers by scanning the spill chunk by chunk.
//! Memory holds one chunk and the aggregates (per group, cell, bucket and user), never the
//! rows. No UI code.

pub mod answers;
pub mod attribution;
pub mod chunk;
pub mod drift;
pub mod spill;

pub use spill::{Select, Spill};

use crate::analysis::AnalysisConfig;
use crate::clickhouse::aggregates::Source;
use crate::clickhouse::{ClickHouseError, Client, Credentials, TableUrl};
use crate::ingest::{IngestError, LoadOptions, LoadProgress};
use crate::report::ExperimentReport;
use std::sync::atomic::AtomicBool;

/// Inputs larger than this (bytes on disk, all files) are streamed by `verdict analyze`
/// and the window unless told otherwise: read into memory they would need several times
/// their size.
pub const STREAM_ABOVE_BYTES: u64 = 1 << 30;

/// The streaming threshold in force: [`STREAM_ABOVE_BYTES`], or `VERDICT_STREAM_ABOVE_BYTES`
/// when set (for machines with little memory, and for tests).
pub fn stream_above_bytes() -> u64 {
    std::env::var("VERDICT_STREAM_ABOVE_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(STREAM_ABOVE_BYTES)
}

/// What can go wrong streaming files.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Reading or normalising the files.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The analysis of the spilled rows.
    #[error(transparent)]
    Analysis(#[from] ClickHouseError),
    /// A drift comparison's settings or data.
    #[error(transparent)]
    Drift(#[from] crate::analysis::drift::DriftError),
}

/// Total bytes on disk of the inputs (globs and folders expanded); 0 when they cannot be
/// listed (the read then reports the problem).
pub fn input_bytes(inputs: &[String]) -> u64 {
    crate::ingest::source::expand_inputs(inputs)
        .map(|paths| {
            paths
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// A step of a streamed analysis, for progress: reading (with the load's progress) or an
/// analysis step with the share done.
pub enum StreamProgress<'a> {
    /// Reading and spilling the files.
    Reading(&'a LoadProgress),
    /// An aggregate step of the analysis and the share of steps done.
    Step(&'a str, f32),
}

/// The experiment report of files read in chunks: spilled once, then aggregated by scans
/// (users are the unit, as for a ClickHouse table).
pub fn analyze_files(
    inputs: &[String],
    load: &LoadOptions,
    cfg: &AnalysisConfig,
    progress: &(dyn Fn(StreamProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<ExperimentReport, StreamError> {
    let spill = Spill::write(
        inputs,
        load,
        false,
        &|p: LoadProgress| progress(StreamProgress::Reading(&p)),
        cancel,
    )?;
    analyze_spill(&spill, cfg, progress, cancel)
}

/// The experiment report of rows already spilled (a re-analysis with other settings needs
/// no re-read).
pub fn analyze_spill(
    spill: &Spill,
    cfg: &AnalysisConfig,
    progress: &(dyn Fn(StreamProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<ExperimentReport, StreamError> {
    if matches!(cfg.unit, Some(crate::plan::UnitChoice::Request)) {
        return Err(IngestError::Unreadable {
            file: spill.shown(),
            problem: "a streamed analysis takes users as the unit; --unit request needs the rows in memory (without --stream)".into(),
        }
        .into());
    }
    // one analysis of this spill at a time: the stage re-check lives in its overlay
    let _one = spill.analysis.lock().unwrap_or_else(|e| e.into_inner());
    if let Ok(mut o) = spill.overlay.lock() {
        o.reset_stages();
    }
    // the assembly's server and table are never reached: every request goes to the spill
    let client = Client::new("", 0, Credentials::new(None, None));
    let url = TableUrl {
        host: String::new(),
        port: 0,
        database: String::new(),
        table: String::new(),
        user: None,
    };
    let src = Source {
        client: &client,
        url: &url,
        filter: None,
        from_s: None,
        to_s: None,
        since_us: None,
        spill: Some(spill),
    };
    let step = |what: &str, done: f32| progress(StreamProgress::Step(what, done));
    Ok(crate::clickhouse::report::analyze(
        &src,
        &spill.roles,
        cfg,
        &step,
        cancel,
    )?)
}

/// Whether the first rows of `files` are a shadow run (both models on every request): its
/// analysis pairs rows and is not streamed.
pub fn looks_like_shadow(
    files: &[String],
    overrides: &crate::ingest::RoleOverrides,
    cancel: &AtomicBool,
) -> bool {
    crate::ingest::read_first(files, 10_000, cancel)
        .ok()
        .flatten()
        .is_some_and(|raw| crate::analysis::shadow::is_shadow(&raw, overrides))
}
