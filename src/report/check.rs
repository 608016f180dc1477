//! One check type for every report: experiment health and guardrails, drift retraining
//! triggers and data validation, and model-comparison checks. Each has a stable id, a
//! status, one line for people and the numbers behind it; each output format renders them
//! with one function.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// pass / warn / fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Pass,
    /// Look at it.
    Warn,
    /// Blocks a rollout.
    Fail,
}

impl Status {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// Stable id of a check (serialised in snake case, e.g. `latency_p99`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// Sample-ratio mismatch of the split.
    Srm,
    /// Users seen in more than one group.
    Leakage,
    /// Planned sample size reached.
    SampleSize,
    /// Treatment p99 latency guardrail.
    LatencyP99,
    /// Treatment error-rate guardrail.
    ErrorRate,
    /// Treatment requests served by another model.
    Fallbacks,
    /// Features whose PSI reaches the alert threshold.
    Psi,
    /// Share of drifted features.
    DatasetDrift,
    /// Daily AUC below the reference for consecutive days.
    AucDecline,
    /// F1 drop against the reference period.
    F1Drop,
    /// Daily metric means below the reference for consecutive days.
    MetricDecline,
    /// Too few rows on a side.
    RowCount,
    /// Distinct labels other than expected.
    LabelCardinality,
    /// Features that became empty or much emptier.
    NullFeatures,
    /// Columns added, removed or retyped.
    Schema,
    /// Share of rows whose class changes between the models.
    DiffRate,
    /// The most important features differ between the models.
    ImportanceShift,
    /// The models read different inputs.
    FeatureAlignment,
    /// The models were trained in different environments.
    Environment,
    /// The effect differs between ramp stages (Cochran's Q).
    Heterogeneity,
    /// Declared ramp against the detected stages.
    Stages,
    /// Metrics declared as non-inferiority guardrails.
    Guardrails,
    /// CUPED's covariate: applied, or asked for without one.
    Cuped,
    /// A model was fed the holdout's columns by position.
    ColumnOrder,
    /// Recorded offline metrics against the replay.
    Reproducibility,
    /// The MLflow input example replays.
    InputExample,
}

impl CheckId {
    /// Every id.
    pub const ALL: [CheckId; 26] = [
        CheckId::Srm,
        CheckId::Leakage,
        CheckId::SampleSize,
        CheckId::LatencyP99,
        CheckId::ErrorRate,
        CheckId::Fallbacks,
        CheckId::Psi,
        CheckId::DatasetDrift,
        CheckId::AucDecline,
        CheckId::F1Drop,
        CheckId::MetricDecline,
        CheckId::RowCount,
        CheckId::LabelCardinality,
        CheckId::NullFeatures,
        CheckId::Schema,
        CheckId::DiffRate,
        CheckId::ImportanceShift,
        CheckId::FeatureAlignment,
        CheckId::Environment,
        CheckId::Heterogeneity,
        CheckId::Stages,
        CheckId::Guardrails,
        CheckId::Cuped,
        CheckId::ColumnOrder,
        CheckId::Reproducibility,
        CheckId::InputExample,
    ];

    /// The id as written in reports (`latency_p99`).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Srm => "srm",
            CheckId::Leakage => "leakage",
            CheckId::SampleSize => "sample_size",
            CheckId::LatencyP99 => "latency_p99",
            CheckId::ErrorRate => "error_rate",
            CheckId::Fallbacks => "fallbacks",
            CheckId::Psi => "psi",
            CheckId::DatasetDrift => "dataset_drift",
            CheckId::AucDecline => "auc_decline",
            CheckId::F1Drop => "f1_drop",
            CheckId::MetricDecline => "metric_decline",
            CheckId::RowCount => "row_count",
            CheckId::LabelCardinality => "label_cardinality",
            CheckId::NullFeatures => "null_features",
            CheckId::Schema => "schema",
            CheckId::DiffRate => "diff_rate",
            CheckId::ImportanceShift => "importance_shift",
            CheckId::FeatureAlignment => "feature_alignment",
            CheckId::Environment => "environment",
            CheckId::Heterogeneity => "heterogeneity",
            CheckId::Stages => "stages",
            CheckId::Guardrails => "guardrails",
            CheckId::Cuped => "cuped",
            CheckId::ColumnOrder => "column_order",
            CheckId::Reproducibility => "reproducibility",
            CheckId::InputExample => "input_example",
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One health check, guardrail, retraining trigger or comparison check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Stable id.
    pub id: CheckId,
    /// Outcome.
    pub status: Status,
    /// One line for people, with the numbers in it.
    pub message: String,
    /// The numbers behind the status, by name (units in the names, e.g. `p99_ms`).
    #[serde(default)]
    pub numbers: BTreeMap<String, f64>,
    /// Drift triggers: whether the check judged performance estimated without labels
    /// (CBPE) rather than realized; absent elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated: Option<bool>,
}

impl Check {
    /// A check without numbers.
    pub fn new(id: CheckId, status: Status, message: impl Into<String>) -> Self {
        Self {
            id,
            status,
            message: message.into(),
            numbers: BTreeMap::new(),
            estimated: None,
        }
    }

    /// The check's name for people: its id, with "(estimated)" when it judged performance
    /// estimated without labels.
    pub fn label(&self) -> String {
        if self.estimated == Some(true) {
            format!("{} (estimated)", self.id.as_str())
        } else {
            self.id.as_str().to_string()
        }
    }

    /// Adds a number (non-finite values are left out, so the JSON stays valid).
    pub fn with(mut self, name: impl Into<String>, value: f64) -> Self {
        self.add(name, value);
        self
    }

    /// Adds a number in place (non-finite values are left out).
    pub fn add(&mut self, name: impl Into<String>, value: f64) {
        if value.is_finite() {
            self.numbers.insert(name.into(), value);
        }
    }

    /// The numbers as `name=value` pairs, for tables.
    pub fn numbers_text(&self) -> String {
        self.numbers
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The most severe status of several checks (pass when there are none).
pub fn worst(checks: &[Check]) -> Status {
    checks
        .iter()
        .map(|c| c.status)
        .max()
        .unwrap_or(Status::Pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialise_to_the_report_strings() {
        for id in CheckId::ALL {
            let json = serde_json::to_value(id).unwrap();
            assert_eq!(json, serde_json::Value::String(id.as_str().into()));
            assert_eq!(serde_json::from_value::<CheckId>(json).unwrap(), id);
        }
        assert_eq!(CheckId::LatencyP99.as_str(), "latency_p99");
        assert_eq!(CheckId::F1Drop.as_str(), "f1_drop");
        let c = Check::new(CheckId::Srm, Status::Fail, "x")
            .with("p_value", 0.001)
            .with("nan", f64::NAN);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["id"], "srm");
        assert_eq!(v["status"], "fail");
        assert_eq!(v["numbers"]["p_value"], 0.001);
        assert!(v["numbers"].get("nan").is_none());
        assert_eq!(worst(&[c]), Status::Fail);
    }
}
