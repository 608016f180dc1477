//! The request as the unit: one stage spanning the log, request-level tests (z for 0/1
//! metrics, Welch for the others) and the request SRM, exactly as before stages existed.

use super::{column_values, Staged, TestedColumn};
use crate::analysis::columns::{moments_by, Codes};
use crate::analysis::error::AnalysisError;
use crate::analysis::groups::GroupStats;
use crate::analysis::hypothesis::{build_tests, TestInputs, TestedMoments};
use crate::analysis::quantile_tests::{latency_tests, Layout};
use crate::analysis::srm::srm_result;
use crate::analysis::timeline::time_range_us;
use crate::ingest::time::format_timestamp_us;
use crate::ingest::Dataset;
use crate::report::{StageResult, StageSrm};

/// The request-level analysis of the whole log.
#[allow(clippy::too_many_arguments)]
pub fn analysis(
    ds: &Dataset,
    groups: &Codes,
    control: usize,
    requests: &[u64],
    shares: &[f64],
    stats: &GroupStats,
    columns: &[TestedColumn],
    inputs: &TestInputs,
    srm_alpha: f64,
) -> Result<Staged, AnalysisError> {
    let names = &groups.names;
    let k = names.len();
    let mut tested = Vec::with_capacity(columns.len());
    for col in columns {
        // the group summaries already hold the metric and latency moments
        let moments = if let Some(m) = ds.metrics.iter().find(|m| m.name == col.name) {
            stats.metrics[&m.name].clone()
        } else if col.column == crate::ingest::normalize::LATENCY_MS {
            stats.latency.clone()
        } else {
            moments_by(&groups.codes, k, &column_values(ds, col)?)
        };
        tested.push(TestedMoments {
            name: col.name.clone(),
            kind: col.kind,
            lower_is_better: col.lower_is_better,
            moments,
        });
    }
    let tests = build_tests(names, control, &tested, inputs);
    let (mut per_stage_q, quantile_tests) = latency_tests(
        ds,
        &Layout {
            codes: &groups.codes,
            stage: None,
            cluster: None,
            stages: 1,
            groups: k,
        },
        names,
        control,
        inputs,
    )?;
    let mut srm = srm_result(names, requests, shares, srm_alpha);
    srm.stage = Some(0);
    let (start, end) = time_range_us(ds).map_or((0, 0), |(a, b)| (a, b.saturating_add(1)));
    let total: u64 = requests.iter().sum();
    let stage = StageResult {
        index: 0,
        start: format_timestamp_us(start),
        end: format_timestamp_us(end),
        start_us: start,
        end_us: end,
        requests: total,
        units: names
            .iter()
            .cloned()
            .zip(requests.iter().copied())
            .collect(),
        observed_share: names
            .iter()
            .cloned()
            .zip(requests.iter().map(|&r| r as f64 / total.max(1) as f64))
            .collect(),
        expected_share: Some(srm.expected_share.clone()),
        srm: Some(StageSrm {
            chi2: srm.chi2,
            df: srm.df,
            p_value: srm.p_value,
            mismatch: srm.mismatch,
        }),
        srm_reason: None,
        tests: tests.clone(),
        quantile_tests: per_stage_q.pop().unwrap_or_default(),
    };
    Ok(Staged {
        stages: vec![stage],
        tests,
        quantile_tests,
        srm: Some(srm),
        assignment: None,
        users_per_group: Vec::new(),
        regroup: Vec::new(),
    })
}
