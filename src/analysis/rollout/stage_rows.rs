//! Per-stage unit-level tests, their combination across stages, per-stage SRM on units,
//! and the users who leaked (two groups in one stage) or moved at a ramp boundary.

use super::combined::{left_out_stage, single_or_untested};
use super::cuped::{self, Covariates};
use super::cuped_rows;
use super::lift;
use super::unit_stats::{combine, two_sided_t, Estimate, RatioMoments, UnitStatistic, UnitTest};
use super::units::{cell_moments, Units, UserGroups};
use super::{unit_column, TestedColumn, UnitAnalysis};
use crate::analysis::error::AnalysisError;
use crate::analysis::hypothesis::{empty_row, finish_row, finite};
use crate::analysis::inference::Spread;
use crate::analysis::srm::chi_square_gof;
use crate::ingest::time::format_timestamp_us;
use crate::ingest::Dataset;
use crate::report::{Heterogeneity, SrmResult, StageResult, StageSrm, TestMethod, TestResult};
use std::collections::BTreeMap;

/// What the unit-level analysis produced.
#[derive(Debug, Clone)]
pub struct UnitOutcome {
    /// The primary metric's lift at every bucket end.
    pub lift: Vec<crate::report::LiftOverTime>,
    /// One per stage.
    pub stages: Vec<StageResult>,
    /// One per (treatment, metric): combined across stages.
    pub tests: Vec<TestResult>,
    /// The stage SRM with the smallest p-value (None when no stage has a known split).
    pub srm: Option<SrmResult>,
    /// Distinct users.
    pub users: u64,
    /// Users in two groups within one stage.
    pub users_in_multiple_groups: u64,
    /// Users whose group changed between stages.
    pub users_moved_at_ramp: u64,
}

/// Runs the per-stage tests and combines them.
pub fn unit_analysis(
    ds: &Dataset,
    ua: &UnitAnalysis,
    pairs: &UserGroups,
    row_stage: &[u16],
    columns: &[TestedColumn],
    covariates: Option<&Covariates>,
) -> Result<UnitOutcome, AnalysisError> {
    let names = &ua.groups.names;
    let k = names.len();
    let b = ua.boundaries;
    let ns = b.len();
    let t0 = std::time::Instant::now();
    let values = columns
        .iter()
        .map(|c| unit_column(ds, c))
        .collect::<Result<Vec<_>, _>>()?;
    let units = Units::of(pairs, row_stage, |t| b.stage_of(t), &values);
    crate::ingest::timing("rollout/units", t0);
    let t0 = std::time::Instant::now();
    let mut stage_requests = vec![0u64; ns];
    for &s in row_stage {
        if (s as usize) < ns {
            stage_requests[s as usize] += 1;
        }
    }
    let mut stage_units = vec![0u64; ns * k];
    for u in 0..units.len() {
        if units.rows[u] > 0 {
            let g = pairs.group[units.pair[u] as usize] as usize;
            stage_units[units.stage[u] as usize * k + g] += 1;
        }
    }
    // per column: per-stage rows and the combined row, for every treatment
    let mut per_stage: Vec<Vec<TestResult>> = vec![Vec::new(); ns];
    let mut combined = Vec::new();
    let treatments: Vec<usize> = (0..k).filter(|&g| g != ua.control).collect();
    let mut cols = Vec::with_capacity(columns.len());
    for (i, (col, sums)) in columns.iter().zip(&units.sums).enumerate() {
        let cells = cell_moments(&units, pairs, sums, ns, k);
        // CUPED: (post, pre) moments per cell, and units with a covariate
        let cuped = covariates.and_then(|c| {
            let cov = c.columns.get(i)?.as_ref()?;
            Some(cuped::cells(&units, pairs, sums, cov, &c.has, ns, k))
        });
        cols.push((col, sums, cells, cuped));
    }
    crate::ingest::timing("rollout/sums", t0);
    let t0 = std::time::Instant::now();
    for &t in &treatments {
        for (col, sums, cells, cuped) in &cols {
            if let (Some((cc, with)), Some(cov)) = (cuped, covariates) {
                let cells = cuped_rows::CupedCells {
                    moments: cc,
                    with_covariate: with,
                };
                let data = cuped_rows::UnitData {
                    pairs,
                    units: &units,
                    sums,
                    cov,
                };
                combined.push(cuped_rows::column(
                    col,
                    ua,
                    t,
                    &cells,
                    &data,
                    &mut per_stage,
                ));
                continue;
            }
            let distinct = |g: usize, mask: u64| {
                (0..pairs.len())
                    .filter(|&p| pairs.group[p] as usize == g && units_mask(&units, p) & mask != 0)
                    .count() as u64
            };
            combined.push(column_tests(
                col,
                sums.constant_per_user,
                ua,
                t,
                cells,
                &distinct,
                &mut per_stage,
            ));
        }
    }
    crate::ingest::timing("rollout/tests", t0);
    let t0 = std::time::Instant::now();
    let lift = match (
        ua.buckets,
        columns
            .iter()
            .position(|c| Some(&c.name) == ua.inputs.primary.as_ref()),
    ) {
        (Some(buckets), Some(i)) => {
            let t0 = std::time::Instant::now();
            let cov = covariates.and_then(|c| c.columns.get(i)?.as_ref());
            let l = lift::lift_over_time(
                ua,
                pairs,
                &units,
                &values[i],
                units.sums[i].constant_per_user,
                cov,
                buckets,
                &columns[i].name,
            );
            crate::ingest::timing("rollout/lift", t0);
            l
        }
        _ => Vec::new(),
    };
    drop(values);
    let (users, leaked, moved) = leakage(pairs, &units);
    crate::ingest::timing("rollout/leakage", t0);
    let (stages, srm) = stage_results(ua, per_stage, &stage_requests, &stage_units);
    Ok(UnitOutcome {
        stages,
        tests: combined,
        srm,
        users,
        users_in_multiple_groups: leaked,
        users_moved_at_ramp: moved,
        lift,
    })
}

