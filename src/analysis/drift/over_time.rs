//! PSI over time: each time bucket of the data against the reference distribution, for
//! the features that drifted most.

use super::numeric::{floored_shares, psi, PSI_FLOOR};
use super::split::{snapshot_buckets, Side};
use crate::ingest::table::{RawColumn, RawData};
use crate::ingest::time::format_timestamp_us;
use crate::report::drift::{FeatureDrift, FeatureKind, PsiOverTime, PsiSeries};
use std::collections::HashMap;

/// How many features the view follows.
pub const TOP_FEATURES: usize = 5;

/// PSI per bucket of `side` (rows with a timestamp in `ts`) for the top features by PSI.
pub fn psi_over_time(
    side: &Side,
    ts: &[Option<i64>],
    features: &[FeatureDrift],
    every_us: Option<i64>,
) -> PsiOverTime {
    let mut stamps = Vec::new();
    side.for_each_row(|r| {
        if let Some(t) = ts[r] {
            stamps.push(t)
        }
    });
    let (Some(&min), Some(&max)) = (stamps.iter().min(), stamps.iter().max()) else {
        return PsiOverTime::default();
    };
    let (name, width, start, count) = snapshot_buckets(min, max, every_us);
    let mut top: Vec<&FeatureDrift> = features.iter().filter(|f| f.psi.is_some()).collect();
    top.sort_by(|a, b| b.psi.unwrap_or(0.0).total_cmp(&a.psi.unwrap_or(0.0)));
    top.truncate(TOP_FEATURES);
    let bucket_of = |t: i64| ((t - start) / width) as usize;
    let series = top
        .iter()
        .map(|f| {
            let col = side.table.columns.iter().find(|c| c.name == f.name);
            PsiSeries {
                name: f.name.clone(),
                psi: feature_series(f, col, side, ts, count, &bucket_of),
            }
        })
        .collect();
    let starts_us: Vec<i64> = (0..count).map(|i| start + i as i64 * width).collect();
    PsiOverTime {
        bucket: name,
        starts: starts_us.iter().map(|&t| format_timestamp_us(t)).collect(),
        starts_us,
        features: series,
    }
}

fn feature_series(
    f: &FeatureDrift,
    col: Option<&RawColumn>,
    side: &Side,
    ts: &[Option<i64>],
    buckets: usize,
    bucket_of: &dyn Fn(i64) -> usize,
) -> Vec<Option<f64>> {
    let Some(col) = col else {
        return vec![None; buckets];
    };
    // reference shares as the report has them (per bin / per category), zero floored below
    let (reference, mut counts): (Vec<f64>, Vec<Vec<u64>>) = match f.kind {
        FeatureKind::Numeric => {
            let RawData::Num { values, .. } = &col.data else {
                return vec![None; buckets];
            };
            let edges: Vec<f64> = f.bins.iter().filter_map(|b| b.hi).collect();
            let values = values.rechunk();
            let mut counts = vec![vec![0u64; f.bins.len()]; buckets];
            side.for_each_row(|r| {
                if let (Some(t), Some(x)) = (ts[r], values.get(r).filter(|x| x.is_finite())) {
                    counts[bucket_of(t)][edges.partition_point(|e| *e <= x)] += 1;
                }
            });
            (f.bins.iter().map(|b| b.reference).collect(), counts)
        }
        FeatureKind::Categorical => {
            let mut index: HashMap<String, usize> = f
                .categories
                .iter()
                .enumerate()
                .map(|(i, c)| (c.value.clone(), i))
                .collect();
            let mut reference: Vec<f64> = f.categories.iter().map(|c| c.reference).collect();
            let text = col.to_text(&col.name).rechunk().into_owned();
            let mut counts = vec![vec![0u64; reference.len()]; buckets];
            side.for_each_row(|r| {
                if let (Some(t), Some(v)) = (ts[r], text.get(r)) {
                    let i = match index.get(v) {
                        Some(&i) => i,
                        None => {
                            let i = index.len();
                            index.insert(v.to_string(), i);
                            for c in counts.iter_mut() {
                                c.resize(i + 1, 0);
                            }
                            i
                        }
                    };
                    counts[bucket_of(t)][i] += 1;
                }
            });
            reference.resize(index.len(), 0.0);
            (reference, counts)
        }
    };
    let ref_shares: Vec<f64> = reference
        .iter()
        .map(|&r| if r == 0.0 { PSI_FLOOR } else { r })
        .collect();
    counts
        .iter_mut()
        .map(|c| {
            c.resize(ref_shares.len(), 0);
            (c.iter().sum::<u64>() > 0).then(|| psi(&ref_shares, &floored_shares(c)))
        })
        .collect()
}
