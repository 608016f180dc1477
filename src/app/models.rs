//! The Models view's runtime state and its command handler: champion and challenger
//! (files or bundles), the holdout, replay settings, the comparison, and the ONNX Runtime
//! found. Reading and parsing model files, materialising the embedded sample and probing
//! the runtime run on named background threads; the replay runs as a job.

pub use super::command::{ModelsCommand, Slot};

use super::dialogs::DialogPurpose;
use super::jobs::replay::spawn_compare;
use super::jobs::Input;
use super::notifications::Level;
use super::services::Services;
use crate::models::compare::{inspect, Inspected};
use crate::models::{CompareOptions, Compared, ModelError};
use eframe::egui;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

fn slot_index(slot: Slot) -> usize {
    match slot {
        Slot::Champion => 0,
        Slot::Challenger => 1,
    }
}

/// ONNX Runtime as found (or not).
#[derive(Debug, Clone, PartialEq)]
pub enum RuntimeStatus {
    /// Not looked for yet.
    Unknown,
    /// Being looked for.
    Probing,
    /// Found: version and library.
    Found {
        /// ONNX Runtime version.
        version: String,
        /// The shared library.
        library: String,
    },
    /// Not found; how to get it.
    Missing(ModelError),
}

/// A background answer for the panel.
pub enum PanelMsg {
    /// A model was read and parsed (or not): slot, read id, path, result.
    Inspected(Slot, u64, PathBuf, Result<Box<Inspected>, ModelError>),
    /// The runtime probe finished.
    Runtime(RuntimeStatus),
    /// The embedded sample models were written: champion, challenger, holdout.
    Sample(std::io::Result<(PathBuf, PathBuf, PathBuf)>),
}

/// Runtime state of the Models view (not persisted).
pub struct ModelsPanel {
    /// Champion path and its parsed model.
    pub champion: Option<(PathBuf, Box<Inspected>)>,
    /// Challenger path and its parsed model.
    pub challenger: Option<(PathBuf, Box<Inspected>)>,
    /// Holdout file (else the bundles').
    pub holdout: Option<PathBuf>,
    /// Label column (empty: automatic).
    pub label: String,
    /// Permutation repeats.
    pub repeats: u32,
    /// Permutation and bootstrap seed.
    pub seed: u64,
    /// Paired bootstrap resamples (0 skips the bootstrap).
    pub bootstrap: u32,
    /// The plan's `reproducibility_tolerance` (set from the plan in force).
    pub reproducibility_tolerance: f64,
    /// The plan's `alpha` (set from the plan in force).
    pub alpha: f64,
    /// Decision threshold.
    pub threshold: f64,
    /// Declared output meaning of the champion and the challenger (None: the bundle's, else
    /// by shape).
    pub outputs: [Option<crate::report::compare::OutputKind>; 2],
    /// The last comparison (shared, so saving it copies nothing).
    pub compared: Option<Arc<Compared>>,
    /// Identity of the inputs (models, holdout, settings): a replay started for other
    /// inputs is dropped.
    pub input_id: u64,
    /// Latest read requested per slot (champion, challenger): older reads are ignored.
    reads: [u64; 2],
    /// ONNX Runtime.
    pub runtime: RuntimeStatus,
    /// The sample was set up and replayed once.
    pub sample_started: bool,
    /// Where the embedded sample's champion, challenger and holdout were written.
    pub sample_paths: Option<(PathBuf, PathBuf, PathBuf)>,
    /// Replay automatically when both models and the holdout are ready.
    pub auto_replay: bool,
    rx: Receiver<PanelMsg>,
    tx: Sender<PanelMsg>,
}

impl Default for ModelsPanel {
    fn default() -> Self {
        let (tx, rx) = channel();
        Self {
            champion: None,
            challenger: None,
            holdout: None,
            label: String::new(),
            repeats: 5,
            seed: 0,
            bootstrap: 1000,
            reproducibility_tolerance: 0.005,
            alpha: 0.05,
            threshold: 0.5,
            outputs: [None, None],
            compared: None,
            input_id: 0,
            reads: [0; 2],
            runtime: RuntimeStatus::Unknown,
            sample_started: false,
            sample_paths: None,
            auto_replay: false,
            rx,
            tx,
        }
    }
}

