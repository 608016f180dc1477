//! Shadow runs: two models scored on the same requests (the champion answers, the
//! challenger runs in its shadow). The log's two sides are paired by request id
//! (`layout`), then compared request by request: agreement and flips of the decision,
//! score and latency differences, errors of one side where the other answered (McNemar),
//! and with outcomes accuracy and AUC of both on the same requests (McNemar, DeLong).

pub mod layout;
pub mod review;

use super::paired::{delong, mcnemar, paired_t};
use super::quantile_stat::sorted_quantile;
use crate::ingest::table::RawTable;
use crate::ingest::time::format_timestamp_us;
use crate::ingest::{RawLoad, Role, RoleOverrides};
use crate::report::shadow::*;
pub use layout::{Layout, LayoutOptions, Paired};
use std::collections::BTreeMap;
use std::hash::BuildHasher;

/// What a shadow analysis may be told.
#[derive(Debug, Clone, PartialEq)]
pub struct ShadowConfig {
    /// Score at or above which the decision is positive, when no decision is logged.
    pub threshold: f64,
    /// Significance level.
    pub alpha: f64,
    /// Seed of the random part of the review sample.
    pub seed: u64,
    /// Time bucket of the agreement over time (seconds; None: from the time span).
    pub bucket_seconds: Option<u64>,
    /// The champion's model name in a two-record log.
    pub champion: Option<String>,
    /// Requests of each kind in the review sample.
    pub review_size: usize,
}

impl Default for ShadowConfig {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            alpha: 0.05,
            seed: 1,
            bucket_seconds: None,
            champion: None,
            review_size: 10,
        }
    }
}

/// A shadow log that cannot be analysed.
#[derive(Debug, thiserror::Error)]
pub enum ShadowError {
    /// No request id, or no two sides.
    #[error("{file}: {problem}")]
    Layout {
        /// The files.
        file: String,
        /// What is missing.
        problem: String,
    },
    /// The labels file has no request id or label column.
    #[error("{file}: {problem}")]
    Labels {
        /// The labels file.
        file: String,
        /// What is missing.
        problem: String,
    },
}

/// Labels by request id, sorted by the id's hash (for a merge join).
pub struct Labels {
    keyed: Vec<(u64, f64)>,
}

fn id_hash(s: &str) -> u64 {
    polars::prelude::PlFixedStateQuality::with_seed(0x1abe1).hash_one(s)
}

impl Labels {
    /// Reads the request id and label columns (found by role, or named by `overrides`).
    pub fn from_raw(raw: &RawLoad, overrides: &RoleOverrides) -> Result<Self, ShadowError> {
        let roles = crate::ingest::roles::infer(&raw.table, overrides);
        let file = raw.files.join(", ");
        let col = |r: Role| {
            roles
                .get(r)
                .and_then(|n| raw.table.columns.iter().find(|c| c.name == n))
        };
        let id = col(Role::RequestId).ok_or_else(|| ShadowError::Labels {
            file: file.clone(),
            problem: "no request id column (name it with --column request_id=NAME)".into(),
        })?;
        let label = col(Role::Label).ok_or_else(|| ShadowError::Labels {
            file: file.clone(),
            problem: "no label column (name it with --column label=NAME)".into(),
        })?;
        let ids = layout::texts(id);
        let values: Vec<Option<f64>> = layout::texts(label)
            .into_iter()
            .map(|t| t.and_then(|t| crate::ingest::normalize::parse_label(&t)))
            .collect();
        let mut keyed: Vec<(u64, f64)> = ids
            .iter()
            .zip(values)
            .filter_map(|(i, v)| Some((id_hash(i.as_deref()?), v?)))
            .collect();
        keyed.sort_by_key(|x| x.0);
        keyed.dedup_by_key(|x| x.0);
        Ok(Self { keyed })
    }

    fn get(&self, id: &str) -> Option<f64> {
        let h = id_hash(id);
        self.keyed
            .binary_search_by(|x| x.0.cmp(&h))
            .ok()
            .map(|i| self.keyed[i].1)
    }
}

/// A decision's class for accuracy: a number (≥ 0.5 is positive) or a positive/negative
/// word; None for anything else.
fn class_of(decision: &str) -> Option<f64> {
    if let Some(v) = crate::ingest::table::parse_number(decision) {
        return Some(if v >= 0.5 { 1.0 } else { 0.0 });
    }
    match decision.trim().to_ascii_lowercase().as_str() {
        "positive" | "pos" | "yes" | "y" | "true" | "approve" | "approved" | "fraud" => Some(1.0),
        "negative" | "neg" | "no" | "n" | "false" | "reject" | "rejected" | "legit" => Some(0.0),
        _ => None,
    }
}

