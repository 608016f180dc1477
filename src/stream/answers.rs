//! The pushed-down report's aggregate requests answered by scanning spilled files: each
//! function here answers one request of `crate::clickhouse` (same arguments, same result)
//! with the semantics of its SQL — rows with a group, the time filters, a row without a
//! time in no stage of a staged log, nulls left out of counts and sums — so the report's
//! assembly (`clickhouse::report`) runs unchanged on files larger than memory. State is
//! per group, cell, bucket or unit (user), never per row, except the exact order
//! statistics, which hold one number per latency or score.

use super::spill::{Chunk, Spill, NULL_CODE, NULL_TS};
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
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasherDefault, Hasher};

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

/// Per-group aggregates, sorted by group (as `aggregates::groups`).
pub fn groups(
    sp: &Spill,
    src: &Source,
    roles: &Roles,
) -> Result<Vec<GroupAggregate>, ClickHouseError> {
    #[derive(Default)]
    struct G {
        requests: u64,
        users: HashSet<u32>,
        errors: u64,
        models: BTreeSet<u32>,
        versions: BTreeSet<u32>,
        latency: Vec<f64>,
        latency_sum: f64,
        metrics: Vec<(u64, f64)>,
        score: (u64, f64),
    }
    let nm = sp.metrics.len();
    let mut gs: HashMap<u32, G> = HashMap::default();
    let has_error = roles.error.is_some();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            let g = gs.entry(c.group[i]).or_insert_with(|| G {
                metrics: vec![(0, 0.0); nm],
                ..Default::default()
            });
            g.requests += 1;
            if c.user[i] != NULL_CODE {
                g.users.insert(c.user[i]);
            }
            g.errors += (has_error && c.error[i]) as u64;
            if c.model[i] != NULL_CODE {
                g.models.insert(c.model[i]);
            }
            if c.version[i] != NULL_CODE {
                g.versions.insert(c.version[i]);
            }
            if let Some(l) = c.latency.get(i) {
                g.latency.push(l);
                g.latency_sum += l;
            }
            for (m, acc) in g.metrics.iter_mut().enumerate() {
                if let Some(v) = c.metrics[m].get(i) {
                    acc.0 += 1;
                    acc.1 += v;
                }
            }
            if let Some(s) = c.score.get(i) {
                g.score.0 += 1;
                g.score.1 += s;
            }
        }
    })?;
    let mut out: Vec<GroupAggregate> = gs
        .into_iter()
        .map(|(code, mut g)| {
            sort_floats(&mut g.latency);
            let latency_ms = roles.latency.as_ref().and_then(|_| {
                let p = percentiles(&g.latency)?;
                Some(LatencySummary {
                    mean: g.latency_sum / g.latency.len() as f64,
                    p50: p[0],
                    p95: p[1],
                    p99: p[2],
                })
            });
            GroupAggregate {
                name: sp.groups[code as usize].clone(),
                requests: g.requests,
                users: if roles.user.is_some() {
                    g.users.len() as u64
                } else {
                    0
                },
                errors: g.errors,
                models: names_of(&g.models.into_iter().collect::<Vec<_>>(), &sp.models),
                versions: names_of(&g.versions.into_iter().collect::<Vec<_>>(), &sp.versions),
                latency_ms,
                metrics: sp
                    .metrics
                    .iter()
                    .zip(&g.metrics)
                    .map(|(m, &(n, sum))| {
                        (
                            m.clone(),
                            MetricSummary {
                                n,
                                mean: (n > 0).then(|| sum / n as f64),
                                sum,
                            },
                        )
                    })
                    .collect(),
                mean_score: roles
                    .score
                    .as_ref()
                    .and_then(|_| (g.score.0 > 0).then(|| g.score.1 / g.score.0 as f64))
                    .filter(|v| v.is_finite()),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Users seen in more than one group.
pub fn leaked_users(sp: &Spill, src: &Source) -> Result<u64, ClickHouseError> {
    let mut first: HashMap<u32, (u32, bool)> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let (u, g) = (c.user[r as usize], c.group[r as usize]);
            if u == NULL_CODE {
                continue;
            }
            let e = first.entry(u).or_insert((g, false));
            e.1 |= e.0 != g;
        }
    })?;
    Ok(first.values().filter(|v| v.1).count() as u64)
}

