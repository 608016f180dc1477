//! The experiment report from pushed-down aggregates: the same [`ExperimentReport`] the
//! local engine makes, its statistics computed by the same functions from the same
//! sufficient statistics — per-group counts and exact latency percentiles, stages detected
//! from per-interval counts, per (stage, group) unit moments of every tested column, unit
//! counts, leakage, per bucket × group counts — with only those aggregates coming back.
//! Users are the unit (the table needs a user column). What is not pushed down yet
//! (CUPED from a covariate column or files) is named in
//! the report's `backend.not_pushed_down` and left empty.

use super::aggregates::{self, count, error_flag_sql, num, Roles, Source};
use super::error::ClickHouseError;
use super::moments::{stage_sql, timed_sql, unit_moments_of, units_per_cell, user_column};
use super::sql::{self, ident};
use crate::analysis::columns::Codes;
use crate::analysis::hypothesis::TestInputs;
use crate::analysis::rollout::plan_stages::{declared_boundaries, expected_shares, Boundaries};
use crate::analysis::rollout::stage_rows::{column_tests, stage_results};
use crate::analysis::rollout::unit_stats::RatioMoments;
use crate::analysis::rollout::{TestedColumn, UnitAnalysis, ERROR_RATE};
use crate::analysis::{checks, guardrails, recommend, settings, AnalysisConfig};
use crate::ingest::time::format_timestamp_us;
use crate::ingest::{MetricKind, Role};
use crate::plan::rollout::timestamp_us;
use crate::report::{
    Assignment, BackendInfo, ExperimentReport, GroupSummary, InputFormat, InputSummary, MetricInfo,
    Timeline, TimelineRow, UnitInfo, UnitKind, UnitSource,
};
use std::collections::BTreeMap;

/// A step of the pushed-down analysis and the share of the steps done, for progress.
pub type Progress<'a> = &'a (dyn Fn(&str, f32) + Sync);

fn answer_error(src: &Source, problem: impl Into<String>) -> ClickHouseError {
    ClickHouseError::Answer {
        server: src.server(),
        problem: problem.into(),
    }
}

/// Whether every (user, group) has one value of `value` throughout (a per-user metric).
fn constant_per_user(
    src: &Source,
    roles: &Roles,
    value: &str,
    later_starts: &[i64],
) -> Result<bool, ClickHouseError> {
    let user = user_column(src, roles, "user-level tests need")?;
    let rows = src.rows(&format!(
        "SELECT count() AS __vd_varied FROM (SELECT {u}, {g} FROM {table} WHERE {w} AND isNotNull({u}) AND isNotNull({value}){timed} GROUP BY {u}, {g} HAVING min({value}) != max({value}))",
        u = ident(user),
        g = ident(&roles.group),
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
        timed = timed_sql(roles, later_starts),
    ))?;
    Ok(rows.first().map_or(0, |r| count(r.get("__vd_varied"))) == 0)
}

/// Requests per stage.
fn stage_requests(
    src: &Source,
    roles: &Roles,
    later_starts: &[i64],
    stages: usize,
) -> Result<Vec<u64>, ClickHouseError> {
    let rows = src.rows(&format!(
        "SELECT {stage} AS __vd_stage, count() AS __vd_n FROM {table} WHERE {w}{timed} GROUP BY __vd_stage",
        stage = stage_sql(src, roles, later_starts)?,
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
        timed = timed_sql(roles, later_starts),
    ))?;
    let mut out = vec![0u64; stages];
    for r in &rows {
        let s = count(r.get("__vd_stage")) as usize;
        if let Some(c) = out.get_mut(s) {
            *c += count(r.get("__vd_n"));
        }
    }
    Ok(out)
}

/// Per (user, group) pair: the stages it has rows in, as a bit mask; counted per (group,
/// mask). Also the users, those in two groups within one stage, and those who moved
/// between groups only at a stage boundary.
struct PairMasks {
    /// (group, stage mask) → pairs.
    masks: BTreeMap<(String, u64), u64>,
    users: u64,
    leaked: u64,
    moved: u64,
}

