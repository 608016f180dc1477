//! The pushed-down report's aggregate requests answered by scanning spilled files: each
//! function here answers one request of `crate::clickhouse` (same arguments, same result)
//! with the semantics of its SQL — rows with a group, the time filters, a row without a
//! time in no stage of a staged log, nulls left out of counts and sums — so the report's
//! assembly (`clickhouse::report`) runs unchanged on files larger than memory. State is
//! per group, cell, bucket or unit (user), never per row, except the exact order
//! statistics, which hold one number per latency or score.

use crate::analysis::rollout::lift::{LiftForm, Running};
use crate::analysis::rollout::plan_stages::{coarse_windows, interval_count, refine, Boundaries};
use crate::analysis::rollout::stages::{detect, IntervalCounts};
use crate::analysis::rollout::unit_stats::RatioMoments;
use crate::analysis::rollout::{TestedColumn, ERROR_RATE};
use crate::analysis::stats::{lerp, percentile_position, Moments};
use crate::clickhouse::aggregates::{BucketAggregate, GroupAggregate, Roles, Source};
use crate::clickhouse::ClickHouseError;
use crate::ingest::normalize::{metric_col, IS_ERROR, LATENCY_MS, SCORE};
use crate::ingest::MetricKind;
use crate::report::{LatencySummary, MetricSummary, PrePeriodInfo};
use crate::stream::spill::{Chunk, Spill, NULL_CODE, NULL_TS};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasherDefault, Hasher};

mod cuped;
mod groups;
mod lift;
mod quantiles;
mod stages;
mod units;

pub use cuped::*;
pub use groups::*;
pub use lift::*;
pub use quantiles::*;
pub use stages::*;
pub use units::*;

/// A fast hasher for the scans' integer keys (user codes, cells): Fx-style multiply-rotate;
/// the keys are Verdict's own dense codes, so no hash flooding is possible.
#[derive(Default, Clone, Copy)]
pub struct CodeHasher(u64);

impl CodeHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for CodeHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.add(*b as u64);
        }
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A hash map with [`CodeHasher`].
pub type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<CodeHasher>>;
/// A hash set with [`CodeHasher`].
pub type HashSet<K> = std::collections::HashSet<K, BuildHasherDefault<CodeHasher>>;

/// A numeric value of a row the tests run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A metric, by index into the spill's metrics.
    Metric(usize),
    /// The latency.
    Latency,
    /// The score.
    Score,
    /// The error flag (0/1, never missing).
    Error,
}

impl Field {
    /// The value of row `i`.
    #[inline]
    pub fn get(self, c: &Chunk, i: usize) -> Option<f64> {
        match self {
            Field::Metric(m) => c.metrics[m].get(i),
            Field::Latency => c.latency.get(i),
            Field::Score => c.score.get(i),
            Field::Error => Some(c.error[i] as u8 as f64),
        }
    }
}

fn unknown(src: &Source, what: &str) -> ClickHouseError {
    ClickHouseError::Input {
        server: src.server(),
        problem: format!("no column `{what}` in the streamed rows"),
    }
}

/// The field of a tested column's canonical column name (`m:…`, `r:latency_ms`...).
pub fn field_of_column(sp: &Spill, src: &Source, column: &str) -> Result<Field, ClickHouseError> {
    match column {
        LATENCY_MS => Ok(Field::Latency),
        SCORE => Ok(Field::Score),
        IS_ERROR => Ok(Field::Error),
        _ => sp
            .metrics
            .iter()
            .position(|m| metric_col(m) == column)
            .map(Field::Metric)
            .ok_or_else(|| unknown(src, column)),
    }
}

/// The field of a source column name (a metric, the latency or score column, the error
/// rate).
pub fn field_of_name(
    sp: &Spill,
    src: &Source,
    roles: &Roles,
    name: &str,
) -> Result<Field, ClickHouseError> {
    if let Some(i) = sp.metrics.iter().position(|m| m == name) {
        return Ok(Field::Metric(i));
    }
    if roles.latency.as_deref() == Some(name) {
        return Ok(Field::Latency);
    }
    if roles.score.as_deref() == Some(name) {
        return Ok(Field::Score);
    }
    if name == ERROR_RATE {
        return Ok(Field::Error);
    }
    Err(unknown(src, name))
}

fn scan(
    sp: &Spill,
    src: &Source,
    ungrouped: bool,
    f: &mut dyn FnMut(&Chunk, &[u32]),
) -> Result<(), ClickHouseError> {
    sp.scan(&src.select(ungrouped), f)
        .map_err(|e| ClickHouseError::Input {
            server: src.server(),
            problem: format!("cannot read the streamed rows back: {e}"),
        })
}

/// The stage of a row at `t` (None: a row without a time in a staged log).
#[inline]
fn stage_of(t: i64, later: &[i64]) -> Option<u16> {
    if later.is_empty() {
        return Some(0);
    }
    if t == NULL_TS {
        return None;
    }
    Some(later.iter().filter(|&&b| t >= b).count() as u16)
}

fn sort_floats(v: &mut [f64]) {
    v.sort_unstable_by(|a, b| a.total_cmp(b));
}

/// p50, p95, p99 of sorted values (numpy's linear rule, as `aggregates::percentiles`).
fn percentiles(sorted: &[f64]) -> Option<[f64; 3]> {
    let n = sorted.len() as u64;
    if n == 0 {
        return None;
    }
    let mut out = [0.0; 3];
    for (i, q) in [50.0, 95.0, 99.0].iter().enumerate() {
        let (lo, frac) = percentile_position(n, *q);
        let a = sorted[lo as usize];
        out[i] = if frac == 0.0 {
            a
        } else {
            lerp(a, sorted[(lo as usize + 1).min(sorted.len() - 1)], frac)
        };
    }
    Some(out)
}

fn names_of(codes: &[u32], dict: &[String]) -> Vec<String> {
    let mut out: Vec<String> = codes
        .iter()
        .filter_map(|&c| dict.get(c as usize).cloned())
        .filter(|s| !s.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}
