//! The latency percentile tests' statistics pushed down: per (stage, group) cell, gbstats'
//! `QuantileClusteredStatistic` inputs — the requests, the order statistics around each
//! percentile and its interval bounds, and per user the requests at or below the percentile,
//! summed over users (count, Σm, Σm², Σn, Σn², Σmn). Three passes: counts per cell (the
//! bounds' ranks depend on them), the order statistics at those ranks, the per-user sums.
//! The per-user comparison "at or below the percentile" is made against the order statistic
//! below the percentile (no latency lies between it and the percentile), sent as its exact
//! bits, so it is exact whatever the server's float parsing.

use super::aggregates::{count, num, Roles, Source};
use super::error::ClickHouseError;
use super::moments::{stage_sql, timed_sql, user_column};
use super::sql::{self, ident};
use crate::analysis::dist::normal;
use crate::analysis::quantile_stat::QuantileStat;
use crate::analysis::quantile_tests::{StageStats, QUANTILES};
use serde_json::Value;
use std::collections::BTreeMap;

/// Per percentile of a cell: (estimate, lower bound, upper bound), and the order statistic
/// the per-user comparison is made against.
type CellValues = ([(f64, f64, f64); 3], [f64; 3]);

/// A float as SQL with its exact bits (no decimal parsing on the server).
fn exact(x: f64) -> String {
    let hex: String = x.to_le_bytes().iter().map(|b| format!("{b:02X}")).collect();
    format!("reinterpretAsFloat64(unhex('{hex}'))")
}

/// The (lo, hi) 0-based ranks and the fraction of numpy's linear percentile at `level`.
pub(crate) fn position(n: u64, level: f64) -> (u64, u64, f64) {
    let h = (n - 1) as f64 * level.clamp(0.0, 1.0);
    let lo = h.floor() as u64;
    (lo, (lo + 1).min(n - 1), h - lo as f64)
}

/// The nine levels of a cell of `n` requests: per percentile (itself, its lower and upper
/// interval bound), as the local engine computes them.
pub(crate) fn levels(n: u64, z: f64) -> [f64; 9] {
    let mut out = [0.0; 9];
    for (i, nu) in QUANTILES.iter().enumerate() {
        let half = z * (nu * (1.0 - nu) / n as f64).sqrt();
        out[3 * i] = *nu;
        out[3 * i + 1] = (nu - half).clamp(0.0, 1.0);
        out[3 * i + 2] = (nu + half).clamp(0.0, 1.0);
    }
    out
}

/// A cell's per-user sums: users, Σn, Σn², and per percentile Σm, Σm², Σmn (m: a user's
/// requests at or below the percentile, n: their requests).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct UserSums {
    pub(crate) users: u64,
    pub(crate) n: f64,
    pub(crate) nn: f64,
    pub(crate) m: [f64; 3],
    pub(crate) mm: [f64; 3],
    pub(crate) mn: [f64; 3],
}

/// The three percentiles' statistics of a cell of `n` requests: `q` (estimate, lower, upper)
/// per percentile and the users' sums.
pub(crate) fn cell_stats(
    n: u64,
    q: [(f64, f64, f64); 3],
    s: &UserSums,
    z: f64,
) -> [Option<QuantileStat>; 3] {
    std::array::from_fn(|i| {
        let (hat, lo, hi) = q[i];
        Some(QuantileStat {
            n,
            n_star: n,
            nu: QUANTILES[i],
            quantile_hat: hat,
            quantile_lower: lo,
            quantile_upper: hi,
            n_clusters: s.users,
            main_sum: s.m[i],
            main_sum_squares: s.mm[i],
            denominator_sum: s.n,
            denominator_sum_squares: s.nn,
            main_denominator_sum_product: s.mn[i],
            z,
        })
    })
}

