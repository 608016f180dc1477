//! Parts shared by the time plots: a legend that shows each series' line style, time ticks
//! on whole multiples of the bucket (1-2-5 steps), their labels, and the one hover
//! read-out that lists every series at the hovered bucket.

use eframe::egui::{self, Color32, Stroke};
use egui_plot::{GridInput, GridMark, LineStyle};

/// A legend row: every named series once, with a short sample of its line in its colour
/// and style (solid, dashed, dotted), so p50 / p95 / p99 can be told apart.
pub fn legend_ui<'a>(
    ui: &mut egui::Ui,
    entries: impl Iterator<Item = (&'a str, Color32, LineStyle)>,
) {
    let mut seen: Vec<&str> = Vec::new();
    ui.horizontal_wrapped(|ui| {
        for (name, color, style) in entries {
            if name.is_empty() || seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let (rect, _) = ui.allocate_exact_size(egui::vec2(28.0, 12.0), egui::Sense::hover());
            let y = rect.center().y;
            let (a, b) = (egui::pos2(rect.left(), y), egui::pos2(rect.right(), y));
            let stroke = Stroke::new(2.0, color);
            let painter = ui.painter();
            match style {
                LineStyle::Solid => {
                    painter.line_segment([a, b], stroke);
                }
                LineStyle::Dashed { length } => {
                    painter.extend(egui::Shape::dashed_line(
                        &[a, b],
                        stroke,
                        length,
                        length * 0.6,
                    ));
                }
                LineStyle::Dotted { spacing } => {
                    painter.extend(egui::Shape::dotted_line(&[a, b], color, spacing, 1.2));
                }
            }
            ui.label(name);
            ui.add_space(8.0);
        }
    });
}

pub use crate::report::ticks::{time_step, time_tick_label};

/// The grid marks of a time axis: major ticks every [`time_step`], minor ones every bucket.
pub fn time_marks(input: GridInput, bucket_s: f64) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !lo.is_finite() || !hi.is_finite() || hi <= lo {
        return Vec::new();
    }
    let step = time_step(hi - lo, bucket_s);
    let mut marks = Vec::new();
    let mut v = (lo / step).ceil() * step;
    while v <= hi && marks.len() < 100 {
        marks.push(GridMark {
            value: v,
            step_size: step,
        });
        v += step;
    }
    marks
}

/// One read-out line: a series' name, colour and value.
pub struct Reading {
    /// The series.
    pub name: String,
    /// Its colour.
    pub color: Color32,
    /// The value at the hovered bucket.
    pub value: f64,
}

/// The bucket start a time falls in (points are at bucket starts) and every series' value
/// there; series without a point in that bucket are left out, and a series' name is read
/// once (an interval's two edges are one series).
pub fn readings_at<'a>(
    series: impl Iterator<Item = (&'a str, Color32, &'a [[f64; 2]])>,
    t: f64,
    bucket_s: f64,
) -> Option<(f64, Vec<Reading>)> {
    let mut start = None;
    let mut out: Vec<Reading> = Vec::new();
    for (name, color, points) in series {
        if name.is_empty() {
            continue;
        }
        // the last point at or before t, within one bucket of it
        let i = points.partition_point(|p| p[0] <= t);
        let Some(p) = i.checked_sub(1).map(|i| points[i]) else {
            continue;
        };
        if t - p[0] >= bucket_s.max(1e-9) || !p[1].is_finite() {
            continue;
        }
        start = Some(p[0]);
        match out.iter_mut().find(|r| r.name == name) {
            // an interval's edges: lower then upper
            Some(_) => out.push(Reading {
                name: format!("{name} (upper)"),
                color,
                value: p[1],
            }),
            None => out.push(Reading {
                name: name.to_string(),
                color,
                value: p[1],
            }),
        }
    }
    start.map(|s| (s, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_whole_multiples_of_the_bucket() {
        // 2 h of 1-minute buckets: half-hour ticks; of 30-second buckets too
        assert_eq!(time_step(7200.0, 60.0), 1800.0);
        assert_eq!(time_step(7200.0, 30.0), 1800.0);
        // 3 days of hourly buckets: whole days (never 20 h or 25 min)
        assert_eq!(time_step(3.0 * 86_400.0, 3600.0), 43_200.0);
        assert_eq!(time_step(14.0 * 86_400.0, 3600.0), 172_800.0);
        // a 7-minute bucket: multiples of it
        assert_eq!(time_step(7200.0, 420.0), 2100.0);
        let marks = time_marks(
            GridInput {
                bounds: (1_000.0, 4_700.0),
                base_step_size: 1.0,
            },
            60.0,
        );
        assert!(marks.iter().all(|m| m.value % 600.0 == 0.0), "{marks:?}");
        assert_eq!(marks.first().map(|m| m.value), Some(1_200.0));
        assert_eq!(time_tick_label(1_765_584_000.0, 86_400.0), "12-13");
        assert_eq!(time_tick_label(1_765_584_000.0 + 3_780.0, 600.0), "01:03");
        assert_eq!(time_tick_label(1_765_584_000.0, 600.0), "12-13 00:00");
        assert_eq!(time_tick_label(1_765_584_000.0 + 5.0, 5.0), "00:00:05");
    }

    #[test]
    fn the_read_out_lists_every_series_at_the_hovered_bucket() {
        let a = [[0.0, 1.0], [60.0, 2.0], [120.0, 3.0]];
        let b = [[0.0, 10.0], [60.0, 20.0]];
        let c = [[120.0, 7.0]];
        let series = [
            ("A p50", Color32::RED, &a[..]),
            ("B p50", Color32::BLUE, &b[..]),
            ("C", Color32::GREEN, &c[..]),
        ];
        let (start, r) = readings_at(series.iter().copied(), 95.0, 60.0).unwrap();
        assert_eq!(start, 60.0);
        let got: Vec<(&str, f64)> = r.iter().map(|x| (x.name.as_str(), x.value)).collect();
        assert_eq!(got, [("A p50", 2.0), ("B p50", 20.0)]);
        assert!(readings_at(series.iter().copied(), -5.0, 60.0).is_none());
    }
}
