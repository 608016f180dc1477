//! Per-group and per-time answers: group aggregates with exact latency percentiles,
//! leakage, the timeline's bucket × group cells, segment moments, fallbacks, AUC.

use super::*;

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

/// A bucket × group cell: requests, errors, latencies, per metric (values, sum).
type BucketCell = (u64, u64, Vec<f64>, Vec<(u64, f64)>);

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
