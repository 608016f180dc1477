//! MLflow model folders: the `MLmodel` file (YAML) read for its `onnx` flavor's model file,
//! the signature's inputs (the feature mapping), the run and model ids, offline metrics
//! recorded under `metadata.metrics`, the environment (`requirements.txt`,
//! `python_env.yaml`, `conda.yaml`) and the saved input example. Other flavors are refused
//! with the converter to use; nothing is ever unpickled.

use super::error::ModelError;
use crate::report::compare::{MlflowInfo, SignatureInput};
use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The `MLmodel` file's name.
pub const MLMODEL: &str = "MLmodel";

/// An MLflow folder read for replay.
#[derive(Debug, Clone, PartialEq)]
pub struct MlflowFolder {
    /// The ONNX file inside the folder (the `onnx` flavor's `data`).
    pub model_file: String,
    /// What the report shows.
    pub info: MlflowInfo,
    /// Offline metrics recorded under `metadata.metrics`.
    pub metrics: BTreeMap<String, f64>,
    /// Package → version from `requirements.txt` (`python` from `python_env.yaml`).
    pub environment: BTreeMap<String, String>,
    /// The saved input example, when there is one.
    pub input_example: Option<InputExample>,
}

/// A saved input example: named columns (a DataFrame example) or unnamed rows (an array).
#[derive(Debug, Clone, PartialEq)]
pub struct InputExample {
    /// The example file.
    pub file: String,
    /// Column names, empty for an unnamed array.
    pub columns: Vec<String>,
    /// Rows of JSON values.
    pub rows: Vec<Vec<serde_json::Value>>,
}

/// Whether a path named in an MLmodel stays inside the model folder (relative, no `..`).
fn inside(relative: &str) -> bool {
    let p = Path::new(relative);
    !p.is_absolute()
        && p.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
}

/// Whether `dir` is an MLflow model folder.
pub fn is_mlflow(dir: &Path) -> bool {
    dir.join(MLMODEL).is_file()
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// The converter to name for a flavor that is not ONNX.
fn converter(flavor: &str) -> &'static str {
    match flavor {
        "sklearn" => "skl2onnx (skl2onnx.to_onnx(model, X[:1]))",
        "pytorch" => "torch.onnx.export(model, example_input, \"model.onnx\")",
        "xgboost" | "lightgbm" | "sparkml" => {
            "onnxmltools (onnxmltools.convert_xgboost / convert_lightgbm)"
        }
        "catboost" => "CatBoost's model.save_model(\"model.onnx\", format=\"onnx\")",
        "tensorflow" | "keras" => "tf2onnx (python -m tf2onnx.convert)",
        _ => "the matching ONNX converter (skl2onnx, torch.onnx, onnxmltools)",
    }
}

