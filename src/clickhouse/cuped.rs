//! CUPED pushed down: the pre-period is the table's rows before the plan's experiment start;
//! each user's covariate is their metric total over it (0 without pre-period rows). Per
//! (stage, group) cell the moments of (post total, covariate) over the units with values,
//! the units whose user has pre-period rows, and per (group, stage mask, has covariate) the
//! (user, group) pairs — what `analysis::rollout::cuped_rows::column_counted` needs.

use super::aggregates::{count, num, Roles, Source};
use super::error::ClickHouseError;
use super::moments::{stage_sql, timed_sql, user_column};
use super::sql::{self, ident};
use crate::analysis::rollout::unit_stats::RatioMoments;
use crate::report::PrePeriodInfo;
use serde_json::Value;
use std::collections::BTreeMap;

/// The pre-period's rows with a user and its users; None without rows before `cut`.
pub fn pre_period(
    src: &Source,
    roles: &Roles,
    cut: i64,
) -> Result<Option<PrePeriodInfo>, ClickHouseError> {
    let ts = roles.timestamp_column(src, "a pre-period needs")?;
    let user = user_column(src, roles, "CUPED needs")?;
    if let Some(sp) = src.spill {
        return crate::stream::answers::pre_period(sp, src, cut);
    }
    let rows = src.rows(&format!(
        "SELECT count() AS __vd_rows, countIf(isNotNull({u})) AS __vd_with, uniqExact({u}) AS __vd_users FROM {table} WHERE {w} AND {us} < {cut}",
        u = ident(user),
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
        us = roles.time_unit.micros_sql(ts),
    ))?;
    let r = rows.first();
    if r.map_or(0, |r| count(r.get("__vd_rows"))) == 0 {
        return Ok(None);
    }
    Ok(Some(PrePeriodInfo {
        source: "log".into(),
        rows: r.map_or(0, |r| count(r.get("__vd_with"))),
        users: r.map_or(0, |r| count(r.get("__vd_users"))),
        column: None,
    }))
}

/// A declared covariate column: each user's covariate is the column's mean over their rows
/// of the experiment (as `analysis::pre_period::from_column`); the rows and users with a
/// value.
pub fn column_info(
    src: &Source,
    roles: &Roles,
    column: &str,
) -> Result<PrePeriodInfo, ClickHouseError> {
    let user = user_column(src, roles, "CUPED needs")?;
    if let Some(sp) = src.spill {
        return crate::stream::answers::column_info(sp, src, roles, column);
    }
    let rows = src.rows(&format!(
        "SELECT count() AS __vd_rows, uniqExact({u}) AS __vd_users FROM {table} WHERE {w} AND isNotNull({u}) AND isNotNull({c})",
        u = ident(user),
        c = ident(column),
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
    ))?;
    let r = rows.first();
    Ok(PrePeriodInfo {
        source: "column".into(),
        rows: r.map_or(0, |r| count(r.get("__vd_rows"))),
        users: r.map_or(0, |r| count(r.get("__vd_users"))),
        column: Some(column.to_string()),
    })
}

/// Where each user's covariate comes from.
pub enum Covariate<'a> {
    /// The metric's total over the rows of `all` before `cut` (the pre-period).
    PrePeriod {
        /// Every row of the table (the experiment's and the pre-period's).
        all: &'a Source<'a>,
        /// The experiment start, µs.
        cut: i64,
    },
    /// The mean of a declared column over the user's rows of `experiment`.
    Column {
        /// The experiment's rows (after its start, before the stage filter).
        experiment: &'a Source<'a>,
        /// The covariate column.
        name: &'a str,
    },
}

/// Each user's covariate as a subquery of (`__vd_u`, `alias`, `__vd_has`): `pre_sum` (an
/// aggregate over the metric) of the pre-period's rows, or the declared column's mean over
/// the user's experiment rows.
pub fn covariate_subquery(
    covariate: &Covariate,
    roles: &Roles,
    post: &Source,
    pre_sum: &str,
    alias: &str,
) -> Result<String, ClickHouseError> {
    let user = user_column(post, roles, "CUPED needs")?;
    let u = ident(user);
    let key_user = format!("ifNull(toString({u}), '')");
    let table = sql::table(&post.url.database, &post.url.table);
    Ok(match covariate {
        Covariate::PrePeriod { all, cut } => {
            let ts = roles.timestamp_column(post, "a pre-period needs")?;
            format!(
                "SELECT {key_user} AS __vd_u, {pre_sum} AS {alias}, toUInt8(1) AS __vd_has FROM {table} WHERE {w} AND isNotNull({u}) AND {us} < {cut} GROUP BY __vd_u",
                w = all.where_clause(roles)?,
                us = roles.time_unit.micros_sql(ts),
            )
        }
        Covariate::Column { experiment, name } => format!(
            "SELECT {key_user} AS __vd_u, sum(toFloat64({c})) / count() AS {alias}, toUInt8(1) AS __vd_has FROM {table} WHERE {w} AND isNotNull({u}) AND isNotNull({c}) GROUP BY __vd_u",
            c = ident(name),
            w = experiment.where_clause(roles)?,
        ),
    })
}

/// One metric's CUPED inputs.
pub struct CupedCells {
    /// Per (stage, group), index `stage * k + group`: moments of (post total, covariate).
    pub moments: Vec<RatioMoments>,
    /// Units with a covariate, same index.
    pub with_covariate: Vec<u64>,
    /// (group, stage mask, has covariate) → (user, group) pairs with values.
    pub pairs: BTreeMap<(String, u64, bool), u64>,
}

