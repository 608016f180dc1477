//! The Open-from-ClickHouse dialog: server, credentials, database and table (picked from
//! `SHOW TABLES`), the table's columns with the roles inferred as for files (changeable),
//! a time range and a filter; Test connection and Analyze run as background jobs.

use super::command::{ClickHouseCommand, JobKind};
use super::jobs::clickhouse::{
    spawn_analyze, spawn_connect, spawn_describe, RemoteTable, ServerInfo, TableInfo,
};
use super::jobs::load::Request;
use super::{egui, settings_for, VerdictApp};
use crate::clickhouse::{Credentials, TableUrl};
use crate::ingest::{Role, RoleOverrides};
use std::sync::Arc;

/// The dialog's fields and what the server said (its `Debug` never shows the password).
#[derive(Clone)]
pub struct ClickHouseDialog {
    /// Shown.
    pub open: bool,
    /// `host:port` (HTTP).
    pub server: String,
    /// Database.
    pub database: String,
    /// User (empty: `default`).
    pub user: String,
    /// Password (empty: `VERDICT_CLICKHOUSE_PASSWORD` or the 0600 config file); kept in
    /// memory only.
    pub password: String,
    /// The table picked.
    pub table: String,
    /// One condition on the rows.
    pub filter: String,
    /// Rows at or after (ISO 8601 or a date; empty: all).
    pub from: String,
    /// Rows before.
    pub to: String,
    /// The connection test's answer.
    pub server_info: Option<ServerInfo>,
    /// The picked table's columns and roles.
    pub table_info: Option<TableInfo>,
    /// Roles chosen in the dialog.
    pub roles: RoleOverrides,
    /// The last problem, shown in the dialog (once).
    pub error: Option<String>,
    /// The server and database the table list is of.
    pub tested: Option<(String, String)>,
}

impl std::fmt::Debug for ClickHouseDialog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseDialog")
            .field("open", &self.open)
            .field("server", &self.server)
            .field("database", &self.database)
            .field("user", &self.user)
            .field(
                "password",
                &if self.password.is_empty() { "" } else { "***" },
            )
            .field("table", &self.table)
            .field("filter", &self.filter)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Default for ClickHouseDialog {
    fn default() -> Self {
        Self {
            open: false,
            server: "127.0.0.1:8123".into(),
            database: "default".into(),
            user: String::new(),
            password: String::new(),
            table: String::new(),
            filter: String::new(),
            from: String::new(),
            to: String::new(),
            server_info: None,
            table_info: None,
            roles: RoleOverrides::default(),
            error: None,
            tested: None,
        }
    }
}

impl ClickHouseDialog {
    /// The table as the fields describe it; the error is one line naming the field.
    pub fn target(&self) -> Result<RemoteTable, String> {
        let table = if self.table.is_empty() {
            "_"
        } else {
            &self.table
        };
        let url = TableUrl::parse(&format!(
            "clickhouse://{}/{}.{}",
            self.server.trim(),
            self.database.trim(),
            table
        ))
        .map_err(|e| e.to_string())?;
        let user = (!self.user.trim().is_empty()).then(|| self.user.trim().to_string());
        let credentials = if self.password.is_empty() {
            Credentials::resolve(user).map_err(|e| e.to_string())?
        } else {
            Credentials::new(user, Some(self.password.clone()))
        };
        let time = |what: &str, v: &str| -> Result<Option<i64>, String> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            crate::plan::rollout::timestamp_us(what, v)
                .map(|us| Some(us.div_euclid(1_000_000)))
                .map_err(|e| e.to_string())
        };
        Ok(RemoteTable {
            url,
            credentials,
            filter: (!self.filter.trim().is_empty()).then(|| self.filter.trim().to_string()),
            from_s: time("from", &self.from)?,
            to_s: time("to", &self.to)?,
        })
    }
}

