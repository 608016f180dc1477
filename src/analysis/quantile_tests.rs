//! Latency percentile tests (p50, p95, p99) per stage and combined across stages: per
//! group gbstats' `QuantileClusteredStatistic` (users as clusters, or requests when the
//! request is the unit) in `TwoSidedTTest`, following the analysis' inference.

use super::hypothesis::{finite, TestInputs};
use super::inference::{apply_quantile, Spread};
use super::quantile_stat::QuantileStat;
use super::rollout::unit_stats::{combine, two_sided_t, Estimate, UnitTest};
use crate::analysis::columns::NO_CODE;
use crate::analysis::dist::normal;
use crate::report::{FixedResult, QuantileTest};
use polars::prelude::*;

/// The percentiles tested.
pub const QUANTILES: [f64; 3] = [0.5, 0.95, 0.99];

/// Where each row goes: its group, its stage and its cluster.
#[derive(Clone, Copy)]
pub struct Layout<'a> {
    /// Group code per row (`NO_CODE`: none).
    pub codes: &'a [u32],
    /// Stage per row (None: one stage); rows of no stage have `u16::MAX`.
    pub stage: Option<&'a [u16]>,
    /// Cluster per row and the number of clusters (None: each request is its own).
    pub cluster: Option<(&'a [u32], usize)>,
    /// Stages.
    pub stages: usize,
    /// Groups.
    pub groups: usize,
}

/// Per stage, per group, per percentile: the statistic (None without latencies).
pub type StageStats = Vec<Vec<[Option<QuantileStat>; 3]>>;

/// The statistics of every (stage, group, percentile): one pass sorts the latencies (and
/// clusters) into their (stage, group) cells; in each cell the few order statistics the
/// percentiles need are selected (not a full sort), then the cell's rows are counted per
/// cluster at or below each percentile.
pub fn statistics(latency: &Float64Chunked, input: &Layout, alpha: f64) -> StageStats {
    let z = normal::quantile(1.0 - alpha / 2.0);
    let (ns, k) = (input.stages, input.groups);
    let mut vals: Vec<Vec<f64>> = vec![Vec::new(); ns * k];
    let mut cls: Vec<Vec<u32>> = vec![Vec::new(); ns * k];
    let mut r = 0usize;
    for arr in latency.downcast_iter() {
        for x in arr.iter() {
            let row = r;
            r += 1;
            let Some(&x) = x else { continue };
            let g = input.codes[row];
            let s = input.stage.map_or(0, |st| st[row]) as usize;
            if g == NO_CODE || g as usize >= k || s >= ns || x.is_nan() {
                continue;
            }
            let cell = s * k + g as usize;
            if let Some((cl, _)) = input.cluster {
                // with clusters, a row without one (no user) is in no unit
                if cl[row] == NO_CODE {
                    continue;
                }
                cls[cell].push(cl[row]);
            }
            vals[cell].push(x);
        }
    }
    let nc = input.cluster.map_or(0, |c| c.1);
    let mut n_u = vec![0u32; nc];
    let mut s_u = vec![[0u32; 3]; nc];
    let mut out = vec![vec![[None; 3]; k]; ns];
    let mut scratch: Vec<f64> = Vec::new();
    for (cell, v) in vals.iter().enumerate() {
        let n = v.len();
        if n == 0 {
            continue;
        }
        scratch.clear();
        scratch.extend_from_slice(v);
        let bounds: Vec<(f64, f64, f64)> = QUANTILES
            .iter()
            .map(|nu| {
                let half = z * (nu * (1.0 - nu) / n as f64).sqrt();
                (
                    *nu,
                    (nu - half).clamp(0.0, 1.0),
                    (nu + half).clamp(0.0, 1.0),
                )
            })
            .collect();
        let levels: Vec<f64> = bounds.iter().flat_map(|b| [b.0, b.1, b.2]).collect();
        let values = quantiles_by_selection(&mut scratch, &levels);
        let q: Vec<(f64, f64, f64)> = (0..3)
            .map(|i| (values[3 * i], values[3 * i + 1], values[3 * i + 2]))
            .collect();
        // requests at or below each percentile, in total and per cluster
        let mut below = [0u64; 3];
        let mut touched: Vec<u32> = Vec::new();
        for (j, &x) in v.iter().enumerate() {
            let c = input.cluster.map(|_| cls[cell][j] as usize);
            if let Some(c) = c {
                if n_u[c] == 0 {
                    touched.push(c as u32);
                }
                n_u[c] += 1;
            }
            for i in 0..3 {
                if x <= q[i].0 {
                    below[i] += 1;
                    if let Some(c) = c {
                        s_u[c][i] += 1;
                    }
                }
            }
        }
        let mut sums = [[0.0f64; 6]; 3];
        for &c in &touched {
            let c = c as usize;
            let m_n = n_u[c] as f64;
            for i in 0..3 {
                let m = s_u[c][i] as f64;
                let t = &mut sums[i];
                t[0] += 1.0;
                t[1] += m;
                t[2] += m * m;
                t[3] += m_n;
                t[4] += m_n * m_n;
                t[5] += m * m_n;
            }
            n_u[c] = 0;
            s_u[c] = [0; 3];
        }
        let (s, g) = (cell / k, cell % k);
        for i in 0..3 {
            let (hat, lo, hi) = q[i];
            let b = below[i] as f64;
            let t = if input.cluster.is_some() {
                sums[i]
            } else {
                // each request its own cluster: s ∈ {0, 1}, n = 1
                [n as f64, b, b, n as f64, n as f64, b]
            };
            out[s][g][i] = Some(QuantileStat {
                n: n as u64,
                n_star: n as u64,
                nu: QUANTILES[i],
                quantile_hat: hat,
                quantile_lower: lo,
                quantile_upper: hi,
                n_clusters: t[0] as u64,
                main_sum: t[1],
                main_sum_squares: t[2],
                denominator_sum: t[3],
                denominator_sum_squares: t[4],
                main_denominator_sum_product: t[5],
                z,
            });
        }
    }
    out
}

