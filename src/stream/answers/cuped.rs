//! CUPED: the pre-period, a declared covariate column, each user's covariate and the
//! (post, covariate) cell moments.

use super::*;

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
