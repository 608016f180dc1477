//! Plan: edit the pre-registered analysis plan, apply it (re-analysis in the background),
//! save it to / load it from `verdict.toml`.

use super::ViewCtx;
use crate::analysis::corrections::Correction;
use crate::app::command::Command;
use crate::plan::{Direction, Plan};
use eframe::egui;
use std::path::Path;

/// Draws the Plan view; edits `draft` in place.
pub fn plan_ui(
    ui: &mut egui::Ui,
    v: &ViewCtx,
    draft: &mut Plan,
    path: Option<&Path>,
    cmds: &mut Vec<Command>,
) {
    let r = v.report;
    ui.heading("Analysis plan");
    ui.label(match path {
        Some(p) => format!("From {}", p.display()),
        None => "Declare what you will decide on before looking at the results; save it next to the logs as verdict.toml.".into(),
    });
    ui.add_space(6.0);
    let metric_names: Vec<String> = r.metrics.iter().map(|m| m.name.clone()).collect();
    let group_names: Vec<String> = r.groups.iter().map(|g| g.name.clone()).collect();
    egui::Grid::new("plan_grid")
        .num_columns(2)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            ui.label("Primary metric")
                .on_hover_text(super::tips::PRIMARY);
            egui::ComboBox::from_id_salt("plan_primary")
                .selected_text(
                    draft
                        .primary_metric
                        .clone()
                        .unwrap_or("(none: all exploratory)".into()),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut draft.primary_metric, None, "(none: all exploratory)");
                    for m in &metric_names {
                        ui.selectable_value(&mut draft.primary_metric, Some(m.clone()), m);
                    }
                });
            ui.end_row();
            ui.label("Direction");
            ui.horizontal(|ui| {
                ui.radio_value(
                    &mut draft.direction,
                    Direction::Increase,
                    "increase is better",
                );
                ui.radio_value(
                    &mut draft.direction,
                    Direction::Decrease,
                    "decrease is better",
                );
            });
            ui.end_row();
            ui.label("Alpha")
                .on_hover_text("Significance level (two-sided).");
            ui.add(
                egui::DragValue::new(&mut draft.alpha)
                    .range(0.0001..=0.5)
                    .speed(0.001)
                    .max_decimals(4),
            );
            ui.end_row();
            ui.label("Power");
            ui.add(
                egui::DragValue::new(&mut draft.power)
                    .range(0.5..=0.9999)
                    .speed(0.005)
                    .max_decimals(3),
            );
            ui.end_row();
            ui.label("Minimum detectable effect")
                .on_hover_text(super::tips::SAMPLE);
            ui.horizontal(|ui| {
                ui.add(
                    egui::DragValue::new(&mut draft.minimum_detectable_effect)
                        .range(0.0001..=1.0)
                        .speed(0.0005)
                        .max_decimals(4),
                );
                ui.checkbox(&mut draft.mde_relative, "relative to the control rate");
            });
            ui.end_row();
            ui.label("Control group");
            egui::ComboBox::from_id_salt("plan_control")
                .selected_text(
                    draft
                        .control
                        .clone()
                        .unwrap_or("(by name / largest)".into()),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut draft.control, None, "(by name / largest)");
                    for g in &group_names {
                        ui.selectable_value(&mut draft.control, Some(g.clone()), g);
                    }
                });
            ui.end_row();
            ui.label("Segment correction")
                .on_hover_text(super::tips::P_ADJ);
            ui.horizontal(|ui| {
                ui.radio_value(&mut draft.correction, Correction::Holm, "Holm");
                ui.radio_value(&mut draft.correction, Correction::Bh, "Benjamini–Hochberg");
            });
            ui.end_row();
            ui.label("Expected split (%)")
                .on_hover_text(super::tips::SRM);
            ui.vertical(|ui| {
                if draft.expected_split.is_empty() {
                    ui.label("equal split");
                }
                let mut remove = None;
                for (g, share) in draft.expected_split.iter_mut() {
                    ui.horizontal(|ui| {
                        ui.label(g);
                        ui.add(egui::DragValue::new(share).range(0.01..=100.0).speed(0.5));
                        if ui.small_button("x").clicked() {
                            remove = Some(g.clone());
                        }
                    });
                }
                if let Some(g) = remove {
                    draft.expected_split.remove(&g);
                }
                if ui
                    .small_button("Set from the groups in the data (equal)")
                    .clicked()
                {
                    draft.expected_split = group_names
                        .iter()
                        .map(|g| (g.clone(), 100.0 / group_names.len().max(1) as f64))
                        .collect();
                }
            });
            ui.end_row();
            ui.label("Inference")
                .on_hover_text(super::inference::inference_tips::SEQUENTIAL);
            ui.horizontal(|ui| {
                ui.radio_value(&mut draft.inference, crate::plan::Inference::Sequential, "always-valid")
                    .on_hover_text(super::inference::inference_tips::SEQUENTIAL);
                ui.radio_value(&mut draft.inference, crate::plan::Inference::Fixed, "fixed horizon")
                    .on_hover_text(super::inference::inference_tips::FIXED);
            });
            ui.end_row();
            ui.label("Sequential tuning N*")
                .on_hover_text("The total units the always-valid test is tuned for: its interval is tightest near N*.");
            ui.add(
                egui::DragValue::new(&mut draft.sequential_tuning)
                    .range(1.0..=1e9)
                    .speed(50.0),
            );
            ui.end_row();
            ui.label("CUPED")
                .on_hover_text(super::inference::inference_tips::CUPED);
            ui.horizontal(|ui| {
                ui.radio_value(&mut draft.cuped, None, "when a pre-period exists");
                ui.radio_value(&mut draft.cuped, Some(true), "on");
                ui.radio_value(&mut draft.cuped, Some(false), "off");
            });
            ui.end_row();
            ui.label("Guardrail: p99 latency ceiling (ms)")
                .on_hover_text(super::tips::P99);
            ui.add(
                egui::DragValue::new(&mut draft.guardrails.latency_p99_ms)
                    .range(1.0..=100_000.0)
                    .speed(1.0),
            );
            ui.end_row();
            ui.label("Guardrail: max p99 increase vs control");
            ui.add(
                egui::DragValue::new(&mut draft.guardrails.latency_p99_max_increase)
                    .range(0.0..=10.0)
                    .speed(0.01)
                    .max_decimals(3),
            );
            ui.end_row();
            ui.label("Guardrail: error-rate margin (absolute)")
                .on_hover_text(super::tips::ERROR_RATE);
            ui.add(
                egui::DragValue::new(&mut draft.guardrails.error_rate_margin)
                    .range(0.0..=0.99)
                    .speed(0.001)
                    .max_decimals(4),
            );
            ui.end_row();
            ui.label("SRM threshold (p)");
            ui.add(
                egui::DragValue::new(&mut draft.guardrails.srm_alpha)
                    .range(0.000001..=0.5)
                    .speed(0.0001)
                    .max_decimals(6),
            );
            ui.end_row();
        });
    ui.add_space(8.0);
    let valid = draft.validate();
    if let Err(e) = &valid {
        ui.colored_label(
            crate::app::theme::status_color(crate::report::Status::Fail),
            e.to_string(),
        );
    }
    ui.horizontal(|ui| {
        if ui
            .add_enabled(valid.is_ok(), egui::Button::new("Apply and re-analyse"))
            .clicked()
        {
            cmds.push(Command::ApplyPlan(Box::new(draft.clone())));
        }
        if ui.button("Save as verdict.toml...").clicked() {
            cmds.push(Command::SavePlanDialog);
        }
        if ui.button("Load...").clicked() {
            cmds.push(Command::LoadPlanDialog);
        }
        if ui.button("Revert to the plan in use").clicked() {
            *draft = v.config.plan.clone();
        }
    });
    if *draft != v.config.plan {
        ui.weak("Edited: apply to see the results under this plan.");
    }
}
