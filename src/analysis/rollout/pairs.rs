//! Users as columns: every row's (user, group) pair as a dense index, built on two threads
//! with a prefetching hash index, with the first and last time each pair was seen and the
//! pairs grouped by user.

use super::key_index::prefetch;
use crate::analysis::columns::NO_CODE;
use polars::prelude::*;
use std::hash::BuildHasher;

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
        let state = PlFixedStateQuality::with_seed(SEED);
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
                let join = |h: std::io::Result<std::thread::ScopedJoinHandle<'_, HalfIndex>>| {
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
        let [h0, h1] = halves;
        let n0 = h0.keys.len() as u32;
        for i in of_row.iter_mut() {
            if *i != NO_CODE && *i & HALF1 != 0 {
                *i = (*i & !HALF1) + n0;
            }
        }
        let mut keys = h0.keys;
        keys.extend(h1.keys);
        let mut first_rows = h0.first_rows;
        first_rows.extend(h1.first_rows);
        let mut last_rows = h0.last_rows;
        last_rows.extend(h1.last_rows);
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
        let ts_slice = ts.cont_slice().unwrap_or(&[]);
        if own.is_none()
            && ts.null_count() == 0
            && codes.len() <= u32::MAX as usize
            && is_sorted(ts_slice)
        {
            // in time order and without error rows a pair's first and last rows carry its
            // first and last times
            for p in 0..np {
                let (a, b) = (
                    ts_slice[first_rows[p] as usize],
                    ts_slice[last_rows[p] as usize],
                );
                out.first_any_us[p] = a;
                out.first_us[p] = a;
                out.last_any_us[p] = b;
                out.last_us[p] = b;
            }
        } else {
            out.fill_times(&of_row, ts_slice, own.as_deref());
        }
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

/// The hash seed of user ids: the same log gives the same pair order in every run.
const SEED: u64 = 0x5eed;

/// The 56-bit hash of row `j`'s user (the pairs' `user`). A string of up to 12 bytes lives
/// in its view: that is hashed, not the text (read only for longer ones).
#[inline]
fn user_hash<'a>(
    state: &PlFixedStateQuality,
    length: u32,
    inline: u128,
    text: impl FnOnce() -> &'a str,
) -> u64 {
    (if length <= 12 {
        state.hash_one(inline)
    } else {
        state.hash_one(text())
    }) & !0xFF
}

/// The user hash of every row, as the pairs' `user` (None without a user): how rows of
/// another frame (the pre-period) find the experiment's users.
pub fn user_hashes(users: &StringChunked) -> Vec<Option<u64>> {
    let state = PlFixedStateQuality::with_seed(SEED);
    let mut out = Vec::with_capacity(users.len());
    for arr in users.downcast_iter() {
        let valid: Vec<bool> = arr.iter().map(|v| v.is_some()).collect();
        for (j, view) in arr.views().iter().enumerate() {
            out.push(
                valid[j].then(|| user_hash(&state, view.length, view.as_u128(), || arr.value(j))),
            );
        }
    }
    out
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
) -> HalfIndex {
    // the low 9 key bits are the group code and this half's bit: not random
    let mut index = super::key_index::KeyIndex::with_capacity(codes.len() / 16, 9);
    let mut keys: Vec<u64> = Vec::new();
    let mut first_rows: Vec<u32> = Vec::new();
    let mark = if half == 1 { HALF1 } else { 0 };
    // rows are hashed a batch at a time, their slots prefetched, then probed
    const BATCH: usize = 32;
    let mut batch: Vec<(usize, u64)> = Vec::with_capacity(BATCH);
    let mut flush = |batch: &mut Vec<(usize, u64)>, index: &mut super::key_index::KeyIndex| {
        for &(_, key) in batch.iter() {
            index.prefetch(key);
        }
        for &(row, key) in batch.iter() {
            let (i, new) = index.get_or_insert(key, row as u32);
            if new {
                keys.push(key);
                first_rows.push(row as u32);
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
            let user = user_hash(state, view.length, view.as_u128(), || arr.value(j));
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
    HalfIndex {
        keys,
        first_rows,
        last_rows: index.last_rows(),
    }
}

/// The pairs one indexing thread found: their keys, and the first and last row of each.
struct HalfIndex {
    keys: Vec<u64>,
    first_rows: Vec<u32>,
    last_rows: Vec<u32>,
}

/// Timestamps in non-decreasing order (missing ones skipped).
fn is_sorted(ts: &[i64]) -> bool {
    let mut prev = i64::MIN;
    ts.iter().all(|&t| {
        let ok = t == NO_TS || t >= prev;
        if t != NO_TS {
            prev = t;
        }
        ok
    })
}
