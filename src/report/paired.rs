//! Results of paired statistics (two models on the same requests): McNemar, DeLong and the
//! paired t-test. The tests themselves are in `analysis::paired`.

use serde::{Deserialize, Serialize};

/// McNemar's test of `b` (the champion fails, the challenger does not) against `c` (the
/// reverse).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct McNemar {
    /// Champion fails / is wrong while the challenger succeeds / is right.
    pub b: u64,
    /// Challenger fails / is wrong while the champion succeeds / is right.
    pub c: u64,
    /// min(b, c) when exact, else the corrected chi-square (null with no discordant pair).
    pub statistic: Option<f64>,
    /// Two-sided p-value (null with no discordant pair and the chi-square branch).
    pub p_value: Option<f64>,
    /// b + c < 25: the exact binomial test.
    pub exact: bool,
}

/// The difference of two AUCs (challenger − champion) with its DeLong variance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeLong {
    /// Champion AUC.
    pub auc_champion: f64,
    /// Challenger AUC.
    pub auc_challenger: f64,
    /// Challenger − champion.
    pub diff: f64,
    /// Variance of the difference.
    pub variance: f64,
    /// Its square root.
    pub se: f64,
    /// diff / se.
    pub z: f64,
    /// Two-sided normal p-value.
    pub p_value: f64,
    /// Interval at 1 − alpha.
    pub ci_low: f64,
    /// Interval at 1 − alpha.
    pub ci_high: f64,
}

/// Mean of the differences with its t interval and p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedT {
    /// Pairs.
    pub n: u64,
    /// Mean difference.
    pub mean: f64,
    /// t statistic (null without spread).
    pub t: Option<f64>,
    /// n − 1.
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: Option<f64>,
    /// Interval at 1 − alpha.
    pub ci_low: Option<f64>,
    /// Interval at 1 − alpha.
    pub ci_high: Option<f64>,
}
