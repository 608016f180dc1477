//! Shadow runs: two models scored on the same requests (the champion answers, the
//! challenger runs in its shadow). The log's two sides are paired by request id
//! (`layout`), then compared request by request: agreement and flips of the decision,
//! score and latency differences, errors of one side where the other answered (McNemar),
//! and with outcomes accuracy and AUC of both on the same requests (McNemar, DeLong).

mod dict;
pub mod layout;
mod results;
pub mod review;

use super::columns::NO_CODE;
use super::paired::{delong, mcnemar};
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

/// Whether the parsed files are a shadow run (see [`layout::detect`]).
pub fn is_shadow(raw: &RawLoad, overrides: &RoleOverrides) -> bool {
    let roles = crate::ingest::roles::infer(&raw.table, overrides);
    layout::detect(&raw.table, &roles).is_some()
}

/// Analyses a shadow log.
pub fn analyze_shadow(
    raw: &RawLoad,
    overrides: &RoleOverrides,
    labels: Option<&Labels>,
    cfg: &ShadowConfig,
) -> Result<ShadowReport, ShadowError> {
    let t0 = std::time::Instant::now();
    let roles = crate::ingest::roles::infer(&raw.table, overrides);
    let file = raw.files.join(", ");
    let mut p = layout::pair(
        &raw.table,
        &roles,
        &LayoutOptions {
            champion: cfg.champion.clone(),
        },
    )
    .map_err(|e| ShadowError::Layout {
        file: file.clone(),
        problem: e.to_string(),
    })?;
    crate::ingest::timing("shadow/pair", t0);
    if p.record_rows[1].is_empty() {
        return Err(ShadowError::Layout {
            file,
            problem: "no challenger records: expected two records per request id (a mode/shadow field or two model names) or shadow fields (shadow.score, shadow_score, ...)".into(),
        });
    }
    let n = p.pairs.len();
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
    let t0 = std::time::Instant::now();
    // each side's decision: the logged one, else the score against the threshold
    let (zero, one) = (p.decisions.code("0"), p.decisions.code("1"));
    let decision = |p: &Paired, s: usize, i: usize| -> u32 {
        match (p.pred(s, i), p.score(s, i)) {
            (c, _) if c != NO_CODE => c,
            (_, Some(x)) if x >= cfg.threshold => one,
            (_, Some(_)) => zero,
            _ => NO_CODE,
        }
    };
    let decisions: Vec<(u32, u32)> = (0..n)
        .map(|i| (decision(&p, 0, i), decision(&p, 1, i)))
        .collect();
    // agreement and the flip matrix
    let k = p.decisions.texts.len();
    let mut cells = vec![0u64; k * k];
    let (mut decided, mut agree) = (0u64, 0u64);
    for &(a, b) in &decisions {
        if a != NO_CODE && b != NO_CODE {
            decided += 1;
            agree += (a == b) as u64;
            cells[a as usize * k + b as usize] += 1;
        }
    }
    let mut flip_matrix: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for a in 0..k {
        for b in 0..k {
            if cells[a * k + b] > 0 {
                flip_matrix
                    .entry(p.decisions.texts[a].clone())
                    .or_default()
                    .insert(p.decisions.texts[b].clone(), cells[a * k + b]);
            }
        }
    }
    let agreement_rate = (decided > 0).then(|| agree as f64 / decided as f64);
    // errors of one side where the other answered
    let (mut b, mut c) = (0u64, 0u64);
    for i in 0..n {
        let (ea, eb) = (p.error(0, i), p.error(1, i));
        b += (ea && !eb) as u64;
        c += (eb && !ea) as u64;
    }
    let report = ShadowReport {
        verdict_version: env!("CARGO_PKG_VERSION").to_string(),
        files: raw.files.clone(),
        layout: p.layout,
        requests: n as u64 + p.champion_only + p.challenger_only,
        pairs: n as u64,
        unpaired: Unpaired {
            champion_only: p.champion_only,
            challenger_only: p.challenger_only,
        },
        models: results::models(&p),
        threshold: cfg.threshold,
        alpha: cfg.alpha,
        decided_pairs: decided,
        agreement_rate,
        flip_rate: agreement_rate.map(|a| 1.0 - a),
        flip_matrix,
        score_diff: results::score_diff(&p),
        latency_diff_ms: results::latency_diff(&p, cfg.alpha),
        error_mcnemar: mcnemar(b, c),
        labelled: match labels {
            Some(l) => labelled(&p, &decisions, l, cfg.alpha),
            // outcomes logged with the requests themselves
            None if roles.get(Role::Label).is_some() => Labels::from_raw(raw, overrides)
                .ok()
                .and_then(|l| labelled(&p, &decisions, &l, cfg.alpha)),
            None => None,
        },
        by_segment: results::by_segment(&raw.table, &roles, &p, &decisions),
        over_time: results::over_time(&p, &decisions, cfg.bucket_seconds),
        review_sample: review::sample(&raw.table, &p, &decisions, cfg),
        scatter_sample: (0..n)
            .step_by((n / 5000).max(1))
            .filter_map(|i| Some((p.score(0, i)?, p.score(1, i)?)))
            .collect(),
    };
    crate::ingest::timing("shadow/stats", t0);
    Ok(report)
}

/// Each pair's (champion, challenger) decision code (`NO_CODE`: no decision).
pub(crate) type Decisions = [(u32, u32)];

fn labelled(p: &Paired, decisions: &Decisions, labels: &Labels, alpha: f64) -> Option<Labelled> {
    let (mut ya, mut yb, mut sa, mut sb, mut ys) = (0u64, 0u64, vec![], vec![], vec![]);
    let (mut b, mut c, mut n) = (0u64, 0u64, 0u64);
    let mut scored = true;
    // the class of each decision code, once
    let class: Vec<Option<f64>> = p.decisions.texts.iter().map(|t| class_of(t)).collect();
    for (i, &(da, db)) in decisions.iter().enumerate() {
        if da == NO_CODE || db == NO_CODE {
            continue;
        }
        let Some(y) = labels.get(p.id(i)) else {
            continue;
        };
        n += 1;
        let ok_a = class[da as usize] == Some(y);
        let ok_b = class[db as usize] == Some(y);
        ya += ok_a as u64;
        yb += ok_b as u64;
        b += (!ok_a && ok_b) as u64;
        c += (ok_a && !ok_b) as u64;
        match (p.score(0, i), p.score(1, i)) {
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
