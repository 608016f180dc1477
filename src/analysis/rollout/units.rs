//! Units as columns: every row's (user, group, stage) unit as a dense index (from the
//! pairs of `pairs.rs`), per-unit sums of every tested column, and per-(stage, group)
//! moments of those sums. No row structs: flat vectors indexed by unit.

use super::key_index::prefetch;
use super::unit_stats::RatioMoments;
use crate::analysis::columns::{Neumaier, NO_CODE};

/// A row without a stage (before the experiment start, or without a timestamp when the
/// log has several stages).
pub const NO_STAGE: u16 = u16::MAX;

pub use super::pairs::{UserGroups, NO_TS};

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
    /// The unit of every row (`NO_CODE`: none).
    pub unit_of_row: Vec<u32>,
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
            unit_of_row,
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
    let value = |u: usize| -> (f64, f64) {
        if sums.constant_per_user {
            (sums.m(u) / sums.d(u) as f64, 1.0)
        } else {
            (sums.m(u), sums.d(u) as f64)
        }
    };
    moments_by_cell(units, pairs, sums, stages, k, value)
}

/// Moments per (stage, group) cell, index `stage * k + group`, of `value(u)` over the units
/// with values of the column (two passes: compensated means, then centred sums).
pub fn moments_by_cell(
    units: &Units,
    pairs: &UserGroups,
    sums: &UnitSums,
    stages: usize,
    k: usize,
    value: impl Fn(usize) -> (f64, f64),
) -> Vec<RatioMoments> {
    let cells = stages * k;
    let cell =
        |u: usize| units.stage[u] as usize * k + pairs.group[units.pair[u] as usize] as usize;
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
