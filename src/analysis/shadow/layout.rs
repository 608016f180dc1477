//! How a shadow log is laid out, and its two sides as columns: two records per request id
//! (told apart by a `mode`/`shadow` field or by the model name), or one record carrying the
//! challenger's output in a nested object or prefixed fields (`shadow.score`,
//! `shadow_score`, `challenger.score`, ...). Pairs are (champion row, challenger row) from a
//! sort-merge join of hashed request ids: no per-row maps, no per-row strings — text
//! columns are dictionary codes.

use crate::analysis::columns::NO_CODE;
use crate::ingest::table::{parse_number, RawColumn, RawData, RawTable};
use crate::ingest::{Role, Roles};
use polars::prelude::*;
use std::hash::BuildHasher;

pub use super::dict::Dict;
pub use crate::report::shadow::Layout;

/// The columns of one side, per record.
#[derive(Debug, Clone, Default)]
pub struct SideCols {
    /// Score (NaN: none).
    pub score: Vec<f64>,
    /// Logged decision (code in the decision dictionary).
    pub pred: Vec<u32>,
    /// Latency in ms (NaN: none).
    pub latency: Vec<f64>,
    /// The model errored.
    pub error: Vec<bool>,
    /// Model name (code in the names dictionary).
    pub model: Vec<u32>,
    /// Model version (code in the names dictionary).
    pub version: Vec<u32>,
}

impl SideCols {
    /// The record has an output or an error: it is a request of this side.
    pub fn answered(&self, r: usize) -> bool {
        self.error[r] || !self.score[r].is_nan() || self.pred[r] != NO_CODE
    }
}

/// The paired requests and what is left unpaired.
#[derive(Debug, Clone, Default)]
pub struct Paired {
    /// The layout found.
    pub layout: Layout,
    /// Request ids (text, per row).
    pub ids: StringChunked,
    /// The columns: one set in a two-record log, the champion's and the challenger's in a
    /// one-record log.
    pub sides: Vec<SideCols>,
    /// Which columns each role reads (champion, challenger).
    pub side_of: [usize; 2],
    /// (champion row, challenger row) per pair.
    pub pairs: Vec<(u32, u32)>,
    /// Time (µs) per row.
    pub ts: Vec<Option<i64>>,
    /// Request ids with only the champion's side.
    pub champion_only: u64,
    /// Request ids with only the challenger's side.
    pub challenger_only: u64,
    /// Rows of each role with an output or an error (for the per-model summaries).
    pub record_rows: [Vec<u32>; 2],
    /// Decisions' texts.
    pub decisions: Dict,
    /// Model names' and versions' texts.
    pub names: Dict,
}

impl Paired {
    /// The row of side `s` (0 champion, 1 challenger) of pair `i`.
    pub fn row(&self, s: usize, i: usize) -> usize {
        (if s == 0 {
            self.pairs[i].0
        } else {
            self.pairs[i].1
        }) as usize
    }

    /// The columns role `s` reads.
    pub fn side(&self, s: usize) -> &SideCols {
        &self.sides[self.side_of[s]]
    }

    /// Score of side `s` in pair `i`.
    pub fn score(&self, s: usize, i: usize) -> Option<f64> {
        let x = self.side(s).score[self.row(s, i)];
        (!x.is_nan()).then_some(x)
    }

    /// Latency of side `s` in pair `i`.
    pub fn latency(&self, s: usize, i: usize) -> Option<f64> {
        let x = self.side(s).latency[self.row(s, i)];
        (!x.is_nan()).then_some(x)
    }

    /// Whether side `s` errored in pair `i`.
    pub fn error(&self, s: usize, i: usize) -> bool {
        self.side(s).error[self.row(s, i)]
    }

    /// Logged decision code of side `s` in pair `i`.
    pub fn pred(&self, s: usize, i: usize) -> u32 {
        self.side(s).pred[self.row(s, i)]
    }

    /// Request id of pair `i`.
    pub fn id(&self, i: usize) -> &str {
        self.ids.get(self.row(0, i)).unwrap_or("")
    }
}

