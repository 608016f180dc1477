//! Timeline: per-group lines over time for traffic, errors, latency percentiles, the
//! treatment's traffic share (ramp stages) and each metric. Controls are separate from the
//! read-only plot function; plots draw bucketed aggregates only.

use super::timeline_plot::series_plot_ui;
use super::{png_button, ViewCtx};
use crate::app::command::{Bucket, Command};
use crate::app::state::State;
use crate::app::theme::group_color;
use crate::report::csv::Table;
use crate::report::{ExperimentReport, TimelineRow};
use eframe::egui::{self, Color32};
use egui_plot::LineStyle;

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
        ui.weak(format!("{} buckets of {}, UTC", r.timeline.buckets(), r.timeline.bucket));
    });
    if r.timeline.rows.is_empty() {
        ui.label("No timestamps in this log, so there is no timeline. Map a timestamp column in the Data view.");
        return;
    }
    let panels = build_panels(r, state.cumulative);
    let stages = stage_spans(r);
    let events: Vec<(f64, String)> = r
        .events
        .iter()
        .filter_map(|e| Some((e.time_us? as f64 / 1e6, e.name.clone())))
        .collect();
    if r.events_total > 0 {
        ui.weak(format!(
            "{} service events (model loads, config changes…) marked with dotted lines; they are not predictions and not rejected rows.",
            r.events_total
        ));
    }
    if stages.len() > 1 {
        ui.weak(format!(
            "{} allocation stages shaded; a boundary is where users moved between groups ({} moved).",
            stages.len(),
            r.assignment.users_moved_at_ramp
        ));
    }
    let link = egui::Id::unique("timeline_link");
    let bucket_s = r.timeline.bucket_seconds as f64;
    if let Some((title, y_label, series)) = lift_panel(r) {
        ui.weak(format!(
            "The primary metric's difference on the data so far, with its {} interval: conclusive once the band leaves zero{} (the first buckets, with intervals over 8 times today's width, are not drawn).",
            if r.inference == crate::plan::Inference::Sequential { "always-valid" } else { "fixed-horizon" },
            if r.inference == crate::plan::Inference::Sequential { ", and later looks never invalidate it" } else { " (valid for one look only)" }
        ))
        .on_hover_text(super::inference::inference_tips::SEQUENTIAL);
        let rect = series_plot_ui(
            ui, &title, &y_label, &series, &stages, &events, link, bucket_s, cmds,
        );
        png_button(ui, &title.replace(' ', "_"), rect, cmds);
        ui.horizontal(|ui| {
            ui.weak("The lift's series:");
            super::csv_button(ui, Table::Lift, cmds);
        });
    }
    for (title, y_label, series) in &panels {
        // a panel without data says so (and why) instead of drawing an empty grid
        if series.iter().all(|s| s.points.is_empty()) {
            ui.strong(title);
            ui.weak(empty_reason(r, title));
            ui.add_space(6.0);
            continue;
        }
        let rect = series_plot_ui(
            ui, title, y_label, series, &stages, &events, link, bucket_s, cmds,
        );
        png_button(ui, &title.replace(' ', "_"), rect, cmds);
    }
}

/// Why a timeline panel has nothing to draw.
pub fn empty_reason(r: &ExperimentReport, title: &str) -> String {
    use crate::ingest::Role;
    if title.starts_with("Latency") {
        return match r.columns.get(&Role::Latency) {
            None => {
                "No latency column in this log, so no latency to plot (map one in the Data view)."
                    .into()
            }
            Some(c) => {
                format!("The latency column `{c}` has no values at a known time in this log.")
            }
        };
    }
    if title.starts_with("Treatment traffic share") {
        return "No treatment rows at a known time to compare with the control.".into();
    }
    format!("No values of {title} at a known time in this log, so nothing to plot.")
}

/// A shaded stage on the time axis: (start s, end s, label).
pub type StageSpan = (f64, f64, String);

/// The report's stages as shaded spans (none for a single stage), labelled with the
/// treatment's observed share and, when declared, the expected one.
pub fn stage_spans(r: &ExperimentReport) -> Vec<StageSpan> {
    if r.stages.len() < 2 {
        return Vec::new();
    }
    r.stages
        .iter()
        .map(|s| {
            let share = |m: &std::collections::BTreeMap<String, f64>| {
                m.iter()
                    .filter(|(g, _)| **g != r.control)
                    .map(|(_, v)| crate::report::format::share(*v))
                    .collect::<Vec<_>>()
                    .join("/")
            };
            let expected = s
                .expected_share
                .as_ref()
                .map(|e| format!(" (exp. {})", share(e)))
                .unwrap_or_default();
            let start = crate::report::format::timestamp(s.start_us, false);
            (
                s.start_us as f64 / 1e6,
                s.end_us as f64 / 1e6,
                format!(
                    "stage {} · {}{expected} · from {}",
                    s.index,
                    share(&s.observed_share),
                    start.get(5..).unwrap_or(&start)
                ),
            )
        })
        .collect()
}

/// The timeline rows of each group, in the report's group order (indexed once per frame).
fn rows_by_group(r: &ExperimentReport) -> Vec<Vec<&TimelineRow>> {
    let mut out: Vec<Vec<&TimelineRow>> = vec![Vec::new(); r.groups.len()];
    for row in &r.timeline.rows {
        if let Some(i) = r.groups.iter().position(|g| g.name == row.group) {
            out[i].push(row);
        }
    }
    out
}

