//! Verdict: should the challenger model replace the champion?
//!
//! The core (`ingest`, `analysis`, `report`, `plan`, `sample`) has no UI dependency; the
//! CLI in [`cli`] is a thin shell over it.

pub mod analysis;
pub mod cli;
pub mod ingest;
pub mod plan;
pub mod report;
pub mod sample;
