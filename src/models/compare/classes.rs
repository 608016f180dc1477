//! What the models' outputs mean and which classes they predict: the declared output
//! kinds (`--output`, `bundle.toml` `output`), the challenger's class columns in the
//! champion's order, labels as class indices, and one value per row for the plots.

use super::{CompareOptions, Inspected};
use crate::models::bundle;
use crate::models::error::ModelError;
use crate::models::holdout::Holdout;
use crate::models::metrics;
use crate::models::replay::{Declared, Task};

/// One value per row: the prediction, or the top class's probability for multi-class.
pub(super) fn per_row(pred: &[f64], task: Task, k: usize) -> Vec<f64> {
    if task != Task::Multiclass {
        return pred.to_vec();
    }
    pred.chunks_exact(k).map(|r| r[metrics::top1(r)]).collect()
}

/// The output meaning declared for a model: `--output ROLE=KIND`, `--output NAME=KIND`
/// for one of its outputs, else its manifest's `output` (an error when the manifest names
/// an output the model does not have).
pub(super) fn declared(
    m: &Inspected,
    role: &str,
    opts: &CompareOptions,
) -> Result<Option<Declared>, ModelError> {
    if let Some(kind) = opts.outputs.get(role) {
        return Ok(Some(Declared {
            output: None,
            kind: *kind,
        }));
    }
    if let Some((name, kind)) = m
        .proto
        .outputs
        .iter()
        .find_map(|o| opts.outputs.get(&o.name).map(|k| (o.name.clone(), *k)))
    {
        return Ok(Some(Declared {
            output: Some(name),
            kind,
        }));
    }
    let Some(decl) = m.source.manifest.as_ref().and_then(|x| x.output.as_ref()) else {
        return Ok(None);
    };
    Ok(match decl {
        bundle::OutputDecl::One(kind) => Some(Declared {
            output: None,
            kind: *kind,
        }),
        bundle::OutputDecl::ByName(map) => {
            let names: Vec<&str> = m.proto.outputs.iter().map(|o| o.name.as_str()).collect();
            let unknown: Vec<&String> = map
                .keys()
                .filter(|k| !names.contains(&k.as_str()))
                .collect();
            if !unknown.is_empty() {
                return Err(ModelError::model(
                    &m.source.path,
                    format!(
                        "bundle.toml [output] names {} but the model's outputs are {}",
                        unknown
                            .iter()
                            .map(|s| format!("{s:?}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        names.join(", ")
                    ),
                ));
            }
            m.proto.outputs.iter().find_map(|o| {
                map.get(&o.name).map(|k| Declared {
                    output: Some(o.name.clone()),
                    kind: *k,
                })
            })
        }
    })
}

/// The challenger's class columns reordered to the champion's class order; an error when
/// the two predict different classes.
pub(super) fn align_classes(
    champion: &[String],
    challenger: &[String],
    pred: Vec<f64>,
    file: &str,
) -> Result<Vec<f64>, ModelError> {
    if champion == challenger {
        return Ok(pred);
    }
    let order: Option<Vec<usize>> = champion
        .iter()
        .map(|c| challenger.iter().position(|x| x == c))
        .collect();
    let order = match order {
        Some(o) if champion.len() == challenger.len() => o,
        _ => {
            return Err(ModelError::model(
                file,
                format!(
                    "the challenger predicts classes {} but the champion predicts {}",
                    challenger.join(", "),
                    champion.join(", ")
                ),
            ))
        }
    };
    let k = champion.len();
    Ok(pred
        .chunks_exact(k)
        .flat_map(|row| order.iter().map(move |&j| row[j]))
        .collect())
}

/// Multi-class labels as class indices (NaN when missing or not one of the classes); a
/// label matches a class by its text, or as the same number (`1.0` is class `1`).
pub(super) fn class_indices(holdout: &Holdout, label: &str, classes: &[String]) -> Vec<f64> {
    let numbers: Vec<Option<f64>> = classes.iter().map(|c| c.trim().parse().ok()).collect();
    holdout
        .text(label)
        .unwrap_or_default()
        .iter()
        .map(|v| {
            let Some(t) = v.as_deref().map(str::trim) else {
                return f64::NAN;
            };
            classes
                .iter()
                .position(|c| c == t)
                .or_else(|| {
                    let x: f64 = t.parse().ok()?;
                    numbers.iter().position(|n| *n == Some(x))
                })
                .map_or(f64::NAN, |i| i as f64)
        })
        .collect()
}
