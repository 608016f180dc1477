//! Segments: pick a segment column and a metric; per-value lift with interval, raw and
//! corrected p, sorted and colour-coded.

use super::{fmt_p, fmt_pct, png_button, tips, ViewCtx};
use crate::app::command::Command;
use crate::app::state::State;
use crate::report::csv::Table;
use crate::report::TestResult;
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
    let proportion = r
        .metrics
        .iter()
        .any(|m| m.name == metric && m.kind == crate::ingest::MetricKind::Proportion);
    let value_of = |x: f64| {
        if proportion {
            crate::report::format::rate(x)
        } else {
            super::fmt_num(x)
        }
    };
    let level = (1.0 - r.alpha) * 100.0;
    // the metric and what the intervals are, said where the numbers are
    ui.label(
        egui::RichText::new(format!(
            "{metric} by {column}: treatment − control within each value"
        ))
        .strong(),
    );
    ui.weak(format!(
        "Intervals are each value's own {level:.0}% interval (not adjusted for the {} values); \"significant\" reads the adjusted p.",
        rows.len()
    ));
    egui::Grid::new("segment_table")
        .striped(true)
        .num_columns(11)
        .show(ui, |ui| {
            for (h, tip) in [
                ("value", ""),
                ("treatment", ""),
                ("requests", ""),
                ("control n", "Units (users, or requests with the request as the unit) of the control in this value."),
                ("treatment n", "Units of the treatment in this value."),
                ("control value", "The control's value of the metric in this segment value."),
                ("treatment value", "The treatment's value of the metric in this segment value."),
                ("lift", tips::LIFT),
                ("interval (unadjusted)", tips::CI),
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
                let color = super::significance::verdict_color(t, 1);
                ui.colored_label(color, short_value(value))
                    .on_hover_text(value.as_str());
                ui.label(&t.treatment);
                ui.label(crate::report::format::count(*requests));
                ui.label(crate::report::format::count(t.units_control.unwrap_or(t.control_n)));
                ui.label(crate::report::format::count(
                    t.units_treatment.unwrap_or(t.treatment_n),
                ));
                ui.label(value_of(t.control_value));
                ui.label(value_of(t.treatment_value));
                ui.colored_label(color, fmt_pct(t.relative_lift));
                ui.label(format!(
                    "[{}, {}]",
                    fmt_pct(t.relative_lift_ci_low),
                    fmt_pct(t.relative_lift_ci_high)
                ));
                ui.label(fmt_p(t.p_value));
                ui.label(fmt_p(t.p_value_adjusted));
                ui.colored_label(color, super::significance::verdict_word(t));
                ui.end_row();
            }
        });
    ui.add_space(8.0);
    let tests: Vec<TestResult> = rows
        .iter()
        .map(|(v, _, t)| TestResult {
            metric: short_value(v),
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
    let png_name = format!("segments_{column}_{metric}");
    super::plot_title_ui(
        ui,
        egui::RichText::new(format!("Lift of {metric} by {column}")).strong(),
        &png_name,
        cmds,
    );
    let rect = super::significance::forest_plot_ui(ui, "segment_forest", &items);
    png_button(ui, &png_name, rect, cmds);
}

/// A segment value as a table cell: its first line, at most 40 characters (the full text
/// on hover).
pub fn short_value(v: &str) -> String {
    crate::report::format::short_text(v, 40)
}