/// Per time bucket × group (as `aggregates::buckets`).
pub fn buckets(
    sp: &Spill,
    src: &Source,
    bucket_s: u64,
) -> Result<Vec<BucketAggregate>, ClickHouseError> {
    let b = bucket_s.max(1) as i64;
    let width = b * 1_000_000;
    let nm = sp.metrics.len();
    let mut cells: BTreeMap<(i64, String), BucketCell> = BTreeMap::new();
    let mut by_code: HashMap<(i64, u32), BucketCell> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            let t = c.ts[i];
            if t == NULL_TS {
                continue;
            }
            let e = by_code
                .entry((t / width * b, c.group[i]))
                .or_insert_with(|| (0, 0, Vec::new(), vec![(0, 0.0); nm]));
            e.0 += 1;
            e.1 += c.error[i] as u64;
            if let Some(l) = c.latency.get(i) {
                e.2.push(l);
            }
            for (m, acc) in e.3.iter_mut().enumerate() {
                if let Some(v) = c.metrics[m].get(i) {
                    acc.0 += 1;
                    acc.1 += v;
                }
            }
        }
    })?;
    for ((start, g), v) in by_code {
        cells.insert((start, sp.groups[g as usize].clone()), v);
    }
    Ok(cells
        .into_iter()
        .map(|((start_s, group), (requests, errors, mut lat, metrics))| {
            sort_floats(&mut lat);
            BucketAggregate {
                start_s,
                group,
                requests,
                errors: if sp.roles.error.is_some() { errors } else { 0 },
                latency_p: sp.roles.latency.as_ref().and_then(|_| percentiles(&lat)),
                metrics: sp
                    .metrics
                    .iter()
                    .cloned()
                    .zip(metrics)
                    .collect::<BTreeMap<_, _>>(),
            }
        })
        .collect())
}

/// Distinct users per (group, stage).
pub fn units_per_cell(
    sp: &Spill,
    src: &Source,
    later: &[i64],
) -> Result<BTreeMap<(String, u16), u64>, ClickHouseError> {
    let mut seen: HashSet<(u32, u16, u32)> = HashSet::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            if c.user[i] == NULL_CODE {
                continue;
            }
            if let Some(s) = stage_of(c.ts[i], later) {
                seen.insert((c.group[i], s, c.user[i]));
            }
        }
    })?;
    let mut out: BTreeMap<(String, u16), u64> = BTreeMap::new();
    for (g, s, _) in seen {
        *out.entry((sp.groups[g as usize].clone(), s)).or_default() += 1;
    }
    Ok(out)
}

/// A bucket × group cell: requests, errors, latencies, per metric (values, sum).
type BucketCell = (u64, u64, Vec<f64>, Vec<(u64, f64)>);

/// Per (group, stage, user) unit: (Σ values, values).
pub type UnitSums = HashMap<(u32, u16, u32), (f64, u64)>;

/// Per (user, group) pair masks counted per (group, mask), and the users, leaked and moved.
pub struct Masks {
    /// (group, stage mask) → pairs.
    pub masks: BTreeMap<(String, u64), u64>,
    /// Users.
    pub users: u64,
    /// Users in two groups within one stage.
    pub leaked: u64,
    /// Users who moved between groups only at a stage boundary.
    pub moved: u64,
}

/// Per (group, stage, user) unit: (Σ values, values) of `field` over rows with a value.
fn unit_sums(
    sp: &Spill,
    src: &Source,
    field: Field,
    later: &[i64],
) -> Result<UnitSums, ClickHouseError> {
    let mut units: HashMap<(u32, u16, u32), (f64, u64)> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            if c.user[i] == NULL_CODE {
                continue;
            }
            let (Some(s), Some(v)) = (stage_of(c.ts[i], later), field.get(c, i)) else {
                continue;
            };
            let e = units.entry((c.group[i], s, c.user[i])).or_default();
            e.0 += v;
            e.1 += 1;
        }
    })?;
    Ok(units)
}

