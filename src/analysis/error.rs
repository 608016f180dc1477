//! Errors of the analysis layer: settings that do not fit the data, and internal failures.

use crate::plan::SettingError;

/// An analysis that cannot run with these settings.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// A named group does not exist.
    #[error("control group {name:?} is not in the data (groups: {groups})")]
    UnknownControl {
        /// The requested control.
        name: String,
        /// Groups present.
        groups: String,
    },
    /// Only one group.
    #[error("only one group ({0:?}) in the data: nothing to compare")]
    SingleGroup(String),
    /// The primary metric is not a metric column.
    #[error("primary metric {name:?} is not a metric column (metrics: {metrics})")]
    UnknownPrimary {
        /// The requested metric.
        name: String,
        /// Metrics present.
        metrics: String,
    },
    /// The expected split names a group that is not in the data, or misses one.
    #[error("expected split: {0}")]
    BadSplit(String),
    /// Every row is before the experiment start.
    #[error("no rows at or after experiment_start = {0}: every row is pre-period data")]
    NoExperimentRows(String),
    /// The CUPED covariate is not a numeric column.
    #[error("covariate {name:?} is not a numeric column of the log (numeric columns: {metrics})")]
    UnknownCovariate {
        /// The requested column.
        name: String,
        /// Numeric columns present.
        metrics: String,
    },
    /// A segment column is missing.
    #[error("segment column {0:?} is not in the data")]
    UnknownSegment(String),
    /// A bad setting, e.g. the bucket.
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// The unit names a column that is not the log's user column.
    #[error("unit column {0:?} is not a user column with values in the data (name it with --column user_id={0} or choose --unit request)")]
    UnitColumn(String),
    /// The timeline would have too many buckets.
    #[error(
        "a {bucket} bucket over this time span gives {buckets} buckets; choose a longer bucket"
    )]
    TooManyBuckets {
        /// The bucket, e.g. `1m`.
        bucket: String,
        /// How many buckets it would take.
        buckets: usize,
    },
    /// The canonical frame does not have a column as expected (a bug, not bad input).
    #[error("internal data error: {0}")]
    Frame(String),
    /// A worker thread of the analysis panicked (a bug).
    #[error("analysis thread panicked")]
    ThreadPanicked,
    /// A worker thread of the analysis could not be started.
    #[error("cannot start an analysis thread: {0}")]
    ThreadStart(String),
}