/// Analyses a shadow log.
pub fn analyze_shadow(
    raw: &RawLoad,
    overrides: &RoleOverrides,
    labels: Option<&Labels>,
    cfg: &ShadowConfig,
) -> Result<ShadowReport, ShadowError> {
    let roles = crate::ingest::roles::infer(&raw.table, overrides);
    let file = raw.files.join(", ");
    let p = layout::pair(
        &raw.table,
        &roles,
        &LayoutOptions {
            champion: cfg.champion.clone(),
        },
    )
    .map_err(|problem| ShadowError::Layout {
        file: file.clone(),
        problem,
    })?;
    if p.record_rows[1].is_empty() {
        return Err(ShadowError::Layout {
            file,
            problem: "no challenger records: expected two records per request id (a mode/shadow field or two model names) or shadow fields (shadow.score, shadow_score, ...)".into(),
        });
    }
    let n = p.request_id.len();
    if n == 0 {
        return Err(ShadowError::Layout {
            file,
            problem: format!(
                "no request id has both models' outputs ({} champion and {} challenger records, none with the same request id): an A/B log is analysed with `verdict analyze`",
                p.record_rows[0].len(),
                p.record_rows[1].len()
            ),
        });
    }
    let decision = |s: &layout::Side, i: usize| -> Option<String> {
        s.pred[i]
            .clone()
            .or_else(|| s.score[i].map(|x| if x >= cfg.threshold { "1" } else { "0" }.to_string()))
    };
    let decisions: Vec<(Option<String>, Option<String>)> = (0..n)
        .map(|i| (decision(&p.champion, i), decision(&p.challenger, i)))
        .collect();
    // agreement and the flip matrix
    let mut flip_matrix: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let (mut decided, mut agree) = (0u64, 0u64);
    for (a, b) in &decisions {
        if let (Some(a), Some(b)) = (a, b) {
            decided += 1;
            agree += (a == b) as u64;
            *flip_matrix
                .entry(a.clone())
                .or_default()
                .entry(b.clone())
                .or_default() += 1;
        }
    }
    let rate = |a: u64, d: u64| (d > 0).then(|| a as f64 / d as f64);
    let agreement_rate = rate(agree, decided);
    // errors of one side where the other answered
    let (mut b, mut c) = (0u64, 0u64);
    for i in 0..n {
        let (ea, eb) = (p.champion.error[i], p.challenger.error[i]);
        b += (ea && !eb) as u64;
        c += (eb && !ea) as u64;
    }
    let labelled = labels.and_then(|l| labelled(&p, &decisions, l, cfg.alpha));
    let requests = n as u64 + p.champion_only + p.challenger_only;
    Ok(ShadowReport {
        verdict_version: env!("CARGO_PKG_VERSION").to_string(),
        files: raw.files.clone(),
        layout: p.layout,
        requests,
        pairs: n as u64,
        unpaired: Unpaired {
            champion_only: p.champion_only,
            challenger_only: p.challenger_only,
        },
        models: models(&p),
        threshold: cfg.threshold,
        alpha: cfg.alpha,
        decided_pairs: decided,
        agreement_rate,
        flip_rate: agreement_rate.map(|a| 1.0 - a),
        flip_matrix,
        score_diff: score_diff(&p),
        latency_diff_ms: latency_diff(&p, cfg.alpha),
        error_mcnemar: mcnemar(b, c),
        labelled,
        by_segment: by_segment(&raw.table, &roles, &p, &decisions),
        over_time: over_time(&p, &decisions, cfg.bucket_seconds),
        review_sample: review::sample(&raw.table, &p, &decisions, cfg),
    })
}

/// The most frequent value.
fn mode_of<'a>(values: impl Iterator<Item = &'a Option<String>>) -> Option<String> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for v in values.flatten() {
        *counts.entry(v.as_str()).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|x| x.1)
        .map(|x| x.0.to_string())
}

fn percentiles(mut v: Vec<f64>) -> Option<Percentiles> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable_by(f64::total_cmp);
    Some(Percentiles {
        p50: sorted_quantile(&v, 0.5),
        p95: sorted_quantile(&v, 0.95),
        p99: sorted_quantile(&v, 0.99),
    })
}

fn models(p: &Paired) -> Vec<ShadowModel> {
    ["champion", "challenger"]
        .iter()
        .enumerate()
        .map(|(k, role)| {
            let (cols, rows) = (&p.records[k], &p.record_rows[k]);
            ShadowModel {
                role: role.to_string(),
                name: mode_of(rows.iter().map(|&r| &cols.model[r])),
                version: mode_of(rows.iter().map(|&r| &cols.version[r])),
                requests: rows.len() as u64,
                errors: rows.iter().filter(|&&r| cols.error[r]).count() as u64,
                latency_ms: percentiles(rows.iter().filter_map(|&r| cols.latency[r]).collect()),
            }
        })
        .collect()
}