/// Per (group, stage) cell the moments of the units' (Σ values, values), or of each unit's
/// mean with d = 1 (as `moments::unit_moments_of`).
pub fn unit_moments_of(
    sp: &Spill,
    src: &Source,
    column: &str,
    later: &[i64],
    per_user_mean: bool,
) -> Result<BTreeMap<(String, u16), RatioMoments>, ClickHouseError> {
    let field = field_of_column(sp, src, column)?;
    let units = unit_sums(sp, src, field, later)?;
    let mut cells: BTreeMap<(u32, u16), Vec<(f64, f64)>> = BTreeMap::new();
    for ((g, s, _), (m, d)) in units {
        let pair = if per_user_mean {
            (m / d as f64, 1.0)
        } else {
            (m, d as f64)
        };
        cells.entry((g, s)).or_default().push(pair);
    }
    Ok(cells
        .into_iter()
        .map(|((g, s), pairs)| {
            (
                (sp.groups[g as usize].clone(), s),
                RatioMoments::of(pairs.iter().copied()),
            )
        })
        .collect())
}

/// Whether every (user, group) has one value of `column` throughout.
pub fn constant_per_user(
    sp: &Spill,
    src: &Source,
    column: &str,
    later: &[i64],
) -> Result<bool, ClickHouseError> {
    let field = field_of_column(sp, src, column)?;
    let mut seen: HashMap<(u32, u32), (f64, bool)> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            if c.user[i] == NULL_CODE || stage_of(c.ts[i], later).is_none() {
                continue;
            }
            let Some(v) = field.get(c, i) else { continue };
            let e = seen.entry((c.user[i], c.group[i])).or_insert((v, false));
            e.1 |= e.0 != v;
        }
    })?;
    Ok(!seen.values().any(|v| v.1))
}

/// Requests per stage.
pub fn stage_requests(
    sp: &Spill,
    src: &Source,
    later: &[i64],
    stages: usize,
) -> Result<Vec<u64>, ClickHouseError> {
    let mut out = vec![0u64; stages];
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            if let Some(s) = stage_of(c.ts[r as usize], later) {
                if let Some(n) = out.get_mut(s as usize) {
                    *n += 1;
                }
            }
        }
    })?;
    Ok(out)
}

/// Per (user, group) pair: the stage mask; counted per (group, mask); the users, those in
/// two groups within one stage and those who moved at a stage boundary.
pub fn pair_masks(sp: &Spill, src: &Source, later: &[i64]) -> Result<Masks, ClickHouseError> {
    let mut pairs: HashMap<(u32, u32), u64> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            if c.user[i] == NULL_CODE {
                continue;
            }
            if let Some(s) = stage_of(c.ts[i], later) {
                *pairs.entry((c.user[i], c.group[i])).or_default() |= 1u64 << s.min(63);
            }
        }
    })?;
    let mut masks: BTreeMap<(String, u64), u64> = BTreeMap::new();
    let mut per_user: HashMap<u32, (u64, u64, u64)> = HashMap::default();
    for ((u, g), mask) in pairs {
        *masks
            .entry((sp.groups[g as usize].clone(), mask))
            .or_default() += 1;
        let e = per_user.entry(u).or_default();
        e.0 += 1;
        e.1 = e.1.wrapping_add(mask);
        e.2 |= mask;
    }
    let users = per_user.len() as u64;
    let leaked = per_user
        .values()
        .filter(|(n, sum, or)| *n > 1 && sum != or)
        .count() as u64;
    let moved = per_user
        .values()
        .filter(|(n, sum, or)| *n > 1 && sum == or)
        .count() as u64;
    Ok(Masks {
        masks,
        users,
        leaked,
        moved,
    })
}

