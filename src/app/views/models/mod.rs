//! The Models view: champion and challenger (drop two models anywhere, or choose them; Swap),
//! the holdout, the runtime found, the signature and metadata diff, Replay with progress,
//! the metric table, champion-vs-challenger scores, the |Δp| histogram, the flip matrix,
//! permutation importance side by side with rank changes, the most-disagreeing rows,
//! agreement per segment, reliability curves and the checks.

mod paired;
pub(crate) mod plots;
mod signature;
pub mod tables;

use paired::{paired_tests_ui, per_class_ui, provenance_ui, worst_segments_ui};
use plots::{calibration_ui, delta_histogram_ui, flips_ui, scatter_ui};
use signature::signature_ui;
use tables::{disagreeing_rows_ui, importance_ui, metrics_ui, segments_ui};

use super::drift::save_row_ui;
use crate::app::command::Command;
use crate::app::command::SaveKind;
use crate::app::models::{ModelsCommand, ModelsPanel, RuntimeStatus, Slot};
use crate::app::theme::{group_color, status_color};
use crate::models::compare::describe;
use crate::report::compare::{CompareReport, ModelReport};
use crate::report::Status;
use eframe::egui::{self, RichText};

/// Tooltips.
pub mod tips {
    /// Diff rate.
    pub const DIFF_RATE: &str = "Share of holdout rows whose predicted class differs between the models (each at its threshold).";
    /// Importance.
    pub const IMPORTANCE: &str = "Drop in the metric when one feature column is shuffled (same shuffles for both models); larger means the model relies on it more.";
    /// Calibration.
    pub const CALIBRATION: &str = "Observed positive rate against mean predicted probability in 10 equal-width bins; a calibrated model follows the diagonal.";
}

/// The whole view.
pub fn models_ui(ui: &mut egui::Ui, panel: &ModelsPanel, busy: bool, cmds: &mut Vec<Command>) {
    ui.heading("Champion vs challenger on a holdout");
    let sample = panel.sample_parts();
    if !sample.is_empty() {
        ui.horizontal(|ui| {
            ui.label(
                egui::RichText::new(" SAMPLE ")
                    .strong()
                    .background_color(crate::app::theme::status_color(crate::report::Status::Warn))
                    .color(egui::Color32::BLACK),
            );
            ui.label(format!(
                "the bundled example {}, not yours: drop your own models and holdout to replace them",
                sample.join(", ")
            ));
        });
    }
    runtime_ui(ui, panel);
    inputs_ui(ui, panel, busy, cmds);
    ui.separator();
    let (a, b) = (panel.champion.as_ref(), panel.challenger.as_ref());
    if a.is_none() && b.is_none() {
        ui.label("Drop two ONNX models or bundles anywhere in the window (the first is the champion), or choose them above.");
        return;
    }
    // before a replay: the descriptive part of each model, side by side
    let reports: (Option<ModelReport>, Option<ModelReport>) = match &panel.compared {
        Some(c) => (
            Some(c.report.champion.clone()),
            Some(c.report.challenger.clone()),
        ),
        None => (a.map(|(_, m)| describe(m)), b.map(|(_, m)| describe(m))),
    };
    signature_ui(
        ui,
        reports.0.as_ref(),
        reports.1.as_ref(),
        panel.compared.is_some(),
    );
    let Some(c) = &panel.compared else {
        ui.add_space(6.0);
        ui.label(if busy {
            "Replaying..."
        } else {
            "Press Replay to run the holdout through both models."
        });
        return;
    };
    let r = &c.report;
    ui.add_space(6.0);
    save_row_ui(
        ui,
        &[
            ("JSON", SaveKind::CompareJson),
            ("Markdown", SaveKind::CompareMarkdown),
            ("predictions CSV", SaveKind::ComparePredictionsCsv),
            ("importance CSV", SaveKind::CompareImportanceCsv),
            ("checks CSV", SaveKind::CompareChecksCsv),
        ],
        cmds,
    );
    checks_ui(ui, r);
    ui.add_space(6.0);
    provenance_ui(ui, r);
    metrics_ui(ui, r, panel.alpha);
    paired_tests_ui(ui, r);
    worst_segments_ui(ui, r);
    ui.add_space(6.0);
    let multiclass = c.classes.is_some();
    if multiclass {
        ui.weak("Multi-class: the scatter and the reliability curve use each model's top class and its probability; |difference| is the largest change of any class's probability.");
    }
    ui.columns(2, |cols| {
        // multi-class: each model's top-class probability, not coloured by a 0/1 label
        scatter_ui(
            &mut cols[0],
            &c.champion,
            &c.challenger,
            if multiclass {
                None
            } else {
                c.labels.as_deref()
            },
            cmds,
        );
        delta_histogram_ui(&mut cols[1], r, cmds);
    });
    ui.columns(2, |cols| {
        if multiclass {
            per_class_ui(&mut cols[0], r);
        } else {
            flips_ui(&mut cols[0], r);
        }
        calibration_ui(&mut cols[1], r, cmds);
    });
    importance_ui(ui, r, cmds);
    disagreeing_rows_ui(ui, r);
    segments_ui(ui, r);
}

