//! The analysis plan, `verdict.toml`: what was decided before looking at the data.
//!
//! ```toml
//! primary_metric = "converted"
//! direction = "increase"          # or "decrease"
//! alpha = 0.05
//! power = 0.8
//! minimum_detectable_effect = 0.01  # absolute change of the primary rate
//! mde_relative = false              # true: the MDE is relative to the control rate
//! control = "A"
//! correction = "holm"             # or "bh"
//! segments = ["device", "country"]
//! bucket = "1h"
//!
//! [expected_split]
//! A = 50
//! B = 50
//!
//! [guardrails]
//! latency_p99_ms = 200.0
//! latency_p99_max_increase = 0.10
//! error_rate_margin = 0.01
//! srm_alpha = 0.001
//!
//! [columns]
//! group = "arm"
//! metrics = ["converted", "revenue"]
//! ```

use crate::analysis::corrections::Correction;
use crate::ingest::{Role, RoleOverrides};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Direction in which the primary metric should move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Higher is better (conversion, accuracy).
    #[default]
    Increase,
    /// Lower is better (latency, churn).
    Decrease,
}

/// Guardrail thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Guardrails {
    /// Treatment p99 latency ceiling in milliseconds.
    pub latency_p99_ms: f64,
    /// Largest allowed relative p99 increase over control (0.10 = 10%).
    pub latency_p99_max_increase: f64,
    /// Largest allowed error-rate increase over control (absolute, 0.01 = 1 point).
    pub error_rate_margin: f64,
    /// p-value below which the split is a sample-ratio mismatch.
    pub srm_alpha: f64,
    /// Share of users in several groups above which leakage fails (below: warn).
    pub leakage_max_share: f64,
}

impl Default for Guardrails {
    fn default() -> Self {
        Self {
            latency_p99_ms: 200.0,
            latency_p99_max_increase: 0.10,
            error_rate_margin: 0.01,
            srm_alpha: 0.001,
            leakage_max_share: 0.01,
        }
    }
}

/// Column-role overrides in the plan (`[columns]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanColumns {
    /// Timestamp column.
    pub timestamp: Option<String>,
    /// Group column.
    pub group: Option<String>,
    /// Model name column.
    pub model: Option<String>,
    /// Model version column.
    pub version: Option<String>,
    /// Request id column.
    pub request_id: Option<String>,
    /// User id column.
    pub user_id: Option<String>,
    /// Latency column.
    pub latency: Option<String>,
    /// Score column.
    pub score: Option<String>,
    /// Prediction column.
    pub prediction: Option<String>,
    /// Label column.
    pub label: Option<String>,
    /// Error column.
    pub error: Option<String>,
    /// Metric columns (replace the inferred list).
    pub metrics: Option<Vec<String>>,
}

/// The analysis plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Plan {
    /// The metric the decision rests on; every other metric is exploratory.
    pub primary_metric: Option<String>,
    /// Which way the primary metric should move.
    pub direction: Direction,
    /// Significance level.
    pub alpha: f64,
    /// Power for the sample-size calculation.
    pub power: f64,
    /// Minimum detectable effect on the primary rate (absolute unless `mde_relative`).
    pub minimum_detectable_effect: f64,
    /// The MDE is relative to the control rate.
    pub mde_relative: bool,
    /// Control group name.
    pub control: Option<String>,
    /// Expected traffic split (group → share or percent).
    pub expected_split: BTreeMap<String, f64>,
    /// Correction across segment values.
    pub correction: Correction,
    /// Segment columns (replace the inferred ones).
    pub segments: Option<Vec<String>>,
    /// Timeline bucket (`1m`, `5m`, `1h`, `1d`, or `auto`).
    pub bucket: Option<String>,
    /// Guardrail thresholds.
    pub guardrails: Guardrails,
    /// Column-role overrides.
    pub columns: PlanColumns,
    /// Drift thresholds, feature list and retraining triggers (`verdict drift`).
    pub drift: crate::analysis::drift::DriftConfig,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            primary_metric: None,
            direction: Direction::Increase,
            alpha: 0.05,
            power: 0.8,
            minimum_detectable_effect: 0.01,
            mde_relative: false,
            control: None,
            expected_split: BTreeMap::new(),
            correction: Correction::Holm,
            segments: None,
            bucket: None,
            guardrails: Guardrails::default(),
            columns: PlanColumns::default(),
            drift: Default::default(),
        }
    }
}

/// A plan that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file cannot be read.
    #[error("{file}: cannot read plan: {problem}")]
    Read {
        /// The plan file.
        file: String,
        /// Why.
        problem: String,
    },
    /// The TOML is malformed or has unknown keys.
    #[error("{file}: invalid plan: {problem}")]
    Parse {
        /// The plan file.
        file: String,
        /// Why (names the key).
        problem: String,
    },
    /// A value is out of range.
    #[error("{file}: invalid plan: {problem}")]
    Invalid {
        /// The plan file.
        file: String,
        /// Which value and why.
        problem: String,
    },
}

