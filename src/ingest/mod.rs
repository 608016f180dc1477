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

/// What a chunked read saw besides its chunks: the files, their formats, the rows parsed
/// and those rejected while parsing, and the non-event lines.
#[derive(Debug, Default)]
pub struct ChunkedRead {
    /// Input files in read order.
    pub files: Vec<String>,
    /// Format of each file.
    pub formats: Vec<Format>,
    /// Rows parsed (handed to the sink).
    pub rows: u64,
    /// Rows rejected while parsing.
    pub rejects: Rejects,
    /// Non-event app-log lines.
    pub lines_skipped: u64,
}

/// Reads files as [`read_raw`] does but hands them to `sink` in chunks of about
/// `rows_per_chunk` rows (Parquet by whole row groups, text by parsed blocks), so memory
/// holds one chunk at a time; each chunk is a [`RawLoad`] of its own (parse rejects are
/// returned at the end). `progress` reports bytes of the current file; `sink` returns false
/// to stop reading.
pub fn read_chunked(
    inputs: &[String],
    rows_per_chunk: usize,
    progress: &(dyn Fn(LoadProgress) + Sync),
    cancel: &AtomicBool,
    sink: &mut dyn FnMut(RawLoad) -> Result<bool, IngestError>,
) -> Result<ChunkedRead, IngestError> {
    let paths = source::expand_inputs(inputs)?;
    let sources: Vec<Source> = paths
        .iter()
        .map(|p| source::detect(p))
        .collect::<Result<_, _>>()?;
    let mut out = ChunkedRead {
        files: sources
            .iter()
            .map(|s| s.path.display().to_string())
            .collect(),
        formats: sources.iter().map(|s| s.format).collect(),
        ..Default::default()
    };
    let files = out.files.clone();
    let formats = out.formats.clone();
    let chunk_load = |table: RawTable| -> RawLoad {
        let source_columns = table
            .columns
            .iter()
            .map(|c| SourceColumn {
                name: c.name.clone(),
                kind: match &c.data {
                    table::RawData::Null => "null",
                    table::RawData::Num { .. } => "number",
                    table::RawData::Str { .. } => "string",
                }
                .into(),
                nulls: 0,
            })
            .collect();
        RawLoad {
            table,
            rejects: Rejects::default(),
            lines_skipped: 0,
            files: files.clone(),
            formats: formats.clone(),
            source_columns,
        }
    };
    let mut go_on = true;
    for (i, src) in sources.iter().enumerate() {
        if !go_on {
            break;
        }
        let bytes_total = std::fs::metadata(&src.path).map(|m| m.len()).unwrap_or(0);
        let rows_before = out.rows;
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
        match src.format {
            Format::Parquet => {
                parquet::read_chunks(&src.path, rows_per_chunk, &mut |mut t, start, total| {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(IngestError::Cancelled);
                    }
                    t.file_ids = vec![i as u32; t.rows];
                    out.rows += t.rows as u64;
                    // bytes in proportion to the file's rows read
                    let done = (start + t.rows) as f64 / total.max(1) as f64;
                    report((bytes_total as f64 * done) as u64, out.rows);
                    go_on = sink(chunk_load(t))?;
                    Ok(go_on)
                })?;
            }
            Format::JsonArray => {
                let mut builder = TableBuilder::new();
                jsonl::read_array(
                    source::open_text(&src.path, src.gzip)?,
                    i as u32,
                    &mut builder,
                    &mut out.rejects,
                );
                let mut t = builder.finish();
                t.file_ids = vec![i as u32; t.rows];
                t.infer_types();
                out.rows += t.rows as u64;
                report(bytes_total, out.rows);
                go_on = sink(chunk_load(t))?;
            }
            _ => {
                let mut pending = RawTable::empty();
                let mut failure: Option<IngestError> = None;
                let mut rejects = Rejects::default();
                let mut skipped = 0u64;
                let mut flush = |pending: &mut RawTable,
                                 failure: &mut Option<IngestError>,
                                 go_on: &mut bool| {
                    let mut t = std::mem::replace(pending, RawTable::empty());
                    if t.rows == 0 {
                        return;
                    }
                    t.infer_types();
                    match sink(chunk_load(t)) {
                        Ok(more) => *go_on = more,
                        Err(e) => {
                            *failure = Some(e);
                            *go_on = false;
                        }
                    }
                };
                text::read_text_blocks(
                    src,
                    i as u32,
                    rows_before,
                    &mut rejects,
                    &mut skipped,
                    &report,
                    cancel,
                    &mut |block| {
                        out.rows += block.rows as u64;
                        pending.append(block, i as u32);
                        while go_on && pending.rows >= rows_per_chunk.max(1) {
                            let rest = pending.split_off(rows_per_chunk.max(1));
                            flush(&mut pending, &mut failure, &mut go_on);
                            pending = rest;
                        }
                        go_on
                    },
                )?;
                if go_on {
                    flush(&mut pending, &mut failure, &mut go_on);
                }
                out.rejects.merge(rejects);
                out.lines_skipped += skipped;
                if let Some(e) = failure {
                    return Err(e);
                }
            }
        }
        if cancel.load(Ordering::Relaxed) {
            return Err(IngestError::Cancelled);
        }
    }
    Ok(out)
}

/// The first `rows` rows of `inputs` (None without rows), read as [`read_chunked`] reads
/// them and stopping there.
pub fn read_first(
    inputs: &[String],
    rows: usize,
    cancel: &AtomicBool,
) -> Result<Option<RawLoad>, IngestError> {
    let mut first = None;
    read_chunked(inputs, rows, &|_| {}, cancel, &mut |raw| {
        first = Some(raw);
        Ok(false)
    })?;
    Ok(first)
}

/// Applies roles to parsed rows: coerces and validates role columns, rejects bad rows.
pub fn build_dataset(raw: &RawLoad, opts: &LoadOptions) -> Result<Dataset, IngestError> {
    build(raw, opts, false).map(|(ds, _)| ds)
}

/// Error rows kept without a group by a chunk's normalisation: (frame row, file index, line).
pub type DeferredErrors = Vec<(usize, u32, u64)>;

/// [`build_dataset`] for one chunk of a streamed read: error rows without a group are kept
/// without one and returned as (frame row, file index, line), to be attributed once every
/// chunk is read.
pub fn build_chunk(
    raw: &RawLoad,
    opts: &LoadOptions,
) -> Result<(Dataset, DeferredErrors), IngestError> {
    build(raw, opts, true)
}

fn build(
    raw: &RawLoad,
    opts: &LoadOptions,
    defer_errors: bool,
) -> Result<(Dataset, DeferredErrors), IngestError> {
    let t0 = std::time::Instant::now();
    let roles = roles::infer(&raw.table, &opts.overrides);
    let mut rejects = raw.rejects.clone();
    let norm = normalize::normalize(
        &raw.table,
        &roles,
        opts.known_groups.as_deref(),
        &raw.files,
        &mut rejects,
        defer_errors,
    )?;
    timing("normalize", t0);
    let pending = norm.pending;
    let ds = Dataset {
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
    };
    Ok((ds, pending))
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
