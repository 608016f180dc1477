//! Rejected rows: counted by reason, with the first examples kept for the report.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many rejected rows are kept as examples.
pub const MAX_EXAMPLES: usize = 100;

/// Why a row was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A blank line.
    EmptyLine,
    /// The line does not start a JSON object.
    NotJsonObject,
    /// The JSON object ends early.
    Truncated,
    /// Malformed JSON.
    InvalidJson,
    /// A CSV record with the wrong number of fields or bad quoting.
    BadRecord,
    /// An app-log event line that could not be split into `key=value` pairs.
    MalformedEvent,
    /// A value of the wrong type in a role column (e.g. text latency).
    WrongType,
    /// The row has no group.
    MissingGroup,
    /// The group is not one of the groups the plan expects.
    UnknownGroup,
    /// The timestamp cannot be parsed.
    BadTimestamp,
    /// An error event whose user was never assigned a group.
    UnattributedError,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Reason {
    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::EmptyLine => "empty_line",
            Reason::NotJsonObject => "not_json_object",
            Reason::Truncated => "truncated",
            Reason::InvalidJson => "invalid_json",
            Reason::BadRecord => "bad_record",
            Reason::MalformedEvent => "malformed_event",
            Reason::WrongType => "wrong_type",
            Reason::MissingGroup => "missing_group",
            Reason::UnknownGroup => "unknown_group",
            Reason::BadTimestamp => "bad_timestamp",
            Reason::UnattributedError => "unattributed_error",
        }
    }
}

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    /// The file it came from.
    pub file: String,
    /// 1-based line (row number for Parquet).
    pub line: u64,
    /// Reason and detail, e.g. `wrong_type: latency_ms is not a number ("abc")`.
    pub reason: String,
}

/// Counts and examples of rejected rows.
#[derive(Debug, Clone, Default)]
pub struct Rejects {
    /// Count per reason.
    pub by_reason: BTreeMap<Reason, u64>,
    /// Examples as `(file index, line, reason, detail)`; sorted and cut at the end.
    examples: Vec<(u32, u64, Reason, String)>,
}

impl Rejects {
    /// Records one rejected row.
    pub fn add(&mut self, file: u32, line: u64, reason: Reason, detail: String) {
        *self.by_reason.entry(reason).or_default() += 1;
        self.examples.push((file, line, reason, detail));
        if self.examples.len() >= MAX_EXAMPLES * 4 {
            self.trim();
        }
    }

    /// Total rejected rows.
    pub fn total(&self) -> u64 {
        self.by_reason.values().sum()
    }

    /// Adds all of `other`.
    pub fn merge(&mut self, other: Rejects) {
        for (r, n) in other.by_reason {
            *self.by_reason.entry(r).or_default() += n;
        }
        self.examples.extend(other.examples);
        self.trim();
    }

    fn trim(&mut self) {
        self.examples.sort_by_key(|a| (a.0, a.1));
        self.examples.truncate(MAX_EXAMPLES);
    }

    /// The first [`MAX_EXAMPLES`] examples in file/line order, with file names resolved.
    pub fn examples(&self, files: &[String]) -> Vec<Rejected> {
        let mut ex = self.examples.clone();
        ex.sort_by_key(|a| (a.0, a.1));
        ex.truncate(MAX_EXAMPLES);
        ex.into_iter()
            .map(|(f, line, reason, detail)| Rejected {
                file: files.get(f as usize).cloned().unwrap_or_default(),
                line,
                reason: format!("{}: {}", reason.as_str(), detail),
            })
            .collect()
    }
}
