//! What a dropped or opened path is: a log, a plan, an ONNX model, a model bundle.

use std::path::Path;

/// The kind of an input path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// A prediction log or dataset (JSONL, CSV, Parquet, app log, .gz).
    Log,
    /// An analysis plan (`verdict.toml` or another `.toml`).
    Plan,
    /// A single ONNX model.
    OnnxModel,
    /// A model bundle: a folder or `.zip` holding `model.onnx`, or an MLflow model folder.
    ModelBundle,
    /// A folder of logs.
    LogFolder,
    /// Something else.
    Unknown,
}

/// Classifies a path by name and, for folders, by content.
pub fn classify(path: &Path) -> PathKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if path.is_dir() {
        if path.join("model.onnx").is_file() || path.join("MLmodel").is_file() {
            return PathKind::ModelBundle;
        }
        return PathKind::LogFolder;
    }
    if name.ends_with(".toml") {
        return PathKind::Plan;
    }
    if name.ends_with(".onnx") {
        return PathKind::OnnxModel;
    }
    if name.ends_with(".zip") {
        return PathKind::ModelBundle;
    }
    let inner = name.strip_suffix(".gz").unwrap_or(&name);
    let ext = inner.rsplit('.').next().unwrap_or("");
    match ext {
        "jsonl" | "ndjson" | "json" | "csv" | "tsv" | "parquet" | "pq" | "log" | "txt" => {
            PathKind::Log
        }
        _ => {
            // sniff: a text file that looks like a log is a log
            match crate::ingest::source::detect(path) {
                Ok(_) => PathKind::Log,
                Err(_) => PathKind::Unknown,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_name() {
        assert_eq!(classify(Path::new("x/verdict.toml")), PathKind::Plan);
        assert_eq!(classify(Path::new("m.onnx")), PathKind::OnnxModel);
        assert_eq!(classify(Path::new("bundle.zip")), PathKind::ModelBundle);
        assert_eq!(classify(Path::new("a.jsonl.gz")), PathKind::Log);
        assert_eq!(classify(Path::new("a.parquet")), PathKind::Log);
    }
}
