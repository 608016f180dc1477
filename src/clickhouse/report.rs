//! The experiment report from pushed-down aggregates: the same [`ExperimentReport`] the
//! local engine makes, its statistics computed by the same functions from the same
//! sufficient statistics — per-group counts and exact latency percentiles, stages detected
//! from per-interval counts, per (stage, group) unit moments of every tested column, unit
//! counts, leakage, per bucket × group counts — with only those aggregates coming back.
//! Users are the unit (the table needs a user column). CUPED's covariate is the table's
//! rows before the experiment start or a declared covariate column; a plan's pre-period
//! files cannot be joined on the server: the report's `backend.not_pushed_down` says so.

use super::aggregates::{self, Roles, Source};
use super::error::ClickHouseError;
use super::moments::{unit_moments_of, units_per_cell, user_column};
use super::report_groups::{auc_per_group, fallbacks, segments, timeline};
use super::report_units::{
    constant_per_user, pair_masks, stage_requests, tested_columns, time_range,
};
use crate::analysis::columns::Codes;
use crate::analysis::hypothesis::TestInputs;
use crate::analysis::rollout::plan_stages::{declared_boundaries, expected_shares, Boundaries};
use crate::analysis::rollout::stage_rows::{column_tests, stage_results};
use crate::analysis::rollout::unit_stats::RatioMoments;
use crate::analysis::rollout::UnitAnalysis;
use crate::analysis::{checks, guardrails, recommend, settings, AnalysisConfig};
use crate::ingest::{MetricKind, Role};
use crate::plan::rollout::timestamp_us;
use crate::report::{
    Assignment, BackendInfo, ExperimentReport, GroupSummary, InputFormat, InputSummary, MetricInfo,
    Timeline, UnitInfo, UnitKind, UnitSource,
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
    let (queries0, bytes0) = src.usage();
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
        (Some(cut), Some(_)) => {
            post = src.since(cut);
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
    // files: errors attributed to a group by time are re-checked within their stage once
    // the stages are known; when any changes, the analysis starts again on the corrected
    // rows (as the local engine's second pass)
    if let Some(sp) = src.spill {
        let changed = crate::stream::attribution::recheck_within_stages(sp, src, &boundaries)
            .map_err(|e| answer_error(src, format!("cannot read the streamed rows back: {e}")))?;
        if changed {
            return analyze(all_src, roles, cfg, progress, cancel);
        }
    }
    let ns = boundaries.len();
    let later: &[i64] = &boundaries.starts[1.min(ns)..];
    // rows before the first stage's start belong to no stage (as `Boundaries::stage_of`)
    let staged = match (&roles.timestamp, boundaries.starts.first()) {
        (Some(_), Some(first)) => src.since(*first),
        _ => src.clone(),
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
    // CUPED's covariate: a declared column (each user's mean over the experiment's rows),
    // else the rows before the experiment start (pre-period files are not pushed down)
    if let Some(c) = &plan.covariate {
        if !roles.metrics.contains(c) {
            return Err(ClickHouseError::Input {
                server: src.server(),
                problem: format!("the plan's covariate `{c}` is not a metric of the table"),
            });
        }
    }
    let pre_info = match (&plan.covariate, experiment_cut, &roles.timestamp) {
        (Some(c), _, _) => Some(super::cuped::column_info(src, roles, c)?),
        (None, Some(cut), Some(_)) if plan.pre_period.is_empty() => {
            super::cuped::pre_period(all_src, roles, cut)?
        }
        _ => None,
    };
    let pre_info = pre_info.filter(|_| plan.cuped.unwrap_or(true));
    // per tested column: (stage, group) unit moments, then the engine's own tests; a
    // covariate is not an outcome (it stays a metric of the report)
    let all_columns = tested_columns(src, roles)?;
    let columns: Vec<_> = all_columns
        .iter()
        .filter(|c| Some(&c.name) != plan.covariate.as_ref())
        .cloned()
        .collect();
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
    let covariate = match (&plan.covariate, experiment_cut) {
        (Some(name), _) => Some(super::cuped::Covariate::Column {
            experiment: src,
            name,
        }),
        (None, Some(cut)) => Some(super::cuped::Covariate::PrePeriod { all: all_src, cut }),
        _ => None,
    };
    if let (Some(_), Some(covariate)) = (&pre_info, &covariate) {
        for col in columns.iter().filter(|c| roles.metrics.contains(&c.name)) {
            step(&format!("CUPED of {}", col.name))?;
            let cc = super::cuped::cells(&staged, covariate, roles, &col.name, later, &names)?;
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
                covariate.as_ref(),
                roles,
                &col.column,
                later,
                &names,
                bucket_s as i64 * 1_000_000,
                form,
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
        &all_columns,
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
    let metric_kinds: Vec<(String, MetricKind)> = all_columns
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
    } else {
        // users are the unit here, as in the local engine's user-level analysis
        checks.push(crate::report::Check::new(
            crate::report::CheckId::Heterogeneity,
            crate::report::Status::Pass,
            "one stage: no effects to compare between stages",
        ));
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
    // files: every role the read found (request id, prediction...), as the local report
    if let Some(sp) = src.spill {
        columns_by_role = sp.columns.clone();
    }
    // what the plan asks for that the server cannot do (files on this machine)
    let mut not_pushed_down: Vec<String> = if plan.pre_period.is_empty() {
        Vec::new()
    } else if src.spill.is_some() {
        vec!["CUPED from the plan's pre-period files (streamed: declare the pre-period as the log's rows before experiment_start, or a covariate column)".into()]
    } else {
        vec!["CUPED from the plan's pre-period files (declare the pre-period as the table's rows before experiment_start, or a covariate column)".into()]
    };
    if let Some(sp) = src.spill.filter(|s| !s.late_columns.is_empty()) {
        not_pushed_down.push(format!(
            "columns first seen after the first {} rows of each file, whose roles were inferred from them: {} (declare them in the plan: [columns] for roles, metrics or segments)",
            crate::report::format::count(sp.first_rows as u64),
            sp.late_columns.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    let (queries, bytes) = src.usage();
    Ok(ExperimentReport {
        verdict_version: env!("CARGO_PKG_VERSION").to_string(),
        input: match src.spill {
            Some(s) => InputSummary {
                files: s.files.clone(),
                format: InputFormat::of(&s.formats),
                rows_read: s.rows_read,
                // the experiment's rows, as the engine counts them: the pre-period split off,
                // the errors dropped within their stage left out
                rows_valid: total,
                rows_rejected: s.rejects.total(),
                rejected_by_reason: s.rejects.by_reason.clone(),
                rejected: s.rejects.examples(&s.files),
                lines_skipped: s.lines_skipped,
            },
            None => InputSummary {
                files: vec![src.url.shown()],
                format: InputFormat::Clickhouse,
                rows_read: total,
                rows_valid: total,
                rows_rejected: 0,
                rejected_by_reason: Default::default(),
                rejected: Vec::new(),
                lines_skipped: 0,
            },
        },
        window: range.map(|(a, b)| crate::report::TimeWindow::from_us(a, b)),
        columns: columns_by_role,
        segment_columns,
        metrics: all_columns
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
        errors_unattributed: src.spill.map_or(0, |sp| {
            sp.overlay.lock().map_or(0, |o| o.dropped_in_stages)
                + sp.rejects
                    .by_reason
                    .get(&crate::ingest::Reason::UnattributedError)
                    .copied()
                    .unwrap_or(0)
        }),
        events: src.spill.map_or_else(Vec::new, |sp| {
            sp.events
                .iter()
                .map(|e| crate::report::EventInfo {
                    time: e.ts_us.map(crate::ingest::time::format_timestamp_us),
                    time_us: e.ts_us,
                    name: e.name.clone(),
                    file: sp
                        .files
                        .get(e.file_id as usize)
                        .cloned()
                        .unwrap_or_default(),
                    line: e.line,
                })
                .collect()
        }),
        events_total: src.spill.map_or(0, |sp| sp.events_total),
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
            kind: if src.spill.is_some() {
                "stream"
            } else {
                "clickhouse"
            }
            .into(),
            table: src.shown(),
            queries: queries - queries0,
            bytes_received: bytes - bytes0,
            not_pushed_down,
        }),
    })
}
