//! Stage detection on the server: the requests per time interval (all, and not control)
//! come back as at most 2,000 rows, the same change-point detection runs on them as on a
//! file, and each switch is refined from the users who moved between groups near it and
//! the requests of a window of four intervals around it — the same functions the local
//! engine uses (`analysis::rollout::plan_stages`), so both give the same stage starts.

use super::aggregates::{Roles, Source};
use super::error::ClickHouseError;
use super::sql::{self, ident, literal};
use crate::analysis::rollout::plan_stages::{coarse_windows, interval_count, refine, Boundaries};
use crate::analysis::rollout::stages::{detect, IntervalCounts};
use serde_json::Value;

fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `(t >= lo AND t < hi) OR ...` for the windows.
fn in_windows(t: &str, windows: &[(i64, i64)]) -> String {
    windows
        .iter()
        .map(|(lo, hi)| format!("({t} >= {lo} AND {t} < {hi})"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// The stages of the table's rows with a group and a time, `control` being the control
/// group; None without timed rows.
pub fn detect_stages(
    src: &Source,
    roles: &Roles,
    control: &str,
) -> Result<Option<Boundaries>, ClickHouseError> {
    let ts = roles.timestamp_column(src, "stages need")?;
    if let Some(sp) = src.spill {
        return crate::stream::answers::detect_stages(sp, src, control);
    }
    let t = roles.time_unit.micros_sql(ts);
    let g = format!("toString({})", ident(&roles.group));
    let table = sql::table(&src.url.database, &src.url.table);
    let w = format!("{} AND isNotNull({})", src.where_clause(roles)?, ident(ts));
    let range = src.rows(&format!(
        "SELECT min({t}) AS __vd_lo, max({t}) AS __vd_hi, count() AS __vd_n FROM {table} WHERE {w}"
    ))?;
    let r = range.first();
    let n = r.and_then(|r| int(r.get("__vd_n"))).unwrap_or(0);
    if n == 0 {
        return Ok(None);
    }
    let (min, max) = (
        r.and_then(|r| int(r.get("__vd_lo"))).unwrap_or(0),
        r.and_then(|r| int(r.get("__vd_hi"))).unwrap_or(0),
    );
    // the same intervals as IntervalCounts::of
    let intervals = interval_count(n as usize);
    let span = (max as i128 - min as i128 + 1).max(1);
    let width = ((span + intervals as i128 - 1) / intervals as i128).max(1) as i64;
    let count = ((span + width as i128 - 1) / width as i128) as usize;
    let rows = src.rows(&format!(
        "SELECT least(intDiv({t} - {min}, {width}), {last}) AS __vd_i, count() AS __vd_n, sum({g} != {c}) AS __vd_x FROM {table} WHERE {w} GROUP BY __vd_i ORDER BY __vd_i",
        last = count - 1,
        c = literal(control)
    ))?;
    let mut counts = IntervalCounts {
        start_us: min,
        width_us: width,
        n: vec![0; count],
        x: vec![0; count],
    };
    for r in &rows {
        let i = int(r.get("__vd_i")).unwrap_or(0).clamp(0, count as i64 - 1) as usize;
        counts.n[i] = int(r.get("__vd_n")).unwrap_or(0) as u64;
        counts.x[i] = int(r.get("__vd_x")).unwrap_or(0) as u64;
    }
    let cuts = detect(&counts);
    let (coarse, windows) = coarse_windows(&counts, &cuts, min, max);
    if coarse.is_empty() {
        return Ok(Some(refine(&[], &[], Vec::new(), Vec::new(), min, max)));
    }
    // users in exactly two groups one after the other, near each window: those whose
    // last old or first new request falls inside it come back one by one; those spanning
    // it (l < lo, f >= hi) contain every point of it, so their count, latest l and
    // earliest f stand for them (as that many copies: the refinement gives the same)
    let mut near: Vec<Vec<(i64, i64)>> = vec![Vec::new(); windows.len()];
    if let Some(user) = &roles.user {
        let u = ident(user);
        let moves = format!(
            "SELECT __vd_l, __vd_f FROM (SELECT if(__vd_ls[1] < __vd_fs[2], __vd_ls[1], __vd_ls[2]) AS __vd_l, if(__vd_ls[1] < __vd_fs[2], __vd_fs[2], __vd_fs[1]) AS __vd_f, (__vd_ls[1] < __vd_fs[2]) OR (__vd_ls[2] < __vd_fs[1]) AS __vd_apart FROM (SELECT __vd_u, groupArray(__vd_first) AS __vd_fs, groupArray(__vd_last) AS __vd_ls FROM (SELECT {u} AS __vd_u, {g} AS __vd_g, min({t}) AS __vd_first, max({t}) AS __vd_last FROM {table} WHERE {w} AND isNotNull({u}) GROUP BY __vd_u, __vd_g) GROUP BY __vd_u HAVING count() = 2)) WHERE __vd_apart"
        );
        let inside = windows
            .iter()
            .map(|(lo, hi)| {
                format!("(__vd_l >= {lo} AND __vd_l < {hi}) OR (__vd_f >= {lo} AND __vd_f < {hi})")
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        for r in src.rows(&format!(
            "SELECT __vd_l, __vd_f FROM ({moves}) WHERE {inside}"
        ))? {
            let (Some(l), Some(f)) = (int(r.get("__vd_l")), int(r.get("__vd_f"))) else {
                continue;
            };
            for (v, &(lo, hi)) in near.iter_mut().zip(&windows) {
                if (l >= lo && l < hi) || (f >= lo && f < hi) {
                    v.push((l, f));
                }
            }
        }
        let spans = windows
            .iter()
            .map(|(lo, hi)| format!("({lo}, {hi})"))
            .collect::<Vec<_>>()
            .join(", ");
        for r in src.rows(&format!(
            "SELECT tupleElement(__vd_w, 1) AS __vd_lo, count() AS __vd_n, max(__vd_l) AS __vd_ml, min(__vd_f) AS __vd_mf FROM ({moves}) ARRAY JOIN [{spans}] AS __vd_w WHERE __vd_l < tupleElement(__vd_w, 1) AND __vd_f >= tupleElement(__vd_w, 2) GROUP BY __vd_lo"
        ))? {
            let (Some(lo), Some(n), Some(l), Some(f)) = (
                int(r.get("__vd_lo")),
                int(r.get("__vd_n")),
                int(r.get("__vd_ml")),
                int(r.get("__vd_mf")),
            ) else {
                continue;
            };
            for (v, &(wlo, _)) in near.iter_mut().zip(&windows) {
                if wlo == lo {
                    v.extend(std::iter::repeat_n((l, f), n.max(0) as usize));
                }
            }
        }
    }
    // the requests of every window, in time order
    let window_rows = src.rows(&format!(
        "SELECT {t} AS __vd_t, {g} != {c} AS __vd_x FROM {table} WHERE {w} AND ({cond}) ORDER BY __vd_t",
        c = literal(control),
        cond = in_windows(&t, &windows)
    ))?;
    let mut in_window: Vec<Vec<(i64, bool)>> = vec![Vec::new(); windows.len()];
    for r in &window_rows {
        let (Some(time), x) = (int(r.get("__vd_t")), int(r.get("__vd_x")).unwrap_or(0) != 0) else {
            continue;
        };
        for (v, &(lo, hi)) in in_window.iter_mut().zip(&windows) {
            if time >= lo && time < hi {
                v.push((time, x));
            }
        }
    }
    Ok(Some(refine(&coarse, &windows, in_window, near, min, max)))
}