/// The tested columns in report order (metrics, latency, score, error rate); a metric whose
/// values are all 0 or 1 is a proportion. `column` is the canonical column.
pub fn tested_columns(
    sp: &Spill,
    src: &Source,
    roles: &Roles,
) -> Result<Vec<TestedColumn>, ClickHouseError> {
    let nm = sp.metrics.len();
    let (mut n, mut other) = (vec![0u64; nm], vec![0u64; nm]);
    let (mut lat, mut score) = (0u64, 0u64);
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            for m in 0..nm {
                if let Some(v) = c.metrics[m].get(i) {
                    n[m] += 1;
                    other[m] += (v != 0.0 && v != 1.0) as u64;
                }
            }
            lat += c.latency.get(i).is_some() as u64;
            score += c.score.get(i).is_some() as u64;
        }
    })?;
    let mut out = Vec::new();
    for (i, m) in sp.metrics.iter().enumerate() {
        if n[i] == 0 {
            continue;
        }
        out.push(TestedColumn {
            name: m.clone(),
            column: metric_col(m),
            kind: if other[i] == 0 {
                MetricKind::Proportion
            } else {
                MetricKind::Mean
            },
            lower_is_better: false,
        });
    }
    if let Some(l) = roles.latency.as_ref().filter(|_| lat > 0) {
        out.push(TestedColumn {
            name: l.clone(),
            column: LATENCY_MS.into(),
            kind: MetricKind::Mean,
            lower_is_better: true,
        });
    }
    if let Some(sc) = roles
        .score
        .as_ref()
        .filter(|s| !out.iter().any(|c| &c.name == *s) && score > 0)
    {
        out.push(TestedColumn {
            name: sc.clone(),
            column: SCORE.into(),
            kind: MetricKind::Mean,
            lower_is_better: false,
        });
    }
    if roles.error.is_some() && !out.iter().any(|c| c.name == ERROR_RATE) {
        out.push(TestedColumn {
            name: ERROR_RATE.into(),
            column: IS_ERROR.into(),
            kind: MetricKind::Proportion,
            lower_is_better: true,
        });
    }
    Ok(out)
}

/// The time range of the rows (µs).
pub fn time_range(sp: &Spill, src: &Source) -> Result<Option<(i64, i64)>, ClickHouseError> {
    let mut range: Option<(i64, i64)> = None;
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let t = c.ts[r as usize];
            if t == NULL_TS {
                continue;
            }
            range = Some(range.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
    })?;
    Ok(range)
}

/// The stages of the timed rows, `control` the control group (as `stages::detect_stages`:
/// per-interval counts, the change points, refined from moves near them and the requests of
/// their windows).
pub fn detect_stages(
    sp: &Spill,
    src: &Source,
    control: &str,
) -> Result<Option<Boundaries>, ClickHouseError> {
    let ctrl = sp
        .groups
        .iter()
        .position(|g| g == control)
        .map(|c| c as u32);
    let not_control = |g: u32| Some(g) != ctrl;
    let Some((min, max)) = time_range(sp, src)? else {
        return Ok(None);
    };
    let mut n = 0u64;
    scan(sp, src, false, &mut |c, rows| {
        n += rows
            .iter()
            .filter(|&&r| c.ts[r as usize] != NULL_TS)
            .count() as u64;
    })?;
    let intervals = interval_count(n as usize);
    let span = (max as i128 - min as i128 + 1).max(1);
    let width = ((span + intervals as i128 - 1) / intervals as i128).max(1) as i64;
    let count = ((span + width as i128 - 1) / width as i128) as usize;
    let mut counts = IntervalCounts {
        start_us: min,
        width_us: width,
        n: vec![0; count],
        x: vec![0; count],
    };
    // per (user, group): first and last time
    let mut spans: HashMap<(u32, u32), (i64, i64)> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            let t = c.ts[i];
            if t == NULL_TS {
                continue;
            }
            let k = (((t - min) / width) as usize).min(count - 1);
            counts.n[k] += 1;
            counts.x[k] += not_control(c.group[i]) as u64;
            if c.user[i] != NULL_CODE {
                let e = spans.entry((c.user[i], c.group[i])).or_insert((t, t));
                e.0 = e.0.min(t);
                e.1 = e.1.max(t);
            }
        }
    })?;
    let cuts = detect(&counts);
    let (coarse, windows) = coarse_windows(&counts, &cuts, min, max);
    if coarse.is_empty() {
        return Ok(Some(refine(&[], &[], Vec::new(), Vec::new(), min, max)));
    }
    // users in exactly two groups one after the other: (last old, first new)
    let mut by_user: HashMap<u32, Vec<(i64, i64)>> = HashMap::default();
    if sp.roles.user.is_some() {
        for ((u, _), fl) in spans {
            by_user.entry(u).or_default().push(fl);
        }
    }
    let mut near: Vec<Vec<(i64, i64)>> = vec![Vec::new(); windows.len()];
    let mut spanning: Vec<(u64, i64, i64)> = vec![(0, i64::MIN, i64::MAX); windows.len()];
    for fl in by_user.values().filter(|v| v.len() == 2) {
        let ((f1, l1), (f2, l2)) = (fl[0], fl[1]);
        let (l, f) = if l1 < f2 {
            (l1, f2)
        } else if l2 < f1 {
            (l2, f1)
        } else {
            continue;
        };
        for (w, &(lo, hi)) in windows.iter().enumerate() {
            if (l >= lo && l < hi) || (f >= lo && f < hi) {
                near[w].push((l, f));
            } else if l < lo && f >= hi {
                let s = &mut spanning[w];
                s.0 += 1;
                s.1 = s.1.max(l);
                s.2 = s.2.min(f);
            }
        }
    }
    for (v, (k, l, f)) in near.iter_mut().zip(spanning) {
        v.extend(std::iter::repeat_n((l, f), k as usize));
    }
    // the requests of every window, in time order
    let mut in_window: Vec<Vec<(i64, bool)>> = vec![Vec::new(); windows.len()];
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            let t = c.ts[i];
            if t == NULL_TS {
                continue;
            }
            for (v, &(lo, hi)) in in_window.iter_mut().zip(&windows) {
                if t >= lo && t < hi {
                    v.push((t, not_control(c.group[i])));
                }
            }
        }
    })?;
    for v in &mut in_window {
        v.sort_by_key(|p| p.0);
    }
    Ok(Some(refine(&coarse, &windows, in_window, near, min, max)))
}