/// One column's tests of treatment `t` against the control: a row per stage with units
/// (pushed into `per_stage`) and the row combined across stages. `cells` are the column's
/// moments per (stage, group), index `stage * k + group`; `distinct(g, stages)` counts the
/// units of group `g` with values in any stage of the bit mask. The same for every back
/// end: the local engine and pushed-down aggregates give the same cells.
pub fn column_tests(
    col: &TestedColumn,
    constant_per_user: bool,
    ua: &UnitAnalysis,
    t: usize,
    cells: &[RatioMoments],
    distinct: &dyn Fn(usize, u64) -> u64,
    per_stage: &mut [Vec<TestResult>],
) -> TestResult {
    let k = ua.groups.names.len();
    let mut stage_tests = Vec::with_capacity(per_stage.len());
    for (s, rows) in per_stage.iter_mut().enumerate() {
        let (Some(a), Some(bm)) = (cells.get(s * k + ua.control), cells.get(s * k + t)) else {
            continue;
        };
        if a.n == 0 && bm.n == 0 {
            continue;
        }
        let (row, test) = unit_row(col, constant_per_user, ua, t, a, bm);
        rows.push(row.clone());
        stage_tests.push((s, row, test));
    }
    combine_stages(col, constant_per_user, ua, t, cells, distinct, &stage_tests)
}

/// The stages of the report: per stage its requests, units per group, observed and
/// expected shares, SRM on units and its tests; and the top-level SRM (the stage with a
/// known split and the smallest p-value). `stage_units` index `stage * k + group`.
pub fn stage_results(
    ua: &UnitAnalysis,
    per_stage: Vec<Vec<TestResult>>,
    stage_requests: &[u64],
    stage_units: &[u64],
) -> (Vec<StageResult>, Option<SrmResult>) {
    let names = &ua.groups.names;
    let k = names.len();
    let b = ua.boundaries;
    let mut stages = Vec::with_capacity(per_stage.len());
    for (s, tests) in per_stage.into_iter().enumerate() {
        let counts: Vec<u64> = stage_units[s * k..(s + 1) * k].to_vec();
        let total: u64 = counts.iter().sum();
        let (expected_share, srm, srm_reason) = match &ua.expected[s] {
            Ok(shares) if total > 0 => {
                let observed: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
                let (_, chi2, p) = chi_square_gof(&observed, shares);
                (
                    Some(by_name(names, shares)),
                    Some(StageSrm {
                        chi2,
                        df: (k - 1) as u64,
                        p_value: p,
                        mismatch: p < ua.srm_alpha,
                    }),
                    None,
                )
            }
            Ok(shares) => (
                Some(by_name(names, shares)),
                None,
                Some("no units in this stage".to_string()),
            ),
            Err(why) => (None, None, Some(why.clone())),
        };
        stages.push(StageResult {
            index: s,
            start: format_timestamp_us(b.starts[s]),
            end: format_timestamp_us(b.end_of(s)),
            start_us: b.starts[s],
            end_us: b.end_of(s),
            requests: stage_requests[s],
            units: names.iter().cloned().zip(counts.iter().copied()).collect(),
            observed_share: names
                .iter()
                .cloned()
                .zip(counts.iter().map(|&c| c as f64 / total.max(1) as f64))
                .collect(),
            expected_share,
            srm,
            srm_reason,
            tests,
            quantile_tests: Vec::new(),
        });
    }
    let srm = worst_srm(&stages, names, stage_units, ua);
    (stages, srm)
}

