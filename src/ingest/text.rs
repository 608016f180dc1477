//! Text formats (JSON lines, CSV, app logs, and their `.gz`): a reader thread cuts the file
//! into line-aligned blocks, parser threads turn each block into polars columns, and the
//! blocks are appended in file order. Bad lines are rejected with file and line.

use super::applog;
use super::csv;
use super::error::IngestError;
use super::jsonl;
use super::rejects::{Reason, Rejects};
use super::source::{self, Format, Source};
use super::table::{self, RawTable, TableBuilder};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// A CSV header: column names and the delimiter.
type CsvHeader = (Vec<String>, u8);

/// Size of the blocks handed to parser threads.
const BLOCK_BYTES: usize = 8 << 20;

struct Job {
    seq: usize,
    bytes: Vec<u8>,
    first_line: u64,
}

struct Parsed {
    seq: usize,
    table: RawTable,
    rejects: Rejects,
    skipped: u64,
}

fn parser_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8)
}

#[allow(clippy::too_many_arguments)]
/// Reads one text file (JSON lines, CSV, app log; gzip or not) in line-aligned blocks
/// parsed on worker threads, in file order; rows start after `rows_before`.
pub fn read_text(
    src: &Source,
    file_id: u32,
    rows_before: u64,
    rejects: &mut Rejects,
    skipped: &mut u64,
    report: &(dyn Fn(u64, u64) + Sync),
    cancel: &AtomicBool,
) -> Result<RawTable, IngestError> {
    let mut out = RawTable::empty();
    read_text_blocks(
        src,
        file_id,
        rows_before,
        rejects,
        skipped,
        report,
        cancel,
        &mut |block| {
            out.append(block, file_id);
            true
        },
    )?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
/// [`read_text`] handing each parsed block, in file order, to `sink` instead of keeping
/// them (a streamed read: memory holds the blocks in flight only); `sink` returns false to
/// stop reading.
pub fn read_text_blocks(
    src: &Source,
    file_id: u32,
    rows_before: u64,
    rejects: &mut Rejects,
    skipped: &mut u64,
    report: &(dyn Fn(u64, u64) + Sync),
    cancel: &AtomicBool,
    sink: &mut dyn FnMut(RawTable) -> bool,
) -> Result<(), IngestError> {
    let reader = source::open_text(&src.path, src.gzip)?;
    let format = src.format;
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(2);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (res_tx, res_rx) = mpsc::channel::<Parsed>();
    let header: Arc<Mutex<Option<CsvHeader>>> = Arc::new(Mutex::new(None));
    let path = src.path.clone();
    let mut rows_done = 0u64;
    let stop_flag = AtomicBool::new(false);
    let stop = &stop_flag;
    let mut io_error: Option<String> = None;
    std::thread::scope(|scope| {
        let mut workers = 0;
        for w in 0..parser_threads() {
            let job_rx = Arc::clone(&job_rx);
            let res_tx = res_tx.clone();
            let header = Arc::clone(&header);
            let spawned = std::thread::Builder::new()
                .name(format!("verdict-parse-{w}"))
                .spawn_scoped(scope, move || loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    let hdr = header.lock().ok().and_then(|h| h.clone());
                    let parsed = parse_block(format, job, file_id, hdr);
                    if res_tx.send(parsed).is_err() {
                        return;
                    }
                });
            workers += spawned.is_ok() as usize;
        }
        drop(res_tx);
        // only the workers hold the job receiver: if they stop, the reader's sends fail
        drop(job_rx);
        if workers == 0 {
            io_error = Some("cannot start a parser thread".into());
            return;
        }
        let header_w = Arc::clone(&header);
        let reader_thread = std::thread::Builder::new()
            .name("verdict-read".into())
            .spawn_scoped(scope, move || {
                let mut seq = 0usize;
                let res = source::for_each_block(
                    reader,
                    BLOCK_BYTES,
                    format == Format::Csv,
                    |mut bytes, mut first_line, _read| {
                        if cancel.load(Ordering::Relaxed) || stop.load(Ordering::Relaxed) {
                            return false;
                        }
                        if format == Format::Csv && seq == 0 {
                            let (hdr_end, skip_lines) = header_end(&bytes);
                            let text = String::from_utf8_lossy(&bytes[..hdr_end]).to_string();
                            let delim = csv::sniff_delimiter(&text);
                            if let Ok(mut h) = header_w.lock() {
                                *h = Some((csv::parse_header(&text, delim), delim));
                            }
                            bytes.drain(..hdr_end);
                            first_line += skip_lines;
                        }
                        let job = Job {
                            seq,
                            bytes,
                            first_line,
                        };
                        seq += 1;
                        job_tx.send(job).is_ok()
                    },
                );
                drop(job_tx);
                res.err().map(|e| e.to_string())
            });
        let mut pending: BTreeMap<usize, Parsed> = BTreeMap::new();
        let mut next = 0usize;
        let mut bytes_done = 0u64;
        for parsed in res_rx.iter() {
            pending.insert(parsed.seq, parsed);
            while let Some(p) = pending.remove(&next) {
                next += 1;
                bytes_done += BLOCK_BYTES as u64;
                rejects.merge(p.rejects);
                *skipped += p.skipped;
                rows_done += p.table.rows as u64;
                if !stop.load(Ordering::Relaxed) && !sink(p.table) {
                    stop.store(true, Ordering::Relaxed);
                }
                report(bytes_done, rows_before + rows_done);
            }
        }
        io_error = match reader_thread {
            Ok(h) => h.join().ok().flatten(),
            Err(e) => Some(format!("cannot start the reader thread: {e}")),
        };
    });
    if cancel.load(Ordering::Relaxed) {
        return Err(IngestError::Cancelled);
    }
    if let Some(e) = io_error {
        return Err(IngestError::Unreadable {
            file: path.display().to_string(),
            problem: format!("read failed: {e}"),
        });
    }
    if format == Format::Csv
        && header.lock().ok().and_then(|h| h.clone()).is_none_or(|h| {
            // one column is fine when its header is a name, not a value
            h.0.is_empty()
                || (h.0.len() == 1 && (h.0[0].is_empty() || table::parse_number(&h.0[0]).is_some()))
        })
    {
        return Err(IngestError::unreadable(
            &path,
            "CSV has no header line with column names",
        ));
    }
    Ok(())
}

