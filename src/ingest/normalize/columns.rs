//! The typed role columns: timestamps (UTC µs), latency (ms), score, 0/1 label, and the
//! metric columns with their kind.

use super::coerce::{numbers, parse_label, truncate, validate, Ctx};
use super::{metric_col, Metric, MetricKind, LABEL, LATENCY_MS, SCORE, TS_US};
use crate::ingest::rejects::Reason;
use crate::ingest::roles::latency_is_seconds;
use crate::ingest::table::{parse_number, RawColumn, RawTable};
use crate::ingest::time::{column_timestamps_checked, EpochUnit};
use polars::prelude::*;

/// Timestamps in UTC µs: text as ISO 8601 (or epoch text), numbers as epochs in the
/// column's declared unit, else `unit`, else by magnitude. Unreadable text rejects the row;
/// a number that is no readable epoch (a `-1` sentinel, say) leaves the row without a time.
pub(super) fn timestamps(
    col: Option<&RawColumn>,
    unit: Option<EpochUnit>,
    rows: usize,
    ctx: &mut Ctx,
) -> Int64Chunked {
    let Some(c) = col else {
        return Int64Chunked::full_null(TS_US.into(), rows);
    };
    let mut bad = Vec::new();
    let out = column_timestamps_checked(c, unit, |r, t| {
        bad.push((
            r,
            format!("{} is not a timestamp ({:?})", c.name, truncate(t)),
        ))
    });
    let out = Int64Chunked::from_iter_options(TS_US.into(), out.into_iter());
    for (r, d) in bad {
        ctx.reject(r, Reason::BadTimestamp, d);
    }
    out.with_name(TS_US.into())
}

/// Latency in milliseconds (columns named in seconds are converted); negative or
/// non-finite values reject the row.
pub(super) fn latency_ms(col: Option<&RawColumn>, rows: usize, ctx: &mut Ctx) -> Float64Chunked {
    let Some(c) = col else {
        return Float64Chunked::full_null(LATENCY_MS.into(), rows);
    };
    let mut v = numbers(c, ctx, LATENCY_MS, parse_number, Reason::WrongType);
    if latency_is_seconds(&c.name) {
        v = (&v * 1000.0).with_name(LATENCY_MS.into());
    }
    validate(
        v,
        ctx,
        |x| x.is_finite() && x >= 0.0,
        |x| format!("latency {x} is negative or not finite"),
    )
}

/// The model's score.
pub(super) fn score(col: Option<&RawColumn>, rows: usize, ctx: &mut Ctx) -> Float64Chunked {
    match col {
        None => Float64Chunked::full_null(SCORE.into(), rows),
        Some(c) => numbers(c, ctx, SCORE, parse_number, Reason::WrongType),
    }
}

/// The label as 0/1 (true/false, yes/no... mapped); other values reject the row.
pub(super) fn label(col: Option<&RawColumn>, rows: usize, ctx: &mut Ctx) -> Float64Chunked {
    let Some(c) = col else {
        return Float64Chunked::full_null(LABEL.into(), rows);
    };
    let v = numbers(c, ctx, LABEL, parse_label, Reason::WrongType);
    validate(
        v,
        ctx,
        |x| x == 0.0 || x == 1.0,
        |x| format!("label {x} is not 0/1"),
    )
}

/// The metric columns that have a value: 0/1 columns are proportions, others means.
pub(super) fn metrics(
    table: &RawTable,
    names: &[String],
    ctx: &mut Ctx,
) -> (Vec<Metric>, Vec<Column>) {
    let mut series = Vec::new();
    let mut metrics = Vec::new();
    for name in names {
        let Some(c) = table.columns.iter().find(|c| &c.name == name) else {
            continue;
        };
        let vals = numbers(c, ctx, &metric_col(name), parse_number, Reason::WrongType);
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
        series.push(vals.into_column());
    }
    (metrics, series)
}
