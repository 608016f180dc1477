//! The format of a spilled chunk: its columns (dictionary codes for text, numbers with a
//! validity flag, times with a null marker), how a chunk is written and read back, and which
//! rows of it a scan selects.

use polars::prelude::*;
use std::collections::HashMap;
use std::io::Write;

/// A missing text value's code.
pub const NULL_CODE: u32 = u32::MAX;
/// A missing timestamp.
pub const NULL_TS: i64 = i64::MIN;

/// A column of numbers with a validity flag per row.
#[derive(Debug, Default, Clone)]
pub struct Nums {
    /// Values (0 where missing).
    pub v: Vec<f64>,
    /// Whether each row has a value.
    pub ok: Vec<bool>,
}

impl Nums {
    /// The value of row `i`, if any.
    #[inline]
    pub fn get(&self, i: usize) -> Option<f64> {
        match self.ok.get(i) {
            Some(true) => Some(self.v[i]),
            _ => None,
        }
    }
}

/// One chunk of normalised rows.
#[derive(Debug, Default)]
pub struct Chunk {
    /// Rows.
    pub rows: usize,
    /// Group codes (index into [`Spill::groups`]).
    pub group: Vec<u32>,
    /// User codes (dense, one per distinct user).
    pub user: Vec<u32>,
    /// Time, epoch µs ([`NULL_TS`] when missing).
    pub ts: Vec<i64>,
    /// Latency, ms.
    pub latency: Nums,
    /// Error events.
    pub error: Vec<bool>,
    /// Model codes.
    pub model: Vec<u32>,
    /// Version codes.
    pub version: Vec<u32>,
    /// Score.
    pub score: Nums,
    /// Label.
    pub label: Nums,
    /// Metrics, in [`Spill::metrics`] order.
    pub metrics: Vec<Nums>,
    /// Segment codes, in [`Spill::segments`] order.
    pub segments: Vec<Vec<u32>>,
    /// A hash of the request id (0 without one).
    pub request: Vec<u64>,
    /// Rows whose group was found by their user's nearest assignment in time (set once
    /// every chunk is read; the analysis re-checks them within their stage).
    pub by_time: Vec<bool>,
    /// Rows left out: error events no assignment could be found for.
    pub dropped: Vec<bool>,
}

/// Which rows a scan reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Select {
    /// Rows without a time or at or after this time (µs).
    pub since_us: Option<i64>,
    /// Timed rows at or after this time (µs).
    pub from_us: Option<i64>,
    /// Timed rows before this time (µs).
    pub to_us: Option<i64>,
    /// Rows without a group too (the pre-period's).
    pub ungrouped: bool,
}

impl Select {
    #[inline]
    pub(crate) fn keeps(&self, c: &Chunk, i: usize) -> bool {
        if c.dropped[i] || (!self.ungrouped && c.group[i] == NULL_CODE) {
            return false;
        }
        let t = c.ts[i];
        if let Some(s) = self.since_us {
            if t != NULL_TS && t < s {
                return false;
            }
        }
        if let Some(f) = self.from_us {
            if t == NULL_TS || t < f {
                return false;
            }
        }
        if let Some(to) = self.to_us {
            if t == NULL_TS || t >= to {
                return false;
            }
        }
        true
    }
}

/// A text dictionary: code → text and text → code.
#[derive(Debug, Default)]
pub(crate) struct Dict {
    index: HashMap<String, u32>,
    pub(crate) names: Vec<String>,
}

impl Dict {
    pub(crate) fn code(&mut self, s: Option<&str>) -> u32 {
        let Some(s) = s else { return NULL_CODE };
        if let Some(&c) = self.index.get(s) {
            return c;
        }
        let c = self.names.len() as u32;
        self.names.push(s.to_string());
        self.index.insert(s.to_string(), c);
        c
    }
}

