//! The request as the unit: one stage spanning the log, request-level tests (z for 0/1
//! metrics, Welch for the others) and the request SRM, exactly as before stages existed.

use super::lift::Buckets;
use super::{column_values, Staged, TestedColumn};
use crate::analysis::columns::{moments_by, Codes};
use crate::analysis::error::AnalysisError;
use crate::analysis::groups::GroupStats;
use crate::analysis::hypothesis::{build_tests, TestInputs, TestedMoments};
use crate::analysis::quantile_tests::{latency_tests, Layout};
use crate::analysis::srm::srm_result;
use crate::analysis::stats::Moments;
use crate::analysis::timeline::time_range_us;
use crate::ingest::time::format_timestamp_us;
use crate::ingest::Dataset;
use crate::report::{LiftOverTime, StageResult, StageSrm};

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
    buckets: Option<Buckets>,
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
    let lift = match (
        buckets,
        columns
            .iter()
            .find(|c| Some(&c.name) == inputs.primary.as_ref()),
    ) {
        (Some(b), Some(col)) => lift_over_time(ds, groups, control, col, b, inputs)?,
        _ => Vec::new(),
    };
    Ok(Staged {
        stages: vec![stage],
        tests,
        lift,
        quantile_tests,
        srm: Some(srm),
        assignment: None,
        users_per_group: Vec::new(),
        regroup: Vec::new(),
    })
}

/// Chan et al.'s merge of two sets' moments.
fn merge(a: &Moments, b: &Moments) -> Moments {
    if a.n == 0 {
        return *b;
    }
    if b.n == 0 {
        return *a;
    }
    let n = a.n + b.n;
    let (na, nb, nf) = (a.n as f64, b.n as f64, n as f64);
    let d = b.mean - a.mean;
    let m2 = |m: &Moments| {
        if m.n > 1 {
            m.var * (m.n - 1) as f64
        } else {
            0.0
        }
    };
    let m2 = m2(a) + m2(b) + d * d * na * nb / nf;
    Moments {
        n,
        sum: a.sum + b.sum,
        mean: a.mean + d * nb / nf,
        var: if n > 1 { m2 / (nf - 1.0) } else { f64::NAN },
    }
}

/// The primary metric's request-level test on the rows through every bucket's end.
pub fn lift_over_time(
    ds: &Dataset,
    groups: &Codes,
    control: usize,
    col: &TestedColumn,
    buckets: Buckets,
    inputs: &TestInputs,
) -> Result<Vec<LiftOverTime>, AnalysisError> {
    let k = groups.names.len();
    let ts = crate::analysis::columns::i64_col(&ds.frame, crate::ingest::normalize::TS_US)?;
    let b_of = |t: i64| (t.div_euclid(buckets.span_us) - buckets.first).max(0) as usize;
    let nb = ts.iter().flatten().map(b_of).max().map_or(0, |b| b + 1);
    if nb == 0 || nb.saturating_mul(k) > crate::analysis::timeline::MAX_CELLS {
        return Ok(Vec::new());
    }
    let keys: Vec<u32> = ts
        .iter()
        .zip(&groups.codes)
        .map(|(t, g)| match t {
            Some(t) if *g != crate::analysis::columns::NO_CODE => {
                (b_of(t) * k + *g as usize) as u32
            }
            _ => crate::analysis::columns::NO_CODE,
        })
        .collect();
    let cells = moments_by(&keys, nb * k, &column_values(ds, col)?);
    let mut cum = vec![Moments::of(&[]); k];
    let mut out = Vec::new();
    for b in 0..nb {
        let mut any = false;
        for g in 0..k {
            let c = &cells[b * k + g];
            any |= c.n > 0;
            cum[g] = merge(&cum[g], c);
        }
        if !any {
            continue;
        }
        let tested = TestedMoments {
            name: col.name.clone(),
            kind: col.kind,
            lower_is_better: col.lower_is_better,
            moments: cum.clone(),
        };
        let start_us = (buckets.first + b as i64) * buckets.span_us;
        for row in build_tests(&groups.names, control, &[tested], inputs) {
            out.push(LiftOverTime {
                start: format_timestamp_us(start_us),
                start_us,
                metric: row.metric,
                treatment: row.treatment,
                diff: row.diff,
                ci_low: row.ci_low,
                ci_high: row.ci_high,
            });
        }
    }
    Ok(out)
}
