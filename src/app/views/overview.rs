//! Overview: what was analysed (files, window, groups with their models, rows, stage), the
//! recommendation with its reasons, then the goal metric (with a picker that writes the
//! plan), the secondary metrics, the guardrails, split health and the sample size.

use super::{fmt_num, fmt_p, fmt_pct, tip_label, tips, ViewCtx};
use crate::app::command::Command;
use crate::app::theme::{action_color, group_color, status_color};
use crate::report::csv::Table;
use crate::report::{ExperimentReport, TestResult};
use eframe::egui::{self, RichText};

/// Draws the Overview.
pub fn overview_ui(ui: &mut egui::Ui, v: &ViewCtx, cmds: &mut Vec<Command>) {
    let r = v.report;
    context_ui(ui, r);
    recommendation_ui(ui, r);
    super::stages::stages_ui(ui, r);
    ui.add_space(8.0);
    primary_ui(ui, r, cmds);
    let guard_metrics: Vec<&str> = r.guardrails.iter().map(|g| g.metric.as_str()).collect();
    let (guarded, secondary): (Vec<&TestResult>, Vec<&TestResult>) = r
        .tests
        .iter()
        .filter(|t| !t.primary)
        .partition(|t| guard_metrics.contains(&t.metric.as_str()));
    if !secondary.is_empty() {
        ui.heading("Secondary metrics").on_hover_text(
            "Metrics that are neither the goal nor a guardrail: exploratory, read with care.",
        );
        metrics_grid_ui(ui, "secondary_metrics", &secondary, "secondary");
        ui.add_space(8.0);
    }
    if !r.guardrails.is_empty() || !guarded.is_empty() {
        super::inference::guardrails_table_ui(ui, r, cmds);
        if !guarded.is_empty() {
            ui.weak("The guardrail metrics' two-sided tests:");
            metrics_grid_ui(ui, "guardrail_metrics", &guarded, "guardrail");
        }
        ui.add_space(8.0);
    }
    health_ui(ui, r, cmds);
    groups_ui(ui, r, cmds);
}

/// One line of what was analysed (the report's own, as Markdown and HTML print it).
pub fn context_line(r: &ExperimentReport) -> String {
    r.context_line()
}

/// The context line at the top of the Overview.
fn context_ui(ui: &mut egui::Ui, r: &ExperimentReport) {
    ui.label(RichText::new(context_line(r)).strong())
        .on_hover_text("What was analysed: files, time window (UTC) and duration, the groups with the models (name@version) that served them, valid rows, and the ramp's current stage.");
    ui.add_space(4.0);
}

/// The recommendation and the reasons behind it.
fn recommendation_ui(ui: &mut egui::Ui, r: &ExperimentReport) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        let action = r.recommendation.action.headline();
        ui.horizontal(|ui| {
            ui.label(RichText::new("Recommendation:").size(20.0));
            ui.label(
                RichText::new(action)
                    .size(24.0)
                    .strong()
                    .color(action_color(r.recommendation.action)),
            );
        });
        for reason in &r.recommendation.reasons {
            ui.label(format!("- {reason}"));
        }
    });
    ui.add_space(8.0);
}

/// The goal metric picker: writes the plan's `primary_metric` and re-analyses.
fn primary_picker_ui(ui: &mut egui::Ui, r: &ExperimentReport, cmds: &mut Vec<Command>) {
    let current = r.primary_metric.clone();
    egui::ComboBox::from_id_salt("primary_picker")
        .selected_text(current.clone().unwrap_or_else(|| "(none declared)".into()))
        .show_ui(ui, |ui| {
            if ui.selectable_label(current.is_none(), "(none)").clicked() && current.is_some() {
                cmds.push(Command::SetPrimaryMetric(None));
            }
            for m in &r.metrics {
                let on = current.as_deref() == Some(m.name.as_str());
                if ui.selectable_label(on, &m.name).clicked() && !on {
                    cmds.push(Command::SetPrimaryMetric(Some(m.name.clone())));
                }
            }
        })
        .response
        .on_hover_text("The metric this experiment is meant to move, declared before looking: written to the plan (save it from the Plan view) and the analysis re-run.");
}

