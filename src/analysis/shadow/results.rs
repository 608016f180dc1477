//! The paired results of a shadow run: each model's summary, score and latency
//! differences, agreement by segment and over time.

use super::layout::{Dict, Paired};
use super::Decisions;
use crate::analysis::columns::NO_CODE;
use crate::analysis::paired::paired_t;
use crate::analysis::quantile_tests::quantiles_by_selection;
use crate::ingest::table::RawTable;
use crate::ingest::time::format_timestamp_us;
use crate::report::shadow::*;
use std::collections::BTreeMap;

/// The most frequent code's text.
fn mode_of(codes: impl Iterator<Item = u32>, dict: &Dict) -> Option<String> {
    let mut counts = vec![0u64; dict.texts.len()];
    for c in codes.filter(|c| *c != NO_CODE) {
        counts[c as usize] += 1;
    }
    let (best, n) = counts
        .iter()
        .enumerate()
        .max_by_key(|x| (*x.1, std::cmp::Reverse(x.0)))?;
    (*n > 0).then(|| dict.texts[best].clone())
}

fn percentiles(mut v: Vec<f64>) -> Option<Percentiles> {
    if v.is_empty() {
        return None;
    }
    let q = quantiles_by_selection(&mut v, &[0.5, 0.95, 0.99]);
    Some(Percentiles {
        p50: q[0],
        p95: q[1],
        p99: q[2],
    })
}

pub(super) fn models(p: &Paired) -> Vec<ShadowModel> {
    ["champion", "challenger"]
        .iter()
        .enumerate()
        .map(|(k, role)| {
            let (cols, rows) = (p.side(k), &p.record_rows[k]);
            let at = |r: &u32| *r as usize;
            ShadowModel {
                role: role.to_string(),
                name: mode_of(rows.iter().map(|r| cols.model[at(r)]), &p.names),
                version: mode_of(rows.iter().map(|r| cols.version[at(r)]), &p.names),
                requests: rows.len() as u64,
                errors: rows.iter().filter(|r| cols.error[at(r)]).count() as u64,
                latency_ms: percentiles(
                    rows.iter()
                        .map(|r| cols.latency[at(r)])
                        .filter(|x| !x.is_nan())
                        .collect(),
                ),
            }
        })
        .collect()
}

pub(super) fn score_diff(p: &Paired) -> Option<ScoreDiff> {
    let both: Vec<(f64, f64)> = (0..p.pairs.len())
        .filter_map(|i| Some((p.score(0, i)?, p.score(1, i)?)))
        .collect();
    if both.is_empty() {
        return None;
    }
    let n = both.len() as f64;
    let mut abs: Vec<f64> = both.iter().map(|(a, b)| (b - a).abs()).collect();
    let mean_abs = abs.iter().sum::<f64>() / n;
    let max_abs = abs.iter().copied().fold(0.0f64, f64::max);
    // Pearson, centred
    let (ma, mb) = (
        both.iter().map(|x| x.0).sum::<f64>() / n,
        both.iter().map(|x| x.1).sum::<f64>() / n,
    );
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (a, b) in &both {
        sab += (a - ma) * (b - mb);
        saa += (a - ma) * (a - ma);
        sbb += (b - mb) * (b - mb);
    }
    let correlation = (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt());
    let bins = 20usize;
    let width = if max_abs > 0.0 {
        max_abs / bins as f64
    } else {
        1.0
    };
    let mut counts = vec![0u64; bins];
    for x in &abs {
        counts[((x / width) as usize).min(bins - 1)] += 1;
    }
    let q = quantiles_by_selection(&mut abs, &[0.5, 0.95, 0.99]);
    Some(ScoreDiff {
        n: both.len() as u64,
        mean_abs,
        p50_abs: q[0],
        p95_abs: q[1],
        p99_abs: q[2],
        max_abs,
        correlation,
        histogram: counts
            .iter()
            .enumerate()
            .map(|(i, &count)| HistogramBin {
                low: i as f64 * width,
                high: (i + 1) as f64 * width,
                count,
            })
            .collect(),
    })
}