fn put<W: Write, T: Copy, const N: usize>(
    w: &mut W,
    v: &[T],
    f: impl Fn(T) -> [u8; N],
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(v.len() * N);
    for &x in v {
        buf.extend_from_slice(&f(x));
    }
    w.write_all(&buf)
}

fn put_nums<W: Write>(w: &mut W, n: &Nums) -> std::io::Result<()> {
    put(w, &n.v, f64::to_le_bytes)?;
    put(w, &n.ok, |b| [b as u8])
}

/// Reads fixed-width values off the front of a byte slice.
pub(crate) struct Cursor<'a>(pub(crate) &'a [u8]);

impl Cursor<'_> {
    pub(crate) fn take<T, const N: usize>(&mut self, n: usize, f: impl Fn([u8; N]) -> T) -> Vec<T> {
        let (head, tail) = self.0.split_at((n * N).min(self.0.len()));
        self.0 = tail;
        head.chunks_exact(N)
            .map(|b| f(b.try_into().unwrap_or([0; N])))
            .collect()
    }
    pub(crate) fn nums(&mut self, n: usize) -> Nums {
        Nums {
            v: self.take(n, f64::from_le_bytes),
            ok: self.take(n, |b: [u8; 1]| b[0] != 0),
        }
    }
}

pub(crate) fn text_codes(frame: &DataFrame, name: &str, dict: &mut Dict) -> Vec<u32> {
    let rows = frame.height();
    let Ok(c) = frame.column(name) else {
        return vec![NULL_CODE; rows];
    };
    let Ok(s) = c.as_materialized_series().cast(&DataType::String) else {
        return vec![NULL_CODE; rows];
    };
    match s.str() {
        Ok(ca) => ca.iter().map(|v| dict.code(v)).collect(),
        Err(_) => vec![NULL_CODE; rows],
    }
}

pub(crate) fn numbers(frame: &DataFrame, name: &str) -> Nums {
    let rows = frame.height();
    let cast = frame
        .column(name)
        .ok()
        .and_then(|c| c.as_materialized_series().cast(&DataType::Float64).ok());
    match cast.as_ref().and_then(|s| s.f64().ok()) {
        Some(ca) => {
            let mut out = Nums {
                v: Vec::with_capacity(rows),
                ok: Vec::with_capacity(rows),
            };
            for v in ca.iter() {
                out.v.push(v.unwrap_or(0.0));
                out.ok.push(v.is_some());
            }
            out
        }
        None => Nums {
            v: vec![0.0; rows],
            ok: vec![false; rows],
        },
    }
}

pub(crate) fn write_chunk<W: Write>(out: &mut W, c: &Chunk) -> std::io::Result<u64> {
    let mut w = CountingWriter { inner: out, n: 0 };
    put(&mut w, &c.group, u32::to_le_bytes)?;
    put(&mut w, &c.user, u32::to_le_bytes)?;
    put(&mut w, &c.ts, i64::to_le_bytes)?;
    put_nums(&mut w, &c.latency)?;
    put(&mut w, &c.error, |b| [b as u8])?;
    put(&mut w, &c.model, u32::to_le_bytes)?;
    put(&mut w, &c.version, u32::to_le_bytes)?;
    put_nums(&mut w, &c.score)?;
    put_nums(&mut w, &c.label)?;
    for m in &c.metrics {
        put_nums(&mut w, m)?;
    }
    for s in &c.segments {
        put(&mut w, s, u32::to_le_bytes)?;
    }
    put(&mut w, &c.request, u64::to_le_bytes)?;
    Ok(w.n)
}

struct CountingWriter<'a, W: Write> {
    inner: &'a mut W,
    n: u64,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A request id's hash (never 0: 0 stands for no request id).
pub fn request_hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    h.finish().max(1)
}

/// The dictionaries of a spill once every chunk is encoded.
pub(crate) struct Dictionaries {
    pub(crate) groups: Vec<String>,
    pub(crate) models: Vec<String>,
    pub(crate) versions: Vec<String>,
    pub(crate) segments: Vec<Vec<String>>,
    pub(crate) users: usize,
}

