//! Users and units as columns: every row's (user, group) pair and (user, group, stage)
//! unit as dense indices, per-unit sums of every tested column in one pass, and
//! per-(stage, group) moments of those sums. No row structs: one hash lookup per row, then
//! flat vectors.

use super::key_index::prefetch;
use super::unit_stats::RatioMoments;
use crate::analysis::columns::{Neumaier, NO_CODE};
use polars::prelude::*;
use std::hash::BuildHasher;

/// A row without a stage (before the experiment start, or without a timestamp when the
/// log has several stages).
pub const NO_STAGE: u16 = u16::MAX;

/// A missing timestamp in [`UserGroups::ts`].
pub const NO_TS: i64 = i64::MIN;

/// Every distinct (user, group) pair, with the times it was seen.
#[derive(Debug, Clone, Default)]
pub struct UserGroups {
    /// Pair index of each row (`NO_CODE` without a user or group).
    pub of_row: Vec<u32>,
    /// Timestamp of each row (`NO_TS` when missing), one chunk: the frame's own column
    /// when it has no nulls (no copy).
    ts_ca: Int64Chunked,
    /// 56-bit hash of the user of each pair.
    pub user: Vec<u64>,
    /// Group code of each pair.
    pub group: Vec<u32>,
    /// First time of each pair on rows with their own group (`i64::MAX` when none).
    pub first_us: Vec<i64>,
    /// Last time of each pair on rows with their own group (`i64::MIN` when none).
    pub last_us: Vec<i64>,
    /// First time of each pair on any row.
    pub first_any_us: Vec<i64>,
    /// Last time of each pair on any row.
    pub last_any_us: Vec<i64>,
    /// Pair indices sorted by user.
    by_user: Vec<u32>,
    /// Start of each user's run in `by_user` (plus the end).
    user_starts: Vec<u32>,
}

