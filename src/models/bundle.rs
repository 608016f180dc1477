//! Opening a model: a single `.onnx` file, or a bundle (a folder or `.zip` holding
//! `model.onnx` and an optional `bundle.toml` manifest).

use super::mlflow::{self, MlflowFolder};
use crate::report::compare::{OutputKind, SourceKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The optional `bundle.toml` of a model bundle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Manifest {
    /// Model name.
    pub name: Option<String>,
    /// Model version.
    pub version: Option<String>,
    /// Feature names in the model's input order (for a single `[N, F]` input).
    pub features: Option<Vec<String>>,
    /// Holdout column → model input name (one input per feature).
    pub inputs: BTreeMap<String, String>,
    /// The positive class label (as text).
    pub positive_class: Option<toml::Value>,
    /// Decision threshold on the positive-class probability.
    pub threshold: Option<f64>,
    /// Training environment: package → version (e.g. `scikit_learn = "1.5.2"`).
    pub environment: BTreeMap<String, String>,
    /// Training metrics recorded with the model.
    pub metrics: BTreeMap<String, f64>,
    /// A holdout file shipped with or named by the bundle (relative to the bundle).
    pub holdout: Option<String>,
    /// What the prediction output means: one kind (`output = "logit"`) or a kind per output
    /// name (`[output] logits = "logit"`).
    pub output: Option<OutputDecl>,
    /// The features came from an MLflow signature (not written in a `bundle.toml`).
    #[serde(skip)]
    pub features_from_signature: bool,
}

/// A declared output meaning: for the model's prediction output, or per output name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OutputDecl {
    /// `output = "logit"`: the output Verdict reads.
    One(OutputKind),
    /// `[output] name = "logit"`: the named output, read as that kind.
    ByName(BTreeMap<String, OutputKind>),
}

impl Manifest {
    /// The positive class as text (`1` when unset).
    pub fn positive_class_text(&self) -> Option<String> {
        self.positive_class.as_ref().map(|v| match v {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }
}

/// A model ready to inspect and load.
#[derive(Debug, Clone)]
pub struct ModelSource {
    /// The path as given.
    pub path: String,
    /// The ONNX bytes.
    pub bytes: Vec<u8>,
    /// The manifest, when the bundle has one.
    pub manifest: Option<Manifest>,
    /// The bundle's holdout file, resolved (extracted to a temp folder for zips).
    pub holdout: Option<PathBuf>,
    /// The folder the model's external data files (`model.onnx.data`) are read from: the
    /// model's own folder, or the temp folder a zip bundle's files were extracted to.
    pub dir: Option<PathBuf>,
    /// What was opened.
    pub kind: SourceKind,
    /// The MLflow folder's records, when it is one.
    pub mlflow: Option<MlflowFolder>,
}

pub use super::error::ModelError;

fn read(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|e| {
        ModelError::model(
            path.display().to_string(),
            match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => format!("cannot read: {e}"),
            },
        )
    })
}

fn manifest(text: &str, file: &str) -> Result<Manifest, ModelError> {
    toml::from_str(text).map_err(|e| {
        ModelError::model(
            file,
            format!(
                "bundle.toml: {}",
                e.to_string().lines().next().unwrap_or("invalid TOML")
            ),
        )
    })
}

