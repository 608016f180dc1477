//! The primary metric's lift over time: each cell's running sums at every bucket end.

use super::*;

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