/// Linear-interpolation percentiles at `levels` (numpy's default) of unsorted values, by
/// selecting only the order statistics they need (`values` is reordered).
pub fn quantiles_by_selection(values: &mut [f64], levels: &[f64]) -> Vec<f64> {
    let n = values.len();
    let pos: Vec<(usize, usize, f64)> = levels
        .iter()
        .map(|q| {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            (lo, (lo + 1).min(n - 1), h - lo as f64)
        })
        .collect();
    let mut ranks: Vec<usize> = pos.iter().flat_map(|p| [p.0, p.1]).collect();
    ranks.sort_unstable();
    ranks.dedup();
    select_ranks(values, 0, &ranks);
    pos.iter()
        .map(|&(lo, hi, f)| values[lo] + f * (values[hi] - values[lo]))
        .collect()
}

/// Puts the order statistic of every rank (sorted, relative to `offset`) in its place.
fn select_ranks(values: &mut [f64], offset: usize, ranks: &[usize]) {
    if ranks.is_empty() || values.is_empty() {
        return;
    }
    let mid = ranks.len() / 2;
    let at = ranks[mid] - offset;
    let (left, _, right) = values.select_nth_unstable_by(at, f64::total_cmp);
    select_ranks(left, offset, &ranks[..mid]);
    select_ranks(right, offset + at + 1, &ranks[mid + 1..]);
}

/// One stage's test of treatment `b` against control `a` (None: not testable).
fn stage_test(a: &QuantileStat, b: &QuantileStat, alpha: f64) -> Option<UnitTest> {
    if a.untestable() || b.untestable() || a.quantile_hat == 0.0 {
        return None;
    }
    Some(two_sided_t(&a.statistic(), &b.statistic(), alpha))
}

