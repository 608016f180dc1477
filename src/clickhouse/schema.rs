//! The table's columns from `DESCRIBE TABLE` (name and ClickHouse type), and which of them
//! hold numbers, text or times.

use super::error::ClickHouseError;
use super::http::Client;
use super::sql;
use super::url::TableUrl;

/// A column of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Name.
    pub name: String,
    /// ClickHouse type, e.g. `Nullable(Float64)`, `LowCardinality(String)`, `DateTime`.
    pub ty: String,
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Integers, floats, decimals.
    Number,
    /// Strings, enums, UUIDs.
    Text,
    /// Date or DateTime.
    Time,
    /// Arrays, maps, tuples...
    Other,
}

impl Column {
    /// The type without `Nullable(...)` / `LowCardinality(...)`.
    pub fn base_type(&self) -> &str {
        let mut t = self.ty.trim();
        loop {
            let inner = ["Nullable(", "LowCardinality("]
                .iter()
                .find_map(|w| t.strip_prefix(w).and_then(|r| r.strip_suffix(')')));
            match inner {
                Some(i) => t = i.trim(),
                None => return t,
            }
        }
    }

    /// What the column holds.
    pub fn kind(&self) -> Kind {
        let t = self.base_type();
        if t.starts_with("Int")
            || t.starts_with("UInt")
            || t.starts_with("Float")
            || t.starts_with("Decimal")
        {
            Kind::Number
        } else if t.starts_with("DateTime") || t == "Date" || t.starts_with("Date32") {
            Kind::Time
        } else if t.starts_with("String")
            || t.starts_with("FixedString")
            || t.starts_with("Enum")
            || t == "UUID"
        {
            Kind::Text
        } else {
            Kind::Other
        }
    }
}

/// TSV unescaping (`\t`, `\n`, `\\` ...).
pub fn unescape_tsv(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut it = field.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// The columns of the table; a missing table is an error naming it (the server's message).
pub fn describe(client: &Client, url: &TableUrl) -> Result<Vec<Column>, ClickHouseError> {
    let r = client.query(
        &format!("DESCRIBE TABLE {}", sql::table(&url.database, &url.table)),
        "TabSeparated",
    )?;
    Ok(r.body
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            Column {
                name: unescape_tsv(f.next().unwrap_or("")),
                ty: unescape_tsv(f.next().unwrap_or("")),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types() {
        let c = |t: &str| Column {
            name: "x".into(),
            ty: t.into(),
        };
        assert_eq!(c("Nullable(Float64)").kind(), Kind::Number);
        assert_eq!(c("LowCardinality(Nullable(String))").kind(), Kind::Text);
        assert_eq!(c("DateTime('UTC')").kind(), Kind::Time);
        assert_eq!(c("DateTime64(3)").kind(), Kind::Time);
        assert_eq!(c("Array(String)").kind(), Kind::Other);
        assert_eq!(unescape_tsv("a\\tb\\\\c"), "a\tb\\c");
    }
}
