//! Turns a raw table into the canonical analysis frame: role columns coerced to their
//! types, error events attributed to groups, bad rows rejected with file and line.

use super::error::IngestError;
use super::rejects::{Reason, Rejects};
use super::roles::{latency_is_seconds, Role, Roles};
use super::table::{number_text, parse_number, RawColumn, RawData, RawTable};
use super::time::{epoch_to_us, parse_timestamp_us};
use polars::prelude::*;
use serde::Serialize;

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
            self.rejects
                .add(self.file_ids[row], self.lines[row], reason, detail);
        }
    }
}

fn find<'t>(table: &'t RawTable, name: &str) -> Option<&'t RawColumn> {
    table.columns.iter().find(|c| c.name == name)
}

/// A string column for a role: zero-copy for string sources, formatted for numbers.
fn str_series(name: &str, col: Option<&RawColumn>, rows: usize) -> StringChunked {
    match col {
        None => StringChunked::full_null(name.into(), rows),
        Some(c) => c.to_text(name),
    }
}

/// Numeric values of a role column; text that does not parse rejects the row. Zero-copy
/// when the source column is clean numbers.
fn numbers(
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
fn validate(
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

fn clean(g: Option<&str>) -> Option<&str> {
    g.map(str::trim).filter(|s| !s.is_empty())
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
    table: &RawTable,
    roles: &Roles,
    known_groups: Option<&[String]>,
    files: &[String],
    rejects: &mut Rejects,
) -> Result<Normalized, IngestError> {
    let rows = table.rows;
    let col = |role: Role| roles.get(role).and_then(|n| find(table, n));
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
    let (is_error, error_text): (BooleanChunked, StringChunked) = match col(Role::Error) {
        None => (
            BooleanChunked::full(IS_ERROR.into(), false, rows),
            StringChunked::full_null(ERROR.into(), rows),
        ),
        Some(c) => match &c.data {
            RawData::Num { values, .. } => (
                values
                    .iter()
                    .map(|v| v.is_some_and(|x| x != 0.0))
                    .collect::<BooleanChunked>()
                    .with_name(IS_ERROR.into()),
                values
                    .iter()
                    .map(|v| v.filter(|x| *x != 0.0).map(number_text))
                    .collect::<StringChunked>()
                    .with_name(ERROR.into()),
            ),
            _ => {
                let text = str_series(ERROR, Some(c), rows);
                let flags: BooleanChunked =
                    text.iter().map(|v| v.is_some_and(is_error_text)).collect();
                let text = if flags.sum().unwrap_or(0) as usize == text.len() - text.null_count() {
                    text
                } else {
                    text.iter()
                        .zip(flags.iter())
                        .map(|(t, f)| t.filter(|_| f == Some(true)))
                        .collect::<StringChunked>()
                        .with_name(ERROR.into())
                };
                (flags.with_name(IS_ERROR.into()), text)
            }
        },
    };

    // groups, with error events attributed through the user's assignment
    let raw_groups = str_series(GROUP, Some(group_col), rows);
    let users = str_series(USER, col(Role::UserId), rows);
    let needs_fix = raw_groups.null_count() > 0
        || raw_groups.iter().any(|g| {
            g.is_some_and(|g| {
                g.is_empty()
                    || g.starts_with(char::is_whitespace)
                    || g.ends_with(char::is_whitespace)
            })
        });
    let groups: StringChunked = if !needs_fix {
        raw_groups
    } else {
        let mut first_group: PlHashMap<&str, &str> = PlHashMap::default();
        for (u, g) in users.iter().zip(raw_groups.iter()) {
            if let (Some(u), Some(g)) = (u, clean(g)) {
                first_group.entry(u).or_insert(g);
            }
        }
        let mut unattributed = Vec::new();
        let out: StringChunked = raw_groups
            .iter()
            .zip(users.iter())
            .zip(is_error.iter())
            .enumerate()
            .map(|(r, ((g, u), e))| match clean(g) {
                Some(g) => Some(g),
                None if e == Some(true) => {
                    let found = u.and_then(|u| first_group.get(u).copied());
                    if found.is_none() {
                        unattributed.push(r);
                    }
                    found
                }
                None => None,
            })
            .collect();
        for r in unattributed {
            ctx.reject(
                r,
                Reason::UnattributedError,
                "error event for a user never seen in a group".into(),
            );
        }
        out.with_name(GROUP.into())
    };
    let mut bad_groups = Vec::new();
    let check_groups = groups.null_count() > 0 || known_groups.is_some();
    for (r, g) in groups.iter().enumerate().filter(|_| check_groups) {
        match g {
            None => bad_groups.push((
                r,
                Reason::MissingGroup,
                format!("no value in {}", group_col.name),
            )),
            Some(g) => {
                if let Some(known) = known_groups {
                    if !known.iter().any(|k| k == g) {
                        bad_groups.push((
                            r,
                            Reason::UnknownGroup,
                            format!("group {:?} is not one of {}", truncate(g), known.join(", ")),
                        ));
                    }
                }
            }
        }
    }
    for (r, reason, detail) in bad_groups {
        ctx.reject(r, reason, detail);
    }

    // numeric roles
    let ts: Int64Chunked = match col(Role::Timestamp) {
        None => Int64Chunked::full_null(TS_US.into(), rows),
        Some(c) => match &c.data {
            RawData::Str { values, .. } => {
                let mut bad = Vec::new();
                let out: Int64Chunked = values
                    .iter()
                    .enumerate()
                    .map(|(r, v)| match v.map(str::trim) {
                        None | Some("") => None,
                        Some(t) => {
                            let p = parse_timestamp_us(t);
                            if p.is_none() {
                                bad.push((
                                    r,
                                    format!("{} is not a timestamp ({:?})", c.name, truncate(t)),
                                ));
                            }
                            p
                        }
                    })
                    .collect();
                for (r, d) in bad {
                    ctx.reject(r, Reason::BadTimestamp, d);
                }
                out.with_name(TS_US.into())
            }
            _ => {
                let parse_ts = |t: &str| parse_timestamp_us(t).map(|v| v as f64);
                let raw = numbers(c, &mut ctx, TS_US, parse_ts, Reason::BadTimestamp);
                // conflicts parsed from text are already microseconds; numbers are epochs
                let conflict_rows: std::collections::HashSet<usize> = match &c.data {
                    RawData::Num { conflicts, .. } => conflicts.iter().map(|(r, _)| *r).collect(),
                    _ => Default::default(),
                };
                if conflict_rows.is_empty() {
                    raw.iter()
                        .map(|v| v.and_then(epoch_to_us))
                        .collect::<Int64Chunked>()
                        .with_name(TS_US.into())
                } else {
                    raw.iter()
                        .enumerate()
                        .map(|(r, v)| {
                            v.and_then(|x| {
                                if conflict_rows.contains(&r) {
                                    Some(x as i64)
                                } else {
                                    epoch_to_us(x)
                                }
                            })
                        })
                        .collect::<Int64Chunked>()
                        .with_name(TS_US.into())
                }
            }
        },
    };
    let latency: Float64Chunked = match col(Role::Latency) {
        None => Float64Chunked::full_null(LATENCY_MS.into(), rows),
        Some(c) => {
            let mut v = numbers(c, &mut ctx, LATENCY_MS, parse_number, Reason::WrongType);
            if latency_is_seconds(&c.name) {
                v = (&v * 1000.0).with_name(LATENCY_MS.into());
            }
            validate(
                v,
                &mut ctx,
                |x| x.is_finite() && x >= 0.0,
                |x| format!("latency {x} is negative or not finite"),
            )
        }
    };
    let score: Float64Chunked = match col(Role::Score) {
        None => Float64Chunked::full_null(SCORE.into(), rows),
        Some(c) => numbers(c, &mut ctx, SCORE, parse_number, Reason::WrongType),
    };
    let label: Float64Chunked = match col(Role::Label) {
        None => Float64Chunked::full_null(LABEL.into(), rows),
        Some(c) => {
            let v = numbers(c, &mut ctx, LABEL, parse_label, Reason::WrongType);
            validate(
                v,
                &mut ctx,
                |x| x == 0.0 || x == 1.0,
                |x| format!("label {x} is not 0/1"),
            )
        }
    };

    // metrics
    let mut metric_series = Vec::new();
    let mut metrics = Vec::new();
    for name in &roles.metrics {
        let Some(c) = find(table, name) else { continue };
        let vals = numbers(
            c,
            &mut ctx,
            &metric_col(name),
            parse_number,
            Reason::WrongType,
        );
        let mut any = false;
        let mut binary = true;
        for x in vals.iter().flatten() {
            any = true;
            if x != 0.0 && x != 1.0 {
                binary = false;
                break;
            }
        }
        if !any {
            continue;
        }
        metrics.push(Metric {
            name: name.clone(),
            kind: if binary {
                MetricKind::Proportion
            } else {
                MetricKind::Mean
            },
        });
        metric_series.push(vals.into_column());
    }
    let mut segments = Vec::new();
    let mut segment_series = Vec::new();
    for name in &roles.segments {
        let Some(c) = find(table, name) else { continue };
        segments.push(name.clone());
        segment_series.push(str_series(&segment_col(name), Some(c), rows).into_column());
    }

    let mut columns: Vec<Column> = vec![
        groups.with_name(GROUP.into()).into_column(),
        ts.into_column(),
        users.into_column(),
        str_series(REQUEST, col(Role::RequestId), rows).into_column(),
        str_series(MODEL, col(Role::Model), rows).into_column(),
        str_series(VERSION, col(Role::Version), rows).into_column(),
        latency.into_column(),
        score.into_column(),
        str_series(PRED, col(Role::Prediction), rows).into_column(),
        label.into_column(),
        is_error.into_column(),
        error_text.into_column(),
    ];
    columns.extend(metric_series);
    columns.extend(segment_series);
    let frame = DataFrame::new(rows, columns).map_err(|e| IngestError::Unreadable {
        file: files.join(", "),
        problem: format!("internal frame error: {e}"),
    })?;
    if ctx.keep.iter().all(|k| *k) {
        return Ok(Normalized {
            frame,
            metrics,
            segments,
        });
    }
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
