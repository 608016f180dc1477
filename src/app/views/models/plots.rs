//! The comparison's plots: champion-vs-challenger scores, the |Δp| histogram, the flip
//! matrix and the reliability curves.

use super::super::png_button;
use super::tips;
use crate::app::command::Command;
use crate::app::theme::{group_color, status_color};
use crate::report::compare::CompareReport;
use crate::report::Status;
use eframe::egui::{self, Color32};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints, Points};

pub(super) fn scatter_ui(
    ui: &mut egui::Ui,
    a: &[f64],
    b: &[f64],
    labels: Option<&[f64]>,
    cmds: &mut Vec<Command>,
) {
    super::super::plot_title_ui(
        ui,
        egui::RichText::new("Champion vs challenger prediction per row").strong(),
        "scores",
        cmds,
    );
    // draw at most 20,000 points (evenly spaced rows)
    let step = (a.len() / 20_000).max(1);
    let (mut pos, mut neg) = (vec![], vec![]);
    for i in (0..a.len()).step_by(step) {
        let p = [a[i], b[i]];
        match labels.map(|l| l[i]) {
            Some(1.0) => pos.push(p),
            _ => neg.push(p),
        }
    }
    let (lo, hi) = a
        .iter()
        .chain(b)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    let resp = Plot::new("models_scatter")
        .height(260.0)
        .data_aspect(1.0)
        .legend(Legend::default())
        .x_axis_label("champion prediction")
        .y_axis_label("challenger prediction")
        .allow_scroll(false)
        .show(ui, |p| {
            p.line(
                Line::new(
                    "same prediction",
                    PlotPoints::from(vec![[lo, lo], [hi, hi]]),
                )
                .color(Color32::from_gray(140)),
            );
            p.points(
                Points::new(
                    if labels.is_some() { "label 0" } else { "rows" },
                    PlotPoints::from(neg),
                )
                .color(group_color(0))
                .radius(1.5),
            );
            if !pos.is_empty() {
                p.points(
                    Points::new("label 1", PlotPoints::from(pos))
                        .color(group_color(1))
                        .radius(1.5),
                );
            }
        });
    png_button(ui, "scores", resp.response.rect, cmds);
}

pub(super) fn delta_histogram_ui(ui: &mut egui::Ui, r: &CompareReport, cmds: &mut Vec<Command>) {
    let d = &r.diff;
    super::super::plot_title_ui(
        ui,
        egui::RichText::new(format!(
            "|challenger - champion|: mean {:.4}, max {:.4}",
            d.mean_abs_delta, d.max_abs_delta
        ))
        .strong(),
        "models_delta_hist_abs_diff_histogram",
        cmds,
    );
    let bins: Vec<(f64, f64, u64)> = d
        .histogram_counts
        .iter()
        .enumerate()
        .map(|(i, c)| (d.histogram_edges[i], d.histogram_edges[i + 1], *c))
        .collect();
    abs_diff_histogram_ui(
        ui,
        "models_delta_hist",
        &bins,
        "|difference in prediction|",
        "rows",
        cmds,
    );
}

/// The |challenger − champion| histogram of the Models and Shadow views: (low, high, count)
/// bins.
pub(crate) fn abs_diff_histogram_ui(
    ui: &mut egui::Ui,
    id: &str,
    bins: &[(f64, f64, u64)],
    x_label: &str,
    unit: &str,
    cmds: &mut Vec<Command>,
) {
    let bars: Vec<Bar> = bins
        .iter()
        .map(|&(lo, hi, c)| {
            Bar::new((lo + hi) / 2.0, c as f64)
                .width(hi - lo)
                .name(format!("[{lo:.3}, {hi:.3})"))
        })
        .collect();
    let resp = Plot::new(id)
        .height(260.0)
        .x_axis_label(x_label)
        .y_axis_label(unit)
        .allow_scroll(false)
        .show(ui, |p| {
            p.bar_chart(BarChart::new(unit.to_string(), bars).color(group_color(2)))
        });
    png_button(
        ui,
        &format!("{id}_abs_diff_histogram"),
        resp.response.rect,
        cmds,
    );
}

/// The champion-vs-challenger scatter of the Models and Shadow views.
pub(crate) fn paired_scatter_ui(
    ui: &mut egui::Ui,
    a: &[f64],
    b: &[f64],
    labels: Option<&[f64]>,
    cmds: &mut Vec<Command>,
) {
    scatter_ui(ui, a, b, labels, cmds)
}

pub(super) fn flips_ui(ui: &mut egui::Ui, r: &CompareReport) {
    let f = &r.diff.flips;
    ui.strong("Flip matrix (predicted class)")
        .on_hover_text(tips::DIFF_RATE);
    egui::Grid::new("models_flips")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            ui.label("");
            ui.strong("challenger negative");
            ui.strong("challenger positive");
            ui.end_row();
            ui.strong("champion negative");
            ui.label(f.neg_to_neg.to_string());
            ui.colored_label(
                status_color(Status::Warn),
                format!("{} (neg -> pos)", f.neg_to_pos),
            );
            ui.end_row();
            ui.strong("champion positive");
            ui.colored_label(
                status_color(Status::Warn),
                format!("{} (pos -> neg)", f.pos_to_neg),
            );
            ui.label(f.pos_to_pos.to_string());
            ui.end_row();
        });
    ui.label(format!(
        "|difference| quantiles: {}",
        r.diff
            .quantiles
            .iter()
            .map(|(k, v)| format!("{k} {v:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
}

pub(super) fn calibration_ui(ui: &mut egui::Ui, r: &CompareReport, cmds: &mut Vec<Command>) {
    if r.champion.metrics.calibration_pred.is_empty()
        && r.challenger.metrics.calibration_pred.is_empty()
    {
        return;
    }
    super::super::plot_title_ui(
        ui,
        egui::RichText::new("Reliability (calibration)").strong(),
        "calibration",
        cmds,
    )
    .on_hover_text(tips::CALIBRATION);
    let resp = Plot::new("models_calibration")
        .height(220.0)
        .data_aspect(1.0)
        .legend(Legend::default())
        .x_axis_label("mean predicted probability")
        .y_axis_label("observed positive rate")
        .include_x(0.0)
        .include_x(1.0)
        .include_y(0.0)
        .include_y(1.0)
        .allow_scroll(false)
        .show(ui, |p| {
            p.line(
                Line::new("perfect", PlotPoints::from(vec![[0.0, 0.0], [1.0, 1.0]]))
                    .color(Color32::from_gray(140)),
            );
            for (i, (name, m)) in [
                ("champion", &r.champion.metrics),
                ("challenger", &r.challenger.metrics),
            ]
            .iter()
            .enumerate()
            {
                let pts: Vec<[f64; 2]> = m
                    .calibration_pred
                    .iter()
                    .zip(&m.calibration_true)
                    .map(|(x, y)| [*x, *y])
                    .collect();
                p.line(
                    Line::new(*name, PlotPoints::from(pts.clone()))
                        .color(group_color(i))
                        .width(2.0),
                );
                p.points(
                    Points::new(*name, PlotPoints::from(pts))
                        .color(group_color(i))
                        .radius(3.0),
                );
            }
        });
    png_button(ui, "calibration", resp.response.rect, cmds);
}