fn score_diff(p: &Paired) -> Option<ScoreDiff> {
    let both: Vec<(f64, f64)> = p
        .champion
        .score
        .iter()
        .zip(&p.challenger.score)
        .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
        .collect();
    if both.is_empty() {
        return None;
    }
    let n = both.len() as f64;
    let mut abs: Vec<f64> = both.iter().map(|(a, b)| (b - a).abs()).collect();
    let mean_abs = abs.iter().sum::<f64>() / n;
    abs.sort_unstable_by(f64::total_cmp);
    let max_abs = *abs.last().unwrap_or(&0.0);
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
    Some(ScoreDiff {
        n: both.len() as u64,
        mean_abs,
        p50_abs: sorted_quantile(&abs, 0.5),
        p95_abs: sorted_quantile(&abs, 0.95),
        p99_abs: sorted_quantile(&abs, 0.99),
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

fn latency_diff(p: &Paired, alpha: f64) -> Option<LatencyDiff> {
    let d: Vec<f64> = p
        .champion
        .latency
        .iter()
        .zip(&p.challenger.latency)
        .filter_map(|(a, b)| Some((*b)? - (*a)?))
        .collect();
    if d.is_empty() {
        return None;
    }
    let t = paired_t(&d, alpha);
    let mut s = d;
    s.sort_unstable_by(f64::total_cmp);
    Some(LatencyDiff {
        n: t.n,
        mean: t.mean,
        p50: sorted_quantile(&s, 0.5),
        p95: sorted_quantile(&s, 0.95),
        p99: sorted_quantile(&s, 0.99),
        ci_low: t.ci_low,
        ci_high: t.ci_high,
        t: t.t,
        df: t.df,
        p_value: t.p_value,
    })
}

pub(crate) type Decisions = [(Option<String>, Option<String>)];

fn labelled(p: &Paired, decisions: &Decisions, labels: &Labels, alpha: f64) -> Option<Labelled> {
    let (mut ya, mut yb, mut sa, mut sb, mut ys) = (0u64, 0u64, vec![], vec![], vec![]);
    let (mut b, mut c, mut n) = (0u64, 0u64, 0u64);
    let mut scored = true;
    for (i, (da, db)) in decisions.iter().enumerate() {
        let (Some(da), Some(db)) = (da, db) else {
            continue;
        };
        let Some(y) = labels.get(&p.request_id[i]) else {
            continue;
        };
        n += 1;
        let ok_a = class_of(da) == Some(y);
        let ok_b = class_of(db) == Some(y);
        ya += ok_a as u64;
        yb += ok_b as u64;
        b += (!ok_a && ok_b) as u64;
        c += (ok_a && !ok_b) as u64;
        match (p.champion.score[i], p.challenger.score[i]) {
            (Some(x), Some(z)) => {
                sa.push(x);
                sb.push(z);
                ys.push(y);
            }
            _ => scored = false,
        }
    }
    if n == 0 {
        return None;
    }
    let binary = ys.iter().all(|y| *y == 0.0 || *y == 1.0);
    let auc = |s: &[f64]| {
        (scored && binary)
            .then(|| super::stats::auc(s, &ys))
            .flatten()
    };
    let pos: Vec<bool> = ys.iter().map(|y| *y == 1.0).collect();
    Some(Labelled {
        n,
        champion: ModelQuality {
            accuracy: ya as f64 / n as f64,
            auc: auc(&sa),
        },
        challenger: ModelQuality {
            accuracy: yb as f64 / n as f64,
            auc: auc(&sb),
        },
        mcnemar: mcnemar(b, c),
        delong: (scored && binary)
            .then(|| delong(&sa, &sb, &pos, alpha))
            .flatten(),
    })
}

/// Columns that decide the roles, never segments.
const NOT_SEGMENTS: [&str; 8] = [
    "mode", "shadow", "role", "model", "version", "event", "level", "slot",
];

fn by_segment(
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
        let values = layout::texts(c);
        let mut cells: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (i, (a, b)) in decisions.iter().enumerate() {
            let (Some(a), Some(b), Some(v)) = (a, b, &values[p.row[i]]) else {
                continue;
            };
            let e = cells.entry(v.clone()).or_default();
            e.0 += 1;
            e.1 += (a == b) as u64;
        }
        for (value, (pairs, agree)) in cells {
            out.push(SegmentAgreement {
                column: name.clone(),
                value,
                pairs,
                agreement_rate: agree as f64 / pairs as f64,
            });
        }
    }
    out
}

fn over_time(p: &Paired, decisions: &Decisions, bucket: Option<u64>) -> OverTime {
    let times: Vec<i64> = p.ts_us.iter().flatten().copied().collect();
    let span = match (times.iter().min(), times.iter().max()) {
        (Some(a), Some(b)) => b - a,
        _ => 0,
    };
    let bucket_s = bucket.unwrap_or_else(|| super::timeline::auto_bucket(span));
    let b_us = bucket_s as i64 * 1_000_000;
    let mut cells: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for (i, (a, b)) in decisions.iter().enumerate() {
        let (Some(a), Some(b), Some(t)) = (a, b, p.ts_us[i]) else {
            continue;
        };
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
