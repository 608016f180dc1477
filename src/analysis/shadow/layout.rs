//! How a shadow log is laid out, and its two sides as columns: two records per request id
//! (told apart by a `mode`/`shadow` field or by the model name), or one record carrying the
//! challenger's output in a nested object or prefixed fields (`shadow.score`,
//! `shadow_score`, `challenger.score`, ...). Pairs come from a sort-merge join of hashed
//! request ids: no per-row maps.

use crate::ingest::table::{parse_number, RawColumn, RawData, RawTable};
use crate::ingest::{Role, Roles};
use polars::prelude::*;
use std::hash::BuildHasher;

pub use crate::report::shadow::Layout;

/// One side's values per pair (or per record, for the per-model summaries).
#[derive(Debug, Clone, Default)]
pub struct Side {
    /// Score.
    pub score: Vec<Option<f64>>,
    /// Logged decision.
    pub pred: Vec<Option<String>>,
    /// Latency (ms).
    pub latency: Vec<Option<f64>>,
    /// The model errored.
    pub error: Vec<bool>,
}

impl Side {
    fn push(&mut self, v: &SideCols, r: usize) {
        self.score.push(v.score.get(r).copied().flatten());
        self.pred.push(v.pred.get(r).cloned().flatten());
        self.latency.push(v.latency.get(r).copied().flatten());
        self.error.push(v.error.get(r).copied().unwrap_or(false));
    }
}

/// The columns of one side, per record.
#[derive(Debug, Clone, Default)]
pub struct SideCols {
    pub(crate) score: Vec<Option<f64>>,
    pub(crate) pred: Vec<Option<String>>,
    pub(crate) latency: Vec<Option<f64>>,
    pub(crate) error: Vec<bool>,
    pub(crate) model: Vec<Option<String>>,
    pub(crate) version: Vec<Option<String>>,
}

impl SideCols {
    /// The record has an output or an error: it is a request of this side.
    pub fn answered(&self, r: usize) -> bool {
        self.error.get(r).copied().unwrap_or(false)
            || self.score.get(r).is_some_and(|s| s.is_some())
            || self.pred.get(r).is_some_and(|p| p.is_some())
    }
}

/// The paired requests and what is left unpaired.
#[derive(Debug, Clone, Default)]
pub struct Paired {
    /// Request id per pair.
    pub request_id: Vec<String>,
    /// Champion side per pair.
    pub champion: Side,
    /// Challenger side per pair.
    pub challenger: Side,
    /// Time (µs) per pair (the champion's record).
    pub ts_us: Vec<Option<i64>>,
    /// Row of the champion's record per pair (for segments and inputs).
    pub row: Vec<usize>,
    /// Request ids with only the champion's side.
    pub champion_only: u64,
    /// Request ids with only the challenger's side.
    pub challenger_only: u64,
    /// Every record of each role with an output or an error (champion, challenger).
    pub records: [SideCols; 2],
    /// Which records are of each role (for the per-model summaries).
    pub record_rows: [Vec<usize>; 2],
    /// The layout found.
    pub layout: Layout,
}

/// A column's values as numbers (text parsed; null otherwise).
pub fn numbers(c: &RawColumn) -> Vec<Option<f64>> {
    match &c.data {
        RawData::Null => vec![None; c.len],
        RawData::Num {
            values, conflicts, ..
        } => {
            let mut v: Vec<Option<f64>> = values.iter().collect();
            for (r, t) in conflicts {
                v[*r] = parse_number(t);
            }
            v
        }
        RawData::Str { values, .. } => values.iter().map(|s| s.and_then(parse_number)).collect(),
    }
}

/// A column's values as text.
pub fn texts(c: &RawColumn) -> Vec<Option<String>> {
    c.to_text(&c.name)
        .iter()
        .map(|s| s.map(str::to_string))
        .collect()
}