/// Request-level moments of `metric` per (segment value, group) and requests per value
/// (as `moments::segment_moments`).
pub fn segment_moments(
    sp: &Spill,
    src: &Source,
    roles: &Roles,
    column: &str,
    metric: &str,
) -> Result<crate::clickhouse::aggregates::SegmentMoments, ClickHouseError> {
    let seg = sp
        .segments
        .iter()
        .position(|(s, _)| s == column)
        .ok_or_else(|| unknown(src, column))?;
    let field = field_of_name(sp, src, roles, metric)?;
    // pass 1: requests, values and their sum per (value, group)
    let mut first: HashMap<(u32, u32), (u64, u64, f64)> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            let v = c.segments[seg][i];
            if v == NULL_CODE {
                continue;
            }
            let e = first.entry((v, c.group[i])).or_default();
            e.0 += 1;
            if let Some(x) = field.get(c, i) {
                e.1 += 1;
                e.2 += x;
            }
        }
    })?;
    // pass 2: Σ(x − x̄)² around each cell's mean
    let mut css: HashMap<(u32, u32), f64> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            let key = (c.segments[seg][i], c.group[i]);
            let (Some(&(_, n, sum)), Some(x)) = (first.get(&key), field.get(c, i)) else {
                continue;
            };
            let d = x - sum / n as f64;
            *css.entry(key).or_default() += d * d;
        }
    })?;
    let mut out = crate::clickhouse::aggregates::SegmentMoments::default();
    let values = &sp.segments[seg].1;
    for ((v, g), (requests, n, sum)) in first {
        let value = values[v as usize].clone();
        *out.requests.entry(value.clone()).or_default() += requests;
        let var = match (n > 1, css.get(&(v, g))) {
            (true, Some(c)) => c / (n - 1) as f64,
            _ => f64::NAN,
        };
        out.cells.insert(
            (value, sp.groups[g as usize].clone()),
            Moments {
                n,
                sum,
                mean: if n > 0 { sum / n as f64 } else { f64::NAN },
                var,
            },
        );
    }
    Ok(out)
}

