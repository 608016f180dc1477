//! Significance: the tests table, a forest plot of the lift intervals, and a sample-size
//! calculator (the engine's power formula).

use super::{fmt_num, fmt_p, fmt_pct, png_button, tip_label, tips, ViewCtx};
use crate::analysis::power::{required_n_per_group, sequential_n_per_group};
use crate::app::command::Command;
use crate::app::state::Calculator;
use crate::app::theme::{group_color, status_color};
use crate::report::csv::Table;
use crate::report::{Status, TestResult};
use eframe::egui::{self, RichText};
use egui_plot::{Line, Plot, PlotPoints, Points, VLine};

/// Draws the Significance view.
pub fn significance_ui(
    ui: &mut egui::Ui,
    v: &ViewCtx,
    calc: &mut Calculator,
    cmds: &mut Vec<Command>,
) {
    let r = v.report;
    ui.horizontal(|ui| {
        ui.heading("Tests (treatment - control)");
        super::csv_button(ui, Table::Tests, cmds);
    });
    super::inference::inference_line_ui(ui, r);
    tests_table_ui(ui, "tests_table", &r.tests, false);
    ui.add_space(12.0);
    super::inference::quantile_table_ui(ui, r, cmds);
    ui.add_space(12.0);
    super::inference::guardrails_table_ui(ui, r, cmds);
    ui.add_space(12.0);
    super::plot_title_ui(
        ui,
        egui::RichText::new("Relative lift with interval").heading(),
        "forest_plot",
        cmds,
    );
    // with stages: each stage's estimate above the combined one
    let mut rows: Vec<(String, &TestResult, usize)> = Vec::new();
    for t in &r.tests {
        let color = super::group_index(r, &t.treatment);
        if r.stages.len() > 1 {
            for s in &r.stages {
                if let Some(st) = s
                    .tests
                    .iter()
                    .find(|x| x.metric == t.metric && x.treatment == t.treatment)
                {
                    rows.push((format!("{} · stage {}", t.metric, s.index), st, color));
                }
            }
            rows.push((format!("{} · {} combined", t.metric, t.treatment), t, color));
        } else {
            rows.push((format!("{} · {}", t.metric, t.treatment), t, color));
        }
    }
    if r.stages.len() > 1 {
        ui.weak("Each stage's own estimate, then the inverse-variance combination the recommendation uses.");
    }
    ui.weak("Green: significantly better; red: significantly worse (lower is better for latency and errors); grey: not significant.");
    let rect = forest_plot_ui(ui, "forest", &rows);
    png_button(ui, "forest_plot", rect, cmds);
    ui.add_space(12.0);
    ui.heading("Sample-size calculator");
    plan_inputs_ui(ui, r, calc);
    calculator_ui(ui, calc, r.sequential_tuning);
}

/// The plan's sample size (the observed control baseline, the plan's MDE, alpha and
/// power) above the calculator, and a button to start the calculator from it when its
/// inputs differ.
fn plan_inputs_ui(ui: &mut egui::Ui, r: &crate::report::ExperimentReport, calc: &mut Calculator) {
    let Some(pw) = &r.power else { return };
    ui.label(format!(
        "The plan ({}): baseline {:.4} (observed in the control), MDE {:+.4}, alpha {}, power {}: {} {}s per group needed.",
        pw.metric,
        pw.baseline_rate,
        pw.mde_absolute,
        pw.alpha,
        pw.power,
        pw.required_per_group,
        pw.unit.as_str()
    ));
    let differs = (calc.baseline - pw.baseline_rate).abs() > 1e-9
        || (calc.mde - pw.mde_absolute.abs()).abs() > 1e-9
        || (calc.alpha - pw.alpha).abs() > 1e-12
        || (calc.power - pw.power).abs() > 1e-12;
    if differs {
        ui.horizontal(|ui| {
            ui.weak("The calculator below uses other inputs.");
            if ui.button("Use the plan's values").clicked() {
                calc.baseline = pw.baseline_rate.clamp(0.0001, 0.9999);
                calc.mde = pw.mde_absolute.abs().clamp(0.0001, 0.5);
                calc.alpha = pw.alpha;
                calc.power = pw.power;
            }
        });
    }
}

