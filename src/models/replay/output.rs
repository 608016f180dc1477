//! Model outputs: which one to read (ZipMap, the tensor behind a ZipMap, probability or
//! logit tensors, labels, regression values) and how to turn it into one number per row.

use super::Task;
use crate::models::error::ModelError;
use crate::models::proto::{ModelProto, OnnxType};
use ort::value::DynMapValueType;

/// Which output is read, and how.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputRead {
    /// scikit-learn's default ZipMap: `seq(map(int64|string, float))`; the positive class key.
    ZipMap {
        /// Output name.
        name: String,
        /// Positive class key as text.
        positive: String,
    },
    /// A float/double tensor; `column` is the positive class column (or the value column).
    Tensor {
        /// Output name.
        name: String,
        /// Column read from `[N, k]` (0 for `[N]` / `[N, 1]`).
        column: usize,
        /// Declared logits: `[N, 1]` through a sigmoid, `[N, 2]` through a softmax.
        logit: bool,
    },
    /// The probability tensor behind a ZipMap, exposed as an extra graph output and fetched
    /// alone (no map per row); `column` is the positive class's column.
    ZipMapTensor {
        /// The ZipMap output it replaces (for reports).
        zipmap: String,
        /// The tensor fetched.
        name: String,
        /// Positive class column.
        column: usize,
    },
    /// A label tensor (int64/int32/string); the positive class as text gives 1, else 0.
    Label {
        /// Output name.
        name: String,
        /// Positive class as text.
        positive: String,
    },
    /// k > 2 class probabilities: a `[N, k]` tensor (through a softmax when declared
    /// logits) or a ZipMap's maps, read in `labels` order.
    Classes {
        /// The output reported (the ZipMap when read through the tensor behind it).
        name: String,
        /// The output fetched.
        fetched: String,
        /// Class labels in column order.
        labels: Vec<String>,
        /// Declared logits: softmax per row.
        logit: bool,
        /// The fetched output is a sequence of maps (a ZipMap without its tensor).
        maps: bool,
    },
}

/// An output meaning declared by the user: for the output Verdict would read, or for a
/// named output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The output it is about (None: the first float tensor).
    pub output: Option<String>,
    /// What it means.
    pub kind: crate::report::compare::OutputKind,
}

impl OutputRead {
    /// What the output means, given the task it was read for.
    pub fn kind(&self, task: Task) -> crate::report::compare::OutputKind {
        use crate::report::compare::OutputKind;
        match (self, task) {
            (_, Task::Regression) => OutputKind::Regression,
            (OutputRead::Tensor { logit: true, .. }, _)
            | (OutputRead::Classes { logit: true, .. }, _) => OutputKind::Logit,
            _ => OutputKind::Probability,
        }
    }

    /// The output's name.
    pub fn name(&self) -> &str {
        match self {
            OutputRead::ZipMap { name, .. }
            | OutputRead::Tensor { name, .. }
            | OutputRead::Label { name, .. }
            | OutputRead::Classes { name, .. } => name,
            OutputRead::ZipMapTensor { zipmap, .. } => zipmap,
        }
    }

    /// Values per row: k for multi-class, else 1.
    pub fn width(&self) -> usize {
        match self {
            OutputRead::Classes { labels, .. } => labels.len(),
            _ => 1,
        }
    }

    /// The output fetched from the session.
    pub fn fetched(&self) -> &str {
        match self {
            OutputRead::ZipMapTensor { name, .. } => name,
            OutputRead::Classes { fetched, .. } => fetched,
            other => other.name(),
        }
    }
}

/// Replaces a ZipMap read by a read of the tensor behind it, when the ZipMap node and its
/// class labels are known: returns the new read and the model bytes exposing that tensor.
pub fn zipmap_fast_path(
    read: &OutputRead,
    model: &ModelProto,
    bytes: &[u8],
) -> Option<(OutputRead, Vec<u8>)> {
    if let OutputRead::Classes {
        name,
        labels,
        maps: true,
        ..
    } = read
    {
        let z = model.zipmaps.iter().find(|z| &z.output == name)?;
        if model.outputs.iter().any(|o| o.name == z.input) || &z.labels != labels {
            return None;
        }
        return Some((
            OutputRead::Classes {
                name: name.clone(),
                fetched: z.input.clone(),
                labels: labels.clone(),
                logit: false,
                maps: false,
            },
            crate::models::proto::with_extra_output(bytes, model, &z.input),
        ));
    }
    let OutputRead::ZipMap { name, positive } = read else {
        return None;
    };
    let z = model.zipmaps.iter().find(|z| &z.output == name)?;
    let column = z
        .labels
        .iter()
        .position(|l| l == positive)
        .or_else(|| z.labels.iter().position(|l| is_positive_text(l)))
        .or_else(|| (z.labels.len() == 2).then_some(1))?;
    if model.outputs.iter().any(|o| o.name == z.input) {
        return None;
    }
    Some((
        OutputRead::ZipMapTensor {
            zipmap: name.clone(),
            name: z.input.clone(),
            column,
        },
        crate::models::proto::with_extra_output(bytes, model, &z.input),
    ))
}

