//! Per-group summaries: requests, users, errors, latency percentiles, metrics, score,
//! AUC, models and fallbacks.

use super::columns::{bool_col, f64_col, moments_by, str_col, values_by, Codes, NO_CODE};
use super::stats::{auc, percentiles, Moments};
use crate::ingest::normalize::{metric_col, IS_ERROR, LABEL, LATENCY_MS, MODEL, SCORE, USER, VERSION};
use crate::ingest::Dataset;
use crate::report::{Assignment, GroupSummary, LatencySummary, MetricSummary};
use polars::prelude::PlHashMap as HashMap;
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

fn distinct_sorted(values: &HashMap<&str, u64>) -> Vec<String> {
    let set: BTreeSet<&str> = values.keys().copied().collect();
    set.into_iter().map(str::to_string).collect()
}

/// Computes the per-group summaries; `control` is the control's code.
pub fn summarize(ds: &Dataset, groups: &Codes, control: usize) -> Result<GroupStats, String> {
    let f = &ds.frame;
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
            Some(LatencySummary { mean: m.mean, p50: p[0], p95: p[1], p99: p[2] })
        })
        .collect();
    drop(lat_values);

    // metrics
    let mut metrics = BTreeMap::new();
    for m in &ds.metrics {
        let col = f64_col(f, &metric_col(&m.name))?;
        metrics.insert(m.name.clone(), moments_by(codes, k, col));
    }

    // score and AUC
    let score = f64_col(f, SCORE)?;
    let score_m = moments_by(codes, k, score);
    let label = f64_col(f, LABEL)?;
    let mut pairs: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); k];
    if label.null_count() < label.len() && score.null_count() < score.len() {
        for ((c, s), l) in codes.iter().zip(score.iter()).zip(label.iter()) {
            if let (Some(s), Some(l)) = (s, l) {
                pairs[*c as usize].0.push(s);
                pairs[*c as usize].1.push(l);
            }
        }
    }

    // models and fallbacks
    let model = str_col(f, MODEL)?;
    let version = str_col(f, VERSION)?;
    let is_error = bool_col(f, IS_ERROR)?;
    let mut model_counts: Vec<HashMap<&str, u64>> = (0..k).map(|_| HashMap::default()).collect();
    let mut version_counts: Vec<HashMap<&str, u64>> = (0..k).map(|_| HashMap::default()).collect();
    for (((c, m), v), e) in codes.iter().zip(model.iter()).zip(version.iter()).zip(is_error.iter()) {
        if let Some(m) = m {
            // error events count toward "seen" but not toward the group's own model
            let w = if e == Some(true) { 0 } else { 1 };
            *model_counts[*c as usize].entry(m).or_default() += w;
        }
        if let Some(v) = v {
            *version_counts[*c as usize].entry(v).or_default() += 1;
        }
    }
    let own_model: Vec<Option<&str>> = model_counts
        .iter()
        .map(|m| {
            m.iter()
                .filter(|(name, _)| !name.to_ascii_lowercase().contains("fallback"))
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(name, _)| *name)
        })
        .collect();
    let mut fallbacks = vec![0u64; k];
    for (c, m) in codes.iter().zip(model.iter()) {
        let c = *c as usize;
        if c == control {
            continue;
        }
        if let (Some(m), Some(own)) = (m, own_model[c]) {
            if m != own {
                fallbacks[c] += 1;
            }
        }
    }

    // users and leakage
    let users = str_col(f, USER)?;
    let mut user_groups: HashMap<&str, u64> = HashMap::with_capacity_and_hasher(users.len() / 4, Default::default());
    if users.null_count() < users.len() {
        for (c, u) in codes.iter().zip(users.iter()) {
            if let Some(u) = u {
                if *c != NO_CODE && (*c as usize) < 64 {
                    *user_groups.entry(u).or_default() |= 1u64 << c;
                }
            }
        }
    }
    let mut users_per_group = vec![0u64; k];
    let mut multi = 0u64;
    for bits in user_groups.values() {
        if bits.count_ones() > 1 {
            multi += 1;
        }
        for (g, slot) in users_per_group.iter_mut().enumerate() {
            if bits & (1u64 << g) != 0 {
                *slot += 1;
            }
        }
    }

    let summaries = (0..k)
        .map(|g| GroupSummary {
            name: groups.names[g].clone(),
            models: distinct_sorted(&model_counts[g]),
            versions: distinct_sorted(&version_counts[g]),
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
                        MetricSummary { n: m.n, mean: (m.n > 0).then_some(m.mean), sum: m.sum },
                    )
                })
                .collect(),
            mean_score: (score_m[g].n > 0).then_some(score_m[g].mean),
            auc: auc(&pairs[g].0, &pairs[g].1),
        })
        .collect();
    Ok(GroupStats {
        summaries,
        latency,
        metrics,
        assignment: Assignment { users: user_groups.len() as u64, users_in_multiple_groups: multi },
    })
}
