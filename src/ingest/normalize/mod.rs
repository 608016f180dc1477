//! Turns a raw table into the canonical analysis frame: role columns coerced to their
//! types, error events attributed to groups, bad rows rejected with file and line.

mod coerce;
mod columns;
mod errors;
mod groups;

pub use coerce::parse_label;

use super::error::IngestError;
use super::rejects::Rejects;
use super::roles::{Role, Roles};
use super::table::RawTable;
use coerce::{find, str_series, Ctx};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

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
/// Canonical column: the row's group came from its user's nearest assignment in time
/// (an error event without a group or request id) (Boolean).
pub const GROUP_BY_TIME: &str = "r:group_by_time";

/// Canonical name of a metric column.
pub fn metric_col(name: &str) -> String {
    format!("m:{name}")
}

/// Canonical name of a segment column.
pub fn segment_col(name: &str) -> String {
    format!("s:{name}")
}

/// How a metric is summarised and tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// A row of the service's own bookkeeping (model loaded, config changed, health check):
/// no group, no error and no prediction field. Listed, never analysed or rejected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceEvent {
    /// Timestamp (UTC µs) when the row has one.
    pub ts_us: Option<i64>,
    /// The event's name (`event`, `msg`, `message` or `type` field), else "event".
    pub name: String,
    /// Index of the file in the dataset's file list.
    pub file_id: u32,
    /// Line (or row) in the file.
    pub line: u64,
}

/// Columns that may name a service event.
const EVENT_NAME_COLUMNS: [&str; 5] = ["event", "msg", "message", "type", "event_type"];

/// What normalisation produced.
pub struct Normalized {
    /// Valid rows only, canonical columns.
    pub frame: DataFrame,
    /// Metrics that have at least one value.
    pub metrics: Vec<Metric>,
    /// Segment columns kept.
    pub segments: Vec<String>,
    /// Service events (not predictions), in row order.
    pub events: Vec<ServiceEvent>,
    /// With deferred attribution: the error rows kept without a group, as (frame row,
    /// file index, line).
    pub pending: Vec<(usize, u32, u64)>,
}

/// Builds the canonical frame. `files` names the inputs (for the no-group error);
/// `known_groups`, when given, rejects rows of other groups. With `defer_errors` (a chunk of
/// a streamed read) error rows without a group are kept without one and listed in
/// [`Normalized::pending`]: their group is found over all chunks afterwards.
pub fn normalize(
    table: &RawTable,
    roles: &Roles,
    known_groups: Option<&[String]>,
    files: &[String],
    rejects: &mut Rejects,
    defer_errors: bool,
) -> Result<Normalized, IngestError> {
    let rows = table.rows;
    let col = |role: Role| roles.get(role).and_then(|n| find(table, n));
    // pre-period files (every row before the experiment) need no group column
    let no_group = super::table::RawColumn {
        name: "group".into(),
        len: rows,
        data: super::table::RawData::Null,
    };
    let group_col = match col(Role::Group) {
        Some(c) => c,
        None if roles.pre_period_before_us == Some(i64::MAX) => &no_group,
        None => return Err(IngestError::Unreadable {
            file: files.join(", "),
            problem: "no group column (looked for group, arm, variant, bucket; name one with --column group=NAME)".into(),
        }),
    };
    let mut ctx = Ctx {
        keep: vec![true; rows],
        rejects,
        file_ids: &table.file_ids,
        lines: &table.lines,
    };
    let (is_error, error_text) = errors::error_events(col(Role::Error), rows);
    let users = str_series(USER, col(Role::UserId), rows);
    let requests = str_series(REQUEST, col(Role::RequestId), rows);
    let ts = columns::timestamps(col(Role::Timestamp), roles.time_unit, rows, &mut ctx);
    let (groups, by_time, missing) = groups::attribute_groups(
        group_col,
        &users,
        &requests,
        &ts,
        &is_error,
        known_groups,
        rows,
        defer_errors,
        &mut ctx,
    );
    let events = service_events(
        table,
        roles,
        group_col,
        &missing,
        &is_error,
        &ts,
        defer_errors,
        &mut ctx,
    );
    // error rows left without a group for the streamed read to attribute
    let deferred: Vec<bool> = if defer_errors {
        groups
            .iter()
            .zip(is_error.iter())
            .map(|(g, e)| g.is_none() && e == Some(true))
            .collect()
    } else {
        Vec::new()
    };
    let latency = columns::latency_ms(col(Role::Latency), rows, &mut ctx);
    let score = columns::score(col(Role::Score), rows, &mut ctx);
    let label = columns::label(col(Role::Label), rows, &mut ctx);
    let (metrics, metric_series) = columns::metrics(table, &roles.metrics, &mut ctx);
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
        requests.into_column(),
        str_series(MODEL, col(Role::Model), rows).into_column(),
        str_series(VERSION, col(Role::Version), rows).into_column(),
        latency.into_column(),
        score.into_column(),
        str_series(PRED, col(Role::Prediction), rows).into_column(),
        label.into_column(),
        is_error.into_column(),
        error_text.into_column(),
        by_time.into_column(),
    ];
    columns.extend(metric_series);
    columns.extend(segment_series);
    let frame_error = |e: PolarsError| IngestError::Unreadable {
        file: files.join(", "),
        problem: format!("internal frame error: {e}"),
    };
    let frame = DataFrame::new(rows, columns).map_err(frame_error)?;
    // the deferred error rows' positions in the frame
    let mut pending = Vec::new();
    if defer_errors {
        let mut at = 0usize;
        for (r, keep) in ctx.keep.iter().enumerate() {
            if !keep {
                continue;
            }
            if deferred[r] {
                pending.push((
                    at,
                    table.file_ids.get(r).copied().unwrap_or(0),
                    table.lines[r],
                ));
            }
            at += 1;
        }
    }
    let frame = if ctx.keep.iter().all(|k| *k) {
        frame
    } else {
        let mask = BooleanChunked::from_iter_values("keep".into(), ctx.keep.into_iter());
        frame.filter(&mask).map_err(frame_error)?
    };
    Ok(Normalized {
        frame,
        metrics,
        segments,
        events,
        pending,
    })
}

