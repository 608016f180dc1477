//! Replaying a holdout through an ONNX model: sessions (one per worker thread), input
//! tensors built from holdout columns in the model's element types, batches spread across
//! cores, and the outputs read as positive-class probabilities (ZipMap, `[N, 2]`, `[N, 1]`),
//! labels, or regression values.

use super::bundle::ModelSource;
use super::error::ModelError;
use super::inputs::InputPlan;
use super::proto::{ModelProto, OnnxType};
use super::runtime::Runtime;
use ort::session::{Session, SessionInputValue};
use ort::value::{DynMapValueType, Tensor};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Rows per inference call.
pub const CHUNK_ROWS: usize = 8192;

/// What the model predicts (the report's [`ModelTask`]).
pub use crate::report::compare::ModelTask as Task;

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
}

impl OutputRead {
    /// The output's name.
    pub fn name(&self) -> &str {
        match self {
            OutputRead::ZipMap { name, .. }
            | OutputRead::Tensor { name, .. }
            | OutputRead::Label { name, .. } => name,
            OutputRead::ZipMapTensor { zipmap, .. } => zipmap,
        }
    }

    /// The output fetched from the session.
    pub fn fetched(&self) -> &str {
        match self {
            OutputRead::ZipMapTensor { name, .. } => name,
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
        super::proto::with_extra_output(bytes, model, &z.input),
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
) -> Result<(OutputRead, Task), ModelError> {
    let positive_text = positive.unwrap_or("1").to_string();
    for o in &model.outputs {
        if let OnnxType::Sequence(inner) = &o.ty {
            if let OnnxType::Map { .. } = inner.as_ref() {
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
    let width = |o: &super::proto::ValueInfo| match &o.ty {
        OnnxType::Tensor { shape: Some(d), .. } if d.len() == 2 => match d[1] {
            super::proto::Dim::Fixed(k) => Some(k),
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
                    },
                    Task::Binary,
                ))
            }
            Some(k) if k > 2 => {
                return Err(ModelError::model(file, format!(
                    "output {:?} has {k} classes; Verdict compares binary classifiers and regressors",
                    o.name
                )))
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

/// Holdout columns prepared for tensors: numbers, or text for string inputs.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Rows.
    pub rows: usize,
    /// Numeric columns.
    pub num: HashMap<String, Vec<f64>>,
    /// Text columns.
    pub text: HashMap<String, Vec<String>>,
}

/// A column replaced by a permutation of itself: value of row `i` is row `perm[i]`'s.
pub struct Permuted<'a> {
    /// Column.
    pub column: &'a str,
    /// Permutation.
    pub perm: &'a [u32],
}

/// A model ready to replay.
pub struct Model {
    /// Where it came from.
    pub source: ModelSource,
    /// Its protobuf.
    pub proto: ModelProto,
    /// Holdout mapping.
    pub plan: InputPlan,
    /// The output read.
    pub read: OutputRead,
    /// Binary or regression.
    pub task: Task,
    sessions: Vec<Mutex<Session>>,
}

impl Model {
    /// Creates one session per worker.
    pub fn load(
        rt: &Runtime,
        source: ModelSource,
        proto: ModelProto,
        plan: InputPlan,
        read: OutputRead,
        task: Task,
        workers: usize,
    ) -> Result<Self, ModelError> {
        // sklearn's default ZipMap output costs a map per row: read the tensor behind it
        let (read, bytes): (OutputRead, Cow<[u8]>) =
            match zipmap_fast_path(&read, &proto, &source.bytes) {
                Some((fast, bytes)) => (fast, Cow::Owned(bytes)),
                None => (read, Cow::Borrowed(source.bytes.as_slice())),
            };
        let mut sessions = Vec::new();
        for _ in 0..workers.max(1) {
            let s = Session::builder(&rt.env)
                .map_err(|e| e.to_string())
                .and_then(|b| b.with_intra_threads(1).map_err(|e| e.to_string()))
                .and_then(|b| b.with_inter_threads(1).map_err(|e| e.to_string()))
                .and_then(|mut b| b.commit_from_memory(&bytes).map_err(|e| e.to_string()))
                .map_err(|e| {
                    ModelError::model(
                        &source.path,
                        format!("ONNX Runtime cannot load the model: {e}"),
                    )
                })?;
            sessions.push(Mutex::new(s));
        }
        Ok(Self {
            source,
            proto,
            plan,
            read,
            task,
            sessions,
        })
    }

    /// The class label read as positive, when the model names its classes (ZipMap).
    pub fn positive_label(&self) -> Option<String> {
        match &self.read {
            OutputRead::ZipMapTensor { zipmap, column, .. } => self
                .proto
                .zipmaps
                .iter()
                .find(|z| &z.output == zipmap)
                .and_then(|z| z.labels.get(*column).cloned()),
            OutputRead::ZipMap { positive, .. } | OutputRead::Label { positive, .. } => {
                Some(positive.clone())
            }
            OutputRead::Tensor { .. } => None,
        }
    }

    /// Predictions for every holdout row (positive-class probability or regression value).
    pub fn predict(
        &self,
        data: &Prepared,
        permuted: Option<&Permuted>,
        progress: &(dyn Fn(usize) + Sync),
        cancel: &AtomicBool,
    ) -> Result<Vec<f64>, ModelError> {
        let n = data.rows;
        let t_predict = std::time::Instant::now();
        let chunks = n.div_ceil(CHUNK_ROWS);
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let out = Mutex::new(vec![f64::NAN; n]);
        let error: Mutex<Option<ModelError>> = Mutex::new(None);
        std::thread::scope(|s| {
            for (w, session) in self.sessions.iter().enumerate() {
                let (next, done, out, error) = (&next, &done, &out, &error);
                let work = move || loop {
                    let c = next.fetch_add(1, Ordering::Relaxed);
                    if c >= chunks || cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    if error.lock().map(|e| e.is_some()).unwrap_or(true) {
                        break;
                    }
                    let (a, b) = (c * CHUNK_ROWS, ((c + 1) * CHUNK_ROWS).min(n));
                    let result = session
                        .lock()
                        .map_err(|_| ModelError::Worker)
                        .and_then(|mut s| self.run_chunk(&mut s, data, permuted, a, b));
                    match result {
                        Ok(v) => {
                            if let Ok(mut o) = out.lock() {
                                o[a..b].copy_from_slice(&v);
                            }
                            progress(done.fetch_add(b - a, Ordering::Relaxed) + (b - a));
                        }
                        Err(e) => {
                            if let Ok(mut slot) = error.lock() {
                                slot.get_or_insert(e);
                            }
                            break;
                        }
                    }
                };
                if std::thread::Builder::new()
                    .name(format!("verdict-replay-{w}"))
                    .spawn_scoped(s, work)
                    .is_err()
                {
                    if let Ok(mut slot) = error.lock() {
                        slot.get_or_insert(ModelError::model(
                            &self.source.path,
                            "cannot start a replay thread",
                        ));
                    }
                }
            }
        });
        crate::ingest::timing("predict", t_predict);
        if let Some(e) = error.into_inner().ok().flatten() {
            return Err(e);
        }
        if cancel.load(Ordering::Relaxed) {
            return Err(ModelError::Cancelled);
        }
        out.into_inner().map_err(|_| ModelError::Worker)
    }

    fn run_chunk(
        &self,
        session: &mut Session,
        data: &Prepared,
        permuted: Option<&Permuted>,
        a: usize,
        b: usize,
    ) -> Result<Vec<f64>, ModelError> {
        let rows = b - a;
        let file = &self.source.path;
        let mut inputs: Vec<(Cow<str>, SessionInputValue)> = Vec::new();
        for feed in &self.plan.feeds {
            let f = feed.columns.len();
            let shape: Vec<i64> = if feed.rank == 1 {
                vec![rows as i64]
            } else {
                vec![rows as i64, f as i64]
            };
            let src_row = |c: &str, r: usize| match permuted {
                Some(p) if p.column == c => p.perm[r] as usize,
                _ => r,
            };
            let num_cols: Vec<Option<&Vec<f64>>> =
                feed.columns.iter().map(|c| data.num.get(c)).collect();
            let gather = |conv: &mut dyn FnMut(f64)| -> Result<(), ModelError> {
                for r in a..b {
                    for (k, c) in feed.columns.iter().enumerate() {
                        let col = num_cols[k].ok_or_else(|| {
                            ModelError::model(
                                file,
                                format!(
                                    "input {:?} needs numbers but column {c:?} holds text",
                                    feed.input
                                ),
                            )
                        })?;
                        conv(col[src_row(c, r)]);
                    }
                }
                Ok(())
            };
            let err = |e: ort::Error| {
                ModelError::model(file, format!("cannot build input {:?}: {e}", feed.input))
            };
            let value: SessionInputValue = match feed.elem {
                1 => {
                    let mut v = Vec::with_capacity(rows * f);
                    gather(&mut |x| v.push(x as f32))?;
                    Tensor::from_array((shape, v)).map_err(err)?.into()
                }
                11 => {
                    let mut v = Vec::with_capacity(rows * f);
                    gather(&mut |x| v.push(x))?;
                    Tensor::from_array((shape, v)).map_err(err)?.into()
                }
                6 | 7 => {
                    let mut v: Vec<f64> = Vec::with_capacity(rows * f);
                    gather(&mut |x| v.push(x))?;
                    if let Some(bad) = v.iter().find(|x| x.fract() != 0.0 || !x.is_finite()) {
                        return Err(ModelError::model(
                            file,
                            format!(
                                "input {:?} takes integers but the holdout has {bad}",
                                feed.input
                            ),
                        ));
                    }
                    if feed.elem == 7 {
                        let v: Vec<i64> = v.iter().map(|x| *x as i64).collect();
                        Tensor::from_array((shape, v)).map_err(err)?.into()
                    } else {
                        let v: Vec<i32> = v.iter().map(|x| *x as i32).collect();
                        Tensor::from_array((shape, v)).map_err(err)?.into()
                    }
                }
                9 => {
                    let mut v = Vec::with_capacity(rows * f);
                    gather(&mut |x| v.push(x != 0.0))?;
                    Tensor::from_array((shape, v)).map_err(err)?.into()
                }
                8 => {
                    let mut v: Vec<String> = Vec::with_capacity(rows * f);
                    for r in a..b {
                        for c in &feed.columns {
                            let rr = src_row(c, r);
                            let t = match (data.text.get(c), data.num.get(c)) {
                                (Some(t), _) => t[rr].clone(),
                                (None, Some(nv)) => crate::ingest::table::number_text(nv[rr]),
                                _ => String::new(),
                            };
                            v.push(t);
                        }
                    }
                    Tensor::from_string_array((shape, v.as_slice()))
                        .map_err(err)?
                        .into()
                }
                other => {
                    return Err(ModelError::model(
                        file,
                        format!(
                            "input {:?} has element type {} which Verdict cannot feed",
                            feed.input,
                            super::proto::elem_name(other)
                        ),
                    ))
                }
            };
            inputs.push((Cow::Owned(feed.input.clone()), value));
        }
        let name = self.read.fetched();
        let options = ort::session::RunOptions::new()
            .map_err(|e| ModelError::model(file, format!("{e}")))?
            .with_outputs(ort::session::OutputSelector::no_default().with(name));
        let outputs = session
            .run_with_options(inputs, &options)
            .map_err(|e| ModelError::model(file, format!("inference failed: {e}")))?;
        let value = outputs.get(name).ok_or_else(|| {
            ModelError::model(file, format!("the model produced no output {name:?}"))
        })?;
        let bad =
            |e: ort::Error| ModelError::model(file, format!("cannot read output {name:?}: {e}"));
        let mut out = Vec::with_capacity(rows);
        match &self.read {
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
                        ModelError::model(
                            file,
                            format!("output {name:?} has no class {positive:?}"),
                        )
                    })?);
                }
            }
            OutputRead::Tensor { column, .. } | OutputRead::ZipMapTensor { column, .. } => {
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
                    let v = if width == 2
                        && self.task == Task::Binary
                        && (row[0] + row[1] - 1.0).abs() > 1e-3
                    {
                        let (m, o) = (row[col], row[1 - col]);
                        1.0 / (1.0 + (o - m).exp())
                    } else {
                        v
                    };
                    out.push(v);
                }
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