impl UserGroups {
    /// Pairs of the user column and group codes (at most 255 groups). First and last
    /// times come from rows that carry their own group (`attributed` rows — error events
    /// charged to a group — do not move them).
    pub fn of(
        users: &StringChunked,
        codes: &[u32],
        ts: &Int64Chunked,
        attributed: &BooleanChunked,
    ) -> Self {
        // a fixed seed: the same log gives the same pair order (and so the same sums to
        // the last bit) in every run
        let state = PlFixedStateQuality::with_seed(0x5eed_u64);
        // two threads, each indexing the pairs of half the users (a smaller table each)
        // both threads write the rows of their own users into one array: thread 1 marks
        // its (local) indices with the top bit, shifted past thread 0's pairs afterwards
        let mut of_row = vec![NO_CODE; codes.len()];
        let (halves, ts, own) = {
            let out = RowSlots(of_row.as_mut_ptr(), of_row.len());
            std::thread::scope(|scope| {
                let spawn = |half: u64| {
                    let (state, out) = (&state, &out);
                    std::thread::Builder::new()
                        .name(format!("verdict-pairs-{half}"))
                        .spawn_scoped(scope, move || index_half(users, codes, state, half, out))
                };
                let (h0, h1) = (spawn(0), spawn(1));
                let ts: Int64Chunked = if ts.null_count() == 0 {
                    ts.rechunk().into_owned()
                } else {
                    ts.iter()
                        .map(|t| Some(t.unwrap_or(NO_TS)))
                        .collect::<Int64Chunked>()
                };
                // without error rows every row carries its own group
                let own: Option<Vec<bool>> = (attributed.sum().unwrap_or(0) > 0)
                    .then(|| attributed.iter().map(|e| e != Some(true)).collect());
                let join = |h: std::io::Result<std::thread::ScopedJoinHandle<'_, Vec<u64>>>| {
                    h.ok().and_then(|h| h.join().ok())
                };
                let halves = match (join(h0), join(h1)) {
                    (Some(a), Some(b)) => [a, b],
                    // a thread that could not run: index everything here
                    _ => [
                        index_half(users, codes, &state, 0, &out),
                        index_half(users, codes, &state, 1, &out),
                    ],
                };
                (halves, ts, own)
            })
        };
        let [keys0, keys1] = halves;
        let n0 = keys0.len() as u32;
        for i in of_row.iter_mut() {
            if *i != NO_CODE && *i & HALF1 != 0 {
                *i = (*i & !HALF1) + n0;
            }
        }
        let mut keys = keys0;
        keys.extend(keys1);
        let np = keys.len();
        let mut out = Self {
            user: keys.iter().map(|k| k & !0xFF).collect(),
            group: keys.iter().map(|k| (k & 0xFF) as u32).collect(),
            first_us: vec![i64::MAX; np],
            last_us: vec![i64::MIN; np],
            first_any_us: vec![i64::MAX; np],
            last_any_us: vec![i64::MIN; np],
            ..Default::default()
        };
        out.fill_times(&of_row, ts.cont_slice().unwrap_or(&[]), own.as_deref());
        out.ts_ca = ts;
        out.of_row = of_row;
        // sort (user, pair) together, so comparisons do not chase indices
        let mut sorted: Vec<(u64, u32)> = out
            .user
            .iter()
            .enumerate()
            .map(|(i, &u)| (u, i as u32))
            .collect();
        sorted.sort_unstable();
        let mut starts = Vec::new();
        for j in 0..sorted.len() {
            if j == 0 || sorted[j - 1].0 != sorted[j].0 {
                starts.push(j as u32);
            }
        }
        starts.push(sorted.len() as u32);
        out.by_user = sorted.into_iter().map(|s| s.1).collect();
        out.user_starts = starts;
        out
    }

    /// First and last times of every pair. Logs are usually in time order: then the first
    /// row of a pair (forwards) and the first from the end (backwards) are its first and
    /// last, and a bit per pair (which fits in cache) says whether it was seen; otherwise
    /// every row updates its pair's minimum and maximum.
    fn fill_times(&mut self, of_row: &[u32], ts: &[i64], own: Option<&[bool]>) {
        let own = |i: usize| own.is_none_or(|o| o[i]);
        let timed = |i: usize| of_row[i] != NO_CODE && ts[i] != NO_TS;
        let mut prev = i64::MIN;
        let sorted = ts.iter().all(|&t| {
            let ok = t == NO_TS || t >= prev;
            if t != NO_TS {
                prev = t;
            }
            ok
        });
        if !sorted {
            for i in (0..of_row.len()).filter(|&i| timed(i)) {
                let (p, t) = (of_row[i] as usize, ts[i]);
                self.first_any_us[p] = self.first_any_us[p].min(t);
                self.last_any_us[p] = self.last_any_us[p].max(t);
                if own(i) {
                    self.first_us[p] = self.first_us[p].min(t);
                    self.last_us[p] = self.last_us[p].max(t);
                }
            }
            return;
        }
        let np = self.len();
        let (mut seen_any, mut seen_own) = (vec![false; np], vec![false; np]);
        for i in (0..of_row.len()).filter(|&i| timed(i)) {
            if let Some(&q) = of_row.get(i + 16) {
                if q != NO_CODE {
                    prefetch(self.first_any_us.as_ptr().wrapping_add(q as usize));
                }
            }
            let p = of_row[i] as usize;
            if !seen_any[p] {
                seen_any[p] = true;
                self.first_any_us[p] = ts[i];
            }
            if own(i) && !seen_own[p] {
                seen_own[p] = true;
                self.first_us[p] = ts[i];
            }
        }
        seen_any.iter_mut().for_each(|s| *s = false);
        seen_own.iter_mut().for_each(|s| *s = false);
        for i in (0..of_row.len()).rev().filter(|&i| timed(i)) {
            let p = of_row[i] as usize;
            if !seen_any[p] {
                seen_any[p] = true;
                self.last_any_us[p] = ts[i];
            }
            if own(i) && !seen_own[p] {
                seen_own[p] = true;
                self.last_us[p] = ts[i];
            }
        }
    }

    /// Timestamp of each row (`NO_TS` when missing).
    pub fn ts(&self) -> &[i64] {
        self.ts_ca.cont_slice().unwrap_or(&[])
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.user.len()
    }

    /// No pairs at all (no user column).
    pub fn is_empty(&self) -> bool {
        self.user.is_empty()
    }

    /// Each user's pairs.
    pub fn users(&self) -> impl Iterator<Item = &[u32]> {
        self.user_starts
            .windows(2)
            .map(|w| &self.by_user[w[0] as usize..w[1] as usize])
    }
}

/// Marks the pair indices written by the second indexing thread.
const HALF1: u32 = 1 << 31;

/// The row → pair array shared by the two indexing threads. Each thread writes only the
/// rows of its own users (bit 8 of the user's hash), so no row is written twice.
struct RowSlots(*mut u32, usize);

