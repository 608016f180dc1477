//! Errors of the plan layer: a plan file that cannot be read or parsed, and a setting
//! (from a plan or a flag) that is out of range.

use super::duration::DurationError;

/// A setting that cannot be used; the message names the key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingError {
    /// Must be strictly between 0 and 1.
    #[error("{key} must be between 0 and 1 (exclusive), got {value}")]
    NotAProbability {
        /// The setting.
        key: &'static str,
        /// The value given.
        value: f64,
    },
    /// Must be a positive number.
    #[error("{key} must be positive, got {value}")]
    NotPositive {
        /// The setting.
        key: String,
        /// The value given.
        value: f64,
    },
    /// Must be a non-negative number.
    #[error("{key} must be a non-negative number (got {value})")]
    Negative {
        /// The setting.
        key: &'static str,
        /// The value given.
        value: f64,
    },
    /// Outside its range.
    #[error("{key} must be in {range}, got {value}")]
    OutOfRange {
        /// The setting.
        key: &'static str,
        /// The allowed range, e.g. `[0, 1)`.
        range: &'static str,
        /// The value given.
        value: f64,
    },
    /// A count below its minimum.
    #[error("{key} must be at least {min}")]
    TooSmall {
        /// The setting.
        key: &'static str,
        /// The smallest allowed value.
        min: u64,
    },
    /// Empty text.
    #[error("{key} must not be empty")]
    Empty {
        /// The setting.
        key: &'static str,
    },
    /// An expected split with a single group.
    #[error("expected_split needs at least two groups")]
    SplitTooSmall,
    /// A split given as text (`A=90,B=10`) that does not read.
    #[error("{0}")]
    SplitSyntax(String),
    /// A timestamp setting that does not read.
    #[error("{key}: {value:?} is not a timestamp (use ISO 8601, e.g. 2025-12-13T13:00:00Z)")]
    Timestamp {
        /// The setting.
        key: String,
        /// The value given.
        value: String,
    },
    /// Declared stages that do not fit together.
    #[error("{0}")]
    Stages(String),
    /// A duration that does not read or is out of range.
    #[error("{key}: {source}")]
    Duration {
        /// The setting.
        key: &'static str,
        /// Why.
        source: DurationError,
    },
    /// A value that is not one of the choices.
    #[error("{key} must be one of {choices}, got {value:?}")]
    Choice {
        /// The setting.
        key: &'static str,
        /// The choices.
        choices: &'static str,
        /// The value given.
        value: String,
    },
}

/// A plan that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file cannot be read.
    #[error("{file}: cannot read plan: {source}")]
    Read {
        /// The plan file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown keys.
    #[error("{file}: invalid plan: {problem}")]
    Parse {
        /// The plan file.
        file: String,
        /// The parser's message (names the key).
        problem: String,
    },
    /// A value is out of range.
    #[error("{file}: invalid plan: {source}")]
    Invalid {
        /// The plan file.
        file: String,
        /// Which value and why.
        source: SettingError,
    },
}