fn runtime_ui(ui: &mut egui::Ui, panel: &ModelsPanel) {
    match &panel.runtime {
        RuntimeStatus::Unknown => {
            ui.weak("ONNX Runtime: not looked for yet");
        }
        RuntimeStatus::Probing => {
            ui.weak("looking for ONNX Runtime...");
        }
        RuntimeStatus::Found { version, library } => {
            ui.label(format!("ONNX Runtime {version} ({library})"));
        }
        RuntimeStatus::Missing(e) => {
            ui.colored_label(status_color(Status::Warn), e.to_string());
        }
    }
}

fn name_of(p: &std::path::Path) -> String {
    p.display().to_string()
}

fn inputs_ui(ui: &mut egui::Ui, panel: &ModelsPanel, busy: bool, cmds: &mut Vec<Command>) {
    egui::Grid::new("models_inputs")
        .num_columns(3)
        .show(ui, |ui| {
            for (slot, label, m) in [
                (Slot::Champion, "Champion", &panel.champion),
                (Slot::Challenger, "Challenger", &panel.challenger),
            ] {
                ui.label(
                    RichText::new(label)
                        .color(group_color(if slot == Slot::Champion { 0 } else { 1 }))
                        .strong(),
                );
                ui.monospace(m.as_ref().map_or("(none)".into(), |(p, _)| name_of(p)));
                if ui.button("Choose...").clicked() {
                    cmds.push(Command::Models(ModelsCommand::Pick(slot)));
                }
                ui.end_row();
            }
            ui.label("Holdout");
            let bundle_holdout = panel
                .champion
                .iter()
                .chain(panel.challenger.iter())
                .find_map(|(_, m)| m.source.holdout.clone());
            ui.monospace(match (&panel.holdout, bundle_holdout) {
                (Some(p), _) => name_of(p),
                (None, Some(p)) => format!("{} (from the bundle)", name_of(&p)),
                (None, None) => "(none: choose or drop a labelled data file)".into(),
            });
            if ui.button("Choose...").clicked() {
                cmds.push(Command::Models(ModelsCommand::PickHoldout));
            }
            ui.end_row();
        });
    ui.horizontal(|ui| {
        if ui
            .button("Swap")
            .on_hover_text("Exchange champion and challenger")
            .clicked()
        {
            cmds.push(Command::Models(ModelsCommand::Swap));
        }
        let ready = panel.champion.is_some() && panel.challenger.is_some();
        if ui
            .add_enabled(ready && !busy, egui::Button::new("Replay"))
            .clicked()
        {
            cmds.push(Command::Models(ModelsCommand::Replay));
        }
        ui.label("label");
        let mut label = panel.label.clone();
        if ui
            .add(
                egui::TextEdit::singleline(&mut label)
                    .desired_width(90.0)
                    .hint_text("auto"),
            )
            .changed()
        {
            cmds.push(Command::Models(ModelsCommand::SetLabel(label)));
        }
        for (i, (slot, who)) in [
            (Slot::Champion, "champion"),
            (Slot::Challenger, "challenger"),
        ]
        .into_iter()
        .enumerate()
        {
            output_combo_ui(ui, who, slot, panel.outputs[i], cmds);
        }
        let name = ui.label("threshold");
        let mut t = panel.threshold;
        if ui
            .add(egui::DragValue::new(&mut t).range(0.01..=0.99).speed(0.01))
            .labelled_by(name.id)
            .changed()
        {
            cmds.push(Command::Models(ModelsCommand::SetThreshold(t)));
        }
        let name = ui.label("repeats");
        let mut rep = panel.repeats;
        if ui
            .add(egui::DragValue::new(&mut rep).range(0..=50))
            .labelled_by(name.id)
            .changed()
        {
            cmds.push(Command::Models(ModelsCommand::SetRepeats(rep)));
        }
        let name = ui.label("seed");
        let mut seed = panel.seed;
        if ui
            .add(egui::DragValue::new(&mut seed))
            .labelled_by(name.id)
            .changed()
        {
            cmds.push(Command::Models(ModelsCommand::SetSeed(seed)));
        }
        if ui.button("Load sample models").clicked() {
            cmds.push(Command::Models(ModelsCommand::LoadSample));
        }
    });
}

/// What a slot's output means: automatic (the bundle's `output`, else by shape), or declared.
fn output_combo_ui(
    ui: &mut egui::Ui,
    who: &str,
    slot: Slot,
    current: Option<crate::report::compare::OutputKind>,
    cmds: &mut Vec<Command>,
) {
    use crate::report::compare::OutputKind;
    let text = |k: Option<OutputKind>| k.map_or("auto", |k| k.as_str());
    let name = ui.label(format!("{who} output"))
        .on_hover_text("What the model's output means: probabilities, logits ([N,1] through a sigmoid, [N,2] through a softmax) or a regression value; auto reads the bundle's output, else the shape.");
    egui::ComboBox::from_id_salt(format!("output_{who}"))
        .selected_text(text(current))
        .width(90.0)
        .show_ui(ui, |ui| {
            for k in [
                None,
                Some(OutputKind::Probability),
                Some(OutputKind::Logit),
                Some(OutputKind::Regression),
            ] {
                if ui.selectable_label(current == k, text(k)).clicked() && current != k {
                    cmds.push(Command::Models(ModelsCommand::SetOutput(slot, k)));
                }
            }
        })
        .response
        .labelled_by(name.id);
}

fn checks_ui(ui: &mut egui::Ui, r: &CompareReport) {
    ui.strong("Checks");
    super::checks::checks_ui(ui, "models_checks", &r.checks);
}