fn pair_masks(
    src: &Source,
    roles: &Roles,
    later_starts: &[i64],
) -> Result<PairMasks, ClickHouseError> {
    let user = user_column(src, roles, "user-level tests need")?;
    let pairs = format!(
        "SELECT {u} AS __vd_u, toString({g}) AS __vd_g, groupBitOr(bitShiftLeft(toUInt64(1), {stage})) AS __vd_mask FROM {table} WHERE {w} AND isNotNull({u}){timed} GROUP BY __vd_u, __vd_g",
        u = ident(user),
        g = ident(&roles.group),
        stage = stage_sql(src, roles, later_starts)?,
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
        timed = timed_sql(roles, later_starts),
    );
    let rows = src.rows(&format!(
        "SELECT __vd_g, __vd_mask, count() AS __vd_n FROM ({pairs}) GROUP BY __vd_g, __vd_mask ORDER BY __vd_g, __vd_mask"
    ))?;
    let masks = rows
        .iter()
        .map(|r| {
            (
                (
                    r.get("__vd_g")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    count(r.get("__vd_mask")),
                ),
                count(r.get("__vd_n")),
            )
        })
        .collect();
    // per user: pairs, and whether the masks of two pairs share a stage (the OR of the
    // masks has fewer bits than their sum: tested as a sum of masks that differs from
    // their OR, which holds exactly when two masks share a bit)
    let users = src.rows(&format!(
        "SELECT count() AS __vd_users, countIf(__vd_pairs > 1 AND __vd_sum != __vd_or) AS __vd_leaked, countIf(__vd_pairs > 1 AND __vd_sum = __vd_or) AS __vd_moved FROM (SELECT __vd_u, count() AS __vd_pairs, sum(__vd_mask) AS __vd_sum, groupBitOr(__vd_mask) AS __vd_or FROM ({pairs}) GROUP BY __vd_u)"
    ))?;
    let r = users.first();
    Ok(PairMasks {
        masks,
        users: r.map_or(0, |r| count(r.get("__vd_users"))),
        leaked: r.map_or(0, |r| count(r.get("__vd_leaked"))),
        moved: r.map_or(0, |r| count(r.get("__vd_moved"))),
    })
}

/// The tested columns of the table, in report order: metrics, latency, error rate; a
/// metric whose values are all 0 or 1 is a proportion.
fn tested_columns(src: &Source, roles: &Roles) -> Result<Vec<TestedColumn>, ClickHouseError> {
    // per column: values, and values other than 0 and 1 (a proportion has none)
    let mut cols = Vec::new();
    for (i, m) in roles.metrics.iter().enumerate() {
        let c = ident(m);
        cols.push(format!(
            "count({c}) AS __vd_n{i}, countIf(isNotNull({c}) AND {c} != 0 AND {c} != 1) AS __vd_o{i}"
        ));
    }
    for (alias, c) in [("__vd_lat", &roles.latency), ("__vd_score", &roles.score)] {
        if let Some(c) = c {
            cols.push(format!("count({}) AS {alias}", ident(c)));
        }
    }
    let rows = if cols.is_empty() {
        Vec::new()
    } else {
        src.rows(&format!(
            "SELECT {} FROM {} WHERE {}",
            cols.join(", "),
            sql::table(&src.url.database, &src.url.table),
            src.where_clause(roles)?
        ))?
    };
    let r = rows.first();
    let n = |k: String| r.map_or(0, |r| count(r.get(k)));
    let mut out = Vec::new();
    for (i, m) in roles.metrics.iter().enumerate() {
        // a metric without values is not tested (as the local engine drops it)
        if n(format!("__vd_n{i}")) == 0 {
            continue;
        }
        out.push(TestedColumn {
            name: m.clone(),
            column: ident(m),
            kind: if n(format!("__vd_o{i}")) == 0 {
                MetricKind::Proportion
            } else {
                MetricKind::Mean
            },
            lower_is_better: false,
        });
    }
    if let Some(l) = roles.latency.as_ref().filter(|_| n("__vd_lat".into()) > 0) {
        out.push(TestedColumn {
            name: l.clone(),
            column: ident(l),
            kind: MetricKind::Mean,
            lower_is_better: true,
        });
    }
    if let Some(sc) = roles
        .score
        .as_ref()
        .filter(|s| !out.iter().any(|c| &c.name == *s) && n("__vd_score".into()) > 0)
    {
        out.push(TestedColumn {
            name: sc.clone(),
            column: ident(sc),
            kind: MetricKind::Mean,
            lower_is_better: false,
        });
    }
    if let Some(flag) = error_flag_sql(roles).filter(|_| !out.iter().any(|c| c.name == ERROR_RATE))
    {
        out.push(TestedColumn {
            name: ERROR_RATE.into(),
            column: format!("toUInt8{flag}"),
            kind: MetricKind::Proportion,
            lower_is_better: true,
        });
    }
    Ok(out)
}

