//! Test rows of CUPED-adjusted metrics: per stage the regression-adjusted test of per-user
//! totals beside the unadjusted one, then both combined across stages with inverse-variance
//! weights (as the ratio tests are).

use super::combined::{left_out_stage, single_or_untested};
use super::cuped::{self, CupedTest};
use super::stage_rows::{finish, set_relative};
use super::unit_stats::{combine, Estimate, RatioMoments, UnitTest};
use super::{TestedColumn, UnitAnalysis};
use crate::analysis::hypothesis::{empty_row, finite};
use crate::analysis::inference::{sequential, Spread};
use crate::plan::Inference;
use crate::report::{CupedInfo, Heterogeneity, StageLeftOut, TestMethod, TestResult, Unadjusted};

/// One stage's CUPED row, with the tests the combination needs.
pub struct StageCuped {
    /// Stage index.
    pub stage: usize,
    /// The row.
    pub row: TestResult,
    /// The adjusted and unadjusted tests (None: a group has < 2 units or no variance).
    pub test: Option<CupedTest>,
    /// Control and treatment cells (post, pre).
    pub cells: (RatioMoments, RatioMoments),
    /// Units with a covariate in this stage (both groups).
    pub with_covariate: u64,
}

/// The unadjusted numbers, following the inference.
fn unadjusted(
    ut: &UnitTest,
    control: f64,
    treatment: f64,
    n: f64,
    ua: &UnitAnalysis,
) -> Unadjusted {
    let s = ua.inputs.settings();
    let (ci, p) = match s.mode {
        Inference::Fixed => (Some(ut.ci), finite(ut.p_value)),
        Inference::Sequential => {
            let q = sequential(
                ut.diff,
                &Spread {
                    variance: ut.variance,
                    relative_variance: None,
                    n,
                },
                &s,
            );
            (q.map(|q| q.ci), q.map(|q| q.p_value))
        }
    };
    Unadjusted {
        control_value: control,
        treatment_value: treatment,
        diff: ut.diff,
        ci_low: ci.and_then(|c| finite(c.0)),
        ci_high: ci.and_then(|c| finite(c.1)),
        p_value: p,
        relative_lift: finite(ut.relative),
    }
}

/// One stage's CUPED test of treatment `t`.
pub fn stage_row(
    col: &TestedColumn,
    ua: &UnitAnalysis,
    t: usize,
    stage: usize,
    cells: (RatioMoments, RatioMoments),
    with_covariate: u64,
) -> StageCuped {
    let names = &ua.groups.names;
    let (a, b) = cells;
    let mut row = empty_row(
        &col.name,
        TestMethod::Cuped,
        &names[ua.control],
        &names[t],
        ua.inputs,
    );
    row.units_control = Some(a.n);
    row.units_treatment = Some(b.n);
    row.control_n = a.n;
    row.treatment_n = b.n;
    row.control_value = a.mean_m;
    row.treatment_value = b.mean_m;
    row.diff = b.mean_m - a.mean_m;
    let mut test = None;
    let mut spread = None;
    if a.n >= 2 && b.n >= 2 {
        let ct = cuped::test(&a, &b, ua.inputs.alpha);
        let adj = ct.adjusted;
        row.control_value = ct.control.mean;
        row.treatment_value = ct.treatment.mean;
        row.diff = adj.diff;
        row.ci_low = finite(adj.ci.0);
        row.ci_high = finite(adj.ci.1);
        row.statistic = finite(adj.t);
        row.df = finite(adj.df);
        row.p_value = finite(adj.p_value);
        set_relative(&mut row, adj.relative, adj.relative_ci);
        let n = (a.n + b.n) as f64;
        spread = Some(Spread {
            variance: adj.variance,
            relative_variance: adj
                .relative_variance
                .is_finite()
                .then_some(adj.relative_variance),
            n,
        });
        // without variance in the post totals there is nothing to reduce
        row.cuped =
            (ct.unadjusted.variance.is_finite() && ct.unadjusted.variance > 0.0).then(|| {
                CupedInfo {
                    theta: ct.theta,
                    variance_reduction: ct.variance_reduction(),
                    users_with_covariate: with_covariate,
                    unadjusted: unadjusted(&ct.unadjusted, a.mean_m, b.mean_m, n, ua),
                }
            });
        if adj.variance.is_finite() && adj.variance > 0.0 && ct.unadjusted.variance > 0.0 {
            test = Some(ct);
        }
    }
    StageCuped {
        stage,
        row: finish(row, col, ua, spread.as_ref()),
        test,
        cells,
        with_covariate,
    }
}