/// The tests table (shared with the Segments view; `adjusted` adds the corrected p column).
pub fn tests_table_ui(ui: &mut egui::Ui, id: &str, tests: &[TestResult], adjusted: bool) {
    egui::ScrollArea::horizontal().id_salt(id).show(ui, |ui| {
        egui::Grid::new(id)
            .striped(true)
            .num_columns(if adjusted { 15 } else { 14 })
            .show(ui, |ui| {
                let mut heads: Vec<(&str, &str)> = vec![
                    ("metric", ""),
                    ("method", tips::METHOD),
                    ("control", ""),
                    ("treatment", ""),
                    ("control value", ""),
                    ("treatment value", ""),
                    ("diff", tips::DIFF),
                    ("CI (1 - alpha)", tips::CI),
                    ("lift", tips::LIFT),
                    ("p", tips::P),
                ];
                if adjusted {
                    heads.push(("p adjusted", tips::P_ADJ));
                }
                heads.push(("significant", tips::SIG));
                heads.push(("fixed-horizon p", super::inference::inference_tips::FIXED_P));
                heads.push(("CUPED", super::inference::inference_tips::CUPED));
                heads.push(("role", tips::PRIMARY));
                for (h, tip) in heads {
                    let resp = ui.strong(h);
                    if !tip.is_empty() {
                        resp.on_hover_text(tip);
                    }
                }
                ui.end_row();
                for t in tests {
                    ui.label(&t.metric);
                    ui.label(t.method.as_str());
                    ui.label(&t.control);
                    ui.label(&t.treatment);
                    ui.label(fmt_num(t.control_value));
                    ui.label(fmt_num(t.treatment_value));
                    ui.label(super::fmt_diff(t.diff));
                    ui.label(format!(
                        "[{}, {}]",
                        t.ci_low.map_or("–".into(), crate::report::format::diff),
                        t.ci_high.map_or("–".into(), crate::report::format::diff)
                    ));
                    ui.label(fmt_pct(t.relative_lift));
                    ui.label(fmt_p(t.p_value));
                    if adjusted {
                        ui.label(fmt_p(t.p_value_adjusted));
                    }
                    ui.colored_label(verdict_color(t, 1), verdict_word(t));
                    ui.label(fmt_p(t.fixed.p_value)).on_hover_text(format!(
                        "fixed-horizon interval [{}, {}], significant: {}",
                        t.fixed.ci_low.map_or("–".into(), crate::report::format::diff),
                        t.fixed.ci_high.map_or("–".into(), crate::report::format::diff),
                        if t.fixed.significant { "yes" } else { "no" }
                    ));
                    match t.cuped {
                        Some(c) => {
                            ui.label(format!("-{:.0}% var", c.variance_reduction * 100.0))
                                .on_hover_text(format!(
                                    "θ = {:.4}, {} users with a pre-period; unadjusted diff {} [{}, {}], p {}",
                                    c.theta,
                                    c.users_with_covariate,
                                    crate::report::format::diff(c.unadjusted.diff),
                                    c.unadjusted.ci_low.map_or("–".into(), crate::report::format::diff),
                                    c.unadjusted.ci_high.map_or("–".into(), crate::report::format::diff),
                                    fmt_p(c.unadjusted.p_value)
                                ));
                        }
                        None => {
                            ui.weak("–");
                        }
                    }
                    if t.primary {
                        ui.label(RichText::new("primary").strong());
                    } else {
                        ui.label(RichText::new("exploratory").italics());
                    }
                    ui.end_row();
                }
            });
    });
}

/// A forest plot of relative lift and its interval, one row per (label, test, colour index).
/// Returns the plot rect.
pub fn forest_plot_ui(
    ui: &mut egui::Ui,
    id: &str,
    items: &[(String, &TestResult, usize)],
) -> egui::Rect {
    let rows: Vec<(String, f64, f64, f64, egui::Color32)> = items
        .iter()
        .filter_map(|(label, t, group)| {
            Some((
                label.clone(),
                t.relative_lift? * 100.0,
                t.relative_lift_ci_low? * 100.0,
                t.relative_lift_ci_high? * 100.0,
                verdict_color(t, *group),
            ))
        })
        .collect();
    let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let n = rows.len();
    let height = (40.0 + 28.0 * n as f32).clamp(120.0, 520.0);
    let resp = Plot::new(id)
        .height(height)
        .include_y(-0.7)
        .include_y(n as f64 - 0.3)
        .include_x(0.0)
        .x_axis_label("relative lift, % (treatment vs control)")
        .y_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                names[n - 1 - i as usize].clone()
            } else {
                String::new()
            }
        })
        .y_axis_min_width(160.0)
        .allow_scroll(false)
        .show(ui, |p| {
            p.vline(VLine::new("no effect", 0.0).color(ui_gray()).width(1.0));
            for (i, (name, lift, lo, hi, color)) in rows.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let color = *color;
                p.line(
                    Line::new(name.clone(), PlotPoints::from(vec![[*lo, y], [*hi, y]]))
                        .color(color)
                        .width(2.5),
                );
                p.points(
                    Points::new(name.clone(), PlotPoints::from(vec![[*lift, y]]))
                        .color(color)
                        .radius(5.0),
                );
            }
        });
    resp.response.rect
}

