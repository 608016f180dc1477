//! Per group per UTC time bucket: requests, QPS, errors and error rate, the group's share
//! of the bucket's traffic (ramp stages), latency percentiles and metric means, plus the
//! cumulative series (requests, error rate, metric means from the first bucket on),
//! aggregated in one keyed pass over the columns. Views and exports only read these rows.

use super::columns::{bool_col, f64_col, moments_by, values_by, Codes, NO_CODE};
use super::error::AnalysisError;
use super::stats::{percentiles, Moments};
use crate::ingest::normalize::{metric_col, IS_ERROR, LATENCY_MS, TS_US};
use crate::ingest::time::format_timestamp_us;
use crate::ingest::Dataset;
use crate::plan::duration::format_bucket;
use crate::report::{Timeline, TimelineRow};
use polars::prelude::ChunkAgg;

/// Bucket sizes the automatic choice picks from (seconds).
pub const AUTO_BUCKETS_S: [u64; 18] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
];

/// Picks a bucket for a time span: the smallest round size (1 s … 1 d) giving at most 300
/// buckets — so a ten-minute ramp gets 2 s buckets and three days get hours — else as many
/// whole days as keep it under 300.
pub fn auto_bucket(span_us: i64) -> u64 {
    let span_s = (span_us.max(0) / 1_000_000) as u64;
    for b in AUTO_BUCKETS_S {
        if span_s / b <= 300 {
            return b;
        }
    }
    86_400 * (span_s / (86_400 * 300) + 1)
}

/// The time span of the data, (min, max) in microseconds.
pub fn time_range_us(ds: &Dataset) -> Option<(i64, i64)> {
    let ts = ds
        .frame
        .column(TS_US)
        .ok()?
        .as_materialized_series()
        .i64()
        .ok()?
        .clone();
    Some((ts.min()?, ts.max()?))
}

/// Most (bucket, group) cells a timeline may have.
pub const MAX_CELLS: usize = 2_000_000;

/// Computes the timeline with the given bucket (or an automatic one): one pass over the
/// columns keyed by (bucket, group); percentiles by selection within each cell.
pub fn timeline(ds: &Dataset, bucket_seconds: Option<u64>) -> Result<Timeline, AnalysisError> {
    let range = time_range_us(ds);
    let bucket_s = bucket_seconds.unwrap_or_else(|| {
        range
            .map(|(a, b)| auto_bucket(b.saturating_sub(a)))
            .unwrap_or(3600)
    });
    let empty = Timeline {
        bucket: format_bucket(bucket_s),
        bucket_seconds: bucket_s,
        rows: vec![],
        lift_over_time: Vec::new(),
    };
    let Some((t_min, t_max)) = range else {
        return Ok(empty);
    };
    let b_us = bucket_s as i64 * 1_000_000;
    let first = t_min.div_euclid(b_us);
    let buckets = (t_max.div_euclid(b_us) - first + 1) as usize;
    let groups = Codes::groups(&ds.frame)?;
    let k = groups.names.len();
    let cells = buckets * k;
    if cells > MAX_CELLS {
        return Err(AnalysisError::TooManyBuckets {
            bucket: format_bucket(bucket_s),
            buckets,
        });
    }
    let ts = super::columns::i64_col(&ds.frame, TS_US)?;
    let keys: Vec<u32> = ts
        .iter()
        .zip(&groups.codes)
        .map(|(t, g)| match t {
            Some(t) if *g != NO_CODE => {
                ((t.div_euclid(b_us) - first) as usize * k + *g as usize) as u32
            }
            _ => NO_CODE,
        })
        .collect();
    let mut requests = vec![0u64; cells];
    let mut errors = vec![0u64; cells];
    for (key, e) in keys.iter().zip(bool_col(&ds.frame, IS_ERROR)?.iter()) {
        if *key != NO_CODE {
            requests[*key as usize] += 1;
            errors[*key as usize] += (e == Some(true)) as u64;
        }
    }
    let mut latency = values_by(&keys, cells, f64_col(&ds.frame, LATENCY_MS)?);
    let metric_means: Vec<Vec<Moments>> = ds
        .metrics
        .iter()
        .map(|m| f64_col(&ds.frame, &metric_col(&m.name)).map(|c| moments_by(&keys, cells, c)))
        .collect::<Result<_, _>>()?;
    // running totals per group, for the cumulative series
    let mut cum_requests = vec![0u64; k];
    let mut cum_errors = vec![0u64; k];
    let mut cum_metric: Vec<Vec<(u64, f64)>> = vec![vec![(0, 0.0); ds.metrics.len()]; k];
    let mut rows = Vec::new();
    for b in 0..buckets {
        let bucket_requests: u64 = requests[b * k..(b + 1) * k].iter().sum();
        for g in 0..k {
            let cell = b * k + g;
            cum_requests[g] += requests[cell];
            cum_errors[g] += errors[cell];
            for (mi, v) in metric_means.iter().enumerate() {
                let m = &v[cell];
                if m.n > 0 {
                    cum_metric[g][mi].0 += m.n;
                    cum_metric[g][mi].1 += m.sum;
                }
            }
            if requests[cell] == 0 {
                continue;
            }
            let start_us = (first + b as i64) * b_us;
            let lat = &mut latency[cell];
            let p = if lat.is_empty() {
                vec![f64::NAN; 3]
            } else {
                percentiles(lat, &[50.0, 95.0, 99.0])
            };
            let some = |x: f64| x.is_finite().then_some(x);
            rows.push(TimelineRow {
                start: format_timestamp_us(start_us),
                start_us,
                group: groups.names[g].clone(),
                requests: requests[cell],
                qps: requests[cell] as f64 / bucket_s as f64,
                errors: errors[cell],
                error_rate: errors[cell] as f64 / requests[cell] as f64,
                share: requests[cell] as f64 / bucket_requests as f64,
                cumulative_requests: cum_requests[g],
                cumulative_error_rate: cum_errors[g] as f64 / cum_requests[g] as f64,
                latency_p50: some(p[0]),
                latency_p95: some(p[1]),
                latency_p99: some(p[2]),
                metrics: ds
                    .metrics
                    .iter()
                    .zip(&metric_means)
                    .map(|(m, v)| (m.name.clone(), (v[cell].n > 0).then_some(v[cell].mean)))
                    .collect(),
                metrics_cumulative: ds
                    .metrics
                    .iter()
                    .zip(&cum_metric[g])
                    .map(|(m, (n, sum))| (m.name.clone(), (*n > 0).then(|| sum / *n as f64)))
                    .collect(),
            });
        }
    }
    Ok(Timeline { rows, ..empty })
}

#[cfg(test)]
mod auto_bucket_tests {
    use super::auto_bucket;

    #[test]
    fn roughly_60_to_300_buckets_from_seconds_to_days() {
        let s = 1_000_000i64;
        assert_eq!(auto_bucket(600 * s), 2);
        assert_eq!(auto_bucket(3 * 86_400 * s), 900);
        assert_eq!(auto_bucket(14 * 86_400 * s), 7200);
        assert_eq!(auto_bucket(365 * 86_400 * s), 2 * 86_400);
        for span_s in [90, 600, 3600, 86_400, 7 * 86_400, 30 * 86_400] {
            let b = auto_bucket(span_s * s) as i64;
            let n = span_s / b;
            assert!((30..=300).contains(&n), "{span_s} s → {b} s buckets: {n}");
        }
    }
}
