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
    let credentials = Credentials::resolve(args.user.clone().or_else(|| url.user.clone()))?;
    let client = Client::new(&url.host, url.port, credentials);
    let roles = schema::infer_roles(&client, &url, &load.overrides)?;
    let src = Source {
        client: &client,
        url: &url,
        filter: args.where_sql.clone(),
        from_s: args
            .from
            .as_deref()
            .map(|v| seconds("--from", v))
            .transpose()?,
        to_s: args.to.as_deref().map(|v| seconds("--to", v)).transpose()?,
    };
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
