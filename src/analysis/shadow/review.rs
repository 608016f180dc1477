//! The requests to review by hand: the largest score differences, and a seeded random
//! sample of the other disagreements (the same seed gives the same sample), with the
//! request's logged inputs.

use super::layout::Paired;
use super::ShadowConfig;
use crate::analysis::columns::NO_CODE;
use crate::ingest::table::RawTable;
use crate::report::shadow::{ReviewItem, ReviewKind};
use std::collections::BTreeMap;

/// Prefixes of logged model inputs.
const INPUT_PREFIXES: [&str; 4] = ["inputs.", "input.", "features.", "request."];

/// SplitMix64: small, seeded, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The review sample.
pub fn sample(
    table: &RawTable,
    p: &Paired,
    decisions: &super::Decisions,
    cfg: &ShadowConfig,
) -> Vec<ReviewItem> {
    let n = p.pairs.len();
    let diff = |i: usize| Some((p.score(1, i)? - p.score(0, i)?).abs());
    // the largest |Δscore| first, ties by request id: a partial selection, not a full sort
    let mut by_diff: Vec<(f64, usize)> = (0..n).filter_map(|i| Some((diff(i)?, i))).collect();
    let order = |a: &(f64, usize), b: &(f64, usize)| {
        b.0.total_cmp(&a.0).then_with(|| p.id(a.1).cmp(p.id(b.1)))
    };
    let k_top = cfg.review_size.min(by_diff.len());
    if k_top > 0 && k_top < by_diff.len() {
        by_diff.select_nth_unstable_by(k_top - 1, order);
        by_diff.truncate(k_top);
    }
    by_diff.sort_by(order);
    let top: Vec<usize> = by_diff.iter().take(k_top).map(|x| x.1).collect();
    // a seeded random sample of the other disagreements (partial Fisher–Yates over them in
    // request-id order, so the sample does not depend on the log's row order)
    let mut rest: Vec<usize> = (0..n)
        .filter(|i| {
            let (a, b) = decisions[*i];
            a != NO_CODE && b != NO_CODE && a != b && !top.contains(i)
        })
        .collect();
    rest.sort_by(|a, b| p.id(*a).cmp(p.id(*b)));
    let mut rng = Rng(cfg.seed);
    let k = cfg.review_size.min(rest.len());
    for i in 0..k {
        let j = i + (rng.next() % (rest.len() - i) as u64) as usize;
        rest.swap(i, j);
    }
    let inputs: Vec<(String, polars::prelude::StringChunked)> = table
        .columns
        .iter()
        .filter_map(|c| {
            let name = INPUT_PREFIXES
                .iter()
                .find_map(|pre| c.name.strip_prefix(pre))?;
            Some((name.to_string(), c.to_text(&c.name).rechunk().into_owned()))
        })
        .collect();
    let text = |c: u32| p.decisions.text(c).map(str::to_string);
    let item = |i: usize, kind: ReviewKind| ReviewItem {
        request_id: p.id(i).to_string(),
        kind,
        champion_score: p.score(0, i),
        challenger_score: p.score(1, i),
        abs_diff: diff(i),
        champion_pred: text(decisions[i].0),
        challenger_pred: text(decisions[i].1),
        inputs: inputs
            .iter()
            .filter_map(|(name, v)| Some((name.clone(), v.get(p.row(0, i))?.to_string())))
            .collect::<BTreeMap<_, _>>(),
    };
    top.iter()
        .map(|&i| item(i, ReviewKind::MostDisagreeing))
        .chain(rest[..k].iter().map(|&i| item(i, ReviewKind::Random)))
        .collect()
}

/// The review sample as CSV: id, kind, scores, decisions, then one column per input.
pub fn review_csv(items: &[ReviewItem]) -> String {
    let mut inputs: Vec<&String> = items.iter().flat_map(|i| i.inputs.keys()).collect();
    inputs.sort();
    inputs.dedup();
    let esc = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let num = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let mut out = String::from(
        "request_id,kind,champion_score,challenger_score,abs_diff,champion_pred,challenger_pred",
    );
    for k in &inputs {
        out.push(',');
        out.push_str(&esc(k));
    }
    out.push('\n');
    for it in items {
        let kind = match it.kind {
            ReviewKind::MostDisagreeing => "most_disagreeing",
            ReviewKind::Random => "random",
        };
        let mut cells = vec![
            esc(&it.request_id),
            kind.to_string(),
            num(it.champion_score),
            num(it.challenger_score),
            num(it.abs_diff),
            esc(it.champion_pred.as_deref().unwrap_or("")),
            esc(it.challenger_pred.as_deref().unwrap_or("")),
        ];
        for k in &inputs {
            cells.push(esc(it.inputs.get(*k).map(String::as_str).unwrap_or("")));
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}
