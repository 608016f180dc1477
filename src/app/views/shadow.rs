//! Shadow: a shadow run's two models compared request by request — the headline numbers,
//! the |Δscore| histogram, agreement over time, and the report's tables (the same cells the
//! Markdown and HTML reports write).

use super::models::plots;
use super::tip_label;
use crate::app::command::Command;
use crate::app::theme::group_color;
use crate::report::shadow::ShadowReport;
use crate::report::shadow_markdown::tables;
use crate::report::tables::Table;
use eframe::egui::{self, RichText};
use egui_plot::{Line, Plot, PlotPoints};

/// One-sentence explanations of the shadow numbers.
mod tips {
    pub const AGREEMENT: &str =
        "Share of paired requests where both models made the same decision.";
    pub const SCORE: &str = "Mean |challenger score − champion score| over requests both scored.";
    pub const LATENCY: &str = "Mean per-request latency difference, challenger − champion, with its paired t-test p-value.";
    pub const ERRORS: &str = "McNemar: errors of one model on requests the other answered (b: champion only, c: challenger only).";
    pub const UNPAIRED: &str = "Requests where only one model's record (or output) was logged.";
}

/// Draws the Shadow view.
pub fn shadow_ui(ui: &mut egui::Ui, report: Option<&ShadowReport>, cmds: &mut Vec<Command>) {
    let Some(r) = report else {
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() / 3.0);
            ui.heading("Shadow runs");
            ui.label("Open or drop a shadow log: two records per request id (a mode/shadow field or two model names),");
            ui.label("or one record with the challenger's fields (shadow.score, shadow_score, ...). It opens here.");
        });
        return;
    };
    ui.horizontal(|ui| {
        ui.heading(format!("Shadow run: {}", r.files.join(", ")));
        if ui
            .button("Join labels...")
            .on_hover_text("Outcomes by request id (a CSV with request_id and label): accuracy, AUC, McNemar and DeLong for both models on the same requests.")
            .clicked()
        {
            cmds.push(Command::ShadowLabelsDialog);
        }
    });
    egui::Grid::new("shadow_headline")
        .num_columns(2)
        .show(ui, |ui| {
            tip_label(
                ui,
                "Paired requests",
                "Request ids where both models answered or errored.",
            );
            ui.label(RichText::new(r.pairs.to_string()).strong());
            ui.end_row();
            tip_label(ui, "Unpaired", tips::UNPAIRED);
            ui.label(format!(
                "{} champion only, {} challenger only",
                r.unpaired.champion_only, r.unpaired.challenger_only
            ));
            ui.end_row();
            tip_label(ui, "Agreement", tips::AGREEMENT);
            ui.label(
                RichText::new(r.agreement_rate.map_or("–".into(), |a| {
                    format!("{:.2}% ({} decided pairs)", a * 100.0, r.decided_pairs)
                }))
                .strong(),
            );
            ui.end_row();
            if let Some(s) = &r.score_diff {
                tip_label(ui, "|Δscore|", tips::SCORE);
                ui.label(format!(
                    "mean {:.4}, p95 {:.4}, max {:.4}; correlation {}",
                    s.mean_abs,
                    s.p95_abs,
                    s.max_abs,
                    s.correlation.map_or("–".into(), |c| format!("{c:.4}"))
                ));
                ui.end_row();
            }
            if let Some(l) = &r.latency_diff_ms {
                tip_label(ui, "Latency Δ (ms)", tips::LATENCY);
                ui.label(format!(
                    "{:+.3} [{}, {}], p {}",
                    l.mean,
                    l.ci_low.map_or("–".into(), |x| format!("{x:+.3}")),
                    l.ci_high.map_or("–".into(), |x| format!("{x:+.3}")),
                    super::fmt_p(l.p_value)
                ));
                ui.end_row();
            }
            tip_label(ui, "Errors (McNemar)", tips::ERRORS);
            ui.label(format!(
                "b = {}, c = {}, p {}",
                r.error_mcnemar.b,
                r.error_mcnemar.c,
                super::fmt_p(r.error_mcnemar.p_value)
            ));
            ui.end_row();
        });
    ui.add_space(8.0);
    // the Models view's plots, on the shadow run's pairs
    ui.columns(2, |cols| {
        if !r.scatter_sample.is_empty() {
            let (a, b): (Vec<f64>, Vec<f64>) = r.scatter_sample.iter().copied().unzip();
            plots::paired_scatter_ui(&mut cols[0], &a, &b, None, cmds);
        }
        if let Some(s) = &r.score_diff {
            super::plot_title_ui(
                &mut cols[1],
                egui::RichText::new(format!(
                    "|challenger - champion| score: mean {:.4}, max {:.4}",
                    s.mean_abs, s.max_abs
                ))
                .strong(),
                "shadow_hist_abs_diff_histogram",
                cmds,
            );
            let bins: Vec<(f64, f64, u64)> = s
                .histogram
                .iter()
                .map(|b| (b.low, b.high, b.count))
                .collect();
            plots::abs_diff_histogram_ui(
                &mut cols[1],
                "shadow_hist",
                &bins,
                "|challenger - champion| score",
                "requests",
                cmds,
            );
        }
    });
    ui.strong(format!(
        "Agreement over time ({} buckets)",
        r.over_time.bucket
    ));
    let points: Vec<[f64; 2]> = r
        .over_time
        .rows
        .iter()
        .filter_map(|t| {
            let us = crate::ingest::time::parse_timestamp_us(&t.start)?;
            Some([us as f64 / 1e6, t.agreement_rate * 100.0])
        })
        .collect();
    Plot::new("shadow_time")
        .height(160.0)
        .include_y(100.0)
        .y_axis_label("% agreement")
        .x_axis_formatter(|mark, _| {
            let s = crate::ingest::time::format_timestamp_us((mark.value * 1e6) as i64);
            s.get(5..16).unwrap_or(&s).replace('T', " ")
        })
        .allow_scroll(false)
        .show(ui, |p| {
            p.line(Line::new("agreement", PlotPoints::from(points)).color(group_color(0)))
        });
    ui.add_space(8.0);
    for t in tables(r) {
        table_ui(ui, &t);
        ui.add_space(8.0);
    }
}

/// A report table as a striped grid, with its note.
fn table_ui(ui: &mut egui::Ui, t: &Table) {
    ui.strong(&t.title);
    ui.weak(&t.note);
    egui::ScrollArea::horizontal()
        .id_salt(format!("shadow_{}", t.title))
        .show(ui, |ui| {
            egui::Grid::new(format!("shadow_grid_{}", t.title))
                .striped(true)
                .num_columns(t.header.len())
                .show(ui, |ui| {
                    for h in &t.header {
                        ui.strong(*h);
                    }
                    ui.end_row();
                    for row in &t.rows {
                        for c in row {
                            ui.label(c);
                        }
                        ui.end_row();
                    }
                });
        });
}
