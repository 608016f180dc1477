//! Errors that stop a load: the file cannot be read at all.

use std::path::Path;

/// A load-stopping problem, always naming the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IngestError {
    /// No input files were given.
    #[error("no input files given")]
    NoInput,
    /// The file cannot be used at all.
    #[error("{file}: {problem}")]
    Unreadable {
        /// The file.
        file: String,
        /// What is wrong, in one line.
        problem: String,
    },
    /// The user cancelled the load.
    #[error("load cancelled")]
    Cancelled,
}

impl IngestError {
    /// An I/O error on `path`, worded for people.
    pub fn io(path: &Path, e: &std::io::Error) -> Self {
        let problem = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => format!("cannot read: {e}"),
        };
        Self::unreadable(path, &problem)
    }

    /// A problem with `path`.
    pub fn unreadable(path: &Path, problem: &str) -> Self {
        IngestError::Unreadable {
            file: path.display().to_string(),
            problem: problem.to_string(),
        }
    }
}
