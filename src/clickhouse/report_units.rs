//! What the pushed-down report reads about the table's units and columns: whether a value
//! is constant per user, requests per stage, each (user, group) pair's stage mask (leakage
//! and the combined tests' units), the tested columns and the time range.

use super::aggregates::{count, error_flag_sql, num, Roles, Source};
use super::error::ClickHouseError;
use super::moments::{stage_sql, timed_sql, user_column};
use super::sql::{self, ident};
use crate::analysis::rollout::{TestedColumn, ERROR_RATE};
use crate::ingest::MetricKind;
use std::collections::BTreeMap;

/// Whether every (user, group) has one value of `value` throughout (a per-user metric).
pub(super) fn constant_per_user(
    src: &Source,
    roles: &Roles,
    value: &str,
    later_starts: &[i64],
) -> Result<bool, ClickHouseError> {
    let user = user_column(src, roles, "user-level tests need")?;
    if let Some(sp) = src.spill {
        return crate::stream::answers::constant_per_user(sp, src, value, later_starts);
    }
    let rows = src.rows(&format!(
        "SELECT count() AS __vd_varied FROM (SELECT {u}, {g} FROM {table} WHERE {w} AND isNotNull({u}) AND isNotNull({value}){timed} GROUP BY {u}, {g} HAVING min({value}) != max({value}))",
        u = ident(user),
        g = ident(&roles.group),
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
        timed = timed_sql(roles, later_starts),
    ))?;
    Ok(rows.first().map_or(0, |r| count(r.get("__vd_varied"))) == 0)
}

/// Requests per stage.
pub(super) fn stage_requests(
    src: &Source,
    roles: &Roles,
    later_starts: &[i64],
    stages: usize,
) -> Result<Vec<u64>, ClickHouseError> {
    if let Some(sp) = src.spill {
        return crate::stream::answers::stage_requests(sp, src, later_starts, stages);
    }
    let rows = src.rows(&format!(
        "SELECT {stage} AS __vd_stage, count() AS __vd_n FROM {table} WHERE {w}{timed} GROUP BY __vd_stage",
        stage = stage_sql(src, roles, later_starts)?,
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
        timed = timed_sql(roles, later_starts),
    ))?;
    let mut out = vec![0u64; stages];
    for r in &rows {
        let s = count(r.get("__vd_stage")) as usize;
        if let Some(c) = out.get_mut(s) {
            *c += count(r.get("__vd_n"));
        }
    }
    Ok(out)
}

/// Per (user, group) pair: the stages it has rows in, as a bit mask; counted per (group,
/// mask). Also the users, those in two groups within one stage, and those who moved
/// between groups only at a stage boundary.
pub(super) struct PairMasks {
    /// (group, stage mask) → pairs.
    pub(super) masks: BTreeMap<(String, u64), u64>,
    pub(super) users: u64,
    pub(super) leaked: u64,
    pub(super) moved: u64,
}

pub(super) fn pair_masks(
    src: &Source,
    roles: &Roles,
    later_starts: &[i64],
) -> Result<PairMasks, ClickHouseError> {
    let user = user_column(src, roles, "user-level tests need")?;
    if let Some(sp) = src.spill {
        let m = crate::stream::answers::pair_masks(sp, src, later_starts)?;
        return Ok(PairMasks {
            masks: m.masks,
            users: m.users,
            leaked: m.leaked,
            moved: m.moved,
        });
    }
    let pairs = format!(
        "SELECT {u} AS __vd_u, toString({g}) AS __vd_g, groupBitOr(bitShiftLeft(toUInt64(1), {stage})) AS __vd_mask FROM {table} WHERE {w} AND isNotNull({u}){timed} GROUP BY __vd_u, __vd_g",
        u = ident(user),
        g = ident(&roles.group),
        stage = stage_sql(src, roles, later_starts)?,
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
        timed = timed_sql(roles, later_starts),
    );
    let rows = src.rows(&format!(
        "SELECT __vd_g, __vd_mask, count() AS __vd_n FROM ({pairs}) GROUP BY __vd_g, __vd_mask ORDER BY __vd_g, __vd_mask"
    ))?;
    let masks = rows
        .iter()
        .map(|r| {
            (
                (
                    r.get("__vd_g")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    count(r.get("__vd_mask")),
                ),
                count(r.get("__vd_n")),
            )
        })
        .collect();
    // per user: pairs, and whether the masks of two pairs share a stage (the OR of the
    // masks has fewer bits than their sum: tested as a sum of masks that differs from
    // their OR, which holds exactly when two masks share a bit)
    let users = src.rows(&format!(
        "SELECT count() AS __vd_users, countIf(__vd_pairs > 1 AND __vd_sum != __vd_or) AS __vd_leaked, countIf(__vd_pairs > 1 AND __vd_sum = __vd_or) AS __vd_moved FROM (SELECT __vd_u, count() AS __vd_pairs, sum(__vd_mask) AS __vd_sum, groupBitOr(__vd_mask) AS __vd_or FROM ({pairs}) GROUP BY __vd_u)"
    ))?;
    let r = users.first();
    Ok(PairMasks {
        masks,
        users: r.map_or(0, |r| count(r.get("__vd_users"))),
        leaked: r.map_or(0, |r| count(r.get("__vd_leaked"))),
        moved: r.map_or(0, |r| count(r.get("__vd_moved"))),
    })
}

