//! The hypothesis tests of an experiment: one control-vs-treatment row per metric (and
//! latency), built from per-group moments.

use super::inference::{apply, InferenceSettings, Spread};
use super::proportions::two_proportion_z;
use super::stats::Moments;
use super::welch::welch_t;
use crate::ingest::MetricKind;
use crate::plan::{Direction, Inference};
use crate::report::{TestMethod, TestResult};

/// Settings shared by every test.
#[derive(Debug, Clone)]
pub struct TestInputs {
    /// Significance level (interval level is 1 − alpha).
    pub alpha: f64,
    /// Fixed-horizon or always-valid tests.
    pub inference: Inference,
    /// N* of the always-valid tests.
    pub tuning: f64,
    /// Primary metric.
    pub primary: Option<String>,
    /// Desired direction of the primary metric.
    pub direction: Direction,
    /// Source name of the latency column (tests are reported under it).
    pub latency_name: Option<String>,
}

impl TestInputs {
    /// The inference the tests follow.
    pub fn settings(&self) -> InferenceSettings {
        InferenceSettings {
            mode: self.inference,
            alpha: self.alpha,
            tuning: self.tuning,
        }
    }
}

/// `Some(x)` when finite.
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// A metric with its per-group moments, ready to test.
#[derive(Debug, Clone)]
pub struct TestedMoments {
    /// Name reported.
    pub name: String,
    /// Proportion (z-test) or mean (Welch).
    pub kind: MetricKind,
    /// Lower values are better (latency, errors).
    pub lower_is_better: bool,
    /// Moments per group code.
    pub moments: Vec<Moments>,
}

/// One row per (treatment, metric) in the order given, for every treatment group.
pub fn build_tests(
    names: &[String],
    control: usize,
    metrics: &[TestedMoments],
    inputs: &TestInputs,
) -> Vec<TestResult> {
    let mut out = Vec::new();
    for t in (0..names.len()).filter(|&g| g != control) {
        for m in metrics {
            let (c, tr) = (&m.moments[control], &m.moments[t]);
            if c.n == 0 || tr.n == 0 {
                continue;
            }
            let mut row = match m.kind {
                MetricKind::Proportion => proportion_row(&m.name, names, control, t, c, tr, inputs),
                MetricKind::Mean => welch_row(&m.name, names, control, t, c, tr, inputs),
            };
            if m.lower_is_better {
                row.favorable = Some(row.diff < 0.0);
            }
            row.units_control = Some(c.n);
            row.units_treatment = Some(tr.n);
            out.push(row);
        }
    }
    out
}

/// Whether a change is in the wanted direction: the plan's for the primary metric,
/// upward for the others.
pub fn favorable(metric: &str, diff: f64, inputs: &TestInputs) -> Option<bool> {
    if diff == 0.0 || !diff.is_finite() {
        return Some(false);
    }
    let down = inputs.primary.as_deref() == Some(metric) && inputs.direction == Direction::Decrease;
    Some(if down { diff < 0.0 } else { diff > 0.0 })
}

#[allow(clippy::too_many_arguments)]
fn base_row(
    metric: &str,
    method: TestMethod,
    names: &[String],
    control: usize,
    t: usize,
    c: &Moments,
    tr: &Moments,
    inputs: &TestInputs,
) -> TestResult {
    let mut row = empty_row(metric, method, &names[control], &names[t], inputs);
    row.control_n = c.n;
    row.treatment_n = tr.n;
    row.control_value = c.mean;
    row.treatment_value = tr.mean;
    row.diff = tr.mean - c.mean;
    row
}

/// A row with names and nothing measured yet.
pub fn empty_row(
    metric: &str,
    method: TestMethod,
    control: &str,
    treatment: &str,
    inputs: &TestInputs,
) -> TestResult {
    TestResult {
        metric: metric.to_string(),
        method,
        control: control.to_string(),
        treatment: treatment.to_string(),
        control_n: 0,
        treatment_n: 0,
        control_value: f64::NAN,
        treatment_value: f64::NAN,
        diff: f64::NAN,
        ci_low: None,
        ci_high: None,
        relative_lift: None,
        relative_lift_ci_low: None,
        relative_lift_ci_high: None,
        statistic: None,
        df: None,
        p_value: None,
        p_value_adjusted: None,
        significant: false,
        primary: inputs.primary.as_deref() == Some(metric),
        favorable: None,
        units_control: None,
        units_treatment: None,
        stages_combined: 1,
        heterogeneity: None,
        stages_left_out: Vec::new(),
        fixed: Default::default(),
        cuped: None,
        precision: None,
    }
}