/// Fallbacks per group from rows and non-error rows per (group, model), through the
/// engine's own rule (as `report_groups::fallbacks`).
pub fn fallbacks(
    sp: &Spill,
    src: &Source,
    names: &[String],
    control: usize,
) -> Result<Vec<u64>, ClickHouseError> {
    let k = names.len();
    let has_error = sp.roles.error.is_some();
    let mut cells: HashMap<(u32, u32), (u64, u64)> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            if c.model[i] == NULL_CODE {
                continue;
            }
            let e = cells.entry((c.group[i], c.model[i])).or_default();
            e.0 += 1;
            e.1 += !(has_error && c.error[i]) as u64;
        }
    })?;
    let mut models: Vec<String> = cells
        .keys()
        .map(|(_, m)| sp.models[*m as usize].clone())
        .collect();
    models.sort();
    models.dedup();
    let nm = models.len();
    let (mut all, mut ok) = (vec![0u64; k * nm], vec![0u64; k * nm]);
    for ((g, m), (rows, served)) in cells {
        let (gn, mn) = (&sp.groups[g as usize], &sp.models[m as usize]);
        if let (Some(gi), Some(mi)) = (
            names.iter().position(|n| n == gn),
            models.iter().position(|n| n == mn),
        ) {
            all[gi * nm + mi] += rows;
            ok[gi * nm + mi] += served;
        }
    }
    Ok(crate::analysis::groups::fallbacks_of(
        &models, &all, &ok, k, control,
    ))
}

/// AUC of the score against the label per group, ties by mid-ranks (as
/// `report_groups::auc_per_group`: per distinct score the positives and negatives, in score
/// order).
pub fn auc_per_group(
    sp: &Spill,
    src: &Source,
    names: &[String],
) -> Result<Vec<Option<f64>>, ClickHouseError> {
    if sp.roles.score.is_none() || sp.roles.label.is_none() {
        return Ok(vec![None; names.len()]);
    }
    let mut per: HashMap<u32, (Vec<f64>, Vec<f64>)> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            let (Some(s), Some(l)) = (c.score.get(i), c.label.get(i)) else {
                continue;
            };
            if s.is_nan() {
                continue;
            }
            let e = per.entry(c.group[i]).or_default();
            if l == 1.0 {
                e.0.push(s);
            } else {
                e.1.push(s);
            }
        }
    })?;
    Ok(names
        .iter()
        .map(|n| {
            let g = sp.groups.iter().position(|x| x == n)? as u32;
            let (pos, neg) = per.get_mut(&g)?;
            if pos.is_empty() || neg.is_empty() {
                return None;
            }
            sort_floats(pos);
            sort_floats(neg);
            // per distinct score in order: U += p × (negatives so far incl. these − n / 2)
            let (mut i, mut j) = (0usize, 0usize);
            let (mut cum_n, mut u) = (0.0f64, 0.0f64);
            while i < pos.len() || j < neg.len() {
                let s = match (pos.get(i), neg.get(j)) {
                    (Some(a), Some(b)) => a.min(*b),
                    (Some(a), None) => *a,
                    (None, Some(b)) => *b,
                    (None, None) => break,
                };
                let (mut p, mut q) = (0.0f64, 0.0f64);
                while i < pos.len() && pos[i] == s {
                    p += 1.0;
                    i += 1;
                }
                while j < neg.len() && neg[j] == s {
                    q += 1.0;
                    j += 1;
                }
                cum_n += q;
                u += p * (cum_n - q / 2.0);
            }
            Some(u / (pos.len() as f64 * neg.len() as f64))
        })
        .collect())
}

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

/// The pre-period's rows with a user and its users; None without rows before `cut`
/// (rows without a group count: the pre-period may predate the assignment).
pub fn pre_period(
    sp: &Spill,
    src: &Source,
    cut: i64,
) -> Result<Option<PrePeriodInfo>, ClickHouseError> {
    let (mut rows, mut with) = (0u64, 0u64);
    let mut users: HashSet<u32> = HashSet::default();
    scan(sp, src, true, &mut |c, idx| {
        for &r in idx {
            let i = r as usize;
            let t = c.ts[i];
            if t == NULL_TS || t >= cut {
                continue;
            }
            rows += 1;
            if c.user[i] != NULL_CODE {
                with += 1;
                users.insert(c.user[i]);
            }
        }
    })?;
    Ok((rows > 0).then(|| PrePeriodInfo {
        source: "log".into(),
        rows: with,
        users: users.len() as u64,
        column: None,
    }))
}

