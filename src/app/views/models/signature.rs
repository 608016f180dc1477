//! The models side by side before and after a replay: inputs, outputs, opsets, producer,
//! metadata, manifest and holdout mapping, with the differences highlighted.

use crate::app::theme::status_color;
use crate::report::compare::ModelReport;
use crate::report::Status;
use eframe::egui::{self};

/// What a model was opened from, with the MLflow signature when there is one.
fn source_text(m: &ModelReport) -> String {
    match &m.mlflow {
        Some(x) if !x.signature_inputs.is_empty() => format!(
            "{} (signature: {})",
            m.source.as_str(),
            x.signature_inputs
                .iter()
                .map(|i| format!("{} {}", i.name.as_deref().unwrap_or("?"), i.ty))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => m.source.as_str().to_string(),
    }
}

/// Rows of the side-by-side model description: (what, champion, challenger).
pub fn signature_rows(
    a: Option<&ModelReport>,
    b: Option<&ModelReport>,
) -> Vec<(String, String, String)> {
    let get =
        |m: Option<&ModelReport>, f: &dyn Fn(&ModelReport) -> String| m.map_or("–".to_string(), f);
    let ports = |v: &[crate::report::compare::Port]| {
        v.iter()
            .map(|p| {
                format!(
                    "{} {} {}",
                    p.name,
                    p.ty,
                    p.shape.as_ref().map_or("?".into(), |s| shape_text(s))
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut rows: Vec<(String, String, String)> = vec![
        (
            "name".into(),
            get(a, &|m| m.name.clone()),
            get(b, &|m| m.name.clone()),
        ),
        (
            "source".into(),
            get(a, &|m| source_text(m)),
            get(b, &|m| source_text(m)),
        ),
        (
            "version".into(),
            get(a, &|m| m.version.clone().unwrap_or_default()),
            get(b, &|m| m.version.clone().unwrap_or_default()),
        ),
        (
            "producer".into(),
            get(a, &|m| m.producer.clone()),
            get(b, &|m| m.producer.clone()),
        ),
        (
            "IR version".into(),
            get(a, &|m| m.ir_version.to_string()),
            get(b, &|m| m.ir_version.to_string()),
        ),
        (
            "graph".into(),
            get(a, &|m| m.graph_name.clone()),
            get(b, &|m| m.graph_name.clone()),
        ),
        (
            "opsets".into(),
            get(a, &|m| fmt_map(&m.opsets)),
            get(b, &|m| fmt_map(&m.opsets)),
        ),
        (
            "inputs".into(),
            get(a, &|m| ports(&m.inputs)),
            get(b, &|m| ports(&m.inputs)),
        ),
        (
            "outputs".into(),
            get(a, &|m| ports(&m.outputs)),
            get(b, &|m| ports(&m.outputs)),
        ),
    ];
    let mut keys: Vec<&String> = a
        .iter()
        .chain(b.iter())
        .flat_map(|m| m.metadata.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        rows.push((
            format!("metadata {k}"),
            get(a, &|m| m.metadata.get(k).cloned().unwrap_or_default()),
            get(b, &|m| m.metadata.get(k).cloned().unwrap_or_default()),
        ));
    }
    let mut keys: Vec<&String> = a
        .iter()
        .chain(b.iter())
        .flat_map(|m| m.environment.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        rows.push((
            format!("trained with {k}"),
            get(a, &|m| m.environment.get(k).cloned().unwrap_or_default()),
            get(b, &|m| m.environment.get(k).cloned().unwrap_or_default()),
        ));
    }
    if a.is_some_and(|m| m.mapping.is_some()) {
        let map = |m: &ModelReport| {
            m.mapping
                .as_ref()
                .map(|map| {
                    format!(
                        "{} from {}: {}",
                        map.layout,
                        map.source,
                        map.inputs
                            .iter()
                            .map(|(k, v)| format!("{k} <- {}", v.join(", ")))
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                })
                .unwrap_or_default()
        };
        rows.push(("holdout mapping".into(), get(a, &map), get(b, &map)));
        rows.push((
            "reads output".into(),
            get(a, &|m| m.prediction_output.clone()),
            get(b, &|m| m.prediction_output.clone()),
        ));
    }
    rows
}

/// A shape as `[?, 8]` (`?` for unknown dimensions, names as they are).
pub fn shape_text(s: &[serde_json::Value]) -> String {
    let dims: Vec<String> = s
        .iter()
        .map(|d| match d {
            serde_json::Value::Null => "?".to_string(),
            serde_json::Value::String(n) => n.clone(),
            other => other.to_string(),
        })
        .collect();
    format!("[{}]", dims.join(", "))
}

pub(super) fn fmt_map<V: std::fmt::Display>(m: &std::collections::BTreeMap<String, V>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn signature_ui(
    ui: &mut egui::Ui,
    a: Option<&ModelReport>,
    b: Option<&ModelReport>,
    compared: bool,
) {
    let rows = signature_rows(a, b);
    let both = a.is_some() && b.is_some();
    let differing = rows
        .iter()
        .filter(|(_, x, y)| both && differs(x, y))
        .count();
    egui::CollapsingHeader::new(format!(
        "Signatures and metadata: {differing} of {} rows differ (highlighted)",
        rows.len()
    ))
    .id_salt(("models_signature_header", compared))
    .default_open(!compared)
    .show(ui, |ui| {
        egui::Grid::new("models_signature")
            .striped(true)
            .num_columns(3)
            .show(ui, |ui| {
                ui.strong("");
                ui.strong("champion");
                ui.strong("challenger");
                ui.end_row();
                for (what, x, y) in &rows {
                    let differs = both && differs(x, y);
                    ui.label(what);
                    for t in [x, y] {
                        // the whole value, wrapped (never cut); a missing one is said so
                        let text = if is_empty(t) {
                            egui::RichText::new("not recorded").weak()
                        } else if differs {
                            egui::RichText::new(t.as_str()).color(status_color(Status::Warn))
                        } else {
                            egui::RichText::new(t.as_str())
                        };
                        ui.add(egui::Label::new(text).wrap())
                            .on_hover_text(t.as_str());
                    }
                    ui.end_row();
                }
            });
    });
}

/// A value the model does not record.
fn is_empty(v: &str) -> bool {
    matches!(v.trim(), "" | "–" | "-" | "none" | "null")
}

/// Two recorded values that differ (a value beside a missing one is not a difference: it
/// is shown as "not recorded").
pub fn differs(a: &str, b: &str) -> bool {
    !is_empty(a) && !is_empty(b) && a != b
}

#[cfg(test)]
mod tests {
    use super::differs;

    #[test]
    fn empty_beside_a_value_is_not_a_difference() {
        assert!(!differs("", "skl2onnx 1.17"));
        assert!(!differs("–", "x"));
        assert!(differs("opset 17", "opset 18"));
        assert!(!differs("opset 17", "opset 17"));
    }
}
