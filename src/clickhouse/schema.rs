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

/// Rows sampled to infer roles (like reading the head of a file).
pub const ROLE_SAMPLE_ROWS: u64 = 20_000;

/// The table's roles, inferred as for files: the first [`ROLE_SAMPLE_ROWS`] rows are read
/// through the same parser and role inference as a JSON-lines file, then the overrides
/// apply; the timestamp's unit comes from its ClickHouse type (or, for integers, from the
/// magnitude of the sampled values).
pub fn infer_roles(
    client: &Client,
    url: &TableUrl,
    overrides: &crate::ingest::RoleOverrides,
) -> Result<super::aggregates::Roles, ClickHouseError> {
    let (raw, columns) = sample(client, url)?;
    roles_of_sample(client, url, &raw, &columns, overrides)
}

/// The first [`ROLE_SAMPLE_ROWS`] rows of the table read as a JSON-lines file would be
/// (the window shows them in the Data view), and the table's columns.
pub fn sample(
    client: &Client,
    url: &TableUrl,
) -> Result<(crate::ingest::RawLoad, Vec<Column>), ClickHouseError> {
    let columns = describe(client, url)?;
    let sample = client.query(
        &format!(
            "SELECT * FROM {} LIMIT {ROLE_SAMPLE_ROWS}",
            sql::table(&url.database, &url.table)
        ),
        "JSONEachRow",
    )?;
    let server = client.server();
    let answer = |problem: String| ClickHouseError::Answer {
        server: server.clone(),
        problem,
    };
    let dir = crate::private_dir::create("verdict-clickhouse-sample")
        .map_err(|e| answer(format!("cannot write the sample: {e}")))?;
    let file = dir.join("sample.jsonl");
    std::fs::write(&file, sample.body.as_bytes())
        .map_err(|e| answer(format!("cannot write the sample: {e}")))?;
    let raw = crate::ingest::read_raw(
        &[file.display().to_string()],
        &|_| {},
        &std::sync::atomic::AtomicBool::new(false),
    );
    let _ = std::fs::remove_dir_all(&dir);
    let mut raw = raw.map_err(|e| answer(format!("the sampled rows: {e}")))?;
    raw.files = vec![url.shown()];
    Ok((raw, columns))
}

/// The table's roles from its sampled rows and columns (see [`infer_roles`]).
pub fn roles_of_sample(
    client: &Client,
    url: &TableUrl,
    raw: &crate::ingest::RawLoad,
    columns: &[Column],
    overrides: &crate::ingest::RoleOverrides,
) -> Result<super::aggregates::Roles, ClickHouseError> {
    use crate::ingest::Role;
    let roles = crate::ingest::roles::infer(&raw.table, overrides);
    let group =
        roles
            .get(Role::Group)
            .map(str::to_string)
            .ok_or_else(|| ClickHouseError::Input {
                server: client.server(),
                problem: format!(
                    "{}: no group column found among {} (name one with --column group=NAME)",
                    url.shown(),
                    columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
    let kind_of = |name: &str| columns.iter().find(|c| c.name == name);
    let timestamp = roles.get(Role::Timestamp).map(str::to_string);
    let time_unit = match timestamp.as_deref().and_then(kind_of) {
        Some(c) if c.kind() == Kind::Number => {
            // by magnitude of the sampled values, as for files
            let max = raw
                .table
                .columns
                .iter()
                .find(|x| Some(&x.name) == timestamp.as_ref())
                .and_then(|x| match &x.data {
                    crate::ingest::table::RawData::Num { values, .. } => {
                        values.iter().flatten().map(f64::abs).reduce(f64::max)
                    }
                    _ => None,
                })
                .unwrap_or(0.0);
            if max < 1e11 {
                super::aggregates::TimeUnit::Seconds
            } else if max < 1e14 {
                super::aggregates::TimeUnit::Millis
            } else {
                super::aggregates::TimeUnit::Micros
            }
        }
        _ => super::aggregates::TimeUnit::DateTime,
    };
    // only columns the table has (a nested JSON field is not a column)
    let has = |n: &String| columns.iter().any(|c| &c.name == n);
    Ok(super::aggregates::Roles {
        group,
        user: roles.get(Role::UserId).map(str::to_string),
        timestamp,
        time_unit,
        latency: roles.get(Role::Latency).map(str::to_string),
        error: roles.get(Role::Error).map(str::to_string),
        model: roles.get(Role::Model).map(str::to_string),
        version: roles.get(Role::Version).map(str::to_string),
        score: roles
            .get(Role::Score)
            .map(str::to_string)
            .filter(|c| has(c)),
        label: roles
            .get(Role::Label)
            .map(str::to_string)
            .filter(|c| has(c)),
        metrics: roles.metrics.iter().filter(|m| has(m)).cloned().collect(),
        segments: roles.segments.iter().filter(|m| has(m)).cloned().collect(),
    })
}

/// The tables of a database (`SHOW TABLES`), sorted.
pub fn tables(client: &Client, database: &str) -> Result<Vec<String>, ClickHouseError> {
    let r = client.query(
        &format!("SHOW TABLES FROM {}", sql::ident(database)),
        "TabSeparated",
    )?;
    let mut out: Vec<String> = r
        .body
        .lines()
        .filter(|l| !l.is_empty())
        .map(unescape_tsv)
        .collect();
    out.sort();
    Ok(out)
}

/// The server's version (`SELECT version()`): a connection test.
pub fn version(client: &Client) -> Result<String, ClickHouseError> {
    let r = client.query("SELECT version()", "TabSeparated")?;
    Ok(r.body.trim().to_string())
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
