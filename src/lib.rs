//! Verdict: should the challenger model replace the champion?
//!
//! The core (`ingest`, `analysis`, `models`, `report`, `plan`, `sample`) has no UI dependency; the
//! window in [`app`] and the CLI in [`cli`] are thin shells over it.

pub mod analysis;
pub mod app;
pub mod cli;
pub mod ingest;
pub mod models;
pub mod plan;
pub mod report;
pub mod sample;
