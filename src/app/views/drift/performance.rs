//! Performance over time: CBPE's estimate with its band (± 3 sampling errors) beside the
//! realized value where the period has labels, one metric at a time, per model.

use super::super::png_button;
use crate::analysis::cbpe::CbpeMetric;
use crate::app::command::{Command, DriftCommand};
use crate::app::theme::group_color;
use crate::report::drift::{DriftReport, PerformancePoint};
use eframe::egui::{self, Color32};
use egui_plot::{HLine, Legend, Line, LineStyle, Plot, PlotPoints, Points, Polygon};

/// The metric picker and the plot; a line naming why when nothing could be estimated.
pub(super) fn performance_ui(
    ui: &mut egui::Ui,
    r: &DriftReport,
    metric: CbpeMetric,
    cmds: &mut Vec<Command>,
) {
    if r.performance.is_empty() {
        for f in r.performance_fits.iter().filter(|f| f.note.is_some()) {
            ui.weak(format!(
                "Performance not estimated for {}: {}",
                f.series,
                f.note.as_deref().unwrap_or_default()
            ));
        }
        return;
    }
    super::super::plot_title_ui(
        ui,
        egui::RichText::new("Performance over time: estimated before labels arrive, and realized")
            .strong(),
        "performance",
        cmds,
    )
        .on_hover_text(
            "Confidence-based performance estimation (CBPE, as NannyML 0.13): the scores are calibrated on the reference's labelled rows (isotonic regression when it lowers the calibration error), then each period's expected confusion matrix and ROC curve give the estimate. The band is ± 3 sampling errors; the realized value needs the period's labels.",
        );
    for f in &r.performance_fits {
        let text = match &f.note {
            Some(n) => format!("{}: not estimated, {n}", f.series),
            None => format!(
                "{}: fitted on {} labelled reference rows, calibration {}",
                f.series,
                f.reference_rows,
                if f.calibration == "isotonic" {
                    "isotonic"
                } else {
                    "none (raw scores)"
                }
            ),
        };
        ui.weak(text);
    }
    ui.horizontal(|ui| {
        ui.label("Metric:");
        for m in CbpeMetric::ALL {
            if ui.selectable_label(m == metric, m.title()).clicked() && m != metric {
                cmds.push(Command::Drift(DriftCommand::PerformanceMetric(m)));
            }
        }
    });
    let points: Vec<&PerformancePoint> = r
        .performance
        .iter()
        .filter(|p| p.metric == metric.as_str())
        .collect();
    let mut starts: Vec<&str> = points.iter().map(|p| p.start.as_str()).collect();
    starts.sort_unstable();
    starts.dedup();
    let mut series: Vec<&str> = points.iter().map(|p| p.series.as_str()).collect();
    series.dedup();
    series.sort_unstable();
    series.dedup();
    let x_of = |start: &str| starts.iter().position(|s| *s == start).unwrap_or(0) as f64;
    let labels: Vec<String> = starts.iter().map(|s| s.to_string()).collect();
    let daily = r.granularity_s.is_multiple_of(86_400);
    let split_x = r
        .split
        .split_at
        .as_deref()
        .filter(|_| r.split.mode != crate::report::drift::SplitMode::Files)
        .map(|at| starts.iter().filter(|s| **s < at).count() as f64 - 0.5);
    let starts_shown: Vec<String> = starts.iter().map(|s| s.to_string()).collect();
    let resp = Plot::new("drift_performance")
        .height(220.0)
        .legend(Legend::default().position(egui_plot::Corner::LeftBottom))
        // the read-out below lists every series at the hovered period
        .label_formatter(|_| None)
        .y_axis_label(metric.title())
        .x_axis_label("period start (UTC)")
        .include_y(0.0)
        .include_y(1.0)
        .allow_scroll(false)
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                let s = &labels[i as usize];
                let (from, to) = if daily { (0, 10) } else { (5, 16) };
                s.chars()
                    .skip(from)
                    .take(to - from)
                    .collect::<String>()
                    .replace('T', " ")
            } else {
                String::new()
            }
        })
        .show(ui, |p| {
            if let Some(x) = split_x {
                p.vline(
                    egui_plot::VLine::new("split: reference | current", x)
                        .color(Color32::from_gray(140))
                        .style(LineStyle::dashed_loose())
                        .width(1.0),
                );
            }
            for (i, s) in series.iter().enumerate() {
                let color = group_color(i);
                let mine: Vec<&&PerformancePoint> =
                    points.iter().filter(|p| p.series == *s).collect();
                let band_name = format!("{s} band (± 3 sampling errors)");
                for w in mine.windows(2) {
                    let (a, b) = (w[0], w[1]);
                    if let (Some(al), Some(ah), Some(bl), Some(bh)) =
                        (a.band_low, a.band_high, b.band_low, b.band_high)
                    {
                        let (xa, xb) = (x_of(&a.start), x_of(&b.start));
                        p.polygon(
                            Polygon::new(
                                band_name.clone(),
                                PlotPoints::from(vec![[xa, al], [xb, bl], [xb, bh], [xa, ah]]),
                            )
                            .fill_color(color.gamma_multiply(0.18))
                            .stroke(egui::Stroke::NONE)
                            .allow_hover(false),
                        );
                    }
                }
                let est: Vec<[f64; 2]> = mine
                    .iter()
                    .filter_map(|p| p.estimated.map(|v| [x_of(&p.start), v]))
                    .collect();
                p.line(
                    Line::new(format!("{s} estimated (dashed)"), PlotPoints::from(est))
                        .color(color)
                        .style(LineStyle::dashed_dense())
                        .width(2.0),
                );
                let real: Vec<[f64; 2]> = mine
                    .iter()
                    .filter_map(|p| p.realized.map(|v| [x_of(&p.start), v]))
                    .collect();
                if !real.is_empty() {
                    p.line(
                        Line::new(format!("{s} realized"), PlotPoints::from(real.clone()))
                            .color(color)
                            .width(2.0),
                    );
                    p.points(
                        Points::new(format!("{s} realized"), PlotPoints::from(real))
                            .color(color)
                            .radius(2.5),
                    );
                }
                if let Some(b) = reference_value(r, s, metric) {
                    p.hline(
                        HLine::new(format!("{s} reference (realized)"), b)
                            .color(color.gamma_multiply(0.6))
                            .width(1.0),
                    );
                }
            }
        });
    if let Some(pos) = resp.response.hover_pos() {
        let i = resp.transform.value_from_position(pos).x.round();
        if i >= 0.0 && (i as usize) < starts_shown.len() {
            let at = starts_shown[i as usize].as_str();
            resp.response.clone().on_hover_ui_at_pointer(|ui| {
                ui.strong(format!(
                    "{} from {} UTC",
                    metric.title(),
                    crate::report::format::iso_to_second(at)
                ));
                egui::Grid::new("performance_readout")
                    .num_columns(2)
                    .show(ui, |ui| {
                        for (k, s) in series.iter().enumerate() {
                            let Some(p) = points.iter().find(|p| p.series == *s && p.start == at)
                            else {
                                continue;
                            };
                            let f = |x: Option<f64>| x.map_or("–".into(), |v| format!("{v:.3}"));
                            ui.colored_label(group_color(k), *s);
                            ui.label(format!(
                                "estimated {} [{}, {}], realized {} ({} rows, {} labelled)",
                                f(p.estimated),
                                f(p.band_low),
                                f(p.band_high),
                                f(p.realized),
                                crate::report::format::count(p.n),
                                crate::report::format::count(p.labelled)
                            ));
                            ui.end_row();
                        }
                    });
            });
        }
    }
    png_button(ui, "performance", resp.response.rect, cmds);
}

/// The reference's realized value of a series: the mean of its labelled periods' realized
/// values weighted by their labelled rows is not the same as the whole reference's, so this
/// reads the trigger's number where the report has it (AUC, F1).
fn reference_value(r: &DriftReport, series: &str, metric: CbpeMetric) -> Option<f64> {
    let (id, key) = match metric {
        CbpeMetric::RocAuc => ("auc_decline", format!("{series}.auc_reference")),
        CbpeMetric::F1 => ("f1_drop", format!("{series}.f1_reference")),
        _ => return None,
    };
    r.triggers
        .iter()
        .filter(|c| c.id.as_str() == id && c.estimated == Some(true))
        .find_map(|c| c.numbers.get(&key).copied())
}