/// The tested columns of the table, in report order: metrics, latency, error rate; a
/// metric whose values are all 0 or 1 is a proportion.
pub(super) fn tested_columns(
    src: &Source,
    roles: &Roles,
) -> Result<Vec<TestedColumn>, ClickHouseError> {
    if let Some(sp) = src.spill {
        return crate::stream::answers::tested_columns(sp, src, roles);
    }
    // per column: values, and values other than 0 and 1 (a proportion has none)
    let mut cols = Vec::new();
    for (i, m) in roles.metrics.iter().enumerate() {
        let c = ident(m);
        cols.push(format!(
            "count({c}) AS __vd_n{i}, countIf(isNotNull({c}) AND {c} != 0 AND {c} != 1) AS __vd_o{i}"
        ));
    }
    for (alias, c) in [("__vd_lat", &roles.latency), ("__vd_score", &roles.score)] {
        if let Some(c) = c {
            cols.push(format!("count({}) AS {alias}", ident(c)));
        }
    }
    let rows = if cols.is_empty() {
        Vec::new()
    } else {
        src.rows(&format!(
            "SELECT {} FROM {} WHERE {}",
            cols.join(", "),
            sql::table(&src.url.database, &src.url.table),
            src.where_clause(roles)?
        ))?
    };
    let r = rows.first();
    let n = |k: String| r.map_or(0, |r| count(r.get(k)));
    let mut out = Vec::new();
    for (i, m) in roles.metrics.iter().enumerate() {
        // a metric without values is not tested (as the local engine drops it)
        if n(format!("__vd_n{i}")) == 0 {
            continue;
        }
        out.push(TestedColumn {
            name: m.clone(),
            column: ident(m),
            kind: if n(format!("__vd_o{i}")) == 0 {
                MetricKind::Proportion
            } else {
                MetricKind::Mean
            },
            lower_is_better: false,
        });
    }
    if let Some(l) = roles.latency.as_ref().filter(|_| n("__vd_lat".into()) > 0) {
        out.push(TestedColumn {
            name: l.clone(),
            column: ident(l),
            kind: MetricKind::Mean,
            lower_is_better: true,
        });
    }
    if let Some(sc) = roles
        .score
        .as_ref()
        .filter(|s| !out.iter().any(|c| &c.name == *s) && n("__vd_score".into()) > 0)
    {
        out.push(TestedColumn {
            name: sc.clone(),
            column: ident(sc),
            kind: MetricKind::Mean,
            lower_is_better: false,
        });
    }
    if let Some(flag) = error_flag_sql(roles).filter(|_| !out.iter().any(|c| c.name == ERROR_RATE))
    {
        out.push(TestedColumn {
            name: ERROR_RATE.into(),
            column: format!("toUInt8{flag}"),
            kind: MetricKind::Proportion,
            lower_is_better: true,
        });
    }
    Ok(out)
}

/// The time range of the table's rows (µs).
pub(super) fn time_range(
    src: &Source,
    roles: &Roles,
) -> Result<Option<(i64, i64)>, ClickHouseError> {
    let Some(ts) = &roles.timestamp else {
        return Ok(None);
    };
    if let Some(sp) = src.spill {
        return crate::stream::answers::time_range(sp, src);
    }
    let t = roles.time_unit.micros_sql(ts);
    let rows = src.rows(&format!(
        "SELECT min({t}) AS __vd_lo, max({t}) AS __vd_hi, count({ts}) AS __vd_n FROM {table} WHERE {w}",
        ts = ident(ts),
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
    ))?;
    let r = rows.first();
    if r.map_or(0, |r| count(r.get("__vd_n"))) == 0 {
        return Ok(None);
    }
    let get = |k: &str| r.and_then(|r| num(r.get(k))).map(|v| v as i64);
    Ok(get("__vd_lo").zip(get("__vd_hi")))
}
