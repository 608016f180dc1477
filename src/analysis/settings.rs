//! The analysis settings checked against the data before any statistic is computed: the
//! control group, the primary metric, segment columns, the timeline bucket and the expected
//! split. Each problem is an [`AnalysisError`] naming the setting and what the data has.

use super::error::AnalysisError;
use super::AnalysisConfig;
use crate::ingest::Dataset;
use crate::plan::duration::parse_bucket;
use crate::plan::{Plan, SettingError};
use crate::report::ControlSource;
use std::collections::BTreeMap;

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

/// The plan's primary metric, which must be a metric column of the data.
pub fn primary_metric(ds: &Dataset, plan: &Plan) -> Result<Option<String>, AnalysisError> {
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
    Ok(primary)
}

/// The segment columns asked for (each must exist), else the data's.
pub fn segment_columns(ds: &Dataset, cfg: &AnalysisConfig) -> Result<Vec<String>, AnalysisError> {
    match &cfg.segments {
        Some(s) => {
            if let Some(missing) = s.iter().find(|c| !ds.segments.contains(c)) {
                return Err(AnalysisError::UnknownSegment(missing.clone()));
            }
            Ok(s.clone())
        }
        None => Ok(ds.segments.clone()),
    }
}

/// The timeline bucket in seconds (`--bucket`, else the plan's), None for automatic.
pub fn bucket_seconds(cfg: &AnalysisConfig) -> Result<Option<u64>, AnalysisError> {
    match cfg.bucket.as_ref().or(cfg.plan.bucket.as_ref()) {
        None => Ok(None),
        Some(b) => Ok(parse_bucket(b).map_err(|source| SettingError::Duration {
            key: "bucket",
            source,
        })?),
    }
}

/// Each group's expected share (`--expected-split`, else the plan's, else equal); every
/// named group must exist and every group must have a share.
pub fn expected_shares(names: &[String], cfg: &AnalysisConfig) -> Result<Vec<f64>, AnalysisError> {
    let plan = &cfg.plan;
    let split: Option<&BTreeMap<String, f64>> = cfg
        .expected_split
        .as_ref()
        .or((!plan.expected_split.is_empty()).then_some(&plan.expected_split));
    let Some(s) = split else {
        return Ok(vec![1.0; names.len()]);
    };
    if let Some(name) = s.keys().find(|n| !names.contains(n)) {
        return Err(AnalysisError::BadSplit(format!(
            "group {name:?} is not in the data (groups: {})",
            names.join(", ")
        )));
    }
    names
        .iter()
        .map(|g| {
            s.get(g)
                .copied()
                .ok_or_else(|| AnalysisError::BadSplit(format!("no share given for group {g:?}")))
        })
        .collect()
}