/// Turns normalised frames into chunks, keeping one dictionary per text column across
/// chunks (users get dense codes; their names are not kept).
pub(crate) struct Encoder {
    groups: Dict,
    models: Dict,
    versions: Dict,
    segments: Vec<(String, Dict)>,
    users: HashMap<Box<str>, u32>,
}

impl Encoder {
    /// An encoder for these segment columns.
    pub(crate) fn new(segments: &[String]) -> Self {
        Encoder {
            groups: Dict::default(),
            models: Dict::default(),
            versions: Dict::default(),
            segments: segments
                .iter()
                .map(|s| (s.clone(), Dict::default()))
                .collect(),
            users: HashMap::new(),
        }
    }

    /// The chunk of a normalised frame (`metrics` in the spill's order).
    pub(crate) fn encode(&mut self, f: &DataFrame, metrics: &[String]) -> Chunk {
        use crate::ingest::normalize::{self, metric_col, segment_col};
        let rows = f.height();
        let text = |name: &str| {
            f.column(name)
                .ok()
                .and_then(|c| c.as_materialized_series().cast(&DataType::String).ok())
        };
        let users = &mut self.users;
        let user = match text(normalize::USER) {
            Some(s) => match s.str() {
                Ok(ca) => ca
                    .iter()
                    .map(|v| match v {
                        None => NULL_CODE,
                        Some(u) => {
                            let next = users.len() as u32;
                            *users.entry(u.into()).or_insert(next)
                        }
                    })
                    .collect(),
                Err(_) => vec![NULL_CODE; rows],
            },
            None => vec![NULL_CODE; rows],
        };
        let ts: Vec<i64> = match f
            .column(normalize::TS_US)
            .ok()
            .and_then(|c| c.as_materialized_series().cast(&DataType::Int64).ok())
        {
            Some(s) => s
                .i64()
                .map(|ca| ca.iter().map(|v| v.unwrap_or(NULL_TS)).collect())
                .unwrap_or_else(|_| vec![NULL_TS; rows]),
            None => vec![NULL_TS; rows],
        };
        let error: Vec<bool> = match f.column(normalize::IS_ERROR) {
            Ok(c) => c
                .as_materialized_series()
                .bool()
                .map(|ca| ca.iter().map(|v| v.unwrap_or(false)).collect())
                .unwrap_or_else(|_| vec![false; rows]),
            Err(_) => vec![false; rows],
        };
        let request: Vec<u64> = match text(normalize::REQUEST) {
            Some(s) => match s.str() {
                Ok(ca) => ca.iter().map(|v| v.map_or(0, request_hash)).collect(),
                Err(_) => vec![0; rows],
            },
            None => vec![0; rows],
        };
        Chunk {
            rows,
            request,
            by_time: Vec::new(),
            dropped: Vec::new(),
            group: text_codes(f, normalize::GROUP, &mut self.groups),
            user,
            ts,
            latency: numbers(f, normalize::LATENCY_MS),
            error,
            model: text_codes(f, normalize::MODEL, &mut self.models),
            version: text_codes(f, normalize::VERSION, &mut self.versions),
            score: numbers(f, normalize::SCORE),
            label: numbers(f, normalize::LABEL),
            metrics: metrics.iter().map(|m| numbers(f, &metric_col(m))).collect(),
            segments: self
                .segments
                .iter_mut()
                .map(|(s, d)| text_codes(f, &segment_col(s), d))
                .collect(),
        }
    }

    /// The dictionaries (the encoder is done).
    pub(crate) fn finish(self) -> Dictionaries {
        Dictionaries {
            groups: self.groups.names,
            models: self.models.names,
            versions: self.versions.names,
            segments: self.segments.into_iter().map(|(_, d)| d.names).collect(),
            users: self.users.len(),
        }
    }
}