/// Whether a value of an error column says the call failed.
fn is_error(t: &str) -> bool {
    let t = t.trim().to_ascii_lowercase();
    !(t.is_empty() || ["null", "none", "false", "0", "ok", "nan"].contains(&t.as_str()))
}

fn errors(c: Option<&RawColumn>, rows: usize) -> Vec<bool> {
    match c {
        None => vec![false; rows],
        Some(c) => texts(c)
            .into_iter()
            .map(|t| t.is_some_and(|t| is_error(&t)))
            .collect(),
    }
}

fn find<'t>(table: &'t RawTable, name: &str) -> Option<&'t RawColumn> {
    table.columns.iter().find(|c| c.name == name)
}

/// Prefixes of the challenger's fields in a one-record layout.
const SHADOW_PREFIXES: [&str; 8] = [
    "shadow.",
    "shadow_",
    "challenger.",
    "challenger_",
    "candidate.",
    "candidate_",
    "canary.",
    "canary_",
];

/// Prefixes of the champion's fields when both models have nested objects.
const CHAMPION_PREFIXES: [&str; 6] = [
    "champion.",
    "live.",
    "primary.",
    "production.",
    "control.",
    "main.",
];

/// The challenger's column for the champion's column `name`, in a one-record layout.
fn shadow_of<'t>(table: &'t RawTable, name: &str) -> Option<&'t RawColumn> {
    let base = CHAMPION_PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    SHADOW_PREFIXES
        .iter()
        .find_map(|p| find(table, &format!("{p}{base}")))
}

/// The columns of one side from role column names.
fn side_cols(cols: [Option<&RawColumn>; 6], rows: usize) -> SideCols {
    let [score, pred, latency, error, model, version] = cols;
    SideCols {
        score: score.map_or(vec![None; rows], numbers),
        pred: pred.map_or(vec![None; rows], texts),
        latency: latency.map_or(vec![None; rows], numbers),
        error: errors(error, rows),
        model: model.map_or(vec![None; rows], texts),
        version: version.map_or(vec![None; rows], texts),
    }
}

/// Hash of a request id (a fixed seed: the same log pairs the same way every run).
fn id_hash(s: &str) -> u64 {
    PlFixedStateQuality::with_seed(0x5eed).hash_one(s)
}

/// Time of each row (µs), when the log has a timestamp column.
pub fn times(table: &RawTable, roles: &Roles) -> Vec<Option<i64>> {
    match roles.get(Role::Timestamp).and_then(|n| find(table, n)) {
        Some(c) => crate::ingest::time::column_timestamps_us(c, roles.time_unit),
        None => vec![None; table.rows],
    }
}

/// What the caller decides: the champion's model name in a two-record log (None: by the
/// `mode`/`shadow` field, else the first model seen).
#[derive(Debug, Clone, Default)]
pub struct LayoutOptions {
    /// `--champion NAME`.
    pub champion: Option<String>,
}

