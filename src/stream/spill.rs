//! The normalised rows of files too large for memory, written once: each chunk of the input
//! goes through ingest's own normalisation (roles inferred from the first chunk of every
//! file and pinned, so every chunk reads alike) and is appended to a private temporary file as compact columns — text as
//! dictionary codes, numbers with a validity flag. The aggregate scans then read the file
//! back one chunk at a time, so memory holds a chunk and the aggregates, never the rows.

pub use super::chunk::{request_hash, Chunk, Nums, Select, NULL_CODE, NULL_TS};
use super::chunk::{write_chunk, Cursor, Encoder};
use crate::clickhouse::aggregates::{Roles, TimeUnit};
use crate::ingest::{IngestError, LoadOptions, LoadProgress, Rejects, Role};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// An error row without a group in its chunk, attributed once every chunk is read.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Chunk and row in it.
    pub chunk: u32,
    /// Row in the chunk.
    pub row: u32,
    /// User code.
    pub user: u32,
    /// Time (µs, [`NULL_TS`] when missing).
    pub ts: i64,
    /// Request id hash (0 without one).
    pub request: u64,
    /// File index and line, for the reject.
    pub file: u32,
    /// Line (row number for Parquet).
    pub line: u64,
}

/// A row's correction: (group code, found by time, dropped).
pub type Fix = (u32, bool, bool);

/// Groups given to rows after they were spilled, by (chunk, row): those found once every
/// chunk was read, and those of one analysis's re-check within its stages (reset when the
/// next analysis starts, as its stages may differ).
#[derive(Debug, Default)]
pub struct Overlay {
    /// Error rows attributed over all chunks.
    pub fixes: std::collections::BTreeMap<(u32, u32), Fix>,
    /// This analysis's corrections within stages (applied over `fixes`).
    pub stage_fixes: std::collections::BTreeMap<(u32, u32), Fix>,
    /// Whether this analysis re-checked the time-attributed rows.
    pub rechecked: bool,
    /// Error rows dropped by that re-check.
    pub dropped_in_stages: u64,
}

impl Overlay {
    /// Forgets the last analysis's re-check.
    pub fn reset_stages(&mut self) {
        self.stage_fixes.clear();
        self.rechecked = false;
        self.dropped_in_stages = 0;
    }
}

/// The spilled rows and what was learnt reading them.
pub struct Spill {
    dir: PathBuf,
    path: PathBuf,
    /// (offset, bytes, rows) of each chunk in the file.
    chunks: Vec<(u64, u64, usize)>,
    /// Group names by code.
    pub groups: Vec<String>,
    /// Model names by code.
    pub models: Vec<String>,
    /// Versions by code.
    pub versions: Vec<String>,
    /// Segment columns with their values by code.
    pub segments: Vec<(String, Vec<String>)>,
    /// Metric names (source columns).
    pub metrics: Vec<String>,
    /// Distinct users.
    pub users: usize,
    /// The roles as source column names (the same shape as a ClickHouse table's).
    pub roles: Roles,
    /// Every role's source column, as the first chunk's read found them.
    pub columns: std::collections::BTreeMap<Role, String>,
    /// Input files.
    pub files: Vec<String>,
    /// Their formats.
    pub formats: Vec<crate::ingest::Format>,
    /// Rows read, valid or not.
    pub rows_read: u64,
    /// Valid rows spilled.
    pub rows_valid: u64,
    /// Rejected rows (parse and normalisation), with examples.
    pub rejects: Rejects,
    /// Non-event app-log lines.
    pub lines_skipped: u64,
    /// Bytes of the spill file.
    pub bytes: u64,
    /// Scans of the spill so far.
    pub scans: std::sync::atomic::AtomicU64,
    /// Error rows without a group in their chunk.
    pub pending: Vec<Pending>,
    /// Groups given after spilling.
    pub overlay: std::sync::Mutex<Overlay>,
    /// Held for a whole analysis of the spill: the stage re-check in the overlay belongs
    /// to one analysis at a time (a replaced job still running finishes first).
    pub analysis: std::sync::Mutex<()>,
    /// The service's own events (the first `report::MAX_EVENTS`), with file indices.
    pub events: Vec<crate::ingest::normalize::ServiceEvent>,
    /// Service events in all.
    pub events_total: u64,
    /// The load options the read was asked for (the roles the first chunk fixed on top).
    pub load: LoadOptions,
    /// Rows of each file's first chunk (the roles, metrics and segments were inferred on
    /// them).
    pub first_rows: usize,
    /// Columns a later chunk would have made metrics or segments that the first chunk did
    /// not: not analysed (the plan can declare them).
    pub late_columns: std::collections::BTreeSet<String>,
    /// The first chunk as read and normalised, when asked for (what the window's Data view
    /// shows of a streamed log).
    pub first: Option<(
        std::sync::Arc<crate::ingest::RawLoad>,
        std::sync::Arc<crate::ingest::Dataset>,
    )>,
}