/// End (exclusive) of the CSV header: the first non-blank line; also how many lines it spans.
fn header_end(bytes: &[u8]) -> (usize, u64) {
    let mut start = 0;
    let mut lines = 0;
    while let Some(p) = memchr::memchr(b'\n', &bytes[start..]) {
        lines += 1;
        let line = &bytes[start..start + p];
        if !line.iter().all(u8::is_ascii_whitespace) {
            return (start + p + 1, lines);
        }
        start += p + 1;
    }
    (bytes.len(), lines + 1)
}

fn parse_block(
    format: Format,
    job: Job,
    file_id: u32,
    header: Option<(Vec<String>, u8)>,
) -> Parsed {
    let mut table = TableBuilder::new();
    let mut rejects = Rejects::default();
    let mut skipped = 0u64;
    match format {
        Format::Csv => {
            if let Some((h, d)) = header {
                csv::parse_block(
                    &job.bytes,
                    job.first_line,
                    &h,
                    d,
                    file_id,
                    &mut table,
                    &mut rejects,
                );
            }
        }
        Format::Jsonl | Format::Applog => {
            let mut cells = Vec::new();
            let mut pieces = job.bytes.split(|&b| b == b'\n').peekable();
            let mut line = job.first_line;
            while let Some(raw) = pieces.next() {
                if pieces.peek().is_none() && raw.is_empty() {
                    break;
                }
                let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                let raw = if line == 1 {
                    raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw)
                } else {
                    raw
                };
                let text = match std::str::from_utf8(raw) {
                    Ok(t) => t,
                    Err(_) => {
                        if format == Format::Jsonl {
                            rejects.add(
                                file_id,
                                line,
                                Reason::InvalidJson,
                                "line is not valid UTF-8".into(),
                            );
                        } else {
                            skipped += 1;
                        }
                        line += 1;
                        continue;
                    }
                };
                if format == Format::Jsonl {
                    match jsonl::parse_line(text, &mut cells) {
                        Ok(()) => table.push_row(line, &cells),
                        Err((reason, detail)) => rejects.add(file_id, line, reason, detail),
                    }
                } else {
                    match applog::parse_line(text, &mut cells) {
                        Ok(applog::LineKind::Event) => table.push_row(line, &cells),
                        Ok(applog::LineKind::Skipped) => skipped += 1,
                        Err((reason, detail)) => rejects.add(file_id, line, reason, detail),
                    }
                }
                line += 1;
            }
        }
        Format::Parquet | Format::JsonArray => {}
    }
    Parsed {
        seq: job.seq,
        table: table.finish(),
        rejects,
        skipped,
    }
}