impl VerdictApp {
    /// Runs a dialog intent.
    pub(crate) fn handle_clickhouse(&mut self, ctx: &egui::Context, cmd: ClickHouseCommand) {
        let d = &mut self.clickhouse;
        match cmd {
            ClickHouseCommand::Show => {
                // the last server, database and user used (never a password)
                if d.server_info.is_none() && d.table.is_empty() {
                    if let Some((server, database, user)) = &self.state.clickhouse {
                        d.server = server.clone();
                        d.database = database.clone();
                        d.user = user.clone();
                    }
                }
                d.open = true;
            }
            ClickHouseCommand::Close => {
                d.open = false;
                self.jobs.cancel(JobKind::Remote);
            }
            ClickHouseCommand::Test => {
                d.error = None;
                d.server_info = None;
                // another server or database: the table and its roles were of the old one
                let now = (d.server.trim().to_string(), d.database.trim().to_string());
                if d.tested.as_ref() != Some(&now) {
                    d.table.clear();
                    d.table_info = None;
                    d.roles = RoleOverrides::default();
                }
                d.tested = Some(now);
                match d.target() {
                    Ok(t) => self.jobs.start(spawn_connect(ctx, t)),
                    Err(e) => d.error = Some(e),
                }
            }
            ClickHouseCommand::PickTable(t) => {
                d.table = t;
                d.table_info = None;
                d.roles = RoleOverrides::default();
                d.error = None;
                match d.target() {
                    Ok(t) => {
                        let overrides = d.roles.clone();
                        self.jobs.start(spawn_describe(ctx, t, overrides));
                    }
                    Err(e) => d.error = Some(e),
                }
            }
            ClickHouseCommand::SetRole(role, column) => {
                match column {
                    Some(c) => {
                        d.roles.columns.insert(role, c);
                    }
                    None => {
                        d.roles.columns.remove(&role);
                    }
                }
                if let Ok(t) = d.target() {
                    let overrides = d.roles.clone();
                    self.jobs.start(spawn_describe(ctx, t, overrides));
                }
            }
            ClickHouseCommand::Analyze => {
                if d.table.is_empty() {
                    d.error = Some("pick a table first".into());
                    return;
                }
                let target = match d.target() {
                    Ok(t) => Arc::new(t),
                    Err(e) => {
                        d.error = Some(e);
                        return;
                    }
                };
                d.error = None;
                d.open = false;
                self.state.clickhouse = Some((
                    d.server.trim().to_string(),
                    d.database.trim().to_string(),
                    d.user.trim().to_string(),
                ));
                let roles = d.roles.clone();
                let (load, config) = settings_for(&self.plan, &roles, &self.state);
                let request = Request {
                    load,
                    config,
                    roles,
                    label: target.url.shown(),
                };
                self.settings_changed_during_load = false;
                self.jobs.start(spawn_analyze(ctx, target, request, None));
            }
        }
    }

    /// Opens `clickhouse://HOST:PORT/DB.TABLE` (from the command line or Open recent): the
    /// dialog's fields take it and the table is analysed on the server at once.
    pub(crate) fn open_clickhouse(&mut self, ctx: &egui::Context, address: &str) {
        // a server and database without a table: the dialog, connected, to pick one
        if let Some(rest) = address.strip_prefix("clickhouse://") {
            if let Some((server, db)) = rest.split_once('/') {
                if !db.is_empty() && !db.contains('.') && !server.contains('@') {
                    let d = &mut self.clickhouse;
                    d.server = if server.contains(':') {
                        server.to_string()
                    } else {
                        format!("{server}:8123")
                    };
                    d.database = db.to_string();
                    d.open = true;
                    self.handle_clickhouse(ctx, ClickHouseCommand::Test);
                    return;
                }
            }
        }
        match TableUrl::parse(address) {
            Ok(url) => {
                let d = &mut self.clickhouse;
                d.server = format!("{}:{}", url.host, url.port);
                d.database = url.database.clone();
                d.table = url.table.clone();
                if let Some(u) = &url.user {
                    d.user = u.clone();
                }
                d.roles = self.role_overrides.clone();
                self.handle_clickhouse(ctx, ClickHouseCommand::Analyze);
                if let Some(e) = self.clickhouse.error.take() {
                    self.notifications
                        .push(super::notifications::Level::Error, e, None);
                }
            }
            Err(e) => {
                self.notifications
                    .push(super::notifications::Level::Error, e.to_string(), None)
            }
        }
    }

    /// A role chosen for the table (inferred when not chosen), for the dialog's combos.
    pub fn clickhouse_role(&self, role: Role) -> Option<String> {
        let d = &self.clickhouse;
        if let Some(c) = d.roles.columns.get(&role) {
            // an empty name: the role cleared
            return (!c.is_empty()).then(|| c.clone());
        }
        let r = &d.table_info.as_ref()?.roles;
        match role {
            Role::Group => Some(r.group.clone()),
            Role::UserId => r.user.clone(),
            Role::Timestamp => r.timestamp.clone(),
            Role::Latency => r.latency.clone(),
            Role::Error => r.error.clone(),
            Role::Score => r.score.clone(),
            Role::Model => r.model.clone(),
            Role::Version => r.version.clone(),
            _ => None,
        }
    }
}
