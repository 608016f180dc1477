//! Segments: pick a segment column and a metric; per-value lift with interval, raw and
//! corrected p, sorted and colour-coded.

use super::{fmt_p, fmt_pct, png_button, tips, ViewCtx};
use crate::app::command::Command;
use crate::app::state::State;
use crate::app::theme::status_color;
use crate::report::csv::Table;
use crate::report::{Status, TestResult};
use eframe::egui;

/// Draws the Segments view.
pub fn segments_ui(ui: &mut egui::Ui, v: &ViewCtx, state: &mut State, cmds: &mut Vec<Command>) {
    let r = v.report;
    let columns: Vec<String> = {
        let mut c: Vec<String> = Vec::new();
        for s in &r.segments {
            if !c.contains(&s.column) {
                c.push(s.column.clone());
            }
        }
        c
    };
    if columns.is_empty() {
        ui.label("No segment columns (low-cardinality string columns such as device or country). Name them in the plan's `segments`.");
        return;
    }
    let column = state
        .segment_column
        .clone()
        .filter(|c| columns.contains(c))
        .unwrap_or_else(|| columns[0].clone());
    let metrics: Vec<String> = {
        let mut m: Vec<String> = Vec::new();
        for t in r
            .segments
            .iter()
            .filter(|s| s.column == column)
            .flat_map(|s| &s.tests)
        {
            if !m.contains(&t.metric) {
                m.push(t.metric.clone());
            }
        }
        m
    };
    let default_metric = r
        .primary_metric
        .clone()
        .filter(|p| metrics.contains(p))
        .or_else(|| metrics.first().cloned())
        .unwrap_or_default();
    let metric = state
        .segment_metric
        .clone()
        .filter(|m| metrics.contains(m))
        .unwrap_or(default_metric);
    ui.horizontal(|ui| {
        ui.label("Segment column:");
        egui::ComboBox::from_id_salt("segment_column")
            .selected_text(&column)
            .show_ui(ui, |ui| {
                for c in &columns {
                    if ui.selectable_label(*c == column, c).clicked() {
                        state.segment_column = Some(c.clone());
                    }
                }
            });
        ui.label("Metric:");
        egui::ComboBox::from_id_salt("segment_metric")
            .selected_text(&metric)
            .show_ui(ui, |ui| {
                for m in &metrics {
                    if ui.selectable_label(*m == metric, m).clicked() {
                        state.segment_metric = Some(m.clone());
                    }
                }
            });
        super::csv_button(ui, Table::Segments, cmds);
        ui.weak(format!(
            "{} correction across the values of {column}",
            if r.correction == crate::plan::Correction::Bh {
                "Benjamini–Hochberg"
            } else {
                "Holm"
            }
        ))
        .on_hover_text(tips::P_ADJ);
    });
    let mut rows: Vec<(String, u64, &TestResult)> = r
        .segments
        .iter()
        .filter(|s| s.column == column)
        .flat_map(|s| {
            s.tests
                .iter()
                .filter(|t| t.metric == metric)
                .map(move |t| (s.value.clone(), s.requests, t))
        })
        .collect();
    rows.sort_by(|a, b| {
        b.2.relative_lift
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.2.relative_lift.unwrap_or(f64::NEG_INFINITY))
    });
    egui::Grid::new("segment_table")
        .striped(true)
        .num_columns(8)
        .show(ui, |ui| {
            for (h, tip) in [
                ("value", ""),
                ("treatment", ""),
                ("requests", ""),
                ("lift", tips::LIFT),
                ("interval", tips::CI),
                ("p", tips::P),
                ("p adjusted", tips::P_ADJ),
                ("significant", tips::SIG),
            ] {
                let resp = ui.strong(h);
                if !tip.is_empty() {
                    resp.on_hover_text(tip);
                }
            }
            ui.end_row();
            for (value, requests, t) in &rows {
                let color = match (t.significant, t.favorable) {
                    (true, Some(true)) => status_color(Status::Pass),
                    (true, _) => status_color(Status::Fail),
                    _ => ui.visuals().text_color(),
                };
                ui.colored_label(color, value);
                ui.label(&t.treatment);
                ui.label(crate::app::jobs::thousands(*requests));
                ui.colored_label(color, fmt_pct(t.relative_lift));
                ui.label(format!(
                    "[{}, {}]",
                    fmt_pct(t.relative_lift_ci_low),
                    fmt_pct(t.relative_lift_ci_high)
                ));
                ui.label(fmt_p(t.p_value));
                ui.label(fmt_p(t.p_value_adjusted));
                ui.colored_label(color, if t.significant { "yes" } else { "no" });
                ui.end_row();
            }
        });
    ui.add_space(8.0);
    let tests: Vec<TestResult> = rows
        .iter()
        .map(|(v, _, t)| TestResult {
            metric: v.clone(),
            ..(*t).clone()
        })
        .collect();
    let items: Vec<(String, &TestResult, usize)> = tests
        .iter()
        .map(|t| {
            (
                format!("{} · {}", t.metric, t.treatment),
                t,
                super::group_index(r, &t.treatment),
            )
        })
        .collect();
    let rect = super::significance::forest_plot_ui(ui, "segment_forest", &items);
    png_button(ui, &format!("segments_{column}_{metric}"), rect, cmds);
}
