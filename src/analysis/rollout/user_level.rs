//! The user as the unit: stages declared or detected, per-stage ratio tests on per-user
//! sums, combined across stages; SRM and leakage counted on users per stage.

use super::cuped::{Covariate, Covariates};
use super::plan_stages::{declared_boundaries, detect_boundaries, expected_shares, Boundaries};
use super::stage_rows::unit_analysis;
use super::units::UserGroups;
use super::{Staged, TestedColumn, UnitAnalysis};
use crate::analysis::columns::{bool_col, str_col, Codes, NO_CODE};
use crate::analysis::error::AnalysisError;
use crate::analysis::hypothesis::TestInputs;
use crate::analysis::pre_period::PrePeriod;
use crate::analysis::quantile_tests::{latency_tests, Layout};
use crate::ingest::normalize::{GROUP_BY_TIME, TS_US, USER};
use crate::ingest::Dataset;
use crate::plan::rollout::timestamp_us;
use crate::plan::Plan;
use crate::report::Assignment;

/// The unit-level analysis.
#[allow(clippy::too_many_arguments)]
pub fn analysis(
    ds: &Dataset,
    groups: &Codes,
    control: usize,
    shares: &[f64],
    columns: &[TestedColumn],
    inputs: &TestInputs,
    plan: &Plan,
    pre: Option<&PrePeriod>,
    buckets: Option<super::lift::Buckets>,
) -> Result<Staged, AnalysisError> {
    let ts = crate::analysis::columns::i64_col(&ds.frame, TS_US)?;
    let users = str_col(&ds.frame, USER)?;
    let errors = bool_col(&ds.frame, crate::ingest::normalize::IS_ERROR)?;
    let t0 = std::time::Instant::now();
    let pairs = UserGroups::of(users, &groups.codes, ts, errors);
    crate::ingest::timing("rollout/pairs", t0);
    let t0 = std::time::Instant::now();
    let start = plan
        .experiment_start
        .as_deref()
        .map(|s| timestamp_us("experiment_start", s))
        .transpose()?;
    let boundaries = if !plan.stages.is_empty() {
        let starts = plan
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| timestamp_us(&format!("stages[{i}].start"), &s.start))
            .collect::<Result<Vec<i64>, _>>()?;
        declared_boundaries(&starts, ts.iter().flatten().max().unwrap_or(0))
    } else {
        detect_boundaries(&groups.codes, control as u32, &pairs, start).unwrap_or(Boundaries {
            starts: vec![start.unwrap_or(0)],
            end: start.unwrap_or(0),
        })
    };
    crate::ingest::timing("rollout/stages", t0);
    let expected = expected_shares(
        &groups.names,
        control,
        boundaries.len(),
        plan.ramp.as_deref(),
        &plan.stages,
        Some(shares),
    );
    let row_stage = boundaries.row_stages(pairs.ts());
    let regroup = if boundaries.len() > 1 {
        let by_time = bool_col(&ds.frame, GROUP_BY_TIME)?;
        within_stage_attribution(&pairs, &row_stage, &groups.codes, errors, by_time)
    } else {
        Vec::new()
    };
    if !regroup.is_empty() {
        // the caller re-runs the analysis with these rows' groups corrected
        return Ok(Staged {
            stages: Vec::new(),
            tests: Vec::new(),
            lift: Vec::new(),
            quantile_tests: Vec::new(),
            srm: None,
            assignment: None,
            users_per_group: Vec::new(),
            regroup,
        });
    }
    let ua = UnitAnalysis {
        groups,
        control,
        inputs,
        boundaries: &boundaries,
        expected: &expected,
        srm_alpha: plan.guardrails.srm_alpha,
        buckets,
    };
    let covariates = pre.map(|pre| covariates(pre, &pairs, columns));
    // the percentile tests sort latencies: beside the unit sums, on their own thread
    let (out, quantiles) = std::thread::scope(|scope| {
        let q = std::thread::Builder::new()
            .name("verdict-quantiles".into())
            .spawn_scoped(scope, || {
                let t0 = std::time::Instant::now();
                let r = latency_tests(
                    ds,
                    &Layout {
                        codes: &groups.codes,
                        stage: Some(&row_stage),
                        cluster: Some((&pairs.of_row, pairs.len())),
                        stages: boundaries.len(),
                        groups: groups.names.len(),
                    },
                    &groups.names,
                    control,
                    inputs,
                );
                crate::ingest::timing("rollout/quantiles", t0);
                r
            });
        let out = unit_analysis(ds, &ua, &pairs, &row_stage, columns, covariates.as_ref());
        let q = match q {
            Ok(h) => h.join().unwrap_or(Err(AnalysisError::ThreadPanicked)),
            Err(e) => Err(AnalysisError::ThreadStart(e.to_string())),
        };
        (out, q)
    });
    let mut out = out?;
    let (per_stage_q, quantile_tests) = quantiles?;
    for (stage, q) in out.stages.iter_mut().zip(per_stage_q) {
        stage.quantile_tests = q;
    }
    let mut users_per_group = vec![0u64; groups.names.len()];
    for &g in &pairs.group {
        users_per_group[g as usize] += 1;
    }
    Ok(Staged {
        stages: out.stages,
        tests: out.tests,
        lift: out.lift,
        quantile_tests,
        srm: out.srm,
        assignment: Some(Assignment {
            users: out.users,
            users_in_multiple_groups: out.users_in_multiple_groups,
            users_moved_at_ramp: out.users_moved_at_ramp,
        }),
        users_per_group,
        regroup: Vec::new(),
    })
}

