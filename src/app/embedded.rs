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

/// The sample champion (logistic regression, skl2onnx defaults with ZipMap).
pub const SAMPLE_CHAMPION: &[u8] = include_bytes!("../../sample_data/models/champion.onnx");
/// The sample challenger bundle's model (gradient-boosted trees).
pub const SAMPLE_CHALLENGER: &[u8] =
    include_bytes!("../../sample_data/models/challenger/model.onnx");
/// The sample challenger bundle's manifest.
pub const SAMPLE_CHALLENGER_MANIFEST: &str =
    include_str!("../../sample_data/models/challenger/bundle.toml");
/// The labelled holdout both sample models are compared on.
pub const SAMPLE_HOLDOUT: &[u8] = include_bytes!("../../sample_data/models/holdout.csv");

/// Paths of the materialised sample models.
pub struct SampleModels {
    /// champion.onnx
    pub champion: PathBuf,
    /// The challenger bundle folder.
    pub challenger: PathBuf,
    /// holdout.csv
    pub holdout: PathBuf,
}

fn write_if_changed(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).map(|b| b == bytes).unwrap_or(false) {
        return Ok(());
    }
    std::fs::write(path, bytes)
}

/// Writes the embedded sample models and holdout to a private temporary folder (the same
/// layout as `sample_data/models/`). Called from a background thread.
pub fn materialize_models() -> std::io::Result<SampleModels> {
    let dir = std::env::temp_dir()
        .join(format!("verdict-sample-{}", env!("CARGO_PKG_VERSION")))
        .join("models");
    let bundle = dir.join("challenger");
    std::fs::create_dir_all(&bundle)?;
    write_if_changed(&dir.join("champion.onnx"), SAMPLE_CHAMPION)?;
    write_if_changed(&bundle.join("model.onnx"), SAMPLE_CHALLENGER)?;
    write_if_changed(
        &bundle.join("bundle.toml"),
        SAMPLE_CHALLENGER_MANIFEST.as_bytes(),
    )?;
    write_if_changed(&dir.join("holdout.csv"), SAMPLE_HOLDOUT)?;
    Ok(SampleModels {
        champion: dir.join("champion.onnx"),
        challenger: bundle,
        holdout: dir.join("holdout.csv"),
    })
}
