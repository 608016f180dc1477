//! The pushed-down report's per-group and per-time sections: the timeline, the segment
//! breakdown, fallbacks and AUC per group — each through the engine's own functions.

use super::aggregates::{self, count, error_flag_sql, num, Roles, Source};
use super::error::ClickHouseError;
use super::sql::{self, ident};
use crate::analysis::hypothesis::TestInputs;
use crate::analysis::rollout::TestedColumn;
use crate::ingest::time::format_timestamp_us;
use crate::ingest::MetricKind;
use crate::report::{Timeline, TimelineRow};
use std::collections::BTreeMap;

/// The timeline from per bucket × group aggregates, as the local engine builds it.
pub(super) fn timeline(
    src: &Source,
    roles: &Roles,
    bucket_s: u64,
    names: &[String],
) -> Result<Timeline, ClickHouseError> {
    let cells = aggregates::buckets(src, roles, bucket_s)?;
    let k = names.len();
    let mut by_bucket: BTreeMap<i64, Vec<&aggregates::BucketAggregate>> = BTreeMap::new();
    for c in &cells {
        by_bucket.entry(c.start_s).or_default().push(c);
    }
    let mut cum_requests = vec![0u64; k];
    let mut cum_errors = vec![0u64; k];
    let mut cum_metric: Vec<BTreeMap<String, (u64, f64)>> = vec![BTreeMap::new(); k];
    let mut rows = Vec::new();
    for (start_s, cells) in by_bucket {
        let total: u64 = cells.iter().map(|c| c.requests).sum();
        for (g, name) in names.iter().enumerate() {
            let Some(c) = cells.iter().find(|c| &c.group == name) else {
                continue;
            };
            cum_requests[g] += c.requests;
            cum_errors[g] += c.errors;
            for (m, (n, sum)) in &c.metrics {
                let e = cum_metric[g].entry(m.clone()).or_default();
                e.0 += n;
                e.1 += sum;
            }
            if c.requests == 0 {
                continue;
            }
            let start_us = start_s * 1_000_000;
            rows.push(TimelineRow {
                start: format_timestamp_us(start_us),
                start_us,
                group: name.clone(),
                requests: c.requests,
                qps: c.requests as f64 / bucket_s as f64,
                errors: c.errors,
                error_rate: c.errors as f64 / c.requests as f64,
                share: c.requests as f64 / total as f64,
                cumulative_requests: cum_requests[g],
                cumulative_error_rate: cum_errors[g] as f64 / cum_requests[g] as f64,
                latency_p50: c.latency_p.map(|p| p[0]),
                latency_p95: c.latency_p.map(|p| p[1]),
                latency_p99: c.latency_p.map(|p| p[2]),
                metrics: c
                    .metrics
                    .iter()
                    .map(|(m, (n, sum))| (m.clone(), (*n > 0).then(|| sum / *n as f64)))
                    .collect(),
                metrics_cumulative: roles
                    .metrics
                    .iter()
                    .map(|m| {
                        let (n, sum) = cum_metric[g].get(m).copied().unwrap_or((0, 0.0));
                        (m.clone(), (n > 0).then(|| sum / n as f64))
                    })
                    .collect(),
            });
        }
    }
    Ok(Timeline {
        bucket: crate::plan::duration::format_bucket(bucket_s),
        bucket_seconds: bucket_s,
        rows,
        lift_over_time: Vec::new(),
    })
}

/// The segment breakdown from per (value, group) moments of every metric and the latency,
/// through the engine's own tests and correction; `kinds` are the tested columns already
/// read (their proportion/mean kind).
#[allow(clippy::too_many_arguments)]
pub(super) fn segments(
    src: &Source,
    kinds: &[TestedColumn],
    roles: &Roles,
    columns: &[String],
    names: &[String],
    control: usize,
    inputs: &TestInputs,
    correction: crate::plan::Correction,
) -> Result<Vec<crate::report::SegmentResult>, ClickHouseError> {
    use crate::analysis::segments::{column_results, SegmentColumn};
    let k = names.len();
    let mut tested: Vec<(&String, MetricKind, bool)> = roles
        .metrics
        .iter()
        .map(|m| (m, MetricKind::Mean, false))
        .collect();
    if let (Some(l), Some(_)) = (&roles.latency, &inputs.latency_name) {
        tested.push((l, MetricKind::Mean, true));
    }
    let mut out = Vec::new();
    for column in columns {
        let mut values: Vec<String> = Vec::new();
        let mut counts: Vec<u64> = Vec::new();
        let mut cols = Vec::new();
        for (name, _, lower) in &tested {
            let sm = super::moments::segment_moments(src, roles, column, name)?;
            if values.is_empty() {
                for (v, n) in &sm.requests {
                    values.push(v.clone());
                    counts.push(*n);
                }
            }
            let empty = crate::analysis::stats::Moments {
                n: 0,
                sum: 0.0,
                mean: f64::NAN,
                var: f64::NAN,
            };
            let mut moments = vec![empty; values.len() * k];
            for ((v, g), m) in sm.cells {
                if let (Some(vi), Some(gi)) = (
                    values.iter().position(|x| *x == v),
                    names.iter().position(|x| *x == g),
                ) {
                    moments[vi * k + gi] = m;
                }
            }
            let kind = kinds
                .iter()
                .find(|c| &c.name == *name)
                .map_or(MetricKind::Mean, |c| c.kind);
            cols.push(SegmentColumn {
                name: (*name).clone(),
                kind,
                lower_is_better: *lower,
                moments,
            });
        }
        if values.is_empty() {
            continue;
        }
        out.extend(column_results(
            column, &values, &counts, &cols, names, control, inputs, correction,
        ));
    }
    Ok(out)
}

