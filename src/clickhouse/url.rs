//! `clickhouse://HOST[:PORT]/DB.TABLE` (also `/TABLE` for the `default` database). A user may
//! be given in the address (`clickhouse://analyst@host/db.t`); a password may not — it would
//! end up in shell history and logs.

use super::error::ClickHouseError;

/// A table on a ClickHouse server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableUrl {
    /// Host name or address.
    pub host: String,
    /// HTTP port (8123 by default).
    pub port: u16,
    /// Database.
    pub database: String,
    /// Table.
    pub table: String,
    /// A user named in the address.
    pub user: Option<String>,
}

impl TableUrl {
    /// Whether a path looks like a ClickHouse address.
    pub fn is_clickhouse(text: &str) -> bool {
        text.starts_with("clickhouse://")
    }

    /// Parses an address; the error never repeats a password.
    pub fn parse(text: &str) -> Result<Self, ClickHouseError> {
        let bad = |problem: &str| ClickHouseError::Url {
            url: redact(text),
            problem: problem.to_string(),
        };
        let rest = text
            .strip_prefix("clickhouse://")
            .ok_or_else(|| bad("a ClickHouse address starts with clickhouse://"))?;
        let (authority, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("name the table: clickhouse://HOST:8123/DB.TABLE"))?;
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => {
                if u.contains(':') {
                    return Err(bad(
                        "a password in the address would be kept in shell history and logs: give --user and set VERDICT_CLICKHOUSE_PASSWORD (or a 0600 config file) instead",
                    ));
                }
                (Some(u.to_string()), h)
            }
            None => (None, authority),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse::<u16>()
                    .map_err(|_| bad(&format!("port {p:?} is not a number")))?,
            ),
            None => (hostport.to_string(), 8123),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let path = path.split(['?', '#']).next().unwrap_or("");
        let (database, table) = match path.split_once('.') {
            Some((d, t)) => (d.to_string(), t.to_string()),
            None => ("default".to_string(), path.to_string()),
        };
        if table.is_empty() || database.is_empty() {
            return Err(bad("name the table: clickhouse://HOST:8123/DB.TABLE"));
        }
        Ok(Self {
            host,
            port,
            database,
            table,
            user: user.filter(|u| !u.is_empty()),
        })
    }

    /// `host:port`, for messages.
    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The address without credentials, for messages and reports.
    pub fn shown(&self) -> String {
        format!(
            "clickhouse://{}:{}/{}.{}",
            self.host, self.port, self.database, self.table
        )
    }
}

/// An address with anything between `://` and `@` removed.
pub fn redact(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(a), Some(b)) if b > a => format!("{}://{}", &text[..a], &text[b + 1..]),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let u = TableUrl::parse("clickhouse://ch.internal:9123/logs.predictions").unwrap();
        assert_eq!(
            (
                u.host.as_str(),
                u.port,
                u.database.as_str(),
                u.table.as_str()
            ),
            ("ch.internal", 9123, "logs", "predictions")
        );
        let u = TableUrl::parse("clickhouse://analyst@localhost/events").unwrap();
        assert_eq!(u.port, 8123);
        assert_eq!(u.database, "default");
        assert_eq!(u.user.as_deref(), Some("analyst"));
        let e = TableUrl::parse("clickhouse://bob:hunter2@h/db.t")
            .unwrap_err()
            .to_string();
        assert!(
            !e.contains("hunter2") && e.contains("VERDICT_CLICKHOUSE_PASSWORD"),
            "{e}"
        );
        assert!(TableUrl::parse("clickhouse://h:80").is_err());
        assert!(TableUrl::parse("clickhouse://h:x/db.t").is_err());
        assert_eq!(redact("clickhouse://a:b@h/db.t"), "clickhouse://h/db.t");
    }
}