// SAFETY: the threads write disjoint rows (see `index_half`) and the array outlives them
// (they run in a scope that ends before it is read).
unsafe impl Sync for RowSlots {}

impl RowSlots {
    /// Writes row `i`; only the thread that owns the row's user calls this for it.
    fn set(&self, i: usize, v: u32) {
        assert!(i < self.1);
        // SAFETY: in bounds (checked above) and no other thread writes or reads row `i`
        // while the scope runs.
        unsafe { *self.0.add(i) = v }
    }
}

/// The pairs of the users whose hash has bit 8 equal to `half`: writes each of their rows'
/// local pair index (with `HALF1` set for the second half) and returns the pair keys (user
/// hash | group code).
fn index_half(
    users: &StringChunked,
    codes: &[u32],
    state: &PlFixedStateQuality,
    half: u64,
    out: &RowSlots,
) -> Vec<u64> {
    // the low 9 key bits are the group code and this half's bit: not random
    let mut index = super::key_index::KeyIndex::with_capacity(codes.len() / 16, 9);
    let mut keys: Vec<u64> = Vec::new();
    let mark = if half == 1 { HALF1 } else { 0 };
    // rows are hashed a batch at a time, their slots prefetched, then probed
    const BATCH: usize = 32;
    let mut batch: Vec<(usize, u64)> = Vec::with_capacity(BATCH);
    let mut flush = |batch: &mut Vec<(usize, u64)>, index: &mut super::key_index::KeyIndex| {
        for &(_, key) in batch.iter() {
            index.prefetch(key);
        }
        for &(row, key) in batch.iter() {
            let (i, new) = index.get_or_insert(key);
            if new {
                keys.push(key);
            }
            out.set(row, i | mark);
        }
        batch.clear();
    };
    let mut row = 0usize;
    let no_nulls = users.null_count() == 0;
    for arr in users.downcast_iter() {
        // with nulls, which rows have a user (without, no per-row check)
        let present: Vec<bool> = if no_nulls {
            Vec::new()
        } else {
            arr.iter().map(|v| v.is_some()).collect()
        };
        for (j, view) in arr.views().iter().enumerate() {
            let c = codes[row];
            row += 1;
            if c == NO_CODE || c >= 255 || (!no_nulls && !present[j]) {
                continue;
            }
            // a string of up to 12 bytes lives in its view: hash that, not the text (read
            // only for longer ones)
            let user = if view.length <= 12 {
                state.hash_one(view.as_u128())
            } else {
                state.hash_one(arr.value(j))
            } & !0xFF;
            if (user >> 8) & 1 != half {
                continue;
            }
            batch.push((row - 1, user | c as u64));
            if batch.len() == BATCH {
                flush(&mut batch, &mut index);
            }
        }
    }
    flush(&mut batch, &mut index);
    keys
}

/// Units: (user, group, stage) triples as dense indices, with every tested column summed
/// per unit.
#[derive(Debug, Clone, Default)]
pub struct Units {
    /// Pair of each unit.
    pub pair: Vec<u32>,
    /// Stage of each unit.
    pub stage: Vec<u16>,
    /// Rows of each unit.
    pub rows: Vec<u32>,
    /// Stages each pair has rows in (bit per stage, up to 64).
    pub stage_mask: Vec<u64>,
    /// Per column: the sums per unit.
    pub sums: Vec<UnitSums>,
}

/// A metric summed per unit: Σ of its values (m) and the number of values (d).
#[derive(Debug, Clone, Default)]
pub struct UnitSums {
    /// Per unit: Σ values, the values' count and the first value.
    cells: Vec<Cell>,
    /// Every user had one value throughout (a per-user metric, not a ratio).
    pub constant_per_user: bool,
}

impl UnitSums {
    /// Σ values of unit `u`.
    pub fn m(&self, u: usize) -> f64 {
        self.cells[u].m
    }
    /// Number of values of unit `u`.
    pub fn d(&self, u: usize) -> u32 {
        self.cells[u].d()
    }
}

/// Per unit while summing, in 16 bytes (four units per cache line, so the cells of a few
/// million units stay in the last-level cache): Σ, the count with a "varied" bit, and a
/// 32-bit fingerprint of the first value (a variation goes unseen only if every differing
/// value of every unit of the column shares it).
#[derive(Debug, Clone, Copy)]
struct Cell {
    m: f64,
    d_varied: u32,
    first: u32,
}