fn base(
    metric: &str,
    nu: f64,
    names: (&str, &str),
    a: &QuantileStat,
    b: &QuantileStat,
) -> QuantileTest {
    QuantileTest {
        metric: metric.to_string(),
        quantile: nu,
        control: names.0.to_string(),
        treatment: names.1.to_string(),
        control_value: a.quantile_hat,
        treatment_value: b.quantile_hat,
        diff: b.quantile_hat - a.quantile_hat,
        ci_low: None,
        ci_high: None,
        relative_lift: finite((b.quantile_hat - a.quantile_hat) / a.quantile_hat),
        relative_lift_ci_low: None,
        relative_lift_ci_high: None,
        p_value: None,
        significant: false,
        fixed: FixedResult::default(),
        control_n: a.n,
        treatment_n: b.n,
        clusters_control: a.n_clusters,
        clusters_treatment: b.n_clusters,
        stages_combined: 0,
        note: None,
        precision: None,
    }
}

/// The tests of every stage (outer: stage) and the combined ones, for each treatment.
pub fn tests(
    stats: &StageStats,
    metric: &str,
    names: &[String],
    control: usize,
    inputs: &TestInputs,
) -> (Vec<Vec<QuantileTest>>, Vec<QuantileTest>) {
    let alpha = inputs.alpha;
    let settings = inputs.settings();
    let mut per_stage = vec![Vec::new(); stats.len()];
    let mut combined = Vec::new();
    for t in (0..names.len()).filter(|&g| g != control) {
        let pair = (names[control].as_str(), names[t].as_str());
        for i in 0..3 {
            let mut used: Vec<(QuantileStat, QuantileStat, UnitTest)> = Vec::new();
            for (s, st) in stats.iter().enumerate() {
                let (Some(a), Some(b)) = (st[control][i], st[t][i]) else {
                    continue;
                };
                let mut row = base(metric, QUANTILES[i], pair, &a, &b);
                row.stages_combined = 1;
                match stage_test(&a, &b, alpha) {
                    Some(ut) => {
                        fill(&mut row, &ut, (a.n + b.n) as f64, &settings);
                        used.push((a, b, ut));
                    }
                    None => {
                        row.stages_combined = 0;
                        row.note = Some(format!(
                            "too few requests (or no spread) for p{} in stage {s}",
                            pct(QUANTILES[i])
                        ));
                    }
                }
                per_stage[s].push(row);
            }
            combined.push(combine_rows(
                metric, i, pair, &used, &settings, stats, control, t,
            ));
        }
    }
    (per_stage, combined)
}

fn pct(nu: f64) -> String {
    format!("{}", (nu * 100.0).round())
}

/// Sets the interval, p and relative interval of a row from a t-test.
fn fill(row: &mut QuantileTest, ut: &UnitTest, n: f64, s: &super::inference::InferenceSettings) {
    row.diff = ut.diff;
    row.ci_low = finite(ut.ci.0);
    row.ci_high = finite(ut.ci.1);
    row.p_value = finite(ut.p_value);
    row.relative_lift = finite(ut.relative);
    row.relative_lift_ci_low = finite(ut.relative_ci.0);
    row.relative_lift_ci_high = finite(ut.relative_ci.1);
    apply_quantile(
        row,
        &Spread {
            variance: ut.variance,
            relative_variance: finite(ut.relative_variance),
            n,
        },
        ut.df.is_finite().then_some(ut.df),
        s,
    );
}