/// A declared covariate column's rows and users with a value.
pub fn column_info(
    sp: &Spill,
    src: &Source,
    roles: &Roles,
    column: &str,
) -> Result<PrePeriodInfo, ClickHouseError> {
    let field = field_of_name(sp, src, roles, column)?;
    let mut rows = 0u64;
    let mut users: HashSet<u32> = HashSet::default();
    scan(sp, src, false, &mut |c, idx| {
        for &r in idx {
            let i = r as usize;
            if c.user[i] != NULL_CODE && field.get(c, i).is_some() {
                rows += 1;
                users.insert(c.user[i]);
            }
        }
    })?;
    Ok(PrePeriodInfo {
        source: "column".into(),
        rows,
        users: users.len() as u64,
        column: Some(column.to_string()),
    })
}

/// Each user's covariate: the pre-period's total of `field` (rows before `cut` of `all`),
/// or the declared column's mean over the user's experiment rows.
pub fn covariates(
    sp: &Spill,
    covariate: &crate::clickhouse::cuped::Covariate,
    roles: &Roles,
    field: Field,
) -> Result<HashMap<u32, f64>, ClickHouseError> {
    use crate::clickhouse::cuped::Covariate;
    let mut out: HashMap<u32, (f64, u64)> = HashMap::default();
    match covariate {
        Covariate::PrePeriod { all, cut } => {
            let cut = *cut;
            scan(sp, all, true, &mut |c, idx| {
                for &r in idx {
                    let i = r as usize;
                    let t = c.ts[i];
                    if c.user[i] == NULL_CODE || t == NULL_TS || t >= cut {
                        continue;
                    }
                    let e = out.entry(c.user[i]).or_default();
                    e.0 += field.get(c, i).unwrap_or(0.0);
                    e.1 += 1;
                }
            })?;
            Ok(out.into_iter().map(|(u, (s, _))| (u, s)).collect())
        }
        Covariate::Column { experiment, name } => {
            let col = field_of_name(sp, experiment, roles, name)?;
            scan(sp, experiment, false, &mut |c, idx| {
                for &r in idx {
                    let i = r as usize;
                    if c.user[i] == NULL_CODE {
                        continue;
                    }
                    if let Some(v) = col.get(c, i) {
                        let e = out.entry(c.user[i]).or_default();
                        e.0 += v;
                        e.1 += 1;
                    }
                }
            })?;
            Ok(out
                .into_iter()
                .map(|(u, (s, n))| (u, s / n as f64))
                .collect())
        }
    }
}

/// One metric's CUPED inputs (as `cuped::cells`).
pub fn cuped_cells(
    sp: &Spill,
    post: &Source,
    covariate: &crate::clickhouse::cuped::Covariate,
    roles: &Roles,
    metric: &str,
    later: &[i64],
    names: &[String],
) -> Result<crate::clickhouse::cuped::CupedCells, ClickHouseError> {
    let field = field_of_name(sp, post, roles, metric)?;
    let cov = covariates(sp, covariate, roles, field)?;
    let units = unit_sums(sp, post, field, later)?;
    let k = names.len();
    let ns = later.len() + 1;
    let index = |g: u32, s: u16| -> Option<usize> {
        let gi = names.iter().position(|n| *n == sp.groups[g as usize])?;
        ((s as usize) < ns).then_some(s as usize * k + gi)
    };
    let mut per_cell: Vec<Vec<(f64, f64)>> = vec![Vec::new(); ns * k];
    let mut with_covariate = vec![0u64; ns * k];
    let mut masks: HashMap<(u32, u32), u64> = HashMap::default();
    for ((g, s, u), (m, _)) in &units {
        *masks.entry((*u, *g)).or_default() |= 1u64 << (*s).min(63);
        let Some(i) = index(*g, *s) else { continue };
        let x = cov.get(u);
        per_cell[i].push((*m, x.copied().unwrap_or(0.0)));
        with_covariate[i] += x.is_some() as u64;
    }
    let moments = per_cell
        .iter()
        .map(|pairs| RatioMoments::of(pairs.iter().copied()))
        .collect();
    let mut pairs: BTreeMap<(String, u64, bool), u64> = BTreeMap::new();
    for ((u, g), mask) in masks {
        *pairs
            .entry((sp.groups[g as usize].clone(), mask, cov.contains_key(&u)))
            .or_default() += 1;
    }
    Ok(crate::clickhouse::cuped::CupedCells {
        moments,
        with_covariate,
        pairs,
    })
}

