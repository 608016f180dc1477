//! Small line charts as inline SVG for the HTML report (no UI toolkit needed): labelled
//! time and value ticks, the unit on the y axis, one polyline per series.

/// One line of a chart.
pub struct ChartSeries {
    /// Legend name.
    pub name: String,
    /// RGB colour.
    pub color: [u8; 3],
    /// (x, y) points in data units.
    pub points: Vec<(f64, f64)>,
}

/// The Okabe–Ito colour-blind-safe palette, control first (same as the window).
pub const PALETTE: [[u8; 3]; 7] = [
    [0x00, 0x72, 0xB2],
    [0xE6, 0x9F, 0x00],
    [0x00, 0x9E, 0x73],
    [0xCC, 0x79, 0xA7],
    [0x56, 0xB4, 0xE9],
    [0xD5, 0x5E, 0x00],
    [0xF0, 0xE4, 0x42],
];

/// Data ranges of a chart: (x_min, x_max, y_min, y_max).
pub fn ranges(series: &[ChartSeries]) -> Option<(f64, f64, f64, f64)> {
    let pts = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite());
    let mut r: Option<(f64, f64, f64, f64)> = None;
    for &(x, y) in pts {
        r = Some(match r {
            None => (x, x, y, y),
            Some((a, b, c, d)) => (a.min(x), b.max(x), c.min(y), d.max(y)),
        });
    }
    r.map(|(a, b, c, d)| {
        let (c, d) = if c == d {
            (c - 1.0, d + 1.0)
        } else {
            (c.min(0.0_f64.max(c - (d - c) * 0.05)), d + (d - c) * 0.05)
        };
        let (a, b) = if a == b { (a - 1.0, b + 1.0) } else { (a, b) };
        (a, b, c, d)
    })
}

/// What a chart's axes show: the time bucket (for the time ticks), the y unit, and whether
/// y is a percentage kept within [0, 100].
pub struct ChartAxes<'a> {
    /// Bucket length in seconds: x ticks fall on its whole 1-2-5 multiples.
    pub bucket_seconds: f64,
    /// The y axis label.
    pub unit: &'a str,
    /// A share or rate in percent: the y axis stays within [0, 100].
    pub percent: bool,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn tick_number(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil().max(0.0) as usize
    };
    format!("{v:.decimals$}")
}

/// Renders the series as an inline SVG line chart of `width` × `height` pixels: time ticks
/// with labels (UTC) on whole multiples of the bucket, value ticks with labels, the unit
/// on the y axis, every series as a polyline in its colour and a legend.
pub fn render_svg(series: &[ChartSeries], axes: &ChartAxes, width: u32, height: u32) -> String {
    use std::fmt::Write;
    let (w, h) = (width as f64, height as f64);
    let (l, r, t, b) = (64.0, w - 12.0, 10.0, h - 44.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"system-ui,sans-serif\" font-size=\"11\">"
    );
    let Some((x0, x1, mut y0, mut y1)) = ranges(series) else {
        out.push_str("</svg>");
        return out;
    };
    if axes.percent {
        y0 = y0.max(0.0);
        y1 = y1.min(100.0).max(y0 + 1e-9);
    }
    let px = |x: f64| l + (x - x0) / (x1 - x0) * (r - l);
    let py = |y: f64| b - (y - y0) / (y1 - y0) * (b - t);
    // value grid and labels
    let ystep = super::ticks::value_step(y1 - y0, 4.0);
    for v in super::ticks::ticks_within(y0, y1, ystep) {
        let y = py(v);
        let _ = write!(
            out,
            "<line x1=\"{l:.1}\" y1=\"{y:.1}\" x2=\"{r:.1}\" y2=\"{y:.1}\" stroke=\"#e3e3e3\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            l - 4.0,
            y + 4.0,
            tick_number(v, ystep)
        );
    }
    // time grid and labels
    let xstep = super::ticks::time_step(x1 - x0, axes.bucket_seconds);
    for v in super::ticks::ticks_within(x0, x1, xstep) {
        let x = px(v);
        let _ = write!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{t:.1}\" x2=\"{x:.1}\" y2=\"{b:.1}\" stroke=\"#eeeeee\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            b + 14.0,
            esc(&super::ticks::time_tick_label(v, xstep))
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#777\"/><line x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{b}\" stroke=\"#777\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#333\">time (UTC)</text><text transform=\"translate(12,{:.1}) rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
        (l + r) / 2.0,
        b + 32.0,
        (t + b) / 2.0,
        esc(axes.unit)
    );
    for s in series {
        let pts: Vec<String> = s
            .points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y.clamp(y0, y1))))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let [cr, cg, cb] = s.color;
        let _ = write!(
            out,
            "<polyline fill=\"none\" stroke=\"rgb({cr},{cg},{cb})\" stroke-width=\"1.8\" points=\"{}\"><title>{}</title></polyline>",
            pts.join(" "),
            esc(&s.name)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_svg_chart_has_labelled_ticks_on_both_axes() {
        let s = ChartSeries {
            name: "A".into(),
            color: PALETTE[0],
            // two hours of one-minute buckets from 2025-12-13 00:00 UTC
            points: (0..120)
                .map(|i| (1_765_584_000.0 + 60.0 * i as f64, 40.0 + (i % 7) as f64))
                .collect(),
        };
        let svg = render_svg(
            &[s],
            &ChartAxes {
                bucket_seconds: 60.0,
                unit: "% of requests",
                percent: true,
            },
            900,
            240,
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        // half-hour time ticks, labelled
        assert!(svg.contains(">00:30</text>"), "{svg}");
        assert!(svg.contains(">01:30</text>"), "{svg}");
        // value ticks labelled, the unit on the y axis, the series named
        assert!(
            svg.contains(">42</text>") || svg.contains(">44</text>"),
            "{svg}"
        );
        assert!(svg.contains("% of requests</text>"));
        assert!(svg.contains("<title>A</title>"));
    }
}
