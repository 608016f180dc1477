//! The unit and the allocation stages of an experiment report, as Markdown and HTML.

use super::format::{opt, p};
use super::ExperimentReport;
use std::fmt::Write;

/// `A 12 · B 30` from per-group numbers.
fn per_group<T: std::fmt::Display>(m: &std::collections::BTreeMap<String, T>) -> String {
    m.iter()
        .map(|(g, v)| format!("{g} {v}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn shares(m: &std::collections::BTreeMap<String, f64>) -> String {
    m.iter()
        .map(|(g, v)| format!("{g} {:.2}%", v * 100.0))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// One line of text per stage: its cells in order.
fn stage_cells(r: &ExperimentReport) -> Vec<[String; 8]> {
    r.stages
        .iter()
        .map(|s| {
            let primary = s
                .tests
                .iter()
                .find(|t| t.primary)
                .or(s.tests.first())
                .map(|t| {
                    format!(
                        "{} {:+.4} [{}, {}] p {}",
                        t.metric,
                        t.diff,
                        opt(t.ci_low, 4),
                        opt(t.ci_high, 4),
                        p(t.p_value)
                    )
                })
                .unwrap_or_else(|| "–".into());
            [
                s.index.to_string(),
                s.start.clone(),
                s.end.clone(),
                s.requests.to_string(),
                per_group(&s.units),
                format!(
                    "{} (expected {})",
                    shares(&s.observed_share),
                    s.expected_share.as_ref().map(shares).unwrap_or("–".into())
                ),
                match (&s.srm, &s.srm_reason) {
                    (Some(x), _) => format!(
                        "chi2 {:.3}, p {}{}",
                        x.chi2,
                        p(Some(x.p_value)),
                        if x.mismatch { " MISMATCH" } else { "" }
                    ),
                    (None, Some(why)) => why.clone(),
                    (None, None) => "–".into(),
                },
                primary,
            ]
        })
        .collect()
}

const HEADERS: [&str; 8] = [
    "stage",
    "start",
    "end",
    "requests",
    "units",
    "share of units",
    "SRM",
    "effect in the stage",
];

fn unit_line(r: &ExperimentReport) -> String {
    format!(
        "Unit: {}{} ({}). {} stage(s).",
        r.unit.kind,
        r.unit
            .column
            .as_ref()
            .map(|c| format!(" `{c}`"))
            .unwrap_or_default(),
        r.unit.source,
        r.stages.len()
    )
}

/// The Markdown section.
pub fn stages_section(out: &mut String, r: &ExperimentReport) {
    let _ = writeln!(out, "\n## Unit and stages\n\n{}\n", unit_line(r));
    let _ = writeln!(out, "| {} |", HEADERS.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(HEADERS.len()));
    for cells in stage_cells(r) {
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    for t in r.tests.iter().filter(|t| t.heterogeneity.is_some()) {
        if let Some(h) = t.heterogeneity {
            let _ = writeln!(
                out,
                "\n{} ({} vs {}): {} stages combined, Cochran's Q = {:.3}, df = {}, p = {}, I² = {:.1}%",
                t.metric,
                t.treatment,
                t.control,
                t.stages_combined,
                h.q,
                h.df,
                p(Some(h.p_value)),
                h.i2 * 100.0
            );
        }
    }
}

/// What the events sections say about them.
const EVENTS_INTRO: &str = "rows are the service's own events (no group, error or prediction): listed here, not analysed and not rejected.";

/// Events listed in a report section.
const EVENTS_SHOWN: usize = 20;

/// One event's cells: time, name, file:line.
fn event_cells(r: &ExperimentReport) -> impl Iterator<Item = [String; 3]> + '_ {
    r.events.iter().take(EVENTS_SHOWN).map(|e| {
        [
            e.time.clone().unwrap_or_else(|| "–".into()),
            e.name.clone(),
            format!("{}:{}", e.file, e.line),
        ]
    })
}

/// The service events as Markdown (the first 20).
pub fn events_section(out: &mut String, r: &ExperimentReport) {
    if r.events_total == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "\n## Service events\n\n{} {EVENTS_INTRO}\n\n| time | event | file:line |\n|---|---|---|",
        r.events_total
    );
    for cells in event_cells(r) {
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

/// The HTML section.
pub fn stages_html(out: &mut String, r: &ExperimentReport, esc: impl Fn(&str) -> String) {
    let _ = writeln!(
        out,
        "<h2>Unit and stages</h2>\n<p>{}</p>\n<table><tr>{}</tr>",
        esc(&unit_line(r)),
        HEADERS
            .iter()
            .map(|h| format!("<th>{h}</th>"))
            .collect::<String>()
    );
    for cells in stage_cells(r) {
        let _ = writeln!(
            out,
            "<tr>{}</tr>",
            cells
                .iter()
                .map(|c| format!("<td>{}</td>", esc(c)))
                .collect::<String>()
        );
    }
    let _ = writeln!(out, "</table>");
}

/// The service events as HTML (the first 20).
pub fn events_html(out: &mut String, r: &ExperimentReport, esc: impl Fn(&str) -> String) {
    if r.events_total == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "<h2>Service events</h2>\n<p>{} {EVENTS_INTRO}</p>\n<table><tr><th>time</th><th>event</th><th>file:line</th></tr>",
        r.events_total
    );
    for cells in event_cells(r) {
        let _ = writeln!(
            out,
            "<tr>{}</tr>",
            cells
                .iter()
                .map(|c| format!("<td>{}</td>", esc(c)))
                .collect::<String>()
        );
    }
    let _ = writeln!(out, "</table>");
}