#[allow(clippy::too_many_arguments)]
fn combine_rows(
    metric: &str,
    i: usize,
    pair: (&str, &str),
    used: &[(QuantileStat, QuantileStat, UnitTest)],
    s: &super::inference::InferenceSettings,
    stats: &StageStats,
    control: usize,
    t: usize,
) -> QuantileTest {
    // the values: the percentiles of the stages combined (of every stage when none is
    // testable), weighted by their requests
    let pool: Vec<(QuantileStat, QuantileStat)> = if used.is_empty() {
        stats
            .iter()
            .filter_map(|st| Some((st[control][i]?, st[t][i]?)))
            .collect()
    } else {
        used.iter().map(|(a, b, _)| (*a, *b)).collect()
    };
    let weighted = |side: usize| {
        let (mut sum, mut n, mut c) = (0.0, 0u64, 0u64);
        for pair in &pool {
            let q = if side == 0 { pair.0 } else { pair.1 };
            sum += q.quantile_hat * q.n as f64;
            n += q.n;
            c += q.n_clusters;
        }
        (sum / n.max(1) as f64, n, c)
    };
    let (va, na, ca) = weighted(0);
    let (vb, nb, cb) = weighted(1);
    let a = QuantileStat {
        n: na,
        quantile_hat: va,
        n_clusters: ca,
        ..Default::default()
    };
    let b = QuantileStat {
        n: nb,
        quantile_hat: vb,
        n_clusters: cb,
        ..Default::default()
    };
    let mut row = base(metric, QUANTILES[i], pair, &a, &b);
    row.stages_combined = used.len() as u32;
    match used {
        [] => {
            row.note = Some(format!(
                "too few requests for p{} in every stage",
                pct(QUANTILES[i])
            ));
        }
        [(a, b, ut)] => fill(&mut row, ut, (a.n + b.n) as f64, s),
        _ => {
            let abs: Vec<Estimate> = used
                .iter()
                .map(|(_, _, u)| Estimate {
                    value: u.diff,
                    variance: u.variance,
                })
                .collect();
            let rel: Vec<Estimate> = used
                .iter()
                .map(|(_, _, u)| Estimate {
                    value: u.relative,
                    variance: u.relative_variance,
                })
                .collect();
            let (ca, cr) = (combine(&abs, s.alpha), combine(&rel, s.alpha));
            let n: u64 = used.iter().map(|(a, b, _)| a.n + b.n).sum();
            let ut = UnitTest {
                diff: ca.value,
                variance: ca.variance,
                ci: ca.ci,
                t: ca.z,
                df: f64::INFINITY,
                p_value: ca.p_value,
                relative: cr.value,
                relative_variance: cr.variance,
                relative_ci: cr.ci,
            };
            fill(&mut row, &ut, n as f64, s);
        }
    }
    row
}

/// The percentile tests of the latency column, if the log has latencies: per stage and
/// combined.
pub fn latency_tests(
    ds: &crate::ingest::Dataset,
    layout: &Layout,
    names: &[String],
    control: usize,
    inputs: &TestInputs,
) -> Result<(Vec<Vec<QuantileTest>>, Vec<QuantileTest>), super::AnalysisError> {
    let Some(name) = inputs.latency_name.as_deref() else {
        return Ok((Vec::new(), Vec::new()));
    };
    let lat = super::columns::f64_col(&ds.frame, crate::ingest::normalize::LATENCY_MS)?;
    if lat.null_count() == lat.len() {
        return Ok((Vec::new(), Vec::new()));
    }
    let stats = statistics(lat, layout, inputs.alpha);
    Ok(tests(&stats, name, names, control, inputs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::quantile_stat::sorted_quantile;

    #[test]
    fn selection_equals_sorting() {
        let mut x: Vec<f64> = (0..1001)
            .map(|i| ((i * 7919) % 1001) as f64 * 0.37)
            .collect();
        let levels = [0.5, 0.95, 0.99, 0.0, 1.0, 0.123, 0.9876];
        let got = quantiles_by_selection(&mut x.clone(), &levels);
        x.sort_by(f64::total_cmp);
        for (l, g) in levels.iter().zip(got) {
            assert_eq!(g, sorted_quantile(&x, *l), "level {l}");
        }
        assert_eq!(
            quantiles_by_selection(&mut [3.0], &[0.5, 0.99]),
            vec![3.0, 3.0]
        );
    }
}