/// The cells' running sums at the end of every bucket in `emit_at` (as
/// `lift::running_cells`): per unit, its per-bucket sums in bucket order, each bucket's
/// change of the unit's (x, y) added to its cell.
#[allow(clippy::too_many_arguments)]
pub fn running_cells(
    sp: &Spill,
    post: &Source,
    covariate: Option<&crate::clickhouse::cuped::Covariate>,
    roles: &Roles,
    column: &str,
    later: &[i64],
    names: &[String],
    span_us: i64,
    form: LiftForm,
    emit_at: &[i64],
) -> Result<Vec<(i64, Vec<Running>)>, ClickHouseError> {
    let field = field_of_column(sp, post, column)?;
    let span = span_us.max(1);
    // per (user, group, stage): bucket → (Σ values, values)
    type PerBucket = BTreeMap<i64, (f64, u64)>;
    let mut per_unit: HashMap<(u32, u32, u16), PerBucket> = HashMap::default();
    scan(sp, post, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            let t = c.ts[i];
            if c.user[i] == NULL_CODE || t == NULL_TS {
                continue;
            }
            let (Some(s), Some(v)) = (stage_of(t, later), field.get(c, i)) else {
                continue;
            };
            if v.is_nan() {
                continue;
            }
            let e = per_unit
                .entry((c.user[i], c.group[i], s))
                .or_default()
                .entry(t / span)
                .or_default();
            e.0 += v;
            e.1 += 1;
        }
    })?;
    let cov = match (form, covariate) {
        (LiftForm::Cuped, Some(cv)) => Some(covariates(sp, cv, roles, field)?),
        _ => None,
    };
    let k = names.len();
    let ns = later.len() + 1;
    let mut deltas: BTreeMap<i64, HashMap<usize, Running>> = BTreeMap::new();
    for ((u, g, s), buckets) in per_unit {
        let Some(gi) = names.iter().position(|n| *n == sp.groups[g as usize]) else {
            continue;
        };
        if s as usize >= ns {
            continue;
        }
        let cell = s as usize * k + gi;
        let y_cov = cov.as_ref().and_then(|c| c.get(&u).copied()).unwrap_or(0.0);
        let (mut m1, mut d1) = (0.0f64, 0.0f64);
        for (b, (sm, sd)) in buckets {
            let (m0, d0) = (m1, d1);
            m1 += sm;
            d1 += sd as f64;
            let (x1, y1, x0, y0) = match form {
                LiftForm::Ratio => (m1, d1, m0, d0),
                LiftForm::Mean => (m1 / d1, 1.0, m0 / d0, 1.0),
                LiftForm::Cuped => (m1, y_cov, m0, y_cov),
            };
            let had = d0 > 0.0;
            let delta = |after: f64, before: f64| after - if had { before } else { 0.0 };
            let e = deltas.entry(b * span).or_default().entry(cell).or_default();
            e.n += (!had) as u64;
            e.x += delta(x1, x0);
            e.y += delta(y1, y0);
            e.xx += delta(x1 * x1, x0 * x0);
            e.yy += delta(y1 * y1, y0 * y0);
            e.xy += delta(x1 * y1, x0 * y0);
        }
    }
    let deltas: BTreeMap<i64, Vec<(usize, Running)>> = deltas
        .into_iter()
        .map(|(b, cells)| (b, cells.into_iter().collect()))
        .collect();
    Ok(crate::analysis::rollout::lift::cumulate(
        &deltas,
        emit_at,
        ns * k,
    ))
}