/// Finds the layout and pairs the two sides.
pub fn pair(table: &RawTable, roles: &Roles, opts: &LayoutOptions) -> Result<Paired, String> {
    let rows = table.rows;
    let rid = roles
        .get(Role::RequestId)
        .and_then(|n| find(table, n))
        .ok_or("no request id column (name one with --column request_id=NAME)")?;
    let ids = texts(rid);
    let col = |r: Role| roles.get(r).and_then(|n| find(table, n));
    let champion_names = [
        Role::Score,
        Role::Prediction,
        Role::Latency,
        Role::Error,
        Role::Model,
        Role::Version,
    ]
    .map(|r| roles.get(r).map(str::to_string));
    let shadow_cols = champion_names
        .clone()
        .map(|n| n.and_then(|n| shadow_of(table, &n)));
    let one_record = shadow_cols[0].is_some() || shadow_cols[1].is_some();
    let ts = times(table, roles);
    if one_record {
        let a = side_cols(
            [
                Role::Score,
                Role::Prediction,
                Role::Latency,
                Role::Error,
                Role::Model,
                Role::Version,
            ]
            .map(col),
            rows,
        );
        let b = side_cols(shadow_cols, rows);
        let mut out = Paired {
            layout: Layout::OneRecord,
            ..Default::default()
        };
        for r in 0..rows {
            let (ha, hb) = (a.answered(r), b.answered(r));
            let Some(id) = ids[r].as_ref().filter(|_| ha || hb) else {
                continue;
            };
            if ha {
                out.record_rows[0].push(r);
            }
            if hb {
                out.record_rows[1].push(r);
            }
            match (ha, hb) {
                (true, true) => {
                    out.request_id.push(id.clone());
                    out.champion.push(&a, r);
                    out.challenger.push(&b, r);
                    out.ts_us.push(ts[r]);
                    out.row.push(r);
                }
                (true, false) => out.champion_only += 1,
                (false, true) => out.challenger_only += 1,
                _ => {}
            }
        }
        out.records = [a, b];
        return Ok(out);
    }
    // two records: which role is each row's?
    let both = side_cols(
        [
            Role::Score,
            Role::Prediction,
            Role::Latency,
            Role::Error,
            Role::Model,
            Role::Version,
        ]
        .map(col),
        rows,
    );
    let mode = ["mode", "shadow", "role", "traffic", "slot"]
        .iter()
        .find_map(|n| find(table, n));
    let mode_text = mode.map(texts);
    let first_model = opts
        .champion
        .clone()
        .or_else(|| (0..rows).find_map(|r| both.model[r].clone().filter(|_| both.answered(r))));
    let role_of = |r: usize| -> Option<usize> {
        if let Some(m) = mode_text.as_ref().and_then(|m| m[r].as_deref()) {
            let m = m.trim().to_ascii_lowercase();
            if ["shadow", "challenger", "candidate", "canary", "true", "1"].contains(&m.as_str()) {
                return Some(1);
            }
            if [
                "live",
                "primary",
                "champion",
                "production",
                "prod",
                "control",
                "false",
                "0",
            ]
            .contains(&m.as_str())
            {
                return Some(0);
            }
        }
        match (&both.model[r], &first_model) {
            (Some(m), Some(c)) => Some(if m == c { 0 } else { 1 }),
            _ => None,
        }
    };
    let mut keyed: [Vec<(u64, u32)>; 2] = [Vec::new(), Vec::new()];
    let mut out = Paired {
        layout: Layout::TwoRecords,
        ..Default::default()
    };
    for (r, id) in ids.iter().enumerate() {
        if !both.answered(r) {
            continue;
        }
        let (Some(id), Some(side)) = (id.as_deref(), role_of(r)) else {
            continue;
        };
        keyed[side].push((id_hash(id), r as u32));
        out.record_rows[side].push(r);
    }
    // sort-merge join on the hashed ids (the first record of a role wins a duplicate)
    for k in &mut keyed {
        k.sort_unstable();
        k.dedup_by_key(|x| x.0);
    }
    let (ka, kb) = (&keyed[0], &keyed[1]);
    let (mut i, mut j) = (0, 0);
    while i < ka.len() || j < kb.len() {
        let a = ka.get(i).map(|x| x.0);
        let b = kb.get(j).map(|x| x.0);
        match (a, b) {
            (Some(x), Some(y)) if x == y => {
                let (ra, rb) = (ka[i].1 as usize, kb[j].1 as usize);
                out.request_id.push(ids[ra].clone().unwrap_or_default());
                out.champion.push(&both, ra);
                out.challenger.push(&both, rb);
                out.ts_us.push(ts[ra]);
                out.row.push(ra);
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                out.champion_only += 1;
                i += 1;
            }
            (Some(_), None) => {
                out.champion_only += 1;
                i += 1;
            }
            _ => {
                out.challenger_only += 1;
                j += 1;
            }
        }
    }
    out.records = [both.clone(), both];
    Ok(out)
}
