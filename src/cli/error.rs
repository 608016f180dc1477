//! Errors at the command line's edge: every layer's typed error, plus flags that do not
//! read. Each prints as one line naming the file, flag or setting.

use crate::analysis::drift::DriftError;
use crate::analysis::AnalysisError;
use crate::ingest::IngestError;
use crate::models::ModelError;
use crate::plan::{PlanError, SettingError};

/// Why a subcommand stopped (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A flag's value does not read.
    #[error("{flag} {value}: {problem}")]
    Flag {
        /// The flag, e.g. `--column`.
        flag: &'static str,
        /// The value given, as shown (text quoted, numbers plain).
        value: String,
        /// What is wrong and what to write instead.
        problem: String,
    },
    /// A flag's value is out of range.
    #[error("{flag}: {source}")]
    Setting {
        /// The flag.
        flag: &'static str,
        /// Why.
        source: SettingError,
    },
    /// A duration flag (`--bucket`, `--window`) that does not read or is out of range.
    #[error("{flag}: {source}")]
    Duration {
        /// The flag.
        flag: &'static str,
        /// Why.
        source: crate::plan::duration::DurationError,
    },
    /// The inputs do not fit the subcommand (e.g. three files to `drift`).
    #[error("{0}")]
    Usage(&'static str),
    /// The plan cannot be used.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A log cannot be read.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The analysis cannot run on these logs.
    #[error("{files}: {source}")]
    Analysis {
        /// The logs.
        files: String,
        /// Why.
        source: AnalysisError,
    },
    /// The drift comparison cannot run.
    #[error(transparent)]
    Drift(#[from] DriftError),
    /// A ClickHouse server or table cannot be used.
    #[error(transparent)]
    ClickHouse(#[from] crate::clickhouse::ClickHouseError),
    /// The model comparison cannot run.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The shadow log cannot be analysed.
    #[error(transparent)]
    Shadow(crate::analysis::shadow::ShadowError),
    /// The sample cannot be written.
    #[error(transparent)]
    Sample(#[from] crate::sample::SampleError),
    /// The report cannot be written.
    #[error("{file}: cannot write report: {source}")]
    Write {
        /// The output file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
}

impl From<crate::stream::StreamError> for CliError {
    fn from(e: crate::stream::StreamError) -> Self {
        match e {
            crate::stream::StreamError::Ingest(e) => e.into(),
            crate::stream::StreamError::Analysis(e) => e.into(),
            crate::stream::StreamError::Drift(e) => e.into(),
        }
    }
}
