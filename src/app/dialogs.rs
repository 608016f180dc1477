//! File dialogs run on their own thread so the UI never blocks; the chosen paths come back
//! over a channel. Saving is not done here: a chosen save path starts an export job.

use super::command::Slot;
use eframe::egui;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};

/// Renders the text to save; runs on the export job's thread once a path is chosen.
pub type Render = Box<dyn FnOnce() -> String + Send>;

/// What a dialog was opened for.
pub enum DialogPurpose {
    /// Pick log files (and plans, models) to open.
    Open,
    /// Pick a plan file.
    OpenPlan,
    /// Pick the drift reference file.
    DriftReference,
    /// Pick the drift current file.
    DriftCurrent,
    /// Pick a log to split by time for drift.
    DriftLog,
    /// Pick a model for a slot.
    Model(Slot),
    /// Pick the holdout.
    Holdout,
    /// Pick a labels file for the shadow run.
    ShadowLabels,
    /// Choose where to save text (report, CSV, plan); the render runs in an export job.
    SaveText(Render),
    /// Choose where to save a plot screenshot region as PNG.
    SavePng(egui::Rect),
}

/// A dialog's answer.
pub struct DialogResult {
    /// Why it was opened.
    pub purpose: DialogPurpose,
    /// Chosen paths (empty when cancelled).
    pub paths: Vec<PathBuf>,
}

/// Runs dialogs off the UI thread.
pub struct Dialogs {
    tx: Sender<DialogResult>,
    rx: Receiver<DialogResult>,
}

impl Default for Dialogs {
    fn default() -> Self {
        let (tx, rx) = channel();
        Self { tx, rx }
    }
}

impl Dialogs {
    /// Opens a dialog; `default_name` is the suggested file name for saves.
    pub fn open(
        &self,
        ctx: &egui::Context,
        purpose: DialogPurpose,
        title: &str,
        filters: &[(&str, &[&str])],
        default_name: &str,
    ) {
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        let title = title.to_string();
        let filters: Vec<(String, Vec<String>)> = filters
            .iter()
            .map(|(n, e)| (n.to_string(), e.iter().map(|s| s.to_string()).collect()))
            .collect();
        let default_name = default_name.to_string();
        let _ = std::thread::Builder::new()
            .name("verdict-dialog".into())
            .spawn(move || {
                let mut d = rfd::FileDialog::new().set_title(&title);
                for (name, exts) in &filters {
                    d = d.add_filter(name, exts);
                }
                let paths: Vec<PathBuf> = match &purpose {
                    DialogPurpose::Open => d.pick_files().unwrap_or_default(),
                    // a model is a file or a bundle folder; the dialog picks files (.onnx, .zip)
                    DialogPurpose::OpenPlan
                    | DialogPurpose::DriftReference
                    | DialogPurpose::DriftCurrent
                    | DialogPurpose::DriftLog
                    | DialogPurpose::Model(_)
                    | DialogPurpose::Holdout
                    | DialogPurpose::ShadowLabels => d.pick_file().into_iter().collect(),
                    DialogPurpose::SaveText(_) | DialogPurpose::SavePng(_) => d
                        .set_file_name(&default_name)
                        .save_file()
                        .into_iter()
                        .collect(),
                };
                let _ = tx.send(DialogResult { purpose, paths });
                ctx.request_repaint();
            });
    }

    /// Answers that arrived since the last call.
    pub fn poll(&self) -> Vec<DialogResult> {
        self.rx.try_iter().collect()
    }
}
