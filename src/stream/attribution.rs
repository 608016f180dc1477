//! The groups of error events that carry none, found over every chunk of a streamed read —
//! the rules of `ingest::normalize::groups` and of the analysis's re-check, applied to the
//! spill so the streamed report equals the in-memory one:
//! 1. once every chunk is read, an error row without a group takes the group of the first
//!    row with its request id, else of its user's nearest row with a group in time (ties to
//!    the earlier; without times, the user's only group); without either it is rejected as
//!    `unattributed_error` with its file and line;
//! 2. once the stages are known, each row attributed by time is re-checked within its stage:
//!    the nearest non-error row of the same user in the same stage decides (ties to the
//!    earlier), and without one the error is dropped (counted in `errors_unattributed`).
//!
//! Memory: the pending rows and, per user with one, the nearest candidates — never the rows.

use super::answers::{HashMap, HashSet};
use super::spill::{Select, Spill, NULL_CODE, NULL_TS};
use crate::analysis::rollout::plan_stages::Boundaries;
use crate::clickhouse::aggregates::Source;
use crate::ingest::Reason;

/// What one user's rows with a group say about their pending error rows.
#[derive(Default)]
struct UserRows {
    /// The first group seen and whether every row had it.
    first: Option<u32>,
    same: bool,
    /// Any row with a time.
    timed: bool,
}

/// Step 1: gives every pending row a group, or rejects it.
pub(super) fn attribute_pending(sp: &mut Spill) -> std::io::Result<()> {
    if sp.pending.is_empty() {
        return Ok(());
    }
    let pending = std::mem::take(&mut sp.pending);
    let wanted: HashSet<u64> = pending
        .iter()
        .map(|p| p.request)
        .filter(|&r| r != 0)
        .collect();
    // per user: the pending rows with a time, in time order, and their times
    let mut of_user: HashMap<u32, (Vec<usize>, Vec<i64>)> = HashMap::default();
    for (i, p) in pending.iter().enumerate() {
        if p.user != NULL_CODE {
            let e = of_user.entry(p.user).or_default();
            if p.ts != NULL_TS {
                e.0.push(i);
            }
        }
    }
    for (list, times) in of_user.values_mut() {
        list.sort_by_key(|&k| pending[k].ts);
        *times = list.iter().map(|&k| pending[k].ts).collect();
    }
    let mut by_request: HashMap<u64, u32> = HashMap::default();
    let mut users: HashMap<u32, UserRows> = HashMap::default();
    // marks at each user's pending rows (in time order) of the rows with a group: the
    // latest row at or before a pending time is marked at the first pending row at or after
    // it, the earliest row after at the last pending row before it — a prefix maximum and a
    // suffix minimum then give every pending row its nearest rows on each side, as
    // `partition_point` does in memory (the last of equal times before, the first after);
    // keys (time, file order, group)
    type Mark = Option<(i64, u64, u32)>;
    let mut marks: HashMap<u32, (Vec<Mark>, Vec<Mark>)> = HashMap::default();
    let mut seq = 0u64;
    let all = Select {
        ungrouped: true,
        ..Default::default()
    };
    sp.scan(&all, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            seq += 1;
            let g = c.group[i];
            if g == NULL_CODE {
                continue;
            }
            if c.request[i] != 0 && wanted.contains(&c.request[i]) {
                by_request.entry(c.request[i]).or_insert(g);
            }
            let Some((list, times)) = of_user.get(&c.user[i]) else {
                continue;
            };
            let u = users.entry(c.user[i]).or_insert(UserRows {
                first: Some(g),
                same: true,
                timed: false,
            });
            u.same &= u.first == Some(g);
            let t = c.ts[i];
            if t == NULL_TS || list.is_empty() {
                u.timed |= t != NULL_TS;
                continue;
            }
            u.timed = true;
            let (b, a) = marks
                .entry(c.user[i])
                .or_insert_with(|| (vec![None; list.len()], vec![None; list.len()]));
            let p = times.partition_point(|&x| x < t);
            let key = (t, seq, g);
            if p < list.len() && b[p].is_none_or(|m| (key.0, key.1) > (m.0, m.1)) {
                b[p] = Some(key);
            }
            if p > 0 && a[p - 1].is_none_or(|m| (key.0, key.1) < (m.0, m.1)) {
                a[p - 1] = Some(key);
            }
        }
    })?;
    // per pending row: the nearest row at or before it and after it, as (time, group)
    let mut before: Vec<Option<(i64, u32)>> = vec![None; pending.len()];
    let mut after: Vec<Option<(i64, u32)>> = vec![None; pending.len()];
    for (user, (b, a)) in &marks {
        let Some((list, _)) = of_user.get(user) else {
            continue;
        };
        let mut run: Mark = None;
        for (k, m) in b.iter().enumerate() {
            if let Some(m) = m {
                if run.is_none_or(|r| (m.0, m.1) > (r.0, r.1)) {
                    run = Some(*m);
                }
            }
            before[list[k]] = run.map(|r| (r.0, r.2));
        }
        let mut run: Mark = None;
        for (k, m) in a.iter().enumerate().rev() {
            if let Some(m) = m {
                if run.is_none_or(|r| (m.0, m.1) < (r.0, r.1)) {
                    run = Some(*m);
                }
            }
            after[list[k]] = run.map(|r| (r.0, r.2));
        }
    }
    let mut overlay = sp.overlay.lock().unwrap_or_else(|e| e.into_inner());
    let mut rejected = 0u64;
    for (k, p) in pending.iter().enumerate() {
        let found = match by_request.get(&p.request).filter(|_| p.request != 0) {
            Some(&g) => Some((g, false)),
            None => users.get(&p.user).and_then(|u| {
                if p.ts != NULL_TS && u.timed {
                    match (before[k], after[k]) {
                        (Some(b), Some(a)) => {
                            Some(if p.ts - b.0 <= a.0 - p.ts { b.1 } else { a.1 })
                        }
                        (Some(b), None) => Some(b.1),
                        (None, Some(a)) => Some(a.1),
                        (None, None) => None,
                    }
                } else {
                    u.first.filter(|_| u.same)
                }
                .map(|g| (g, true))
            }),
        };
        match found {
            Some((g, by_time)) => {
                overlay.fixes.insert((p.chunk, p.row), (g, by_time, false));
            }
            None => {
                overlay
                    .fixes
                    .insert((p.chunk, p.row), (NULL_CODE, false, true));
                sp.rejects.add(
                    p.file,
                    p.line,
                    Reason::UnattributedError,
                    "error event without a group, request id or assignment of its user".into(),
                );
                rejected += 1;
            }
        }
    }
    drop(overlay);
    sp.rows_valid = sp.rows_valid.saturating_sub(rejected);
    Ok(())
}