/// Opens a model file or bundle.
pub fn open(path: &Path) -> Result<ModelSource, ModelError> {
    let shown = path.display().to_string();
    // a bundle.toml wins: its threshold, classes, output and holdout are the user's
    if path.is_dir() && mlflow::is_mlflow(path) && !path.join("bundle.toml").is_file() {
        return open_mlflow(path, shown, SourceKind::Mlflow);
    }
    if path.is_dir() {
        let model = path.join("model.onnx");
        if !model.is_file() {
            return Err(ModelError::model(
                shown,
                "a model bundle folder must hold model.onnx",
            ));
        }
        let bytes = read(&model)?;
        let mf = path.join("bundle.toml");
        let manifest = if mf.is_file() {
            let text = std::fs::read_to_string(&mf).map_err(|e| {
                ModelError::model(mf.display().to_string(), format!("cannot read: {e}"))
            })?;
            Some(manifest(&text, &mf.display().to_string())?)
        } else {
            None
        };
        let holdout = manifest
            .as_ref()
            .and_then(|m| m.holdout.as_ref())
            .map(|h| path.join(h))
            .filter(|p| p.is_file());
        return Ok(ModelSource {
            path: shown,
            bytes,
            manifest,
            holdout,
            dir: Some(path.to_path_buf()),
            kind: SourceKind::Bundle,
            mlflow: None,
        });
    }
    let bytes = read(path)?;
    if bytes.starts_with(b"PK\x03\x04") {
        return open_zip(path, bytes);
    }
    Ok(ModelSource {
        path: shown,
        bytes,
        manifest: None,
        holdout: None,
        kind: SourceKind::Onnx,
        mlflow: None,
        dir: path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .map(Path::to_path_buf),
    })
}