/// Each pair's user's pre-period total of every metric (0 without pre-period rows).
fn covariates(pre: &PrePeriod, pairs: &UserGroups, columns: &[TestedColumn]) -> Covariates {
    let idx: Vec<Option<u32>> = pairs
        .user
        .iter()
        .map(|u| pre.index.get(u).copied())
        .collect();
    Covariates {
        columns: columns
            .iter()
            .map(|c| {
                let sums = pre.metric(&c.name).filter(|_| c.column.starts_with("m:"))?;
                Some(Covariate {
                    value: idx
                        .iter()
                        .map(|i| i.map_or(0.0, |i| sums[i as usize]))
                        .collect(),
                })
            })
            .collect(),
        has: idx.iter().map(Option::is_some).collect(),
    }
}

/// Error rows charged to a group by their user's nearest assignment in time are re-checked
/// within their stage: the nearest assignment of the same user in the same stage (ties to the
/// earlier) decides, and without one the error cannot be attributed. Returns the rows whose
/// group changes: (row, new group code or None).
fn within_stage_attribution(
    pairs: &UserGroups,
    row_stage: &[u16],
    codes: &[u32],
    is_error: &polars::prelude::BooleanChunked,
    by_time: &polars::prelude::BooleanChunked,
) -> Vec<(usize, Option<u32>)> {
    use std::collections::HashMap;
    let fixes: Vec<usize> = by_time
        .iter()
        .enumerate()
        .filter(|(r, b)| *b == Some(true) && pairs.of_row[*r] != NO_CODE)
        .map(|(r, _)| r)
        .collect();
    if fixes.is_empty() {
        return Vec::new();
    }
    let user_of = |r: usize| pairs.user[pairs.of_row[r] as usize];
    let mut by_user: HashMap<u64, Vec<usize>> = HashMap::new();
    for &r in &fixes {
        by_user.entry(user_of(r)).or_default().push(r);
    }
    // best (distance, time, group) per fix row
    let mut best: HashMap<usize, (i64, i64, u32)> = HashMap::new();
    for (i, e) in is_error.iter().enumerate() {
        if e == Some(true) || pairs.of_row[i] == NO_CODE || pairs.ts()[i] == super::units::NO_TS {
            continue;
        }
        let Some(list) = by_user.get(&user_of(i)) else {
            continue;
        };
        for &r in list {
            if row_stage[r] != row_stage[i] || pairs.ts()[r] == super::units::NO_TS {
                continue;
            }
            let d = (pairs.ts()[i] - pairs.ts()[r]).abs();
            let cand = (d, pairs.ts()[i], codes[i]);
            if best.get(&r).is_none_or(|b| (cand.0, cand.1) < (b.0, b.1)) {
                best.insert(r, cand);
            }
        }
    }
    fixes
        .into_iter()
        .filter_map(|r| {
            let new = best.get(&r).map(|b| b.2);
            (new != Some(codes[r])).then_some((r, new))
        })
        .collect()
}