/// The goal metric's card, or a picker to declare one.
fn primary_ui(ui: &mut egui::Ui, r: &ExperimentReport, cmds: &mut Vec<Command>) {
    let shown = r.tests.iter().filter(|t| t.primary).collect::<Vec<_>>();
    ui.horizontal(|ui| {
        ui.heading("Goal metric").on_hover_text(tips::PRIMARY);
        primary_picker_ui(ui, r, cmds);
    });
    if r.primary_metric.is_none() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label("No primary metric declared: every metric below is exploratory and the decision cannot rest on one. Pick the metric this experiment is meant to move above (it is written to the plan).");
        });
    } else if shown.is_empty() {
        ui.label("The declared primary metric has no test (no rows in a treatment group).");
    }
    for t in shown {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(&t.metric).size(18.0).strong());
                if t.primary {
                    tip_label(
                        ui,
                        RichText::new("primary").color(status_color(crate::report::Status::Pass)),
                        tips::PRIMARY,
                    );
                }
            });
            egui::Grid::new(format!("card_{}_{}", t.metric, t.treatment))
                .num_columns(2)
                .spacing([24.0, 4.0])
                .show(ui, |ui| {
                    ui.colored_label(group_color(0), format!("{} (control)", t.control));
                    ui.label(RichText::new(fmt_num(t.control_value)).size(18.0));
                    ui.end_row();
                    ui.colored_label(
                        group_color(super::group_index(r, &t.treatment)),
                        format!("{} (treatment)", t.treatment),
                    );
                    ui.label(RichText::new(fmt_num(t.treatment_value)).size(18.0));
                    ui.end_row();
                    tip_label(ui, "Lift", tips::LIFT);
                    ui.label(format!(
                        "{}  [{}, {}]",
                        fmt_pct(t.relative_lift),
                        fmt_pct(t.relative_lift_ci_low),
                        fmt_pct(t.relative_lift_ci_high)
                    ));
                    ui.end_row();
                    let seq = r.inference == crate::plan::Inference::Sequential;
                    tip_label(
                        ui,
                        format!(
                            "Difference ({}{:.0}% CI)",
                            if seq { "always-valid " } else { "" },
                            (1.0 - r.alpha) * 100.0
                        ),
                        if seq {
                            super::inference::inference_tips::SEQUENTIAL
                        } else {
                            tips::CI
                        },
                    );
                    ui.label(format!(
                        "{}  [{}, {}]",
                        super::fmt_diff(t.diff),
                        t.ci_low.map_or("–".into(), super::fmt_diff),
                        t.ci_high.map_or("–".into(), super::fmt_diff)
                    ));
                    ui.end_row();
                    ui.label("Test");
                    ui.label(format!(
                        "{} on {} units{}",
                        t.method,
                        r.unit.kind,
                        if t.stages_combined > 1 {
                            format!(", {} stages combined", t.stages_combined)
                        } else {
                            String::new()
                        }
                    ));
                    ui.end_row();
                    if t.stages_combined > 1 {
                        ui.label("");
                        ui.weak("Group values pool every stage; the difference weighs each stage's own comparison, so a ramp under a moving base rate cannot bias it.");
                        ui.end_row();
                    }
                    tip_label(ui, "p-value", tips::P);
                    ui.label(RichText::new(fmt_p(t.p_value)).strong());
                    ui.end_row();
                    tip_label(ui, "Significant", tips::SIG);
                    let sig = if t.significant {
                        format!("yes (alpha = {})", r.alpha)
                    } else {
                        format!("no (alpha = {})", r.alpha)
                    };
                    ui.label(sig);
                    ui.end_row();
                    if seq {
                        tip_label(
                            ui,
                            "Fixed-horizon",
                            super::inference::inference_tips::FIXED_P,
                        );
                        ui.weak(format!(
                            "p = {}, CI [{}, {}]: valid for one look at a pre-planned size only",
                            fmt_p(t.fixed.p_value),
                            t.fixed.ci_low.map_or("–".into(), crate::report::format::diff),
                            t.fixed.ci_high.map_or("–".into(), crate::report::format::diff)
                        ));
                        ui.end_row();
                    }
                    if let Some(c) = t.cuped {
                        tip_label(ui, "CUPED", super::inference::inference_tips::CUPED);
                        ui.weak(format!(
                            "variance −{:.0}% (θ = {:.3}); unadjusted diff {}, p = {}",
                            c.variance_reduction * 100.0,
                            c.theta,
                            crate::report::format::diff(c.unadjusted.diff),
                            fmt_p(c.unadjusted.p_value)
                        ));
                        ui.end_row();
                    }
                });
        });
    }
    ui.add_space(8.0);
}

