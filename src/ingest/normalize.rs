//! Turns a raw table into the canonical analysis frame: role columns coerced to their
//! types, error events attributed to groups, bad rows rejected with file and line.

use super::error::IngestError;
use super::rejects::{Reason, Rejects};
use super::roles::{latency_is_seconds, Role, Roles};
use super::table::{number_text, parse_number, RawColumn, RawData, RawTable};
use super::time::{epoch_to_us, parse_timestamp_us};
use polars::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// Canonical column: experiment group (String, never null).
pub const GROUP: &str = "r:group";
/// Canonical column: UTC timestamp in microseconds (Int64).
pub const TS_US: &str = "r:ts_us";
/// Canonical column: user id (String).
pub const USER: &str = "r:user";
/// Canonical column: request id (String).
pub const REQUEST: &str = "r:request_id";
/// Canonical column: model name (String).
pub const MODEL: &str = "r:model";
/// Canonical column: model version (String).
pub const VERSION: &str = "r:version";
/// Canonical column: latency in milliseconds (Float64).
pub const LATENCY_MS: &str = "r:latency_ms";
/// Canonical column: score (Float64).
pub const SCORE: &str = "r:score";
/// Canonical column: predicted class (String).
pub const PRED: &str = "r:pred";
/// Canonical column: label as 0/1 (Float64).
pub const LABEL: &str = "r:label";
/// Canonical column: the row is an error event (Boolean).
pub const IS_ERROR: &str = "r:is_error";
/// Canonical column: error text (String).
pub const ERROR: &str = "r:error";

/// Canonical name of a metric column.
pub fn metric_col(name: &str) -> String {
    format!("m:{name}")
}

/// Canonical name of a segment column.
pub fn segment_col(name: &str) -> String {
    format!("s:{name}")
}

/// How a metric is summarised and tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// 0/1 values: a rate, two-proportion z-test.
    Proportion,
    /// Other numbers: a mean, Welch t-test.
    Mean,
}

/// A metric column and its kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// Source column name.
    pub name: String,
    /// Proportion or mean.
    pub kind: MetricKind,
}

/// What normalisation produced.
pub struct Normalized {
    /// Valid rows only, canonical columns.
    pub frame: DataFrame,
    /// Metrics that have at least one value.
    pub metrics: Vec<Metric>,
    /// Segment columns kept.
    pub segments: Vec<String>,
}

struct Ctx<'a> {
    keep: Vec<bool>,
    rejects: &'a mut Rejects,
    file_ids: &'a [u32],
    lines: &'a [u64],
}

impl Ctx<'_> {
    fn reject(&mut self, row: usize, reason: Reason, detail: String) {
        if self.keep[row] {
            self.keep[row] = false;
            self.rejects.add(self.file_ids[row], self.lines[row], reason, detail);
        }
    }
}

fn find<'t>(table: &'t RawTable, name: &str) -> Option<&'t RawColumn> {
    table.columns.iter().find(|c| c.name == name)
}

/// Column values as optional strings (numbers formatted as a log writer would).
fn strings(col: &RawColumn) -> Vec<Option<String>> {
    match &col.data {
        RawData::Null => vec![None; col.len],
        RawData::Str { values, .. } => values.iter().map(|v| v.map(str::to_string)).collect(),
        RawData::Num {
            values, conflicts, ..
        } => {
            let mut out: Vec<Option<String>> = values.iter().map(|v| v.map(number_text)).collect();
            for (r, t) in conflicts {
                out[*r] = Some(t.clone());
            }
            out
        }
    }
}

fn str_series(name: &str, col: Option<&RawColumn>, rows: usize) -> StringChunked {
    match col {
        None => StringChunked::full_null(name.into(), rows),
        Some(c) => match &c.data {
            RawData::Str { values, .. } => values.clone().with_name(name.into()),
            _ => StringChunked::from_iter_options(name.into(), strings(c).into_iter()),
        },
    }
}

/// Numeric values of a role column; text that does not parse rejects the row.
fn numbers(
    col: &RawColumn,
    ctx: &mut Ctx,
    parse: impl Fn(&str) -> Option<f64>,
    reason: Reason,
) -> Vec<Option<f64>> {
    let what = |t: &str| format!("{} is not a number ({:?})", col.name, truncate(t));
    match &col.data {
        RawData::Null => vec![None; col.len],
        RawData::Num {
            values, conflicts, ..
        } => {
            let mut out: Vec<Option<f64>> = values.iter().collect();
            for (r, t) in conflicts {
                match parse(t) {
                    Some(v) => out[*r] = Some(v),
                    None => ctx.reject(*r, reason, what(t)),
                }
            }
            out
        }
        RawData::Str { values, .. } => values
            .iter()
            .enumerate()
            .map(|(r, v)| match v.map(str::trim) {
                None | Some("") => None,
                Some(t) => match parse(t) {
                    Some(x) => Some(x),
                    None => {
                        ctx.reject(r, reason, what(t));
                        None
                    }
                },
            })
            .collect(),
    }
}

