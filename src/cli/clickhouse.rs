//! `verdict analyze clickhouse://HOST:8123/DB.TABLE`: the connection, the table's roles
//! and the time range from the flags; the analysis itself is `clickhouse::report`.

use super::analyze::AnalyzeArgs;
use super::CliError;
use crate::analysis::AnalysisConfig;
use crate::clickhouse::aggregates::Source;
use crate::clickhouse::{schema, Client, Credentials, TableUrl};
use crate::ingest::LoadOptions;
use crate::report::ExperimentReport;
use std::io::IsTerminal;

/// Seconds since the epoch of a `--from`/`--to` value.
fn seconds(flag: &'static str, value: &str) -> Result<i64, CliError> {
    crate::plan::rollout::timestamp_us(flag, value)
        .map(|us| us.div_euclid(1_000_000))
        .map_err(|e| CliError::Flag {
            flag,
            value: format!("{value:?}"),
            problem: e.to_string(),
        })
}

/// Connects, infers the roles from a sample of the table (the flags' and plan's columns
/// win) and runs the pushed-down analysis; a summary of what came back goes to stderr.
pub fn analyze(
    address: &str,
    args: &AnalyzeArgs,
    load: &LoadOptions,
    cfg: &AnalysisConfig,
) -> Result<ExperimentReport, CliError> {
    let url = TableUrl::parse(address)?;
    let flags = &args.clickhouse;
    let client = flags.client(&url)?;
    let roles = schema::infer_roles(&client, &url, &load.overrides)?;
    let src = flags.source(&client, &url)?;
    let tty = std::io::stderr().is_terminal();
    let progress = |step: &str, done: f32| {
        if tty {
            eprint!(
                "\r\x1b[2Kverdict: {}: {step}... {:.0}%",
                url.shown(),
                done * 100.0
            );
        }
    };
    let never = std::sync::atomic::AtomicBool::new(false);
    let report = crate::clickhouse::report::analyze(&src, &roles, cfg, &progress, &never)?;
    if tty {
        eprint!("\r\x1b[2K");
    }
    if let Some(b) = &report.backend {
        eprintln!(
            "verdict: {}: {} queries, {:.1} kB of aggregates back",
            url.shown(),
            b.queries,
            b.bytes_received as f64 / 1000.0
        );
    }
    Ok(report)
}

/// The ClickHouse flags `analyze` and `drift` share.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ClickHouseFlags {
    /// ClickHouse: one condition on the table's rows, e.g. "region = 'eu'".
    #[arg(long = "where")]
    pub where_sql: Option<String>,
    /// ClickHouse: rows at or after this time (ISO 8601 or a date).
    #[arg(long)]
    pub from: Option<String>,
    /// ClickHouse: rows before this time.
    #[arg(long)]
    pub to: Option<String>,
    /// ClickHouse user (the password comes from VERDICT_CLICKHOUSE_PASSWORD or a 0600
    /// config file, never from the command line).
    #[arg(long)]
    pub user: Option<String>,
}

impl ClickHouseFlags {
    /// Any of the row flags given (they apply to ClickHouse tables only).
    pub fn selects_rows(&self) -> bool {
        self.where_sql.is_some() || self.from.is_some() || self.to.is_some()
    }

    /// A client for the table's server with the user of the flag (else of the address).
    fn client(&self, url: &TableUrl) -> Result<Client, CliError> {
        let credentials = Credentials::resolve(self.user.clone().or_else(|| url.user.clone()))?;
        Ok(Client::new(&url.host, url.port, credentials))
    }

    /// The rows the flags select of a table reached through `client`.
    fn source<'a>(&self, client: &'a Client, url: &'a TableUrl) -> Result<Source<'a>, CliError> {
        Ok(Source {
            client,
            url,
            filter: self.where_sql.clone(),
            from_s: self
                .from
                .as_deref()
                .map(|v| seconds("--from", v))
                .transpose()?,
            to_s: self.to.as_deref().map(|v| seconds("--to", v)).transpose()?,
        })
    }
}

/// Rows `verdict drift` reads from a ClickHouse table (binned drift statistics computed on
/// the server are not there yet: a table that fits is compared exactly, as a file).
pub const DRIFT_MAX_ROWS: u64 = 2_000_000;

/// A table's rows written to a private temp folder.
pub struct Fetched {
    /// The JSON-lines file.
    pub file: std::path::PathBuf,
    /// Its folder (removed by the caller).
    pub dir: std::path::PathBuf,
    /// The table's address as shown.
    pub shown: String,
}

/// Reads the rows the flags select (at most [`DRIFT_MAX_ROWS`]; more is an error naming
/// the table and how to narrow it) into a private temp file.
pub fn fetch_rows(address: &str, remote: &ClickHouseFlags) -> Result<Fetched, CliError> {
    use crate::clickhouse::sql;
    let url = TableUrl::parse(address)?;
    let client = remote.client(&url)?;
    let overrides = crate::ingest::RoleOverrides::default();
    let roles = schema::infer_roles(&client, &url, &overrides)?;
    let src = remote.source(&client, &url)?;
    let table = sql::table(&url.database, &url.table);
    let w = src.where_clause(&roles)?;
    let n = client
        .query(
            &format!("SELECT count() FROM {table} WHERE {w}"),
            "TabSeparated",
        )?
        .body
        .trim()
        .parse::<u64>()
        .unwrap_or(0);
    if n > DRIFT_MAX_ROWS {
        return Err(CliError::Flag {
            flag: "drift",
            value: url.shown(),
            problem: format!(
                "{n} rows: drift reads at most {DRIFT_MAX_ROWS} rows of a ClickHouse table for now; narrow them with --where, --from and --to"
            ),
        });
    }
    let body = client
        .query(&format!("SELECT * FROM {table} WHERE {w}"), "JSONEachRow")?
        .body;
    let dir =
        crate::private_dir::create("verdict-clickhouse-drift").map_err(|e| CliError::Flag {
            flag: "drift",
            value: url.shown(),
            problem: format!("cannot write the rows to a temp folder: {e}"),
        })?;
    let file = dir.join(format!("{}.jsonl", url.table.replace(['/', '\\'], "_")));
    std::fs::write(&file, body.as_bytes()).map_err(|source| CliError::Write {
        file: file.display().to_string(),
        source,
    })?;
    Ok(Fetched {
        file,
        dir,
        shown: url.shown(),
    })
}
