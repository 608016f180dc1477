//! A small HTTP/1.0 client for ClickHouse's HTTP interface, on the standard library: one
//! POST per query (the SQL in the body, settings in the query string, `readonly=1` always),
//! credentials in `X-ClickHouse-User` / `X-ClickHouse-Key` headers (never in the URL),
//! connect and read timeouts, the server's own error message on failure, and the bytes
//! received counted. HTTP/1.0 makes the server close the connection after the body, so no
//! chunked decoding is needed.

use super::credentials::Credentials;
use super::error::ClickHouseError;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A connection to one server (a new TCP connection per query).
#[derive(Debug)]
pub struct Client {
    host: String,
    port: u16,
    credentials: Credentials,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Read timeout (a query that runs longer fails with a clear message).
    pub read_timeout: Duration,
    received: AtomicU64,
    queries: AtomicU64,
}

/// A query's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The body.
    pub body: String,
    /// Bytes received (headers and body).
    pub bytes: u64,
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Client {
    /// A client for `host:port`.
    pub fn new(host: &str, port: u16, credentials: Credentials) -> Self {
        Self {
            host: host.to_string(),
            port,
            credentials,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(600),
            received: AtomicU64::new(0),
            queries: AtomicU64::new(0),
        }
    }

    /// `host:port`, for messages.
    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Bytes received so far by this client.
    pub fn bytes_received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// (queries sent, bytes of answers received) so far.
    pub fn usage(&self) -> (u64, u64) {
        (self.queries(), self.bytes_received())
    }

    /// Queries sent so far.
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Runs one read-only query with `format` (e.g. `TSV`, `JSONEachRow`).
    pub fn query(&self, sql: &str, format: &str) -> Result<Response, ClickHouseError> {
        let server = self.server();
        let unreachable = |problem: String| ClickHouseError::Unreachable {
            server: server.clone(),
            problem,
        };
        let addr = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| unreachable(format!("cannot resolve the host: {e}")))?
            .next()
            .ok_or_else(|| unreachable("the host resolves to no address".into()))?;
        let mut stream = TcpStream::connect_timeout(&addr, self.connect_timeout)
            .map_err(|e| unreachable(format!("cannot connect: {e}")))?;
        let _ = stream.set_read_timeout(Some(self.read_timeout));
        let _ = stream.set_write_timeout(Some(self.read_timeout));
        let path = format!(
            "/?readonly=1&default_format={}&output_format_json_quote_64bit_integers=0&database=default",
            percent_encode(format)
        );
        let mut head = format!(
            "POST {path} HTTP/1.0\r\nHost: {}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\n",
            self.host,
            sql.len()
        );
        if let Some(u) = &self.credentials.user {
            head.push_str(&format!("X-ClickHouse-User: {}\r\n", header_safe(u)));
        }
        if let Some(p) = self.credentials.password() {
            head.push_str(&format!("X-ClickHouse-Key: {}\r\n", header_safe(p)));
        }
        head.push_str("\r\n");
        stream
            .write_all(head.as_bytes())
            .and_then(|_| stream.write_all(sql.as_bytes()))
            .map_err(|e| unreachable(format!("cannot send the query: {e}")))?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(|e| {
            unreachable(
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) {
                    format!("no answer within {} s", self.read_timeout.as_secs())
                } else {
                    format!("the connection broke: {e}")
                },
            )
        })?;
        self.received.fetch_add(raw.len() as u64, Ordering::Relaxed);
        self.queries.fetch_add(1, Ordering::Relaxed);
        let answer = |problem: &str| ClickHouseError::Answer {
            server: server.clone(),
            problem: problem.to_string(),
        };
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| answer("no HTTP headers (is this ClickHouse's HTTP port?)"))?;
        let headers = String::from_utf8_lossy(&raw[..split]).into_owned();
        let body = String::from_utf8_lossy(&raw[split + 4..]).into_owned();
        let status: u16 = headers
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| answer("no HTTP status line"))?;
        if status != 200 {
            return Err(ClickHouseError::Server {
                server,
                status,
                message: first_line(&body),
            });
        }
        Ok(Response {
            body,
            bytes: raw.len() as u64,
        })
    }
}

/// A header value without line breaks (a user name cannot add headers).
fn header_safe(v: &str) -> String {
    v.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

/// ClickHouse's error, first line, without its stack-trace suffix.
fn first_line(body: &str) -> String {
    let l = body.lines().next().unwrap_or("").trim();
    let l = l.split(", e.what() = ").next().unwrap_or(l);
    let l = l.split(" (version ").next().unwrap_or(l);
    if l.is_empty() {
        "empty error body".into()
    } else {
        l.chars().take(400).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_one_line_and_values_cannot_break_headers() {
        assert_eq!(
            first_line("Code: 60, e.displayText() = DB::Exception: Table db.t doesn't exist., e.what() = DB::Exception\n"),
            "Code: 60, e.displayText() = DB::Exception: Table db.t doesn't exist."
        );
        assert_eq!(header_safe("bob\r\nX-Evil: 1"), "bobX-Evil: 1");
        assert_eq!(percent_encode("JSONEachRow"), "JSONEachRow");
        let c = Client::new("127.0.0.1", 1, Credentials::default());
        let e = c.query("SELECT 1", "TSV").unwrap_err().to_string();
        assert!(e.starts_with("127.0.0.1:1: cannot connect"), "{e}");
    }
}
