//! Background work against a ClickHouse server: the connection test (version and tables),
//! a table's columns and inferred roles, and the pushed-down analysis — whose result lands
//! like a loaded log's, the table's first rows standing in for the rows the Data view shows.

use super::load::{Analyzed, Request};
use super::{spawn, Input, Job, JobMsg};
use crate::app::command::JobKind;
use crate::clickhouse::aggregates::{Roles, Source};
use crate::clickhouse::{schema, ClickHouseError, Client, Credentials, TableUrl};
use eframe::egui;
use std::sync::Arc;
use std::time::Instant;

/// A table and how to reach it (the password stays in memory, never written anywhere).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteTable {
    /// The table.
    pub url: TableUrl,
    /// User and password.
    pub credentials: Credentials,
    /// One condition on the rows (`--where`).
    pub filter: Option<String>,
    /// Rows at or after (epoch seconds).
    pub from_s: Option<i64>,
    /// Rows before (epoch seconds).
    pub to_s: Option<i64>,
}

impl RemoteTable {
    fn client(&self) -> Client {
        Client::new(&self.url.host, self.url.port, self.credentials.clone())
    }
}

/// What the connection test found.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    /// `SELECT version()`.
    pub version: String,
    /// Tables of the database.
    pub tables: Vec<String>,
}

/// A table's columns (name, type) and the roles inferred from its first rows.
#[derive(Debug, Clone, PartialEq)]
pub struct TableInfo {
    /// Name and ClickHouse type.
    pub columns: Vec<(String, String)>,
    /// Roles as for files.
    pub roles: Roles,
}

fn failed(e: ClickHouseError) -> JobMsg {
    match e {
        ClickHouseError::Cancelled => JobMsg::Cancelled,
        other => JobMsg::Failed(other.to_string(), None),
    }
}

/// Connects and lists the database's tables.
pub fn spawn_connect(ctx: &egui::Context, target: RemoteTable) -> Job {
    let label = format!("Connecting to {}", target.client().server());
    spawn(
        JobKind::Remote,
        Input::Independent,
        label,
        ctx,
        move |emit, _| {
            let client = target.client();
            emit(JobMsg::Progress(
                format!("Connecting to {}", client.server()),
                None,
            ));
            let info = schema::version(&client).and_then(|version| {
                Ok(ServerInfo {
                    version,
                    tables: schema::tables(&client, &target.url.database)?,
                })
            });
            emit(match info {
                Ok(i) => JobMsg::RemoteServer(i),
                Err(e) => failed(e),
            })
        },
    )
}

/// Reads a table's columns and infers its roles (`overrides` win).
pub fn spawn_describe(
    ctx: &egui::Context,
    target: RemoteTable,
    overrides: crate::ingest::RoleOverrides,
) -> Job {
    let label = format!("Reading {}", target.url.shown());
    spawn(
        JobKind::Remote,
        Input::Independent,
        label,
        ctx,
        move |emit, _| {
            let client = target.client();
            emit(JobMsg::Progress(
                format!("Reading the columns of {}", target.url.shown()),
                None,
            ));
            let info = schema::sample(&client, &target.url).and_then(|(raw, columns)| {
                let roles =
                    schema::roles_of_sample(&client, &target.url, &raw, &columns, &overrides)?;
                Ok(TableInfo {
                    columns: columns.into_iter().map(|c| (c.name, c.ty)).collect(),
                    roles,
                })
            });
            emit(match info {
                Ok(i) => JobMsg::RemoteTable(Box::new(i)),
                Err(e) => failed(e),
            })
        },
    )
}

/// The pushed-down analysis of a table (`log`: the identity of the table's analysis on
/// screen when re-analysing it with other settings, None for a newly opened table).
pub fn spawn_analyze(
    ctx: &egui::Context,
    target: Arc<RemoteTable>,
    request: Request,
    log: Option<u64>,
) -> Job {
    let label = format!("Analysing {} on the server", target.url.shown());
    let input = log.map_or(Input::Independent, Input::Log);
    spawn(JobKind::Load, input, label, ctx, move |emit, cancel| {
        let t0 = Instant::now();
        let client = target.client();
        let shown = target.url.shown();
        emit(JobMsg::Progress(
            format!("{shown}: reading the first rows"),
            None,
        ));
        let sampled = schema::sample(&client, &target.url).and_then(|(raw, columns)| {
            let roles = schema::roles_of_sample(
                &client,
                &target.url,
                &raw,
                &columns,
                &request.load.overrides,
            )?;
            Ok((raw, roles))
        });
        let (raw, roles) = match sampled {
            Ok(x) => x,
            Err(e) => return emit(failed(e)),
        };
        let dataset = match crate::ingest::build_dataset(&raw, &request.load) {
            Ok(d) => Arc::new(d),
            Err(e) => return emit(JobMsg::Failed(format!("{shown}: {e}"), None)),
        };
        let src = Source {
            client: &client,
            url: &target.url,
            filter: target.filter.clone(),
            from_s: target.from_s,
            to_s: target.to_s,
            since_us: None,
            spill: None,
        };
        let progress = |step: &str, done: f32| {
            emit(JobMsg::Progress(
                format!("{shown}: {step} (on the server)"),
                Some(done),
            ))
        };
        let report =
            crate::clickhouse::report::analyze(&src, &roles, &request.config, &progress, cancel);
        match report {
            Ok(report) => {
                let range_us = report.timeline.range_us();
                emit(JobMsg::Analyzed(Box::new(Analyzed {
                    raw: Arc::new(raw),
                    dataset,
                    report: Arc::new(report),
                    config: request.config,
                    load: request.load,
                    roles: request.roles,
                    label: request.label,
                    range_us,
                    seconds: t0.elapsed().as_secs_f64(),
                    new_log: log.is_none(),
                    remote: Some(target.clone()),
                    streamed: None,
                })))
            }
            Err(e) => emit(failed(e)),
        }
    })
}
