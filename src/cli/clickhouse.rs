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
            since_us: None,
            spill: None,
        })
    }
}

/// Rows `verdict drift` reads from a ClickHouse table to compare them exactly, as a file;
/// a larger selection (or `--binned`) is compared on the server from counts.
pub const DRIFT_MAX_ROWS: u64 = 2_000_000;

/// Rows of the sample that chooses a binned comparison's columns and sections.
pub const DRIFT_SAMPLE_ROWS: u64 = 100_000;

/// Rows the flags select of a table.
pub fn selected_rows(address: &str, remote: &ClickHouseFlags) -> Result<u64, CliError> {
    let url = TableUrl::parse(address)?;
    let client = remote.client(&url)?;
    let roles = schema::infer_roles(&client, &url, &crate::ingest::RoleOverrides::default())?;
    let src = remote.source(&client, &url)?;
    let table = crate::clickhouse::sql::table(&url.database, &url.table);
    let w = src.where_clause(&roles)?;
    Ok(client
        .query(
            &format!("SELECT count() FROM {table} WHERE {w}"),
            "TabSeparated",
        )?
        .body
        .trim()
        .parse::<u64>()
        .unwrap_or(0))
}

/// How a binned comparison splits: one table by time, or two tables.
pub enum BinnedSplit<'a> {
    /// One table split at a time (µs) or by a trailing window (µs, with its text).
    Time(
        &'a str,
        crate::analysis::drift::split::TimeSplitSpec,
        Option<String>,
    ),
    /// Reference and current tables.
    Tables(&'a str, &'a str),
}

/// The first [`DRIFT_SAMPLE_ROWS`] rows of a table's selection, parsed as a file would be
/// (through a private temp file, removed at once).
fn read_sample(
    src: &Source,
    url: &TableUrl,
    roles: &crate::clickhouse::aggregates::Roles,
) -> Result<crate::ingest::RawLoad, CliError> {
    let table = crate::clickhouse::sql::table(&url.database, &url.table);
    let body = src
        .client
        .query(
            &format!(
                "SELECT * FROM {table} WHERE {w} LIMIT {DRIFT_SAMPLE_ROWS}",
                w = src.where_clause(roles)?
            ),
            "JSONEachRow",
        )?
        .body;
    let dir =
        crate::private_dir::create("verdict-clickhouse-sample").map_err(|e| CliError::Flag {
            flag: "drift",
            value: url.shown(),
            problem: format!("cannot write the sample to a temp folder: {e}"),
        })?;
    let file = dir.join("sample.jsonl");
    let read = std::fs::write(&file, body.as_bytes())
        .map_err(|source| CliError::Write {
            file: file.display().to_string(),
            source,
        })
        .and_then(|_| {
            crate::ingest::read_raw(
                &[file.display().to_string()],
                &|_| {},
                &std::sync::atomic::AtomicBool::new(false),
            )
            .map_err(CliError::from)
        });
    let _ = std::fs::remove_dir_all(&dir);
    read
}

