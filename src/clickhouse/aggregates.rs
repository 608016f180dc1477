//! The aggregates pushed down to ClickHouse: per group (requests, users, errors, models and
//! versions, latency mean and exact percentiles, each metric's count and sum), users seen
//! in more than one group, and per time bucket × group (requests, errors, exact latency
//! percentiles). Only these rows come back — their number grows with groups × buckets, not
//! with the table's rows. Percentiles are exact: the server finds the two order statistics
//! around each one and Verdict interpolates them as it does locally (numpy's linear rule),
//! so both back ends give the same number. Time buckets are integer divisions of the epoch
//! second (runs on ClickHouse 18.16 and current).

use super::error::ClickHouseError;
use super::http::Client;
use super::sql::{self, ident};
use super::url::TableUrl;
use crate::analysis::rollout::unit_stats::RatioMoments;
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
#[derive(Debug)]
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
}

impl Source<'_> {
    fn server(&self) -> String {
        self.client.server()
    }

    /// `WHERE` with the group present, the filter and the time range.
    pub(crate) fn where_clause(&self, roles: &Roles) -> Result<String, ClickHouseError> {
        let mut parts = vec![format!("isNotNull({})", ident(&roles.group))];
        if let Some(f) = &self.filter {
            parts.push(sql::filter(f, &self.server())?);
        }
        if self.from_s.is_some() || self.to_s.is_some() {
            let ts = roles
                .timestamp
                .as_ref()
                .ok_or_else(|| ClickHouseError::Input {
                    server: self.server(),
                    problem: "--from/--to need a timestamp column".into(),
                })?;
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
fn num(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn count(v: Option<&Value>) -> u64 {
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
    match &roles.error {
        Some(e) => format!("sum(length(ifNull(toString({}), '')) > 0)", ident(e)),
        None => "toUInt64(0)".into(),
    }
}

/// Per-group aggregates, sorted by group.
pub fn groups(src: &Source, roles: &Roles) -> Result<Vec<GroupAggregate>, ClickHouseError> {
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
            }
        })
        .collect())
}

/// Users seen in more than one group.
pub fn leaked_users(src: &Source, roles: &Roles) -> Result<u64, ClickHouseError> {
    let Some(u) = &roles.user else {
        return Ok(0);
    };
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
    let ts = roles
        .timestamp
        .as_ref()
        .ok_or_else(|| ClickHouseError::Input {
            server: src.server(),
            problem: "the table has no timestamp column for a timeline".into(),
        })?;
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
    let query = format!(
        "SELECT {} FROM {} WHERE {} GROUP BY __vd_bucket, __vd_g ORDER BY __vd_bucket, __vd_g",
        cols.join(", "),
        sql::table(&src.url.database, &src.url.table),
        src.where_clause(roles)?
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
        })
        .collect())
}

/// The stage of a row as SQL: how many of `stage_starts_us` are at or before its time.
fn stage_sql(
    src: &Source,
    roles: &Roles,
    stage_starts_us: &[i64],
) -> Result<String, ClickHouseError> {
    if stage_starts_us.is_empty() {
        return Ok("toUInt16(0)".to_string());
    }
    // (a row without a time is in no stage of a staged log: see `timed_sql`)
    let ts = roles
        .timestamp
        .as_ref()
        .ok_or_else(|| ClickHouseError::Input {
            server: src.server(),
            problem: "stages need a timestamp column".into(),
        })?;
    let t = roles.time_unit.micros_sql(ts);
    Ok(format!(
        "toUInt16({})",
        stage_starts_us
            .iter()
            .map(|b| format!("({t} >= {b})"))
            .collect::<Vec<_>>()
            .join(" + ")
    ))
}

/// ` AND isNotNull(ts)` when there are stages (a row without a time belongs to none).
fn timed_sql(roles: &Roles, stage_starts_us: &[i64]) -> String {
    match (&roles.timestamp, stage_starts_us.is_empty()) {
        (Some(ts), false) => format!(" AND isNotNull({})", ident(ts)),
        _ => String::new(),
    }
}

