//! How the two models' predictions differ: diff rate, flips, |Δ| quantiles and histogram,
//! the most disagreeing rows and agreement per segment value.

use crate::analysis::stats::percentile_sorted;
use crate::models::holdout::Holdout;
use crate::models::replay::Model;
use crate::report::compare::*;
use std::collections::BTreeMap;

#[allow(clippy::too_many_arguments)]
pub(super) fn diff(
    a: &[f64],
    b: &[f64],
    thresholds: (f64, f64),
    regression: bool,
    labels: Option<&[f64]>,
    holdout: &Holdout,
    ma: &Model,
    mb: &Model,
    label: Option<&str>,
) -> Diff {
    let n = a.len();
    let deltas: Vec<f64> = a.iter().zip(b).map(|(x, y)| (y - x).abs()).collect();
    let mut flips = Flips::default();
    let mut differ = 0u64;
    if !regression {
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
            let same = regression || ((a[r] >= thresholds.0) == (b[r] >= thresholds.1));
            if same {
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
    }
}
