//! Per-group summaries: requests, users, errors, latency percentiles, metrics, score,
//! AUC, models and fallbacks.

use super::columns::{bool_col, f64_col, moments_by, str_col, values_by, Codes, NO_CODE};
use super::error::AnalysisError;
use super::stats::{auc_split, percentiles, Moments};
use crate::ingest::normalize::{
    metric_col, IS_ERROR, LABEL, LATENCY_MS, MODEL, SCORE, USER, VERSION,
};
use crate::ingest::Dataset;
use crate::report::{Assignment, GroupSummary, LatencySummary, MetricSummary};
use std::collections::{BTreeMap, BTreeSet};

/// Group summaries plus the moments the tests need.
pub struct GroupStats {
    /// One per group, in code order.
    pub summaries: Vec<GroupSummary>,
    /// Latency moments per group.
    pub latency: Vec<Moments>,
    /// Metric moments per metric name, per group.
    pub metrics: BTreeMap<String, Vec<Moments>>,
    /// Users and leakage.
    pub assignment: Assignment,
}

/// Computes the per-group summaries; `control` is the control's code.
pub fn summarize(
    ds: &Dataset,
    groups: &Codes,
    control: usize,
    count_users: bool,
) -> Result<GroupStats, AnalysisError> {
    let f = &ds.frame;
    let t0 = std::time::Instant::now();
    let k = groups.names.len();
    let codes = &groups.codes;
    let total = codes.len() as f64;

    let mut requests = vec![0u64; k];
    for c in codes {
        requests[*c as usize] += 1;
    }
    let mut errors = vec![0u64; k];
    for (c, e) in codes.iter().zip(bool_col(f, IS_ERROR)?.iter()) {
        if e == Some(true) {
            errors[*c as usize] += 1;
        }
    }

    crate::ingest::timing("groups/counts", t0);
    let t0 = std::time::Instant::now();
    // latency
    let lat_col = f64_col(f, LATENCY_MS)?;
    let mut lat_values = values_by(codes, k, lat_col);
    let latency: Vec<Moments> = lat_values.iter().map(|v| Moments::of(v)).collect();
    let lat_summaries: Vec<Option<LatencySummary>> = lat_values
        .iter_mut()
        .zip(&latency)
        .map(|(v, m)| {
            if v.is_empty() {
                return None;
            }
            let p = percentiles(v, &[50.0, 95.0, 99.0]);
            Some(LatencySummary {
                mean: m.mean,
                p50: p[0],
                p95: p[1],
                p99: p[2],
            })
        })
        .collect();
    drop(lat_values);

    crate::ingest::timing("groups/latency", t0);
    let t0 = std::time::Instant::now();
    // metrics
    let mut metrics = BTreeMap::new();
    for m in &ds.metrics {
        let col = f64_col(f, &metric_col(&m.name))?;
        metrics.insert(m.name.clone(), moments_by(codes, k, col));
    }

    crate::ingest::timing("groups/metrics", t0);
    let t0 = std::time::Instant::now();
    // score and AUC
    let score = f64_col(f, SCORE)?;
    let score_m = moments_by(codes, k, score);
    let label = f64_col(f, LABEL)?;
    let aucs: Vec<Option<f64>> =
        if label.null_count() < label.len() && score.null_count() < score.len() {
            // labels as keys: key = group * 2 + label, then AUC per group on its own thread
            let label_keys: Vec<u32> = codes
                .iter()
                .zip(label.iter())
                .map(|(c, l)| match l {
                    Some(l) if *c != NO_CODE => c * 2 + (l == 1.0) as u32,
                    _ => NO_CODE,
                })
                .collect();
            let mut by = values_by(&label_keys, 2 * k, score);
            std::thread::scope(|scope| {
                let handles: Vec<_> = by
                    .chunks_mut(2)
                    .enumerate()
                    .map(|(g, pair)| {
                        let (neg, pos) = pair.split_at_mut(1);
                        let (neg, pos) = (&mut neg[0], &mut pos[0]);
                        std::thread::Builder::new()
                            .name(format!("verdict-auc-{g}"))
                            .spawn_scoped(scope, move || auc_split(neg, pos))
                            .expect("spawn auc thread")
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().ok().flatten())
                    .collect()
            })
        } else {
            vec![None; k]
        };
    crate::ingest::timing("groups/auc", t0);
    let t0 = std::time::Instant::now();
    // models and fallbacks: count rows per (group, model) over dense codes
    let models = Codes::of(str_col(f, MODEL)?);
    let versions = Codes::of(str_col(f, VERSION)?);
    let is_error = bool_col(f, IS_ERROR)?;
    let (nm, nv) = (models.names.len(), versions.names.len());
    let mut model_rows = vec![0u64; k * nm];
    let mut model_served = vec![0u64; k * nm];
    let mut version_rows = vec![0u64; k * nv];
    for (i, e) in is_error.iter().enumerate() {
        let c = codes[i] as usize;
        let m = models.codes[i];
        if m != NO_CODE {
            model_rows[c * nm + m as usize] += 1;
            // error events count toward "seen" but not toward the group's own model
            model_served[c * nm + m as usize] += (e != Some(true)) as u64;
        }
        let v = versions.codes[i];
        if v != NO_CODE {
            version_rows[c * nv + v as usize] += 1;
        }
    }
    let seen = |rows: &[u64], names: &[String], g: usize, n: usize| -> Vec<String> {
        let set: BTreeSet<&str> = (0..n)
            .filter(|&m| rows[g * n + m] > 0)
            .map(|m| names[m].as_str())
            .collect();
        set.into_iter().map(str::to_string).collect()
    };
    let fallbacks = fallbacks_of(&models.names, &model_rows, &model_served, k, control);

    crate::ingest::timing("groups/models", t0);
    let t0 = std::time::Instant::now();
    // users and leakage: sort (user hash, group) keys instead of a hash map of strings
    let users = str_col(f, USER)?;
    // with the user as the unit the rollout analysis counts users (by stage)
    let (distinct_users, users_per_group, multi) = if count_users {
        user_counts(users, codes, k)
    } else {
        (0, vec![0; k], 0)
    };
    crate::ingest::timing("groups/users", t0);
    let summaries = (0..k)
        .map(|g| GroupSummary {
            name: groups.names[g].clone(),
            models: seen(&model_rows, &models.names, g, nm),
            versions: seen(&version_rows, &versions.names, g, nv),
            requests: requests[g],
            share: requests[g] as f64 / total,
            users: users_per_group[g],
            errors: errors[g],
            error_rate: errors[g] as f64 / requests[g] as f64,
            fallbacks: fallbacks[g],
            latency_ms: lat_summaries[g],
            metrics: metrics
                .iter()
                .map(|(name, ms)| {
                    let m: &Moments = &ms[g];
                    (
                        name.clone(),
                        MetricSummary {
                            n: m.n,
                            mean: (m.n > 0).then_some(m.mean),
                            sum: m.sum,
                        },
                    )
                })
                .collect(),
            mean_score: (score_m[g].n > 0).then_some(score_m[g].mean),
            auc: aucs[g],
        })
        .collect();
    Ok(GroupStats {
        summaries,
        latency,
        metrics,
        assignment: Assignment {
            users: distinct_users,
            users_in_multiple_groups: multi,
            users_moved_at_ramp: 0,
        },
    })
}

/// Distinct users, distinct users per group, and users seen in more than one group.
/// Users are identified by a 56-bit hash of their id (collisions are vanishingly rare at
/// millions of users), packed with the group code and sorted.
fn user_counts(
    users: &polars::prelude::StringChunked,
    codes: &[u32],
    k: usize,
) -> (u64, Vec<u64>, u64) {
    use std::hash::BuildHasher;
    let mut per_group = vec![0u64; k];
    if users.null_count() == users.len() || k > 255 {
        return (0, per_group, 0);
    }
    let state = polars::prelude::PlRandomState::default();
    let mut keys: Vec<u64> = Vec::with_capacity(users.len() - users.null_count());
    for (u, c) in users.iter().zip(codes) {
        if let (Some(u), true) = (u, *c != NO_CODE) {
            keys.push((state.hash_one(u) & !0xFF) | *c as u64);
        }
    }
    keys.sort_unstable();
    keys.dedup();
    let (mut distinct, mut multi) = (0u64, 0u64);
    let mut i = 0;
    while i < keys.len() {
        let user = keys[i] & !0xFF;
        let mut j = i;
        while j < keys.len() && keys[j] & !0xFF == user {
            per_group[(keys[j] & 0xFF) as usize] += 1;
            j += 1;
        }
        distinct += 1;
        if j - i > 1 {
            multi += 1;
        }
        i = j;
    }
    (distinct, per_group, multi)
}

/// Treatment rows served by a model other than the group's own, per group: the own model is
/// the one that served the most non-error rows (ties by name; never one named like a
/// fallback); every other model's rows (error events included) are fallbacks. `rows` and
/// `served` are per (group, model), index `group * models + model`. The same for every back
/// end.
pub fn fallbacks_of(
    models: &[String],
    rows: &[u64],
    served: &[u64],
    k: usize,
    control: usize,
) -> Vec<u64> {
    let nm = models.len();
    let own_model: Vec<Option<usize>> = (0..k)
        .map(|g| {
            (0..nm)
                .filter(|&m| {
                    served[g * nm + m] > 0 && !models[m].to_ascii_lowercase().contains("fallback")
                })
                .max_by(|&a, &b| {
                    served[g * nm + a]
                        .cmp(&served[g * nm + b])
                        .then(models[b].cmp(&models[a]))
                })
        })
        .collect();
    (0..k)
        .map(|g| match own_model[g] {
            Some(own) if g != control => (0..nm)
                .filter(|&m| m != own)
                .map(|m| rows[g * nm + m])
                .sum(),
            _ => 0,
        })
        .collect()
}
