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
//! time_unit = "ms"                # numeric epoch timestamps: s, ms, us or ns (default: by magnitude)
//! unit = "user_id"                # the analysis unit: a user column, or "request" (default: detected)
//! ramp = [1, 5, 20, 50]           # percent of units to the treatment per stage, in order
//! experiment_start = "2025-12-13T13:00:00Z"   # rows before are the pre-period (CUPED)
//! inference = "sequential"      # always-valid tests (default), or "fixed"
//! sequential_tuning = 5000        # N*: the sample size the sequential test is tuned for
//! cuped = true                    # default: on when a pre-period exists
//! pre_period = ["logs/before/*.jsonl"]   # pre-period files (instead of rows before the start)
//! # covariate = "prior_revenue"   # or a per-user covariate column in the log
//! # guardrail_alpha = 0.05        # default: alpha
//! reproducibility_tolerance = 0.005   # recorded offline metrics vs the replay (compare)
//!
//! # instead of `ramp`, stages with their start and split:
//! # [[stages]]
//! # start = "2025-12-13T13:00:00Z"
//! # split = { A = 95, B = 5 }
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
//! [[guardrails.metric]]           # any metric as a non-inferiority guardrail
//! name = "revenue"
//! margin = 0.02
//! relative = true
//! direction = "increase"
//!
//! [columns]
//! group = "arm"
//! metrics = ["converted", "revenue"]
//! ```

pub mod drift;
pub mod duration;
pub mod error;
pub mod inference;
pub mod rollout;
pub(crate) mod validate;

pub use drift::{DriftConfig, TriggerConfig};
pub use error::{PlanError, SettingError};
pub use inference::{Inference, MetricGuardrail};
pub use rollout::{PlanStage, UnitChoice};

use crate::ingest::time::EpochUnit;
use crate::ingest::{Role, RoleOverrides};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Which multiple-testing correction applies across segment values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Correction {
    /// Holm–Bonferroni step-down (controls the family-wise error rate).
    #[default]
    Holm,
    /// Benjamini–Hochberg step-up (controls the false discovery rate).
    #[serde(alias = "fdr_bh", alias = "benjamini-hochberg")]
    Bh,
}

impl std::fmt::Display for Correction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Correction {
    /// The name as written in reports (`holm`, `bh`).
    pub fn as_str(self) -> &'static str {
        match self {
            Correction::Holm => "holm",
            Correction::Bh => "bh",
        }
    }

    /// Parses `holm` or `bh` (also `fdr_bh`, `benjamini-hochberg`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "holm" => Some(Correction::Holm),
            "bh" | "fdr_bh" | "benjamini-hochberg" => Some(Correction::Bh),
            _ => None,
        }
    }
}

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
    /// Metrics declared as non-inferiority guardrails.
    pub metric: Vec<MetricGuardrail>,
}

