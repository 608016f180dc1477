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

/// Tables as Markdown sections.
pub fn write_markdown(out: &mut String, tables: &[Table]) {
    for t in tables {
        let _ = writeln!(out, "\n## {}\n\n{}\n", t.title, t.note);
        let _ = writeln!(out, "| {} |", t.header.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(t.header.len()));
        for row in &t.rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
    }
}

/// Tables as HTML sections.
pub fn write_html(out: &mut String, tables: &[Table], esc: impl Fn(&str) -> String) {
    for t in tables {
        let _ = writeln!(
            out,
            "<h2>{}</h2>\n<p>{}</p>\n<table><tr>{}</tr>",
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
