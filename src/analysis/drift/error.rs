//! Errors of the drift analysis: inputs that cannot be read, settings out of range,
//! features or timestamps that are not there, a split with an empty side.

use crate::ingest::IngestError;
use crate::plan::SettingError;

/// Why a time split has no data on one side.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SplitError {
    /// No row has a readable timestamp.
    #[error("no row has a readable timestamp")]
    NoTimestamps,
    /// Nothing before the split point.
    #[error("no rows before {0}: the reference side is empty")]
    EmptyReference(String),
    /// Nothing at or after the split point.
    #[error("no rows from {0} on: the current side is empty")]
    EmptyCurrent(String),
}

/// A drift comparison that cannot run, in one line naming the file or setting.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriftError {
    /// An input cannot be read.
    #[error(transparent)]
    Ingest(IngestError),
    /// A setting is out of range.
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// Features named with `--features` that neither side has.
    #[error("feature(s) not found on either side: {}", .0.join(", "))]
    UnknownFeatures(Vec<String>),
    /// A streamed read failed outside the comparison itself (the message names the files).
    #[error("{0}")]
    Streamed(String),
    /// No column is left to compare.
    #[error("no feature columns to compare (name them with --features)")]
    NoFeatures,
    /// A side has no row with a model output.
    #[error("no prediction rows on one side: no row there has a score or predicted class (only service events, errors or health checks)")]
    NoPredictionRows,
    /// A time split of a log without a timestamp column.
    #[error("{files}: no timestamp column to split by (looked for timestamp, ts, time, event_time...; name one with --column timestamp=NAME)")]
    NoTimestampColumn {
        /// The log's files.
        files: String,
    },
    /// A time split that leaves a side empty.
    #[error("{files}: {source}")]
    Split {
        /// The log's files.
        files: String,
        /// Which side is empty.
        source: SplitError,
    },
    /// The user cancelled.
    #[error("drift analysis cancelled")]
    Cancelled,
    /// A worker thread failed.
    #[error("a drift worker failed")]
    Worker,
}

impl From<IngestError> for DriftError {
    /// A cancelled read is a cancelled drift analysis.
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Cancelled => DriftError::Cancelled,
            other => DriftError::Ingest(other),
        }
    }
}