/// Distinct users per group × stage (the units the split is checked on).
pub fn units_per_cell(
    src: &Source,
    roles: &Roles,
    stage_starts_us: &[i64],
) -> Result<BTreeMap<(String, u16), u64>, ClickHouseError> {
    let user = roles.user.as_ref().ok_or_else(|| ClickHouseError::Input {
        server: src.server(),
        problem: "units need a user column".into(),
    })?;
    let rows = src.rows(&format!(
        "SELECT toString({g}) AS __vd_g, {stage} AS __vd_stage, uniqExact({u}) AS __vd_units FROM {table} WHERE {w} AND isNotNull({u}){timed} GROUP BY __vd_g, __vd_stage ORDER BY __vd_g, __vd_stage",
        g = ident(&roles.group),
        stage = stage_sql(src, roles, stage_starts_us)?,
        u = ident(user),
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
        timed = timed_sql(roles, stage_starts_us),
    ))?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                (
                    r.get("__vd_g")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    count(r.get("__vd_stage")) as u16,
                ),
                count(r.get("__vd_units")),
            )
        })
        .collect())
}

/// The per-unit sufficient statistics of one metric in each group × stage cell: units are
/// (user, group, stage) with at least one value; m = Σ values and d = their count per unit;
/// the cell's count, sums, means and centred second moments (two passes: the means first,
/// then Σ(m − m̄)², Σ(d − d̄)², Σ(m − m̄)(d − d̄), so nothing subtracts two large sums).
/// `stage_starts_us` are the starts of stages 1, 2, ... (epoch microseconds); rows before
/// the first are stage 0. Keys are (group, stage).
pub fn unit_moments(
    src: &Source,
    roles: &Roles,
    metric: &str,
    stage_starts_us: &[i64],
) -> Result<BTreeMap<(String, u16), RatioMoments>, ClickHouseError> {
    let user = roles.user.as_ref().ok_or_else(|| ClickHouseError::Input {
        server: src.server(),
        problem: "user-level tests need a user column".into(),
    })?;
    let stage = stage_sql(src, roles, stage_starts_us)?;
    let m = ident(metric);
    let units = format!(
        "SELECT toString({g}) AS __vd_g, {stage} AS __vd_stage, {u} AS __vd_unit, sum({m}) AS __vd_m, count({m}) AS __vd_d FROM {table} WHERE {w} AND isNotNull({u}){timed} GROUP BY __vd_g, __vd_stage, __vd_unit HAVING __vd_d > 0",
        g = ident(&roles.group),
        u = ident(user),
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
        timed = timed_sql(roles, stage_starts_us),
    );
    // pass 1: counts and sums per cell
    let first = src.rows(&format!(
        "SELECT __vd_g, __vd_stage, count() AS __vd_n, sum(__vd_m) AS __vd_sm, sum(__vd_d) AS __vd_sd FROM ({units}) GROUP BY __vd_g, __vd_stage ORDER BY __vd_g, __vd_stage"
    ))?;
    let mut cells: BTreeMap<(String, u16), RatioMoments> = BTreeMap::new();
    for r in &first {
        let key = (
            r.get("__vd_g")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            count(r.get("__vd_stage")) as u16,
        );
        let n = count(r.get("__vd_n"));
        let (sm, sd) = (
            num(r.get("__vd_sm")).unwrap_or(0.0),
            num(r.get("__vd_sd")).unwrap_or(0.0),
        );
        cells.insert(
            key,
            RatioMoments {
                n,
                sum_m: sm,
                sum_d: sd,
                mean_m: sm / n.max(1) as f64,
                mean_d: sd / n.max(1) as f64,
                ..Default::default()
            },
        );
    }
    if cells.is_empty() {
        return Ok(cells);
    }
    // pass 2: centred moments around each cell's means (inlined as literals)
    let key_sql = "concat(__vd_g, '|', toString(__vd_stage))";
    let keys: Vec<String> = cells
        .keys()
        .map(|(g, s)| sql::literal(&format!("{g}|{s}")))
        .collect();
    let values = |f: fn(&RatioMoments) -> f64| -> Result<String, ClickHouseError> {
        cells
            .values()
            .map(|c| {
                sql::number(f(c)).ok_or_else(|| ClickHouseError::Answer {
                    server: src.server(),
                    problem: "a cell mean is not finite".into(),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.join(", "))
    };
    let (mm, md) = (values(|c| c.mean_m)?, values(|c| c.mean_d)?);
    let keys = keys.join(", ");
    let second = src.rows(&format!(
        "SELECT __vd_g, __vd_stage, sum((__vd_m - __vd_cm) * (__vd_m - __vd_cm)) AS __vd_a, sum((__vd_d - __vd_cd) * (__vd_d - __vd_cd)) AS __vd_b, sum((__vd_m - __vd_cm) * (__vd_d - __vd_cd)) AS __vd_c FROM (SELECT __vd_g, __vd_stage, __vd_m, __vd_d, transform({key_sql}, [{keys}], [{mm}], nan) AS __vd_cm, transform({key_sql}, [{keys}], [{md}], nan) AS __vd_cd FROM ({units})) GROUP BY __vd_g, __vd_stage ORDER BY __vd_g, __vd_stage"
    ))?;
    for r in &second {
        let key = (
            r.get("__vd_g")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            count(r.get("__vd_stage")) as u16,
        );
        if let Some(c) = cells.get_mut(&key) {
            c.css_m = num(r.get("__vd_a")).unwrap_or(f64::NAN);
            c.css_d = num(r.get("__vd_b")).unwrap_or(f64::NAN);
            c.csp_md = num(r.get("__vd_c")).unwrap_or(f64::NAN);
        }
    }
    Ok(cells)
}

/// Request-level moments of `metric` per value of a segment `column` × group (keys: value,
/// group), two passes (the means, then Σ(x − x̄)²); and the requests per value.
pub fn segment_moments(
    src: &Source,
    roles: &Roles,
    column: &str,
    metric: &str,
) -> Result<SegmentMoments, ClickHouseError> {
    let (v, g, m) = (ident(column), ident(&roles.group), ident(metric));
    let table = sql::table(&src.url.database, &src.url.table);
    let w = src.where_clause(roles)?;
    let first = src.rows(&format!(
        "SELECT toString({v}) AS __vd_v, toString({g}) AS __vd_g, cityHash64(toString({v}), toString({g})) AS __vd_k, count() AS __vd_requests, count({m}) AS __vd_n, sum({m}) AS __vd_s FROM {table} WHERE {w} AND isNotNull({v}) GROUP BY __vd_v, __vd_g ORDER BY __vd_v, __vd_g"
    ))?;
    let mut out = SegmentMoments::default();
    let mut keys = Vec::new();
    let mut means = Vec::new();
    for r in &first {
        let value = r
            .get("__vd_v")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let group = r
            .get("__vd_g")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let n = count(r.get("__vd_n"));
        let sum = num(r.get("__vd_s")).unwrap_or(0.0);
        *out.requests.entry(value.clone()).or_default() += count(r.get("__vd_requests"));
        let mean = if n > 0 { sum / n as f64 } else { f64::NAN };
        if n > 0 {
            keys.push(count(r.get("__vd_k")).to_string());
            means.push(sql::number(mean).unwrap_or_else(|| "nan".into()));
        }
        out.cells.insert(
            (value, group),
            crate::analysis::stats::Moments {
                n,
                sum,
                mean,
                var: f64::NAN,
            },
        );
    }
    if keys.is_empty() {
        return Ok(out);
    }
    let second = src.rows(&format!(
        "SELECT toString({v}) AS __vd_v, toString({g}) AS __vd_g, sum((__vd_x - __vd_c) * (__vd_x - __vd_c)) AS __vd_css FROM (SELECT {v}, {g}, {m} AS __vd_x, transform(cityHash64(toString({v}), toString({g})), [{keys}], [{means}], nan) AS __vd_c FROM {table} WHERE {w} AND isNotNull({v}) AND isNotNull({m})) GROUP BY __vd_v, __vd_g",
        keys = keys.join(", "),
        means = means.join(", ")
    ))?;
    for r in &second {
        let key = (
            r.get("__vd_v")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            r.get("__vd_g")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        );
        if let Some(c) = out.cells.get_mut(&key) {
            let css = num(r.get("__vd_css")).unwrap_or(f64::NAN);
            c.var = if c.n > 1 {
                css / (c.n - 1) as f64
            } else {
                f64::NAN
            };
        }
    }
    Ok(out)
}

/// Per segment value × group moments of one metric, and requests per value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentMoments {
    /// (value, group) → count, sum, mean, sample variance of the metric's values.
    pub cells: BTreeMap<(String, String), crate::analysis::stats::Moments>,
    /// Requests per value (all groups).
    pub requests: BTreeMap<String, u64>,
}
