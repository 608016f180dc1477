//! The Models view's runtime state and commands: champion and challenger (files or
//! bundles), the holdout, replay settings, the comparison, and the ONNX Runtime found.
//! Reading and parsing model files, materialising the embedded sample and probing the
//! runtime all happen on named background threads.

use super::command::View;
use super::dialogs::DialogPurpose;
use super::jobs;
use super::notifications::Level;
use super::VerdictApp;
use crate::models::compare::{inspect, Inspected};
use crate::models::{CompareOptions, Compared};
use eframe::egui;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver};

/// Which model slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The model in production.
    Champion,
    /// The candidate.
    Challenger,
}

/// A background answer for the panel.
pub enum PanelMsg {
    /// A model was read and parsed (or not).
    Inspected(Slot, PathBuf, Result<Box<Inspected>, String>),
    /// The runtime probe finished: (version, library) or how to get one.
    Runtime(Result<(String, String), String>),
    /// The embedded sample models were written: champion, challenger, holdout.
    Sample(Result<(PathBuf, PathBuf, PathBuf), String>),
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
    /// Permutation seed.
    pub seed: u64,
    /// Decision threshold.
    pub threshold: f64,
    /// The last comparison.
    pub compared: Option<Box<Compared>>,
    /// ONNX Runtime: None while probing.
    pub runtime: Option<Result<(String, String), String>>,
    /// The sample was set up and replayed once.
    pub sample_started: bool,
    /// Replay automatically when both models and the holdout are ready.
    pub auto_replay: bool,
    rx: Receiver<PanelMsg>,
    tx: std::sync::mpsc::Sender<PanelMsg>,
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
            threshold: 0.5,
            compared: None,
            runtime: None,
            sample_started: false,
            auto_replay: false,
            rx,
            tx,
        }
    }
}

/// Models view intents.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelsCommand {
    /// Pick a model for a slot with the file dialog.
    Pick(Slot),
    /// Pick the holdout with the file dialog.
    PickHoldout,
    /// Load a model into a slot.
    Set(Slot, PathBuf),
    /// Models dropped or opened: the first free slot (champion first).
    Add(Vec<PathBuf>),
    /// Use this holdout.
    SetHoldout(PathBuf),
    /// Swap champion and challenger.
    Swap,
    /// Replay and compare.
    Replay,
    /// Permutation repeats.
    SetRepeats(u32),
    /// Permutation seed.
    SetSeed(u64),
    /// Decision threshold.
    SetThreshold(f64),
    /// Label column (empty: automatic).
    SetLabel(String),
    /// Load the embedded sample models and replay them.
    LoadSample,
}

impl ModelsPanel {
    /// Starts probing for ONNX Runtime (once).
    pub fn probe_runtime(&mut self, ctx: &egui::Context) {
        if self.runtime.is_some() {
            return;
        }
        self.runtime = Some(Err("looking for ONNX Runtime...".into()));
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("verdict-ort-probe".into())
            .spawn(move || {
                let r = crate::models::runtime::runtime()
                    .map(|rt| (rt.version.clone(), rt.library.display().to_string()));
                let _ = tx.send(PanelMsg::Runtime(r));
                ctx.request_repaint();
            });
        if let Err(e) = spawned {
            self.runtime = Some(Err(format!("cannot start the runtime probe: {e}")));
        }
    }

    fn read_model(&self, ctx: &egui::Context, slot: Slot, path: PathBuf) {
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        let _ = std::thread::Builder::new()
            .name("verdict-model-read".into())
            .spawn(move || {
                let r = inspect(&path).map(Box::new).map_err(|e| e.to_string());
                let _ = tx.send(PanelMsg::Inspected(slot, path, r));
                ctx.request_repaint();
            });
    }
}

impl VerdictApp {
    /// Applies background answers for the Models view.
    pub fn poll_models(&mut self, ctx: &egui::Context) {
        let msgs: Vec<PanelMsg> = self.models.rx.try_iter().collect();
        for m in msgs {
            match m {
                PanelMsg::Runtime(r) => self.models.runtime = Some(r),
                PanelMsg::Inspected(slot, path, Ok(model)) => {
                    match slot {
                        Slot::Champion => self.models.champion = Some((path, model)),
                        Slot::Challenger => self.models.challenger = Some((path, model)),
                    }
                    self.models.compared = None;
                    self.maybe_auto_replay(ctx);
                }
                PanelMsg::Inspected(_, _, Err(e)) => {
                    self.notifications.push(Level::Error, e, None);
                }
                PanelMsg::Sample(Ok((a, b, h))) => {
                    self.models.holdout = Some(h);
                    self.models.auto_replay = true;
                    self.models.read_model(ctx, Slot::Champion, a);
                    self.models.read_model(ctx, Slot::Challenger, b);
                }
                PanelMsg::Sample(Err(e)) => self.notifications.push(
                    Level::Error,
                    format!("cannot write the sample models to the temp folder: {e}"),
                    None,
                ),
            }
        }
    }

