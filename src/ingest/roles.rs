//! Column roles: which source column plays which part in the analysis. Inferred from
//! common names, overridable from the command line or the plan file.

use super::table::{RawColumn, RawData, RawTable};
use super::time::EpochUnit;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// A single-column role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Event time.
    Timestamp,
    /// Experiment arm (group, arm, variant, bucket).
    Group,
    /// Model name.
    Model,
    /// Model version.
    Version,
    /// Request id.
    RequestId,
    /// User id.
    UserId,
    /// Latency (milliseconds; seconds when the name says so).
    Latency,
    /// Score / confidence / probability.
    Score,
    /// Predicted class.
    Prediction,
    /// Ground truth.
    Label,
    /// Error message or flag.
    Error,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Role {
    /// Every single-column role, in report order.
    pub const ALL: [Role; 11] = [
        Role::Timestamp,
        Role::Group,
        Role::Model,
        Role::Version,
        Role::RequestId,
        Role::UserId,
        Role::Latency,
        Role::Score,
        Role::Prediction,
        Role::Label,
        Role::Error,
    ];

    /// The snake_case role name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Timestamp => "timestamp",
            Role::Group => "group",
            Role::Model => "model",
            Role::Version => "version",
            Role::RequestId => "request_id",
            Role::UserId => "user_id",
            Role::Latency => "latency",
            Role::Score => "score",
            Role::Prediction => "prediction",
            Role::Label => "label",
            Role::Error => "error",
        }
    }

    /// Parses a role name (also accepts a few synonyms).
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "timestamp" | "ts" | "time" => Role::Timestamp,
            "group" | "arm" | "variant" => Role::Group,
            "model" | "model_name" => Role::Model,
            "version" | "model_version" => Role::Version,
            "request_id" | "request" => Role::RequestId,
            "user_id" | "user" => Role::UserId,
            "latency" | "latency_ms" => Role::Latency,
            "score" | "confidence" => Role::Score,
            "prediction" | "pred" => Role::Prediction,
            "label" | "outcome_label" | "ground_truth" => Role::Label,
            "error" => Role::Error,
            _ => return None,
        })
    }

    fn candidates(self) -> &'static [&'static str] {
        match self {
            Role::Timestamp => &[
                "ts",
                "timestamp",
                "time",
                "event_time",
                "event_ts",
                "datetime",
                "created_at",
                "@timestamp",
                "logged_at",
                "date",
                "asctime",
            ],
            Role::Group => &[
                "group",
                "arm",
                "variant",
                "bucket",
                "experiment_group",
                "ab_group",
                "treatment_group",
                "test_group",
                "cohort",
            ],
            Role::Model => &["model", "model_name", "model_id", "served_model"],
            Role::Version => &["model_version", "version", "model_ver"],
            Role::RequestId => &[
                "request_id",
                "req_id",
                "requestid",
                "trace_id",
                "id",
                "event_id",
            ],
            Role::UserId => &[
                "user_id",
                "user",
                "uid",
                "userid",
                "customer_id",
                "client_id",
                "account_id",
            ],
            Role::Latency => &[
                "latency_ms",
                "latency",
                "duration_ms",
                "response_time_ms",
                "elapsed_ms",
                "inference_ms",
                "latency_s",
                "latency_sec",
                "latency_seconds",
                "duration_s",
                "duration_seconds",
                "response_time",
                "elapsed",
                "duration",
                "inference_time_ms",
            ],
            Role::Score => &[
                "score",
                "confidence",
                "probability",
                "prob",
                "proba",
                "pred_score",
                "pred_proba",
            ],
            Role::Prediction => &[
                "pred",
                "prediction",
                "predicted",
                "predicted_label",
                "pred_label",
                "decision",
            ],
            Role::Label => &[
                "label",
                "y_true",
                "ground_truth",
                "actual",
                "true_label",
                "target",
                "y",
            ],
            Role::Error => &[
                "error",
                "error_message",
                "err",
                "exception",
                "error_type",
                "is_error",
                "failed",
            ],
        }
    }
}

/// Latency column names that are in seconds rather than milliseconds.
pub fn latency_is_seconds(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["_s", "_sec", "_secs", "_seconds"]
        .iter()
        .any(|s| n.ends_with(s))
        || matches!(
            n.as_str(),
            "duration" | "elapsed" | "response_time" | "latency_seconds"
        )
}

/// The role assignment of one load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Roles {
    /// Single-column roles.
    pub columns: BTreeMap<Role, String>,
    /// Low-cardinality string columns to break results down by.
    pub segments: Vec<String>,
    /// Outcome columns: 0/1 → proportions, other numbers → means.
    pub metrics: Vec<String>,
    /// Unit of untyped numeric epochs in the timestamp column (by magnitude when None).
    #[serde(default)]
    pub time_unit: Option<EpochUnit>,
    /// Rows before this time (µs) may lack a group: they are the pre-period.
    #[serde(default)]
    pub pre_period_before_us: Option<i64>,
}

/// Overrides from flags or the plan: a role → column map and explicit lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleOverrides {
    /// Role → column name (an empty name clears the role).
    pub columns: BTreeMap<Role, String>,
    /// Segment columns (replace the inferred ones when given).
    pub segments: Option<Vec<String>>,
    /// Metric columns (replace the inferred ones when given).
    pub metrics: Option<Vec<String>>,
    /// Unit of untyped numeric epoch timestamps (the plan's `time_unit`).
    #[serde(default)]
    pub time_unit: Option<EpochUnit>,
    /// Rows before this time (µs, the plan's `experiment_start`) are the pre-period and may
    /// lack a group; `i64::MAX` for pre-period files.
    #[serde(default)]
    pub pre_period_before_us: Option<i64>,
}