const VARIED: u32 = 1 << 31;

impl Cell {
    fn d(&self) -> u32 {
        self.d_varied & !VARIED
    }
    fn varied(&self) -> bool {
        self.d_varied & VARIED != 0
    }
}

/// A 32-bit fingerprint of a value (its bits folded).
#[inline]
fn fingerprint(x: f64) -> u32 {
    let b = x.to_bits().wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (b >> 32) as u32
}

/// Sums of one column per unit; constant per user when no unit varied and every unit of a
/// pair (its units are `offset[p]..offset[p + 1]`) has the same value.
fn unit_sums(
    unit_of_row: &[u32],
    nu: usize,
    offset: &[u32],
    values: &super::UnitColumn,
) -> UnitSums {
    let mut cells = vec![
        Cell {
            m: 0.0,
            d_varied: 0,
            first: 0,
        };
        nu
    ];
    // the cell of the row 16 ahead is fetched while this one is added
    const AHEAD: usize = 16;
    let ahead = |cells: &[Cell], i: usize| {
        if let Some(&u) = unit_of_row.get(i + AHEAD) {
            if u != NO_CODE {
                prefetch(cells.as_ptr().wrapping_add(u as usize));
            }
        }
    };
    let add = |cells: &mut [Cell], u: usize, x: f64| {
        let c = &mut cells[u];
        c.m += x;
        let f = fingerprint(x);
        if c.d_varied == 0 {
            c.first = f;
        } else if c.first != f {
            c.d_varied |= VARIED;
        }
        c.d_varied += 1;
    };
    match values {
        super::UnitColumn::Numbers(v) => {
            let mut i = 0usize;
            for arr in v.downcast_iter() {
                let all_valid = arr.validity().is_none_or(|b| b.unset_bits() == 0);
                for (j, &x) in arr.values().iter().enumerate() {
                    ahead(&cells, i);
                    let u = unit_of_row[i];
                    if u != NO_CODE && (all_valid || arr.validity().is_none_or(|b| b.get_bit(j))) {
                        add(&mut cells, u as usize, x);
                    }
                    i += 1;
                }
            }
        }
        super::UnitColumn::Flag(b) => {
            for (i, (&u, e)) in unit_of_row.iter().zip(b.iter()).enumerate() {
                ahead(&cells, i);
                if u != NO_CODE {
                    add(
                        &mut cells,
                        u as usize,
                        if e == Some(true) { 1.0 } else { 0.0 },
                    );
                }
            }
        }
    }
    let mut constant = !cells.iter().any(Cell::varied);
    if constant {
        'pairs: for w in offset.windows(2) {
            let mut first = None;
            for c in &cells[w[0] as usize..w[1] as usize] {
                if c.d() == 0 {
                    continue;
                }
                match first {
                    None => first = Some(c.first),
                    Some(f) if f != c.first => {
                        constant = false;
                        break 'pairs;
                    }
                    _ => {}
                }
            }
        }
    }
    UnitSums {
        cells,
        constant_per_user: constant,
    }
}

