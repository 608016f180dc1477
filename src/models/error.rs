//! Errors of the models layer: a model, bundle or holdout that cannot be used, ONNX
//! Runtime missing or failing, and writing predictions. Each names the file it is about.

use crate::ingest::IngestError;
use crate::report::compare::ModelTask;

/// A comparison that cannot run, in one line naming the file and the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A model file or bundle cannot be opened, parsed, mapped or run.
    #[error("{file}: {problem}")]
    Model {
        /// The model file or bundle.
        file: String,
        /// What is wrong.
        problem: String,
    },
    /// The holdout cannot be used.
    #[error("{file}: {problem}")]
    Holdout {
        /// The holdout file.
        file: String,
        /// What is wrong (names the column and line).
        problem: String,
    },
    /// The holdout cannot be read at all.
    #[error(transparent)]
    Ingest(IngestError),
    /// No holdout was given and no bundle names one.
    #[error("no holdout: give --holdout FILE (or a bundle whose bundle.toml names one)")]
    NoHoldout,
    /// ONNX Runtime is not available; how to get it.
    #[error("{0}")]
    Runtime(String),
    /// The two models predict different kinds of target.
    #[error("{champion} is a {} model but {challenger} is a {} model; both must predict the same kind of target", champion_task.as_str(), challenger_task.as_str())]
    TaskMismatch {
        /// Champion path.
        champion: String,
        /// What it predicts.
        champion_task: ModelTask,
        /// Challenger path.
        challenger: String,
        /// What it predicts.
        challenger_task: ModelTask,
    },
    /// Predictions cannot be written.
    #[error("{file}: cannot write: {problem}")]
    Write {
        /// The output file.
        file: String,
        /// Why.
        problem: String,
    },
    /// A replay worker thread failed.
    #[error("a replay worker failed")]
    Worker,
    /// The user cancelled.
    #[error("cancelled")]
    Cancelled,
}

impl ModelError {
    /// A problem with a model file or bundle.
    pub fn model(file: impl Into<String>, problem: impl Into<String>) -> Self {
        ModelError::Model {
            file: file.into(),
            problem: problem.into(),
        }
    }

    /// A problem with the holdout.
    pub fn holdout(file: impl Into<String>, problem: impl Into<String>) -> Self {
        ModelError::Holdout {
            file: file.into(),
            problem: problem.into(),
        }
    }
}

impl From<IngestError> for ModelError {
    /// A cancelled read is a cancelled comparison.
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Cancelled => ModelError::Cancelled,
            other => ModelError::Ingest(other),
        }
    }
}
