//! Rollout settings of a plan: the analysis unit, the declared ramp or stages, and the
//! experiment start.

use super::error::SettingError;
use crate::ingest::time::parse_timestamp_with;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The unit a plan (or `--unit`) asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitChoice {
    /// Every request is an observation.
    Request,
    /// Users identified by this column.
    Column(String),
}

impl UnitChoice {
    /// `request` (any case) or a column name.
    pub fn parse(text: &str) -> Result<Self, SettingError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(SettingError::Empty { key: "unit" });
        }
        Ok(if t.eq_ignore_ascii_case("request") {
            UnitChoice::Request
        } else {
            UnitChoice::Column(t.to_string())
        })
    }
}

/// A declared stage: from `start` on, the split is `split`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanStage {
    /// ISO 8601 time the stage starts (inclusive).
    pub start: String,
    /// Group → share or percent.
    pub split: BTreeMap<String, f64>,
}

/// A timestamp setting as µs, or an error naming the key.
pub fn timestamp_us(key: &str, text: &str) -> Result<i64, SettingError> {
    parse_timestamp_with(text.trim(), None).ok_or_else(|| SettingError::Timestamp {
        key: key.to_string(),
        value: text.to_string(),
    })
}

/// Checks `ramp`, `[[stages]]` and `experiment_start`.
pub fn validate(
    unit: Option<&str>,
    ramp: Option<&[f64]>,
    stages: &[PlanStage],
    experiment_start: Option<&str>,
) -> Result<(), SettingError> {
    if let Some(u) = unit {
        UnitChoice::parse(u)?;
    }
    if let Some(r) = ramp {
        if r.is_empty() {
            return Err(SettingError::Empty { key: "ramp" });
        }
        for v in r {
            if !(v.is_finite() && *v > 0.0 && *v <= 100.0) {
                return Err(SettingError::OutOfRange {
                    key: "ramp",
                    range: "(0, 100] percent",
                    value: *v,
                });
            }
        }
    }
    if ramp.is_some() && !stages.is_empty() {
        return Err(SettingError::Stages(
            "declare either ramp or [[stages]], not both".into(),
        ));
    }
    let mut last = i64::MIN;
    for (i, s) in stages.iter().enumerate() {
        let t = timestamp_us(&format!("stages[{i}].start"), &s.start)?;
        if t <= last {
            return Err(SettingError::Stages(format!(
                "stages[{i}].start must be after the previous stage's start"
            )));
        }
        last = t;
        if s.split.len() < 2 {
            return Err(SettingError::Stages(format!(
                "stages[{i}].split needs at least two groups"
            )));
        }
        for (g, v) in &s.split {
            if !(v.is_finite() && *v >= 0.0) {
                return Err(SettingError::NotPositive {
                    key: format!("stages[{i}].split.{g}"),
                    value: *v,
                });
            }
        }
        if s.split.values().sum::<f64>() <= 0.0 {
            return Err(SettingError::Stages(format!(
                "stages[{i}].split must give some group a share"
            )));
        }
    }
    if let Some(s) = experiment_start {
        timestamp_us("experiment_start", s)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::plan::Plan;

    fn parse(text: &str) -> Result<Plan, String> {
        Plan::parse(text, "verdict.toml").map_err(|e| e.to_string())
    }

    #[test]
    fn ramp_stages_unit_and_start_are_checked() {
        let ok = parse(
            "unit = \"user_id\"\nramp = [1, 5, 20, 50]\nexperiment_start = \"2025-12-13T13:00:00Z\"\n",
        )
        .unwrap();
        assert_eq!(ok.ramp, Some(vec![1.0, 5.0, 20.0, 50.0]));
        let staged = parse(
            "[[stages]]\nstart = \"2025-12-13T13:00:00Z\"\nsplit = { A = 99, B = 1 }\n[[stages]]\nstart = \"2025-12-13T14:00:00Z\"\nsplit = { A = 50, B = 50 }\n",
        )
        .unwrap();
        assert_eq!(staged.stages.len(), 2);
        for (bad, says) in [
            ("ramp = [0, 50]", "ramp"),
            ("ramp = [5, 150]", "ramp"),
            ("ramp = []", "ramp"),
            ("unit = \" \"", "unit"),
            ("experiment_start = \"yesterday\"", "experiment_start"),
            (
                "ramp = [5]\n[[stages]]\nstart = \"2025-12-13T13:00:00Z\"\nsplit = { A = 1, B = 1 }",
                "either ramp or [[stages]]",
            ),
            (
                "[[stages]]\nstart = \"2025-12-13T14:00:00Z\"\nsplit = { A = 1, B = 1 }\n[[stages]]\nstart = \"2025-12-13T13:00:00Z\"\nsplit = { A = 1, B = 1 }",
                "after the previous stage",
            ),
            (
                "[[stages]]\nstart = \"2025-12-13T14:00:00Z\"\nsplit = { A = 1 }",
                "at least two groups",
            ),
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
