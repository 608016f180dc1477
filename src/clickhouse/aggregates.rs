//! The aggregates pushed down to ClickHouse: per group (requests, users, errors, models and
//! versions, latency mean and exact percentiles, each metric's count and sum), users seen
//! in more than one group, and per time bucket × group (requests, errors, exact latency
//! percentiles). Only these rows come back — their number grows with groups × buckets, not
//! with the table's rows. Percentiles are exact: the server finds the two order statistics
//! around each one and Verdict interpolates them as it does locally (numpy's linear rule),
//! so both back ends give the same number. Time buckets are integer divisions of the epoch
//! second (runs on ClickHouse 18.16 and current). The per-unit and per-segment moments the
//! tests run on are in `moments.rs`.

use super::error::ClickHouseError;
use super::http::Client;
use super::sql::{self, ident};
use super::url::TableUrl;
use crate::analysis::stats::{lerp, percentile_position};
use crate::report::{LatencySummary, MetricSummary};
use serde_json::Value;
use std::collections::BTreeMap;

/// Latency percentiles reported (p50, p95, p99).
const QS: [f64; 3] = [50.0, 95.0, 99.0];

/// Which columns play which role in the table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Roles {
    /// The group (arm) column.
    pub group: String,
    /// The user column.
    pub user: Option<String>,
    /// The timestamp column.
    pub timestamp: Option<String>,
    /// How the timestamp column holds time.
    pub time_unit: TimeUnit,
    /// Latency in milliseconds.
    pub latency: Option<String>,
    /// Error text (non-empty: an error event).
    pub error: Option<String>,
    /// Model name.
    pub model: Option<String>,
    /// Model version.
    pub version: Option<String>,
    /// The model's score.
    pub score: Option<String>,
    /// The outcome the score predicts (1 = positive).
    pub label: Option<String>,
    /// Metric columns.
    pub metrics: Vec<String>,
    /// Segment columns.
    pub segments: Vec<String>,
}

/// How a timestamp column holds time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeUnit {
    /// `Date` / `DateTime` (seconds).
    #[default]
    DateTime,
    /// Integer epoch seconds.
    Seconds,
    /// Integer epoch milliseconds.
    Millis,
    /// Integer epoch microseconds.
    Micros,
}

impl TimeUnit {
    /// SQL giving the column as integer epoch microseconds, the local engine's unit
    /// (works on 18.16 and current).
    pub fn micros_sql(self, column: &str) -> String {
        let c = ident(column);
        match self {
            TimeUnit::DateTime => format!("(toInt64(toUInt32({c})) * 1000000)"),
            TimeUnit::Seconds => format!("(toInt64({c}) * 1000000)"),
            TimeUnit::Millis => format!("(toInt64({c}) * 1000)"),
            TimeUnit::Micros => format!("toInt64({c})"),
        }
    }
}

/// The rows to aggregate: a table, an optional filter and a time range.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// The server.
    pub client: &'a Client,
    /// The table.
    pub url: &'a TableUrl,
    /// `--where`, checked by [`sql::filter`].
    pub filter: Option<String>,
    /// Rows at or after this epoch second.
    pub from_s: Option<i64>,
    /// Rows before this epoch second.
    pub to_s: Option<i64>,
    /// Rows without a time or at or after this epoch microsecond (the experiment's start,
    /// the first stage's).
    pub since_us: Option<i64>,
    /// Files spilled by `crate::stream` instead of a table: every aggregate below is then
    /// computed by scanning them (the same answers, no server; `client` and `url` unused).
    pub spill: Option<&'a crate::stream::Spill>,
}

/// One group's aggregates.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupAggregate {
    /// Group name.
    pub name: String,
    /// Rows.
    pub requests: u64,
    /// Distinct users (0 without a user column).
    pub users: u64,
    /// Error events.
    pub errors: u64,
    /// Model names seen, sorted.
    pub models: Vec<String>,
    /// Model versions seen, sorted.
    pub versions: Vec<String>,
    /// Latency over rows with one.
    pub latency_ms: Option<LatencySummary>,
    /// Per metric: non-missing values, mean, sum.
    pub metrics: BTreeMap<String, MetricSummary>,
    /// Mean score (None without a score column or scores).
    pub mean_score: Option<f64>,
}