/// `verdict drift` on the server: the columns chosen on a sample of the selected rows, the
/// statistics from counts (see [`crate::clickhouse::drift`]).
pub fn binned_drift(
    split: BinnedSplit,
    remote: &ClickHouseFlags,
    cfg: &crate::analysis::drift::DriftConfig,
    overrides: &crate::ingest::RoleOverrides,
) -> Result<crate::report::drift::DriftReport, CliError> {
    use crate::analysis::drift::split::TimeSplitSpec;
    use crate::clickhouse::drift::{binned_drift, BinnedSide};
    use crate::report::drift::{SplitInfo, SplitMode};
    let (first, second) = match &split {
        BinnedSplit::Time(a, _, _) => (*a, None),
        BinnedSplit::Tables(a, b) => (*a, Some(*b)),
    };
    let url = TableUrl::parse(first)?;
    let client = remote.client(&url)?;
    let roles = schema::infer_roles(&client, &url, overrides)?;
    let src = remote.source(&client, &url)?;
    let url2 = second.map(TableUrl::parse).transpose()?;
    let client2 = url2.as_ref().map(|u| remote.client(u)).transpose()?;
    let src2 = match (&client2, &url2) {
        (Some(c), Some(u)) => Some(remote.source(c, u)?),
        _ => None,
    };
    // each table's sample: the first rows of its selection
    let sample = read_sample(&src, &url, &roles)?;
    let sample2 = match (&src2, &url2) {
        (Some(s2), Some(u2)) => Some(read_sample(s2, u2, &roles)?),
        _ => None,
    };
    let columns = |t: &crate::ingest::table::RawTable| -> Vec<String> {
        t.columns.iter().map(|c| c.name.clone()).collect()
    };
    let us = |ts: &str| roles.time_unit.micros_sql(ts);
    let report = match (&split, &src2) {
        (BinnedSplit::Time(_, spec, window), _) => {
            let ts = roles.timestamp.clone().ok_or_else(|| CliError::Flag {
                flag: "drift",
                value: url.shown(),
                problem: "a time split needs a timestamp column".into(),
            })?;
            let t = us(&ts);
            let (reference, current, boundary) = match spec {
                TimeSplitSpec::At(at) => (format!("{t} < {at}"), format!("{t} >= {at}"), *at),
                TimeSplitSpec::Window(span) => {
                    let last = client
                        .query(
                            &format!(
                                "SELECT max({t}) FROM {tab} WHERE {w}",
                                tab = crate::clickhouse::sql::table(&url.database, &url.table),
                                w = src.where_clause(&roles)?
                            ),
                            "TabSeparated",
                        )?
                        .body
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| CliError::Flag {
                            flag: "--window",
                            value: url.shown(),
                            problem: "no timestamps in the selected rows".into(),
                        })?;
                    let b = last.saturating_sub(*span);
                    (
                        format!(
                            "{t} > {} AND {t} <= {b}",
                            last.saturating_sub(span.saturating_mul(2))
                        ),
                        format!("{t} > {b} AND {t} <= {last}"),
                        b,
                    )
                }
            };
            let excluded = client
                .query(
                    &format!(
                        "SELECT countIf(isNull({c}) OR NOT (ifNull(({reference}) OR ({current}), 0))) FROM {tab} WHERE {w}",
                        tab = crate::clickhouse::sql::table(&url.database, &url.table),
                        w = src.where_clause(&roles)?,
                        c = crate::clickhouse::sql::ident(&ts),
                    ),
                    "TabSeparated",
                )?
                .body
                .trim()
                .parse::<u64>()
                .unwrap_or(0);
            let rs = BinnedSide {
                src: &src,
                cond: reference,
                shown: url.shown(),
                columns: columns(&sample.table),
            };
            let cs = BinnedSide {
                src: &src,
                cond: current,
                shown: url.shown(),
                columns: columns(&sample.table),
            };
            let all = BinnedSide {
                src: &src,
                cond: "1".into(),
                shown: url.shown(),
                columns: columns(&sample.table),
            };
            let info = SplitInfo {
                mode: match spec {
                    TimeSplitSpec::At(_) => SplitMode::SplitAt,
                    TimeSplitSpec::Window(_) => SplitMode::Window,
                },
                time_column: Some(ts.clone()),
                split_at: Some(crate::ingest::time::format_timestamp_us(boundary)),
                window: window.clone(),
                rows_excluded: excluded,
            };
            binned_drift(
                (&rs, &cs),
                &all,
                &roles,
                (&sample.table, &sample.table),
                info,
                cfg,
                overrides,
            )?
        }
        (BinnedSplit::Tables(_, _), Some(src2)) => {
            let current_sample = sample2.as_ref().unwrap_or(&sample);
            let rs = BinnedSide {
                src: &src,
                cond: "1".into(),
                shown: url.shown(),
                columns: columns(&sample.table),
            };
            let shown2 = url2.as_ref().map(TableUrl::shown).unwrap_or_default();
            let cs = BinnedSide {
                src: src2,
                cond: "1".into(),
                shown: shown2,
                columns: columns(&current_sample.table),
            };
            let info = SplitInfo {
                mode: SplitMode::Files,
                time_column: None,
                split_at: None,
                window: None,
                rows_excluded: 0,
            };
            binned_drift(
                (&rs, &cs),
                &cs,
                &roles,
                (&sample.table, &current_sample.table),
                info,
                cfg,
                overrides,
            )?
        }
        _ => unreachable!("two tables have two sources"),
    };
    Ok(report)
}

/// A table's rows written to a private temp folder.
pub struct Fetched {
    /// The JSON-lines file.
    pub file: std::path::PathBuf,
    /// Its folder (removed by the caller).
    pub dir: std::path::PathBuf,
    /// The table's address as shown.
    pub shown: String,
}

/// Reads the `n` rows the flags select (at most [`DRIFT_MAX_ROWS`]; more is an error naming
/// the table and how to narrow it) into a private temp file.
pub fn fetch_rows(address: &str, remote: &ClickHouseFlags, n: u64) -> Result<Fetched, CliError> {
    use crate::clickhouse::sql;
    let url = TableUrl::parse(address)?;
    let client = remote.client(&url)?;
    let overrides = crate::ingest::RoleOverrides::default();
    let roles = schema::infer_roles(&client, &url, &overrides)?;
    let src = remote.source(&client, &url)?;
    let table = sql::table(&url.database, &url.table);
    let w = src.where_clause(&roles)?;
    if n > DRIFT_MAX_ROWS {
        return Err(CliError::Flag {
            flag: "drift",
            value: url.shown(),
            problem: format!(
                "{n} rows: beside a file, drift reads at most {DRIFT_MAX_ROWS} rows of a ClickHouse table; narrow them with --where, --from and --to, or compare two tables (on the server from counts)"
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
