//! Replaying a holdout through an ONNX model: sessions (one per worker thread), input
//! tensors built from holdout columns in the model's element types, batches spread across
//! cores, and the outputs read as positive-class probabilities (ZipMap, `[N, 2]`, `[N, 1]`),
//! labels, or regression values.

mod feed;
mod output;

pub use output::{choose_output, zipmap_fast_path, Declared, OutputRead};

use super::bundle::ModelSource;
use super::error::ModelError;
use super::inputs::InputPlan;
use super::proto::ModelProto;
use super::runtime::Runtime;
use ort::session::{Session, SessionInputValue};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Rows per inference call.
pub const CHUNK_ROWS: usize = 8192;

/// What the model predicts (the report's [`ModelTask`]).
pub use crate::report::compare::ModelTask as Task;

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
                // external data files (`model.onnx.data`) resolve next to the model, not in
                // the working directory
                .and_then(|b| match &source.dir {
                    Some(dir) => b
                        .with_config_entry(
                            "session.model_external_initializers_file_folder_path",
                            dir.display().to_string(),
                        )
                        .map_err(|e| e.to_string()),
                    None => Ok(b),
                })
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
            OutputRead::Tensor { .. } | OutputRead::Classes { .. } => None,
        }
    }

    /// Class labels of a multi-class model, in column order (empty otherwise).
    pub fn classes(&self) -> &[String] {
        match &self.read {
            OutputRead::Classes { labels, .. } => labels,
            _ => &[],
        }
    }

    /// Predictions for every holdout row: the positive-class probability or regression
    /// value, or for a multi-class model k class probabilities per row (row-major).
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
        let width = self.read.width();
        let out = Mutex::new(vec![f64::NAN; n * width]);
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
                                o[a * width..b * width].copy_from_slice(&v);
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
        let file = &self.source.path;
        let mut inputs: Vec<(Cow<str>, SessionInputValue)> = Vec::new();
        for feed in &self.plan.feeds {
            let value = feed::input_tensor(feed, data, permuted, (a, b), file)?;
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
        output::read_output(&self.read, self.task, value, b - a, file)
    }
}
