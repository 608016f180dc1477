//! File dialogs run on their own thread so the UI never blocks; the chosen path comes back
//! over a channel.

use eframe::egui;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};

/// Renders the text to save; runs on the dialog thread once a path is chosen.
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
    Model(super::models::Slot),
    /// Pick the holdout.
    Holdout,
    /// Render text (report, CSV, plan) and write it to the chosen file, off the UI thread.
    SaveText(Render),
    /// Save a plot screenshot region as PNG.
    SavePng(egui::Rect),
    /// A file was written (or not) in the background.
    Saved(Result<PathBuf, String>),
}

/// A dialog's answer.
pub struct DialogResult {
    /// Why it was opened (for saves: the outcome).
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
                    DialogPurpose::OpenPlan
                    | DialogPurpose::DriftReference
                    | DialogPurpose::DriftCurrent
                    | DialogPurpose::DriftLog
                    | DialogPurpose::Holdout => d.pick_file().into_iter().collect(),
                    // a model is a file or a bundle folder; the dialog picks files (.onnx, .zip)
                    DialogPurpose::Model(_) => d.pick_file().into_iter().collect(),
                    DialogPurpose::SaveText(_)
                    | DialogPurpose::SavePng(_)
                    | DialogPurpose::Saved(_) => d
                        .set_file_name(&default_name)
                        .save_file()
                        .into_iter()
                        .collect(),
                };
                // a save is rendered and written here, off the UI thread
                let purpose = match (purpose, paths.first()) {
                    (DialogPurpose::SaveText(render), Some(path)) => DialogPurpose::Saved(
                        std::fs::write(path, render())
                            .map(|()| path.clone())
                            .map_err(|e| format!("{}: cannot write: {e}", path.display())),
                    ),
                    (other, _) => other,
                };
                let _ = tx.send(DialogResult { purpose, paths });
                ctx.request_repaint();
            });
    }

    /// Crops `rect` out of a screenshot and writes it as PNG on a background thread.
    pub fn save_png(
        &self,
        ctx: &egui::Context,
        image: std::sync::Arc<egui::ColorImage>,
        rect: egui::Rect,
        path: PathBuf,
    ) {
        let tx = self.tx.clone();
        let ctx2 = ctx.clone();
        let pixels_per_point = ctx.pixels_per_point();
        let _ = std::thread::Builder::new()
            .name("verdict-png".into())
            .spawn(move || {
                let region = image.region(&rect, Some(pixels_per_point));
                let rgba: Vec<u8> = region.pixels.iter().flat_map(|p| p.to_array()).collect();
                let saved =
                    image::RgbaImage::from_raw(region.size[0] as u32, region.size[1] as u32, rgba)
                        .ok_or_else(|| "bad image size".to_string())
                        .and_then(|img| img.save(&path).map_err(|e| e.to_string()))
                        .map(|()| path.clone())
                        .map_err(|e| format!("{}: cannot save PNG: {e}", path.display()));
                let _ = tx.send(DialogResult {
                    purpose: DialogPurpose::Saved(saved),
                    paths: vec![],
                });
                ctx2.request_repaint();
            });
    }

    /// Answers that arrived since the last call.
    pub fn poll(&self) -> Vec<DialogResult> {
        self.rx.try_iter().collect()
    }
}