fn is_positive_text(t: &str) -> bool {
    matches!(
        t.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "positive" | "pos"
    )
}

/// Chooses the output to read from the model's declared outputs.
pub fn choose_output(
    model: &ModelProto,
    positive: Option<&str>,
    file: &str,
    declared: Option<&Declared>,
) -> Result<(OutputRead, Task), ModelError> {
    let positive_text = positive.unwrap_or("1").to_string();
    if let Some(d) = declared {
        return declared_output(model, file, d);
    }
    for o in &model.outputs {
        if let OnnxType::Sequence(inner) = &o.ty {
            if let OnnxType::Map { .. } = inner.as_ref() {
                let labels = model
                    .zipmaps
                    .iter()
                    .find(|z| z.output == o.name)
                    .map(|z| z.labels.clone())
                    .unwrap_or_default();
                if labels.len() > 2 {
                    return Ok((
                        OutputRead::Classes {
                            name: o.name.clone(),
                            fetched: o.name.clone(),
                            labels,
                            logit: false,
                            maps: true,
                        },
                        Task::Multiclass,
                    ));
                }
                return Ok((
                    OutputRead::ZipMap {
                        name: o.name.clone(),
                        positive: positive_text,
                    },
                    Task::Binary,
                ));
            }
        }
    }
    let floats: Vec<_> = model
        .outputs
        .iter()
        .filter(|o| {
            matches!(
                o.ty,
                OnnxType::Tensor {
                    elem: 1 | 11 | 10,
                    ..
                }
            )
        })
        .collect();
    let labels: Vec<_> = model
        .outputs
        .iter()
        .filter(|o| matches!(o.ty, OnnxType::Tensor { elem: 6..=9, .. }))
        .collect();
    let width = |o: &crate::models::proto::ValueInfo| match &o.ty {
        OnnxType::Tensor { shape: Some(d), .. } if d.len() == 2 => match d[1] {
            crate::models::proto::Dim::Fixed(k) => Some(k),
            _ => None,
        },
        OnnxType::Tensor { shape: Some(d), .. } if d.len() == 1 => Some(1),
        _ => None,
    };
    for o in &floats {
        match width(o) {
            Some(2) => {
                return Ok((
                    OutputRead::Tensor {
                        name: o.name.clone(),
                        column: 1,
                        logit: false,
                    },
                    Task::Binary,
                ))
            }
            Some(k) if k > 2 => {
                return Ok((
                    OutputRead::Classes {
                        name: o.name.clone(),
                        fetched: o.name.clone(),
                        labels: class_labels(model, k as usize),
                        logit: false,
                        maps: false,
                    },
                    Task::Multiclass,
                ))
            }
            _ => {}
        }
    }
    if let Some(o) = floats.first() {
        let name = o.name.to_ascii_lowercase();
        let probability = name.contains("prob") || (!labels.is_empty() && width(o).is_none());
        return Ok((
            OutputRead::Tensor {
                name: o.name.clone(),
                column: if probability && width(o).is_none() {
                    1
                } else {
                    0
                },
                logit: false,
            },
            if probability {
                Task::Binary
            } else {
                Task::Regression
            },
        ));
    }
    if let Some(o) = labels.first() {
        return Ok((
            OutputRead::Label {
                name: o.name.clone(),
                positive: positive_text,
            },
            Task::Binary,
        ));
    }
    Err(ModelError::model(
        file,
        format!(
            "no output Verdict can interpret (outputs: {})",
            model
                .outputs
                .iter()
                .map(|o| format!("{} {}", o.name, o.ty.describe()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

/// The prediction per row of an output `value` read as `read` says (positive-class
/// probability, label, or regression value), for `rows` input rows.
pub(super) fn read_output(
    read: &OutputRead,
    task: Task,
    value: &ort::value::DynValue,
    rows: usize,
    file: &str,
) -> Result<Vec<f64>, ModelError> {
    let name = read.fetched();
    let bad = |e: ort::Error| ModelError::model(file, format!("cannot read output {name:?}: {e}"));
    let mut out = Vec::with_capacity(rows);
    match read {
        OutputRead::ZipMap { positive, .. } => {
            let maps = value
                .try_extract_sequence::<DynMapValueType>()
                .map_err(bad)?;
            let positive_int: Option<i64> = positive.trim().parse().ok();
            for m in &maps {
                let p = match m.try_extract_key_values::<i64, f32>() {
                    // integer class keys: no text per row
                    Ok(kv) => match kv.iter().find(|(k, _)| Some(*k) == positive_int) {
                        Some((_, v)) => Some(f64::from(*v)),
                        None => pick(kv.iter().map(|(k, v)| (k.to_string(), *v)), positive),
                    },
                    Err(_) => {
                        let kv = m.try_extract_key_values::<String, f32>().map_err(bad)?;
                        pick(kv.into_iter(), positive)
                    }
                };
                out.push(p.ok_or_else(|| {
                    ModelError::model(file, format!("output {name:?} has no class {positive:?}"))
                })?);
            }
        }
        OutputRead::Tensor { column, .. } | OutputRead::ZipMapTensor { column, .. } => {
            let declared_logit = matches!(read, OutputRead::Tensor { logit: true, .. });
            let (shape, data): (Vec<i64>, Vec<f64>) = match value.try_extract_tensor::<f32>() {
                Ok((s, d)) => (s.to_vec(), d.iter().map(|x| f64::from(*x)).collect()),
                Err(_) => {
                    let (s, d) = value.try_extract_tensor::<f64>().map_err(bad)?;
                    (s.to_vec(), d.to_vec())
                }
            };
            let width = if shape.len() >= 2 {
                shape[shape.len() - 1] as usize
            } else {
                1
            };
            let col = if width == 1 {
                0
            } else {
                (*column).min(width - 1)
            };
            if data.len() < rows * width {
                return Err(ModelError::model(
                    file,
                    format!("output {name:?} has shape {shape:?}, not one row per input row"),
                ));
            }
            for r in 0..rows {
                let row = &data[r * width..(r + 1) * width];
                let v = row[col];
                // two scores that do not sum to 1 are logits: softmax them (per row; a
                // probability pair always sums to 1)
                let v = if declared_logit && width == 1 {
                    1.0 / (1.0 + (-v).exp())
                } else if width == 2
                    && task == Task::Binary
                    && (declared_logit || (row[0] + row[1] - 1.0).abs() > 1e-3)
                {
                    let (m, o) = (row[col], row[1 - col]);
                    1.0 / (1.0 + (o - m).exp())
                } else {
                    v
                };
                out.push(v);
            }
        }
        OutputRead::Classes {
            labels,
            logit,
            maps,
            ..
        } => {
            let k = labels.len();
            if *maps {
                let maps = value
                    .try_extract_sequence::<DynMapValueType>()
                    .map_err(bad)?;
                for m in &maps {
                    let kv: Vec<(String, f32)> = match m.try_extract_key_values::<i64, f32>() {
                        Ok(kv) => kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                        Err(_) => m.try_extract_key_values::<String, f32>().map_err(bad)?,
                    };
                    for l in labels {
                        let v = kv.iter().find(|(key, _)| key == l).map(|(_, v)| *v);
                        out.push(v.map_or(f64::NAN, f64::from));
                    }
                }
            } else {
                let (shape, data): (Vec<i64>, Vec<f64>) = match value.try_extract_tensor::<f32>() {
                    Ok((s, d)) => (s.to_vec(), d.iter().map(|x| f64::from(*x)).collect()),
                    Err(_) => {
                        let (s, d) = value.try_extract_tensor::<f64>().map_err(bad)?;
                        (s.to_vec(), d.to_vec())
                    }
                };
                if shape.last().copied() != Some(k as i64) || data.len() < rows * k {
                    return Err(ModelError::model(
                        file,
                        format!("output {name:?} has shape {shape:?}, not [{rows}, {k}]"),
                    ));
                }
                for row in data.chunks_exact(k).take(rows) {
                    if *logit {
                        let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        let z: f64 = row.iter().map(|v| (v - m).exp()).sum();
                        out.extend(row.iter().map(|v| (v - m).exp() / z));
                    } else {
                        out.extend_from_slice(row);
                    }
                }
            }
            if out.len() != rows * k {
                return Err(ModelError::model(
                    file,
                    format!(
                        "output {name:?} has {} rows for {rows} inputs",
                        out.len() / k
                    ),
                ));
            }
            return Ok(out);
        }
        OutputRead::Label { positive, .. } => {
            let texts: Vec<String> = if let Ok((_, d)) = value.try_extract_tensor::<i64>() {
                d.iter().map(|x| x.to_string()).collect()
            } else if let Ok((_, d)) = value.try_extract_tensor::<i32>() {
                d.iter().map(|x| x.to_string()).collect()
            } else {
                value.try_extract_strings().map_err(bad)?.1
            };
            for t in texts.iter().take(rows) {
                out.push(
                    if t == positive || (positive == "1" && is_positive_text(t)) {
                        1.0
                    } else {
                        0.0
                    },
                );
            }
        }
    }
    if out.len() != rows {
        return Err(ModelError::model(
            file,
            format!("output {name:?} has {} rows for {rows} inputs", out.len()),
        ));
    }
    Ok(out)
}

fn pick(kv: impl Iterator<Item = (String, f32)>, positive: &str) -> Option<f64> {
    let all: Vec<(String, f32)> = kv.collect();
    if let Some((_, v)) = all.iter().find(|(k, _)| k == positive) {
        return Some(f64::from(*v));
    }
    if let Some((_, v)) = all.iter().find(|(k, _)| is_positive_text(k)) {
        return Some(f64::from(*v));
    }
    // otherwise the larger key of a binary map
    let mut sorted = all;
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    (sorted.len() == 2).then(|| f64::from(sorted[1].1))
}

/// Class labels for a `[N, k]` probability output: the classifier node's, else `0..k`.
fn class_labels(model: &ModelProto, k: usize) -> Vec<String> {
    if model.class_labels.len() == k {
        model.class_labels.clone()
    } else {
        (0..k).map(|i| i.to_string()).collect()
    }
}

/// The output of a model whose output meaning is declared: the named output, else its
/// first float tensor, read as probabilities, logits or a value.
fn declared_output(
    model: &ModelProto,
    file: &str,
    declared: &Declared,
) -> Result<(OutputRead, Task), ModelError> {
    use crate::report::compare::OutputKind;
    let kind = declared.kind;
    let is_float = |o: &&crate::models::proto::ValueInfo| {
        matches!(
            o.ty,
            OnnxType::Tensor {
                elem: 1 | 11 | 10,
                ..
            }
        )
    };
    let o = match &declared.output {
        Some(name) => {
            let o = model.outputs.iter().find(|o| &o.name == name).ok_or_else(|| {
                ModelError::model(
                    file,
                    format!(
                        "output {name:?} is declared {} but the model has no such output (outputs: {})",
                        kind.as_str(),
                        model.outputs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )
            })?;
            if !is_float(&o) {
                return Err(ModelError::model(
                    file,
                    format!(
                        "output {name:?} is declared {} but it is a {}, not a float tensor",
                        kind.as_str(),
                        o.ty.describe()
                    ),
                ));
            }
            o
        }
        None => model.outputs.iter().find(is_float).ok_or_else(|| {
            ModelError::model(
                file,
                format!(
                    "the output is declared {} but the model has no float tensor output",
                    kind.as_str()
                ),
            )
        })?,
    };
    let width = match &o.ty {
        OnnxType::Tensor { shape: Some(d), .. } if d.len() == 2 => match d[1] {
            crate::models::proto::Dim::Fixed(k) => k,
            _ => 1,
        },
        _ => 1,
    };
    if width > 2 && kind != OutputKind::Regression {
        return Ok((
            OutputRead::Classes {
                name: o.name.clone(),
                fetched: o.name.clone(),
                labels: class_labels(model, width as usize),
                logit: kind == OutputKind::Logit,
                maps: false,
            },
            Task::Multiclass,
        ));
    }
    let read = OutputRead::Tensor {
        name: o.name.clone(),
        column: if width == 2 { 1 } else { 0 },
        logit: kind == OutputKind::Logit,
    };
    let task = if kind == OutputKind::Regression {
        Task::Regression
    } else {
        Task::Binary
    };
    Ok((read, task))
}