/// A column's values as numbers, NaN where missing (text parsed). 8 bytes a row: these
/// columns have as many rows as the log.
pub fn numbers(c: &RawColumn) -> Vec<f64> {
    match &c.data {
        RawData::Null => vec![f64::NAN; c.len],
        RawData::Num {
            values, conflicts, ..
        } => {
            let mut v: Vec<f64> = Vec::with_capacity(c.len);
            for arr in values.downcast_iter() {
                match arr.validity() {
                    None => v.extend_from_slice(arr.values()),
                    Some(valid) => {
                        v.extend(arr.values().iter().zip(valid.iter()).map(|(x, ok)| {
                            if ok {
                                *x
                            } else {
                                f64::NAN
                            }
                        }))
                    }
                }
            }
            for (r, t) in conflicts {
                v[*r] = parse_number(t).unwrap_or(f64::NAN);
            }
            v
        }
        RawData::Str { values, .. } => values
            .iter()
            .map(|s| s.and_then(parse_number).unwrap_or(f64::NAN))
            .collect(),
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
    let t = t.trim();
    !(t.is_empty()
        || ["null", "none", "false", "0", "ok", "nan"]
            .iter()
            .any(|w| t.eq_ignore_ascii_case(w)))
}

fn errors(c: Option<&RawColumn>, rows: usize) -> Vec<bool> {
    match c {
        None => vec![false; rows],
        Some(c) => match &c.data {
            RawData::Num { values, .. } => {
                values.iter().map(|v| v.is_some_and(|x| x != 0.0)).collect()
            }
            _ => c
                .to_text(&c.name)
                .iter()
                .map(|t| t.is_some_and(is_error))
                .collect(),
        },
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

/// The columns of one side: [score, prediction, latency, error, model, version].
fn side_cols(
    cols: [Option<&RawColumn>; 6],
    rows: usize,
    decisions: &mut Dict,
    names: &mut Dict,
) -> SideCols {
    let [score, pred, latency, error, model, version] = cols;
    let t = |what: &str, t0: std::time::Instant| crate::ingest::timing(what, t0);
    let t0 = std::time::Instant::now();
    let score = score.map_or(vec![f64::NAN; rows], numbers);
    t("sides/score", t0);
    let t0 = std::time::Instant::now();
    let pred = decisions.encode(pred, rows);
    t("sides/pred", t0);
    let t0 = std::time::Instant::now();
    let latency = latency.map_or(vec![f64::NAN; rows], numbers);
    let error = errors(error, rows);
    t("sides/latency+error", t0);
    let t0 = std::time::Instant::now();
    let model = names.encode(model, rows);
    let version = names.encode(version, rows);
    t("sides/model+version", t0);
    SideCols {
        score,
        pred,
        latency,
        error,
        model,
        version,
    }
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

/// Why a log cannot be paired.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// No column plays the request id.
    #[error("no request id column (name one with --column request_id=NAME)")]
    NoRequestId,
}

/// Finds the layout and pairs the two sides.
pub fn pair(table: &RawTable, roles: &Roles, opts: &LayoutOptions) -> Result<Paired, LayoutError> {
    let rid = roles
        .get(Role::RequestId)
        .and_then(|n| find(table, n))
        .ok_or(LayoutError::NoRequestId)?;
    let t0 = std::time::Instant::now();
    let ids = rid.to_text(&rid.name).rechunk().into_owned();
    crate::ingest::timing("shadow/ids", t0);
    let col = |r: Role| roles.get(r).and_then(|n| find(table, n));
    let role_cols = [
        Role::Score,
        Role::Prediction,
        Role::Latency,
        Role::Error,
        Role::Model,
        Role::Version,
    ];
    let shadow_cols = role_cols.map(|r| roles.get(r).and_then(|n| shadow_of(table, n)));
    // the timestamps parse on their own thread while the sides are read and joined
    std::thread::scope(|scope| {
        let ts = std::thread::Builder::new()
            .name("verdict-shadow-times".into())
            .spawn_scoped(scope, || times(table, roles));
        let mut out = pair_sides(table, opts, ids, role_cols.map(col), shadow_cols);
        out.ts = match ts {
            Ok(h) => h.join().unwrap_or_else(|_| times(table, roles)),
            Err(_) => times(table, roles),
        };
        Ok(out)
    })
}

/// The hash of every row's request id (a fixed seed: the same log pairs the same way).
fn id_hashes(ids: &StringChunked) -> Vec<Option<u64>> {
    let state = PlFixedStateQuality::with_seed(0x5eed);
    ids.iter()
        .map(|id| id.map(|id| state.hash_one(id)))
        .collect()
}

/// Reads both sides and pairs them (everything but the timestamps).
fn pair_sides(
    table: &RawTable,
    opts: &LayoutOptions,
    ids: StringChunked,
    champion_cols: [Option<&RawColumn>; 6],
    shadow_cols: [Option<&RawColumn>; 6],
) -> Paired {
    let rows = table.rows;
    let one_record = shadow_cols[0].is_some() || shadow_cols[1].is_some();
    let mut out = Paired::default();
    let (mut decisions, mut names) = (Dict::default(), Dict::default());
    if one_record {
        let a = side_cols(champion_cols, rows, &mut decisions, &mut names);
        let b = side_cols(shadow_cols, rows, &mut decisions, &mut names);
        out.layout = Layout::OneRecord;
        for (r, id) in ids.iter().enumerate() {
            let (ha, hb) = (a.answered(r), b.answered(r));
            if id.is_none() || !(ha || hb) {
                continue;
            }
            if ha {
                out.record_rows[0].push(r as u32);
            }
            if hb {
                out.record_rows[1].push(r as u32);
            }
            match (ha, hb) {
                (true, true) => out.pairs.push((r as u32, r as u32)),
                (true, false) => out.champion_only += 1,
                (false, true) => out.challenger_only += 1,
                _ => {}
            }
        }
        out.sides = vec![a, b];
        out.side_of = [0, 1];
    } else {
        // two records: which role is each row's?
        let t0 = std::time::Instant::now();
        // the request ids are hashed on another thread while the sides are read
        let (both, hashes) = std::thread::scope(|scope| {
            let h = std::thread::Builder::new()
                .name("verdict-shadow-ids".into())
                .spawn_scoped(scope, || id_hashes(&ids));
            let both = side_cols(champion_cols, rows, &mut decisions, &mut names);
            let hashes = match h {
                Ok(h) => h.join().unwrap_or_else(|_| id_hashes(&ids)),
                Err(_) => id_hashes(&ids),
            };
            (both, hashes)
        });
        crate::ingest::timing("shadow/sides", t0);
        let t0 = std::time::Instant::now();
        let mut modes = Dict::default();
        let mode = modes.encode(
            ["mode", "shadow", "role", "traffic", "slot"]
                .iter()
                .find_map(|n| find(table, n)),
            rows,
        );
        let mode_role: Vec<Option<usize>> = modes
            .texts
            .iter()
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                if ["shadow", "challenger", "candidate", "canary", "true", "1"]
                    .contains(&m.as_str())
                {
                    Some(1)
                } else if [
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
                    Some(0)
                } else {
                    None
                }
            })
            .collect();
        let champion_model = match &opts.champion {
            Some(name) => Some(names.code(name)),
            None => (0..rows).find_map(|r| {
                (both.model[r] != NO_CODE && both.answered(r)).then_some(both.model[r])
            }),
        };
        let role_of = |r: usize| -> Option<usize> {
            if mode[r] != NO_CODE {
                if let Some(s) = mode_role[mode[r] as usize] {
                    return Some(s);
                }
            }
            match (both.model[r], champion_model) {
                (m, Some(c)) if m != NO_CODE => Some(if m == c { 0 } else { 1 }),
                _ => None,
            }
        };
        let mut keyed: [Vec<(u64, u32)>; 2] = [Vec::new(), Vec::new()];
        for (r, h) in hashes.iter().enumerate() {
            let Some(h) = h.filter(|_| both.answered(r)) else {
                continue;
            };
            let Some(side) = role_of(r) else { continue };
            keyed[side].push((h, r as u32));
            out.record_rows[side].push(r as u32);
        }
        crate::ingest::timing("shadow/keys", t0);
        let t0 = std::time::Instant::now();
        // sort-merge join on the hashed ids (the first record of a role wins a duplicate)
        for k in &mut keyed {
            k.sort_unstable();
            k.dedup_by_key(|x| x.0);
        }
        let (ka, kb) = (&keyed[0], &keyed[1]);
        let (mut i, mut j) = (0, 0);
        while i < ka.len() || j < kb.len() {
            match (ka.get(i), kb.get(j)) {
                (Some(a), Some(b)) if a.0 == b.0 => {
                    out.pairs.push((a.1, b.1));
                    i += 1;
                    j += 1;
                }
                (Some(a), Some(b)) if a.0 < b.0 => {
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
        // pairs in log order (of the champion's record)
        out.pairs.sort_unstable();
        crate::ingest::timing("shadow/join", t0);
        out.layout = Layout::TwoRecords;
        out.sides = vec![both];
        out.side_of = [0, 0];
    }
    out.ids = ids;
    out.decisions = decisions;
    out.names = names;
    out
}

/// Whether the log is a shadow run: shadow fields beside the champion's (one record), or a
/// role field (`mode`, `shadow`, ...) naming a shadow/challenger side (two records).
pub fn detect(table: &RawTable, roles: &Roles) -> Option<Layout> {
    let shadow_field = [Role::Score, Role::Prediction]
        .iter()
        .filter_map(|r| roles.get(*r))
        .any(|n| shadow_of(table, n).is_some());
    if shadow_field {
        return Some(Layout::OneRecord);
    }
    roles.get(Role::RequestId).and_then(|n| find(table, n))?;
    let mode = ["mode", "shadow", "role", "traffic", "slot"]
        .iter()
        .find_map(|n| find(table, n))?;
    let shadowy = mode
        .to_text(&mode.name)
        .iter()
        .take(100_000)
        .flatten()
        .any(|t| {
            ["shadow", "challenger", "candidate", "canary"]
                .iter()
                .any(|w| t.eq_ignore_ascii_case(w))
        });
    shadowy.then_some(Layout::TwoRecords)
}
