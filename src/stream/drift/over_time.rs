//! PSI over time of a streamed drift comparison: the top features' counts per snapshot,
//! read chunk by chunk, against each feature's reference shares.

use super::*;

/// One top feature's counts per snapshot, as `over_time::feature_series` counts them.
struct Series {
    name: String,
    kind: FeatureKind,
    edges: Vec<f64>,
    index: HashMap<String, usize>,
    reference: Vec<f64>,
    counts: Vec<Vec<u64>>,
}

/// PSI per snapshot for the top features by PSI, read chunk by chunk (see
/// `analysis::drift::over_time`).
#[allow(clippy::too_many_arguments)]
pub(super) fn psi_over_time(
    files: &[String],
    member: Member,
    roles: &Roles,
    features: &[FeatureDrift],
    (min, max): (i64, i64),
    every_us: Option<i64>,
    reading: &(dyn Fn(LoadProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<PsiOverTime, StreamError> {
    let (name, width, start, buckets) = snapshot_buckets(min, max, every_us);
    let mut top: Vec<&FeatureDrift> = features.iter().filter(|f| f.psi.is_some()).collect();
    top.sort_by(|a, b| b.psi.unwrap_or(0.0).total_cmp(&a.psi.unwrap_or(0.0)));
    top.truncate(crate::analysis::drift::over_time::TOP_FEATURES);
    let mut series: Vec<Series> = top
        .iter()
        .map(|f| match f.kind {
            FeatureKind::Numeric => Series {
                name: f.name.clone(),
                kind: f.kind,
                edges: f.bins.iter().filter_map(|b| b.hi).collect(),
                index: HashMap::default(),
                reference: f.bins.iter().map(|b| b.reference).collect(),
                counts: vec![vec![0; f.bins.len()]; buckets],
            },
            FeatureKind::Categorical => Series {
                name: f.name.clone(),
                kind: f.kind,
                edges: Vec::new(),
                index: f
                    .categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.value.clone(), i))
                    .collect(),
                reference: f.categories.iter().map(|c| c.reference).collect(),
                counts: vec![vec![0; f.categories.len()]; buckets],
            },
        })
        .collect();
    let present: Vec<bool> = vec![false; series.len()];
    let mut present = present;
    // a row outside the span read before (a log still being written) is in no snapshot
    let bucket_of = |t: i64| {
        (t >= min && t <= max)
            .then(|| ((t - start) / width) as usize)
            .filter(|&b| b < buckets)
    };
    crate::ingest::read_chunked(files, rows_per_chunk(), reading, cancel, &mut |raw| {
        let t = &raw.table;
        let Some(ts) = timestamps(t, roles) else {
            return Ok(true);
        };
        // a split's timeline is every row of the log; two inputs', the current side's
        // prediction rows
        let rows: Vec<u32> = match member {
            Member::Split(..) => (0..t.rows as u32).collect(),
            Member::All => match select::prediction_rows(t, roles) {
                Some(m) => (0..t.rows as u32).filter(|&r| m[r as usize]).collect(),
                None => (0..t.rows as u32).collect(),
            },
        };
        for (s, seen) in series.iter_mut().zip(present.iter_mut()) {
            let Some(col) = t.columns.iter().find(|c| c.name == s.name) else {
                continue;
            };
            *seen = true;
            match s.kind {
                FeatureKind::Numeric => {
                    let crate::ingest::table::RawData::Num { values, .. } = &col.data else {
                        continue;
                    };
                    let values = values.rechunk();
                    for &r in &rows {
                        let r = r as usize;
                        if let (Some(b), Some(x)) = (
                            ts[r].and_then(bucket_of),
                            values.get(r).filter(|x| x.is_finite()),
                        ) {
                            s.counts[b][s.edges.partition_point(|e| *e <= x)] += 1;
                        }
                    }
                }
                FeatureKind::Categorical => {
                    let text = col.to_text(&col.name).rechunk().into_owned();
                    for &r in &rows {
                        let r = r as usize;
                        if let (Some(b), Some(v)) = (ts[r].and_then(bucket_of), text.get(r)) {
                            let i = match s.index.get(v) {
                                Some(&i) => i,
                                None => {
                                    let i = s.index.len();
                                    s.index.insert(v.to_string(), i);
                                    for c in s.counts.iter_mut() {
                                        c.resize(i + 1, 0);
                                    }
                                    i
                                }
                            };
                            s.counts[b][i] += 1;
                        }
                    }
                }
            }
        }
        Ok(true)
    })?;
    let features = series
        .into_iter()
        .zip(present)
        .map(|(mut s, seen)| {
            let mut reference = s.reference.clone();
            reference.resize(s.index.len().max(reference.len()), 0.0);
            let ref_shares: Vec<f64> = reference
                .iter()
                .map(|&r| if r == 0.0 { PSI_FLOOR } else { r })
                .collect();
            let psi = if seen {
                s.counts
                    .iter_mut()
                    .map(|c| {
                        c.resize(ref_shares.len(), 0);
                        (c.iter().sum::<u64>() > 0).then(|| psi(&ref_shares, &floored_shares(c)))
                    })
                    .collect()
            } else {
                vec![None; buckets]
            };
            PsiSeries { name: s.name, psi }
        })
        .collect();
    let starts_us: Vec<i64> = (0..buckets).map(|i| start + i as i64 * width).collect();
    Ok(PsiOverTime {
        bucket: name,
        starts: starts_us.iter().map(|&t| format_timestamp_us(t)).collect(),
        starts_us,
        features,
    })
}
