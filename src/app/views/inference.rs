//! The inference parts of the Significance view: how the tests were run, the latency
//! percentile tests and the non-inferiority guardrails. Read-only tables from the report.

use super::{fmt_p, fmt_pct, tips};
use crate::app::command::Command;
use crate::app::theme::status_color;
use crate::plan::Inference;
use crate::report::csv::Table;
use crate::report::{ExperimentReport, GuardrailStatus, Status};
use eframe::egui::{self, RichText};

/// One-sentence explanations of the inference numbers.
pub mod inference_tips {
    /// Always-valid.
    pub const SEQUENTIAL: &str = "Always-valid (sequential) inference: intervals and p-values hold however often you look, so stopping at the first significant result is safe.";
    /// Fixed horizon.
    pub const FIXED: &str = "Fixed-horizon inference: valid for one look at the planned sample size; peeking and stopping early inflates false positives.";
    /// Fixed p beside a sequential one.
    pub const FIXED_P: &str = "The fixed-horizon p-value of the same estimate: what a single look at a pre-planned sample size would give.";
    /// CUPED.
    pub const CUPED: &str = "CUPED: variance removed by adjusting each user's total with their pre-period total (hover for θ and the unadjusted result).";
    /// Percentile test.
    pub const QUANTILE: &str = "Difference of the latency percentile between groups, with users as clusters (requests of one user are not independent).";
    /// Guardrail.
    pub const GUARDRAIL: &str = "One-sided test that the treatment is not worse than the margin: pass when shown, fail when it is surely worse, undecided (hold) otherwise.";
    /// Harmful bound.
    pub const BOUND: &str =
        "The worst the treatment can plausibly be (one-sided 1 - alpha bound on the harmful side).";
    /// Holm.
    pub const P_HOLM: &str = "One-sided p of 'harm at least the margin', Holm-corrected across this treatment's guardrails.";
}

/// The inference line above the tests.
pub fn inference_line_ui(ui: &mut egui::Ui, r: &ExperimentReport) {
    let (text, tip) = match r.inference {
        Inference::Sequential => (
            format!(
                "Always-valid inference (N* = {}): safe to look at any time",
                r.sequential_tuning
            ),
            inference_tips::SEQUENTIAL,
        ),
        Inference::Fixed => (
            "Fixed-horizon inference: valid for a single look at the planned size".to_string(),
            inference_tips::FIXED,
        ),
    };
    ui.label(RichText::new(text).weak()).on_hover_text(tip);
    if let Some(p) = &r.pre_period {
        ui.label(
            RichText::new(format!(
                "CUPED on: covariate from the pre-period ({}, {} rows, {} users)",
                p.source, p.rows, p.users
            ))
            .weak(),
        )
        .on_hover_text(inference_tips::CUPED);
    }
}

fn heads(ui: &mut egui::Ui, heads: &[(&str, &str)]) {
    for (h, tip) in heads {
        let resp = ui.strong(*h);
        if !tip.is_empty() {
            resp.on_hover_text(*tip);
        }
    }
    ui.end_row();
}

fn interval(lo: Option<f64>, hi: Option<f64>, digits: usize) -> String {
    let f = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:+.digits$}"));
    format!("[{}, {}]", f(lo), f(hi))
}

/// The latency percentile tests.
pub fn quantile_table_ui(ui: &mut egui::Ui, r: &ExperimentReport, cmds: &mut Vec<Command>) {
    if r.quantile_tests.is_empty() {
        return;
    }
    ui.horizontal(|ui| {
        ui.heading("Latency percentiles")
            .on_hover_text(inference_tips::QUANTILE);
        super::csv_button(ui, Table::Quantiles, cmds);
    });
    egui::ScrollArea::horizontal()
        .id_salt("quantiles")
        .show(ui, |ui| {
            egui::Grid::new("quantile_tests")
                .striped(true)
                .num_columns(9)
                .show(ui, |ui| {
                    heads(
                        ui,
                        &[
                            ("percentile", inference_tips::QUANTILE),
                            ("treatment", ""),
                            ("control ms", ""),
                            ("treatment ms", ""),
                            ("diff ms", tips::DIFF),
                            ("CI", tips::CI),
                            ("lift", tips::LIFT),
                            ("p", tips::P),
                            ("significant", tips::SIG),
                        ],
                    );
                    for q in &r.quantile_tests {
                        ui.label(format!("{} p{}", q.metric, (q.quantile * 100.0).round()));
                        ui.label(&q.treatment);
                        ui.label(format!("{:.2}", q.control_value));
                        ui.label(format!("{:.2}", q.treatment_value));
                        ui.label(format!("{:+.2}", q.diff));
                        ui.label(interval(q.ci_low, q.ci_high, 2));
                        ui.label(fmt_pct(q.relative_lift)).on_hover_text(format!(
                            "relative interval [{}, {}]; fixed-horizon p {}",
                            fmt_pct(q.relative_lift_ci_low),
                            fmt_pct(q.relative_lift_ci_high),
                            fmt_p(q.fixed.p_value)
                        ));
                        ui.label(fmt_p(q.p_value));
                        let resp = if q.significant && q.diff > 0.0 {
                            ui.colored_label(status_color(Status::Fail), "yes, slower")
                        } else if q.significant {
                            ui.colored_label(status_color(Status::Pass), "yes, faster")
                        } else {
                            ui.weak(q.note.as_deref().map_or("no", |_| "not testable"))
                        };
                        if let Some(note) = &q.note {
                            resp.on_hover_text(note);
                        }
                        ui.end_row();
                    }
                });
        });
}

/// The guardrails as non-inferiority tests.
pub fn guardrails_table_ui(ui: &mut egui::Ui, r: &ExperimentReport, cmds: &mut Vec<Command>) {
    if r.guardrails.is_empty() {
        return;
    }
    ui.horizontal(|ui| {
        ui.heading("Guardrails")
            .on_hover_text(inference_tips::GUARDRAIL);
        super::csv_button(ui, Table::Guardrails, cmds);
    });
    egui::Grid::new("guardrails")
        .striped(true)
        .num_columns(7)
        .show(ui, |ui| {
            heads(
                ui,
                &[
                    ("guardrail", inference_tips::GUARDRAIL),
                    ("treatment", ""),
                    ("margin", ""),
                    ("estimate", tips::DIFF),
                    ("harmful bound", inference_tips::BOUND),
                    ("p (Holm)", inference_tips::P_HOLM),
                    ("status", ""),
                ],
            );
            for g in &r.guardrails {
                let f = |x: Option<f64>| {
                    if g.relative {
                        fmt_pct(x)
                    } else {
                        x.map_or("–".into(), |x| format!("{x:+.5}"))
                    }
                };
                ui.label(&g.name);
                ui.label(&g.treatment);
                ui.label(if g.relative {
                    format!("{:.1}%", g.margin * 100.0)
                } else {
                    format!("{}", g.margin)
                });
                ui.label(f(g.estimate));
                ui.label(f(g.bound)).on_hover_text(format!(
                    "favourable bound {}; one-sided p {} before Holm",
                    f(g.favorable_bound),
                    fmt_p(g.p_value)
                ));
                ui.label(fmt_p(g.p_value_adjusted));
                let status = match g.status {
                    GuardrailStatus::Pass => Status::Pass,
                    GuardrailStatus::Undecided => Status::Warn,
                    GuardrailStatus::Fail => Status::Fail,
                };
                ui.colored_label(status_color(status), g.status.as_str())
                    .on_hover_text(&g.message);
                ui.end_row();
            }
        });
}
