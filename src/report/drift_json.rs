//! The drift report as `verdict drift --format json` writes it: input features under
//! `features`, the other sections in their own arrays (`prediction_drift`, `target_drift`,
//! `operational`, rows of the same shape), `granularity` in seconds.

use super::drift::{
    DailySeries, DriftExcluded, DriftReport, DriftSection, DriftSide, DriftThresholds,
    FeatureDrift, PerformanceFit, PerformancePoint, PsiOverTime, SchemaDiff, SplitInfo,
};
use super::Check;
use serde::{Deserialize, Serialize};

/// The JSON shape of [`DriftReport`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DriftJson {
    reference: DriftSide,
    current: DriftSide,
    split: SplitInfo,
    thresholds: DriftThresholds,
    /// Input features (data drift) only.
    features: Vec<FeatureDrift>,
    /// The model's output: score, predicted class.
    #[serde(default)]
    prediction_drift: Vec<FeatureDrift>,
    /// Label and outcome metrics.
    #[serde(default)]
    target_drift: Vec<FeatureDrift>,
    /// Latency.
    #[serde(default)]
    operational: Vec<FeatureDrift>,
    #[serde(default)]
    input_features: u64,
    #[serde(default)]
    excluded: DriftExcluded,
    schema: SchemaDiff,
    drift_share: f64,
    dataset_drifted: bool,
    triggers: Vec<Check>,
    psi_over_time: PsiOverTime,
    daily: Vec<DailySeries>,
    /// Period width of PSI over time and the performance series, seconds.
    #[serde(default)]
    granularity: u64,
    #[serde(default)]
    performance: Vec<PerformancePoint>,
    #[serde(default)]
    performance_fits: Vec<PerformanceFit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    binned: Option<super::drift::BinnedInfo>,
}

impl From<DriftReport> for DriftJson {
    fn from(r: DriftReport) -> Self {
        let mut sections: [Vec<FeatureDrift>; 4] = Default::default();
        for f in r.features {
            let i = DriftSection::ALL
                .iter()
                .position(|s| *s == f.section)
                .unwrap_or(0);
            sections[i].push(f);
        }
        let [features, prediction_drift, target_drift, operational] = sections;
        DriftJson {
            reference: r.reference,
            current: r.current,
            split: r.split,
            thresholds: r.thresholds,
            features,
            prediction_drift,
            target_drift,
            operational,
            input_features: r.input_features,
            excluded: r.excluded,
            schema: r.schema,
            drift_share: r.drift_share,
            dataset_drifted: r.dataset_drifted,
            triggers: r.triggers,
            psi_over_time: r.psi_over_time,
            daily: r.daily,
            granularity: r.granularity_s,
            performance: r.performance,
            performance_fits: r.performance_fits,
            binned: r.binned,
        }
    }
}

impl From<DriftJson> for DriftReport {
    fn from(j: DriftJson) -> Self {
        let mut features = Vec::new();
        for (section, rows) in DriftSection::ALL.iter().zip([
            j.features,
            j.prediction_drift,
            j.target_drift,
            j.operational,
        ]) {
            features.extend(rows.into_iter().map(|mut f| {
                f.section = *section;
                f
            }));
        }
        DriftReport {
            reference: j.reference,
            current: j.current,
            split: j.split,
            thresholds: j.thresholds,
            features,
            input_features: j.input_features,
            excluded: j.excluded,
            schema: j.schema,
            drift_share: j.drift_share,
            dataset_drifted: j.dataset_drifted,
            triggers: j.triggers,
            psi_over_time: j.psi_over_time,
            daily: j.daily,
            granularity_s: j.granularity,
            performance: j.performance,
            performance_fits: j.performance_fits,
            binned: j.binned,
        }
    }
}