fn x(row: &TimelineRow) -> f64 {
    row.start_us as f64 / 1e6
}

/// One line per group of a timeline row field (rows without a value are skipped).
fn group_series(
    r: &ExperimentReport,
    by_group: &[Vec<&TimelineRow>],
    skip_control: bool,
    y: impl Fn(&TimelineRow) -> Option<f64>,
) -> Vec<Series> {
    r.groups
        .iter()
        .zip(by_group)
        .enumerate()
        .skip(usize::from(skip_control))
        .map(|(gi, (g, rows))| Series {
            name: g.name.clone(),
            color: group_color(gi),
            style: LineStyle::Solid,
            points: rows
                .iter()
                .filter_map(|row| y(row).map(|v| [x(row), v]))
                .collect(),
        })
        .collect()
}

/// Every panel's series, read from the report's timeline (the engine computes the
/// cumulative series and traffic shares; this only picks which to draw).
pub fn build_panels(r: &ExperimentReport, cumulative: bool) -> Vec<(String, String, Vec<Series>)> {
    let by_group = rows_by_group(r);
    let mut latency = Vec::new();
    for (gi, (g, rows)) in r.groups.iter().zip(&by_group).enumerate() {
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
                    color: group_color(gi),
                    style,
                    points: pts,
                });
            }
        }
    }
    let (traffic_title, traffic_unit, traffic) = if cumulative {
        (
            "Requests (cumulative)",
            "requests",
            group_series(r, &by_group, false, |row| {
                Some(row.cumulative_requests as f64)
            }),
        )
    } else {
        (
            "Traffic (QPS)",
            "requests / s",
            group_series(r, &by_group, false, |row| Some(row.qps)),
        )
    };
    let errors = group_series(r, &by_group, false, |row| {
        Some(
            100.0
                * if cumulative {
                    row.cumulative_error_rate
                } else {
                    row.error_rate
                },
        )
    });
    let mut panels = vec![
        (traffic_title.to_string(), traffic_unit.to_string(), traffic),
        (
            "Treatment traffic share".to_string(),
            "% of requests".to_string(),
            group_series(r, &by_group, true, |row| Some(100.0 * row.share)),
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
        let series = group_series(r, &by_group, false, |row| {
            let values = if cumulative {
                &row.metrics_cumulative
            } else {
                &row.metrics
            };
            values.get(&m.name).copied().flatten()
        });
        let unit = if m.kind == crate::ingest::MetricKind::Proportion {
            "rate (0–1)"
        } else {
            "mean"
        };
        let title = format!(
            "{}{}{}",
            m.name,
            if m.primary { " (primary)" } else { "" },
            if cumulative { " (cumulative)" } else { "" }
        );
        panels.push((title, unit.to_string(), series));
    }
    panels
}

/// The primary metric's cumulative lift with its interval, one colour per treatment, and
/// the zero line.
pub fn lift_panel(r: &ExperimentReport) -> Option<(String, String, Vec<Series>)> {
    let lift = &r.timeline.lift_over_time;
    let first = lift.first()?;
    let mut treatments: Vec<&str> = lift.iter().map(|l| l.treatment.as_str()).collect();
    treatments.sort();
    treatments.dedup();
    let x = |us: i64| us as f64 / 1e6;
    let mut series = Vec::new();
    for t in treatments {
        let color = group_color(super::group_index(r, t));
        let all: Vec<&crate::report::LiftOverTime> =
            lift.iter().filter(|l| l.treatment == t).collect();
        // the first buckets' intervals (a handful of users) would flatten the rest: the
        // drawing starts where the band is within 8 times today's width
        let width = |l: &crate::report::LiftOverTime| match (l.ci_low, l.ci_high) {
            (Some(a), Some(b)) => b - a,
            _ => f64::INFINITY,
        };
        let today = all.last().map_or(f64::INFINITY, |l| width(l));
        let first = all
            .iter()
            .position(|l| width(l) <= 8.0 * today)
            .unwrap_or(0);
        let points = &all[first..];
        series.push(Series {
            name: format!("{t} − {}", r.control),
            color,
            style: LineStyle::Solid,
            points: points.iter().map(|l| [x(l.start_us), l.diff]).collect(),
        });
        let band = |pick: fn(&crate::report::LiftOverTime) -> Option<f64>| Series {
            name: format!("{t} interval"),
            color: color.gamma_multiply(0.7),
            style: LineStyle::dashed_dense(),
            points: points
                .iter()
                .filter_map(|l| Some([x(l.start_us), pick(l)?]))
                .collect(),
        };
        series.push(band(|l| l.ci_low));
        series.push(band(|l| l.ci_high));
    }
    let last = lift.last()?;
    series.push(Series {
        name: "no effect".into(),
        color: Color32::from_gray(140),
        style: LineStyle::Solid,
        points: vec![[x(first.start_us), 0.0], [x(last.start_us), 0.0]],
    });
    Some((
        format!("Lift of {} over time (treatment − control)", first.metric),
        first.metric.clone(),
        series,
    ))
}