impl Plan {
    /// Reads and validates a plan file.
    pub fn load(path: &Path) -> Result<Plan, PlanError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PlanError::Read {
            file: file.clone(),
            problem: e.to_string(),
        })?;
        Self::parse(&text, &file)
    }

    /// Parses and validates plan text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Plan, PlanError> {
        let plan: Plan = toml::from_str(text).map_err(|e| PlanError::Parse {
            file: file.to_string(),
            problem: e.message().to_string(),
        })?;
        plan.validate().map_err(|problem| PlanError::Invalid {
            file: file.to_string(),
            problem,
        })?;
        Ok(plan)
    }

    /// Checks value ranges; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let unit = |name: &str, v: f64| {
            if v > 0.0 && v < 1.0 {
                Ok(())
            } else {
                Err(format!(
                    "{name} must be between 0 and 1 (exclusive), got {v}"
                ))
            }
        };
        unit("alpha", self.alpha)?;
        unit("power", self.power)?;
        if self.minimum_detectable_effect.is_nan() || self.minimum_detectable_effect <= 0.0 {
            return Err(format!(
                "minimum_detectable_effect must be positive, got {}",
                self.minimum_detectable_effect
            ));
        }
        for (g, v) in &self.expected_split {
            if !v.is_finite() || *v <= 0.0 {
                return Err(format!(
                    "expected_split.{g} must be a positive number, got {v}"
                ));
            }
        }
        if self.expected_split.len() == 1 {
            return Err("expected_split needs at least two groups".into());
        }
        if let Some(b) = &self.bucket {
            crate::analysis::timeline::parse_bucket(b).map_err(|e| format!("bucket: {e}"))?;
        }
        let g = &self.guardrails;
        if g.latency_p99_ms.is_nan() || g.latency_p99_ms <= 0.0 {
            return Err(format!(
                "guardrails.latency_p99_ms must be positive, got {}",
                g.latency_p99_ms
            ));
        }
        if g.latency_p99_max_increase.is_nan() || g.latency_p99_max_increase < 0.0 {
            return Err("guardrails.latency_p99_max_increase must be >= 0".into());
        }
        if !(g.error_rate_margin >= 0.0 && g.error_rate_margin < 1.0) {
            return Err("guardrails.error_rate_margin must be in [0, 1)".into());
        }
        unit("guardrails.srm_alpha", g.srm_alpha)?;
        if !(g.leakage_max_share >= 0.0 && g.leakage_max_share <= 1.0) {
            return Err("guardrails.leakage_max_share must be in [0, 1]".into());
        }
        if let Some(p) = &self.primary_metric {
            if p.trim().is_empty() {
                return Err("primary_metric must not be empty".into());
            }
        }
        self.drift.validate()
    }

    /// The role overrides the plan declares.
    pub fn role_overrides(&self) -> RoleOverrides {
        let c = &self.columns;
        let mut columns = BTreeMap::new();
        for (role, v) in [
            (Role::Timestamp, &c.timestamp),
            (Role::Group, &c.group),
            (Role::Model, &c.model),
            (Role::Version, &c.version),
            (Role::RequestId, &c.request_id),
            (Role::UserId, &c.user_id),
            (Role::Latency, &c.latency),
            (Role::Score, &c.score),
            (Role::Prediction, &c.prediction),
            (Role::Label, &c.label),
            (Role::Error, &c.error),
        ] {
            if let Some(v) = v {
                columns.insert(role, v.clone());
            }
        }
        RoleOverrides {
            columns,
            segments: self.segments.clone(),
            metrics: c.metrics.clone(),
        }
    }

    /// Serialises the plan as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_an_error() {
        let e = Plan::parse("primary_metrc = \"x\"", "verdict.toml").unwrap_err();
        assert!(e.to_string().contains("primary_metrc"), "{e}");
    }

    #[test]
    fn invalid_alpha() {
        let e = Plan::parse("alpha = 1.5", "verdict.toml").unwrap_err();
        assert!(e.to_string().contains("alpha"), "{e}");
    }

    #[test]
    fn full_plan_roundtrips() {
        let text = r#"
primary_metric = "converted"
direction = "increase"
alpha = 0.01
correction = "bh"
[expected_split]
A = 90
B = 10
[guardrails]
latency_p99_ms = 150
[columns]
group = "arm"
"#;
        let p = Plan::parse(text, "p").unwrap();
        assert_eq!(p.alpha, 0.01);
        assert_eq!(p.correction, Correction::Bh);
        assert_eq!(p.guardrails.latency_p99_ms, 150.0);
        assert_eq!(p.role_overrides().columns[&Role::Group], "arm");
        assert_eq!(Plan::parse(&p.to_toml(), "p").unwrap(), p);
    }
}