impl Roles {
    /// The column playing `role`, if any.
    pub fn get(&self, role: Role) -> Option<&str> {
        self.columns.get(&role).map(String::as_str)
    }
}

/// Names that are never treated as segments or metrics (log bookkeeping).
pub const NOT_ANALYSED: &[&str] = &[
    "event",
    "level",
    "levelname",
    "logger",
    "logger_name",
    "message",
    "msg",
    "line",
    "lineno",
    "pid",
    "thread",
    "host",
    "hostname",
    "path",
    "func_name",
    "filename",
    "module",
    "input",
    "features",
    "index",
    "unnamed: 0",
    "level_0",
];

/// Infers roles from the column names and value types of a table, then applies overrides.
pub fn infer(table: &RawTable, overrides: &RoleOverrides) -> Roles {
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    let mut roles = Roles {
        time_unit: overrides.time_unit,
        pre_period_before_us: overrides.pre_period_before_us,
        ..Default::default()
    };
    let mut used: HashSet<&str> = HashSet::new();
    for (role, col) in &overrides.columns {
        if !col.is_empty() {
            roles.columns.insert(*role, col.clone());
        }
        used.insert(col.as_str());
    }
    // exact names first, then the last part of nested names (`model.name` -> model,
    // `experiment.variant` -> group); feature columns never play a role
    let leaf: Vec<String> = lower
        .iter()
        .map(|l| {
            if l.starts_with("features.") {
                String::new()
            } else {
                l.rsplit('.').next().unwrap_or(l).to_string()
            }
        })
        .collect();
    let nested_alias = |l: &str| match l {
        "model.name" => Some("model_name"),
        "model.version" => Some("model_version"),
        _ => None,
    };
    for pass in 0..2 {
        for role in Role::ALL {
            if overrides.columns.contains_key(&role) || roles.columns.contains_key(&role) {
                continue;
            }
            'cands: for cand in role.candidates() {
                for (i, l) in lower.iter().enumerate() {
                    let key = if pass == 0 {
                        nested_alias(l).unwrap_or(l)
                    } else {
                        leaf[i].as_str()
                    };
                    if key == *cand && !used.contains(names[i]) {
                        roles.columns.insert(role, names[i].to_string());
                        used.insert(names[i]);
                        break 'cands;
                    }
                }
            }
        }
    }
    let role_cols: HashSet<String> = roles.columns.values().cloned().collect();
    // bookkeeping of the service's own events (model loads, config changes) sits on rows
    // without a group: a column on fewer than 1 % of the grouped rows is never inferred
    // as a metric or segment
    let group_col = roles
        .columns
        .get(&Role::Group)
        .and_then(|g| table.columns.iter().find(|c| &c.name == g));
    // a group column without nulls groups every row: no mask to build
    let all_grouped = group_col.is_none_or(|g| match &g.data {
        RawData::Null => false,
        RawData::Num { values, .. } => values.null_count() == 0,
        RawData::Str { values, .. } => values.null_count() == 0,
    });
    let grouped: Vec<bool> = match group_col {
        Some(g) if !all_grouped => g.present(),
        _ => Vec::new(),
    };
    let n_grouped = if all_grouped {
        table.rows
    } else {
        grouped.iter().filter(|g| **g).count()
    };
    let on_grouped_rows = |c: &RawColumn| {
        if group_col.is_none() {
            return true;
        }
        let mask = (!all_grouped).then_some(grouped.as_slice());
        c.present_on(mask, (n_grouped / 100).max(1))
    };
    let free = |name: &str| {
        !role_cols.contains(name)
            && !NOT_ANALYSED.contains(&name.to_ascii_lowercase().as_str())
            && !name.starts_with("features.")
            && !name.starts_with("__index_level")
    };
    roles.segments = match &overrides.segments {
        Some(s) => s.clone(),
        None => table
            .columns
            .iter()
            .filter(|c| free(&c.name))
            .filter(|c| match &c.data {
                RawData::Str { values, .. } => is_segment_like(values, table.rows),
                _ => false,
            })
            .filter(|c| on_grouped_rows(c))
            .map(|c| c.name.clone())
            .collect(),
    };
    roles.metrics = match &overrides.metrics {
        Some(m) => m.clone(),
        None => table
            .columns
            .iter()
            .filter(|c| free(&c.name) && !is_id_like(&c.name))
            .filter(|c| matches!(c.data, RawData::Num { .. }))
            .filter(|c| on_grouped_rows(c))
            .map(|c| c.name.clone())
            .collect(),
    };
    roles
}

fn is_id_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "id" || n.ends_with("_id") || n.ends_with("id") && n.len() <= 4 || n.contains("uuid")
}

/// Longest value a segment may have by default: longer text (messages, tracebacks) is
/// not a category.
pub const SEGMENT_VALUE_MAX_CHARS: usize = 64;

/// A string column is a segment when it has between 2 and 50 distinct values and far
/// fewer distinct values than rows, every value one short line (no tracebacks or
/// messages: a value with a line break or over [`SEGMENT_VALUE_MAX_CHARS`] characters rules
/// the column out).
fn is_segment_like(values: &polars::prelude::StringChunked, rows: usize) -> bool {
    // the first 200,000 values decide: enough to tell a category from an id
    let mut seen: polars::prelude::PlHashSet<&str> = polars::prelude::PlHashSet::default();
    for v in values.iter().take(200_000).flatten() {
        if v.len() > SEGMENT_VALUE_MAX_CHARS || v.contains(['\n', '\r']) {
            return false;
        }
        seen.insert(v);
        if seen.len() > 50 {
            return false;
        }
    }
    seen.len() >= 2 && seen.len() * 5 <= rows.clamp(1, 200_000)
}
