//! Replay jobs: both models over the holdout, then the comparison.

use super::{spawn, Input, Job, JobMsg};
use crate::app::command::JobKind;
use crate::models::compare::{compare_inspected, Inspected};
use crate::models::{CompareOptions, ModelError};
use eframe::egui;
use std::sync::atomic::Ordering;

/// Replays the holdout through both models and compares them (for the Models view's inputs
/// `models_id`).
pub fn spawn_compare(
    ctx: &egui::Context,
    champion: Inspected,
    challenger: Inspected,
    opts: CompareOptions,
    models_id: u64,
) -> Job {
    spawn(
        JobKind::Replay,
        Input::Models(models_id),
        "Replaying the holdout".into(),
        ctx,
        move |emit, cancel| {
            let progress = |text: String, frac: Option<f32>| emit(JobMsg::Progress(text, frac));
            match compare_inspected(champion, challenger, &opts, &progress, cancel) {
                _ if cancel.load(Ordering::Relaxed) => emit(JobMsg::Cancelled),
                Ok(c) => emit(JobMsg::Compared(Box::new(c))),
                Err(ModelError::Cancelled) => emit(JobMsg::Cancelled),
                Err(e) => emit(JobMsg::Failed(format!("replay: {e}"), None)),
            }
        },
    )
}
