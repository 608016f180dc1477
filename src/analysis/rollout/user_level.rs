//! The user as the unit: stages declared or detected, per-stage ratio tests on per-user
//! sums, combined across stages; SRM and leakage counted on users per stage.

use super::plan_stages::{declared_boundaries, detect_boundaries, expected_shares, Boundaries};
use super::stage_rows::unit_analysis;
use super::units::UserGroups;
use super::{Staged, TestedColumn, UnitAnalysis};
use crate::analysis::columns::{frame_error, str_col, Codes};
use crate::analysis::error::AnalysisError;
use crate::analysis::hypothesis::TestInputs;
use crate::ingest::normalize::{TS_US, USER};
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
) -> Result<Staged, AnalysisError> {
    let ts = ds
        .frame
        .column(TS_US)
        .map_err(frame_error)?
        .as_materialized_series()
        .i64()
        .map_err(frame_error)?
        .clone();
    let users = str_col(&ds.frame, USER)?;
    let errors = crate::analysis::columns::bool_col(&ds.frame, crate::ingest::normalize::IS_ERROR)?;
    let t0 = std::time::Instant::now();
    let pairs = UserGroups::of(users, &groups.codes, &ts, errors);
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
    let row_stage = boundaries.row_stages(&pairs.ts);
    let ua = UnitAnalysis {
        groups,
        control,
        inputs,
        boundaries: &boundaries,
        expected: &expected,
        srm_alpha: plan.guardrails.srm_alpha,
    };
    let out = unit_analysis(ds, &ua, &pairs, &row_stage, columns)?;
    let mut users_per_group = vec![0u64; groups.names.len()];
    for &g in &pairs.group {
        users_per_group[g as usize] += 1;
    }
    Ok(Staged {
        stages: out.stages,
        tests: out.tests,
        srm: out.srm,
        assignment: Some(Assignment {
            users: out.users,
            users_in_multiple_groups: out.users_in_multiple_groups,
            users_moved_at_ramp: out.users_moved_at_ramp,
        }),
        users_per_group,
    })
}