/// The row with no test: every interval, p-value and derived number cleared (a combined
/// row whose stages could not be tested keeps only its names and values).
pub fn untested(mut row: TestResult) -> TestResult {
    row.ci_low = None;
    row.ci_high = None;
    row.p_value = None;
    row.statistic = None;
    row.df = None;
    row.significant = false;
    row.fixed = Default::default();
    row.precision = None;
    row.cuped = None;
    row.relative_lift_ci_low = None;
    row.relative_lift_ci_high = None;
    row
}

fn fill_lift(row: &mut TestResult) {
    if row.relative_lift.is_none() && row.control_value != 0.0 && row.control_value.is_finite() {
        row.relative_lift = finite(row.diff / row.control_value);
        row.relative_lift_ci_low = row.ci_low.map(|x| x / row.control_value.abs());
        row.relative_lift_ci_high = row.ci_high.map(|x| x / row.control_value.abs());
    }
}

fn proportion_row(
    metric: &str,
    names: &[String],
    control: usize,
    t: usize,
    c: &Moments,
    tr: &Moments,
    inputs: &TestInputs,
) -> TestResult {
    let mut row = base_row(
        metric,
        TestMethod::TwoProportionZ,
        names,
        control,
        t,
        c,
        tr,
        inputs,
    );
    let z = two_proportion_z(c.sum, c.n as f64, tr.sum, tr.n as f64, inputs.alpha);
    row.control_value = z.control_rate;
    row.treatment_value = z.treatment_rate;
    row.diff = z.diff;
    row.ci_low = finite(z.ci_low);
    row.ci_high = finite(z.ci_high);
    row.statistic = finite(z.z);
    row.p_value = finite(z.p_value);
    let (pc, pt) = (z.control_rate, z.treatment_rate);
    let spread = Spread {
        variance: pc * (1.0 - pc) / c.n as f64 + pt * (1.0 - pt) / tr.n as f64,
        relative_variance: None,
        n: (c.n + tr.n) as f64,
    };
    let row = finish_row(row, inputs, Some(&spread));
    with_relative_variance(row, pc * (1.0 - pc), tr.n, pt * (1.0 - pt), c.n)
}

#[allow(clippy::too_many_arguments)]
fn welch_row(
    metric: &str,
    names: &[String],
    control: usize,
    t: usize,
    c: &Moments,
    tr: &Moments,
    inputs: &TestInputs,
) -> TestResult {
    let mut row = base_row(metric, TestMethod::WelchT, names, control, t, c, tr, inputs);
    let mut spread = None;
    if c.n >= 2 && tr.n >= 2 {
        spread = Some(Spread {
            variance: c.var / c.n as f64 + tr.var / tr.n as f64,
            relative_variance: None,
            n: (c.n + tr.n) as f64,
        });
        let w = welch_t(c, tr, inputs.alpha);
        row.diff = w.diff;
        row.ci_low = finite(w.ci_low);
        row.ci_high = finite(w.ci_high);
        row.statistic = finite(w.t);
        row.df = finite(w.df);
        row.p_value = finite(w.p_value);
    }
    let row = finish_row(row, inputs, spread.as_ref());
    with_relative_variance(row, c.var, tr.n, tr.var, c.n)
}

/// Keeps gbstats' variance of the relative lift (var_b/(μa²·n_b) + var_a·μb²/(μa⁴·n_a), from
/// the per-observation variances) for the guardrails; the reported relative interval stays
/// the difference's interval over the control value.
fn with_relative_variance(
    mut row: TestResult,
    var_a: f64,
    n_b: u64,
    var_b: f64,
    n_a: u64,
) -> TestResult {
    let (ma, mb) = (row.control_value, row.treatment_value);
    let rv = var_b / (ma * ma * n_b as f64) + var_a * mb * mb / (ma.powi(4) * n_a as f64);
    if let Some(p) = row.precision.as_mut() {
        p.relative_variance = (rv.is_finite() && rv > 0.0).then_some(rv);
    }
    row
}

/// The inference (fixed numbers kept, always-valid ones applied when asked for),
/// significance at alpha, direction and relative lift (from the difference interval unless
/// already set): what every test row ends with.
pub fn finish_row(mut row: TestResult, inputs: &TestInputs, spread: Option<&Spread>) -> TestResult {
    apply(&mut row, spread, &inputs.settings());
    row.significant = row.p_value.is_some_and(|p| p < inputs.alpha);
    row.favorable = favorable(&row.metric, row.diff, inputs);
    fill_lift(&mut row);
    row
}
