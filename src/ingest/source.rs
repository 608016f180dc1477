//! Input files: glob expansion, format detection (extension and content), gzip, and
//! reading text in line-aligned blocks.

use super::error::IngestError;
use flate2::read::MultiGzDecoder;
use serde::Serialize;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// A log format Verdict reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Comma/tab/semicolon separated with a header line.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Pipe-delimited `ab_event|key=value|...` application logs.
    Applog,
    /// One JSON array of objects (`pandas.to_json(orient="records")`).
    JsonArray,
}

impl Format {
    /// Lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Applog => "applog",
            Format::JsonArray => "json",
        }
    }
}

/// A file to read, with what was found out about it.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as given or expanded.
    pub path: PathBuf,
    /// Detected format.
    pub format: Format,
    /// Gzip-compressed.
    pub gzip: bool,
}

/// Expands globs and folders into files, in a stable order.
pub fn expand_inputs(inputs: &[String]) -> Result<Vec<PathBuf>, IngestError> {
    let mut out = Vec::new();
    for input in inputs {
        let has_glob = input.contains(['*', '?', '[']);
        if has_glob {
            let paths = glob::glob(input).map_err(|e| IngestError::Unreadable {
                file: input.clone(),
                problem: format!("bad glob pattern: {e}"),
            })?;
            let mut found: Vec<PathBuf> = paths
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            if found.is_empty() {
                return Err(IngestError::Unreadable {
                    file: input.clone(),
                    problem: "no file matches this pattern".into(),
                });
            }
            found.sort();
            out.extend(found);
        } else {
            let p = PathBuf::from(input);
            if p.is_dir() {
                let mut found: Vec<PathBuf> = std::fs::read_dir(&p)
                    .map_err(|e| IngestError::io(&p, &e))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file() && guess_from_extension(p).is_some())
                    .collect();
                if found.is_empty() {
                    return Err(IngestError::Unreadable {
                        file: input.clone(),
                        problem: "folder holds no log files (.jsonl, .csv, .parquet, .log)".into(),
                    });
                }
                found.sort();
                out.extend(found);
            } else {
                out.push(p);
            }
        }
    }
    if out.is_empty() {
        return Err(IngestError::NoInput);
    }
    Ok(out)
}

fn strip_gz(path: &Path) -> (String, bool) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match name.strip_suffix(".gz") {
        Some(inner) => (inner.to_string(), true),
        None => (name, false),
    }
}

/// The format an extension suggests, if any.
pub fn guess_from_extension(path: &Path) -> Option<Format> {
    let (name, _) = strip_gz(path);
    let ext = name.rsplit('.').next().unwrap_or("");
    match ext {
        "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
        "csv" | "tsv" => Some(Format::Csv),
        "parquet" | "pq" => Some(Format::Parquet),
        "log" | "txt" => Some(Format::Applog),
        _ => None,
    }
}

/// Opens a file read-only, decompressing gzip when the content says so.
pub fn open_text(path: &Path, gzip: bool) -> Result<Box<dyn Read + Send>, IngestError> {
    let f = File::open(path).map_err(|e| IngestError::io(path, &e))?;
    if gzip {
        Ok(Box::new(MultiGzDecoder::new(BufReader::with_capacity(
            1 << 20,
            f,
        ))))
    } else {
        Ok(Box::new(f))
    }
}

/// Inspects a file: existence, emptiness, gzip and binary content, and its format.
pub fn detect(path: &Path) -> Result<Source, IngestError> {
    let meta = std::fs::metadata(path).map_err(|e| IngestError::io(path, &e))?;
    if meta.is_dir() {
        return Err(IngestError::unreadable(path, "is a folder, not a file"));
    }
    let mut head = [0u8; 4];
    let n = {
        let mut f = File::open(path).map_err(|e| IngestError::io(path, &e))?;
        read_up_to(&mut f, &mut head).map_err(|e| IngestError::io(path, &e))?
    };
    if n == 0 {
        return Err(IngestError::unreadable(path, "file is empty"));
    }
    if &head[..n.min(4)] == b"PAR1" {
        return Ok(Source {
            path: path.to_path_buf(),
            format: Format::Parquet,
            gzip: false,
        });
    }
    let gzip = n >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    let mut sample = vec![0u8; 256 * 1024];
    let got = {
        let mut r = open_text(path, gzip)?;
        read_up_to(&mut r, &mut sample).map_err(|e| IngestError::Unreadable {
            file: path.display().to_string(),
            problem: format!("cannot decompress: {e}"),
        })?
    };
    sample.truncate(got);
    if sample.is_empty() {
        return Err(IngestError::unreadable(path, "file is empty"));
    }
    if looks_binary(&sample) {
        return Err(IngestError::unreadable(
            path,
            "binary content, not a text log (expected JSON lines, CSV, Parquet or an app log)",
        ));
    }
    let text = String::from_utf8_lossy(&sample);
    let format = sniff_text(&text)
        .or_else(|| guess_from_extension(path).filter(|f| *f != Format::Parquet))
        .ok_or_else(|| {
            IngestError::unreadable(
                path,
                "cannot recognise the format (expected JSON lines, CSV with a header, Parquet or ab_event app-log lines)",
            )
        })?;
    Ok(Source {
        path: path.to_path_buf(),
        format,
        gzip,
    })
}

fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn looks_binary(sample: &[u8]) -> bool {
    if sample.contains(&0) {
        return true;
    }
    let checked = &sample[..sample.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(checked);
    let bad = text
        .chars()
        .filter(|&c| c == '\u{fffd}' || (c.is_control() && !c.is_whitespace()))
        .count();
    bad * 20 > text.chars().count().max(1)
}

/// Decides the format from the first lines of text, when the content is unambiguous.
pub fn sniff_text(text: &str) -> Option<Format> {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}').trim())
        .filter(|l| !l.is_empty())
        .take(200)
        .collect();
    if lines.is_empty() {
        return None;
    }
    if lines[0].starts_with('[')
        && (lines[0].len() == 1
            || lines[0][1..].trim_start().starts_with(['{', ']'])
            || lines.get(1).is_some_and(|l| l.starts_with('{')))
    {
        return Some(Format::JsonArray);
    }
    let json = lines.iter().filter(|l| l.starts_with('{')).count();
    if json * 2 >= lines.len() {
        return Some(Format::Jsonl);
    }
    let events = lines
        .iter()
        .filter(|l| {
            super::applog::EVENT_TAGS
                .iter()
                .any(|t| l.contains(&format!("{t}|")))
        })
        .count();
    if events > 0 {
        return Some(Format::Applog);
    }
    let first = lines[0];
    let delim = super::csv::sniff_delimiter(first) as char;
    let fields = first.split(delim).count();
    if fields >= 2
        && lines
            .iter()
            .skip(1)
            .take(20)
            .all(|l| l.split(delim).count() >= fields.min(2))
    {
        return Some(Format::Csv);
    }
    None
}

/// Calls `f(block, first_line)` for consecutive blocks of about `block_size` bytes, each
/// ending at a line end (outside quotes when `quote_aware`). `first_line` is 1-based.
/// Stops early and returns `Ok(false)` when `f` returns false.
pub fn for_each_block(
    mut reader: Box<dyn Read + Send>,
    block_size: usize,
    quote_aware: bool,
    mut f: impl FnMut(Vec<u8>, u64, u64) -> bool,
) -> std::io::Result<bool> {
    let mut carry: Vec<u8> = Vec::new();
    let mut line = 1u64;
    let mut bytes_read = 0u64;
    let mut eof = false;
    while !eof {
        let mut buf = std::mem::take(&mut carry);
        let start = buf.len();
        buf.resize(start + block_size, 0);
        let mut filled = start;
        while filled < buf.len() {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(k) => filled += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        bytes_read += (filled - start) as u64;
        buf.truncate(filled);
        if buf.is_empty() {
            break;
        }
        let cut = if eof {
            buf.len()
        } else {
            match last_record_end(&buf, quote_aware) {
                Some(p) => p + 1,
                None => {
                    // no line end in a whole block: keep reading into a bigger buffer
                    carry = buf;
                    continue;
                }
            }
        };
        carry = buf.split_off(cut);
        let lines_here = memchr::memchr_iter(b'\n', &buf).count() as u64;
        if !f(buf, line, bytes_read) {
            return Ok(false);
        }
        line += lines_here;
    }
    Ok(true)
}

fn last_record_end(buf: &[u8], quote_aware: bool) -> Option<usize> {
    if !quote_aware {
        return memchr::memrchr(b'\n', buf);
    }
    let mut in_quotes = false;
    let mut last = None;
    for i in memchr::memchr2_iter(b'"', b'\n', buf) {
        if buf[i] == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            last = Some(i);
        }
    }
    last
}
