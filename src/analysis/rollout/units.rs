//! Users and units as columns: every row's (user, group) pair and (user, group, stage)
//! unit as dense indices, per-unit sums of a metric, and per-(stage, group) moments of
//! those sums. No row structs: one hash lookup per row, then flat vectors.

use super::unit_stats::RatioMoments;
use crate::analysis::columns::{for_each_value, NO_CODE};
use polars::prelude::*;
use std::hash::BuildHasher;

/// A row without a stage (before the experiment start, or without a timestamp when the
/// log has several stages).
pub const NO_STAGE: u16 = u16::MAX;

/// Every distinct (user, group) pair, with the first and last time it was seen.
#[derive(Debug, Clone, Default)]
pub struct UserGroups {
    /// Pair index of each row (`NO_CODE` without a user or group).
    pub of_row: Vec<u32>,
    /// 56-bit hash of the user of each pair.
    pub user: Vec<u64>,
    /// Group code of each pair.
    pub group: Vec<u32>,
    /// First timestamp of each pair (`i64::MAX` when none).
    pub first_us: Vec<i64>,
    /// Last timestamp of each pair (`i64::MIN` when none).
    pub last_us: Vec<i64>,
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
        let state = PlRandomState::default();
        let mut index: PlHashMap<u64, u32> = PlHashMap::default();
        let mut out = Self {
            of_row: Vec::with_capacity(codes.len()),
            ..Default::default()
        };
        for (((u, c), t), e) in users
            .iter()
            .zip(codes)
            .zip(ts.iter())
            .zip(attributed.iter())
        {
            let (Some(u), true) = (u, *c != NO_CODE && *c < 256) else {
                out.of_row.push(NO_CODE);
                continue;
            };
            let user = state.hash_one(u) & !0xFF;
            let key = user | *c as u64;
            let i = *index.entry(key).or_insert_with(|| {
                out.user.push(user);
                out.group.push(*c);
                out.first_us.push(i64::MAX);
                out.last_us.push(i64::MIN);
                (out.user.len() - 1) as u32
            });
            if let (Some(t), false) = (t, e == Some(true)) {
                let k = i as usize;
                out.first_us[k] = out.first_us[k].min(t);
                out.last_us[k] = out.last_us[k].max(t);
            }
            out.of_row.push(i);
        }
        out
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.user.len()
    }

    /// No pairs at all (no user column).
    pub fn is_empty(&self) -> bool {
        self.user.is_empty()
    }

    /// Pair indices grouped by user: each inner slice holds one user's pairs.
    pub fn by_user(&self) -> Vec<Vec<u32>> {
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.sort_unstable_by_key(|&i| self.user[i as usize]);
        let mut out: Vec<Vec<u32>> = Vec::new();
        let mut last = None;
        for i in order {
            let u = self.user[i as usize];
            if last == Some(u) {
                if let Some(v) = out.last_mut() {
                    v.push(i);
                }
            } else {
                out.push(vec![i]);
                last = Some(u);
            }
        }
        out
    }
}

/// Units: (user, group, stage) triples as dense indices.
#[derive(Debug, Clone, Default)]
pub struct Units {
    /// Unit of each row (`NO_CODE` without a pair or stage).
    pub of_row: Vec<u32>,
    /// Pair of each unit.
    pub pair: Vec<u32>,
    /// Stage of each unit.
    pub stage: Vec<u16>,
    /// Rows of each unit.
    pub rows: Vec<u32>,
    /// Stages each pair has rows in (bit per stage, up to 64).
    pub stage_mask: Vec<u64>,
}

impl Units {
    /// Units of the pairs split by the stage of each row.
    pub fn of(pairs: &UserGroups, row_stage: &[u16]) -> Self {
        let np = pairs.len();
        let mut lo = vec![u16::MAX; np];
        let mut hi = vec![0u16; np];
        for (&p, &s) in pairs.of_row.iter().zip(row_stage) {
            if p != NO_CODE && s != NO_STAGE {
                lo[p as usize] = lo[p as usize].min(s);
                hi[p as usize] = hi[p as usize].max(s);
            }
        }
        // each pair owns a run of unit slots, one per stage from its first to its last
        let mut offset = vec![0u32; np];
        let mut total = 0u32;
        for p in 0..np {
            offset[p] = total;
            if lo[p] != u16::MAX {
                total += (hi[p] - lo[p]) as u32 + 1;
            }
        }
        let mut pair = vec![0u32; total as usize];
        let mut stage = vec![0u16; total as usize];
        for p in 0..np {
            if lo[p] != u16::MAX {
                for s in lo[p]..=hi[p] {
                    let u = (offset[p] + (s - lo[p]) as u32) as usize;
                    pair[u] = p as u32;
                    stage[u] = s;
                }
            }
        }
        let mut rows = vec![0u32; total as usize];
        let mut stage_mask = vec![0u64; np];
        let of_row: Vec<u32> = pairs
            .of_row
            .iter()
            .zip(row_stage)
            .map(|(&p, &s)| {
                if p == NO_CODE || s == NO_STAGE {
                    return NO_CODE;
                }
                let u = offset[p as usize] + (s - lo[p as usize]) as u32;
                rows[u as usize] += 1;
                stage_mask[p as usize] |= 1u64 << (s.min(63));
                u
            })
            .collect();
        Self {
            of_row,
            pair,
            stage,
            rows,
            stage_mask,
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

/// A metric summed per unit: Σ of its values (m) and the number of values (d).
#[derive(Debug, Clone)]
pub struct UnitSums {
    /// Σ values per unit.
    pub m: Vec<f64>,
    /// Values per unit.
    pub d: Vec<u32>,
    /// Every user had one value throughout (a per-user metric, not a ratio).
    pub constant_per_user: bool,
}

/// Per-unit sums of `values` (nulls skipped).
pub fn unit_sums(units: &Units, pairs: &UserGroups, values: &Float64Chunked) -> UnitSums {
    let mut m = vec![0.0f64; units.len()];
    let mut d = vec![0u32; units.len()];
    let mut first = vec![f64::NAN; pairs.len()];
    let mut varied = false;
    for_each_value(&units.of_row, values, |u, x| {
        m[u] += x;
        d[u] += 1;
        let p = units.pair[u] as usize;
        let f = first[p];
        if f.is_nan() {
            first[p] = x;
        } else if f != x {
            varied = true;
        }
    });
    UnitSums {
        m,
        d,
        constant_per_user: !varied,
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
            (sums.m[u] / sums.d[u] as f64, 1.0)
        } else {
            (sums.m[u], sums.d[u] as f64)
        }
    };
    let mut n = vec![0u64; cells];
    let mut sm = vec![0.0f64; cells];
    let mut sd = vec![0.0f64; cells];
    for u in 0..units.len() {
        if sums.d[u] == 0 {
            continue;
        }
        let (x, y) = value(u);
        let c = cell(u);
        n[c] += 1;
        sm[c] += x;
        sd[c] += y;
    }
    let mut out: Vec<RatioMoments> = (0..cells)
        .map(|c| RatioMoments {
            n: n[c],
            sum_m: sm[c],
            sum_d: sd[c],
            mean_m: sm[c] / n[c] as f64,
            mean_d: sd[c] / n[c] as f64,
            ..Default::default()
        })
        .collect();
    for u in 0..units.len() {
        if sums.d[u] == 0 {
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
