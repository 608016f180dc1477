//! Sample size for the primary metric, for what is actually run: the unit (users with the
//! delta-method variance of the data so far, or requests), the inference (an always-valid
//! test needs more units than a fixed-horizon one: both are reported) and CUPED's variance
//! reduction (the adjusted variance is the one used).
//!
//! Fixed horizon, two proportions per request:
//! n = (z₁₋α/₂·√(2·p̄(1−p̄)) + z₁₋β·√(p1(1−p1)+p2(1−p2)))² / δ².
//! Fixed horizon, per unit with variance σ² in each group: n = (z₁₋α/₂ + z₁₋β)²·2σ²/δ².
//! Always-valid: the smallest n per group at which the effect δ clears the confidence
//! sequence's half-width with probability `power`: w(2n) + z₁₋β·√(2σ²/n) ≤ δ.

use super::inference::sequential_half_width;
use super::stats::normal_quantile;
use crate::plan::{Direction, Inference, Plan};
use crate::report::{PowerResult, TestResult, UnitKind};

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

/// Units per group a fixed-horizon test needs for effect `delta` with per-unit variance
/// `sigma2` in each group.
pub fn fixed_n_per_group(sigma2: f64, delta: f64, alpha: f64, power: f64) -> f64 {
    let z = normal_quantile(1.0 - alpha / 2.0) + normal_quantile(power);
    z * z * 2.0 * sigma2 / (delta * delta)
}

/// Units per group an always-valid test (N* = `tuning`) needs: bisection on n of
/// w(2n) + z₁₋β·√(2σ²/n) = δ (the left side falls with n).
pub fn sequential_n_per_group(sigma2: f64, delta: f64, alpha: f64, power: f64, tuning: f64) -> f64 {
    let zb = normal_quantile(power);
    let gap = |n: f64| {
        let var = 2.0 * sigma2 / n;
        sequential_half_width(var, 2.0 * n, alpha, tuning) + zb * var.sqrt() - delta.abs()
    };
    let (mut lo, mut hi) = (1.0f64, 1.0f64);
    while gap(hi) > 0.0 {
        hi *= 2.0;
        if hi > 1e15 {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = (lo * hi).sqrt();
        if gap(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi / lo < 1.0 + 1e-12 {
            break;
        }
    }
    hi
}

/// The sample-size section for the primary metric (else the first proportion metric).
/// With users as the unit it reads the primary test's variance (CUPED-adjusted when on);
/// with requests it uses the two-proportion formula. None when nothing can be computed.
#[allow(clippy::too_many_arguments)]
pub fn power_result(
    metric_kinds: &[(String, crate::ingest::MetricKind)],
    plan: &Plan,
    inference: Inference,
    unit: UnitKind,
    primary: Option<&str>,
    metrics: &std::collections::BTreeMap<String, Vec<super::stats::Moments>>,
    tests: &[TestResult],
    control: usize,
) -> Option<PowerResult> {
    use crate::ingest::MetricKind;
    let is_proportion = |name: &str| {
        metric_kinds
            .iter()
            .any(|(n, k)| n == name && *k == MetricKind::Proportion)
    };
    let metric = primary
        .filter(|p| unit == UnitKind::User || is_proportion(p))
        .map(str::to_string)
        .or_else(|| {
            metric_kinds
                .iter()
                .find(|(_, k)| *k == MetricKind::Proportion)
                .map(|(n, _)| n.clone())
        })?;
    let down = primary == Some(metric.as_str()) && plan.direction == Direction::Decrease;
    let mde_of = |base: f64| {
        if plan.mde_relative {
            plan.minimum_detectable_effect * base.abs()
        } else {
            plan.minimum_detectable_effect
        }
    };
    let (alpha, power, tuning) = (plan.alpha, plan.power, plan.sequential_tuning);
    let (baseline, mde, sigma2, fixed, observed, reduction) = match unit {
        UnitKind::User => {
            // the primary test's variance of the difference, as per-unit variance with
            // equal variance in both groups: σ² = var / (1/na + 1/nb)
            let t = tests.iter().find(|t| t.metric == metric)?;
            let p = t.precision?;
            let (na, nb) = (t.units_control? as f64, t.units_treatment? as f64);
            let sigma2 = p.variance / (1.0 / na + 1.0 / nb);
            let base = t
                .cuped
                .map_or(t.control_value, |c| c.unadjusted.control_value);
            let mde = mde_of(base);
            let fixed = fixed_n_per_group(sigma2, mde, alpha, power);
            let observed = t.units_control?.min(t.units_treatment?);
            (
                base,
                mde,
                sigma2,
                fixed,
                observed,
                t.cuped.map(|c| c.variance_reduction),
            )
        }
        UnitKind::Request => {
            let ms = metrics.get(&metric)?;
            let c = ms.get(control)?;
            if c.n == 0 {
                return None;
            }
            let p1 = c.mean;
            let mde = mde_of(p1);
            let p2 = if down { p1 - mde } else { p1 + mde };
            if !(0.0..=1.0).contains(&p2) {
                return None;
            }
            let pbar = (p1 + p2) / 2.0;
            let fixed = required_n_per_group(p1, p2, alpha, power);
            let observed = ms.iter().map(|x| x.n).min().unwrap_or(0);
            (p1, mde, pbar * (1.0 - pbar), fixed, observed, None)
        }
    };
    if !(mde > 0.0 && sigma2.is_finite() && sigma2 > 0.0 && fixed.is_finite()) {
        return None;
    }
    let sequential = sequential_n_per_group(sigma2, mde, alpha, power, tuning);
    let (fixed, sequential) = (fixed.ceil(), sequential.ceil());
    let needed = match inference {
        Inference::Fixed => fixed,
        Inference::Sequential => sequential,
    };
    let progress = observed as f64 / needed;
    Some(PowerResult {
        metric,
        baseline_rate: baseline,
        mde_absolute: mde,
        alpha,
        power,
        required_per_group: needed.min(u64::MAX as f64) as u64,
        required_per_group_fixed: fixed.min(u64::MAX as f64) as u64,
        required_per_group_sequential: sequential.min(u64::MAX as f64) as u64,
        observed_per_group: observed,
        progress,
        reached: progress >= 1.0,
        unit,
        variance_per_unit: sigma2,
        variance_reduction: reduction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_needs_more_than_fixed() {
        let (s2, d) = (1.0, 0.05);
        let f = fixed_n_per_group(s2, d, 0.05, 0.8);
        let q = sequential_n_per_group(s2, d, 0.05, 0.8, 5000.0);
        // 2·(1.96 + 0.84)²/0.0025 ≈ 6279
        assert!((f - 6279.1).abs() < 1.0, "{f}");
        assert!(q > f * 1.2 && q < f * 4.0, "{q} vs {f}");
        // at that n the always-valid bound plus the power margin reaches the effect
        let var = 2.0 * s2 / q;
        let w = sequential_half_width(var, 2.0 * q, 0.05, 5000.0);
        assert!((w + normal_quantile(0.8) * var.sqrt() - d).abs() < 1e-9);
    }
}