/// A result's colour: significantly better (green) or worse (red, lower-is-better metrics
/// flipped), the group's colour when significant without a direction, grey when not
/// significant — the same meaning as the tests table's "significant" column.
pub fn verdict_color(t: &TestResult, group: usize) -> egui::Color32 {
    match (t.significant, t.favorable) {
        (true, Some(true)) => status_color(Status::Pass),
        (true, Some(false)) => status_color(Status::Fail),
        (true, None) => group_color(group),
        (false, _) => ui_gray(),
    }
}

/// A result's significance in words, as [`verdict_color`] colours it: "yes, better",
/// "yes, worse", "yes" (no direction declared) or "no".
pub fn verdict_word(t: &TestResult) -> &'static str {
    t.significance_word()
}

fn ui_gray() -> egui::Color32 {
    egui::Color32::from_gray(140)
}

/// Baseline, MDE, alpha, power -> n per group.
pub fn calculator_ui(ui: &mut egui::Ui, calc: &mut Calculator, tuning: f64) {
    egui::Grid::new("calculator").num_columns(2).show(ui, |ui| {
        tip_label(
            ui,
            "Baseline rate",
            "The control group's conversion (or other 0/1) rate.",
        );
        ui.add(
            egui::DragValue::new(&mut calc.baseline)
                .range(0.0001..=0.9999)
                .speed(0.001)
                .max_decimals(4),
        );
        ui.end_row();
        tip_label(
            ui,
            "Minimum detectable effect (absolute)",
            "The smallest change in the rate worth detecting, e.g. 0.01 = one percentage point.",
        );
        ui.add(
            egui::DragValue::new(&mut calc.mde)
                .range(0.0001..=0.5)
                .speed(0.0005)
                .max_decimals(4),
        );
        ui.end_row();
        tip_label(
            ui,
            "Alpha",
            "Significance level: the false-positive rate you accept (two-sided).",
        );
        ui.add(
            egui::DragValue::new(&mut calc.alpha)
                .range(0.0001..=0.5)
                .speed(0.001)
                .max_decimals(4),
        );
        ui.end_row();
        tip_label(ui, "Power", "Chance of detecting the effect if it is real.");
        ui.add(
            egui::DragValue::new(&mut calc.power)
                .range(0.5..=0.9999)
                .speed(0.005)
                .max_decimals(3),
        );
        ui.end_row();
        let p2 = calc.baseline + calc.mde;
        tip_label(
            ui,
            RichText::new("Required per group").strong(),
            tips::SAMPLE,
        );
        if p2 < 1.0 {
            let n = required_n_per_group(calc.baseline, p2, calc.alpha, calc.power).ceil();
            ui.label(
                RichText::new(format!(
                    "{} (total {})",
                    crate::app::jobs::thousands(n as u64),
                    crate::app::jobs::thousands(2 * n as u64)
                ))
                .strong(),
            );
        } else {
            ui.label("baseline + MDE must stay below 1");
        }
        ui.end_row();
        if p2 < 1.0 {
            tip_label(
                ui,
                "Always-valid test needs",
                "Units per group for the always-valid (sequential) test, which may be looked at any time: more than a single fixed-horizon look.",
            );
            let pbar = calc.baseline + calc.mde / 2.0;
            let n = sequential_n_per_group(
                pbar * (1.0 - pbar),
                calc.mde,
                calc.alpha,
                calc.power,
                tuning,
            )
            .ceil();
            ui.label(format!(
                "{} per group (N* = {tuning})",
                crate::app::jobs::thousands(n as u64)
            ));
            ui.end_row();
        }
    });
}