/// Reads an MLflow folder. A folder without an `onnx` flavor is an error naming the
/// folder, its flavor and the converter to use.
pub fn read(dir: &Path, shown: &str) -> Result<MlflowFolder, ModelError> {
    let file = dir.join(MLMODEL);
    let raw = std::fs::read_to_string(&file)
        .map_err(|e| ModelError::model(file.display().to_string(), format!("cannot read: {e}")))?;
    let doc: Value = serde_yaml_ng::from_str(&raw).map_err(|e| {
        ModelError::model(
            file.display().to_string(),
            format!(
                "MLmodel is not valid YAML: {}",
                e.to_string().lines().next().unwrap_or("")
            ),
        )
    })?;
    let flavors: Vec<String> = doc
        .get("flavors")
        .and_then(Value::as_mapping)
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let Some(onnx) = get(&doc, &["flavors", "onnx"]) else {
        let flavor = flavors
            .iter()
            .find(|f| *f != "python_function")
            .cloned()
            .unwrap_or_else(|| "python_function".into());
        return Err(ModelError::model(
            shown,
            format!(
                "an MLflow model of flavor {flavor:?}, not ONNX; Verdict replays ONNX only and never unpickles: export it with {} and save it with mlflow.onnx.save_model",
                converter(&flavor)
            ),
        ));
    };
    let model_file = text(onnx.get("data")).unwrap_or_else(|| "model.onnx".into());
    if !inside(&model_file) {
        return Err(ModelError::model(
            shown,
            format!("the MLmodel's onnx flavor names {model_file:?}, outside the model folder"),
        ));
    }
    let inputs = signature_inputs(&doc, &file)?;
    let requirements = read_lines(&dir.join("requirements.txt"));
    let python_version = python_version(dir, &doc);
    let mut environment: BTreeMap<String, String> =
        requirements.iter().filter_map(|l| requirement(l)).collect();
    if let Some(p) = &python_version {
        environment.insert("python".into(), p.clone());
    }
    let metrics = get(&doc, &["metadata", "metrics"])
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_f64()?)))
                .collect()
        })
        .unwrap_or_default();
    let input_example = input_example(dir, &doc)?;
    let env_files: Vec<String> = ["requirements.txt", "python_env.yaml", "conda.yaml"]
        .iter()
        .filter(|f| dir.join(f).is_file())
        .map(|f| f.to_string())
        .collect();
    let info = MlflowInfo {
        run_id: text(doc.get("run_id")).filter(|s| !s.is_empty()),
        model_uuid: text(doc.get("model_uuid")),
        utc_time_created: text(doc.get("utc_time_created")),
        mlflow_version: text(doc.get("mlflow_version")),
        requirements,
        python_version,
        flavors,
        signature_inputs: inputs,
        environment_files: env_files,
        input_example_rows: input_example.as_ref().map(|e| e.rows.len() as u64),
    };
    Ok(MlflowFolder {
        model_file,
        info,
        metrics,
        environment,
        input_example,
    })
}

/// The signature's column inputs (`[{"type": "double", "name": "x"}]`, a JSON text in the
/// YAML); tensor inputs are listed by their name when they have one.
fn signature_inputs(doc: &Value, file: &Path) -> Result<Vec<SignatureInput>, ModelError> {
    let Some(spec) = text(get(doc, &["signature", "inputs"])) else {
        return Ok(vec![]);
    };
    let parsed: serde_json::Value = serde_json::from_str(&spec).map_err(|e| {
        ModelError::model(
            file.display().to_string(),
            format!("the signature's inputs are not valid JSON: {e}"),
        )
    })?;
    Ok(parsed
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| SignatureInput {
                    name: i.get("name").and_then(|v| v.as_str()).map(String::from),
                    ty: match i.get("type").and_then(|v| v.as_str()) {
                        Some("tensor") => format!(
                            "tensor({})",
                            i.pointer("/tensor-spec/dtype")
                                .and_then(|v| v.as_str())
                                .unwrap_or("?")
                        ),
                        Some(t) => t.to_string(),
                        None => "?".into(),
                    },
                })
                .collect()
        })
        .unwrap_or_default())
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// `pkg==1.2` → (`pkg`, `1.2`); `pkg>=1` → (`pkg`, `>=1`); `pkg` → (`pkg`, `any`).
fn requirement(line: &str) -> Option<(String, String)> {
    if line.starts_with('-') {
        return None;
    }
    let line = line.split(';').next().unwrap_or(line).trim();
    let cut = line.find(|c: char| "=<>!~ [".contains(c));
    let (name, spec) = match cut {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line, ""),
    };
    let name = name.trim().to_ascii_lowercase().replace('_', "-");
    if name.is_empty() {
        return None;
    }
    let spec = spec.strip_prefix("==").unwrap_or(spec);
    Some((
        name,
        if spec.is_empty() {
            "any".into()
        } else {
            spec.into()
        },
    ))
}

/// Python version: `python_env.yaml`'s `python`, else the `python_function` flavor's.
fn python_version(dir: &Path, doc: &Value) -> Option<String> {
    std::fs::read_to_string(dir.join("python_env.yaml"))
        .ok()
        .and_then(|t| serde_yaml_ng::from_str::<Value>(&t).ok())
        .and_then(|v| text(v.get("python")))
        .or_else(|| text(get(doc, &["flavors", "python_function", "python_version"])))
}

