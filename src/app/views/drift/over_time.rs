//! PSI over time of the top features, with the drift and alert thresholds.

use super::super::png_button;
use crate::app::command::Command;
use crate::app::theme::group_color;
use crate::report::drift::DriftReport;
use eframe::egui::{self};
use egui_plot::{HLine, Legend, Line, Plot, PlotPoints};

pub(super) fn psi_over_time_ui(ui: &mut egui::Ui, r: &DriftReport, cmds: &mut Vec<Command>) {
    let pot = &r.psi_over_time;
    if pot.starts.is_empty() || pot.features.is_empty() {
        return;
    }
    super::super::plot_title_ui(
        ui,
        egui::RichText::new(format!(
            "PSI over time against the reference (a snapshot every {}, {} snapshots), top features",
            pot.bucket,
            pot.starts.len()
        ))
        .strong(),
        "psi_over_time",
        cmds,
    )
    .on_hover_text(
        "The scale is picked from the data's span (about 25-60 snapshots); the plan's [drift] every or --every chooses it.",
    );
    let starts = pot.starts.clone();
    // the tick shows what the scale needs: the date for days and weeks, the time of day
    // (with seconds below a minute) for shorter snapshots
    let (from, to) = if pot.bucket.ends_with('d') {
        (0, 10)
    } else if pot.bucket.ends_with('s') {
        (11, 19)
    } else {
        (11, 16)
    };
    let starts_shown = pot.starts.clone();
    let resp = Plot::new("drift_psi_over_time")
        .height(220.0)
        .legend(Legend::default())
        // the read-out below lists every feature at the hovered snapshot
        .label_formatter(|_| None)
        .y_axis_label("PSI")
        .x_axis_label("snapshot start (UTC)")
        .include_y(0.0)
        .allow_scroll(false)
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < starts.len() {
                starts[i as usize]
                    .chars()
                    .skip(from)
                    .take(to - from)
                    .collect()
            } else {
                String::new()
            }
        })
        .show(ui, |p| {
            p.hline(
                HLine::new("drift threshold (dashed)", r.thresholds.psi_drift)
                    .color(egui::Color32::from_gray(150))
                    .style(egui_plot::LineStyle::dashed_loose())
                    .width(1.0),
            );
            p.hline(
                HLine::new("alert threshold (solid)", r.thresholds.psi_alert)
                    .color(egui::Color32::from_gray(150))
                    .width(1.5),
            );
            for (i, s) in pot.features.iter().enumerate() {
                let pts: Vec<[f64; 2]> = s
                    .psi
                    .iter()
                    .enumerate()
                    .filter_map(|(k, v)| v.map(|v| [k as f64, v]))
                    .collect();
                p.line(
                    Line::new(s.name.clone(), PlotPoints::from(pts))
                        .color(group_color(i))
                        .width(2.0),
                );
            }
        });
    if let Some(pos) = resp.response.hover_pos() {
        let i = resp.transform.value_from_position(pos).x.round();
        if i >= 0.0 && (i as usize) < starts_shown.len() {
            let i = i as usize;
            resp.response.clone().on_hover_ui_at_pointer(|ui| {
                ui.strong(format!(
                    "snapshot from {} UTC",
                    crate::report::format::iso_to_second(&starts_shown[i])
                ));
                egui::Grid::new("psi_readout")
                    .num_columns(2)
                    .show(ui, |ui| {
                        for (k, s) in pot.features.iter().enumerate() {
                            ui.colored_label(group_color(k), &s.name);
                            ui.label(
                                s.psi
                                    .get(i)
                                    .copied()
                                    .flatten()
                                    .map_or("no values".into(), |v| format!("PSI {v:.4}")),
                            );
                            ui.end_row();
                        }
                    });
            });
        }
    }
    png_button(ui, "psi_over_time", resp.response.rect, cmds);
}
