//! What can go wrong talking to ClickHouse; every message names the server (never with
//! credentials) and, for a server error, shows its own message.

use thiserror::Error;

/// A ClickHouse failure.
#[derive(Debug, Error)]
pub enum ClickHouseError {
    /// The address is not `clickhouse://HOST[:PORT]/DB.TABLE`.
    #[error("{url}: {problem}")]
    Url {
        /// The address as given (without any password).
        url: String,
        /// What is wrong.
        problem: String,
    },
    /// The server cannot be reached or does not answer in time.
    #[error("{server}: {problem}")]
    Unreachable {
        /// `host:port`.
        server: String,
        /// Connection refused, timed out...
        problem: String,
    },
    /// The server answered with an error (its message, first line).
    #[error("{server}: server error: {message}")]
    Server {
        /// `host:port`.
        server: String,
        /// HTTP status.
        status: u16,
        /// ClickHouse's message, e.g. `Code: 60 ... Table db.t doesn't exist`.
        message: String,
    },
    /// The answer could not be read.
    #[error("{server}: unreadable answer: {problem}")]
    Answer {
        /// `host:port`.
        server: String,
        /// What could not be parsed.
        problem: String,
    },
    /// A table, column or filter that cannot be used safely or does not exist.
    #[error("{server}: {problem}")]
    Input {
        /// `host:port`.
        server: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Credentials could not be read (a config file readable by others, a bad file...).
    #[error("{file}: {problem}")]
    Credentials {
        /// The file.
        file: String,
        /// What is wrong.
        problem: String,
    },
    /// Cancelled by the user.
    #[error("cancelled")]
    Cancelled,
}
