//! The Timeline's plot: one read-only line plot with a date-time x axis linked to the other
//! panels — title and PNG button, a legend that shows line styles, clock-friendly time
//! ticks, stages shaded, service events marked, and the one hover read-out.

use super::timeline::{Series, StageSpan};
use crate::app::command::Command;
use eframe::egui::{self, Color32};
use egui_plot::{Line, LineStyle, Plot, PlotPoints};

/// A read-only line plot with a date-time x axis linked to the other timeline plots: its
/// title with the PNG button, a legend that shows line styles, ticks on whole multiples of
/// the bucket, rates and shares kept within [0, 100] %, and one hover read-out listing every
/// series at the hovered bucket (never the pointer's own coordinates).
/// Returns the plot's screen rectangle (for PNG export).
#[allow(clippy::too_many_arguments)]
pub fn series_plot_ui(
    ui: &mut egui::Ui,
    title: &str,
    y_label: &str,
    series: &[Series],
    stages: &[StageSpan],
    events: &[(f64, String)],
    link: egui::Id,
    bucket_s: f64,
    cmds: &mut Vec<Command>,
) -> egui::Rect {
    super::plot_title_ui(
        ui,
        egui::RichText::new(title).strong(),
        &title.replace(' ', "_"),
        cmds,
    );
    super::plot_parts::legend_ui(
        ui,
        series
            .iter()
            .filter(|s| !s.points.is_empty())
            .map(|s| (s.name.as_str(), s.color, s.style)),
    );
    let y_unit = y_label.to_string();
    let ys = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p[1]))
        .filter(|y| y.is_finite());
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    // a flat series (a constant share, no errors) gets a sensible range around its value
    let pad = if lo.is_finite() && hi - lo <= 1e-12 * hi.abs().max(1.0) {
        if hi.abs() > 0.0 {
            hi.abs() * 0.1
        } else {
            1.0
        }
    } else {
        (hi - lo) * 0.05
    };
    // rates and shares are probabilities: the axis stays within [0, 100] %
    let cap = match y_label {
        "% of requests" => Some(100.0),
        "rate (0–1)" => Some(1.0),
        _ => None,
    };
    let mut plot = Plot::new(format!("plot_{title}"));
    if lo.is_finite() {
        let floor = if lo >= 0.0 { 0.0 } else { f64::NEG_INFINITY };
        let (a, b) = ((lo - pad).max(floor), hi + pad);
        let b = cap.map_or(b, |c| b.min(c));
        if b > a {
            plot = plot.default_y_bounds(a, b);
        }
    }
    let readout_series: Vec<(&str, Color32, &[[f64; 2]])> = series
        .iter()
        .map(|s| (s.name.as_str(), s.color, s.points.as_slice()))
        .collect();
    let resp = plot
        .height(170.0)
        .link_axis(link, [true, false])
        .link_cursor(link, [true, false])
        .y_axis_min_width(56.0)
        .x_axis_label("time (UTC)")
        .y_axis_label(y_label)
        .x_grid_spacer(move |input| super::plot_parts::time_marks(input, bucket_s))
        .x_axis_formatter(|mark, _range| {
            super::plot_parts::time_tick_label(mark.value, mark.step_size)
        })
        // the read-out below replaces egui_plot's pointer label
        .label_formatter(|_| None)
        .allow_scroll(false)
        .y_axis_formatter(|mark, _range| axis_number(mark.value))
        .y_grid_spacer(egui_plot::uniform_grid_spacer(nice_steps))
        .show(ui, |plot_ui| {
            // labels at the data's top, so they do not widen the plot's bounds
            let top = series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p[1]))
                .filter(|y| y.is_finite())
                .fold(0.0f64, f64::max);
            for (i, (a, b, label)) in stages.iter().enumerate() {
                let tint = if i % 2 == 0 { 14 } else { 30 };
                // unnamed, so the stages stay out of the read-out; the label is a text item
                plot_ui.span(
                    egui_plot::Span::new("", *a..=*b)
                        .fill(Color32::from_white_alpha(tint))
                        .border_width(1.0)
                        .border_color(Color32::from_white_alpha(90))
                        .border_style(LineStyle::dashed_loose()),
                );
                plot_ui.text(
                    egui_plot::Text::new(
                        "",
                        egui_plot::PlotPoint::new(*a, top),
                        egui::RichText::new(format!(" {label}")).small().weak(),
                    )
                    .anchor(egui::Align2::LEFT_TOP),
                );
            }
            for (x, name) in events {
                plot_ui.vline(
                    egui_plot::VLine::new("", *x)
                        .color(Color32::from_rgba_unmultiplied(200, 160, 255, 110))
                        .style(LineStyle::dotted_dense())
                        .width(1.0),
                );
                plot_ui.text(
                    egui_plot::Text::new(
                        "",
                        egui_plot::PlotPoint::new(*x, 0.0),
                        egui::RichText::new(format!(" {name}"))
                            .small()
                            .color(Color32::from_rgba_unmultiplied(200, 160, 255, 200)),
                    )
                    .anchor(egui::Align2::LEFT_BOTTOM),
                );
            }
            for s in series {
                plot_ui.line(
                    Line::new(s.name.clone(), PlotPoints::from(s.points.clone()))
                        .color(s.color)
                        .style(s.style)
                        .width(1.8),
                );
            }
        });
    if let Some(pos) = resp.response.hover_pos() {
        let t = resp.transform.value_from_position(pos).x;
        if let Some((start, readings)) =
            super::plot_parts::readings_at(readout_series.into_iter(), t, bucket_s)
        {
            let span =
                |us: f64| crate::report::format::timestamp((us * 1e6) as i64, bucket_s < 1.0);
            resp.response.clone().on_hover_ui_at_pointer(|ui| {
                ui.strong(format!("{} – {} UTC", span(start), span(start + bucket_s)));
                egui::Grid::new("readout").num_columns(2).show(ui, |ui| {
                    for r in &readings {
                        ui.colored_label(r.color, &r.name);
                        ui.label(format!("{} {y_unit}", axis_value(r.value)));
                        ui.end_row();
                    }
                });
            });
        }
    }
    resp.response.rect
}

/// A value in the read-out: latency-style significant digits, never a pointer position.
fn axis_value(v: f64) -> String {
    crate::report::format::latency_ms(v)
}

/// A y-axis tick with as many decimals as its size needs (0.0004 is not shown as 0).
fn axis_number(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let digits = (-a.log10()).ceil() as usize + 2;
        let s = format!("{v:.digits$}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Grid steps of 1, 2 or 5 × 10ⁿ giving about four labelled lines over the visible range,
/// so every y axis carries tick labels (not only 0) whatever its range.
fn nice_steps(input: egui_plot::GridInput) -> [f64; 3] {
    let span = (input.bounds.1 - input.bounds.0)
        .abs()
        .max(f64::MIN_POSITIVE);
    let raw = span / 4.0;
    let decade = 10f64.powf(raw.log10().floor());
    let major = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * decade)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * decade);
    [major / 10.0, major / 2.0, major]
}
