//! A model's report card before replay: signature, opsets, producer, metadata, manifest.

use super::Inspected;
use crate::models::proto::{self, Dim};
use crate::report::compare::*;
use std::path::Path;

fn dims_json(d: &Option<Vec<Dim>>) -> Option<Vec<serde_json::Value>> {
    d.as_ref().map(|dims| {
        dims.iter()
            .map(|x| match x {
                Dim::Fixed(k) => serde_json::json!(k),
                Dim::Named(s) => serde_json::json!(s),
                Dim::Unknown => serde_json::Value::Null,
            })
            .collect()
    })
}

fn ports(v: &[proto::ValueInfo]) -> Vec<Port> {
    v.iter()
        .map(|p| Port {
            name: p.name.clone(),
            ty: p.ty.describe(),
            shape: match &p.ty {
                proto::OnnxType::Tensor { shape, .. } => dims_json(shape),
                _ => None,
            },
        })
        .collect()
}

/// The descriptive part of a model's report (no replay).
pub fn describe(m: &Inspected) -> ModelReport {
    let manifest = m.source.manifest.clone().unwrap_or_default();
    let file_name = Path::new(&m.source.path)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| m.source.path.clone());
    ModelReport {
        path: m.source.path.clone(),
        name: manifest.name.clone().unwrap_or(file_name),
        version: manifest.version.clone(),
        inputs: ports(&m.proto.inputs),
        outputs: ports(&m.proto.outputs),
        opsets: m.proto.opsets.clone(),
        producer: format!("{} {}", m.proto.producer_name, m.proto.producer_version)
            .trim()
            .to_string(),
        ir_version: m.proto.ir_version,
        graph_name: m.proto.graph_name.clone(),
        metadata: m.proto.metadata.clone(),
        environment: manifest.environment.clone(),
        training_metrics: manifest.metrics.clone(),
        task: None,
        prediction_output: String::new(),
        output_kind: None,
        threshold: manifest.threshold.unwrap_or(0.5),
        mapping: None,
        metrics: Metrics::default(),
        replay_seconds: 0.0,
        classes: Vec::new(),
        source: m.source.kind,
        mlflow: m.source.mlflow.as_ref().map(|f| f.info.clone()),
    }
}
