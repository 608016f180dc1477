//! Coercion of raw columns to the canonical types: numbers (text that does not parse
//! rejects the row), strings, 0/1 labels; and the bookkeeping of kept and rejected rows.

use super::super::rejects::{Reason, Rejects};
use super::super::table::{RawColumn, RawData, RawTable};
use polars::prelude::*;

/// Rows kept so far and where rejects go.
pub(super) struct Ctx<'a> {
    pub keep: Vec<bool>,
    pub rejects: &'a mut Rejects,
    pub file_ids: &'a [u32],
    pub lines: &'a [u64],
}

impl Ctx<'_> {
    /// Rejects a row once (the first reason wins).
    pub fn reject(&mut self, row: usize, reason: Reason, detail: String) {
        if self.keep[row] {
            self.keep[row] = false;
            self.rejects
                .add(self.file_ids[row], self.lines[row], reason, detail);
        }
    }
}

pub(super) fn find<'t>(table: &'t RawTable, name: &str) -> Option<&'t RawColumn> {
    table.columns.iter().find(|c| c.name == name)
}

/// A string column for a role: zero-copy for string sources, formatted for numbers.
pub(super) fn str_series(name: &str, col: Option<&RawColumn>, rows: usize) -> StringChunked {
    match col {
        None => StringChunked::full_null(name.into(), rows),
        Some(c) => c.to_text(name),
    }
}

/// Numeric values of a role column; text that does not parse rejects the row. Zero-copy
/// when the source column is clean numbers.
pub(super) fn numbers(
    col: &RawColumn,
    ctx: &mut Ctx,
    name: &str,
    parse: impl Fn(&str) -> Option<f64>,
    reason: Reason,
) -> Float64Chunked {
    let what = |t: &str| format!("{} is not a number ({:?})", col.name, truncate(t));
    match &col.data {
        RawData::Null => Float64Chunked::full_null(name.into(), col.len),
        RawData::Num {
            values, conflicts, ..
        } if conflicts.is_empty() => values.clone().with_name(name.into()),
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
            Float64Chunked::from_iter_options(name.into(), out.into_iter())
        }
        RawData::Str { values, .. } => {
            let mut bad: Vec<(usize, String)> = Vec::new();
            let out: Float64Chunked = values
                .iter()
                .enumerate()
                .map(|(r, v)| match v.map(str::trim) {
                    None | Some("") => None,
                    Some(t) => match parse(t) {
                        Some(x) => Some(x),
                        None => {
                            bad.push((r, what(t)));
                            None
                        }
                    },
                })
                .collect();
            for (r, detail) in bad {
                ctx.reject(r, reason, detail);
            }
            out.with_name(name.into())
        }
    }
}

/// Rejects rows whose value fails `ok`, nulling them; returns the cleaned column.
pub(super) fn validate(
    values: Float64Chunked,
    ctx: &mut Ctx,
    ok: impl Fn(f64) -> bool,
    detail: impl Fn(f64) -> String,
) -> Float64Chunked {
    let bad: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(r, v)| v.filter(|x| !ok(*x)).map(|x| (r, x)))
        .collect();
    if bad.is_empty() {
        return values;
    }
    for (r, x) in &bad {
        ctx.reject(*r, Reason::WrongType, detail(*x));
    }
    let name = values.name().clone();
    let out: Float64Chunked = values.iter().map(|v| v.filter(|x| ok(*x))).collect();
    out.with_name(name)
}

pub(super) fn clean(g: Option<&str>) -> Option<&str> {
    g.map(str::trim).filter(|s| !s.is_empty())
}

pub(super) fn truncate(t: &str) -> String {
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

pub(super) fn is_error_text(t: &str) -> bool {
    !matches!(
        t.trim().to_ascii_lowercase().as_str(),
        "" | "false" | "0" | "none" | "null" | "ok" | "nan"
    )
}
