//! Reading prediction logs into a columnar [`Dataset`].
//!
//! Text formats (JSON lines, CSV, app logs, and their `.gz`) are read in line-aligned
//! blocks that parser threads turn into polars columns; Parquet goes through polars
//! directly. Role columns are then coerced and validated; bad rows are rejected with
//! file and line, and never abort the load.

pub mod applog;
pub mod builder;
pub mod cell;
pub mod csv;
pub mod error;
pub mod jsonl;
pub mod normalize;
pub mod parquet;
pub mod rejects;
pub mod roles;
pub mod source;
pub mod table;
pub mod text;
pub mod time;

pub use error::IngestError;
pub use normalize::{Metric, MetricKind};
pub use rejects::{Reason, Rejected, Rejects};
pub use roles::{Role, RoleOverrides, Roles};
pub use source::Format;

use polars::prelude::{DataFrame, IntoLazy, LazyFrame};
use source::Source;
use std::sync::atomic::{AtomicBool, Ordering};
use table::{RawTable, TableBuilder};

/// Options of one load.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadOptions {
    /// Role overrides from flags or the plan.
    pub overrides: RoleOverrides,
    /// When set, rows of other groups are rejected as `unknown_group`.
    pub known_groups: Option<Vec<String>>,
}

/// Progress of a load, reported as blocks are parsed.
#[derive(Debug, Clone, Default)]
pub struct LoadProgress {
    /// The file being read.
    pub file: String,
    /// Index of that file and number of files.
    pub file_index: usize,
    /// Number of files.
    pub files: usize,
    /// Bytes read of the current file (decompressed for gzip).
    pub bytes_read: u64,
    /// Size of the current file on disk.
    pub bytes_total: u64,
    /// Rows parsed so far over all files.
    pub rows: u64,
}

/// A loaded experiment log: the canonical frame plus what was learnt while reading it.
#[derive(Clone)]
pub struct Dataset {
    /// Valid rows, canonical columns (see [`normalize`]).
    pub frame: DataFrame,
    /// Which source column plays which role.
    pub roles: Roles,
    /// Metric columns and kinds.
    pub metrics: Vec<Metric>,
    /// Segment columns.
    pub segments: Vec<String>,
    /// Input files, in read order.
    pub files: Vec<String>,
    /// Format of each file.
    pub formats: Vec<Format>,
    /// Rows (event lines) read, valid or not.
    pub rows_read: u64,
    /// App-log lines that were not events (banners, access logs, tracebacks).
    pub lines_skipped: u64,
    /// Rejected rows.
    pub rejects: Rejects,
    /// The service's own events (model loads, config changes): not analysed, not rejected.
    pub events: Vec<normalize::ServiceEvent>,
    /// Column names and kinds as found in the source, before role mapping.
    pub source_columns: Vec<SourceColumn>,
    /// The pre-period read from the plan's `pre_period` files (CUPED's covariate).
    pub pre_period: Option<std::sync::Arc<Dataset>>,
}

/// A column as found in the input.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SourceColumn {
    /// Name in the source.
    pub name: String,
    /// `number`, `string` or `null`.
    pub kind: String,
    /// Null (missing) values.
    pub nulls: usize,
}

impl Dataset {
    /// The valid rows as a lazy frame.
    pub fn lazy(&self) -> LazyFrame {
        self.frame.clone().lazy()
    }

    /// The format name for reports: one format, or `mixed`.
    pub fn format_name(&self) -> String {
        let first = self.formats.first().map(|f| f.as_str()).unwrap_or("none");
        if self.formats.iter().all(|f| f.as_str() == first) {
            first.to_string()
        } else {
            "mixed".to_string()
        }
    }
}

/// Loads files (globs and folders expanded) into a dataset.
pub fn load(inputs: &[String], opts: &LoadOptions) -> Result<Dataset, IngestError> {
    load_with_progress(inputs, opts, &|_| {}, &AtomicBool::new(false))
}

