//! The unit and the allocation stages of an experiment report, as Markdown and HTML.

use super::format::p;
use super::tables::{write_html, write_markdown, Table};
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
                        "{} {} [{}, {}] p {}",
                        t.metric,
                        super::format::diff(t.diff),
                        t.ci_low.map_or("–".into(), super::format::diff),
                        t.ci_high.map_or("–".into(), super::format::diff),
                        p(t.p_value)
                    )
                })
                .unwrap_or_else(|| "–".into());
            [
                s.index.to_string(),
                super::format::iso_to_second(&s.start),
                super::format::iso_to_second(&s.end),
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

/// The stages as a table.
fn stages_table(r: &ExperimentReport) -> Table {
    Table {
        title: "Unit and stages".into(),
        note: unit_line(r),
        header: HEADERS.to_vec(),
        rows: stage_cells(r).into_iter().map(|c| c.to_vec()).collect(),
    }
}

/// The Markdown section: the stages, then Cochran's Q of each combined test.
pub fn stages_section(out: &mut String, r: &ExperimentReport) {
    write_markdown(out, &[stages_table(r)]);
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

/// The first service events as a table (None without any).
fn events_table(r: &ExperimentReport) -> Option<Table> {
    (r.events_total > 0).then(|| Table {
        title: "Service events".into(),
        note: format!("{} {EVENTS_INTRO}", r.events_total),
        header: vec!["time", "event", "file:line"],
        rows: r
            .events
            .iter()
            .take(EVENTS_SHOWN)
            .map(|e| {
                vec![
                    e.time.clone().unwrap_or_else(|| "–".into()),
                    e.name.clone(),
                    format!("{}:{}", e.file, e.line),
                ]
            })
            .collect(),
    })
}

/// The service events as Markdown (the first 20).
pub fn events_section(out: &mut String, r: &ExperimentReport) {
    write_markdown(out, events_table(r).as_slice());
}

/// The HTML section.
pub fn stages_html(out: &mut String, r: &ExperimentReport, esc: impl Fn(&str) -> String) {
    write_html(out, &[stages_table(r)], esc);
}

/// The service events as HTML (the first 20).
pub fn events_html(out: &mut String, r: &ExperimentReport, esc: impl Fn(&str) -> String) {
    write_html(out, events_table(r).as_slice(), esc);
}