/// The CUPED row combined over the stages with a test.
pub fn combined_row(
    col: &TestedColumn,
    ua: &UnitAnalysis,
    t: usize,
    stages: &[StageCuped],
    users_with_covariate: u64,
    distinct_units: (u64, u64),
) -> TestResult {
    let used: Vec<(&StageCuped, &CupedTest)> = stages
        .iter()
        .filter_map(|s| s.test.as_ref().map(|t| (s, t)))
        .collect();
    let left_out: Vec<StageLeftOut> = stages
        .iter()
        .filter(|s| s.test.is_none())
        .map(|s| left_out_stage(s.stage, s.cells.0.n, s.cells.1.n))
        .collect();
    if used.len() <= 1 {
        return single_or_untested(
            used.first().map(|u| &u.0.row),
            stages.first().map(|s| &s.row),
            TestMethod::Cuped,
            (col, ua, t),
            left_out,
        );
    }
    let est = |f: &dyn Fn(&CupedTest) -> (f64, f64)| -> Vec<Estimate> {
        used.iter()
            .map(|(_, t)| {
                let (value, variance) = f(t);
                Estimate { value, variance }
            })
            .collect()
    };
    let alpha = ua.inputs.alpha;
    let adj = combine(&est(&|t| (t.adjusted.diff, t.adjusted.variance)), alpha);
    let raw = combine(&est(&|t| (t.unadjusted.diff, t.unadjusted.variance)), alpha);
    let n: u64 = used.iter().map(|(s, _)| s.cells.0.n + s.cells.1.n).sum();
    let units = |f: &dyn Fn(&StageCuped) -> u64| used.iter().map(|(s, _)| f(s)).sum::<u64>();
    // the control and treatment values: unit-weighted means of the stages' adjusted means
    let weighted = |f: &dyn Fn(&CupedTest) -> (f64, u64)| {
        let (s, w) = used.iter().fold((0.0, 0u64), |(s, w), (_, t)| {
            let (m, n) = f(t);
            (s + m * n as f64, w + n)
        });
        s / w as f64
    };
    let mut row = used[0].0.row.clone();
    row.units_control = Some(distinct_units.0);
    row.units_treatment = Some(distinct_units.1);
    row.control_n = units(&|s| s.cells.0.n);
    row.treatment_n = units(&|s| s.cells.1.n);
    row.control_value = weighted(&|t| (t.control.mean, t.control.n));
    row.treatment_value = weighted(&|t| (t.treatment.mean, t.treatment.n));
    row.diff = adj.value;
    row.ci_low = finite(adj.ci.0);
    row.ci_high = finite(adj.ci.1);
    row.statistic = finite(adj.z);
    row.df = None;
    row.p_value = finite(adj.p_value);
    row.relative_lift = None;
    row.relative_lift_ci_low = None;
    row.relative_lift_ci_high = None;
    let mut spread = Spread {
        variance: adj.variance,
        relative_variance: None,
        n: n as f64,
    };
    let rel = est(&|t| (t.adjusted.relative, t.adjusted.relative_variance));
    if rel
        .iter()
        .all(|e| e.value.is_finite() && e.variance.is_finite() && e.variance > 0.0)
    {
        let r = combine(&rel, alpha);
        set_relative(&mut row, r.value, r.ci);
        spread.relative_variance = Some(r.variance);
    }
    let raw_ut = UnitTest {
        diff: raw.value,
        variance: raw.variance,
        ci: raw.ci,
        t: raw.z,
        df: f64::INFINITY,
        p_value: raw.p_value,
        relative: {
            let r = combine(
                &est(&|t| (t.unadjusted.relative, t.unadjusted.relative_variance)),
                alpha,
            );
            r.value
        },
        relative_variance: f64::NAN,
        relative_ci: (f64::NAN, f64::NAN),
    };
    let post = |f: &dyn Fn(&StageCuped) -> (f64, u64)| {
        let (s, w) = used.iter().fold((0.0, 0u64), |(s, w), (st, _)| {
            let (m, n) = f(st);
            (s + m * n as f64, w + n)
        });
        s / w as f64
    };
    let theta = weighted(&|t| (t.theta, t.control.n + t.treatment.n));
    row.cuped = Some(CupedInfo {
        theta,
        variance_reduction: 1.0 - adj.variance / raw.variance,
        users_with_covariate,
        unadjusted: unadjusted(
            &raw_ut,
            post(&|s| (s.cells.0.mean_m, s.cells.0.n)),
            post(&|s| (s.cells.1.mean_m, s.cells.1.n)),
            n as f64,
            ua,
        ),
    });
    row.stages_combined = used.len() as u32;
    row.heterogeneity = Some(Heterogeneity {
        q: adj.q,
        df: adj.q_df,
        p_value: adj.q_p_value,
        i2: adj.i2,
    });
    row.stages_left_out = left_out;
    finish(row, col, ua, Some(&spread))
}