fn by_name(names: &[String], v: &[f64]) -> BTreeMap<String, f64> {
    let s: f64 = v.iter().sum();
    names.iter().cloned().zip(v.iter().map(|x| x / s)).collect()
}

/// The top-level SRM: the stage with a known split and the smallest p-value.
fn worst_srm(
    stages: &[StageResult],
    names: &[String],
    stage_units: &[u64],
    ua: &UnitAnalysis,
) -> Option<SrmResult> {
    let k = names.len();
    let worst = stages
        .iter()
        .filter_map(|s| s.srm.map(|srm| (s.index, srm)))
        .min_by(|a, b| a.1.p_value.total_cmp(&b.1.p_value))?;
    let (s, srm) = worst;
    let counts = &stage_units[s * k..(s + 1) * k];
    let shares = ua.expected[s].as_ref().ok()?;
    let observed: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    let (expected, _, _) = chi_square_gof(&observed, shares);
    Some(SrmResult {
        observed: names.iter().cloned().zip(counts.iter().copied()).collect(),
        expected: names.iter().cloned().zip(expected).collect(),
        expected_share: by_name(names, shares),
        chi2: srm.chi2,
        df: srm.df,
        p_value: srm.p_value,
        mismatch: srm.mismatch,
        stage: Some(s),
    })
}

/// The gbstats statistic of one cell.
fn statistic(m: &RatioMoments, constant: bool) -> UnitStatistic {
    if constant {
        UnitStatistic {
            n: m.n,
            mean: m.mean_m,
            variance: m.mean_variance(),
            unadjusted_mean: m.mean_m,
        }
    } else {
        UnitStatistic {
            n: m.n,
            mean: m.ratio(),
            variance: m.ratio_variance(),
            unadjusted_mean: m.ratio(),
        }
    }
}

/// One stage's test of treatment `t` against the control.
fn unit_row(
    col: &TestedColumn,
    constant: bool,
    ua: &UnitAnalysis,
    t: usize,
    a: &RatioMoments,
    b: &RatioMoments,
) -> (TestResult, Option<UnitTest>) {
    let method = if constant {
        TestMethod::WelchT
    } else {
        TestMethod::DeltaRatio
    };
    let names = &ua.groups.names;
    let mut row = empty_row(&col.name, method, &names[ua.control], &names[t], ua.inputs);
    let (sa, sb) = (statistic(a, constant), statistic(b, constant));
    row.control_n = a.sum_d.round() as u64;
    row.treatment_n = b.sum_d.round() as u64;
    row.units_control = Some(a.n);
    row.units_treatment = Some(b.n);
    row.control_value = sa.mean;
    row.treatment_value = sb.mean;
    row.diff = sb.mean - sa.mean;
    let mut test = None;
    let mut spread = None;
    if a.n >= 2 && b.n >= 2 {
        let ut = two_sided_t(&sa, &sb, ua.inputs.alpha);
        row.ci_low = finite(ut.ci.0);
        row.ci_high = finite(ut.ci.1);
        row.statistic = finite(ut.t);
        row.df = finite(ut.df);
        row.p_value = finite(ut.p_value);
        set_relative(&mut row, ut.relative, ut.relative_ci);
        spread = Some(Spread {
            variance: ut.variance,
            relative_variance: ut
                .relative_variance
                .is_finite()
                .then_some(ut.relative_variance),
            n: (a.n + b.n) as f64,
        });
        if ut.variance.is_finite() && ut.variance > 0.0 {
            test = Some(ut);
        }
    }
    (finish(row, col, ua, spread.as_ref()), test)
}

pub(super) fn set_relative(row: &mut TestResult, value: f64, ci: (f64, f64)) {
    if row.control_value != 0.0 && value.is_finite() {
        row.relative_lift = Some(value);
        row.relative_lift_ci_low = finite(ci.0);
        row.relative_lift_ci_high = finite(ci.1);
    }
}

pub(super) fn finish(
    row: TestResult,
    col: &TestedColumn,
    ua: &UnitAnalysis,
    spread: Option<&Spread>,
) -> TestResult {
    let mut row = finish_row(row, ua.inputs, spread);
    if col.lower_is_better {
        row.favorable = Some(row.diff < 0.0);
    }
    row
}