impl Default for Guardrails {
    fn default() -> Self {
        Self {
            latency_p99_ms: 200.0,
            latency_p99_max_increase: 0.10,
            error_rate_margin: 0.01,
            srm_alpha: 0.001,
            leakage_max_share: 0.01,
            metric: Vec::new(),
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
    /// Unit of numeric epoch timestamps in text formats (`s`, `ms`, `us`, `ns`); by
    /// magnitude when unset. Typed timestamp columns (Parquet) carry their own unit.
    pub time_unit: Option<EpochUnit>,
    /// Guardrail thresholds.
    pub guardrails: Guardrails,
    /// Column-role overrides.
    pub columns: PlanColumns,
    /// Drift thresholds, feature list and retraining triggers (`verdict drift`).
    pub drift: DriftConfig,
    /// The analysis unit: a user column, or `request` (detected when unset).
    pub unit: Option<String>,
    /// Declared ramp: percent of units to the treatment per stage, in order.
    pub ramp: Option<Vec<f64>>,
    /// Declared stages with their start and split (instead of detection).
    pub stages: Vec<PlanStage>,
    /// Rows before this time are the pre-period: in no stage, used only as CUPED's covariate.
    pub experiment_start: Option<String>,
    /// Fixed-horizon or always-valid (sequential) tests.
    pub inference: Inference,
    /// N*, the total sample size the sequential test is tuned for (gbstats' default 5000).
    pub sequential_tuning: f64,
    /// CUPED variance reduction (default: on when a pre-period or covariate exists).
    pub cuped: Option<bool>,
    /// Files of the pre-period (globs), instead of the log's rows before `experiment_start`.
    pub pre_period: Vec<String>,
    /// A per-user covariate column for CUPED (the user's mean of it), instead of a pre-period.
    pub covariate: Option<String>,
    /// Level of the guardrails' non-inferiority tests (default: `alpha`).
    pub guardrail_alpha: Option<f64>,
    /// Score at or above which a decision is positive when none is logged (shadow runs).
    pub threshold: f64,
    /// Largest difference between a model's recorded offline metric and the replay's before
    /// the `reproducibility` check warns (`verdict compare`).
    pub reproducibility_tolerance: f64,
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
            time_unit: None,
            guardrails: Guardrails::default(),
            columns: PlanColumns::default(),
            drift: Default::default(),
            unit: None,
            ramp: None,
            stages: Vec::new(),
            experiment_start: None,
            inference: Inference::Sequential,
            sequential_tuning: 5000.0,
            cuped: None,
            pre_period: Vec::new(),
            covariate: None,
            guardrail_alpha: None,
            threshold: 0.5,
            reproducibility_tolerance: 0.005,
        }
    }
}

impl Plan {
    /// Reads and validates a plan file.
    pub fn load(path: &Path) -> Result<Plan, PlanError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read {
            file: file.clone(),
            source,
        })?;
        let mut plan = Self::parse(&text, &file)?;
        // pre-period files are named relative to the plan
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            for p in &mut plan.pre_period {
                if Path::new(p.as_str()).is_relative() {
                    *p = dir.join(&*p).display().to_string();
                }
            }
        }
        Ok(plan)
    }

    /// Parses and validates plan text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Plan, PlanError> {
        let plan: Plan = toml::from_str(text).map_err(|e| {
            // name the line, so a bad value is found even when the message does not say
            // which key it belongs to
            let line = e.span().and_then(|span| {
                let start = span.start.min(text.len());
                let number = text[..start].matches('\n').count() + 1;
                let content = text.lines().nth(number - 1)?.trim();
                Some(format!("line {number} `{content}`: "))
            });
            PlanError::Parse {
                file: file.to_string(),
                problem: format!("{}{}", line.unwrap_or_default(), e.message()),
            }
        })?;
        plan.validate().map_err(|source| PlanError::Invalid {
            file: file.to_string(),
            source,
        })?;
        Ok(plan)
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
        // the unit column is the user column unless the plan names another one
        if let Some(Ok(UnitChoice::Column(u))) = self.unit.as_deref().map(UnitChoice::parse) {
            columns.entry(Role::UserId).or_insert(u);
        }
        RoleOverrides {
            columns,
            segments: self.segments.clone(),
            metrics: c.metrics.clone(),
            time_unit: self.time_unit,
            pre_period_before_us: self
                .experiment_start
                .as_deref()
                .and_then(|s| rollout::timestamp_us("experiment_start", s).ok()),
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
    fn trigger_thresholds_must_be_numbers_in_range() {
        for bad in [
            "[drift.triggers]\nauc_decline = nan",
            "[drift.triggers]\nf1_relative_drop = 1.5",
            "[drift.triggers]\nnull_rate_increase = -0.1",
            "[drift.triggers]\nscore_threshold = inf",
            "[drift.triggers]\nlabel_classes = 0",
            "minimum_detectable_effect = inf",
        ] {
            let e = Plan::parse(bad, "verdict.toml").unwrap_err();
            let key = bad.rsplit('\n').next().unwrap().split(' ').next().unwrap();
            assert!(e.to_string().contains(key), "{bad}: {e}");
        }
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
