//! Timeline: per-group lines over time for traffic, errors, latency percentiles, the
//! treatment's traffic share (ramp stages) and each metric. Controls are separate from the
//! read-only plot function; plots draw bucketed aggregates only.

use super::{png_button, ViewCtx};
use crate::app::command::{Bucket, Command};
use crate::app::state::State;
use crate::app::theme::group_color;
use crate::ingest::time::format_timestamp_us;
use crate::report::csv::Table;
use crate::report::{ExperimentReport, TimelineRow};
use eframe::egui::{self, Color32};
use egui_plot::{Legend, Line, LineStyle, Plot, PlotPoints};

/// One line of a plot.
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Colour (the group's).
    pub color: Color32,
    /// Solid, dashed or dotted.
    pub style: LineStyle,
    /// (x = seconds since epoch, y) points.
    pub points: Vec<[f64; 2]>,
}

/// Draws the Timeline view.
pub fn timeline_ui(ui: &mut egui::Ui, v: &ViewCtx, state: &State, cmds: &mut Vec<Command>) {
    let r = v.report;
    ui.horizontal(|ui| {
        ui.label("Bucket:");
        for b in Bucket::ALL {
            let label = if b == Bucket::Auto && state.bucket == Bucket::Auto { format!("auto ({})", r.timeline.bucket) } else { b.label().to_string() };
            if ui.selectable_label(state.bucket == b, label).clicked() && state.bucket != b {
                cmds.push(Command::SetBucket(b));
            }
        }
        ui.separator();
        let mut cumulative = state.cumulative;
        if ui.checkbox(&mut cumulative, "Cumulative").on_hover_text("Running totals from the start instead of per-bucket values (latency percentiles stay per bucket).").changed() {
            cmds.push(Command::SetCumulative(cumulative));
        }
        ui.separator();
        super::csv_button(ui, Table::Timeline, cmds);
        ui.weak(format!("{} buckets of {}, UTC", r.timeline.rows.len() / r.groups.len().max(1), r.timeline.bucket));
    });
    if r.timeline.rows.is_empty() {
        ui.label("No timestamps in this log, so there is no timeline. Map a timestamp column in the Data view.");
        return;
    }
    let panels = build_panels(r, state.cumulative);
    let link = egui::Id::unique("timeline_link");
    for (title, y_label, series) in &panels {
        let rect = series_plot_ui(ui, title, y_label, series, link);
        ui.horizontal(|ui| png_button(ui, &title.replace(' ', "_"), rect, cmds));
    }
}

fn group_rows<'a>(r: &'a ExperimentReport, group: &str) -> Vec<&'a TimelineRow> {
    r.timeline
        .rows
        .iter()
        .filter(|x| x.group == group)
        .collect()
}

fn x(row: &TimelineRow) -> f64 {
    row.start_us as f64 / 1e6
}