/// Runs `work` on a named thread and sends its answer to the panel.
fn background(
    name: &str,
    ctx: &egui::Context,
    tx: &Sender<PanelMsg>,
    work: impl FnOnce() -> PanelMsg + Send + 'static,
) -> bool {
    let tx = tx.clone();
    let ctx = ctx.clone();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _ = tx.send(work());
            ctx.request_repaint();
        })
        .is_ok()
}

impl ModelsPanel {
    /// Starts looking for ONNX Runtime (once).
    pub fn probe_runtime(&mut self, ctx: &egui::Context) {
        if self.runtime != RuntimeStatus::Unknown {
            return;
        }
        self.runtime = RuntimeStatus::Probing;
        let started = background("verdict-ort-probe", ctx, &self.tx, || {
            PanelMsg::Runtime(match crate::models::runtime::runtime() {
                Ok(rt) => RuntimeStatus::Found {
                    version: rt.version.clone(),
                    library: rt.library.display().to_string(),
                },
                Err(e) => RuntimeStatus::Missing(e),
            })
        });
        if !started {
            self.runtime = RuntimeStatus::Missing(ModelError::Runtime(
                "cannot start the runtime probe".into(),
            ));
        }
    }

    fn read_model(&mut self, ctx: &egui::Context, slot: Slot, path: PathBuf) {
        let i = slot_index(slot);
        self.reads[i] += 1;
        let id = self.reads[i];
        background("verdict-model-read", ctx, &self.tx, move || {
            let r = inspect(&path).map(Box::new);
            PanelMsg::Inspected(slot, id, path, r)
        });
    }

    /// The inputs changed: the comparison shown no longer applies and a replay running for
    /// the old inputs is stopped.
    /// Whether a model is loaded or being read (then the sample is not loaded over it).
    pub fn has_or_reads_models(&self) -> bool {
        self.champion.is_some() || self.challenger.is_some() || self.reads != [0, 0]
    }

    fn inputs_changed(&mut self, sv: &mut Services) {
        self.input_id += 1;
        self.compared = None;
        if !sv
            .jobs
            .drop_stale(|i| !matches!(i, Input::Models(_)))
            .is_empty()
        {
            sv.notifications.push(
                Level::Info,
                "Replay cancelled: the models, holdout or settings changed",
                None,
            );
        }
    }

    /// Applies the background answers that arrived.
    pub fn poll(&mut self, sv: &mut Services) {
        let msgs: Vec<PanelMsg> = self.rx.try_iter().collect();
        for m in msgs {
            match m {
                PanelMsg::Runtime(r) => self.runtime = r,
                PanelMsg::Inspected(slot, id, _, _) if id != self.reads[slot_index(slot)] => {
                    // a later read of this slot was asked for
                }
                PanelMsg::Inspected(slot, _, path, Ok(model)) => {
                    match slot {
                        Slot::Champion => self.champion = Some((path, model)),
                        Slot::Challenger => self.challenger = Some((path, model)),
                    }
                    self.inputs_changed(sv);
                    if self.auto_replay && self.champion.is_some() && self.challenger.is_some() {
                        self.auto_replay = false;
                        self.handle(ModelsCommand::Replay, sv);
                    }
                }
                PanelMsg::Inspected(_, _, _, Err(e)) => {
                    self.auto_replay = false;
                    sv.notifications.push(Level::Error, e.to_string(), None);
                }
                PanelMsg::Sample(Ok((a, b, h))) => {
                    self.sample_paths = Some((a.clone(), b.clone(), h.clone()));
                    self.holdout = Some(h);
                    self.auto_replay = true;
                    self.read_model(sv.ctx, Slot::Champion, a);
                    self.read_model(sv.ctx, Slot::Challenger, b);
                }
                PanelMsg::Sample(Err(e)) => sv.notifications.push(
                    Level::Error,
                    format!("cannot write the sample models to the temp folder: {e}"),
                    None,
                ),
            }
        }
    }