/// Of the rows without a group, those without an error or any prediction field (score,
/// prediction, latency, label, metrics) are the service's own events: they leave the
/// analysis without being rejected; the others are rejected as missing their group.
#[allow(clippy::too_many_arguments)]
fn service_events(
    table: &RawTable,
    roles: &Roles,
    group_col: &super::table::RawColumn,
    missing: &[usize],
    is_error: &BooleanChunked,
    ts: &Int64Chunked,
    defer_errors: bool,
    ctx: &mut Ctx,
) -> Vec<ServiceEvent> {
    let prediction: Vec<&super::table::RawColumn> =
        [Role::Score, Role::Prediction, Role::Latency, Role::Label]
            .iter()
            .filter_map(|r| roles.get(*r))
            .chain(roles.metrics.iter().map(String::as_str))
            .filter_map(|n| find(table, n))
            .collect();
    let name_col = EVENT_NAME_COLUMNS.iter().find_map(|n| find(table, n));
    let names = name_col.map(|c| c.to_text("event"));
    let mut out = Vec::new();
    // only rows without a group can be events (usually none); the others are rejected
    let pre_before = roles.pre_period_before_us;
    for &r in missing {
        let predicts = prediction.iter().any(|c| c.has_value(r));
        // a prediction before the experiment needs no group: it is pre-period data
        if predicts
            && is_error.get(r) != Some(true)
            && pre_before.is_some_and(|cut| {
                // pre-period files (cut at the end of time) need no timestamps either
                cut == i64::MAX || ts.get(r).is_some_and(|t| t < cut)
            })
        {
            continue;
        }
        // a deferred error row stays, without a group, until every chunk is read
        if defer_errors && is_error.get(r) == Some(true) {
            continue;
        }
        if is_error.get(r) == Some(true) || predicts {
            ctx.reject(
                r,
                crate::ingest::rejects::Reason::MissingGroup,
                format!("no value in {}", group_col.name),
            );
            continue;
        }
        ctx.keep[r] = false;
        out.push(ServiceEvent {
            ts_us: ts.get(r),
            name: names
                .as_ref()
                .and_then(|n| n.get(r))
                .map(|s| s.chars().take(80).collect())
                .unwrap_or_else(|| "event".into()),
            file_id: table.file_ids[r],
            line: table.lines[r],
        });
    }
    out
}
