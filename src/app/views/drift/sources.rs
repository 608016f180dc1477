//! Choosing the two sides of a drift comparison: a time split (slider) of the loaded log or
//! of a chosen log, or two files.

use crate::app::command::Command;
use crate::app::drift::{DriftCommand, DriftMode, DriftPanel};
use eframe::egui::{self};

pub(super) fn sources_ui(
    ui: &mut egui::Ui,
    panel: &DriftPanel,
    loaded: Option<((i64, i64), String)>,
    busy: bool,
    cmds: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        if ui
            .radio(
                panel.mode == DriftMode::SplitLoaded,
                "Time split of the loaded log",
            )
            .clicked()
        {
            cmds.push(Command::Drift(DriftCommand::SetMode(
                DriftMode::SplitLoaded,
            )));
        }
        if ui
            .radio(
                panel.mode == DriftMode::Files,
                "Two files (reference, current)",
            )
            .clicked()
        {
            cmds.push(Command::Drift(DriftCommand::SetMode(DriftMode::Files)));
        }
    });
    match panel.mode {
        DriftMode::SplitLoaded => match loaded {
            None => {
                ui.horizontal(|ui| {
                    ui.label("Load a log with timestamps to split it, or");
                    if ui.button("Choose a log to split...").clicked() {
                        cmds.push(Command::Drift(DriftCommand::PickLog));
                    }
                });
            }
            Some(((lo, hi), name)) => {
                ui.horizontal(|ui| {
                    ui.label("Log:");
                    ui.monospace(name);
                    if ui.small_button("Choose another...").clicked() {
                        cmds.push(Command::Drift(DriftCommand::PickLog));
                    }
                });
                let at = panel
                    .split_at_us
                    .unwrap_or(crate::ingest::time::midpoint(lo, hi))
                    .clamp(lo, hi);
                // the slider moves in the scale picked from the log's span (the snapshots'
                // width), so a log of minutes splits by seconds and one of weeks by hours
                let step = crate::analysis::drift::split::snapshot_width(hi - lo, None);
                ui.horizontal(|ui| {
                    ui.label("Reference before");
                    let mut v = at as f64;
                    let resp = ui.add(
                        egui::Slider::new(&mut v, lo as f64..=hi as f64)
                            .show_value(false)
                            .step_by(step as f64)
                            .trailing_fill(true),
                    );
                    ui.strong(crate::report::format::timestamp(v as i64, false));
                    ui.label("current from then on");
                    ui.weak(format!(
                        "(steps of {})",
                        crate::plan::duration::format_bucket((step / 1_000_000).max(1) as u64)
                    ));
                    if resp.changed() {
                        cmds.push(Command::Drift(DriftCommand::SetSplit(v as i64)));
                    }
                    if resp.drag_stopped() {
                        cmds.push(Command::Drift(DriftCommand::Run));
                    }
                    if ui
                        .add_enabled(!busy, egui::Button::new("Compare"))
                        .clicked()
                    {
                        cmds.push(Command::Drift(DriftCommand::Run));
                    }
                });
            }
        },
        DriftMode::Files => {
            let name = |p: &Option<std::path::PathBuf>| {
                p.as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "(none)".into())
            };
            egui::Grid::new("drift_sources")
                .num_columns(3)
                .show(ui, |ui| {
                    ui.label("Reference");
                    ui.monospace(name(&panel.reference));
                    if ui.button("Choose...").clicked() {
                        cmds.push(Command::Drift(DriftCommand::PickReference));
                    }
                    ui.end_row();
                    ui.label("Current");
                    ui.monospace(name(&panel.current));
                    if ui.button("Choose...").clicked() {
                        cmds.push(Command::Drift(DriftCommand::PickCurrent));
                    }
                    ui.end_row();
                });
            ui.horizontal(|ui| {
                if ui.button("Swap").clicked() {
                    cmds.push(Command::Drift(DriftCommand::Swap));
                }
                let ready = panel.reference.is_some() && panel.current.is_some();
                if ui
                    .add_enabled(ready && !busy, egui::Button::new("Compare"))
                    .clicked()
                {
                    cmds.push(Command::Drift(DriftCommand::Run));
                }
                ui.weak("or drop two data files anywhere in this view");
            });
        }
    }
}
