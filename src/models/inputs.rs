//! Mapping holdout columns to a model's inputs: one `[N, F]` tensor (feature order from the
//! manifest, else the model's `feature_names` metadata, else the holdout's columns in order)
//! or one `[N, 1]` input per feature (matched by name, or by the manifest's `inputs`).

use super::bundle::Manifest;
use super::error::ModelError;
use super::proto::{Dim, ModelProto, OnnxType};
use crate::report::compare::{InputLayout, InputMapping, MappingSource};
use std::collections::BTreeMap;

/// One model input and the holdout columns that feed it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputFeed {
    /// Model input name.
    pub input: String,
    /// ONNX element type code of the input.
    pub elem: i32,
    /// Holdout columns, in the input's feature order (one for per-feature inputs).
    pub columns: Vec<String>,
    /// Rank of the input tensor (2 for `[N, F]` and `[N, 1]`, 1 for `[N]`).
    pub rank: usize,
}

/// The whole mapping of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct InputPlan {
    /// Inputs in model order.
    pub feeds: Vec<InputFeed>,
    /// For the report.
    pub mapping: InputMapping,
}

impl InputPlan {
    /// Every holdout column used, in order, without repeats.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for f in &self.feeds {
            for c in &f.columns {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }
}

fn is_id_like(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l == "id" || l == "index" || l == "row" || l.ends_with("_id") || l.starts_with("unnamed")
}

fn tensor_parts(ty: &OnnxType) -> Option<(i32, Option<&Vec<Dim>>)> {
    match ty {
        OnnxType::Tensor { elem, shape } => Some((*elem, shape.as_ref())),
        _ => None,
    }
}

/// Plans the inputs of `model` from holdout `columns` (file order). `label` and the
/// non-numeric columns are left out when the holdout's own column order is used.
pub fn plan(
    model: &ModelProto,
    manifest: Option<&Manifest>,
    columns: &[String],
    numeric: &dyn Fn(&str) -> bool,
    label: Option<&str>,
    file: &str,
) -> Result<InputPlan, ModelError> {
    if model.inputs.is_empty() {
        return Err(ModelError::model(file, "the model has no inputs"));
    }
    let has = |c: &str| columns.iter().any(|x| x == c);
    // one input per feature: several inputs, or a single input named like a holdout column
    let per_feature = model.inputs.len() > 1
        || (manifest.is_some_and(|m| !m.inputs.is_empty()))
        || (has(&model.inputs[0].name)
            && tensor_parts(&model.inputs[0].ty).is_some_and(|(_, s)| {
                s.is_none_or(|d| d.len() == 1 || (d.len() == 2 && d[1] == Dim::Fixed(1)))
            }));
    if per_feature {
        let by_input: BTreeMap<String, String> = manifest
            .map(|m| {
                m.inputs
                    .iter()
                    .map(|(col, inp)| (inp.clone(), col.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let mut feeds = Vec::new();
        for i in &model.inputs {
            let (elem, shape) = tensor_parts(&i.ty).ok_or_else(|| {
                ModelError::model(
                    file,
                    format!("input {:?} is a {}, not a tensor", i.name, i.ty.describe()),
                )
            })?;
            if let Some(d) = shape {
                if d.len() == 2 && !matches!(d[1], Dim::Fixed(1) | Dim::Named(_) | Dim::Unknown) {
                    return Err(ModelError::model(file, format!(
                        "input {:?} takes {} values per row; with several inputs each must take one feature ([N, 1])",
                        i.name,
                        match &d[1] { Dim::Fixed(k) => k.to_string(), _ => "?".into() }
                    )));
                }
            }
            let col = by_input
                .get(&i.name)
                .cloned()
                .unwrap_or_else(|| i.name.clone());
            if !has(&col) {
                return Err(ModelError::model(
                    file,
                    format!(
                        "the holdout has no column {col:?} for model input {:?}",
                        i.name
                    ),
                ));
            }
            feeds.push(InputFeed {
                input: i.name.clone(),
                elem,
                columns: vec![col],
                rank: shape.map_or(2, |d| d.len().max(1)),
            });
        }
        let mapping = InputMapping {
            layout: InputLayout::PerFeature,
            source: if by_input.is_empty() {
                MappingSource::InputNames
            } else {
                MappingSource::ManifestInputs
            },
            inputs: feeds
                .iter()
                .map(|f| (f.input.clone(), f.columns.clone()))
                .collect(),
        };
        return Ok(InputPlan { feeds, mapping });
    }
    let input = &model.inputs[0];
    let (elem, shape) = tensor_parts(&input.ty).ok_or_else(|| {
        ModelError::model(
            file,
            format!(
                "input {:?} is a {}, not a tensor",
                input.name,
                input.ty.describe()
            ),
        )
    })?;
    let width = match shape.map(|d| d.as_slice()) {
        Some([_, Dim::Fixed(f)]) => Some(*f as usize),
        Some([_, _]) | None => None,
        Some(d) => {
            return Err(ModelError::model(
                file,
                format!(
                    "input {:?} has rank {}; a single input must be [N, F]",
                    input.name,
                    d.len()
                ),
            ))
        }
    };
    let from_meta = model.metadata.get("feature_names").map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
    });
    let (features, source) = if let Some(m) = manifest.filter(|m| m.features.is_some()) {
        (
            m.features.clone().unwrap_or_default(),
            if m.features_from_signature {
                MappingSource::Signature
            } else {
                MappingSource::Manifest
            },
        )
    } else if let Some(f) = from_meta {
        (f, MappingSource::MetadataProps)
    } else {
        let want_numeric = elem != 8;
        let mut f: Vec<String> = columns
            .iter()
            .filter(|c| Some(c.as_str()) != label && (!want_numeric || numeric(c)))
            .cloned()
            .collect();
        // one column too many is usually a numeric row id: leave ids out when that fits
        if width.is_some_and(|w| f.len() > w) {
            let no_ids: Vec<String> = f.iter().filter(|c| !is_id_like(c)).cloned().collect();
            if Some(no_ids.len()) == width {
                f = no_ids;
            }
        }
        (f, MappingSource::HoldoutColumns)
    };
    if let Some(w) = width {
        if features.len() != w {
            return Err(ModelError::model(
                file,
                format!(
                    "input {:?} takes {w} features per row but the {} give {} ({})",
                    input.name,
                    source.as_str(),
                    features.len(),
                    features.join(", ")
                ),
            ));
        }
    }
    let missing: Vec<&String> = features.iter().filter(|f| !has(f)).collect();
    if !missing.is_empty() {
        return Err(ModelError::model(
            file,
            format!(
                "the holdout is missing column(s) {} needed by model input {:?}",
                missing
                    .iter()
                    .map(|s| format!("{s:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                input.name
            ),
        ));
    }
    let feeds = vec![InputFeed {
        input: input.name.clone(),
        elem,
        columns: features.clone(),
        rank: 2,
    }];
    let mapping = InputMapping {
        layout: InputLayout::Matrix,
        source,
        inputs: [(input.name.clone(), features)].into_iter().collect(),
    };
    Ok(InputPlan { feeds, mapping })
}