/// The timeline from per bucket × group aggregates, as the local engine builds it.
fn timeline(
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
/// through the engine's own tests and correction.
fn segments(
    src: &Source,
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
    let kinds = tested_columns(src, roles)?;
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
fn fallbacks(
    src: &Source,
    roles: &Roles,
    names: &[String],
    control: usize,
) -> Result<Vec<u64>, ClickHouseError> {
    let k = names.len();
    let Some(model) = &roles.model else {
        return Ok(vec![0; k]);
    };
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
fn auc_per_group(
    src: &Source,
    roles: &Roles,
    names: &[String],
) -> Result<Vec<Option<f64>>, ClickHouseError> {
    let (Some(score), Some(label)) = (&roles.score, &roles.label) else {
        return Ok(vec![None; names.len()]);
    };
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

/// The time range of the table's rows (µs).
fn time_range(src: &Source, roles: &Roles) -> Result<Option<(i64, i64)>, ClickHouseError> {
    let Some(ts) = &roles.timestamp else {
        return Ok(None);
    };
    let t = roles.time_unit.micros_sql(ts);
    let rows = src.rows(&format!(
        "SELECT min({t}) AS __vd_lo, max({t}) AS __vd_hi, count({ts}) AS __vd_n FROM {table} WHERE {w}",
        ts = ident(ts),
        table = sql::table(&src.url.database, &src.url.table),
        w = src.where_clause(roles)?,
    ))?;
    let r = rows.first();
    if r.map_or(0, |r| count(r.get("__vd_n"))) == 0 {
        return Ok(None);
    }
    let get = |k: &str| r.and_then(|r| num(r.get(k))).map(|v| v as i64);
    Ok(get("__vd_lo").zip(get("__vd_hi")))
}

/// The experiment report of the rows `src` selects, computed from pushed-down aggregates.
pub fn analyze(
    src: &Source,
    roles: &Roles,
    cfg: &AnalysisConfig,
    progress: Progress,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<ExperimentReport, ClickHouseError> {
    // each step first checks for a cancel; steps: groups, stages, units, one per tested
    // column (about five), timeline, segments
    let done = std::sync::atomic::AtomicU32::new(0);
    let steps = 10.0 + roles.metrics.len() as f32;
    let step = |what: &str| {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            Err(ClickHouseError::Cancelled)
        } else {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) as f32;
            progress(what, (n / steps).min(0.95));
            Ok(())
        }
    };
    let plan = &cfg.plan;
    // what the analysis itself costs (not the role sample read before it)
    let (queries0, bytes0) = src.client.usage();
    let setting = |e: crate::analysis::AnalysisError| ClickHouseError::Input {
        server: src.server(),
        problem: e.to_string(),
    };
    // rows before the plan's experiment start are the pre-period, not the experiment (rows
    // without a time stay, as in the local engine)
    let all_src = src;
    let post;
    let experiment_cut = plan
        .experiment_start
        .as_deref()
        .map(|s| timestamp_us("experiment_start", s))
        .transpose()
        .map_err(|e| setting(e.into()))?;
    let src: &Source = match (experiment_cut, &roles.timestamp) {
        (Some(cut), Some(ts)) => {
            let cond = format!(
                "(isNull({}) OR {} >= {cut})",
                ident(ts),
                roles.time_unit.micros_sql(ts)
            );
            post = Source {
                client: src.client,
                url: src.url,
                filter: Some(match &src.filter {
                    Some(f) => format!("({f}) AND {cond}"),
                    None => cond,
                }),
                from_s: src.from_s,
                to_s: src.to_s,
            };
            &post
        }
        _ => src,
    };
    let user = user_column(src, roles, "the pushed-down analysis needs")?.to_string();
    step("groups")?;
    let group_aggs = aggregates::groups(src, roles)?;
    if group_aggs.len() < 2 {
        return Err(answer_error(
            src,
            format!(
                "one group only ({}): nothing to compare",
                group_aggs.first().map_or("none", |g| g.name.as_str())
            ),
        ));
    }
    let names: Vec<String> = group_aggs.iter().map(|g| g.name.clone()).collect();
    let requests: Vec<u64> = group_aggs.iter().map(|g| g.requests).collect();
    let k = names.len();
    let (control, control_source) =
        settings::choose_control(&names, &requests, cfg).map_err(setting)?;
    let primary = plan.primary_metric.clone();
    if let Some(p) = &primary {
        if !roles.metrics.contains(p) {
            return Err(ClickHouseError::Input {
                server: src.server(),
                problem: format!("the plan's primary metric `{p}` is not a metric of the table"),
            });
        }
    }
    let shares = settings::expected_shares(&names, cfg).map_err(setting)?;
    let codes = Codes {
        names: names.clone(),
        codes: Vec::new(),
    };
    let inputs = TestInputs {
        alpha: plan.alpha,
        inference: cfg.inference.unwrap_or(plan.inference),
        tuning: plan.sequential_tuning,
        primary: primary.clone(),
        direction: plan.direction,
        latency_name: roles.latency.clone(),
    };
    // stages: declared, else detected on the server from per-interval counts
    step("stages")?;
    let range = time_range(src, roles)?;
    let boundaries = if !plan.stages.is_empty() {
        let starts = plan
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| timestamp_us(&format!("stages[{i}].start"), &s.start))
            .collect::<Result<Vec<i64>, _>>()
            .map_err(|e| setting(e.into()))?;
        declared_boundaries(&starts, range.map_or(0, |r| r.1))
    } else if roles.timestamp.is_some() {
        let mut b =
            super::stages::detect_stages(src, roles, &names[control])?.unwrap_or(Boundaries {
                starts: vec![experiment_cut.unwrap_or(0)],
                end: experiment_cut.unwrap_or(0),
            });
        // the first stage starts at the experiment's start, as the local detection
        if let (Some(cut), Some(first)) = (experiment_cut, b.starts.first_mut()) {
            *first = cut;
        }
        b
    } else {
        Boundaries {
            starts: vec![0],
            end: 0,
        }
    };
    let ns = boundaries.len();
    let later: &[i64] = &boundaries.starts[1.min(ns)..];
    // rows before the first stage's start belong to no stage (as `Boundaries::stage_of`)
    let staged_filter = match (&roles.timestamp, boundaries.starts.first()) {
        (Some(ts), Some(first)) => {
            let cond = format!(
                "(isNull({}) OR {} >= {first})",
                ident(ts),
                roles.time_unit.micros_sql(ts)
            );
            Some(match &src.filter {
                Some(f) => format!("({f}) AND {cond}"),
                None => cond,
            })
        }
        _ => src.filter.clone(),
    };
    let staged = Source {
        client: src.client,
        url: src.url,
        filter: staged_filter,
        from_s: src.from_s,
        to_s: src.to_s,
    };
    let expected = expected_shares(
        &names,
        control,
        ns,
        plan.ramp.as_deref(),
        &plan.stages,
        Some(&shares),
    );
    step("units and leakage")?;
    let stage_req = stage_requests(&staged, roles, later, ns)?;
    let units = units_per_cell(&staged, roles, later)?;
    let mut stage_units = vec![0u64; ns * k];
    for ((g, s), n) in &units {
        if let Some(gi) = names.iter().position(|x| x == g) {
            if (*s as usize) < ns {
                stage_units[*s as usize * k + gi] = *n;
            }
        }
    }
    let masks = pair_masks(&staged, roles, later)?;
    let distinct = |g: usize, mask: u64| -> u64 {
        masks
            .masks
            .iter()
            .filter(|((name, m), _)| *name == names[g] && m & mask != 0)
            .map(|(_, n)| *n)
            .sum()
    };
    let bucket_s = settings::bucket_seconds(cfg).map_err(setting)?;
    let bucket_s = bucket_s.unwrap_or_else(|| {
        range
            .map(|(a, b)| crate::analysis::timeline::auto_bucket(b.saturating_sub(a)))
            .unwrap_or(3600)
    });
    let ua = UnitAnalysis {
        groups: &codes,
        control,
        inputs: &inputs,
        boundaries: &boundaries,
        expected: &expected,
        srm_alpha: plan.guardrails.srm_alpha,
        buckets: None,
    };
    // CUPED: the pre-period is the rows before the experiment start (a declared covariate
    // column or pre-period files are not pushed down)
    let pre_info = match (experiment_cut, &roles.timestamp) {
        (Some(cut), Some(_)) if plan.covariate.is_none() && plan.pre_period.is_empty() => {
            super::cuped::pre_period(all_src, roles, cut)?
        }
        _ => None,
    };
    let pre_info = pre_info.filter(|_| plan.cuped.unwrap_or(true));
    // per tested column: (stage, group) unit moments, then the engine's own tests
    let columns = tested_columns(src, roles)?;
    let mut per_stage = vec![Vec::new(); ns];
    let mut tests = Vec::new();
    let treatments: Vec<usize> = (0..k).filter(|&g| g != control).collect();
    let mut cells_of = Vec::with_capacity(columns.len());
    for col in &columns {
        step(&format!("moments of {}", col.name))?;
        let constant = constant_per_user(&staged, roles, &col.column, later)?;
        let moments = unit_moments_of(&staged, roles, &col.column, later, constant)?;
        let mut cells = vec![RatioMoments::default(); ns * k];
        for ((g, s), m) in moments {
            if let Some(gi) = names.iter().position(|x| *x == g) {
                if (s as usize) < ns {
                    cells[s as usize * k + gi] = m;
                }
            }
        }
        cells_of.push((col, constant, cells));
    }
    let mut cuped_of = BTreeMap::new();
    if let (Some(_), Some(cut)) = (&pre_info, experiment_cut) {
        for col in columns.iter().filter(|c| roles.metrics.contains(&c.name)) {
            step(&format!("CUPED of {}", col.name))?;
            let cc = super::cuped::cells(&staged, all_src, roles, &col.name, later, cut, &names)?;
            cuped_of.insert(col.name.clone(), cc);
        }
    }
    for &t in &treatments {
        for (col, constant, cells) in &cells_of {
            if let Some(cc) = cuped_of.get(&col.name) {
                let count = |g: usize, mask: u64, need: bool| -> u64 {
                    cc.pairs
                        .iter()
                        .filter(|((gn, m, has), _)| {
                            *gn == names[g] && m & mask != 0 && (!need || *has)
                        })
                        .map(|(_, n)| *n)
                        .sum()
                };
                let cells = crate::analysis::rollout::cuped_rows::CupedCells {
                    moments: &cc.moments,
                    with_covariate: &cc.with_covariate,
                };
                tests.push(crate::analysis::rollout::cuped_rows::column_counted(
                    col,
                    &ua,
                    t,
                    &cells,
                    &count,
                    &mut per_stage,
                ));
                continue;
            }
            tests.push(column_tests(
                col,
                *constant,
                &ua,
                t,
                cells,
                &distinct,
                &mut per_stage,
            ));
        }
    }
    let (mut stages, srm) = stage_results(&ua, per_stage, &stage_req, &stage_units);
    // latency percentile tests from pushed-down order statistics and per-user counts
    let quantile_tests = match (&roles.latency, &inputs.latency_name) {
        (Some(l), Some(name)) => {
            step("latency percentiles")?;
            let stats =
                super::quantiles::stage_stats(&staged, roles, l, later, &names, inputs.alpha)?;
            let (per_stage_q, combined) =
                crate::analysis::quantile_tests::tests(&stats, name, &names, control, &inputs);
            for (stage, q) in stages.iter_mut().zip(per_stage_q) {
                stage.quantile_tests = q;
            }
            combined
        }
        _ => Vec::new(),
    };
    step("timeline")?;
    let timeline = if roles.timestamp.is_some() {
        timeline(src, roles, bucket_s, &names)?
    } else {
        Timeline {
            bucket: crate::plan::duration::format_bucket(bucket_s),
            bucket_seconds: bucket_s,
            rows: Vec::new(),
            lift_over_time: Vec::new(),
        }
    };
    // the primary metric's lift at every bucket end (as the local engine: with a primary
    // metric and a timestamp)
    let mut timeline = timeline;
    if let (Some(p), Some(_)) = (&primary, &roles.timestamp) {
        if let Some((col, constant, _)) = cells_of.iter().find(|(c, _, _)| &c.name == p) {
            step("lift over time")?;
            use crate::analysis::rollout::lift::{lifts_from_cells, LiftForm};
            let form = if cuped_of.contains_key(p) {
                LiftForm::Cuped
            } else if *constant {
                LiftForm::Mean
            } else {
                LiftForm::Ratio
            };
            let mut emit_at: Vec<i64> = timeline.rows.iter().map(|r| r.start_us).collect();
            emit_at.sort_unstable();
            emit_at.dedup();
            let at = super::lift::running_cells(
                &staged,
                all_src,
                roles,
                &col.column,
                later,
                &names,
                bucket_s as i64 * 1_000_000,
                form,
                experiment_cut,
                &emit_at,
            )?;
            timeline.lift_over_time = lifts_from_cells(&ua, &at, form, &col.name);
        }
    }
    let segment_columns = cfg
        .segments
        .clone()
        .unwrap_or_else(|| roles.segments.clone());
    let segments = segments(
        src,
        roles,
        &segment_columns,
        &names,
        control,
        &inputs,
        plan.correction,
    )?;
    let fallbacks = fallbacks(src, roles, &names, control)?;
    let aucs = auc_per_group(src, roles, &names)?;
    // group summaries; users per group are the (user, group) pairs, as the local engine
    let total: u64 = requests.iter().sum();
    let users_per_group: Vec<u64> = group_aggs.iter().map(|g| g.users).collect();
    let mut summaries: Vec<GroupSummary> = group_aggs
        .iter()
        .zip(&users_per_group)
        .zip(&fallbacks)
        .zip(&aucs)
        .map(|(((g, users), fallbacks), auc)| GroupSummary {
            name: g.name.clone(),
            models: g.models.clone(),
            versions: g.versions.clone(),
            requests: g.requests,
            share: g.requests as f64 / total.max(1) as f64,
            users: *users,
            errors: g.errors,
            error_rate: g.errors as f64 / g.requests.max(1) as f64,
            fallbacks: *fallbacks,
            latency_ms: g.latency_ms,
            metrics: g.metrics.clone(),
            mean_score: g.mean_score,
            auc: *auc,
        })
        .collect();
    let assignment = Assignment {
        users: masks.users,
        users_in_multiple_groups: masks.leaked,
        users_moved_at_ramp: masks.moved,
    };
    let guards = guardrails::guardrails(plan, inputs.inference, &tests, &quantile_tests);
    // the sample size from the primary test's variance (users are the unit)
    let metric_kinds: Vec<(String, MetricKind)> = columns
        .iter()
        .filter(|c| roles.metrics.contains(&c.name))
        .map(|c| (c.name.clone(), c.kind))
        .collect();
    let power = crate::analysis::power::power_result(
        &metric_kinds,
        plan,
        inputs.inference,
        UnitKind::User,
        primary.as_deref(),
        &BTreeMap::new(),
        &tests,
        control,
    );
    let mut checks = checks::run_checks(
        plan,
        &summaries,
        control,
        srm.as_ref(),
        stages.len(),
        &assignment,
        power.as_ref(),
        &guards,
    );
    checks.extend(crate::analysis::inference_checks::metric_guardrails_check(
        plan, &guards,
    ));
    checks.extend(crate::analysis::inference_checks::cuped_check(
        plan.cuped,
        pre_info.as_ref(),
        UnitKind::User,
        &tests,
    ));
    checks.push(checks::stages_check(
        plan.ramp.as_ref().map(Vec::len),
        stages.len(),
        !plan.stages.is_empty(),
    ));
    if let Some(h) = checks::heterogeneity_check(&tests, plan.alpha) {
        checks.push(h);
    }
    let recommendation = recommend::recommend(plan, &checks, &tests, &guards, primary.as_deref());
    let ctrl = summaries.remove(control);
    summaries.insert(0, ctrl);
    let mut columns_by_role: BTreeMap<Role, String> = BTreeMap::new();
    columns_by_role.insert(Role::Group, roles.group.clone());
    columns_by_role.insert(Role::UserId, user.clone());
    for (role, c) in [
        (Role::Timestamp, &roles.timestamp),
        (Role::Latency, &roles.latency),
        (Role::Error, &roles.error),
        (Role::Model, &roles.model),
        (Role::Version, &roles.version),
        (Role::Score, &roles.score),
        (Role::Label, &roles.label),
    ] {
        if let Some(c) = c {
            columns_by_role.insert(role, c.clone());
        }
    }
    let not_pushed_down = ["CUPED from a declared covariate column or pre-period files"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (queries, bytes) = src.client.usage();
    Ok(ExperimentReport {
        verdict_version: env!("CARGO_PKG_VERSION").to_string(),
        input: InputSummary {
            files: vec![src.url.shown()],
            format: InputFormat::Clickhouse,
            rows_read: total,
            rows_valid: total,
            rows_rejected: 0,
            rejected_by_reason: Default::default(),
            rejected: Vec::new(),
            lines_skipped: 0,
        },
        columns: columns_by_role,
        segment_columns,
        metrics: columns
            .iter()
            .filter(|c| roles.metrics.contains(&c.name))
            .map(|c| MetricInfo {
                name: c.name.clone(),
                kind: c.kind,
                primary: primary.as_deref() == Some(c.name.as_str()),
            })
            .collect(),
        control: names[control].clone(),
        control_source,
        primary_metric: primary.clone(),
        alpha: plan.alpha,
        inference: inputs.inference,
        sequential_tuning: plan.sequential_tuning,
        pre_period: pre_info,
        correction: plan.correction,
        groups: summaries,
        unit: UnitInfo {
            kind: UnitKind::User,
            column: Some(user),
            source: UnitSource::Detected,
        },
        stages,
        errors_unattributed: 0,
        events: Vec::new(),
        events_total: 0,
        srm,
        assignment,
        tests,
        quantile_tests,
        guardrails: guards,
        power,
        segments,
        timeline,
        checks,
        recommendation,
        backend: Some(BackendInfo {
            kind: "clickhouse".into(),
            table: src.url.shown(),
            queries: queries - queries0,
            bytes_received: bytes - bytes0,
            not_pushed_down,
        }),
    })
}
