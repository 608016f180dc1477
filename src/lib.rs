//! Verdict: should the challenger model replace the champion?
//!
//! The core (`ingest`, `analysis`, `models`, `report`, `plan`, `sample`) has no UI dependency; the
//! window in `app` (feature `gui`, on by default) and the CLI in [`cli`] are thin shells over
//! it. The CLI never imports the window; the binary opens the window when asked to.

pub mod analysis;
#[cfg(feature = "gui")]
pub mod app;
pub mod cli;
pub mod clickhouse;
pub mod ingest;
pub mod models;
pub mod plan;
pub mod private_dir;
pub mod report;
pub mod sample;
pub mod stream;