/// A grid of tests: metric, treatment, difference, lift, p and the significance mark in the
/// Significance view's colours; `role` names the section.
fn metrics_grid_ui(ui: &mut egui::Ui, id: &str, tests: &[&TestResult], role: &str) {
    egui::Grid::new(id)
        .striped(true)
        .num_columns(7)
        .show(ui, |ui| {
            for h in [
                "metric",
                "treatment",
                "diff",
                "lift",
                "p",
                "significant",
                "",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for t in tests {
                ui.label(&t.metric);
                ui.label(&t.treatment);
                // the same colour and words as the Significance view
                let color = super::significance::verdict_color(t, 1);
                ui.colored_label(color, super::fmt_diff(t.diff))
                    .on_hover_text(tips::DIFF);
                ui.colored_label(color, fmt_pct(t.relative_lift))
                    .on_hover_text(tips::LIFT);
                tip_label(ui, fmt_p(t.p_value), tips::P);
                ui.colored_label(color, super::significance::verdict_word(t));
                ui.label(RichText::new(role).italics())
                    .on_hover_text(tips::PRIMARY);
                ui.end_row();
            }
        });
}

/// Health and guardrail checks, and the sample size reached.
fn health_ui(ui: &mut egui::Ui, r: &ExperimentReport, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.heading("Health checks");
        super::csv_button(ui, Table::Checks, cmds);
    });
    super::checks::checks_ui(ui, "checks", &r.checks);
    ui.add_space(8.0);

    if let Some(p) = &r.power {
        ui.heading("Sample size");
        ui.horizontal(|ui| {
            let frac = (p.progress as f32).clamp(0.0, 1.0);
            ui.add(
                egui::ProgressBar::new(frac)
                    .desired_width(300.0)
                    .text(format!(
                        "{} of {} {}s per group ({:.0}%)",
                        p.observed_per_group,
                        p.required_per_group,
                        p.unit.as_str(),
                        p.progress * 100.0
                    )),
            )
            .on_hover_text(tips::SAMPLE);
            let mde = super::fmt_diff(p.mde_absolute);
            ui.label(format!(
                "to detect {mde} on {} (alpha {}, power {})",
                p.metric, p.alpha, p.power
            ));
        });
        let cuped = p
            .variance_reduction
            .map(|v| format!("; CUPED removes {:.0}% of the variance", v * 100.0))
            .unwrap_or_default();
        ui.weak(format!(
            "Always-valid test: {} per group; a single fixed-horizon look: {}{cuped}",
            p.required_per_group_sequential, p.required_per_group_fixed
        ))
        .on_hover_text(format!(
            "The always-valid test may be looked at any time, so it needs more units than one look at a fixed sample size; the bar follows the inference in use. Variance per {}: {:.4e}.",
            p.unit.as_str(),
            p.variance_per_unit
        ));
        ui.add_space(8.0);
    }
}

/// The groups table and the split's SRM line.
fn groups_ui(ui: &mut egui::Ui, r: &ExperimentReport, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.heading("Groups");
        super::csv_button(ui, Table::Groups, cmds);
    });
    egui::Grid::new("groups")
        .striped(true)
        .num_columns(10)
        .show(ui, |ui| {
            for (h, tip) in [
                ("group", ""),
                ("models", ""),
                ("requests", ""),
                ("share", tips::SRM),
                ("users", ""),
                ("error rate", tips::ERROR_RATE),
                ("fallbacks", tips::FALLBACKS),
                ("p50 ms", ""),
                ("p99 ms", tips::P99),
                ("AUC", tips::AUC),
            ] {
                if tip.is_empty() {
                    ui.strong(h);
                } else {
                    ui.strong(h).on_hover_text(tip);
                }
            }
            ui.end_row();
            for (i, g) in r.groups.iter().enumerate() {
                ui.colored_label(
                    group_color(i),
                    if i == 0 {
                        format!("{} (control)", g.name)
                    } else {
                        g.name.clone()
                    },
                );
                ui.label(g.models.join(", "));
                ui.label(crate::app::jobs::thousands(g.requests));
                ui.label(format!(
                    "{} (expected {})",
                    crate::report::format::rate(g.share),
                    crate::report::format::rate(
                        r.srm
                            .as_ref()
                            .and_then(|s| s.expected_share.get(&g.name).copied())
                            .unwrap_or(f64::NAN)
                    )
                ));
                ui.label(crate::app::jobs::thousands(g.users));
                ui.label(crate::report::format::rate(g.error_rate));
                ui.label(g.fallbacks.to_string());
                ui.label(
                    g.latency_ms
                        .map_or("–".into(), |l| crate::report::format::latency_ms(l.p50)),
                );
                ui.label(
                    g.latency_ms
                        .map_or("–".into(), |l| crate::report::format::latency_ms(l.p99)),
                );
                ui.label(g.auc.map(|a| format!("{a:.4}")).unwrap_or("–".into()));
                ui.end_row();
            }
        });
    let srm = match &r.srm {
        Some(s) => format!("SRM: chi2 = {:.3}, p = {}", s.chi2, fmt_p(Some(s.p_value))),
        None => "SRM: no declared split for the stages".to_string(),
    };
    ui.label(format!(
        "{srm} · users: {}, in several groups within a stage: {}, moved at a ramp: {}",
        crate::app::jobs::thousands(r.assignment.users),
        r.assignment.users_in_multiple_groups,
        r.assignment.users_moved_at_ramp
    ))
    .on_hover_text(tips::SRM);
}
