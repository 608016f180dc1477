//! The primary metric's lift over time pushed down: per (stage, group) cell and timeline
//! bucket, how the cell's running sums (units, Σx, Σy, Σx², Σy², Σxy of each unit's pair)
//! change when its units' rows of that bucket are added — each unit's per-bucket sums are
//! accumulated in bucket order on the server, so only cells × buckets come back. Summed in
//! bucket order they are the cells at every bucket end, which the engine's own lift
//! evaluation reads (`analysis::rollout::lift::lifts_from_cells`).

use super::aggregates::{count, num, Roles, Source};
use super::error::ClickHouseError;
use super::moments::{stage_sql, timed_sql, user_column};
use super::sql::{self, ident};
use crate::analysis::rollout::lift::{LiftForm, Running};
use serde_json::Value;
use std::collections::BTreeMap;

/// The cells' running sums at the end of every bucket in `emit_at` (bucket starts, µs; the
/// buckets with rows), for the value expression `value` (SQL) of the rows `post` selects.
/// CUPED (`form`) takes each user's covariate (the pre-period's total of `value`, or the
/// declared column's mean) as the unit's y.
#[allow(clippy::too_many_arguments)]
pub fn running_cells(
    post: &Source,
    covariate: Option<&super::cuped::Covariate>,
    roles: &Roles,
    value: &str,
    later_starts: &[i64],
    names: &[String],
    span_us: i64,
    form: LiftForm,
    emit_at: &[i64],
) -> Result<Vec<(i64, Vec<Running>)>, ClickHouseError> {
    let ts = roles.timestamp_column(post, "the lift over time needs")?;
    let user = user_column(post, roles, "the lift over time needs")?;
    if let Some(sp) = post.spill {
        return crate::stream::answers::running_cells(
            sp,
            post,
            covariate,
            roles,
            value,
            later_starts,
            names,
            span_us,
            form,
            emit_at,
        );
    }
    let (u, us) = (ident(user), roles.time_unit.micros_sql(ts));
    let table = sql::table(&post.url.database, &post.url.table);
    let key_user = format!("ifNull(toString({u}), '')");
    let span = span_us.max(1);
    let rows = format!(
        "SELECT {key_user} AS __vd_u, toString({g}) AS __vd_g, {stage} AS __vd_stage, intDiv({us}, {span}) AS __vd_b, ifNull(sum(toFloat64({value})), 0) AS __vd_sm, count({value}) AS __vd_sd FROM {table} WHERE {w} AND isNotNull({u}) AND isNotNull({tsi}) AND isNotNull({value}) AND NOT isNaN(toFloat64({value})){timed} GROUP BY __vd_u, __vd_g, __vd_stage, __vd_b",
        g = ident(&roles.group),
        stage = stage_sql(post, roles, later_starts)?,
        w = post.where_clause(roles)?,
        tsi = ident(ts),
        timed = timed_sql(roles, later_starts),
    );
    let per_unit = format!(
        "SELECT __vd_u, __vd_g, __vd_stage, arraySort(x -> tupleElement(x, 1), groupArray((__vd_b, __vd_sm, __vd_sd))) AS __vd_t FROM ({rows}) GROUP BY __vd_u, __vd_g, __vd_stage"
    );
    // each unit's y for CUPED: its user's covariate (0 without one)
    let units = match (form, covariate) {
        (LiftForm::Cuped, Some(cov)) => format!(
            "SELECT __vd_g, __vd_stage, __vd_t, __vd_y FROM ({per_unit}) ANY LEFT JOIN ({cov}) USING __vd_u",
            cov = super::cuped::covariate_subquery(
                cov,
                roles,
                post,
                &format!("ifNull(sum(toFloat64({value})), 0)"),
                "__vd_y"
            )?,
        ),
        _ => format!("SELECT __vd_g, __vd_stage, __vd_t, toFloat64(0) AS __vd_y FROM ({per_unit})"),
    };
    // (x, y) of a unit after (m1, d1) and before (m0, d0) a bucket's rows
    let (x1, y1, x0, y0) = match form {
        LiftForm::Ratio => ("m1", "d1", "m0", "d0"),
        LiftForm::Mean => ("m1 / d1", "1", "m0 / d0", "1"),
        LiftForm::Cuped => ("m1", "__vd_y", "m0", "__vd_y"),
    };
    let delta = |after: &str, before: &str| format!("({after}) - if(d0 > 0, {before}, 0)");
    let sq = |e: &str| format!("({e}) * ({e})");
    let query = format!(
        "SELECT __vd_g, __vd_stage, b AS __vd_b, sum(d0 = 0) AS __vd_dn, sum({dx}) AS __vd_dx, sum({dy}) AS __vd_dy, sum({dxx}) AS __vd_dxx, sum({dyy}) AS __vd_dyy, sum({dxy}) AS __vd_dxy FROM (SELECT __vd_g, __vd_stage, __vd_y, b, m1, d1, m1 - sm AS m0, d1 - sd AS d0 FROM (SELECT __vd_g, __vd_stage, __vd_y, arrayMap(x -> tupleElement(x, 1), __vd_t) AS bs, arrayMap(x -> tupleElement(x, 2), __vd_t) AS sms, arrayMap(x -> tupleElement(x, 3), __vd_t) AS sds, arrayCumSum(sms) AS cms, arrayCumSum(sds) AS cds FROM ({units})) ARRAY JOIN bs AS b, sms AS sm, sds AS sd, cms AS m1, cds AS d1) GROUP BY __vd_g, __vd_stage, __vd_b",
        dx = delta(x1, x0),
        dy = delta(y1, y0),
        dxx = delta(&sq(x1), &sq(x0)),
        dyy = delta(&sq(y1), &sq(y0)),
        dxy = delta(&format!("({x1}) * ({y1})"), &format!("({x0}) * ({y0})")),
    );
    let k = names.len();
    let ns = later_starts.len() + 1;
    // bucket start (µs) → per cell deltas
    let mut deltas: BTreeMap<i64, Vec<(usize, Running)>> = BTreeMap::new();
    for r in post.rows(&query)? {
        let Some(g) = r
            .get("__vd_g")
            .and_then(Value::as_str)
            .and_then(|g| names.iter().position(|n| n == g))
        else {
            continue;
        };
        let s = count(r.get("__vd_stage")) as usize;
        if s >= ns {
            continue;
        }
        let b = num(r.get("__vd_b")).unwrap_or(0.0) as i64;
        let f = |k: &str| num(r.get(k)).unwrap_or(0.0);
        deltas.entry(b * span).or_default().push((
            s * k + g,
            Running {
                n: count(r.get("__vd_dn")),
                x: f("__vd_dx"),
                y: f("__vd_dy"),
                xx: f("__vd_dxx"),
                yy: f("__vd_dyy"),
                xy: f("__vd_dxy"),
            },
        ));
    }
    Ok(crate::analysis::rollout::lift::cumulate(
        &deltas,
        emit_at,
        ns * k,
    ))
}
