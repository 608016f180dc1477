//! ClickHouse as a back end: the analysis's aggregate queries run on the server and only the
//! aggregates come back. A small HTTP/1.0 client on the standard library (`http.rs`), the
//! `clickhouse://HOST:PORT/DB.TABLE` address (`url.rs`), credentials that never come from
//! the URL and are never printed (`credentials.rs`), one SQL builder that quotes identifiers
//! and escapes literals (`sql.rs`), the table's columns (`schema.rs`) and the pushed-down
//! aggregates (`aggregates.rs`). Every query runs with `readonly=1`; SQL is written for every
//! ClickHouse from 18.16 (what Debian ships) to current. No UI code.

pub mod aggregates;
pub mod credentials;
pub mod cuped;
pub mod drift;
mod drift_counts;
pub mod error;
pub mod http;
pub mod lift;
pub mod moments;
pub mod quantiles;
pub mod report;
mod report_groups;
mod report_units;
pub mod schema;
pub mod sql;
pub mod stages;
pub mod url;

pub use credentials::Credentials;
pub use error::ClickHouseError;
pub use http::{Client, Response};
pub use url::TableUrl;
