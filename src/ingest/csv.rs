//! CSV (and TSV / semicolon) rows. Fields are untyped text; types are inferred per column.

use super::cell::Cell;
use super::rejects::{Reason, Rejects};
use super::table::TableBuilder;
use std::borrow::Cow;

/// Picks the delimiter from a header line: tab, semicolon or comma (most frequent wins).
pub fn sniff_delimiter(header: &str) -> u8 {
    let count = |c: char| header.matches(c).count();
    let (tabs, semis, commas) = (count('\t'), count(';'), count(','));
    if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    }
}

/// Parses the header record of a CSV file.
pub fn parse_header(text: &str, delimiter: u8) -> Vec<String> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let raw: Vec<String> = match rdr.records().next() {
        Some(Ok(rec)) => rec
            .iter()
            .map(|s| s.trim().trim_start_matches('\u{feff}').trim().to_string())
            .collect(),
        _ => return vec![],
    };
    // pandas writes its index with an empty name; duplicates get a suffix
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, name) in raw.into_iter().enumerate() {
        let mut name = if name.is_empty() {
            if i == 0 {
                "index".to_string()
            } else {
                format!("column_{}", i + 1)
            }
        } else {
            name
        };
        if out.contains(&name) {
            let base = name.clone();
            let mut k = 2;
            while out.contains(&name) {
                name = format!("{base}_{k}");
                k += 1;
            }
        }
        out.push(name);
    }
    out
}

/// Parses a block of CSV records (no header) starting at 1-based line `first_line`.
pub fn parse_block(
    block: &[u8],
    first_line: u64,
    header: &[String],
    delimiter: u8,
    file: u32,
    table: &mut TableBuilder,
    rejects: &mut Rejects,
) {
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(block);
    let mut record = ::csv::StringRecord::new();
    loop {
        let line = first_line + rdr.position().line().saturating_sub(1);
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
                    rejects.add(file, line, Reason::EmptyLine, "empty line".into());
                    continue;
                }
                if record.len() != header.len() {
                    rejects.add(
                        file,
                        line,
                        Reason::BadRecord,
                        format!("{} fields, header has {}", record.len(), header.len()),
                    );
                    continue;
                }
                let mut cells: Vec<(&str, Cell)> = Vec::with_capacity(header.len());
                for (name, field) in header.iter().zip(record.iter()) {
                    let f = field.trim();
                    let cell = if f.is_empty() || f == "NA" || f == "null" {
                        Cell::Null
                    } else {
                        Cell::Text(Cow::Borrowed(f))
                    };
                    cells.push((name.as_str(), cell));
                }
                table.push_row(line, &cells);
            }
            Err(e) => {
                rejects.add(
                    file,
                    line,
                    Reason::BadRecord,
                    format!("unreadable CSV record: {e}"),
                );
                if matches!(e.kind(), ::csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pandas_index_and_duplicate_names() {
        assert_eq!(
            parse_header(",a,b,a\n", b','),
            vec!["index", "a", "b", "a_2"]
        );
        assert_eq!(sniff_delimiter("a;b;c"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
    }
}
