//! Report tables built once as cells (a title, a sentence, a header, rows) and written as
//! Markdown or HTML sections, so both formats show the same numbers.

use std::fmt::Write;

/// One table: a title, a sentence saying what it shows, a header and rows of cells.
pub struct Table {
    /// Section title.
    pub title: String,
    /// What the table shows, one sentence.
    pub note: String,
    /// Column names.
    pub header: Vec<&'static str>,
    /// Cells.
    pub rows: Vec<Vec<String>>,
}

/// A Markdown table cell: one line, pipes escaped (a traceback never breaks the table).
pub fn md_cell(s: &str) -> String {
    s.replace(['\r', '\n'], " ").replace('|', "\\|")
}

/// Tables as Markdown sections (`##` titles).
pub fn write_markdown(out: &mut String, tables: &[Table]) {
    write_markdown_at(out, tables, 2);
}

/// Tables as Markdown sections with titles at heading `level`; a table without rows says
/// so instead of printing an empty table.
pub fn write_markdown_at(out: &mut String, tables: &[Table], level: usize) {
    for t in tables {
        let _ = writeln!(out, "\n{} {}\n", "#".repeat(level), md_cell(&t.title));
        if !t.note.is_empty() {
            let _ = writeln!(out, "{}\n", t.note);
        }
        if t.rows.is_empty() {
            let _ = writeln!(out, "None.");
            continue;
        }
        let _ = writeln!(out, "| {} |", t.header.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(t.header.len()));
        for row in &t.rows {
            let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
    }
}

/// Tables as HTML sections (`h2` titles).
pub fn write_html(out: &mut String, tables: &[Table], esc: impl Fn(&str) -> String) {
    write_html_at(out, tables, 2, esc);
}

/// Tables as HTML sections with `h{level}` titles; a table without rows says so.
pub fn write_html_at(
    out: &mut String,
    tables: &[Table],
    level: usize,
    esc: impl Fn(&str) -> String,
) {
    for t in tables {
        if t.rows.is_empty() {
            let _ = writeln!(
                out,
                "<h{level}>{}</h{level}>\n<p>{} None.</p>",
                esc(&t.title),
                esc(&t.note)
            );
            continue;
        }
        let _ = writeln!(
            out,
            "<h{level}>{}</h{level}>\n<p>{}</p>\n<table><tr>{}</tr>",
            esc(&t.title),
            esc(&t.note),
            t.header
                .iter()
                .map(|h| format!("<th>{}</th>", esc(h)))
                .collect::<String>()
        );
        for row in &t.rows {
            let _ = writeln!(
                out,
                "<tr>{}</tr>",
                row.iter()
                    .map(|c| format!("<td>{}</td>", esc(c)))
                    .collect::<String>()
            );
        }
        let _ = writeln!(out, "</table>");
    }
}

/// The tests table (control first, as the window): metric, method, groups, values,
/// difference, interval, lift, p (adjusted for segments), significance in words, role.
pub fn tests_table(title: &str, note: &str, tests: &[super::TestResult], adjusted: bool) -> Table {
    use super::format::{diff, opt, p, pct};
    let mut header = vec![
        "metric",
        "method",
        "control",
        "treatment",
        "control value",
        "treatment value",
        "diff",
        "CI",
        "lift",
        "p",
    ];
    if adjusted {
        header.push("p adjusted");
    }
    header.extend(["significant", "role"]);
    let rows = tests
        .iter()
        .map(|t| {
            let mut row = vec![
                t.metric.clone(),
                t.method.to_string(),
                t.control.clone(),
                t.treatment.clone(),
                opt(Some(t.control_value), 4),
                opt(Some(t.treatment_value), 4),
                diff(t.diff),
                format!(
                    "[{}, {}]",
                    t.ci_low.map_or("–".into(), diff),
                    t.ci_high.map_or("–".into(), diff)
                ),
                pct(t.relative_lift),
                p(t.p_value),
            ];
            if adjusted {
                row.push(p(t.p_value_adjusted));
            }
            row.push(t.significance_word().to_string());
            row.push(if t.primary { "primary" } else { "exploratory" }.to_string());
            row
        })
        .collect();
    Table {
        title: title.to_string(),
        note: note.to_string(),
        header,
        rows,
    }
}

/// The segments as one table per (segment column, metric), values as rows (one line, at
/// most 40 characters), with per-arm units and values and unadjusted intervals.
pub fn segment_tables(r: &super::ExperimentReport) -> Vec<Table> {
    use super::format::{count, diff, p, pct, rate, short_text};
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for s in &r.segments {
        for t in &s.tests {
            if !keys.contains(&(s.column.as_str(), t.metric.as_str())) {
                keys.push((s.column.as_str(), t.metric.as_str()));
            }
        }
    }
    let level = (1.0 - r.alpha) * 100.0;
    keys.into_iter()
        .map(|(column, metric)| {
            let proportion = r
                .metrics
                .iter()
                .any(|m| m.name == metric && m.kind == crate::ingest::MetricKind::Proportion);
            let value = |x: f64| {
                if proportion {
                    rate(x)
                } else {
                    super::format::opt(Some(x), 4)
                }
            };
            let rows = r
                .segments
                .iter()
                .filter(|s| s.column == column)
                .flat_map(|s| {
                    s.tests.iter().filter(|t| t.metric == metric).map(move |t| (s, t))
                })
                .map(|(s, t)| {
                    vec![
                        short_text(&s.value, 40),
                        t.treatment.clone(),
                        count(s.requests),
                        count(t.units_control.unwrap_or(t.control_n)),
                        count(t.units_treatment.unwrap_or(t.treatment_n)),
                        value(t.control_value),
                        value(t.treatment_value),
                        diff(t.diff),
                        pct(t.relative_lift),
                        format!(
                            "[{}, {}]",
                            pct(t.relative_lift_ci_low),
                            pct(t.relative_lift_ci_high)
                        ),
                        p(t.p_value),
                        p(t.p_value_adjusted),
                        t.significance_word().to_string(),
                    ]
                })
                .collect();
            Table {
                title: format!("{metric} by {column}"),
                note: format!(
                    "Treatment − control within each value of {column}; intervals are each value's own {level:.0}% interval (unadjusted), \"significant\" reads the {}-adjusted p.",
                    r.correction
                ),
                header: vec![
                    "value",
                    "treatment",
                    "requests",
                    "control n",
                    "treatment n",
                    "control value",
                    "treatment value",
                    "diff",
                    "lift",
                    "lift interval (unadjusted)",
                    "p",
                    "p adjusted",
                    "significant",
                ],
                rows,
            }
        })
        .collect()
}
