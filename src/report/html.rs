//! The experiment report as one self-contained HTML file: tables plus timeline plots as
//! embedded PNG. It references the data files; it does not embed the data.

use super::chart::{render_svg, ChartAxes, ChartSeries, PALETTE};
use super::format::{opt, p};
use super::{Check, ExperimentReport, TestResult, TimelineRow};
use std::fmt::Write;

/// HTML-escapes text.
pub fn h(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn tests_table(out: &mut String, tests: &[TestResult], adjusted: bool) {
    if tests.is_empty() {
        out.push_str("<p>No tests.</p>\n");
        return;
    }
    let t = super::tables::tests_table("", "", tests, adjusted);
    out.push_str("<table><tr>");
    for head in &t.header {
        let _ = write!(out, "<th>{}</th>", h(head));
    }
    out.push_str("</tr>\n");
    let sig_col = t.header.iter().position(|x| *x == "significant");
    for row in &t.rows {
        out.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let class = if Some(i) == sig_col && c.starts_with("yes") {
                " class=\"sig\""
            } else {
                ""
            };
            let _ = write!(out, "<td{class}>{}</td>", h(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn chart(
    out: &mut String,
    title: &str,
    unit: &str,
    r: &ExperimentReport,
    get: impl Fn(&TimelineRow) -> Option<f64>,
) {
    let series: Vec<ChartSeries> = r
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| ChartSeries {
            name: g.name.clone(),
            color: PALETTE[i % PALETTE.len()],
            points: r
                .timeline
                .rows
                .iter()
                .filter(|x| x.group == g.name)
                .filter_map(|x| Some((x.start_us as f64 / 1e6, get(x)?)))
                .collect(),
        })
        .collect();
    figure(out, title, unit, &series, r.timeline.bucket_seconds as f64);
}

/// The primary metric's lift over time with its interval (one colour per treatment).
fn lift_chart(out: &mut String, r: &ExperimentReport) {
    let lift = &r.timeline.lift_over_time;
    let Some(first) = lift.first() else { return };
    let mut series = Vec::new();
    for (i, g) in r.groups.iter().enumerate().skip(1) {
        let all: Vec<_> = lift.iter().filter(|l| l.treatment == g.name).collect();
        let width = |l: &crate::report::LiftOverTime| match (l.ci_low, l.ci_high) {
            (Some(a), Some(b)) => b - a,
            _ => f64::INFINITY,
        };
        let Some(today) = all.last().map(|l| width(l)) else {
            continue;
        };
        // the first buckets' intervals (a handful of users) would flatten the rest
        let first = all
            .iter()
            .position(|l| width(l) <= 8.0 * today)
            .unwrap_or(0);
        let pts = &all[first..];
        let color = PALETTE[i % PALETTE.len()];
        let light = color.map(|c| ((c as u16 + 255) / 2) as u8);
        let x = |l: &crate::report::LiftOverTime| l.start_us as f64 / 1e6;
        series.push(ChartSeries {
            name: format!("{} − {}", g.name, r.control),
            color,
            points: pts.iter().map(|l| (x(l), l.diff)).collect(),
        });
        for (side, pick) in [("low", 0), ("high", 1)] {
            series.push(ChartSeries {
                name: format!("{} interval {side}", g.name),
                color: light,
                points: pts
                    .iter()
                    .filter_map(|l| Some((x(l), if pick == 0 { l.ci_low? } else { l.ci_high? })))
                    .collect(),
            });
        }
    }
    let last = lift.last().map_or(first.start_us, |l| l.start_us) as f64 / 1e6;
    series.push(ChartSeries {
        name: "no effect".into(),
        color: [150, 150, 150],
        points: vec![(first.start_us as f64 / 1e6, 0.0), (last, 0.0)],
    });
    let band = if r.inference == crate::plan::Inference::Sequential {
        "always-valid"
    } else {
        "fixed-horizon"
    };
    figure(
        out,
        &format!(
            "Lift of {} over time, {band} interval (from where it is within 8 times today's width)",
            first.metric
        ),
        &format!("{} (treatment − control)", first.metric),
        &series,
        r.timeline.bucket_seconds as f64,
    );
}

/// One chart as a figure: title, legend, and the SVG with labelled axes.
fn figure(out: &mut String, title: &str, unit: &str, series: &[ChartSeries], bucket_s: f64) {
    if series.iter().all(|s| s.points.is_empty()) {
        return;
    }
    let svg = render_svg(
        series,
        &ChartAxes {
            bucket_seconds: bucket_s,
            unit,
            percent: unit.starts_with('%'),
        },
        900,
        240,
    );
    let legend: Vec<String> = series
        .iter()
        .filter(|s| !s.points.is_empty())
        .map(|s| {
            format!(
                "<span style=\"color:rgb({},{},{})\">■</span> {}",
                s.color[0],
                s.color[1],
                s.color[2],
                h(&s.name)
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "<figure><figcaption><b>{}</b> · {}</figcaption>{svg}</figure>",
        h(title),
        legend.join(" ")
    );
}

/// Checks of any report as an HTML table: id, status (a word and a colour), the line for
/// people, and the numbers behind it.
pub fn checks_table(checks: &[Check]) -> String {
    let mut out = String::from(
        "<table><tr><th>check</th><th>status</th><th>detail</th><th>numbers</th></tr>\n",
    );
    for c in checks {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"{}\">{}</td><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td></tr>",
            c.id,
            c.status.as_str(),
            c.status.as_str(),
            h(&c.message),
            h(&c.numbers_text())
        );
    }
    out.push_str("</table>\n");
    out
}

/// Renders the report as HTML.
pub fn render(r: &ExperimentReport) -> String {
    let mut out = String::new();
    out.push_str("<!doctype html><html><head><meta charset=\"utf-8\"><title>Verdict report</title><style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:0.5em 0;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}.pass{color:#009E73}.warn{color:#B07800}.fail{color:#D55E00}.sig{font-weight:bold}figure{margin:1em 0}img{border:1px solid #ddd;max-width:100%}</style></head><body>\n");
    let action = r.recommendation.action.words();
    let class = r.recommendation.action.status().as_str();
    let _ = writeln!(
        out,
        "<h1>Verdict: <span class=\"{class}\">{}</span></h1><ul>",
        h(action)
    );
    for reason in &r.recommendation.reasons {
        let _ = writeln!(out, "<li>{}</li>", h(reason));
    }
    let _ = writeln!(out, "</ul>\n<p><i>{}</i></p>", h(&r.context_line()));
    out.push_str("<h2>Input</h2>\n");
    let _ = writeln!(
        out,
        "<p>Time window: {}</p>",
        h(&r.window
            .as_ref()
            .map_or("no timestamps".to_string(), |w| w.label()))
    );
    let _ = writeln!(out, "<p>Files: {}<br>Format: {} · rows read {}, valid {}, rejected {}, non-event lines skipped {}<br>Control: <b>{}</b> ({}) · primary metric: {} · alpha {}</p>", h(&r.input.files.join(", ")), r.input.format, r.input.rows_read, r.input.rows_valid, r.input.rows_rejected, r.input.lines_skipped, h(&r.control), r.control_source, h(r.primary_metric.as_deref().unwrap_or("none declared")), r.alpha);
    out.push_str("<h2>Checks</h2>\n");
    out.push_str(&checks_table(&r.checks));
    out.push_str("<h2>Groups</h2><table><tr><th>group</th><th>models</th><th>requests</th><th>share</th><th>users</th><th>error rate</th><th>fallbacks</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>AUC</th></tr>\n");
    for g in &r.groups {
        let l = g.latency_ms;
        let ms = |x: Option<f64>| x.map_or("–".into(), super::format::latency_ms);
        let _ = writeln!(out, "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", h(&g.name), h(&g.models.join(", ")), g.requests, super::format::rate(g.share), g.users, super::format::rate(g.error_rate), g.fallbacks, ms(l.map(|l| l.p50)), ms(l.map(|l| l.p95)), ms(l.map(|l| l.p99)), opt(g.auc, 4));
    }
    out.push_str("</table>\n<h2>Tests (treatment − control)</h2>\n");
    let _ = writeln!(
        out,
        "<p>{}</p>",
        h(&super::inference_markdown::inference_line(r))
    );
    tests_table(&mut out, &r.tests, false);
    if let Some(pw) = &r.power {
        let _ = writeln!(
            out,
            "<p>Sample size: {}</p>",
            h(&super::markdown::power_line(pw))
        );
    }
    super::inference_markdown::html(&mut out, r, h);
    let srm = match &r.srm {
        Some(s) => format!(
            "SRM: chi2 = {:.3}, p = {} ({})",
            s.chi2,
            p(Some(s.p_value)),
            if s.mismatch { "mismatch" } else { "ok" }
        ),
        None => "SRM: no declared split for the stages".to_string(),
    };
    let _ = writeln!(
        out,
        "<p>{srm}. Users: {}, in more than one group within a stage: {}, moved at a ramp: {}. Errors not attributed to a group: {}.</p>",
        r.assignment.users,
        r.assignment.users_in_multiple_groups,
        r.assignment.users_moved_at_ramp,
        r.errors_unattributed
    );
    super::stages_markdown::stages_html(&mut out, r, h);
    super::stages_markdown::events_html(&mut out, r, h);
    if !r.timeline.rows.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Timeline</h2><p>{} buckets of {}, UTC.</p>",
            r.timeline.buckets(),
            h(&r.timeline.bucket)
        );
        lift_chart(&mut out, r);
        chart(&mut out, "Traffic", "requests / s", r, |x| Some(x.qps));
        chart(
            &mut out,
            "Traffic share (ramp stages)",
            "% of requests",
            r,
            |x| Some(100.0 * x.share),
        );
        chart(&mut out, "Requests (cumulative)", "requests", r, |x| {
            Some(x.cumulative_requests as f64)
        });
        chart(&mut out, "Error rate", "% of requests", r, |x| {
            Some(100.0 * x.error_rate)
        });
        chart(
            &mut out,
            "Error rate (cumulative)",
            "% of requests",
            r,
            |x| Some(100.0 * x.cumulative_error_rate),
        );
        chart(&mut out, "Latency p99", "ms", r, |x| x.latency_p99);
        for m in &r.metrics {
            chart(
                &mut out,
                &m.name,
                if m.kind == crate::ingest::MetricKind::Proportion {
                    "rate"
                } else {
                    "mean"
                },
                r,
                |x| x.metrics.get(&m.name).copied().flatten(),
            );
            chart(
                &mut out,
                &format!("{} (cumulative)", m.name),
                "mean from the start",
                r,
                |x| x.metrics_cumulative.get(&m.name).copied().flatten(),
            );
        }
    }
    if !r.segments.is_empty() {
        let _ = writeln!(out, "<h2>Segments ({} correction)</h2>", r.correction);
        super::tables::write_html_at(&mut out, &super::tables::segment_tables(r), 3, h);
    }
    let _ = writeln!(
        out,
        "<p style=\"color:#777\">Made by Verdict {}.</p></body></html>",
        r.verdict_version
    );
    out
}
