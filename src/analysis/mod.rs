//! The experiment analysis engine: from a [`Dataset`] to an [`ExperimentReport`].
//!
//! One file per concern: moments and tails in [`stats`], the tests in [`proportions`] and
//! [`welch`], [`srm`], [`power`], [`corrections`], per-group summaries in [`groups`],
//! [`timeline`], [`segments`] and [`checks`].

pub mod checks;
pub mod columns;
pub mod corrections;
pub mod dist;
pub mod drift;
pub mod error;
pub mod groups;
pub mod hypothesis;
pub mod power;
pub mod proportions;
pub mod recommend;
pub mod segments;
pub mod srm;
pub mod stats;
pub mod timeline;
pub mod welch;

use crate::ingest::timing;
use crate::ingest::{Dataset, MetricKind, Role};
use crate::plan::Plan;
use crate::report::{
    ControlSource, ExperimentReport, InputFormat, InputSummary, MetricInfo, PowerResult, SrmResult,
};
pub use error::AnalysisError;

use crate::plan::duration::parse_bucket;
use crate::plan::SettingError;
use columns::Codes;
use std::collections::BTreeMap;
use std::time::Instant;

/// What the user asked for beyond the data: the plan plus command-line overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisConfig {
    /// The analysis plan (defaults when none was given).
    pub plan: Plan,
    /// `--control`, which wins over the plan.
    pub control: Option<String>,
    /// `--expected-split`, which wins over the plan.
    pub expected_split: Option<BTreeMap<String, f64>>,
    /// `--bucket`, which wins over the plan.
    pub bucket: Option<String>,
    /// `--segment` columns, which win over the plan and inference.
    pub segments: Option<Vec<String>>,
}

/// Names recognised as the control group, in order of preference.
pub const CONTROL_NAMES: [&str; 7] = [
    "control", "champion", "baseline", "a", "legacy", "ctrl", "0",
];

/// Picks the control: flag, then plan, then a conventional name, then the largest group.
/// Returns the index and how it was chosen.
pub fn choose_control(
    names: &[String],
    requests: &[u64],
    cfg: &AnalysisConfig,
) -> Result<(usize, ControlSource), AnalysisError> {
    let find = |n: &str| names.iter().position(|g| g == n);
    let unknown = |n: &str| AnalysisError::UnknownControl {
        name: n.to_string(),
        groups: names.join(", "),
    };
    if let Some(c) = &cfg.control {
        return find(c)
            .map(|i| (i, ControlSource::Flag))
            .ok_or_else(|| unknown(c));
    }
    if let Some(c) = &cfg.plan.control {
        return find(c)
            .map(|i| (i, ControlSource::Plan))
            .ok_or_else(|| unknown(c));
    }
    for cand in CONTROL_NAMES {
        if let Some(i) = names.iter().position(|g| g.eq_ignore_ascii_case(cand)) {
            return Ok((i, ControlSource::Name));
        }
    }
    let i = (0..names.len())
        .max_by(|&a, &b| requests[a].cmp(&requests[b]).then(names[b].cmp(&names[a])))
        .unwrap_or(0);
    Ok((i, ControlSource::Largest))
}

/// Parses `A=90,B=10` into a split.
pub fn parse_split(text: &str) -> Result<BTreeMap<String, f64>, SettingError> {
    let bad = |m: String| SettingError::SplitSyntax(m);
    let mut out = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| bad(format!("{part:?} is not NAME=PCT")))?;
        let v: f64 = v
            .trim()
            .trim_end_matches('%')
            .parse()
            .map_err(|_| bad(format!("{part:?}: share is not a number")))?;
        if !v.is_finite() || v <= 0.0 {
            return Err(bad(format!("{part:?}: share must be positive")));
        }
        out.insert(k.trim().to_string(), v);
    }
    if out.len() < 2 {
        return Err(bad("give at least two groups, e.g. A=90,B=10".into()));
    }
    Ok(out)
}

