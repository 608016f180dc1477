//! Sample size per group for a two-proportion test:
//! n = (z₁₋α/₂·√(2·p̄(1−p̄)) + z₁₋β·√(p1(1−p1)+p2(1−p2)))² / δ².

use super::stats::normal_quantile;

/// Required observations per group to detect `p1 → p2` at `alpha` (two-sided) with `power`.
/// Not rounded; callers round up.
pub fn required_n_per_group(p1: f64, p2: f64, alpha: f64, power: f64) -> f64 {
    let delta = p2 - p1;
    let pbar = (p1 + p2) / 2.0;
    let za = normal_quantile(1.0 - alpha / 2.0);
    let zb = normal_quantile(power);
    let num =
        za * (2.0 * pbar * (1.0 - pbar)).sqrt() + zb * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    num * num / (delta * delta)
}

/// The sample-size section for the primary proportion metric (else the first proportion
/// metric): required and observed observations per group. None without a proportion metric,
/// without control observations, or when the MDE leaves [0, 1].
pub fn power_result(
    ds: &crate::ingest::Dataset,
    plan: &crate::plan::Plan,
    primary: Option<&str>,
    metrics: &std::collections::BTreeMap<String, Vec<super::stats::Moments>>,
    control: usize,
) -> Option<crate::report::PowerResult> {
    use crate::ingest::MetricKind;
    let is_proportion = |name: &str| {
        ds.metrics
            .iter()
            .any(|m| m.name == name && m.kind == MetricKind::Proportion)
    };
    let metric = primary
        .filter(|p| is_proportion(p))
        .map(str::to_string)
        .or_else(|| {
            ds.metrics
                .iter()
                .find(|m| m.kind == MetricKind::Proportion)
                .map(|m| m.name.clone())
        })?;
    let ms = metrics.get(&metric)?;
    let c = ms.get(control)?;
    if c.n == 0 {
        return None;
    }
    let p1 = c.mean;
    let mde = if plan.mde_relative {
        plan.minimum_detectable_effect * p1
    } else {
        plan.minimum_detectable_effect
    };
    let down =
        primary == Some(metric.as_str()) && plan.direction == crate::plan::Direction::Decrease;
    let p2 = if down { p1 - mde } else { p1 + mde };
    if !(0.0..=1.0).contains(&p2) || mde <= 0.0 {
        return None;
    }
    let n = required_n_per_group(p1, p2, plan.alpha, plan.power).ceil();
    let observed = ms.iter().map(|x| x.n).min().unwrap_or(0);
    let progress = observed as f64 / n;
    Some(crate::report::PowerResult {
        metric,
        baseline_rate: p1,
        mde_absolute: mde,
        alpha: plan.alpha,
        power: plan.power,
        required_per_group: n as u64,
        observed_per_group: observed,
        progress,
        reached: progress >= 1.0,
    })
}