/// One time bucket of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketAggregate {
    /// Bucket start, seconds since the epoch.
    pub start_s: i64,
    /// Group.
    pub group: String,
    /// Rows.
    pub requests: u64,
    /// Error events.
    pub errors: u64,
    /// Latency p50, p95, p99 (None without latencies).
    pub latency_p: Option<[f64; 3]>,
    /// Per metric: (values, their sum).
    pub metrics: BTreeMap<String, (u64, f64)>,
}

impl Roles {
    /// The timestamp column, or an error saying what needs one (`why`, e.g. "stages need").
    pub fn timestamp_column(&self, src: &Source, why: &str) -> Result<&str, ClickHouseError> {
        self.timestamp
            .as_deref()
            .ok_or_else(|| ClickHouseError::Input {
                server: src.client.server(),
                problem: format!("{why} a timestamp column"),
            })
    }
}

impl<'a> Source<'a> {
    pub(crate) fn server(&self) -> String {
        match self.spill {
            Some(s) => s.shown(),
            None => self.client.server(),
        }
    }

    /// What the rows are, for reports: the table's address or the files.
    pub fn shown(&self) -> String {
        match self.spill {
            Some(s) => s.shown(),
            None => self.url.shown(),
        }
    }

    /// Queries sent and bytes received so far (for spilled files: the scans, no bytes).
    pub fn usage(&self) -> (u64, u64) {
        match self.spill {
            Some(s) => (s.scans.load(std::sync::atomic::Ordering::Relaxed), 0),
            None => self.client.usage(),
        }
    }

    /// The same rows restricted to those without a time or at or after `cut_us`.
    pub fn since(&self, cut_us: i64) -> Source<'a> {
        Source {
            client: self.client,
            url: self.url,
            filter: self.filter.clone(),
            from_s: self.from_s,
            to_s: self.to_s,
            since_us: Some(self.since_us.map_or(cut_us, |s| s.max(cut_us))),
            spill: self.spill,
        }
    }

    /// The rows a scan of spilled files reads (with `ungrouped`, rows without a group too).
    pub(crate) fn select(&self, ungrouped: bool) -> crate::stream::Select {
        crate::stream::Select {
            since_us: self.since_us,
            from_us: self.from_s.map(|s| s.saturating_mul(1_000_000)),
            to_us: self.to_s.map(|s| s.saturating_mul(1_000_000)),
            ungrouped,
        }
    }

    /// `WHERE` with the group present, the filter and the time range.
    pub(crate) fn where_clause(&self, roles: &Roles) -> Result<String, ClickHouseError> {
        let mut parts = vec![format!("isNotNull({})", ident(&roles.group))];
        if let Some(f) = &self.filter {
            parts.push(sql::filter(f, &self.server())?);
        }
        if let Some(cut) = self.since_us {
            let ts = roles.timestamp_column(self, "an experiment start needs")?;
            parts.push(format!(
                "(isNull({}) OR {} >= {cut})",
                ident(ts),
                roles.time_unit.micros_sql(ts)
            ));
        }
        if self.from_s.is_some() || self.to_s.is_some() {
            let ts = roles.timestamp_column(self, "--from/--to need")?;
            let us = roles.time_unit.micros_sql(ts);
            if let Some(f) = self.from_s {
                parts.push(format!("{us} >= {}", f.saturating_mul(1_000_000)));
            }
            if let Some(t) = self.to_s {
                parts.push(format!("{us} < {}", t.saturating_mul(1_000_000)));
            }
        }
        Ok(parts.join(" AND "))
    }

    pub(crate) fn rows(&self, query: &str) -> Result<Vec<Value>, ClickHouseError> {
        let r = self.client.query(query, "JSONEachRow")?;
        r.body
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).map_err(|e| ClickHouseError::Answer {
                    server: self.server(),
                    problem: format!("not JSON: {e}"),
                })
            })
            .collect()
    }
}