impl std::fmt::Debug for Spill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spill")
            .field("files", &self.files)
            .field("rows_valid", &self.rows_valid)
            .field("chunks", &self.chunks.len())
            .field("bytes", &self.bytes)
            .finish()
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The first chunk of every input file, as one raw table: what the roles, metrics and
/// segments of a streamed read are inferred from (a file of pre-period rows first, or of
/// events only, does not decide alone).
fn role_sample(
    inputs: &[String],
    cancel: &AtomicBool,
) -> Result<(crate::ingest::RawLoad, usize), IngestError> {
    let paths = crate::ingest::source::expand_inputs(inputs)?;
    let per_file = sample_rows_per_file(paths.len());
    let mut sample: Option<crate::ingest::RawLoad> = None;
    for (i, p) in paths.iter().enumerate() {
        let file = [p.display().to_string()];
        let Some(raw) = crate::ingest::read_first(&file, per_file, cancel)? else {
            continue;
        };
        match &mut sample {
            None => sample = Some(raw),
            Some(s) => {
                s.table.append(raw.table, i as u32);
                s.files.extend(raw.files);
                s.formats.extend(raw.formats);
            }
        }
    }
    sample
        .map(|s| (s, per_file))
        .ok_or_else(|| IngestError::Unreadable {
            file: inputs.join(", "),
            problem: "no rows".into(),
        })
}

/// Rows of each file the roles are inferred from: a chunk, shared out so that many files
/// together stay within about a million rows (at least 1,000 each).
fn sample_rows_per_file(files: usize) -> usize {
    rows_per_chunk().min((1_000_000 / files.max(1)).max(1_000))
}

/// Adds an empty column for every pinned role column a chunk lacks.
fn add_missing_columns(raw: &mut crate::ingest::RawLoad, opts: &LoadOptions) {
    let rows = raw.table.rows;
    for column in opts.overrides.columns.values() {
        if !column.is_empty() && !raw.table.columns.iter().any(|c| &c.name == column) {
            raw.table.columns.push(crate::ingest::table::RawColumn {
                name: column.clone(),
                len: rows,
                data: crate::ingest::table::RawData::Null,
            });
        }
    }
}

