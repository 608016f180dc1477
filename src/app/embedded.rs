//! The sample experiment compiled into the binary, so `verdict` shows a full dashboard from
//! any directory on first launch.

use std::path::PathBuf;

/// The sample log (Parquet form of `sample_data/experiment.*`).
pub const SAMPLE_PARQUET: &[u8] = include_bytes!("../../sample_data/experiment.parquet");
/// The sample's analysis plan.
pub const SAMPLE_PLAN: &str = include_str!("../../sample_data/verdict.toml");

/// Writes the embedded sample log to a private temporary folder (unless an identical copy
/// is already there) and returns its path. Called from the load job, not the UI thread.
pub fn materialize() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("verdict-sample-{}", env!("CARGO_PKG_VERSION")));
    std::fs::create_dir_all(&dir)?;
    let log = dir.join("sample_experiment.parquet");
    let same = std::fs::read(&log)
        .map(|b| b == SAMPLE_PARQUET)
        .unwrap_or(false);
    if !same {
        std::fs::write(&log, SAMPLE_PARQUET)?;
    }
    Ok(log)
}