/// The saved input example: `saved_input_example_info.artifact_path`, a DataFrame in
/// `split` or `records` orient, or an array (`{"inputs": [...]}` or a bare list of rows).
fn input_example(dir: &Path, doc: &Value) -> Result<Option<InputExample>, ModelError> {
    let Some(name) =
        text(get(doc, &["saved_input_example_info", "artifact_path"])).filter(|n| inside(n))
    else {
        return Ok(None);
    };
    let path = dir.join(&name);
    let shown = path.display().to_string();
    let Ok(raw) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let bad = |p: &str| ModelError::model(&shown, p.to_string());
    let v: serde_json::Value =
        serde_json::from_str(&raw).map_err(|e| bad(&format!("not valid JSON: {e}")))?;
    let rows_of = |v: &serde_json::Value| -> Vec<Vec<serde_json::Value>> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|r| match r.as_array() {
                        Some(cells) => cells.clone(),
                        None => vec![r.clone()],
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let example = if let (Some(cols), Some(data)) = (v.get("columns"), v.get("data")) {
        InputExample {
            file: shown.clone(),
            columns: cols
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|c| c.as_str().map_or_else(|| c.to_string(), String::from))
                        .collect()
                })
                .unwrap_or_default(),
            rows: rows_of(data),
        }
    } else if let Some(records) = v
        .as_array()
        .filter(|a| a.first().is_some_and(|r| r.is_object()))
    {
        let columns: Vec<String> = records[0]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        let rows = records
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .map(|c| r.get(c).cloned().unwrap_or(serde_json::Value::Null))
                    .collect()
            })
            .collect();
        InputExample {
            file: shown.clone(),
            columns,
            rows,
        }
    } else if let Some(inputs) = v.get("inputs") {
        InputExample {
            file: shown.clone(),
            columns: vec![],
            rows: rows_of(inputs),
        }
    } else if v.is_array() {
        InputExample {
            file: shown.clone(),
            columns: vec![],
            rows: rows_of(&v),
        }
    } else {
        return Err(bad(
            "an input example Verdict cannot read (a DataFrame in split or records orient, or an array)",
        ));
    };
    Ok(Some(example))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_lines() {
        assert_eq!(
            requirement("scikit_learn==1.5.2"),
            Some(("scikit-learn".into(), "1.5.2".into()))
        );
        assert_eq!(
            requirement("onnx>=1.14; python_version>'3.8'"),
            Some(("onnx".into(), ">=1.14".into()))
        );
        assert_eq!(requirement("mlflow"), Some(("mlflow".into(), "any".into())));
        assert_eq!(requirement("-r requirements.txt"), None);
        assert!(inside("model.onnx") && inside("./sub/model.onnx"));
        assert!(!inside("../model.onnx") && !inside("/etc/passwd") && !inside("a/../../b"));
    }

    #[test]
    fn folded_signature_and_flavors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(MLMODEL),
            "flavors:\n  sklearn:\n    pickled_model: model.pkl\n  python_function:\n    loader_module: mlflow.sklearn\n",
        )
        .unwrap();
        let e = read(dir.path(), "m").unwrap_err().to_string();
        assert!(e.contains("\"sklearn\"") && e.contains("skl2onnx"), "{e}");
        std::fs::write(
            dir.path().join(MLMODEL),
            "flavors:\n  onnx:\n    data: m.onnx\nsignature:\n  inputs: '[{\"type\": \"double\", \"name\": \"a\"},\n    {\"type\": \"long\", \"name\": \"b\"}]'\nrun_id: abc\nmetadata:\n  metrics:\n    auc: 0.7\n",
        )
        .unwrap();
        let f = read(dir.path(), "m").unwrap();
        assert_eq!(f.model_file, "m.onnx");
        assert_eq!(f.info.run_id.as_deref(), Some("abc"));
        let names: Vec<_> = f
            .info
            .signature_inputs
            .iter()
            .map(|i| i.name.clone().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(f.info.signature_inputs[1].ty, "long");
        assert_eq!(f.metrics["auc"], 0.7);
    }
}
