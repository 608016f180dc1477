//! Rollout-aware analysis: users as the unit, allocation stages, per-stage unit-level
//! tests (gbstats' ratio and mean statistics) and one effect across stages
//! (inverse-variance weights, Cochran's Q).
//!
//! With the request as the unit the whole log is one stage and every test is the
//! request-level test of [`crate::analysis::hypothesis`].

pub mod combined;
pub mod cuped;
pub mod cuped_rows;
pub mod key_index;
pub mod lift;
pub mod pairs;
pub mod plan_stages;
pub mod regroup;
pub mod request_level;
pub mod stage_rows;
pub mod stages;
pub mod unit_stats;
pub mod units;
pub mod user_level;

use super::columns::{f64_col, Codes};
use super::error::AnalysisError;
use super::hypothesis::TestInputs;
use crate::ingest::normalize::{IS_ERROR, LATENCY_MS, SCORE};
use crate::ingest::{Dataset, MetricKind, Role};
use crate::plan::UnitChoice;
use crate::report::{UnitInfo, UnitKind, UnitSource};
use polars::prelude::*;

pub use plan_stages::Boundaries;

/// The unit to analyse by, from the flag, the plan or the data.
pub fn resolve_unit(
    ds: &Dataset,
    flag: Option<&UnitChoice>,
    plan: Option<&str>,
) -> Result<UnitInfo, AnalysisError> {
    let user_col = ds.roles.get(Role::UserId).map(str::to_string);
    let has_users = user_col.is_some()
        && ds
            .frame
            .column(crate::ingest::normalize::USER)
            .is_ok_and(|c| c.null_count() < c.len());
    let plan_choice = plan.map(UnitChoice::parse).transpose()?;
    let (choice, source) = match (flag, plan_choice) {
        (Some(f), _) => (Some(f.clone()), UnitSource::Flag),
        (None, Some(p)) => (Some(p), UnitSource::Plan),
        (None, None) => (None, UnitSource::Detected),
    };
    match choice {
        Some(UnitChoice::Request) => Ok(UnitInfo {
            kind: UnitKind::Request,
            column: None,
            source,
        }),
        Some(UnitChoice::Column(c)) => {
            if user_col.as_deref() != Some(c.as_str()) || !has_users {
                return Err(AnalysisError::UnitColumn(c));
            }
            Ok(UnitInfo {
                kind: UnitKind::User,
                column: Some(c),
                source,
            })
        }
        None if has_users => Ok(UnitInfo {
            kind: UnitKind::User,
            column: user_col,
            source,
        }),
        None => Ok(UnitInfo {
            kind: UnitKind::Request,
            column: None,
            source,
        }),
    }
}

/// A request-level column tested per unit.
#[derive(Debug, Clone)]
pub struct TestedColumn {
    /// Name reported.
    pub name: String,
    /// Canonical column (`r:is_error` is read as 0/1).
    pub column: String,
    /// Proportion or mean (the request-level test).
    pub kind: MetricKind,
    /// Lower values are better.
    pub lower_is_better: bool,
}

/// Name of the error-rate test.
pub const ERROR_RATE: &str = "error_rate";

/// Every tested column, in report order: metrics, latency, score, error rate.
pub fn tested_columns(ds: &Dataset) -> Vec<TestedColumn> {
    let mut out: Vec<TestedColumn> = ds
        .metrics
        .iter()
        .map(|m| TestedColumn {
            name: m.name.clone(),
            column: crate::ingest::normalize::metric_col(&m.name),
            kind: m.kind,
            lower_is_better: false,
        })
        .collect();
    let has_values = |col: &str| ds.frame.column(col).is_ok_and(|c| c.null_count() < c.len());
    if let (Some(name), true) = (ds.roles.get(Role::Latency), has_values(LATENCY_MS)) {
        out.push(TestedColumn {
            name: name.to_string(),
            column: LATENCY_MS.into(),
            kind: MetricKind::Mean,
            lower_is_better: true,
        });
    }
    if let (Some(name), true) = (ds.roles.get(Role::Score), has_values(SCORE)) {
        if !out.iter().any(|c| c.name == name) {
            out.push(TestedColumn {
                name: name.to_string(),
                column: SCORE.into(),
                kind: MetricKind::Mean,
                lower_is_better: false,
            });
        }
    }
    if ds.roles.get(Role::Error).is_some() && !out.iter().any(|c| c.name == ERROR_RATE) {
        out.push(TestedColumn {
            name: ERROR_RATE.into(),
            column: IS_ERROR.into(),
            kind: MetricKind::Proportion,
            lower_is_better: true,
        });
    }
    out
}

/// A tested column as the unit sums read it: numbers, or the error flag as 0/1 without
/// copying it into numbers.
pub enum UnitColumn<'a> {
    /// A numeric column.
    Numbers(&'a Float64Chunked),
    /// A flag read as 0/1 (every row has a value).
    Flag(&'a BooleanChunked),
}

/// A tested column for the unit sums.
pub fn unit_column<'a>(
    ds: &'a Dataset,
    col: &TestedColumn,
) -> Result<UnitColumn<'a>, AnalysisError> {
    Ok(if col.column == IS_ERROR {
        UnitColumn::Flag(super::columns::bool_col(&ds.frame, IS_ERROR)?)
    } else {
        UnitColumn::Numbers(f64_col(&ds.frame, &col.column)?)
    })
}

/// The values of a tested column as numbers (errors as 0/1).
pub fn column_values(ds: &Dataset, col: &TestedColumn) -> Result<Float64Chunked, AnalysisError> {
    if col.column == IS_ERROR {
        let b = super::columns::bool_col(&ds.frame, IS_ERROR)?;
        return Ok(b
            .iter()
            .map(|e| Some(if e == Some(true) { 1.0 } else { 0.0 }))
            .collect::<Float64Chunked>());
    }
    Ok(f64_col(&ds.frame, &col.column)?.clone())
}

/// Settings of the unit-level analysis.
pub struct UnitAnalysis<'a> {
    /// Group codes.
    pub groups: &'a Codes,
    /// Control code.
    pub control: usize,
    /// Test settings.
    pub inputs: &'a TestInputs,
    /// Stage boundaries.
    pub boundaries: &'a Boundaries,
    /// Expected share per stage (or why unknown).
    pub expected: &'a [Result<Vec<f64>, String>],
    /// SRM threshold.
    pub srm_alpha: f64,
    /// Timeline buckets of the lift over time (None: not computed).
    pub buckets: Option<lift::Buckets>,
}

/// What either unit's analysis gives the report.
#[derive(Debug, Clone)]
pub struct Staged {
    /// Stages (one for a request-level analysis).
    pub stages: Vec<crate::report::StageResult>,
    /// The tests the recommendation uses.
    pub tests: Vec<crate::report::TestResult>,
    /// The primary metric's lift at every bucket end.
    pub lift: Vec<crate::report::LiftOverTime>,
    /// Latency percentile tests combined across stages (per stage: in `stages`).
    pub quantile_tests: Vec<crate::report::QuantileTest>,
    /// Top-level SRM.
    pub srm: Option<crate::report::SrmResult>,
    /// Users and leakage when counted by stage (None: the group summary's count).
    pub assignment: Option<crate::report::Assignment>,
    /// Distinct users per group code (empty: the group summary's count).
    pub users_per_group: Vec<u64>,
    /// Error rows whose time-based group must change to respect their stage: (row, new
    /// group code or None for unattributable). When not empty nothing else was computed.
    pub regroup: Vec<(usize, Option<u32>)>,
}