/// Fallbacks per group (rows served by another model than the group's own), from rows and
/// non-error rows per (group, model), through the engine's own rule.
pub(super) fn fallbacks(
    src: &Source,
    roles: &Roles,
    names: &[String],
    control: usize,
) -> Result<Vec<u64>, ClickHouseError> {
    let k = names.len();
    let Some(model) = &roles.model else {
        return Ok(vec![0; k]);
    };
    if let Some(sp) = src.spill {
        return crate::stream::answers::fallbacks(sp, src, names, control);
    }
    let served = match error_flag_sql(roles) {
        Some(flag) => format!("countIf(NOT {flag})"),
        None => "count()".into(),
    };
    let rows = src.rows(&format!(
        "SELECT toString({g}) AS __vd_g, toString({m}) AS __vd_model, count() AS __vd_rows, {served} AS __vd_served FROM {table} WHERE {w} AND isNotNull({m}) GROUP BY __vd_g, __vd_model",
        g = ident(&roles.group),
        m = ident(model),
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
    ))?;
    let mut models: Vec<String> = rows
        .iter()
        .filter_map(|r| r.get("__vd_model").and_then(serde_json::Value::as_str))
        .map(str::to_string)
        .collect();
    models.sort();
    models.dedup();
    let nm = models.len();
    let (mut all, mut ok) = (vec![0u64; k * nm], vec![0u64; k * nm]);
    for r in &rows {
        let g = r.get("__vd_g").and_then(serde_json::Value::as_str);
        let m = r.get("__vd_model").and_then(serde_json::Value::as_str);
        if let (Some(gi), Some(mi)) = (
            g.and_then(|g| names.iter().position(|n| n == g)),
            m.and_then(|m| models.iter().position(|n| n == m)),
        ) {
            all[gi * nm + mi] = count(r.get("__vd_rows"));
            ok[gi * nm + mi] = count(r.get("__vd_served"));
        }
    }
    Ok(crate::analysis::groups::fallbacks_of(
        &models, &all, &ok, k, control,
    ))
}

/// AUC of the score against the label per group (label 1 positive, any other value
/// negative), ties by mid-ranks as the local engine's Mann–Whitney: per group and distinct
/// score the positives and negatives, then U = Σ positives × (negatives below + ties / 2)
/// from their cumulative sums — one row per group comes back.
pub(super) fn auc_per_group(
    src: &Source,
    roles: &Roles,
    names: &[String],
) -> Result<Vec<Option<f64>>, ClickHouseError> {
    let (Some(score), Some(label)) = (&roles.score, &roles.label) else {
        return Ok(vec![None; names.len()]);
    };
    if let Some(sp) = src.spill {
        return crate::stream::answers::auc_per_group(sp, src, names);
    }
    let (sc, lb) = (ident(score), ident(label));
    let rows = src.rows(&format!(
        "SELECT __vd_g, arraySum(arrayMap((p, c, n) -> p * (c - n / 2), __vd_ps, arrayCumSum(__vd_ns), __vd_ns)) AS __vd_u, arraySum(__vd_ps) AS __vd_pos, arraySum(__vd_ns) AS __vd_neg FROM (SELECT __vd_g, arrayMap(x -> tupleElement(x, 2), __vd_t) AS __vd_ps, arrayMap(x -> tupleElement(x, 3), __vd_t) AS __vd_ns FROM (SELECT __vd_g, arraySort(x -> tupleElement(x, 1), groupArray((__vd_s, __vd_p, __vd_n))) AS __vd_t FROM (SELECT toString({g}) AS __vd_g, {sc} AS __vd_s, countIf(ifNull({lb} = 1, 0)) AS __vd_p, countIf(ifNull({lb} != 1, 0)) AS __vd_n FROM {table} WHERE {w} AND isNotNull({sc}) AND NOT isNaN({sc}) AND isNotNull({lb}) GROUP BY __vd_g, __vd_s) GROUP BY __vd_g))",
        g = ident(&roles.group),
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
    ))?;
    Ok(names
        .iter()
        .map(|n| {
            let r = rows
                .iter()
                .find(|r| r.get("__vd_g").and_then(serde_json::Value::as_str) == Some(n))?;
            let (pos, neg) = (
                num(r.get("__vd_pos")).unwrap_or(0.0),
                num(r.get("__vd_neg")).unwrap_or(0.0),
            );
            (pos > 0.0 && neg > 0.0).then(|| num(r.get("__vd_u")).unwrap_or(f64::NAN) / (pos * neg))
        })
        .collect())
}