    /// What of the view is the bundled sample (champion, challenger, holdout), for its badge.
    pub fn sample_parts(&self) -> Vec<&'static str> {
        let Some((a, b, h)) = &self.sample_paths else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if self.champion.as_ref().is_some_and(|(p, _)| p == a) {
            out.push("champion");
        }
        if self.challenger.as_ref().is_some_and(|(p, _)| p == b) {
            out.push("challenger");
        }
        if self.holdout.as_ref() == Some(h) {
            out.push("holdout");
        }
        out
    }

    /// Runs a Models command.
    pub fn handle(&mut self, cmd: ModelsCommand, sv: &mut Services) {
        let model_filters: &[(&str, &[&str])] = &[
            ("ONNX model or bundle", &["onnx", "zip"]),
            ("All files", &["*"]),
        ];
        match cmd {
            ModelsCommand::Pick(slot) => sv.dialogs.open(
                sv.ctx,
                DialogPurpose::Model(slot),
                match slot {
                    Slot::Champion => "Champion model (.onnx, bundle .zip)",
                    Slot::Challenger => "Challenger model (.onnx, bundle .zip)",
                },
                model_filters,
                "",
            ),
            ModelsCommand::PickHoldout => sv.dialogs.open(
                sv.ctx,
                DialogPurpose::Holdout,
                "Holdout (labelled features)",
                &[
                    ("Data", &["csv", "tsv", "jsonl", "json", "parquet", "gz"]),
                    ("All files", &["*"]),
                ],
                "",
            ),
            ModelsCommand::Set(slot, path) => self.read_model(sv.ctx, slot, path),
            ModelsCommand::Add(paths) => {
                let mut free = vec![];
                if self.champion.is_none() {
                    free.push(Slot::Champion);
                }
                if self.challenger.is_none() {
                    free.push(Slot::Challenger);
                }
                // two models at once replace both (the first is the champion)
                if paths.len() >= 2 {
                    free = vec![Slot::Champion, Slot::Challenger];
                }
                if free.is_empty() {
                    free.push(Slot::Challenger);
                }
                for (slot, p) in free.into_iter().zip(paths) {
                    self.read_model(sv.ctx, slot, p);
                }
            }
            ModelsCommand::SetHoldout(p) => {
                self.holdout = Some(p);
                self.inputs_changed(sv);
            }
            ModelsCommand::Swap => {
                std::mem::swap(&mut self.champion, &mut self.challenger);
                self.reads.swap(0, 1);
                self.inputs_changed(sv);
            }
            ModelsCommand::Replay => {
                let (Some((_, a)), Some((_, b))) = (&self.champion, &self.challenger) else {
                    sv.notifications.push(
                        Level::Info,
                        "Drop or choose a champion and a challenger model first",
                        None,
                    );
                    return;
                };
                let opts = CompareOptions {
                    holdout: self.holdout.as_ref().map(|p| p.display().to_string()),
                    label: (!self.label.trim().is_empty()).then(|| self.label.trim().to_string()),
                    repeats: self.repeats,
                    seed: self.seed,
                    threshold: Some(self.threshold),
                    allow_missing: false,
                    positive_class: None,
                    outputs: ["champion", "challenger"]
                        .iter()
                        .zip(self.outputs)
                        .filter_map(|(role, k)| Some((role.to_string(), k?)))
                        .collect(),
                    bootstrap: self.bootstrap,
                    reproducibility_tolerance: self.reproducibility_tolerance,
                    alpha: self.alpha,
                };
                sv.jobs.start(spawn_compare(
                    sv.ctx,
                    (**a).clone(),
                    (**b).clone(),
                    opts,
                    self.input_id,
                ));
            }
            ModelsCommand::SetRepeats(r) => {
                self.repeats = r;
                self.inputs_changed(sv);
            }
            ModelsCommand::SetSeed(s) => {
                self.seed = s;
                self.inputs_changed(sv);
            }
            ModelsCommand::SetThreshold(t) => {
                self.threshold = t.clamp(0.01, 0.99);
                self.inputs_changed(sv);
            }
            ModelsCommand::SetOutput(slot, kind) => {
                self.outputs[match slot {
                    Slot::Champion => 0,
                    Slot::Challenger => 1,
                }] = kind;
                self.inputs_changed(sv);
            }
            ModelsCommand::SetLabel(l) => {
                self.label = l;
                self.inputs_changed(sv);
            }
            ModelsCommand::LoadSample => {
                self.sample_started = true;
                background("verdict-sample-models", sv.ctx, &self.tx, || {
                    PanelMsg::Sample(
                        super::embedded::materialize_models()
                            .map(|s| (s.champion, s.challenger, s.holdout)),
                    )
                });
            }
        }
    }
}
