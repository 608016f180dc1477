//! Per-unit answers: units per cell, the units' moments of a tested column, whether a value
//! is constant per user, requests per stage, pair masks, the tested columns, the time range.

use super::*;

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
pub(super) fn unit_sums(
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