impl Units {
    /// Units of the pairs split by the stage of each row (`stage_of` a timestamp), with
    /// the `columns` summed per unit in one pass over the rows.
    pub fn of(
        pairs: &UserGroups,
        row_stage: &[u16],
        stage_of: impl Fn(i64) -> u16,
        columns: &[super::UnitColumn],
    ) -> Self {
        let np = pairs.len();
        // a pair's rows span the stages from its first to its last time (rows without a
        // time belong to stage 0 of a single-stage log, or to none)
        let mut offset = vec![0u32; np + 1];
        let mut lo = vec![0u16; np];
        let mut total = 0u32;
        for p in 0..np {
            offset[p] = total;
            let (a, b) = (pairs.first_any_us[p], pairs.last_any_us[p]);
            let (l, h) = if a == i64::MAX {
                (0, 0)
            } else {
                match (stage_of(a), stage_of(b)) {
                    (_, NO_STAGE) => (0, 0),
                    (NO_STAGE, h) => (0, h),
                    (l, h) => (l, h),
                }
            };
            lo[p] = l;
            total += (h - l) as u32 + 1;
        }
        offset[np] = total;
        let nu = total as usize;
        let mut pair = vec![0u32; nu];
        let mut stage = vec![0u16; nu];
        for p in 0..np {
            for u in offset[p]..offset[p + 1] {
                pair[u as usize] = p as u32;
                stage[u as usize] = lo[p] + (u - offset[p]) as u16;
            }
        }
        // the unit of every row: one probe of its pair's (offset, first stage)
        let mut rows = vec![0u32; nu];
        // a pair's offset is fetched 16 rows ahead of its use
        let of_row = &pairs.of_row;
        let unit_of_row: Vec<u32> = of_row
            .iter()
            .zip(row_stage)
            .enumerate()
            .map(|(i, (&p, &s))| {
                if let Some(&q) = of_row.get(i + 16) {
                    if q != NO_CODE {
                        prefetch(offset.as_ptr().wrapping_add(q as usize));
                        prefetch(lo.as_ptr().wrapping_add(q as usize));
                    }
                }
                if p == NO_CODE || s == NO_STAGE {
                    return NO_CODE;
                }
                let p = p as usize;
                let (l, start, end) = (lo[p], offset[p], offset[p + 1]);
                if s < l || (s - l) as u32 >= end - start {
                    return NO_CODE;
                }
                let u = start + (s - l) as u32;
                rows[u as usize] += 1;
                u
            })
            .collect();
        let mut stage_mask = vec![0u64; np];
        for u in 0..nu {
            if rows[u] > 0 {
                stage_mask[pair[u] as usize] |= 1u64 << stage[u].min(63);
            }
        }
        // columns are summed side by side, each on its own thread
        let sums = std::thread::scope(|scope| {
            let handles: Vec<_> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let (unit_of_row, offset) = (&unit_of_row, &offset);
                    std::thread::Builder::new()
                        .name(format!("verdict-sums-{i}"))
                        .spawn_scoped(scope, move || unit_sums(unit_of_row, nu, offset, c))
                })
                .collect();
            handles
                .into_iter()
                .zip(columns)
                .map(|(h, c)| {
                    h.ok()
                        .and_then(|h| h.join().ok())
                        .unwrap_or_else(|| unit_sums(&unit_of_row, nu, &offset, c))
                })
                .collect()
        });
        Self {
            pair,
            stage,
            rows,
            stage_mask,
            sums,
        }
    }

    /// Number of unit slots (some may have no rows).
    pub fn len(&self) -> usize {
        self.pair.len()
    }

    /// No units.
    pub fn is_empty(&self) -> bool {
        self.pair.is_empty()
    }
}

/// Moments per (stage, group) cell, index `stage * k + group`, of the per-unit pairs (m, d)
/// — or, for a per-user metric, of the per-unit values m/d with d = 1.
pub fn cell_moments(
    units: &Units,
    pairs: &UserGroups,
    sums: &UnitSums,
    stages: usize,
    k: usize,
) -> Vec<RatioMoments> {
    let cells = stages * k;
    let cell =
        |u: usize| units.stage[u] as usize * k + pairs.group[units.pair[u] as usize] as usize;
    let value = |u: usize| -> (f64, f64) {
        if sums.constant_per_user {
            (sums.m(u) / sums.d(u) as f64, 1.0)
        } else {
            (sums.m(u), sums.d(u) as f64)
        }
    };
    // compensated sums: the result does not depend on the order of the units
    let mut n = vec![0u64; cells];
    let mut sm = vec![Neumaier::default(); cells];
    let mut sd = vec![Neumaier::default(); cells];
    for u in 0..units.len() {
        if sums.d(u) == 0 {
            continue;
        }
        let (x, y) = value(u);
        let c = cell(u);
        n[c] += 1;
        sm[c].add(x);
        sd[c].add(y);
    }
    let mut out: Vec<RatioMoments> = (0..cells)
        .map(|c| RatioMoments {
            n: n[c],
            sum_m: sm[c].total(),
            sum_d: sd[c].total(),
            mean_m: sm[c].total() / n[c] as f64,
            mean_d: sd[c].total() / n[c] as f64,
            ..Default::default()
        })
        .collect();
    for u in 0..units.len() {
        if sums.d(u) == 0 {
            continue;
        }
        let (x, y) = value(u);
        let o = &mut out[cell(u)];
        let (a, b) = (x - o.mean_m, y - o.mean_d);
        o.css_m += a * a;
        o.css_d += b * b;
        o.csp_md += a * b;
    }
    out
}