/// Step 2: re-checks the rows attributed by time within their stage (once); returns whether
/// any row's group changed or was dropped (the analysis then starts again).
pub fn recheck_within_stages(
    sp: &Spill,
    src: &Source,
    boundaries: &Boundaries,
) -> std::io::Result<bool> {
    {
        let mut overlay = sp.overlay.lock().unwrap_or_else(|e| e.into_inner());
        if overlay.rechecked {
            return Ok(false);
        }
        overlay.rechecked = true;
        if boundaries.len() < 2 || !overlay.fixes.values().any(|f| f.1) {
            return Ok(false);
        }
    }
    // the rows to re-check, by user: (chunk, row, time, stage, group)
    type FixRow = (u32, u32, i64, u16, u32);
    let mut fix_rows: HashMap<u32, Vec<FixRow>> = HashMap::default();
    let sel = src.select(false);
    let mut chunk = 0u32;
    sp.scan(&sel, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            // (a row without a time finds no candidate: dropped, as in the engine)
            if c.by_time[i] && c.user[i] != NULL_CODE {
                let t = c.ts[i];
                let stage = if t == NULL_TS {
                    u16::MAX
                } else {
                    boundaries.stage_of(t)
                };
                fix_rows
                    .entry(c.user[i])
                    .or_default()
                    .push((chunk, r, t, stage, c.group[i]));
            }
        }
        chunk += 1;
    })?;
    // per row to re-check: the best (distance, time, group) among its user's non-error rows
    // of the same stage
    let mut best: HashMap<(u32, u32), (i64, i64, u32)> = HashMap::default();
    sp.scan(&sel, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            let t = c.ts[i];
            if c.error[i] || t == NULL_TS || c.user[i] == NULL_CODE {
                continue;
            }
            let Some(list) = fix_rows.get(&c.user[i]) else {
                continue;
            };
            let stage = boundaries.stage_of(t);
            for &(ch, row, rt, rs, _) in list {
                if rs != stage || rt == NULL_TS {
                    continue;
                }
                let cand = ((t - rt).abs(), t, c.group[i]);
                let e = best.entry((ch, row)).or_insert(cand);
                if (cand.0, cand.1) < (e.0, e.1) {
                    *e = cand;
                }
            }
        }
    })?;
    let mut overlay = sp.overlay.lock().unwrap_or_else(|e| e.into_inner());
    let mut changed = false;
    for list in fix_rows.values() {
        for &(ch, row, _, _, group) in list {
            match best.get(&(ch, row)) {
                Some(&(_, _, g)) if g == group => {}
                Some(&(_, _, g)) => {
                    overlay.stage_fixes.insert((ch, row), (g, false, false));
                    changed = true;
                }
                None => {
                    overlay
                        .stage_fixes
                        .insert((ch, row), (NULL_CODE, false, true));
                    overlay.dropped_in_stages += 1;
                    changed = true;
                }
            }
        }
    }
    Ok(changed)
}