/// Loads files, reporting progress and stopping with [`IngestError::Cancelled`] when
/// `cancel` is set.
pub fn load_with_progress(
    inputs: &[String],
    opts: &LoadOptions,
    progress: &(dyn Fn(LoadProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<Dataset, IngestError> {
    let raw = read_raw(inputs, progress, cancel)?;
    build_dataset(&raw, opts)
}

/// Files read and parsed, before roles are applied: kept by the window so a role change
/// re-applies roles without reading the files again.
pub struct RawLoad {
    /// All rows of all files, as parsed.
    pub table: RawTable,
    /// Rows rejected while parsing.
    pub rejects: Rejects,
    /// Non-event app-log lines.
    pub lines_skipped: u64,
    /// Input files in read order.
    pub files: Vec<String>,
    /// Format of each file.
    pub formats: Vec<Format>,
    /// Source columns with kinds and null counts.
    pub source_columns: Vec<SourceColumn>,
}

/// Reads and parses files into a [`RawLoad`].
pub fn read_raw(
    inputs: &[String],
    progress: &(dyn Fn(LoadProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<RawLoad, IngestError> {
    let t0 = std::time::Instant::now();
    let paths = source::expand_inputs(inputs)?;
    let sources: Vec<Source> = paths
        .iter()
        .map(|p| source::detect(p))
        .collect::<Result<_, _>>()?;
    let files: Vec<String> = sources
        .iter()
        .map(|s| s.path.display().to_string())
        .collect();
    let mut table = RawTable::empty();
    let mut rejects = Rejects::default();
    let mut skipped = 0u64;
    for (i, src) in sources.iter().enumerate() {
        let bytes_total = std::fs::metadata(&src.path).map(|m| m.len()).unwrap_or(0);
        let report = |bytes_read: u64, rows: u64| {
            progress(LoadProgress {
                file: files[i].clone(),
                file_index: i,
                files: files.len(),
                bytes_read,
                bytes_total,
                rows,
            })
        };
        let part = match src.format {
            Format::Parquet => {
                let t = parquet::read(&src.path)?;
                report(bytes_total, (table.rows + t.rows) as u64);
                t
            }
            Format::JsonArray => {
                let mut builder = TableBuilder::new();
                jsonl::read_array(
                    source::open_text(&src.path, src.gzip)?,
                    i as u32,
                    &mut builder,
                    &mut rejects,
                );
                report(bytes_total, (table.rows + builder.rows()) as u64);
                builder.finish()
            }
            _ => text::read_text(
                src,
                i as u32,
                table.rows as u64,
                &mut rejects,
                &mut skipped,
                &report,
                cancel,
            )?,
        };
        if cancel.load(Ordering::Relaxed) {
            return Err(IngestError::Cancelled);
        }
        table.append(part, i as u32);
    }
    timing("read", t0);
    table.infer_types();
    if table.rows == 0 {
        return Err(IngestError::Unreadable {
            file: files.join(", "),
            problem: if rejects.total() > 0 {
                format!("no valid rows ({} rejected)", rejects.total())
            } else {
                "no log events found".into()
            },
        });
    }
    let source_columns = table
        .columns
        .iter()
        .map(|c| {
            let (kind, nulls) = match &c.data {
                table::RawData::Null => ("null", c.len),
                table::RawData::Num { values, .. } => ("number", values.null_count()),
                table::RawData::Str { values, .. } => ("string", values.null_count()),
            };
            SourceColumn {
                name: c.name.clone(),
                kind: kind.into(),
                nulls,
            }
        })
        .collect();
    Ok(RawLoad {
        table,
        rejects,
        lines_skipped: skipped,
        formats: sources.iter().map(|s| s.format).collect(),
        files,
        source_columns,
    })
}

/// Applies roles to parsed rows: coerces and validates role columns, rejects bad rows.
pub fn build_dataset(raw: &RawLoad, opts: &LoadOptions) -> Result<Dataset, IngestError> {
    let t0 = std::time::Instant::now();
    let roles = roles::infer(&raw.table, &opts.overrides);
    let mut rejects = raw.rejects.clone();
    let norm = normalize::normalize(
        &raw.table,
        &roles,
        opts.known_groups.as_deref(),
        &raw.files,
        &mut rejects,
    )?;
    timing("normalize", t0);
    Ok(Dataset {
        frame: norm.frame,
        roles,
        metrics: norm.metrics,
        segments: norm.segments,
        formats: raw.formats.clone(),
        files: raw.files.clone(),
        events: norm.events,
        rows_read: raw.table.rows as u64 + raw.rejects.total(),
        lines_skipped: raw.lines_skipped,
        rejects,
        source_columns: raw.source_columns.clone(),
        pre_period: None,
    })
}

/// Reads the plan's `pre_period` files: every row is pre-period data and needs no group.
pub fn load_pre_period(
    inputs: &[String],
    overrides: &RoleOverrides,
    cancel: &AtomicBool,
) -> Result<Dataset, IngestError> {
    let mut overrides = overrides.clone();
    overrides.pre_period_before_us = Some(i64::MAX);
    let raw = read_raw(inputs, &|_| {}, cancel)?;
    build_dataset(
        &raw,
        &LoadOptions {
            overrides,
            known_groups: None,
        },
    )
}

/// Prints a phase timing to stderr when `VERDICT_TIMING` is set (for profiling).
pub fn timing(phase: &str, since: std::time::Instant) {
    if std::env::var_os("VERDICT_TIMING").is_some() {
        // the process's resident and peak memory so far (Linux), to see where memory goes
        let mem = std::fs::read_to_string("/proc/self/status")
            .ok()
            .map(|s| {
                s.lines()
                    .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
                    .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        eprintln!(
            "[timing] {phase}: {:.3} s; {mem} kB",
            since.elapsed().as_secs_f64()
        );
    }
}
