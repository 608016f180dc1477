//! The plan's `[drift]` and `[drift.triggers]` sections: drift thresholds, the feature
//! list and the retraining-trigger thresholds.

use super::error::SettingError;
use super::validate::{non_negative, probability, unit_interval};
use serde::{Deserialize, Serialize};

/// Drift settings (from flags and the plan's `[drift]` section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DriftConfig {
    /// Significance level of the per-feature tests.
    pub alpha: f64,
    /// PSI at or above which a significant shift counts as drift.
    pub psi_threshold: f64,
    /// PSI at or above which a feature alerts and the drift trigger fires.
    pub psi_alert: f64,
    /// Share of drifted features at or above which the dataset counts as drifted.
    pub share_threshold: f64,
    /// Features to compare (default: every column except time, ids, group/model columns
    /// and log noise; only `features.*` when the data has such nested features).
    pub features: Option<Vec<String>>,
    /// Retraining-trigger thresholds (`[drift.triggers]`).
    pub triggers: TriggerConfig,
    /// Snapshot width of PSI over time and the performance series (`5m`, `1h`, `1d`);
    /// picked from the data's span when unset (about 25–60 snapshots).
    pub every: Option<String>,
}

impl Default for DriftConfig {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            psi_threshold: 0.1,
            psi_alert: 0.15,
            share_threshold: 0.5,
            features: None,
            triggers: TriggerConfig::default(),
            every: None,
        }
    }
}

/// Trigger thresholds (the plan's `[drift.triggers]` section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TriggerConfig {
    /// AUC decline below the reference that counts (absolute).
    pub auc_decline: f64,
    /// Consecutive days of decline that fire a performance trigger.
    pub decline_days: usize,
    /// Relative F1 drop against the reference period that fires.
    pub f1_relative_drop: f64,
    /// Relative decline of a metric's daily mean that warns.
    pub metric_relative_decline: f64,
    /// Decision threshold on the score when there is no prediction column.
    pub score_threshold: f64,
    /// Fewest rows a side may have.
    pub min_rows: u64,
    /// Expected number of distinct labels.
    pub label_classes: usize,
    /// Null-rate increase (absolute) that warns.
    pub null_rate_increase: f64,
}

impl Default for TriggerConfig {
    fn default() -> Self {
        Self {
            auc_decline: 0.015,
            decline_days: 3,
            f1_relative_drop: 0.05,
            metric_relative_decline: 0.05,
            score_threshold: 0.5,
            min_rows: 100,
            label_classes: 2,
            null_rate_increase: 0.1,
        }
    }
}

impl DriftConfig {
    /// Checks ranges; the error names the setting.
    pub fn validate(&self) -> Result<(), SettingError> {
        probability("drift.alpha", self.alpha)?;
        probability("drift.share_threshold", self.share_threshold)?;
        for (v, key) in [
            (self.psi_threshold, "drift.psi_threshold"),
            (self.psi_alert, "drift.psi_alert"),
        ] {
            non_negative(key, v)?;
        }
        self.every_us()?;
        self.triggers.validate()
    }

    /// The chosen snapshot width in µs (None: from the data).
    pub fn every_us(&self) -> Result<Option<i64>, SettingError> {
        match &self.every {
            None => Ok(None),
            Some(t) => super::duration::parse_bucket(t)
                .map(|s| s.map(|s| s as i64 * 1_000_000))
                .map_err(|source| SettingError::Duration {
                    key: "drift.every",
                    source,
                }),
        }
    }
}

impl TriggerConfig {
    /// Checks ranges; the error names the setting.
    pub fn validate(&self) -> Result<(), SettingError> {
        for (key, v) in [
            ("drift.triggers.auc_decline", self.auc_decline),
            ("drift.triggers.f1_relative_drop", self.f1_relative_drop),
            (
                "drift.triggers.metric_relative_decline",
                self.metric_relative_decline,
            ),
            ("drift.triggers.null_rate_increase", self.null_rate_increase),
        ] {
            unit_interval(key, v)?;
        }
        if !self.score_threshold.is_finite() {
            return Err(SettingError::OutOfRange {
                key: "drift.triggers.score_threshold",
                range: "finite numbers",
                value: self.score_threshold,
            });
        }
        if self.decline_days == 0 {
            return Err(SettingError::TooSmall {
                key: "drift.decline_days",
                min: 1,
            });
        }
        if self.label_classes == 0 {
            return Err(SettingError::TooSmall {
                key: "drift.triggers.label_classes",
                min: 1,
            });
        }
        Ok(())
    }
}
