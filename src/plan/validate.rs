//! Range checks of a plan; each error names the key.

use super::duration::parse_bucket;
use super::error::SettingError;
use super::Plan;

/// Strictly between 0 and 1 (NaN fails).
pub(super) fn probability(key: &'static str, value: f64) -> Result<(), SettingError> {
    if value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(SettingError::NotAProbability { key, value })
    }
}

/// In [0, 1] (NaN fails).
pub(super) fn unit_interval(key: &'static str, value: f64) -> Result<(), SettingError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(SettingError::OutOfRange {
            key,
            range: "[0, 1]",
            value,
        })
    }
}

/// A finite number of at least 0.
pub(super) fn non_negative(key: &'static str, value: f64) -> Result<(), SettingError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(SettingError::Negative { key, value })
    }
}

fn positive(key: &str, value: f64) -> Result<(), SettingError> {
    if !value.is_finite() || value <= 0.0 {
        return Err(SettingError::NotPositive {
            key: key.to_string(),
            value,
        });
    }
    Ok(())
}

impl Plan {
    /// Checks value ranges; the error names the key.
    pub fn validate(&self) -> Result<(), SettingError> {
        probability("alpha", self.alpha)?;
        probability("power", self.power)?;
        positive("minimum_detectable_effect", self.minimum_detectable_effect)?;
        for (g, v) in &self.expected_split {
            positive(&format!("expected_split.{g}"), *v)?;
        }
        if self.expected_split.len() == 1 {
            return Err(SettingError::SplitTooSmall);
        }
        if let Some(b) = &self.bucket {
            parse_bucket(b).map_err(|source| SettingError::Duration {
                key: "bucket",
                source,
            })?;
        }
        let g = &self.guardrails;
        positive("guardrails.latency_p99_ms", g.latency_p99_ms)?;
        non_negative(
            "guardrails.latency_p99_max_increase",
            g.latency_p99_max_increase,
        )?;
        if !(g.error_rate_margin >= 0.0 && g.error_rate_margin < 1.0) {
            return Err(SettingError::OutOfRange {
                key: "guardrails.error_rate_margin",
                range: "[0, 1)",
                value: g.error_rate_margin,
            });
        }
        probability("guardrails.srm_alpha", g.srm_alpha)?;
        non_negative("reproducibility_tolerance", self.reproducibility_tolerance)?;
        if !(g.leakage_max_share >= 0.0 && g.leakage_max_share <= 1.0) {
            return Err(SettingError::OutOfRange {
                key: "guardrails.leakage_max_share",
                range: "[0, 1]",
                value: g.leakage_max_share,
            });
        }
        if self
            .primary_metric
            .as_ref()
            .is_some_and(|p| p.trim().is_empty())
        {
            return Err(SettingError::Empty {
                key: "primary_metric",
            });
        }
        super::rollout::validate(
            self.unit.as_deref(),
            self.ramp.as_deref(),
            &self.stages,
            self.experiment_start.as_deref(),
        )?;
        super::inference::validate(
            self.sequential_tuning,
            self.guardrail_alpha,
            &self.guardrails.metric,
            &self.pre_period,
        )?;
        self.drift.validate()
    }
}
