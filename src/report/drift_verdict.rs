//! The drift report read as one verdict: a feature's one flag (stable / watch / drifted),
//! the retraining answer from the triggers, and the line the window and Markdown open with.

use super::drift::{DriftReport, DriftSection, FeatureDrift};
use serde::{Deserialize, Serialize};

/// A feature's one drift flag, the same word in the window, Markdown and CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftFlag {
    /// Neither drifted nor over the alert PSI.
    Stable,
    /// PSI at or above the alert threshold without a significant test (few rows, or a
    /// shift the test cannot confirm): worth watching, not counted as drift.
    Watch,
    /// p < alpha and PSI at or above the drift threshold: counted in the dataset's share.
    Drifted,
}

impl DriftFlag {
    /// The flag's word.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftFlag::Stable => "stable",
            DriftFlag::Watch => "watch",
            DriftFlag::Drifted => "drifted",
        }
    }
}

impl FeatureDrift {
    /// The feature's one flag: drifted (what the dataset's share counts), watch (alert PSI
    /// only) or stable.
    pub fn flag(&self) -> DriftFlag {
        if self.drifted {
            DriftFlag::Drifted
        } else if self.alert {
            DriftFlag::Watch
        } else {
            DriftFlag::Stable
        }
    }
}

/// The retraining answer read off the triggers and data checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Retrain {
    /// A trigger or data check failed.
    Yes,
    /// One warns: not yet, keep an eye on it.
    Watch,
    /// Every trigger passed (or could not be evaluated).
    No,
}

impl DriftReport {
    /// Whether to retrain, and the triggers behind the answer (their labels).
    pub fn retrain(&self) -> (Retrain, Vec<String>) {
        let of = |st: super::Status| -> Vec<String> {
            self.triggers
                .iter()
                .filter(|c| c.status == st)
                .map(|c| c.label())
                .collect()
        };
        let fail = of(super::Status::Fail);
        if !fail.is_empty() {
            return (Retrain::Yes, fail);
        }
        let warn = of(super::Status::Warn);
        if !warn.is_empty() {
            return (Retrain::Watch, warn);
        }
        (Retrain::No, Vec::new())
    }

    /// The one verdict line: the dataset's drift and the retraining answer.
    pub fn verdict_line(&self) -> String {
        let drifted = self
            .features
            .iter()
            .filter(|f| f.section == DriftSection::Input && f.drifted)
            .count();
        let watch = self
            .features
            .iter()
            .filter(|f| f.flag() == DriftFlag::Watch)
            .count();
        let dataset = format!(
            "Dataset {}: {drifted} of {} input features drifted{}",
            if self.dataset_drifted {
                "drifted"
            } else {
                "not drifted"
            },
            self.input_features,
            if watch > 0 {
                format!(", {watch} feature(s) to watch")
            } else {
                String::new()
            }
        );
        let (answer, why) = self.retrain();
        let retrain = match answer {
            Retrain::Yes => format!("Retrain: yes ({} failed)", why.join(", ")),
            Retrain::Watch => format!("Retrain: not yet, watch {}", why.join(", ")),
            Retrain::No => "Retrain: no, no trigger fired".to_string(),
        };
        format!("{dataset}. {retrain}.")
    }
}