fn open_zip(path: &Path, bytes: Vec<u8>) -> Result<ModelSource, ModelError> {
    let shown = path.display().to_string();
    let bad = |e: zip::result::ZipError| {
        ModelError::model(shown.clone(), format!("cannot read the zip bundle: {e}"))
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(bad)?;
    // entries may sit in one top-level folder
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let find = |file: &str| {
        names
            .iter()
            .filter(|n| *n == file || n.ends_with(&format!("/{file}")))
            .min_by_key(|n| n.len())
            .cloned()
    };
    // an MLflow folder (its MLmodel at the top level of the zip's content, without a
    // bundle.toml beside it)
    if let Some(mlmodel) = find(mlflow::MLMODEL).filter(|m| {
        let prefix = m.trim_end_matches(mlflow::MLMODEL);
        !prefix.trim_end_matches('/').contains('/')
            && !names.iter().any(|n| *n == format!("{prefix}bundle.toml"))
    }) {
        let prefix = mlmodel.trim_end_matches(mlflow::MLMODEL).to_string();
        let dir = extract_all(&mut zip, &names, &prefix, path)?;
        let mut source = open_mlflow(&dir, shown.clone(), SourceKind::Mlflow)?;
        source.path = shown;
        return Ok(source);
    }
    let model_name = find("model.onnx")
        .ok_or_else(|| ModelError::model(shown.clone(), "the zip bundle has no model.onnx"))?;
    let prefix = model_name.trim_end_matches("model.onnx").to_string();
    let mut entry = |name: &str| -> Result<Vec<u8>, ModelError> {
        let mut f = zip.by_name(name).map_err(bad)?;
        let mut out = Vec::new();
        f.read_to_end(&mut out)
            .map_err(|e| ModelError::model(shown.clone(), format!("{name} in the zip: {e}")))?;
        Ok(out)
    };
    let model = entry(&model_name)?;
    let manifest = match names.iter().find(|n| **n == format!("{prefix}bundle.toml")) {
        Some(n) => {
            let text = String::from_utf8_lossy(&entry(n)?).into_owned();
            Some(manifest(&text, &format!("{shown}/bundle.toml"))?)
        }
        None => None,
    };
    // a holdout inside the zip is extracted to a temp folder; one outside is relative to the zip
    let mut holdout = None;
    if let Some(h) = manifest.as_ref().and_then(|m| m.holdout.clone()) {
        let inside = format!("{prefix}{}", h.trim_start_matches("./"));
        if names.contains(&inside) {
            let data = entry(&inside)?;
            let dir = temp_folder(path).map_err(|e| {
                ModelError::model(shown.clone(), format!("cannot extract the holdout: {e}"))
            })?;
            let file = dir.join(Path::new(&h).file_name().unwrap_or_default());
            std::fs::write(&file, data).map_err(|e| {
                ModelError::model(shown.clone(), format!("cannot extract the holdout: {e}"))
            })?;
            holdout = Some(file);
        } else if let Some(parent) = path.parent() {
            let p = parent.join(&h);
            if p.is_file() {
                holdout = Some(p);
            }
        }
    }
    // the model's other files (external weights) are extracted next to each other
    let others: Vec<String> = names
        .iter()
        .filter(|n| n.starts_with(&prefix) && **n != model_name && !n.ends_with('/'))
        .filter(|n| !n[prefix.len()..].contains('/'))
        .cloned()
        .collect();
    let mut dir = None;
    if !others.is_empty() {
        let d = temp_folder(path).map_err(|e| {
            ModelError::model(
                shown.clone(),
                format!("cannot extract the model's files: {e}"),
            )
        })?;
        for n in &others {
            let data = entry(n)?;
            std::fs::write(d.join(&n[prefix.len()..]), data).map_err(|e| {
                ModelError::model(shown.clone(), format!("cannot extract {n}: {e}"))
            })?;
        }
        dir = Some(d);
    }
    Ok(ModelSource {
        path: shown,
        bytes: model,
        manifest,
        holdout,
        dir,
        kind: SourceKind::Zip,
        mlflow: None,
    })
}

/// A fresh private temp folder for one zip's files.
fn temp_folder(path: &Path) -> std::io::Result<PathBuf> {
    let stem: String = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(40)
        .collect();
    crate::private_dir::create(&format!("verdict-bundle-{stem}"))
}

/// Extracts every file under `prefix` (sub-folders kept) to a temp folder.
fn extract_all(
    zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
    names: &[String],
    prefix: &str,
    path: &Path,
) -> Result<PathBuf, ModelError> {
    let shown = path.display().to_string();
    let dir = temp_folder(path)
        .map_err(|e| ModelError::model(&shown, format!("cannot extract the zip: {e}")))?;
    for n in names
        .iter()
        .filter(|n| n.starts_with(prefix) && !n.ends_with('/'))
    {
        let rel = &n[prefix.len()..];
        // never write outside the temp folder
        if rel.split('/').any(|part| part == ".." || part.is_empty()) {
            continue;
        }
        let mut f = zip
            .by_name(n)
            .map_err(|e| ModelError::model(&shown, format!("{n} in the zip: {e}")))?;
        let mut data = Vec::new();
        f.read_to_end(&mut data)
            .map_err(|e| ModelError::model(&shown, format!("{n} in the zip: {e}")))?;
        let out = dir.join(rel);
        if let Some(parent) = out.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        std::fs::write(&out, data)
            .map_err(|e| ModelError::model(&shown, format!("cannot extract {n}: {e}")))?;
    }
    Ok(dir)
}

/// Opens an MLflow folder: its ONNX file, and a manifest made of what it records (the
/// signature's column names as features, `metadata.metrics`, the requirements).
fn open_mlflow(dir: &Path, shown: String, kind: SourceKind) -> Result<ModelSource, ModelError> {
    let folder = mlflow::read(dir, &shown)?;
    let model = dir.join(&folder.model_file);
    if !model.is_file() {
        return Err(ModelError::model(
            shown,
            format!(
                "the MLmodel's onnx flavor names {} but the folder has no such file",
                folder.model_file
            ),
        ));
    }
    let bytes = read(&model)?;
    let names: Vec<String> = folder
        .info
        .signature_inputs
        .iter()
        .filter_map(|i| i.name.clone())
        .collect();
    let columns = !names.is_empty()
        && names.len() == folder.info.signature_inputs.len()
        && folder
            .info
            .signature_inputs
            .iter()
            .all(|i| !i.ty.starts_with("tensor"));
    let manifest = Manifest {
        name: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.starts_with("verdict-bundle-"))
            .or_else(|| {
                Path::new(&shown)
                    .file_stem()
                    .map(|n| n.to_string_lossy().into_owned())
            }),
        features: columns.then_some(names),
        features_from_signature: columns,
        metrics: folder.metrics.clone(),
        environment: folder.environment.clone(),
        ..Default::default()
    };
    Ok(ModelSource {
        path: shown,
        bytes,
        manifest: Some(manifest),
        holdout: None,
        dir: model.parent().map(Path::to_path_buf),
        kind,
        mlflow: Some(folder),
    })
}