/// One column's CUPED cells: (post, pre) moments and units with a covariate per
/// (stage, group).
pub struct CupedCells<'a> {
    /// Moments, index `stage * k + group`.
    pub moments: &'a [RatioMoments],
    /// Units with a covariate, same index.
    pub with_covariate: &'a [u64],
}

/// What the combined row counts its users from.
pub struct UnitData<'a> {
    /// (user, group) pairs.
    pub pairs: &'a super::units::UserGroups,
    /// Units.
    pub units: &'a super::units::Units,
    /// The column's sums per unit.
    pub sums: &'a super::units::UnitSums,
    /// Covariates per pair.
    pub cov: &'a super::cuped::Covariates,
}

/// [`column`] for any back end: `count(g, stages, need_covariate)` counts the (user, group)
/// pairs of group `g` with values of the column in any stage of the bit mask (with a
/// covariate when asked).
pub fn column_counted(
    col: &TestedColumn,
    ua: &UnitAnalysis,
    t: usize,
    cells: &CupedCells,
    count: &dyn Fn(usize, u64, bool) -> u64,
    per_stage: &mut [Vec<TestResult>],
) -> TestResult {
    let k = ua.groups.names.len();
    let mut rows = Vec::with_capacity(per_stage.len());
    for (s, stage_rows) in per_stage.iter_mut().enumerate() {
        let (a, b) = (cells.moments[s * k + ua.control], cells.moments[s * k + t]);
        if a.n == 0 && b.n == 0 {
            continue;
        }
        let with = cells.with_covariate[s * k + ua.control] + cells.with_covariate[s * k + t];
        let row = stage_row(col, ua, t, s, (a, b), with);
        stage_rows.push(row.row.clone());
        rows.push(row);
    }
    let mask = rows
        .iter()
        .filter(|r| r.test.is_some())
        .fold(0u64, |m, r| m | 1u64 << r.stage.min(63));
    let with_cov = count(ua.control, mask, true) + count(t, mask, true);
    let distinct = (count(ua.control, mask, false), count(t, mask, false));
    combined_row(col, ua, t, &rows, with_cov, distinct)
}

/// The CUPED rows of one column and treatment: each stage's row pushed to its stage, the
/// combined row returned.
pub fn column(
    col: &TestedColumn,
    ua: &UnitAnalysis,
    t: usize,
    cells: &CupedCells,
    data: &UnitData,
    per_stage: &mut [Vec<TestResult>],
) -> TestResult {
    // distinct (user, group) pairs with values of the column in the stages combined, and
    // those of them with a covariate
    let (pairs, units) = (data.pairs, data.units);
    let count = |g: usize, mask: u64, need_cov: bool| {
        let mut with_values = vec![false; pairs.len()];
        for u in 0..units.len() {
            if data.sums.d(u) > 0 && mask >> units.stage[u].min(63) & 1 == 1 {
                with_values[units.pair[u] as usize] = true;
            }
        }
        (0..pairs.len())
            .filter(|&p| {
                with_values[p] && pairs.group[p] as usize == g && (!need_cov || data.cov.has[p])
            })
            .count() as u64
    };
    column_counted(col, ua, t, cells, &count, per_stage)
}