/// Options of a spill: rows per chunk (about; Parquet reads whole row groups).
pub fn rows_per_chunk() -> usize {
    std::env::var("VERDICT_STREAM_CHUNK_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(1_000_000)
}

impl Spill {
    /// Reads `inputs` chunk by chunk through ingest's normalisation with `load`'s roles and
    /// spills the normalised rows to a private temporary folder (removed when dropped);
    /// with `keep_first`, the first chunk is kept as read ([`Spill::first`]).
    pub fn write(
        inputs: &[String],
        load: &LoadOptions,
        keep_first: bool,
        progress: &(dyn Fn(LoadProgress) + Sync),
        cancel: &AtomicBool,
    ) -> Result<Spill, IngestError> {
        let dir =
            crate::private_dir::create("verdict-stream").map_err(|e| IngestError::Unreadable {
                file: inputs.join(", "),
                problem: format!("cannot create a temporary folder for the streamed rows: {e}"),
            })?;
        let path = dir.join("rows.bin");
        let mut spill = Spill {
            dir: dir.clone(),
            path: path.clone(),
            chunks: Vec::new(),
            groups: Vec::new(),
            models: Vec::new(),
            versions: Vec::new(),
            segments: Vec::new(),
            metrics: Vec::new(),
            users: 0,
            roles: Roles::default(),
            columns: Default::default(),
            files: Vec::new(),
            formats: Vec::new(),
            rows_read: 0,
            rows_valid: 0,
            rejects: Rejects::default(),
            lines_skipped: 0,
            bytes: 0,
            scans: Default::default(),
            pending: Vec::new(),
            overlay: Default::default(),
            analysis: Default::default(),
            events: Vec::new(),
            events_total: 0,
            load: load.clone(),
            first_rows: 0,
            late_columns: Default::default(),
            first: None,
        };
        let write_error = |e: std::io::Error| IngestError::Unreadable {
            file: path.display().to_string(),
            problem: format!("cannot write the streamed rows: {e}"),
        };
        let file = std::fs::File::create(&path).map_err(write_error)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut opts = load.clone();
        // the roles, metrics and segments: inferred once, from the first chunk of every file,
        // and pinned for every chunk
        let (sample, per_file) = role_sample(inputs, cancel)?;
        spill.first_rows = per_file;
        let (ds0, _) = crate::ingest::build_chunk(&sample, &opts)?;
        drop(sample);
        for (role, column) in &ds0.roles.columns {
            opts.overrides
                .columns
                .entry(*role)
                .or_insert_with(|| column.clone());
        }
        // a role the sample did not show stays absent (an empty name clears it)
        for role in Role::ALL {
            opts.overrides.columns.entry(role).or_default();
        }
        // declared metrics and segments stay, even when the sample lacks their column
        let metrics: Vec<String> = match &load.overrides.metrics {
            Some(m) => m.clone(),
            None => ds0.metrics.iter().map(|m| m.name.clone()).collect(),
        };
        let segments: Vec<String> = match &load.overrides.segments {
            Some(s) => s.clone(),
            None => ds0.segments.clone(),
        };
        opts.overrides.metrics = Some(metrics.clone());
        opts.overrides.segments = Some(segments.clone());
        spill.metrics = metrics;
        spill.segments = segments.iter().map(|s| (s.clone(), vec![])).collect();
        let mut encoder = Encoder::new(&segments);
        spill.columns = ds0.roles.columns.clone();
        let get = |r: Role| ds0.roles.get(r).map(str::to_string);
        spill.roles = Roles {
            group: get(Role::Group).unwrap_or_default(),
            user: get(Role::UserId),
            timestamp: get(Role::Timestamp),
            time_unit: TimeUnit::Micros,
            latency: get(Role::Latency),
            error: get(Role::Error),
            model: get(Role::Model),
            version: get(Role::Version),
            score: get(Role::Score),
            label: get(Role::Label),
            metrics: spill.metrics.clone(),
            segments: spill.segments.iter().map(|(s, _)| s.clone()).collect(),
        };
        drop(ds0);
        let mut first = true;
        let mut first_chunk = None;
        let mut offset = 0u64;
        let t_spill = std::time::Instant::now();
        let read = crate::ingest::read_chunked(
            inputs,
            rows_per_chunk(),
            progress,
            cancel,
            &mut |mut raw| {
                // a pinned role column this chunk lacks reads as missing here (as in
                // memory, where the column spans every row)
                add_missing_columns(&mut raw, &opts);
                {
                    // a role, metric or segment the sample did not show is not analysed:
                    // said in the report
                    let late = crate::ingest::roles::infer(&raw.table, &load.overrides);
                    for (role, column) in &late.columns {
                        if !spill.columns.contains_key(role) {
                            spill.late_columns.insert(format!("{column} (as {role})"));
                        }
                    }
                    for m in late
                        .metrics
                        .iter()
                        .filter(|_| load.overrides.metrics.is_none())
                    {
                        if !spill.metrics.contains(m) {
                            spill.late_columns.insert(m.clone());
                        }
                    }
                    for s in late
                        .segments
                        .iter()
                        .filter(|_| load.overrides.segments.is_none())
                    {
                        if !spill.segments.iter().any(|(n, _)| n == s) {
                            spill.late_columns.insert(s.clone());
                        }
                    }
                }
                let (ds, pending) = crate::ingest::build_chunk(&raw, &opts)?;
                let chunk_index = spill.chunks.len() as u32;
                spill.rejects.merge(ds.rejects.clone());
                spill.events_total += ds.events.len() as u64;
                let room = crate::report::MAX_EVENTS.saturating_sub(spill.events.len());
                spill.events.extend(ds.events.iter().take(room).cloned());
                let chunk = encoder.encode(&ds.frame, &spill.metrics);
                for (row, file, line) in pending {
                    spill.pending.push(Pending {
                        chunk: chunk_index,
                        row: row as u32,
                        user: chunk.user[row],
                        ts: chunk.ts[row],
                        request: chunk.request[row],
                        file,
                        line,
                    });
                }
                let rows = chunk.rows;
                if keep_first && first {
                    first_chunk = Some((std::sync::Arc::new(raw), std::sync::Arc::new(ds)));
                } else {
                    drop(ds);
                }
                first = false;
                let bytes = write_chunk(&mut out, &chunk).map_err(write_error)?;
                spill.chunks.push((offset, bytes, rows));
                offset += bytes;
                spill.rows_valid += rows as u64;
                Ok(true)
            },
        )?;
        out.flush().map_err(write_error)?;
        crate::ingest::timing("stream spill", t_spill);
        if spill.rows_valid == 0 {
            return Err(IngestError::Unreadable {
                file: read.files.join(", "),
                problem: "no valid rows".into(),
            });
        }
        let dicts = encoder.finish();
        spill.groups = dicts.groups;
        spill.models = dicts.models;
        spill.versions = dicts.versions;
        for ((_, values), names) in spill.segments.iter_mut().zip(dicts.segments) {
            *values = names;
        }
        spill.users = dicts.users;
        spill.rows_read = read.rows + read.rejects.total();
        spill.rejects.merge(read.rejects);
        spill.lines_skipped = read.lines_skipped;
        spill.files = read.files;
        spill.formats = read.formats;
        spill.bytes = offset;
        spill.first = first_chunk;
        super::attribution::attribute_pending(&mut spill).map_err(|e| IngestError::Unreadable {
            file: spill.shown(),
            problem: format!("cannot read the streamed rows back: {e}"),
        })?;
        Ok(spill)
    }

    /// Reads chunk `i`.
    fn read_chunk(&self, file: &mut std::fs::File, i: usize) -> std::io::Result<Chunk> {
        let (offset, bytes, rows) = self.chunks[i];
        file.seek(SeekFrom::Start(offset))?;
        let mut buf = vec![0u8; bytes as usize];
        file.read_exact(&mut buf)?;
        let mut c = Cursor(&buf);
        let mut chunk = Chunk {
            rows,
            group: c.take(rows, u32::from_le_bytes),
            user: c.take(rows, u32::from_le_bytes),
            ts: c.take(rows, i64::from_le_bytes),
            latency: c.nums(rows),
            error: c.take(rows, |b: [u8; 1]| b[0] != 0),
            model: c.take(rows, u32::from_le_bytes),
            version: c.take(rows, u32::from_le_bytes),
            score: c.nums(rows),
            label: c.nums(rows),
            ..Default::default()
        };
        chunk.metrics = (0..self.metrics.len()).map(|_| c.nums(rows)).collect();
        chunk.segments = (0..self.segments.len())
            .map(|_| c.take(rows, u32::from_le_bytes))
            .collect();
        chunk.request = c.take(rows, u64::from_le_bytes);
        chunk.by_time = vec![false; rows];
        chunk.dropped = vec![false; rows];
        if let Ok(overlay) = self.overlay.lock() {
            let ci = i as u32;
            for (&(_, row), &(group, by_time, dropped)) in overlay
                .fixes
                .range((ci, 0)..(ci + 1, 0))
                .chain(overlay.stage_fixes.range((ci, 0)..(ci + 1, 0)))
            {
                let r = row as usize;
                if r < rows {
                    chunk.group[r] = group;
                    chunk.by_time[r] = by_time;
                    chunk.dropped[r] = dropped;
                }
            }
        }
        Ok(chunk)
    }

    /// Calls `f` with every chunk and the indices of its rows `sel` selects.
    pub fn scan(
        &self,
        sel: &Select,
        f: &mut dyn FnMut(&Chunk, &[u32]),
    ) -> Result<(), std::io::Error> {
        let t0 = std::time::Instant::now();
        self.scans
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut file = std::fs::File::open(&self.path)?;
        let mut rows: Vec<u32> = Vec::new();
        for i in 0..self.chunks.len() {
            let chunk = self.read_chunk(&mut file, i)?;
            rows.clear();
            rows.extend((0..chunk.rows as u32).filter(|&r| sel.keeps(&chunk, r as usize)));
            f(&chunk, &rows);
        }
        crate::ingest::timing("stream scan", t0);
        Ok(())
    }

    /// Where the rows are spilled (for messages).
    pub fn shown(&self) -> String {
        self.files.join(", ")
    }
}
