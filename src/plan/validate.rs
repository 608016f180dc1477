//! Range checks of a plan; each error names the key.

use super::duration::parse_bucket;
use super::error::SettingError;
use super::Plan;

fn probability(key: &'static str, value: f64) -> Result<(), SettingError> {
    if value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(SettingError::NotAProbability { key, value })
    }
}

fn positive(key: &str, value: f64) -> Result<(), SettingError> {
    if value.is_nan() || value <= 0.0 {
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
            if !v.is_finite() {
                return Err(SettingError::NotPositive {
                    key: format!("expected_split.{g}"),
                    value: *v,
                });
            }
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
        if g.latency_p99_max_increase.is_nan() || g.latency_p99_max_increase < 0.0 {
            return Err(SettingError::Negative {
                key: "guardrails.latency_p99_max_increase",
                value: g.latency_p99_max_increase,
            });
        }
        if !(g.error_rate_margin >= 0.0 && g.error_rate_margin < 1.0) {
            return Err(SettingError::OutOfRange {
                key: "guardrails.error_rate_margin",
                range: "[0, 1)",
                value: g.error_rate_margin,
            });
        }
        probability("guardrails.srm_alpha", g.srm_alpha)?;
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
        self.drift.validate()
    }
}
