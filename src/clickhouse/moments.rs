//! The moments the tests run on, pushed down: distinct units and per-unit centred moments
//! per group × stage (users as the unit), and request-level moments per segment value ×
//! group; two passes each (the means, then the centred sums), so nothing subtracts two
//! large sums.

use super::aggregates::{count, num, Roles, Source};
use super::error::ClickHouseError;
use super::sql::{self, ident};
use crate::analysis::rollout::unit_stats::RatioMoments;
use serde_json::Value;
use std::collections::BTreeMap;

/// The stage of a row as SQL: how many of `stage_starts_us` are at or before its time.
pub(super) fn stage_sql(
    src: &Source,
    roles: &Roles,
    stage_starts_us: &[i64],
) -> Result<String, ClickHouseError> {
    if stage_starts_us.is_empty() {
        return Ok("toUInt16(0)".to_string());
    }
    // (a row without a time is in no stage of a staged log: see `timed_sql`)
    let ts = roles.timestamp_column(src, "stages need")?;
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
pub(super) fn timed_sql(roles: &Roles, stage_starts_us: &[i64]) -> String {
    match (&roles.timestamp, stage_starts_us.is_empty()) {
        (Some(ts), false) => format!(" AND isNotNull({})", ident(ts)),
        _ => String::new(),
    }
}

/// The (group, stage) of an answer row.
fn cell_key(r: &Value) -> (String, u16) {
    (
        r.get("__vd_g")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        count(r.get("__vd_stage")) as u16,
    )
}

/// The user column, or an error saying what needs one (`why`, e.g. "units need").
pub(super) fn user_column<'a>(
    src: &Source,
    roles: &'a Roles,
    why: &str,
) -> Result<&'a str, ClickHouseError> {
    roles.user.as_deref().ok_or_else(|| ClickHouseError::Input {
        server: src.server(),
        problem: format!("{why} a user column"),
    })
}

/// Distinct users per group × stage (the units the split is checked on).
pub fn units_per_cell(
    src: &Source,
    roles: &Roles,
    stage_starts_us: &[i64],
) -> Result<BTreeMap<(String, u16), u64>, ClickHouseError> {
    let user = user_column(src, roles, "units need")?;
    if let Some(sp) = src.spill {
        return crate::stream::answers::units_per_cell(sp, src, stage_starts_us);
    }
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
        .map(|r| (cell_key(r), count(r.get("__vd_units"))))
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
    if let Some(sp) = src.spill {
        let column = crate::ingest::normalize::metric_col(metric);
        return crate::stream::answers::unit_moments_of(sp, src, &column, stage_starts_us, false);
    }
    unit_moments_of(src, roles, &ident(metric), stage_starts_us, false)
}

/// [`unit_moments`] of any value expression (`value` is SQL built from quoted identifiers,
/// e.g. the error flag); with `per_user_mean` each unit contributes its mean with d = 1 (a
/// metric constant per user, as the local engine reads it).
pub fn unit_moments_of(
    src: &Source,
    roles: &Roles,
    value: &str,
    stage_starts_us: &[i64],
    per_user_mean: bool,
) -> Result<BTreeMap<(String, u16), RatioMoments>, ClickHouseError> {
    let user = user_column(src, roles, "user-level tests need")?;
    if let Some(sp) = src.spill {
        return crate::stream::answers::unit_moments_of(
            sp,
            src,
            value,
            stage_starts_us,
            per_user_mean,
        );
    }
    let stage = stage_sql(src, roles, stage_starts_us)?;
    let m = value;
    let (mexpr, dexpr) = if per_user_mean {
        (
            format!("sum({m}) / count({m})"),
            format!("toUInt64(count({m}) > 0)"),
        )
    } else {
        (format!("sum({m})"), format!("count({m})"))
    };
    let units = format!(
        "SELECT toString({g}) AS __vd_g, {stage} AS __vd_stage, {u} AS __vd_unit, {mexpr} AS __vd_m, {dexpr} AS __vd_d FROM {table} WHERE {w} AND isNotNull({u}){timed} GROUP BY __vd_g, __vd_stage, __vd_unit HAVING __vd_d > 0",
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
        let key = cell_key(r);
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
    // a non-finite mean (an infinite value in the cell) is sent as nan, as the local
    // engine carries on with it
    let values = |f: fn(&RatioMoments) -> f64| -> Result<String, ClickHouseError> {
        Ok(cells
            .values()
            .map(|c| sql::number(f(c)).unwrap_or_else(|| "nan".into()))
            .collect::<Vec<_>>()
            .join(", "))
    };
    let (mm, md) = (values(|c| c.mean_m)?, values(|c| c.mean_d)?);
    let keys = keys.join(", ");
    let second = src.rows(&format!(
        "SELECT __vd_g, __vd_stage, sum((__vd_m - __vd_cm) * (__vd_m - __vd_cm)) AS __vd_a, sum((__vd_d - __vd_cd) * (__vd_d - __vd_cd)) AS __vd_b, sum((__vd_m - __vd_cm) * (__vd_d - __vd_cd)) AS __vd_c FROM (SELECT __vd_g, __vd_stage, __vd_m, __vd_d, transform({key_sql}, [{keys}], [{mm}], nan) AS __vd_cm, transform({key_sql}, [{keys}], [{md}], nan) AS __vd_cd FROM ({units})) GROUP BY __vd_g, __vd_stage ORDER BY __vd_g, __vd_stage"
    ))?;
    for r in &second {
        let key = cell_key(r);
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
    if let Some(sp) = src.spill {
        return crate::stream::answers::segment_moments(sp, src, roles, column, metric);
    }
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