pub(super) fn latency_diff(p: &Paired, alpha: f64) -> Option<LatencyDiff> {
    let d: Vec<f64> = (0..p.pairs.len())
        .filter_map(|i| Some(p.latency(1, i)? - p.latency(0, i)?))
        .collect();
    if d.is_empty() {
        return None;
    }
    let t = paired_t(&d, alpha);
    let mut s = d;
    let q = quantiles_by_selection(&mut s, &[0.5, 0.95, 0.99]);
    Some(LatencyDiff {
        n: t.n,
        mean: t.mean,
        p50: q[0],
        p95: q[1],
        p99: q[2],
        ci_low: t.ci_low,
        ci_high: t.ci_high,
        t: t.t,
        df: t.df,
        p_value: t.p_value,
    })
}

/// Columns that decide the roles, never segments.
const NOT_SEGMENTS: [&str; 8] = [
    "mode", "shadow", "role", "model", "version", "event", "level", "slot",
];

pub(super) fn by_segment(
    table: &RawTable,
    roles: &crate::ingest::Roles,
    p: &Paired,
    decisions: &Decisions,
) -> Vec<SegmentAgreement> {
    let mut out = Vec::new();
    for name in roles.segments.iter().filter(|s| {
        !NOT_SEGMENTS.contains(&s.as_str()) && !s.starts_with("shadow") && !s.starts_with("inputs.")
    }) {
        let Some(c) = table.columns.iter().find(|c| &c.name == name) else {
            continue;
        };
        let mut dict = Dict::default();
        let values = dict.encode(Some(c), table.rows);
        let mut cells = vec![(0u64, 0u64); dict.texts.len()];
        for (i, &(a, b)) in decisions.iter().enumerate() {
            let v = values[p.row(0, i)];
            if a == NO_CODE || b == NO_CODE || v == NO_CODE {
                continue;
            }
            cells[v as usize].0 += 1;
            cells[v as usize].1 += (a == b) as u64;
        }
        let mut order: Vec<usize> = (0..cells.len()).filter(|&v| cells[v].0 > 0).collect();
        order.sort_by(|a, b| dict.texts[*a].cmp(&dict.texts[*b]));
        for v in order {
            let (pairs, agree) = cells[v];
            out.push(SegmentAgreement {
                column: name.clone(),
                value: dict.texts[v].clone(),
                pairs,
                agreement_rate: agree as f64 / pairs as f64,
            });
        }
    }
    out
}

pub(super) fn over_time(p: &Paired, decisions: &Decisions, bucket: Option<u64>) -> OverTime {
    let times: Vec<i64> = (0..p.pairs.len())
        .filter_map(|i| p.ts[p.row(0, i)])
        .collect();
    let span = match (times.iter().min(), times.iter().max()) {
        (Some(a), Some(b)) => b - a,
        _ => 0,
    };
    // agreement needs enough pairs per bucket: at most about 48 buckets by default
    let bucket_s = bucket.unwrap_or_else(|| {
        [60u64, 300, 900, 3600, 6 * 3600, 86_400, 7 * 86_400]
            .into_iter()
            .find(|b| span / (*b as i64 * 1_000_000) < 48)
            .unwrap_or(30 * 86_400)
    });
    let b_us = bucket_s as i64 * 1_000_000;
    let mut cells: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for (i, &(a, b)) in decisions.iter().enumerate() {
        let Some(t) = p.ts[p.row(0, i)] else { continue };
        if a == NO_CODE || b == NO_CODE {
            continue;
        }
        let e = cells.entry(t.div_euclid(b_us) * b_us).or_default();
        e.0 += 1;
        e.1 += (a == b) as u64;
    }
    OverTime {
        bucket: crate::plan::duration::format_bucket(bucket_s),
        rows: cells
            .into_iter()
            .map(|(start, (pairs, agree))| TimeAgreement {
                start: format_timestamp_us(start),
                pairs,
                agreement_rate: agree as f64 / pairs as f64,
            })
            .collect(),
    }
}
