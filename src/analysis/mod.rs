//! The experiment analysis engine: from a [`Dataset`] to an [`ExperimentReport`].
//!
//! One file per concern: moments and tails in [`stats`], the tests in [`proportions`] and
//! [`welch`], [`srm`], [`power`], [`corrections`], per-group summaries in [`groups`],
//! [`timeline`], [`segments`] and [`checks`].

pub mod cbpe;
pub mod checks;
pub mod columns;
pub mod corrections;
pub mod dist;
pub mod drift;
pub mod error;
pub mod groups;
pub mod guardrails;
pub mod hypothesis;
pub mod inference;
pub mod inference_checks;
pub mod paired;
pub mod power;
pub mod pre_period;
pub mod proportions;
pub mod quantile_stat;
pub mod quantile_tests;
pub mod recommend;
pub mod rollout;
pub mod segments;
pub mod settings;
pub mod shadow;
pub mod srm;
pub mod stats;
pub mod timeline;
pub mod welch;

use crate::ingest::timing;
use crate::ingest::{Dataset, Role};
use crate::plan::Plan;
use crate::report::{ExperimentReport, InputFormat, InputSummary, MetricInfo, UnitKind};
pub use error::AnalysisError;
pub use settings::{choose_control, parse_split, CONTROL_NAMES};

use columns::Codes;
use std::collections::BTreeMap;
use std::time::Instant;

/// What the user asked for beyond the data: the plan plus command-line overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisConfig {
    /// The analysis plan (defaults when none was given).
    pub plan: Plan,
    /// `--control`, which wins over the plan.
    pub control: Option<String>,
    /// `--expected-split`, which wins over the plan.
    pub expected_split: Option<BTreeMap<String, f64>>,
    /// `--bucket`, which wins over the plan.
    pub bucket: Option<String>,
    /// `--segment` columns, which win over the plan and inference.
    pub segments: Option<Vec<String>>,
    /// `--unit`, which wins over the plan.
    pub unit: Option<crate::plan::UnitChoice>,
    /// `--inference`, which wins over the plan.
    pub inference: Option<crate::plan::Inference>,
}

/// Runs the full analysis.
pub fn analyze(ds: &Dataset, cfg: &AnalysisConfig) -> Result<ExperimentReport, AnalysisError> {
    let start = cfg
        .plan
        .experiment_start
        .as_deref()
        .map(|s| crate::plan::rollout::timestamp_us("experiment_start", s))
        .transpose()?;
    let (post, pre) = pre_period::split(ds, start)?;
    if post.frame.height() == 0 && ds.frame.height() > 0 {
        return Err(AnalysisError::NoExperimentRows(
            cfg.plan.experiment_start.clone().unwrap_or_default(),
        ));
    }
    // a declared covariate column stands in for a pre-period
    let pre = match (&cfg.plan.covariate, pre) {
        (Some(c), None) => Some(pre_period::from_column(&post, c)?),
        (_, pre) => pre,
    };
    let cuped = cfg.plan.cuped.unwrap_or(pre.is_some());
    let pre = pre.filter(|_| cuped);
    analyze_pass(&post, cfg, 0, true, pre.as_ref())
}

