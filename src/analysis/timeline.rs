//! Per group per UTC time bucket: requests, QPS, error rate, latency percentiles and
//! metric means, aggregated lazily by polars (plots never see raw rows).

use super::columns::frame_error;
use crate::ingest::normalize::{metric_col, GROUP, IS_ERROR, LATENCY_MS, TS_US};
use crate::ingest::time::format_timestamp_us;
use crate::ingest::Dataset;
use crate::report::{Timeline, TimelineRow};
use polars::prelude::*;

/// Parses a bucket span such as `30s`, `1m`, `5m`, `1h`, `1d`; `auto` gives `None`.
pub fn parse_bucket(text: &str) -> Result<Option<u64>, String> {
    let t = text.trim().to_ascii_lowercase();
    if t == "auto" || t.is_empty() {
        return Ok(None);
    }
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num.parse().map_err(|_| format!("bad bucket {text:?} (use 1m, 5m, 1h, 1d or auto)"))?;
    let mult = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("bad bucket unit in {text:?} (use s, m, h or d)")),
    };
    if n == 0 {
        return Err(format!("bucket {text:?} must be longer than zero"));
    }
    Ok(Some(n * mult))
}

/// Formats a span in seconds as the shortest of `Nd`, `Nh`, `Nm`, `Ns`.
pub fn format_bucket(seconds: u64) -> String {
    if seconds % 86_400 == 0 {
        format!("{}d", seconds / 86_400)
    } else if seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else if seconds % 60 == 0 {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

/// Picks a bucket for a time span: the smallest of 1m, 5m, 1h, 1d giving at most 300 buckets.
pub fn auto_bucket(span_us: i64) -> u64 {
    let span_s = (span_us.max(0) / 1_000_000) as u64;
    for b in [60, 300, 3600] {
        if span_s / b <= 300 {
            return b;
        }
    }
    86_400
}

/// The time span of the data, (min, max) in microseconds.
pub fn time_range_us(ds: &Dataset) -> Option<(i64, i64)> {
    let ts = ds.frame.column(TS_US).ok()?.as_materialized_series().i64().ok()?.clone();
    Some((ts.min()?, ts.max()?))
}

/// Computes the timeline with the given bucket (or an automatic one).
pub fn timeline(ds: &Dataset, bucket_seconds: Option<u64>) -> Result<Timeline, String> {
    let range = time_range_us(ds);
    let bucket_s = bucket_seconds.unwrap_or_else(|| range.map(|(a, b)| auto_bucket(b - a)).unwrap_or(3600));
    let empty = Timeline { bucket: format_bucket(bucket_s), bucket_seconds: bucket_s, rows: vec![] };
    if range.is_none() {
        return Ok(empty);
    }
    let b_us = bucket_s as i64 * 1_000_000;
    let mut aggs = vec![
        len().alias("requests"),
        col(IS_ERROR).cast(DataType::Float64).mean().alias("error_rate"),
        col(LATENCY_MS).quantile(lit(0.5), QuantileMethod::Linear).alias("p50"),
        col(LATENCY_MS).quantile(lit(0.95), QuantileMethod::Linear).alias("p95"),
        col(LATENCY_MS).quantile(lit(0.99), QuantileMethod::Linear).alias("p99"),
    ];
    for (i, m) in ds.metrics.iter().enumerate() {
        aggs.push(col(metric_col(&m.name).as_str()).mean().alias(format!("metric_{i}")));
    }
    let out = ds
        .lazy()
        .filter(col(TS_US).is_not_null())
        .with_column((col(TS_US) - col(TS_US) % lit(b_us)).alias("bucket"))
        .group_by([col("bucket"), col(GROUP)])
        .agg(aggs)
        .sort_by_exprs(vec![col("bucket"), col(GROUP)], SortMultipleOptions::default())
        .collect()
        .map_err(frame_error)?;
    let get_f64 = |name: &str| -> Result<Vec<Option<f64>>, String> {
        let s = out.column(name).map_err(frame_error)?.as_materialized_series().cast(&DataType::Float64).map_err(frame_error)?;
        Ok(s.f64().map_err(frame_error)?.iter().collect())
    };
    let bucket: Vec<Option<i64>> = out.column("bucket").map_err(frame_error)?.as_materialized_series().i64().map_err(frame_error)?.iter().collect();
    let group: Vec<Option<String>> = out.column(GROUP).map_err(frame_error)?.as_materialized_series().str().map_err(frame_error)?.iter().map(|s| s.map(str::to_string)).collect();
    let requests = get_f64("requests")?;
    let error_rate = get_f64("error_rate")?;
    let (p50, p95, p99) = (get_f64("p50")?, get_f64("p95")?, get_f64("p99")?);
    let metric_vals: Vec<Vec<Option<f64>>> = (0..ds.metrics.len()).map(|i| get_f64(&format!("metric_{i}"))).collect::<Result<_, _>>()?;
    let rows = (0..out.height())
        .map(|r| {
            let start_us = bucket[r].unwrap_or_default();
            let req = requests[r].unwrap_or(0.0);
            TimelineRow {
                start: format_timestamp_us(start_us),
                start_us,
                group: group[r].clone().unwrap_or_default(),
                requests: req as u64,
                qps: req / bucket_s as f64,
                error_rate: error_rate[r].unwrap_or(0.0),
                latency_p50: p50[r],
                latency_p95: p95[r],
                latency_p99: p99[r],
                metrics: ds.metrics.iter().zip(&metric_vals).map(|(m, v)| (m.name.clone(), v[r])).collect(),
            }
        })
        .collect();
    Ok(Timeline { rows, ..empty })
}
