//! The views. Each reads the report (never computes statistics) and emits commands.

pub mod checks;
pub mod clickhouse;
pub mod data;
pub mod drift;
pub mod inference;
pub mod models;
pub mod overview;
pub mod plan;
pub mod plot_parts;
pub mod segments;
pub mod shadow;
pub mod significance;
pub mod stages;
pub mod timeline;
pub mod timeline_plot;

use super::command::Command;
use crate::analysis::AnalysisConfig;
use crate::ingest::{Dataset, LoadOptions};
use crate::report::csv::Table;
use crate::report::ExperimentReport;
use eframe::egui;

/// What a view may read.
pub struct ViewCtx<'a> {
    /// The engine's report.
    pub report: &'a ExperimentReport,
    /// The dataset (for column listings).
    pub dataset: &'a Dataset,
    /// Settings the report was made with.
    pub config: &'a AnalysisConfig,
    /// Role overrides in force.
    pub load: &'a LoadOptions,
}

/// One-sentence explanations shown as tooltips on statistics.
pub mod tips {
    /// p-value.
    pub const P: &str = "Probability of a difference at least this large if the models were truly equal (two-sided).";
    /// Adjusted p.
    pub const P_ADJ: &str =
        "p-value corrected for testing many segment values at once (Holm or Benjamini–Hochberg).";
    /// Difference.
    pub const DIFF: &str = "Treatment minus control.";
    /// Lift.
    pub const LIFT: &str =
        "Difference relative to the control value: (treatment - control) / control.";
    /// CI.
    pub const CI: &str =
        "Range that covers the true difference in 1 - alpha of repeated experiments.";
    /// Significance.
    pub const SIG: &str = "Whether p (adjusted p for segments) is below the plan's alpha.";
    /// Primary.
    pub const PRIMARY: &str =
        "Primary metrics are declared in the plan before looking; all others are exploratory.";
    /// SRM.
    pub const SRM: &str =
        "Sample-ratio mismatch: a chi-square test of the group counts against the planned split.";
    /// Leakage.
    pub const LEAKAGE: &str = "Users seen in more than one group, which blurs the comparison.";
    /// Sample size.
    pub const SAMPLE: &str = "Observations per group needed to detect the planned minimum effect with the planned power.";
    /// p99.
    pub const P99: &str = "99th percentile latency: 1 request in 100 is slower than this.";
    /// Error rate.
    pub const ERROR_RATE: &str = "Share of requests that ended in an error event.";
    /// QPS.
    pub const QPS: &str = "Requests per second, averaged over each time bucket.";
    /// AUC.
    pub const AUC: &str =
        "Area under the ROC curve of score against label: 0.5 is chance, 1 is perfect ranking.";
    /// Fallbacks.
    pub const FALLBACKS: &str =
        "Treatment requests served by a model other than the treatment's own model.";
    /// Method.
    pub const METHOD: &str =
        "two_proportion_z for 0/1 metrics (pooled z-test), welch_t for means (unequal variances).";
}

/// A label with a tooltip.
pub fn tip_label(
    ui: &mut egui::Ui,
    text: impl Into<egui::WidgetText>,
    tip: &str,
) -> egui::Response {
    ui.label(text).on_hover_text(tip)
}

/// Formats a p-value.
pub fn fmt_p(p: Option<f64>) -> String {
    crate::report::format::p(p)
}

/// Formats a difference (treatment − control): signed, four significant digits.
pub fn fmt_diff(x: f64) -> String {
    crate::report::format::diff(x)
}

/// Formats a number with a sensible number of digits.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 1000.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

/// Formats a fraction as a signed percentage.
pub fn fmt_pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:+.2}%", v * 100.0))
        .unwrap_or_else(|| "–".into())
}

/// Small "CSV" and "Copy" buttons: save the table as CSV, or copy it as tab-separated text
/// that pastes into a spreadsheet.
pub fn csv_button(ui: &mut egui::Ui, kind: Table, cmds: &mut Vec<Command>) {
    if ui
        .small_button("CSV")
        .on_hover_text("Save this table as CSV")
        .clicked()
    {
        cmds.push(Command::ExportCsv(kind));
    }
    if ui
        .small_button("Copy")
        .on_hover_text("Copy this table as tab-separated text (pastes into a spreadsheet)")
        .clicked()
    {
        cmds.push(Command::CopyTable(kind));
    }
}

fn plot_rect_id(name: &str) -> egui::Id {
    egui::Id::unique(("plot_png_rect", name))
}

/// A plot's title with its "PNG" button beside it; the button saves the plot drawn under
/// `name` (its rectangle, remembered by [`png_button`] when it was drawn). Returns the
/// title's response (for a tooltip).
pub fn plot_title_ui(
    ui: &mut egui::Ui,
    title: impl Into<egui::WidgetText>,
    name: &str,
    cmds: &mut Vec<Command>,
) -> egui::Response {
    ui.horizontal(|ui| {
        let title = ui.label(title);
        let rect = ui
            .ctx()
            .data(|d| d.get_temp::<egui::Rect>(plot_rect_id(name)));
        if let Some(rect) = rect {
            if ui
                .small_button("PNG")
                .on_hover_text("Save this plot as PNG")
                .clicked()
            {
                cmds.push(Command::ExportPlotPng(name.to_string(), rect));
            }
        }
        title
    })
    .inner
}

/// Remembers where the plot `name` was drawn, for the PNG button beside its title.
pub fn png_button(ui: &mut egui::Ui, name: &str, rect: egui::Rect, _cmds: &mut Vec<Command>) {
    ui.ctx()
        .data_mut(|d| d.insert_temp(plot_rect_id(name), rect));
}

/// Index of a group in the report's order (control first): its colour index.
pub fn group_index(report: &ExperimentReport, name: &str) -> usize {
    report
        .groups
        .iter()
        .position(|g| g.name == name)
        .unwrap_or(0)
}