/// A number from JSON, quoted or not (64-bit integers may come quoted).
pub(super) fn num(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub(super) fn count(v: Option<&Value>) -> u64 {
    match v {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s.parse().unwrap_or(0),
        _ => 0,
    }
}

fn texts(v: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = v
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// SQL for the order statistics around each percentile of `col` (non-null values): the
/// count `ln`, and `lq` = [lo₁, hi₁, lo₂, hi₂, ...] (1-based elements of the sorted array).
fn latency_sql(col: &str) -> String {
    let c = ident(col);
    let mut picks = Vec::new();
    for q in QS {
        let at = format!("toUInt64(floor((count({c}) - 1) * {}))", q / 100.0);
        picks.push(format!(
            "arrayElement(arraySort(groupArray({c})), {at} + 1)"
        ));
        picks.push(format!(
            "arrayElement(arraySort(groupArray({c})), {at} + 2)"
        ));
    }
    format!(
        "count({c}) AS __vd_ln, avg({c}) AS __vd_lmean, [{}] AS __vd_lq",
        picks.join(", ")
    )
}

/// Percentiles from the order statistics the server found.
fn percentiles(n: u64, lq: Option<&Value>) -> Option<[f64; 3]> {
    if n == 0 {
        return None;
    }
    let v: Vec<f64> = lq?
        .as_array()?
        .iter()
        .map(|x| num(Some(x)).unwrap_or(f64::NAN))
        .collect();
    let mut out = [0.0; 3];
    for (i, q) in QS.iter().enumerate() {
        let (_, frac) = percentile_position(n, *q);
        let (a, b) = (v.get(2 * i)?, v.get(2 * i + 1)?);
        out[i] = if frac == 0.0 { *a } else { lerp(*a, *b, frac) };
    }
    Some(out)
}

/// An error event: the error column holds non-empty text.
fn error_sql(roles: &Roles) -> String {
    match error_flag_sql(roles) {
        Some(flag) => format!("sum({flag})"),
        None => "toUInt64(0)".into(),
    }
}

/// Per row, 1 for an error event (the error column holds non-empty text), else 0.
pub(super) fn error_flag_sql(roles: &Roles) -> Option<String> {
    roles
        .error
        .as_ref()
        .map(|e| format!("(length(ifNull(toString({}), '')) > 0)", ident(e)))
}

/// Per-group aggregates, sorted by group.
pub fn groups(src: &Source, roles: &Roles) -> Result<Vec<GroupAggregate>, ClickHouseError> {
    if let Some(sp) = src.spill {
        return crate::stream::answers::groups(sp, src, roles);
    }
    let g = ident(&roles.group);
    let mut cols = vec![
        format!("toString({g}) AS __vd_g"),
        "count() AS __vd_requests".to_string(),
        match &roles.user {
            Some(u) => format!("uniqExact({}) AS __vd_users", ident(u)),
            None => "toUInt64(0) AS __vd_users".into(),
        },
        format!("{} AS __vd_errors", error_sql(roles)),
    ];
    for (alias, col) in [
        ("__vd_models", &roles.model),
        ("__vd_versions", &roles.version),
    ] {
        cols.push(match col {
            Some(c) => format!("groupUniqArray(toString({})) AS {alias}", ident(c)),
            None => format!("emptyArrayString() AS {alias}"),
        });
    }
    if let Some(l) = &roles.latency {
        cols.push(latency_sql(l));
    }
    for (i, m) in roles.metrics.iter().enumerate() {
        let c = ident(m);
        cols.push(format!("count({c}) AS __vd_m{i}n, sum({c}) AS __vd_m{i}s"));
    }
    if let Some(sc) = &roles.score {
        cols.push(format!("avg({}) AS __vd_score", ident(sc)));
    }
    let query = format!(
        "SELECT {} FROM {} WHERE {} GROUP BY __vd_g ORDER BY __vd_g",
        cols.join(", "),
        sql::table(&src.url.database, &src.url.table),
        src.where_clause(roles)?
    );
    let rows = src.rows(&query)?;
    Ok(rows
        .iter()
        .map(|r| {
            let latency_ms = roles.latency.as_ref().and_then(|_| {
                let n = count(r.get("__vd_ln"));
                let p = percentiles(n, r.get("__vd_lq"))?;
                Some(LatencySummary {
                    mean: num(r.get("__vd_lmean"))?,
                    p50: p[0],
                    p95: p[1],
                    p99: p[2],
                })
            });
            let metrics = roles
                .metrics
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let n = count(r.get(format!("__vd_m{i}n")));
                    let sum = num(r.get(format!("__vd_m{i}s"))).unwrap_or(0.0);
                    (
                        m.clone(),
                        MetricSummary {
                            n,
                            mean: (n > 0).then(|| sum / n as f64),
                            sum,
                        },
                    )
                })
                .collect();
            GroupAggregate {
                name: r
                    .get("__vd_g")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                requests: count(r.get("__vd_requests")),
                users: count(r.get("__vd_users")),
                errors: count(r.get("__vd_errors")),
                models: texts(r.get("__vd_models")),
                versions: texts(r.get("__vd_versions")),
                latency_ms,
                metrics,
                mean_score: roles
                    .score
                    .as_ref()
                    .and_then(|_| num(r.get("__vd_score")))
                    .filter(|v| v.is_finite()),
            }
        })
        .collect())
}

