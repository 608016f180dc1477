//! How the two models' predictions differ: diff rate, flips (the k × k top-1 matrix for
//! multi-class), |Δ| quantiles and histogram, the most disagreeing rows and agreement per
//! segment value. For multi-class models |Δ| of a row is the largest change of any class's
//! probability.

use crate::analysis::stats::percentile_sorted;
use crate::models::holdout::Holdout;
use crate::models::metrics::top1;
use crate::models::replay::{Model, Task};
use crate::report::compare::*;
use std::collections::BTreeMap;

/// Per-row view of a multi-class pair: each model's top-1 class and its probability, and
/// the largest class-probability change.
struct TopClasses {
    top_a: Vec<usize>,
    top_b: Vec<usize>,
    p_a: Vec<f64>,
    p_b: Vec<f64>,
    deltas: Vec<f64>,
}

fn top_classes(a: &[f64], b: &[f64], k: usize) -> TopClasses {
    let n = a.len() / k.max(1);
    let mut t = TopClasses {
        top_a: Vec::with_capacity(n),
        top_b: Vec::with_capacity(n),
        p_a: Vec::with_capacity(n),
        p_b: Vec::with_capacity(n),
        deltas: Vec::with_capacity(n),
    };
    for (ra, rb) in a.chunks_exact(k).zip(b.chunks_exact(k)) {
        let (ia, ib) = (top1(ra), top1(rb));
        t.top_a.push(ia);
        t.top_b.push(ib);
        t.p_a.push(ra[ia]);
        t.p_b.push(rb[ib]);
        t.deltas.push(
            ra.iter()
                .zip(rb)
                .map(|(x, y)| (y - x).abs())
                .fold(0.0, f64::max),
        );
    }
    t
}

#[allow(clippy::too_many_arguments)]
pub(super) fn diff(
    a: &[f64],
    b: &[f64],
    thresholds: (f64, f64),
    task: Task,
    classes: &[String],
    labels: Option<&[f64]>,
    holdout: &Holdout,
    ma: &Model,
    mb: &Model,
    label: Option<&str>,
) -> Diff {
    let regression = task == Task::Regression;
    let k = classes.len().max(1);
    let tops = (task == Task::Multiclass).then(|| top_classes(a, b, k));
    let (a, b): (&[f64], &[f64]) = match &tops {
        Some(t) => (&t.p_a, &t.p_b),
        None => (a, b),
    };
    let n = a.len();
    let deltas: Vec<f64> = match &tops {
        Some(t) => t.deltas.clone(),
        None => a.iter().zip(b).map(|(x, y)| (y - x).abs()).collect(),
    };
    let same = |r: usize| match &tops {
        Some(t) => t.top_a[r] == t.top_b[r],
        None => regression || ((a[r] >= thresholds.0) == (b[r] >= thresholds.1)),
    };
    let mut flips = Flips::default();
    let mut flip_matrix: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut differ = 0u64;
    if let Some(t) = &tops {
        for x in classes {
            flip_matrix.insert(
                x.clone(),
                classes.iter().map(|y| (y.clone(), 0u64)).collect(),
            );
        }
        for (x, y) in t.top_a.iter().zip(&t.top_b) {
            if let Some(cell) = flip_matrix
                .get_mut(&classes[*x])
                .and_then(|row| row.get_mut(&classes[*y]))
            {
                *cell += 1;
            }
            differ += (x != y) as u64;
        }
    } else if !regression {
        for (x, y) in a.iter().zip(b) {
            match (*x >= thresholds.0, *y >= thresholds.1) {
                (false, true) => flips.neg_to_pos += 1,
                (true, false) => flips.pos_to_neg += 1,
                (false, false) => flips.neg_to_neg += 1,
                (true, true) => flips.pos_to_pos += 1,
            }
        }
        differ = flips.neg_to_pos + flips.pos_to_neg;
    }
    let mut sorted = deltas.clone();
    sorted.sort_unstable_by(f64::total_cmp);
    let max = sorted.last().copied().unwrap_or(0.0);
    let quantiles: BTreeMap<String, f64> =
        [("p50", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0)]
            .iter()
            .map(|(k, q)| (k.to_string(), percentile_sorted(&sorted, *q)))
            .collect();
    // histogram of |Δ| on 20 bins over [0, 1] for probabilities, [0, max] for regression
    let top = if regression {
        max.max(f64::MIN_POSITIVE)
    } else {
        1.0
    };
    let bins = 20usize;
    let edges: Vec<f64> = (0..=bins).map(|i| top * i as f64 / bins as f64).collect();
    let mut counts = vec![0u64; bins];
    for d in &deltas {
        let k = ((d / top) * bins as f64).floor() as usize;
        counts[k.min(bins - 1)] += 1;
    }
    // rows that disagree most, with the features either model reads
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|x, y| deltas[*y].total_cmp(&deltas[*x]).then(x.cmp(y)));
    let mut feats = ma.plan.columns();
    for c in mb.plan.columns() {
        if !feats.contains(&c) {
            feats.push(c);
        }
    }
    let top_rows = order
        .iter()
        .take(20)
        .map(|&r| DisagreeingRow {
            row: r as u64,
            champion: a[r],
            challenger: b[r],
            abs_delta: deltas[r],
            label: labels.map(|l| l[r]).filter(|v| !v.is_nan()),
            classes: tops
                .as_ref()
                .map(|t| (classes[t.top_a[r]].clone(), classes[t.top_b[r]].clone())),
            // only these rows' cells are formatted, not whole columns
            features: feats
                .iter()
                .map(|f| (f.clone(), holdout.cell_text(f, r).unwrap_or_default()))
                .collect(),
        })
        .collect();
    // agreement per segment value
    let mut exclude: Vec<&str> = feats.iter().map(String::as_str).collect();
    if let Some(l) = label {
        exclude.push(l);
    }
    let mut segments = Vec::new();
    for col in holdout.segment_columns(&exclude) {
        let Some(column) = holdout.column(&col) else {
            continue;
        };
        let text = column.to_text(&col);
        let mut acc: BTreeMap<&str, (u64, u64, f64)> = BTreeMap::new();
        for (r, v) in text.iter().enumerate().take(n) {
            let Some(v) = v else { continue };
            let e = acc.entry(v).or_default();
            e.0 += 1;
            if same(r) {
                e.1 += 1;
            }
            e.2 += deltas[r];
        }
        for (value, (rows, same, sum)) in acc {
            segments.push(SegmentAgreement {
                column: col.clone(),
                value: value.to_string(),
                rows,
                agreement: same as f64 / rows as f64,
                mean_abs_delta: sum / rows as f64,
            });
        }
    }
    Diff {
        rate: if regression || n == 0 {
            0.0
        } else {
            differ as f64 / n as f64
        },
        mean_abs_delta: if n == 0 {
            0.0
        } else {
            crate::analysis::stats::pairwise_sum(&deltas) / n as f64
        },
        max_abs_delta: max,
        quantiles,
        flips,
        histogram_edges: edges,
        histogram_counts: counts,
        top_rows,
        segments,
        flip_matrix,
    }
}