/// Every (stage, group) cell's statistics of the latency column, for `names` (groups) and
/// the stages starting at `later_starts` (after the first); `alpha` sets the intervals.
pub fn stage_stats(
    src: &Source,
    roles: &Roles,
    latency: &str,
    later_starts: &[i64],
    names: &[String],
    alpha: f64,
) -> Result<StageStats, ClickHouseError> {
    let user = user_column(src, roles, "the percentile tests need")?;
    if let Some(sp) = src.spill {
        return crate::stream::answers::stage_stats(sp, src, later_starts, names, alpha);
    }
    let ns = later_starts.len() + 1;
    let k = names.len();
    let z = normal::quantile(1.0 - alpha / 2.0);
    let l = ident(latency);
    let key = format!(
        "concat(toString({}), '|', toString({}))",
        ident(&roles.group),
        stage_sql(src, roles, later_starts)?
    );
    let from = format!(
        "{table} WHERE {w} AND isNotNull({u}) AND isNotNull({l}) AND NOT isNaN({l}){timed}",
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
        u = ident(user),
        timed = timed_sql(roles, later_starts),
    );
    let text = |r: &Value, k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    // pass 1: requests per cell
    let counts: BTreeMap<String, u64> = src
        .rows(&format!(
            "SELECT {key} AS __vd_key, count() AS __vd_n FROM {from} GROUP BY __vd_key"
        ))?
        .iter()
        .map(|r| (text(r, "__vd_key"), count(r.get("__vd_n"))))
        .filter(|(_, n)| *n > 0)
        .collect();
    let mut out: StageStats = vec![vec![[None; 3]; k]; ns];
    if counts.is_empty() {
        return Ok(out);
    }
    // pass 2: the order statistics at every rank a level needs
    let keys: Vec<&String> = counts.keys().collect();
    let key_list = keys
        .iter()
        .map(|k| sql::literal(k))
        .collect::<Vec<_>>()
        .join(", ");
    let ranks_of = |slot: usize, hi: bool| -> String {
        keys.iter()
            .map(|k| {
                let n = counts[*k];
                let (lo, h, _) = position(n, levels(n, z)[slot]);
                ((if hi { h } else { lo }) + 1).to_string()
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut picks = Vec::new();
    for slot in 0..9 {
        for hi in [false, true] {
            picks.push(format!(
                "arrayElement(__vd_a, transform(__vd_key, [{key_list}], [{}], 1)) AS __vd_v{slot}_{}",
                ranks_of(slot, hi),
                hi as u8
            ));
        }
    }
    let second = src.rows(&format!(
        "SELECT __vd_key, {} FROM (SELECT {key} AS __vd_key, arraySort(groupArray({l})) AS __vd_a FROM {from} GROUP BY __vd_key)",
        picks.join(", ")
    ))?;
    // per cell: (hat, lower, upper) per percentile, and the comparison value per percentile
    let mut values: BTreeMap<String, CellValues> = BTreeMap::new();
    for r in &second {
        let key = text(r, "__vd_key");
        let Some(&n) = counts.get(&key) else { continue };
        let lv = levels(n, z);
        let value = |slot: usize| -> f64 {
            let (_, _, f) = position(n, lv[slot]);
            let a = num(r.get(format!("__vd_v{slot}_0"))).unwrap_or(f64::NAN);
            let b = num(r.get(format!("__vd_v{slot}_1"))).unwrap_or(f64::NAN);
            a + f * (b - a)
        };
        let mut q = [(0.0, 0.0, 0.0); 3];
        let mut cut = [f64::NAN; 3];
        for i in 0..3 {
            q[i] = (value(3 * i), value(3 * i + 1), value(3 * i + 2));
            // an infinite latency comes back as JSON null: every latency is at or below it
            cut[i] = num(r.get(format!("__vd_v{}_0", 3 * i))).unwrap_or(f64::INFINITY);
        }
        values.insert(key, (q, cut));
    }
    // pass 3: per user, requests and those at or below each percentile; summed per cell
    let cut_list = |i: usize| -> String {
        keys.iter()
            .map(|k| exact(values.get(*k).map_or(f64::INFINITY, |v| v.1[i])))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut per_user = vec![
        format!("{key} AS __vd_key"),
        "count() AS __vd_nu".to_string(),
    ];
    let mut sums = vec![
        "count() AS __vd_c".to_string(),
        "sum(__vd_nu) AS __vd_sn".to_string(),
        "sum(__vd_nu * __vd_nu) AS __vd_snn".to_string(),
    ];
    for i in 0..3 {
        per_user.push(format!(
            "countIf({l} <= transform(__vd_key, [{key_list}], [{}], inf)) AS __vd_m{i}",
            cut_list(i)
        ));
        sums.push(format!(
            "sum(__vd_m{i}) AS __vd_s{i}, sum(__vd_m{i} * __vd_m{i}) AS __vd_ss{i}, sum(__vd_m{i} * __vd_nu) AS __vd_sp{i}"
        ));
    }
    let third = src.rows(&format!(
        "SELECT __vd_key, {} FROM (SELECT {}, {u} AS __vd_u FROM {from} GROUP BY __vd_key, __vd_u) GROUP BY __vd_key",
        sums.join(", "),
        per_user.join(", "),
        u = ident(user),
    ))?;
    for r in &third {
        let key = text(r, "__vd_key");
        let (Some(&n), Some((q, _))) = (counts.get(&key), values.get(&key)) else {
            continue;
        };
        let Some((g, s)) = key.rsplit_once('|') else {
            continue;
        };
        let (Some(gi), Ok(si)) = (names.iter().position(|x| x == g), s.parse::<usize>()) else {
            continue;
        };
        if si >= ns {
            continue;
        }
        let f = |k: String| num(r.get(k)).unwrap_or(0.0);
        let sums = UserSums {
            users: count(r.get("__vd_c")),
            n: f("__vd_sn".into()),
            nn: f("__vd_snn".into()),
            m: std::array::from_fn(|i| f(format!("__vd_s{i}"))),
            mm: std::array::from_fn(|i| f(format!("__vd_ss{i}"))),
            mn: std::array::from_fn(|i| f(format!("__vd_sp{i}"))),
        };
        out[si][gi] = cell_stats(n, *q, &sums, z);
    }
    Ok(out)
}