/// Users seen in more than one group.
pub fn leaked_users(src: &Source, roles: &Roles) -> Result<u64, ClickHouseError> {
    let Some(u) = &roles.user else {
        return Ok(0);
    };
    if let Some(sp) = src.spill {
        return crate::stream::answers::leaked_users(sp, src);
    }
    let query = format!(
        "SELECT count() AS __vd_leaked FROM (SELECT {u} FROM {} WHERE {} AND isNotNull({u}) GROUP BY {u} HAVING uniqExact({g}) > 1)",
        sql::table(&src.url.database, &src.url.table),
        src.where_clause(roles)?,
        u = ident(u),
        g = ident(&roles.group)
    );
    Ok(src
        .rows(&query)?
        .first()
        .map_or(0, |r| count(r.get("__vd_leaked"))))
}

/// Per time bucket × group, buckets of `bucket_s` seconds aligned to the epoch.
pub fn buckets(
    src: &Source,
    roles: &Roles,
    bucket_s: u64,
) -> Result<Vec<BucketAggregate>, ClickHouseError> {
    let ts = roles.timestamp_column(src, "a timeline needs")?;
    if let Some(sp) = src.spill {
        return crate::stream::answers::buckets(sp, src, bucket_s);
    }
    let b = bucket_s.max(1);
    let mut cols = vec![
        format!(
            "intDiv({}, {}) * {b} AS __vd_bucket",
            roles.time_unit.micros_sql(ts),
            b * 1_000_000
        ),
        format!("toString({}) AS __vd_g", ident(&roles.group)),
        "count() AS __vd_requests".to_string(),
        format!("{} AS __vd_errors", error_sql(roles)),
    ];
    if let Some(l) = &roles.latency {
        cols.push(latency_sql(l));
    }
    for (i, m) in roles.metrics.iter().enumerate() {
        let c = ident(m);
        cols.push(format!("count({c}) AS __vd_m{i}n, sum({c}) AS __vd_m{i}s"));
    }
    let query = format!(
        "SELECT {} FROM {} WHERE {} AND isNotNull({}) GROUP BY __vd_bucket, __vd_g ORDER BY __vd_bucket, __vd_g",
        cols.join(", "),
        sql::table(&src.url.database, &src.url.table),
        src.where_clause(roles)?,
        ident(ts)
    );
    Ok(src
        .rows(&query)?
        .iter()
        .map(|r| BucketAggregate {
            start_s: num(r.get("__vd_bucket")).unwrap_or(0.0) as i64,
            group: r
                .get("__vd_g")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            requests: count(r.get("__vd_requests")),
            errors: count(r.get("__vd_errors")),
            latency_p: roles
                .latency
                .as_ref()
                .and_then(|_| percentiles(count(r.get("__vd_ln")), r.get("__vd_lq"))),
            metrics: roles
                .metrics
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    (
                        m.clone(),
                        (
                            count(r.get(format!("__vd_m{i}n"))),
                            num(r.get(format!("__vd_m{i}s"))).unwrap_or(0.0),
                        ),
                    )
                })
                .collect(),
        })
        .collect())
}

pub use super::moments::{segment_moments, unit_moments, units_per_cell, SegmentMoments};