/// Runs the full analysis.
pub fn analyze(ds: &Dataset, cfg: &AnalysisConfig) -> Result<ExperimentReport, AnalysisError> {
    let plan = &cfg.plan;
    let groups = Codes::groups(&ds.frame)?;
    let k = groups.names.len();
    if k < 2 {
        return Err(AnalysisError::SingleGroup(
            groups.names.first().cloned().unwrap_or_default(),
        ));
    }
    let mut requests = vec![0u64; k];
    for c in &groups.codes {
        requests[*c as usize] += 1;
    }
    let (control, control_source) = choose_control(&groups.names, &requests, cfg)?;

    let primary = plan.primary_metric.clone();
    if let Some(p) = &primary {
        if !ds.metrics.iter().any(|m| &m.name == p) {
            return Err(AnalysisError::UnknownPrimary {
                name: p.clone(),
                metrics: ds
                    .metrics
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }

    // segment columns and bucket are validated before the heavy work starts
    let seg_cols: Vec<String> = match &cfg.segments {
        Some(s) => {
            for c in s {
                if !ds.segments.contains(c) {
                    return Err(AnalysisError::UnknownSegment(c.clone()));
                }
            }
            s.clone()
        }
        None => ds.segments.clone(),
    };
    let bucket = cfg.bucket.clone().or_else(|| plan.bucket.clone());
    let bucket_s = match bucket {
        None => None,
        Some(b) => parse_bucket(&b).map_err(|source| SettingError::Duration {
            key: "bucket",
            source,
        })?,
    };
    let inputs = hypothesis::TestInputs {
        alpha: plan.alpha,
        primary: primary.clone(),
        direction: plan.direction,
        latency_name: ds.roles.get(Role::Latency).map(str::to_string),
    };
    // groups, segments and the timeline are independent: run them side by side
    let (stats, segments, timeline) = std::thread::scope(|scope| {
        let seg = std::thread::Builder::new()
            .name("verdict-segments".into())
            .spawn_scoped(scope, || {
                let t0 = Instant::now();
                let r =
                    segments::segments(ds, &groups, control, &seg_cols, &inputs, plan.correction);
                timing("segments", t0);
                r
            })
            .expect("spawn segments thread");
        let tl = std::thread::Builder::new()
            .name("verdict-timeline".into())
            .spawn_scoped(scope, || {
                let t0 = Instant::now();
                let r = timeline::timeline(ds, bucket_s);
                timing("timeline", t0);
                r
            })
            .expect("spawn timeline thread");
        let t0 = Instant::now();
        let stats = groups::summarize(ds, &groups, control);
        timing("groups", t0);
        (stats, join_analysis(seg), join_analysis(tl))
    });
    let stats = stats?;
    let segments = segments?;
    let timeline = timeline?;

    // SRM
    let split = cfg
        .expected_split
        .clone()
        .or_else(|| (!plan.expected_split.is_empty()).then(|| plan.expected_split.clone()));
    let shares: Vec<f64> = match &split {
        None => vec![1.0; k],
        Some(s) => {
            for name in s.keys() {
                if !groups.names.contains(name) {
                    return Err(AnalysisError::BadSplit(format!(
                        "group {name:?} is not in the data (groups: {})",
                        groups.names.join(", ")
                    )));
                }
            }
            groups
                .names
                .iter()
                .map(|g| {
                    s.get(g).copied().ok_or_else(|| {
                        AnalysisError::BadSplit(format!("no share given for group {g:?}"))
                    })
                })
                .collect::<Result<_, _>>()?
        }
    };
    let observed: Vec<f64> = requests.iter().map(|&r| r as f64).collect();
    let (expected, chi2, p) = srm::chi_square_gof(&observed, &shares);
    let share_sum: f64 = shares.iter().sum();
    let srm = SrmResult {
        observed: groups
            .names
            .iter()
            .cloned()
            .zip(requests.iter().copied())
            .collect(),
        expected: groups.names.iter().cloned().zip(expected).collect(),
        expected_share: groups
            .names
            .iter()
            .cloned()
            .zip(shares.iter().map(|s| s / share_sum))
            .collect(),
        chi2,
        df: (k - 1) as u64,
        p_value: p,
        mismatch: p < plan.guardrails.srm_alpha,
    };

    // tests
    let test_rows = hypothesis::build_tests(
        ds,
        &groups.names,
        control,
        &stats.latency,
        &stats.metrics,
        &inputs,
    );

    // power on the primary proportion metric (else the first proportion metric)
    let power_metric = primary
        .as_ref()
        .filter(|p| {
            ds.metrics
                .iter()
                .any(|m| &m.name == *p && m.kind == MetricKind::Proportion)
        })
        .cloned()
        .or_else(|| {
            ds.metrics
                .iter()
                .find(|m| m.kind == MetricKind::Proportion)
                .map(|m| m.name.clone())
        });
    let power = power_metric.and_then(|m| {
        let ms = &stats.metrics[&m];
        let c = &ms[control];
        if c.n == 0 {
            return None;
        }
        let p1 = c.mean;
        let mde = if plan.mde_relative {
            plan.minimum_detectable_effect * p1
        } else {
            plan.minimum_detectable_effect
        };
        let down = primary.as_deref() == Some(m.as_str())
            && plan.direction == crate::plan::Direction::Decrease;
        let p2 = if down { p1 - mde } else { p1 + mde };
        if !(0.0..=1.0).contains(&p2) || mde <= 0.0 {
            return None;
        }
        let n = power::required_n_per_group(p1, p2, plan.alpha, plan.power).ceil();
        let observed = ms.iter().map(|x| x.n).min().unwrap_or(0);
        let progress = observed as f64 / n;
        Some(PowerResult {
            metric: m,
            baseline_rate: p1,
            mde_absolute: mde,
            alpha: plan.alpha,
            power: plan.power,
            required_per_group: n as u64,
            observed_per_group: observed,
            progress,
            reached: progress >= 1.0,
        })
    });

    let checks = checks::run_checks(
        plan,
        &stats.summaries,
        control,
        &srm,
        &stats.assignment,
        power.as_ref(),
    );
    let recommendation = recommend::recommend(plan, &checks, &test_rows, primary.as_deref());

    // control first, then treatments by name
    let mut summaries = stats.summaries;
    let ctrl = summaries.remove(control);
    summaries.insert(0, ctrl);

    Ok(ExperimentReport {
        verdict_version: env!("CARGO_PKG_VERSION").to_string(),
        input: input_summary(ds),
        columns: ds
            .roles
            .columns
            .iter()
            .map(|(r, c)| (*r, c.clone()))
            .collect(),
        segment_columns: ds.segments.clone(),
        metrics: ds
            .metrics
            .iter()
            .map(|m| MetricInfo {
                name: m.name.clone(),
                kind: m.kind,
                primary: primary.as_deref() == Some(m.name.as_str()),
            })
            .collect(),
        control: groups.names[control].clone(),
        control_source,
        primary_metric: primary,
        alpha: plan.alpha,
        correction: plan.correction,
        groups: summaries,
        srm,
        assignment: stats.assignment,
        tests: test_rows,
        power,
        segments,
        timeline,
        checks,
        recommendation,
    })
}

fn join_analysis<T>(
    h: std::thread::ScopedJoinHandle<'_, Result<T, AnalysisError>>,
) -> Result<T, AnalysisError> {
    h.join().unwrap_or(Err(AnalysisError::ThreadPanicked))
}

/// The input section of a report.
pub fn input_summary(ds: &Dataset) -> InputSummary {
    InputSummary {
        files: ds.files.clone(),
        format: InputFormat::of(&ds.formats),
        rows_read: ds.rows_read,
        rows_valid: ds.frame.height() as u64,
        rows_rejected: ds.rejects.total(),
        rejected_by_reason: ds.rejects.by_reason.iter().map(|(r, n)| (*r, *n)).collect(),
        rejected: ds.rejects.examples(&ds.files),
        lines_skipped: ds.lines_skipped,
    }
}