fn truncate(t: &str) -> String {
    t.chars().take(40).collect()
}

/// Maps a label value to 0/1.
pub fn parse_label(t: &str) -> Option<f64> {
    match t.trim().to_ascii_lowercase().as_str() {
        "1" | "1.0" | "true" | "yes" | "y" | "positive" | "pos" => Some(1.0),
        "0" | "0.0" | "false" | "no" | "n" | "negative" | "neg" => Some(0.0),
        _ => None,
    }
}

fn is_error_text(t: &str) -> bool {
    !matches!(
        t.trim().to_ascii_lowercase().as_str(),
        "" | "false" | "0" | "none" | "null" | "ok" | "nan"
    )
}

/// Builds the canonical frame. `files` names the inputs (for the no-group error);
/// `known_groups`, when given, rejects rows of other groups.
pub fn normalize(
    table: RawTable,
    roles: &Roles,
    known_groups: Option<&[String]>,
    files: &[String],
    rejects: &mut Rejects,
) -> Result<Normalized, IngestError> {
    let rows = table.rows;
    let col = |role: Role| roles.get(role).and_then(|n| find(&table, n));
    let group_col = col(Role::Group).ok_or_else(|| IngestError::Unreadable {
        file: files.join(", "),
        problem: "no group column (looked for group, arm, variant, bucket; name one with --column group=NAME)".into(),
    })?;
    let mut ctx = Ctx {
        keep: vec![true; rows],
        rejects,
        file_ids: &table.file_ids,
        lines: &table.lines,
    };

    // errors
    let (is_error, error_text): (Vec<bool>, Vec<Option<String>>) = match col(Role::Error) {
        None => (vec![false; rows], vec![None; rows]),
        Some(c) => match &c.data {
            RawData::Num { values, .. } => (
                values.iter().map(|v| v.is_some_and(|x| x != 0.0)).collect(),
                values.iter().map(|v| v.filter(|x| *x != 0.0).map(number_text)).collect(),
            ),
            _ => strings(c)
                .into_iter()
                .map(|v| match v {
                    Some(t) if is_error_text(&t) => (true, Some(t)),
                    _ => (false, None),
                })
                .unzip(),
        },
    };

    // groups, with error events attributed through the user's assignment
    let mut groups: Vec<Option<String>> = strings(group_col)
        .into_iter()
        .map(|g| g.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
        .collect();
    let users = str_series(USER, col(Role::UserId), rows);
    if groups.iter().any(Option::is_none) {
        let mut first_group: HashMap<&str, usize> = HashMap::new();
        for (r, u) in users.iter().enumerate() {
            if let (Some(u), Some(_)) = (u, &groups[r]) {
                first_group.entry(u).or_insert(r);
            }
        }
        let fills: Vec<(usize, Option<String>)> = users
            .iter()
            .enumerate()
            .filter(|(r, _)| groups[*r].is_none() && is_error[*r])
            .map(|(r, u)| (r, u.and_then(|u| first_group.get(u)).and_then(|&i| groups[i].clone())))
            .collect();
        for (r, g) in fills {
            match g {
                Some(g) => groups[r] = Some(g),
                None => ctx.reject(
                    r,
                    Reason::UnattributedError,
                    "error event for a user never seen in a group".into(),
                ),
            }
        }
    }
    for (r, g) in groups.iter().enumerate() {
        match g {
            None => ctx.reject(r, Reason::MissingGroup, format!("no value in {}", group_col.name)),
            Some(g) => {
                if let Some(known) = known_groups {
                    if !known.iter().any(|k| k == g) {
                        ctx.reject(
                            r,
                            Reason::UnknownGroup,
                            format!("group {:?} is not one of {}", truncate(g), known.join(", ")),
                        );
                    }
                }
            }
        }
    }

    // numeric roles
    let ts: Vec<Option<i64>> = match col(Role::Timestamp) {
        None => vec![None; rows],
        Some(c) => {
            let parse_ts = |t: &str| parse_timestamp_us(t).map(|v| v as f64);
            let raw = numbers(c, &mut ctx, parse_ts, Reason::BadTimestamp);
            let from_num = matches!(c.data, RawData::Num { .. });
            raw.into_iter()
                .map(|v| v.and_then(|x| if from_num { epoch_to_us(x) } else { Some(x as i64) }))
                .collect()
        }
    };
    let mut latency: Vec<Option<f64>> = match col(Role::Latency) {
        None => vec![None; rows],
        Some(c) => {
            let mut v = numbers(c, &mut ctx, parse_number, Reason::WrongType);
            if latency_is_seconds(&c.name) {
                v.iter_mut().for_each(|x| *x = x.map(|s| s * 1000.0));
            }
            v
        }
    };
    for (r, l) in latency.iter_mut().enumerate() {
        if let Some(x) = *l {
            if !x.is_finite() || x < 0.0 {
                ctx.reject(r, Reason::WrongType, format!("latency {x} is negative or not finite"));
                *l = None;
            }
        }
    }
    let score: Vec<Option<f64>> = match col(Role::Score) {
        None => vec![None; rows],
        Some(c) => numbers(c, &mut ctx, parse_number, Reason::WrongType),
    };
    let label: Vec<Option<f64>> = match col(Role::Label) {
        None => vec![None; rows],
        Some(c) => {
            let v = numbers(c, &mut ctx, parse_label, Reason::WrongType);
            v.into_iter()
                .enumerate()
                .map(|(r, x)| match x {
                    Some(x) if x == 0.0 || x == 1.0 => Some(x),
                    Some(x) => {
                        ctx.reject(r, Reason::WrongType, format!("label {x} is not 0/1"));
                        None
                    }
                    None => None,
                })
                .collect()
        }
    };

    // metrics
    let mut metric_series = Vec::new();
    let mut metrics = Vec::new();
    for name in &roles.metrics {
        let Some(c) = find(&table, name) else { continue };
        let vals = numbers(c, &mut ctx, parse_number, Reason::WrongType);
        let mut any = false;
        let mut binary = true;
        for x in vals.iter().flatten() {
            any = true;
            if *x != 0.0 && *x != 1.0 {
                binary = false;
                break;
            }
        }
        if !any {
            continue;
        }
        metrics.push(Metric {
            name: name.clone(),
            kind: if binary { MetricKind::Proportion } else { MetricKind::Mean },
        });
        metric_series.push(Float64Chunked::from_iter_options(metric_col(name).into(), vals.into_iter()).into_column());
    }
    let mut segments = Vec::new();
    let mut segment_series = Vec::new();
    for name in &roles.segments {
        let Some(c) = find(&table, name) else { continue };
        segments.push(name.clone());
        segment_series.push(str_series(&segment_col(name), Some(c), rows).into_column());
    }

    let mut columns: Vec<Column> = vec![
        StringChunked::from_iter_options(GROUP.into(), groups.into_iter()).into_column(),
        Int64Chunked::from_iter_options(TS_US.into(), ts.into_iter()).into_column(),
        users.into_column(),
        str_series(REQUEST, col(Role::RequestId), rows).into_column(),
        str_series(MODEL, col(Role::Model), rows).into_column(),
        str_series(VERSION, col(Role::Version), rows).into_column(),
        Float64Chunked::from_iter_options(LATENCY_MS.into(), latency.into_iter()).into_column(),
        Float64Chunked::from_iter_options(SCORE.into(), score.into_iter()).into_column(),
        str_series(PRED, col(Role::Prediction), rows).into_column(),
        Float64Chunked::from_iter_options(LABEL.into(), label.into_iter()).into_column(),
        BooleanChunked::from_iter_values(IS_ERROR.into(), is_error.into_iter()).into_column(),
        StringChunked::from_iter_options(ERROR.into(), error_text.into_iter()).into_column(),
    ];
    columns.extend(metric_series);
    columns.extend(segment_series);
    let frame = DataFrame::new(rows, columns).map_err(|e| IngestError::Unreadable {
        file: files.join(", "),
        problem: format!("internal frame error: {e}"),
    })?;
    let mask = BooleanChunked::from_iter_values("keep".into(), ctx.keep.into_iter());
    let frame = frame.filter(&mask).map_err(|e| IngestError::Unreadable {
        file: files.join(", "),
        problem: format!("internal filter error: {e}"),
    })?;
    Ok(Normalized {
        frame,
        metrics,
        segments,
    })
}
