//! Inference settings of a plan: fixed-horizon or always-valid (sequential) tests, CUPED's
//! pre-period, and guardrails declared on metrics as non-inferiority margins.

use super::error::SettingError;
use super::Direction;
use serde::{Deserialize, Serialize};

/// How p-values and intervals are computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Inference {
    /// Always-valid confidence sequences (gbstats `SequentialTwoSidedTTest`): looking at the
    /// results as often as one likes keeps the false-positive rate at alpha.
    #[default]
    Sequential,
    /// Fixed-horizon tests: valid only when looked at once, at the planned sample size.
    Fixed,
}

impl Inference {
    /// The name as written in reports (`sequential`, `fixed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Inference::Sequential => "sequential",
            Inference::Fixed => "fixed",
        }
    }

    /// Parses `sequential` or `fixed` (any case).
    pub fn parse(text: &str) -> Result<Self, SettingError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sequential" | "always-valid" | "always_valid" => Ok(Inference::Sequential),
            "fixed" | "fixed-horizon" | "fixed_horizon" => Ok(Inference::Fixed),
            _ => Err(SettingError::Choice {
                key: "inference",
                value: text.to_string(),
                choices: "sequential, fixed",
            }),
        }
    }
}

impl std::fmt::Display for Inference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A guardrail on a metric: the treatment may not be worse than `margin`
/// (`[[guardrails.metric]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricGuardrail {
    /// The metric column.
    pub name: String,
    /// The largest harm tolerated (absolute unless `relative`).
    pub margin: f64,
    /// The direction the metric should move (harm is the other one).
    #[serde(default)]
    pub direction: Direction,
    /// The margin is relative to the control (0.02 = 2 %).
    #[serde(default)]
    pub relative: bool,
}

/// Checks the inference settings.
pub fn validate(
    tuning: f64,
    guardrail_alpha: Option<f64>,
    metrics: &[MetricGuardrail],
    pre_period: &[String],
) -> Result<(), SettingError> {
    if !(tuning.is_finite() && tuning >= 1.0) {
        return Err(SettingError::NotPositive {
            key: "sequential_tuning (at least 1)".into(),
            value: tuning,
        });
    }
    if let Some(a) = guardrail_alpha {
        super::validate::probability("guardrail_alpha", a)?;
    }
    for (i, m) in metrics.iter().enumerate() {
        if m.name.trim().is_empty() {
            return Err(SettingError::Empty {
                key: "guardrails.metric.name",
            });
        }
        if !(m.margin.is_finite() && m.margin >= 0.0) {
            return Err(SettingError::NotPositive {
                key: format!("guardrails.metric[{i}].margin ({})", m.name),
                value: m.margin,
            });
        }
    }
    if pre_period.iter().any(|p| p.trim().is_empty()) {
        return Err(SettingError::Empty { key: "pre_period" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names() {
        assert_eq!(Inference::parse("Fixed").unwrap(), Inference::Fixed);
        assert_eq!(
            Inference::parse("sequential").unwrap(),
            Inference::Sequential
        );
        assert!(Inference::parse("bayes")
            .unwrap_err()
            .to_string()
            .contains("inference"));
    }
}