    fn maybe_auto_replay(&mut self, ctx: &egui::Context) {
        if self.models.auto_replay
            && self.models.champion.is_some()
            && self.models.challenger.is_some()
        {
            self.models.auto_replay = false;
            self.handle_models(ctx, ModelsCommand::Replay);
        }
    }

    /// Runs a Models command.
    pub fn handle_models(&mut self, ctx: &egui::Context, cmd: ModelsCommand) {
        let model_filters: &[(&str, &[&str])] = &[
            ("ONNX model or bundle", &["onnx", "zip"]),
            ("All files", &["*"]),
        ];
        match cmd {
            ModelsCommand::Pick(slot) => self.dialogs.open(
                ctx,
                DialogPurpose::Model(slot),
                match slot {
                    Slot::Champion => "Champion model (.onnx, bundle .zip)",
                    Slot::Challenger => "Challenger model (.onnx, bundle .zip)",
                },
                model_filters,
                "",
            ),
            ModelsCommand::PickHoldout => self.dialogs.open(
                ctx,
                DialogPurpose::Holdout,
                "Holdout (labelled features)",
                &[
                    ("Data", &["csv", "tsv", "jsonl", "json", "parquet", "gz"]),
                    ("All files", &["*"]),
                ],
                "",
            ),
            ModelsCommand::Set(slot, path) => {
                self.state.view = View::Models;
                self.models.read_model(ctx, slot, path);
            }
            ModelsCommand::Add(paths) => {
                self.state.view = View::Models;
                let mut free = vec![];
                if self.models.champion.is_none() {
                    free.push(Slot::Champion);
                }
                if self.models.challenger.is_none() {
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
                    self.models.read_model(ctx, slot, p);
                }
            }
            ModelsCommand::SetHoldout(p) => {
                self.models.holdout = Some(p);
                self.models.compared = None;
            }
            ModelsCommand::Swap => {
                std::mem::swap(&mut self.models.champion, &mut self.models.challenger);
                self.models.compared = None;
            }
            ModelsCommand::Replay => {
                let (Some((_, a)), Some((_, b))) = (&self.models.champion, &self.models.challenger)
                else {
                    self.notifications.push(
                        Level::Info,
                        "Drop or choose a champion and a challenger model first",
                        None,
                    );
                    return;
                };
                let opts = CompareOptions {
                    holdout: self
                        .models
                        .holdout
                        .as_ref()
                        .map(|p| p.display().to_string()),
                    label: (!self.models.label.trim().is_empty())
                        .then(|| self.models.label.trim().to_string()),
                    repeats: self.models.repeats,
                    seed: self.models.seed,
                    threshold: Some(self.models.threshold),
                    allow_missing: false,
                    positive_class: None,
                };
                let job = jobs::spawn_compare(ctx, (**a).clone(), (**b).clone(), opts);
                self.replace_job(job);
            }
            ModelsCommand::SetRepeats(r) => self.models.repeats = r,
            ModelsCommand::SetSeed(s) => self.models.seed = s,
            ModelsCommand::SetThreshold(t) => self.models.threshold = t.clamp(0.01, 0.99),
            ModelsCommand::SetLabel(l) => self.models.label = l,
            ModelsCommand::LoadSample => {
                self.models.sample_started = true;
                let tx = self.models.tx.clone();
                let ctx2 = ctx.clone();
                let _ = std::thread::Builder::new()
                    .name("verdict-sample-models".into())
                    .spawn(move || {
                        let r = super::embedded::materialize_models()
                            .map(|s| (s.champion, s.challenger, s.holdout))
                            .map_err(|e| e.to_string());
                        let _ = tx.send(PanelMsg::Sample(r));
                        ctx2.request_repaint();
                    });
            }
        }
    }
}