/// Builds every panel's series from the report's timeline.
pub fn build_panels(r: &ExperimentReport, cumulative: bool) -> Vec<(String, String, Vec<Series>)> {
    let mut traffic = Vec::new();
    let mut errors = Vec::new();
    let mut latency = Vec::new();
    for (gi, g) in r.groups.iter().enumerate() {
        let rows = group_rows(r, &g.name);
        let color = group_color(gi);
        let (mut cum_req, mut cum_err) = (0.0, 0.0);
        let mut tp = Vec::new();
        let mut ep = Vec::new();
        for row in &rows {
            cum_req += row.requests as f64;
            cum_err += row.error_rate * row.requests as f64;
            if cumulative {
                tp.push([x(row), cum_req]);
                ep.push([
                    x(row),
                    if cum_req > 0.0 {
                        100.0 * cum_err / cum_req
                    } else {
                        0.0
                    },
                ]);
            } else {
                tp.push([x(row), row.qps]);
                ep.push([x(row), 100.0 * row.error_rate]);
            }
        }
        traffic.push(Series {
            name: g.name.clone(),
            color,
            style: LineStyle::Solid,
            points: tp,
        });
        errors.push(Series {
            name: g.name.clone(),
            color,
            style: LineStyle::Solid,
            points: ep,
        });
        for (label, style, get) in [
            (
                "p50",
                LineStyle::Solid,
                (|r: &TimelineRow| r.latency_p50) as fn(&TimelineRow) -> Option<f64>,
            ),
            ("p95", LineStyle::dashed_dense(), |r: &TimelineRow| {
                r.latency_p95
            }),
            ("p99", LineStyle::dotted_dense(), |r: &TimelineRow| {
                r.latency_p99
            }),
        ] {
            let pts: Vec<[f64; 2]> = rows
                .iter()
                .filter_map(|row| get(row).map(|y| [x(row), y]))
                .collect();
            if !pts.is_empty() {
                latency.push(Series {
                    name: format!("{} {label}", g.name),
                    color,
                    style,
                    points: pts,
                });
            }
        }
    }
    // treatment traffic share per bucket: ramp stages
    let mut share = Vec::new();
    let mut totals: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
    for row in &r.timeline.rows {
        *totals.entry(row.start_us).or_default() += row.requests as f64;
    }
    for (gi, g) in r.groups.iter().enumerate().skip(1) {
        let pts = group_rows(r, &g.name)
            .iter()
            .map(|row| {
                [
                    x(row),
                    100.0 * row.requests as f64
                        / totals.get(&row.start_us).copied().unwrap_or(1.0).max(1.0),
                ]
            })
            .collect();
        share.push(Series {
            name: g.name.clone(),
            color: group_color(gi),
            style: LineStyle::Solid,
            points: pts,
        });
    }
    let mut panels = vec![
        (
            if cumulative {
                "Requests (cumulative)".to_string()
            } else {
                "Traffic (QPS)".to_string()
            },
            if cumulative {
                "requests".to_string()
            } else {
                "requests / s".to_string()
            },
            traffic,
        ),
        (
            "Treatment traffic share".to_string(),
            "% of requests".to_string(),
            share,
        ),
        (
            if cumulative {
                "Error rate (cumulative)".into()
            } else {
                "Error rate".into()
            },
            "% of requests".into(),
            errors,
        ),
        (
            "Latency p50 / p95 / p99 (per bucket)".into(),
            "ms".into(),
            latency,
        ),
    ];
    for m in &r.metrics {
        let mut series = Vec::new();
        for (gi, g) in r.groups.iter().enumerate() {
            let rows = group_rows(r, &g.name);
            let (mut wsum, mut w) = (0.0, 0.0);
            let pts = rows
                .iter()
                .filter_map(|row| {
                    let y = row.metrics.get(&m.name).copied().flatten()?;
                    wsum += y * row.requests as f64;
                    w += row.requests as f64;
                    Some([x(row), if cumulative { wsum / w } else { y }])
                })
                .collect();
            series.push(Series {
                name: g.name.clone(),
                color: group_color(gi),
                style: LineStyle::Solid,
                points: pts,
            });
        }
        let unit = if m.kind == crate::ingest::MetricKind::Proportion {
            "rate (0–1)"
        } else {
            "mean"
        };
        let title = format!(
            "{}{}{}",
            m.name,
            if m.primary { " (primary)" } else { "" },
            if cumulative {
                " (cumulative, request-weighted)"
            } else {
                ""
            }
        );
        panels.push((title, unit.to_string(), series));
    }
    panels
}

/// A read-only line plot with a date-time x axis linked to the other timeline plots.
/// Returns the plot's screen rectangle (for PNG export).
pub fn series_plot_ui(
    ui: &mut egui::Ui,
    title: &str,
    y_label: &str,
    series: &[Series],
    link: egui::Id,
) -> egui::Rect {
    ui.strong(title);
    let y_unit = y_label.to_string();
    let resp = Plot::new(format!("plot_{title}"))
        .height(170.0)
        .legend(Legend::default())
        .link_axis(link, [true, false])
        .link_cursor(link, [true, false])
        .y_axis_min_width(56.0)
        .x_axis_label("time (UTC)")
        .y_axis_label(y_label)
        .x_axis_formatter(|mark, _range| {
            let s = format_timestamp_us((mark.value * 1e6) as i64);
            s.get(5..16).unwrap_or(&s).replace('T', " ")
        })
        .label_formatter(move |hover| {
            let (name, pos) = match hover {
                egui_plot::HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => (*plot_name, position),
                egui_plot::HoverPosition::Elsewhere { position } => ("", position),
            };
            let when = format_timestamp_us((pos.x * 1e6) as i64);
            Some(format!(
                "{name}\n{}\n{:.4} {y_unit}",
                when.replace('T', " "),
                pos.y
            ))
        })
        .allow_scroll(false)
        .show(ui, |plot_ui| {
            for s in series {
                plot_ui.line(
                    Line::new(s.name.clone(), PlotPoints::from(s.points.clone()))
                        .color(s.color)
                        .style(s.style)
                        .width(1.8),
                );
            }
        });
    resp.response.rect
}