/// One pass of the analysis. With the user as the unit, error events charged to a group
/// by time may belong to another group in their stage: then the dataset is corrected once
/// (`may_regroup`) and analysed again; `unattributed` counts the errors dropped so far.
fn analyze_pass(
    ds: &Dataset,
    cfg: &AnalysisConfig,
    unattributed: u64,
    may_regroup: bool,
    pre: Option<&pre_period::PrePeriod>,
) -> Result<ExperimentReport, AnalysisError> {
    let plan = &cfg.plan;
    let groups = Codes::groups(&ds.frame)?;
    let k = groups.names.len();
    if k < 2 {
        return Err(AnalysisError::SingleGroup(
            groups.names.first().cloned().unwrap_or_default(),
        ));
    }
    let mut requests = vec![0u64; k];
    for c in &groups.codes {
        requests[*c as usize] += 1;
    }
    // every setting is checked against the data before the heavy work starts
    let (control, control_source) = choose_control(&groups.names, &requests, cfg)?;
    let primary = settings::primary_metric(ds, plan)?;
    let seg_cols = settings::segment_columns(ds, cfg)?;
    let bucket_s = settings::bucket_seconds(cfg)?;
    // the timeline's bucket, resolved here so the lift over time uses the same
    let range = timeline::time_range_us(ds);
    let bucket_s = Some(bucket_s.unwrap_or_else(|| {
        range
            .map(|(a, b)| timeline::auto_bucket(b.saturating_sub(a)))
            .unwrap_or(3600)
    }));
    let buckets = match (range, bucket_s) {
        (Some((t_min, _)), Some(b)) if primary.is_some() => {
            let span_us = b as i64 * 1_000_000;
            Some(rollout::lift::Buckets {
                first: t_min.div_euclid(span_us),
                span_us,
            })
        }
        _ => None,
    };
    let shares = settings::expected_shares(&groups.names, cfg)?;
    let inputs = hypothesis::TestInputs {
        alpha: plan.alpha,
        inference: cfg.inference.unwrap_or(plan.inference),
        tuning: plan.sequential_tuning,
        primary: primary.clone(),
        direction: plan.direction,
        latency_name: ds.roles.get(Role::Latency).map(str::to_string),
    };
    // groups, segments and the timeline are independent: run them side by side
    let unit = rollout::resolve_unit(ds, cfg.unit.as_ref(), plan.unit.as_deref())?;
    let mut columns = rollout::tested_columns(ds);
    // a CUPED covariate is not an outcome
    columns.retain(|c| Some(&c.name) != plan.covariate.as_ref());
    // the unit-level analysis (stages, per-user sums) runs beside the group summaries
    let (stats, segments, timeline, user_level) = std::thread::scope(|scope| {
        let users = (unit.kind == UnitKind::User).then(|| {
            std::thread::Builder::new()
                .name("verdict-rollout".into())
                .spawn_scoped(scope, || {
                    let t0 = Instant::now();
                    let r = rollout::user_level::analysis(
                        ds, &groups, control, &shares, &columns, &inputs, plan, pre, buckets,
                    );
                    timing("rollout", t0);
                    r
                })
        });
        let seg = std::thread::Builder::new()
            .name("verdict-segments".into())
            .spawn_scoped(scope, || {
                let t0 = Instant::now();
                let r =
                    segments::segments(ds, &groups, control, &seg_cols, &inputs, plan.correction);
                timing("segments", t0);
                r
            });
        let tl = std::thread::Builder::new()
            .name("verdict-timeline".into())
            .spawn_scoped(scope, || {
                let t0 = Instant::now();
                let r = timeline::timeline(ds, bucket_s);
                timing("timeline", t0);
                r
            });
        let t0 = Instant::now();
        let stats = groups::summarize(ds, &groups, control, unit.kind == UnitKind::Request);
        timing("groups", t0);
        (
            stats,
            join_analysis(seg),
            join_analysis(tl),
            users.map(join_analysis),
        )
    });
    let stats = stats?;
    let segments = segments?;
    let timeline = timeline?;

    let mut staged = match user_level {
        Some(r) => {
            let s = r?;
            if !s.regroup.is_empty() && may_regroup {
                let (fixed, dropped) = rollout::regroup::regrouped(ds, &groups.names, &s.regroup)?;
                return analyze_pass(&fixed, cfg, unattributed + dropped, false, pre);
            }
            s
        }
        None => rollout::request_level::analysis(
            ds,
            &groups,
            control,
            &requests,
            &shares,
            &stats,
            &columns,
            &inputs,
            plan.guardrails.srm_alpha,
            buckets,
        )?,
    };
    let mut stats = stats;
    let mut assignment = stats.assignment.clone();
    if let Some(a) = staged.assignment.take() {
        assignment = a;
        for (g, s) in stats.summaries.iter_mut().enumerate() {
            s.users = staged.users_per_group.get(g).copied().unwrap_or(0);
        }
    }
    let metric_kinds: Vec<(String, crate::ingest::MetricKind)> = ds
        .metrics
        .iter()
        .map(|m| (m.name.clone(), m.kind))
        .collect();
    let power = power::power_result(
        &metric_kinds,
        plan,
        inputs.inference,
        unit.kind,
        primary.as_deref(),
        &stats.metrics,
        &staged.tests,
        control,
    );
    let guards = guardrails::guardrails(
        plan,
        inputs.inference,
        &staged.tests,
        &staged.quantile_tests,
    );
    let mut checks = checks::run_checks(
        plan,
        &stats.summaries,
        control,
        staged.srm.as_ref(),
        staged.stages.len(),
        &assignment,
        power.as_ref(),
        &guards,
    );
    checks.extend(inference_checks::metric_guardrails_check(plan, &guards));
    let pre_info = pre.map(|p| p.info.clone());
    checks.extend(inference_checks::cuped_check(
        plan.cuped,
        pre_info.as_ref(),
        unit.kind,
        &staged.tests,
    ));
    if unit.kind == UnitKind::User {
        checks.push(checks::stages_check(
            plan.ramp.as_ref().map(Vec::len),
            staged.stages.len(),
            !plan.stages.is_empty(),
        ));
    }
    if let Some(h) = checks::heterogeneity_check(&staged.tests, plan.alpha) {
        checks.push(h);
    } else if unit.kind == UnitKind::User {
        checks.push(crate::report::Check::new(
            crate::report::CheckId::Heterogeneity,
            crate::report::Status::Pass,
            "one stage: no effects to compare between stages",
        ));
    }
    let test_rows = staged.tests;
    let mut timeline = timeline;
    timeline.lift_over_time = staged.lift;
    let recommendation =
        recommend::recommend(plan, &checks, &test_rows, &guards, primary.as_deref());

    // control first, then treatments by name
    let mut summaries = stats.summaries;
    let ctrl = summaries.remove(control);
    summaries.insert(0, ctrl);

    Ok(ExperimentReport {
        verdict_version: env!("CARGO_PKG_VERSION").to_string(),
        input: input_summary(ds),
        window: timeline::time_range_us(ds).map(|(a, b)| crate::report::TimeWindow::from_us(a, b)),
        columns: ds
            .roles
            .columns
            .iter()
            .map(|(r, c)| (*r, c.clone()))
            .collect(),
        segment_columns: ds.segments.clone(),
        metrics: ds
            .metrics
            .iter()
            .map(|m| MetricInfo {
                name: m.name.clone(),
                kind: m.kind,
                primary: primary.as_deref() == Some(m.name.as_str()),
            })
            .collect(),
        control: groups.names[control].clone(),
        control_source,
        primary_metric: primary,
        alpha: plan.alpha,
        inference: inputs.inference,
        sequential_tuning: plan.sequential_tuning,
        pre_period: pre
            .filter(|_| unit.kind == UnitKind::User)
            .map(|p| p.info.clone()),
        correction: plan.correction,
        groups: summaries,
        unit,
        stages: staged.stages,
        errors_unattributed: unattributed
            + ds.rejects
                .by_reason
                .get(&crate::ingest::Reason::UnattributedError)
                .copied()
                .unwrap_or(0),
        events: ds
            .events
            .iter()
            .take(crate::report::MAX_EVENTS)
            .map(|e| crate::report::EventInfo {
                time: e.ts_us.map(crate::ingest::time::format_timestamp_us),
                time_us: e.ts_us,
                name: e.name.clone(),
                file: ds
                    .files
                    .get(e.file_id as usize)
                    .cloned()
                    .unwrap_or_default(),
                line: e.line,
            })
            .collect(),
        events_total: ds.events.len() as u64,
        srm: staged.srm,
        assignment,
        tests: test_rows,
        quantile_tests: staged.quantile_tests,
        guardrails: guards.clone(),
        power,
        segments,
        timeline,
        checks,
        recommendation,
        backend: None,
    })
}

/// A worker's result; a thread that could not start or panicked is an error, not a panic.
fn join_analysis<T>(
    h: std::io::Result<std::thread::ScopedJoinHandle<'_, Result<T, AnalysisError>>>,
) -> Result<T, AnalysisError> {
    match h {
        Ok(h) => h.join().unwrap_or(Err(AnalysisError::ThreadPanicked)),
        Err(e) => Err(AnalysisError::ThreadStart(e.to_string())),
    }
}

/// The input section of a report.
pub fn input_summary(ds: &Dataset) -> InputSummary {
    InputSummary {
        files: ds.files.clone(),
        format: InputFormat::of(&ds.formats),
        rows_read: ds.rows_read,
        rows_valid: ds.frame.height() as u64,
        rows_rejected: ds.rejects.total(),
        rejected_by_reason: ds.rejects.by_reason.iter().map(|(r, n)| (*r, *n)).collect(),
        rejected: ds.rejects.examples(&ds.files),
        lines_skipped: ds.lines_skipped,
    }
}