/// The combined row: inverse-variance weights over the stages with a test.
fn combine_stages(
    col: &TestedColumn,
    constant: bool,
    ua: &UnitAnalysis,
    t: usize,
    cells: &[RatioMoments],
    distinct: &dyn Fn(usize, u64) -> u64,
    stage_tests: &[(usize, TestResult, Option<UnitTest>)],
) -> TestResult {
    let k = ua.groups.names.len();
    let mut left_out = Vec::new();
    let mut used: Vec<(usize, &TestResult, &UnitTest)> = Vec::new();
    for (s, row, test) in stage_tests {
        match test {
            Some(ut) => used.push((*s, row, ut)),
            None => left_out.push(left_out_stage(
                *s,
                row.units_control.unwrap_or(0),
                row.units_treatment.unwrap_or(0),
            )),
        }
    }
    if used.len() <= 1 {
        return single_or_untested(
            used.first().map(|u| u.1),
            stage_tests.first().map(|x| &x.1),
            TestMethod::DeltaRatio,
            (col, ua, t),
            left_out,
        );
    }
    let abs: Vec<Estimate> = used
        .iter()
        .map(|(_, _, ut)| Estimate {
            value: ut.diff,
            variance: ut.variance,
        })
        .collect();
    let c = combine(&abs, ua.inputs.alpha);
    let merged = |g: usize| {
        used.iter().fold(RatioMoments::default(), |acc, (s, _, _)| {
            acc.merge(&cells[s * k + g])
        })
    };
    let (ma, mb) = (merged(ua.control), merged(t));
    let (sa, sb) = (statistic(&ma, constant), statistic(&mb, constant));
    let mask: u64 = used.iter().fold(0, |m, (s, _, _)| m | 1u64 << (*s).min(63));
    let mut row = (*used[0].1).clone();
    row.control_n = ma.sum_d.round() as u64;
    row.treatment_n = mb.sum_d.round() as u64;
    row.units_control = Some(distinct(ua.control, mask));
    row.units_treatment = Some(distinct(t, mask));
    row.control_value = sa.mean;
    row.treatment_value = sb.mean;
    row.diff = c.value;
    row.ci_low = finite(c.ci.0);
    row.ci_high = finite(c.ci.1);
    row.statistic = finite(c.z);
    row.df = None;
    row.p_value = finite(c.p_value);
    row.relative_lift = None;
    row.relative_lift_ci_low = None;
    row.relative_lift_ci_high = None;
    let n_units: u64 = used
        .iter()
        .map(|(_, r, _)| r.units_control.unwrap_or(0) + r.units_treatment.unwrap_or(0))
        .sum();
    let mut spread = Spread {
        variance: c.variance,
        relative_variance: None,
        n: n_units as f64,
    };
    let rel: Vec<Estimate> = used
        .iter()
        .map(|(_, _, ut)| Estimate {
            value: ut.relative,
            variance: ut.relative_variance,
        })
        .collect();
    if rel
        .iter()
        .all(|e| e.value.is_finite() && e.variance.is_finite() && e.variance > 0.0)
    {
        let r = combine(&rel, ua.inputs.alpha);
        set_relative(&mut row, r.value, r.ci);
        spread.relative_variance = Some(r.variance);
    }
    row.stages_combined = used.len() as u32;
    row.heterogeneity = Some(Heterogeneity {
        q: c.q,
        df: c.q_df,
        p_value: c.q_p_value,
        i2: c.i2,
    });
    row.stages_left_out = left_out;
    finish(row, col, ua, Some(&spread))
}

fn units_mask(units: &Units, pair: usize) -> u64 {
    units.stage_mask[pair]
}

/// (distinct users, users in two groups within a stage, users who changed group between
/// stages only).
fn leakage(pairs: &UserGroups, units: &Units) -> (u64, u64, u64) {
    let (mut users, mut leaked, mut moved) = (0u64, 0u64, 0u64);
    for user in pairs.users() {
        // the groups (pairs) of this user with rows in some stage, and whether two of them
        // share a stage
        let (mut groups, mut seen, mut overlap) = (0u32, 0u64, false);
        for &p in user {
            let m = units.stage_mask[p as usize];
            if m != 0 {
                groups += 1;
                overlap |= seen & m != 0;
                seen |= m;
            }
        }
        if groups == 0 {
            continue;
        }
        users += 1;
        if groups < 2 {
            continue;
        }
        if overlap {
            leaked += 1;
        } else {
            moved += 1;
        }
    }
    (users, leaked, moved)
}
