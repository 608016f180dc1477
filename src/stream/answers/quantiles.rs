//! The latency percentile tests' per-cell statistics.

use super::*;

/// The latency percentile tests' per-cell statistics (as `quantiles::stage_stats`): exact
/// order statistics from each cell's latencies, then per user the requests at or below
/// each percentile's lower order statistic.
pub fn stage_stats(
    sp: &Spill,
    src: &Source,
    later: &[i64],
    names: &[String],
    alpha: f64,
) -> Result<crate::analysis::quantile_tests::StageStats, ClickHouseError> {
    use crate::clickhouse::quantiles::{cell_stats, levels, position, UserSums};
    let ns = later.len() + 1;
    let k = names.len();
    let z = crate::analysis::dist::normal::quantile(1.0 - alpha / 2.0);
    let cell_of = |c: &Chunk, i: usize| -> Option<(u32, u16)> {
        if c.user[i] == NULL_CODE {
            return None;
        }
        let l = c.latency.get(i)?;
        if l.is_nan() {
            return None;
        }
        Some((c.group[i], stage_of(c.ts[i], later)?))
    };
    let mut values: HashMap<(u32, u16), Vec<f64>> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            if let Some(key) = cell_of(c, i) {
                values.entry(key).or_default().push(c.latency.v[i]);
            }
        }
    })?;
    // per cell: n, (hat, lower, upper) per percentile, the comparison value per percentile
    type Cell = (u64, [(f64, f64, f64); 3], [f64; 3]);
    let mut cells: HashMap<(u32, u16), Cell> = HashMap::default();
    for (key, mut v) in values {
        sort_floats(&mut v);
        let n = v.len() as u64;
        let lv = levels(n, z);
        let value = |slot: usize| {
            let (lo, hi, f) = position(n, lv[slot]);
            let (a, b) = (v[lo as usize], v[hi as usize]);
            a + f * (b - a)
        };
        let mut q = [(0.0, 0.0, 0.0); 3];
        let mut cut = [f64::NAN; 3];
        for i in 0..3 {
            q[i] = (value(3 * i), value(3 * i + 1), value(3 * i + 2));
            cut[i] = v[position(n, lv[3 * i]).0 as usize];
        }
        cells.insert(key, (n, q, cut));
    }
    // per (cell, user): requests and those at or below each cut
    let mut per_user: HashMap<(u32, u16, u32), (u64, [u64; 3])> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            let Some(key) = cell_of(c, i) else { continue };
            let Some((_, _, cut)) = cells.get(&key) else {
                continue;
            };
            let l = c.latency.v[i];
            let e = per_user.entry((key.0, key.1, c.user[i])).or_default();
            e.0 += 1;
            for (m, c) in e.1.iter_mut().zip(cut) {
                *m += (l <= *c) as u64;
            }
        }
    })?;
    // per cell: users, Σn, Σn², and per percentile Σm, Σm², Σmn
    let mut sums: HashMap<(u32, u16), UserSums> = HashMap::default();
    for ((g, s, _), (nu, m)) in per_user {
        let e = sums.entry((g, s)).or_default();
        let nu = nu as f64;
        e.users += 1;
        e.n += nu;
        e.nn += nu * nu;
        for (j, &mj) in m.iter().enumerate() {
            let mj = mj as f64;
            e.m[j] += mj;
            e.mm[j] += mj * mj;
            e.mn[j] += mj * nu;
        }
    }
    let mut out: crate::analysis::quantile_tests::StageStats = vec![vec![[None; 3]; k]; ns];
    for ((g, s), us) in sums {
        let Some(&(n, q, _)) = cells.get(&(g, s)) else {
            continue;
        };
        let Some(gi) = names.iter().position(|x| *x == sp.groups[g as usize]) else {
            continue;
        };
        if let Some(cell) = out.get_mut(s as usize) {
            cell[gi] = cell_stats(n, q, &us, z);
        }
    }
    Ok(out)
}