/// The CUPED cells of `metric`: `post` selects the experiment's staged rows; the covariate
/// per user from the pre-period or a declared column.
pub fn cells(
    post: &Source,
    covariate: &Covariate,
    roles: &Roles,
    metric: &str,
    later_starts: &[i64],
    names: &[String],
) -> Result<CupedCells, ClickHouseError> {
    let user = user_column(post, roles, "CUPED needs")?;
    if let Some(sp) = post.spill {
        return crate::stream::answers::cuped_cells(
            sp,
            post,
            covariate,
            roles,
            metric,
            later_starts,
            names,
        );
    }
    let (u, m) = (ident(user), ident(metric));
    let table = sql::table(&post.url.database, &post.url.table);
    let key_user = format!("ifNull(toString({u}), '')");
    let units = format!(
        "SELECT toString({g}) AS __vd_g, {stage} AS __vd_stage, {key_user} AS __vd_u, sum({m}) AS __vd_m, count({m}) AS __vd_d FROM {table} WHERE {w} AND isNotNull({u}){timed} GROUP BY __vd_g, __vd_stage, __vd_u HAVING __vd_d > 0",
        g = ident(&roles.group),
        stage = stage_sql(post, roles, later_starts)?,
        w = post.where_clause(roles)?,
        timed = timed_sql(roles, later_starts),
    );
    let pre = covariate_subquery(
        covariate,
        roles,
        post,
        &format!("ifNull(sum({m}), 0)"),
        "__vd_x",
    )?;
    let joined = format!(
        "SELECT __vd_g, __vd_stage, __vd_u, __vd_m, __vd_x, __vd_has FROM ({units}) ANY LEFT JOIN ({pre}) USING __vd_u"
    );
    let k = names.len();
    let ns = later_starts.len() + 1;
    let index = |r: &Value| -> Option<usize> {
        let g = r.get("__vd_g").and_then(Value::as_str)?;
        let gi = names.iter().position(|n| n == g)?;
        let s = count(r.get("__vd_stage")) as usize;
        (s < ns).then_some(s * k + gi)
    };
    // pass 1: counts, sums, units with a covariate
    let first = post.rows(&format!(
        "SELECT __vd_g, __vd_stage, count() AS __vd_n, sum(__vd_m) AS __vd_sm, sum(__vd_x) AS __vd_sx, countIf(__vd_has = 1) AS __vd_with FROM ({joined}) GROUP BY __vd_g, __vd_stage"
    ))?;
    let mut moments = vec![RatioMoments::default(); ns * k];
    let mut with_covariate = vec![0u64; ns * k];
    for r in &first {
        let Some(i) = index(r) else { continue };
        let n = count(r.get("__vd_n"));
        let (sm, sx) = (
            num(r.get("__vd_sm")).unwrap_or(0.0),
            num(r.get("__vd_sx")).unwrap_or(0.0),
        );
        moments[i] = RatioMoments {
            n,
            sum_m: sm,
            sum_d: sx,
            mean_m: sm / n.max(1) as f64,
            mean_d: sx / n.max(1) as f64,
            ..Default::default()
        };
        with_covariate[i] = count(r.get("__vd_with"));
    }
    // pass 2: centred moments around each cell's means
    let filled: Vec<usize> = (0..ns * k).filter(|&i| moments[i].n > 0).collect();
    if !filled.is_empty() {
        let keys = filled
            .iter()
            .map(|&i| sql::literal(&format!("{}|{}", names[i % k], i / k)))
            .collect::<Vec<_>>()
            .join(", ");
        let list = |f: fn(&RatioMoments) -> f64| {
            filled
                .iter()
                .map(|&i| sql::number(f(&moments[i])).unwrap_or_else(|| "nan".into()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (cm, cx) = (list(|c| c.mean_m), list(|c| c.mean_d));
        let key = "concat(__vd_g, '|', toString(__vd_stage))";
        let second = post.rows(&format!(
            "SELECT __vd_g, __vd_stage, sum((__vd_m - __vd_cm) * (__vd_m - __vd_cm)) AS __vd_a, sum((__vd_x - __vd_cx) * (__vd_x - __vd_cx)) AS __vd_b, sum((__vd_m - __vd_cm) * (__vd_x - __vd_cx)) AS __vd_c FROM (SELECT __vd_g, __vd_stage, __vd_m, __vd_x, transform({key}, [{keys}], [{cm}], nan) AS __vd_cm, transform({key}, [{keys}], [{cx}], nan) AS __vd_cx FROM ({joined})) GROUP BY __vd_g, __vd_stage"
        ))?;
        for r in &second {
            let Some(i) = index(r) else { continue };
            let c = &mut moments[i];
            c.css_m = num(r.get("__vd_a")).unwrap_or(f64::NAN);
            c.css_d = num(r.get("__vd_b")).unwrap_or(f64::NAN);
            c.csp_md = num(r.get("__vd_c")).unwrap_or(f64::NAN);
        }
    }
    // pairs with values per (group, stage mask, has a covariate)
    let masks = post.rows(&format!(
        "SELECT __vd_g, __vd_mask, __vd_has, count() AS __vd_n FROM (SELECT __vd_u, __vd_g, groupBitOr(bitShiftLeft(toUInt64(1), __vd_stage)) AS __vd_mask FROM ({units}) GROUP BY __vd_u, __vd_g) ANY LEFT JOIN ({pre}) USING __vd_u GROUP BY __vd_g, __vd_mask, __vd_has"
    ))?;
    let pairs = masks
        .iter()
        .map(|r| {
            (
                (
                    r.get("__vd_g")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    count(r.get("__vd_mask")),
                    count(r.get("__vd_has")) == 1,
                ),
                count(r.get("__vd_n")),
            )
        })
        .collect();
    Ok(CupedCells {
        moments,
        with_covariate,
        pairs,
    })
}
