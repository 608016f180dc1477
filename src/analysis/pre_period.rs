//! The pre-period: rows before `experiment_start` (or the plan's `pre_period` files) are
//! split off the experiment and summed per user, metric by metric, as CUPED's covariate.
//! They are in no stage, no SRM, no leakage count and no test.

use super::columns::{f64_col, i64_col, str_col};
use super::error::AnalysisError;
use super::rollout::pairs::user_hashes;
use crate::ingest::normalize::{metric_col, TS_US, USER};
use crate::ingest::Dataset;
use crate::report::PrePeriodInfo;
use polars::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;

/// Per-user metric totals of the pre-period.
#[derive(Debug, Clone, Default)]
pub struct PrePeriod {
    /// User hash (as the pairs') → index into the sums.
    pub index: HashMap<u64, u32>,
    /// Per metric (by name): the total per user.
    pub sums: Vec<(String, Vec<f64>)>,
    /// What the report says about it.
    pub info: PrePeriodInfo,
}

impl PrePeriod {
    /// The per-user totals of `metric`, if the pre-period has that metric.
    pub fn metric(&self, name: &str) -> Option<&[f64]> {
        self.sums
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// The experiment's rows (from `start` on, and rows without a time) and the pre-period's
/// per-user totals: from the `pre_period` files when the dataset has them, else from the
/// rows before `start`.
pub fn split(
    ds: &Dataset,
    start: Option<i64>,
) -> Result<(Cow<'_, Dataset>, Option<PrePeriod>), AnalysisError> {
    let frame_error = |e: PolarsError| AnalysisError::Frame(e.to_string());
    let (post, pre_frame, source) = match start {
        Some(cut) => {
            let ts = i64_col(&ds.frame, TS_US)?;
            let before: BooleanChunked = ts
                .iter()
                .map(|t| Some(t.is_some_and(|t| t < cut)))
                .collect();
            if before.sum().unwrap_or(0) == 0 {
                (Cow::Borrowed(ds), None, "log")
            } else {
                let after = !&before;
                let post = ds.frame.filter(&after).map_err(frame_error)?;
                let pre = ds.frame.filter(&before).map_err(frame_error)?;
                (
                    Cow::Owned(Dataset {
                        frame: post,
                        ..ds.clone()
                    }),
                    Some(pre),
                    "log",
                )
            }
        }
        None => (Cow::Borrowed(ds), None, "log"),
    };
    let (pre_frame, source) = match &ds.pre_period {
        Some(files) => (Some(files.frame.clone()), "files"),
        None => (pre_frame, source),
    };
    let Some(pre) = pre_frame else {
        return Ok((post, None));
    };
    let metrics: Vec<String> = ds.metrics.iter().map(|m| m.name.clone()).collect();
    Ok((post, Some(totals(&pre, &metrics, source)?)))
}

/// Per-user totals of every metric over the pre-period rows.
fn totals(frame: &DataFrame, metrics: &[String], source: &str) -> Result<PrePeriod, AnalysisError> {
    let users = str_col(frame, USER)?;
    let hashes = user_hashes(users);
    let mut index: HashMap<u64, u32> = HashMap::new();
    let mut of_row = Vec::with_capacity(hashes.len());
    let mut rows = 0u64;
    for h in &hashes {
        of_row.push(h.map(|h| {
            rows += 1;
            let next = index.len() as u32;
            *index.entry(h).or_insert(next)
        }));
    }
    let n = index.len();
    let mut sums = Vec::new();
    for m in metrics {
        let Ok(values) = f64_col(frame, &metric_col(m)) else {
            continue;
        };
        let mut total = vec![0.0f64; n];
        for (u, v) in of_row.iter().zip(values.iter()) {
            if let (Some(u), Some(v)) = (u, v) {
                total[*u as usize] += v;
            }
        }
        sums.push((m.clone(), total));
    }
    Ok(PrePeriod {
        index,
        sums,
        info: PrePeriodInfo {
            source: source.to_string(),
            rows,
            users: n as u64,
            column: None,
        },
    })
}

/// CUPED from a declared covariate column: each user's mean of it over the experiment's
/// rows (a pre-exposure value logged with every request), as the covariate of every metric.
pub fn from_column(ds: &Dataset, name: &str) -> Result<PrePeriod, AnalysisError> {
    let unknown = || AnalysisError::UnknownCovariate {
        name: name.to_string(),
        metrics: ds
            .metrics
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    };
    if !ds.metrics.iter().any(|m| m.name == name) {
        return Err(unknown());
    }
    let values = f64_col(&ds.frame, &metric_col(name)).map_err(|_| unknown())?;
    let users = str_col(&ds.frame, USER)?;
    let hashes = user_hashes(users);
    let mut index: HashMap<u64, u32> = HashMap::new();
    let (mut sum, mut count) = (Vec::new(), Vec::new());
    let mut rows = 0u64;
    for (h, v) in hashes.iter().zip(values.iter()) {
        let (Some(h), Some(v)) = (h, v) else { continue };
        rows += 1;
        let next = index.len() as u32;
        let i = *index.entry(*h).or_insert(next) as usize;
        if i == sum.len() {
            sum.push(0.0);
            count.push(0u32);
        }
        sum[i] += v;
        count[i] += 1;
    }
    let mean: Vec<f64> = sum.iter().zip(&count).map(|(s, c)| s / *c as f64).collect();
    Ok(PrePeriod {
        index,
        sums: ds
            .metrics
            .iter()
            .filter(|m| m.name != name)
            .map(|m| (m.name.clone(), mean.clone()))
            .collect(),
        info: PrePeriodInfo {
            source: "column".into(),
            rows,
            users: mean.len() as u64,
            column: Some(name.to_string()),
        },
    })
}
