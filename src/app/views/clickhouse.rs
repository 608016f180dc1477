//! The Open-from-ClickHouse dialog: where the server is, who connects, which table (from
//! `SHOW TABLES`), which columns play which role (inferred as for files, changeable), which
//! rows (time range, one condition); Test connection and Analyze run in the background.

use crate::app::clickhouse::ClickHouseDialog;
use crate::app::command::{ClickHouseCommand, Command};
use crate::ingest::Role;
use eframe::egui::{self, RichText};

/// The roles the dialog lets people choose.
pub const ROLES: [Role; 6] = [
    Role::Group,
    Role::UserId,
    Role::Timestamp,
    Role::Latency,
    Role::Error,
    Role::Score,
];

/// The dialog window. `chosen` is each of [`ROLES`]' column (chosen or inferred), `busy`
/// the running ClickHouse job's progress line.
pub fn clickhouse_dialog_ui(
    ctx: &egui::Context,
    d: &mut ClickHouseDialog,
    chosen: &[Option<String>],
    busy: Option<&str>,
    cmds: &mut Vec<Command>,
) {
    let send = |cmds: &mut Vec<Command>, c| cmds.push(Command::ClickHouse(c));
    egui::Window::new("Open from ClickHouse")
        .collapsible(false)
        .resizable(true)
        .default_width(620.0)
        .show(ctx, |ui| {
            ui.weak("The analysis runs on the server: only aggregates come back, whatever the table's size.");
            egui::Grid::new("clickhouse_connection")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    let l = ui.label("Server (host:port, HTTP)");
                    ui.text_edit_singleline(&mut d.server).labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label("Database");
                    ui.text_edit_singleline(&mut d.database).labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label("User");
                    ui.add(egui::TextEdit::singleline(&mut d.user).hint_text("default"))
                        .labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label("Password");
                    ui.add(
                        egui::TextEdit::singleline(&mut d.password)
                            .password(true)
                            .hint_text("empty: VERDICT_CLICKHOUSE_PASSWORD or the 0600 config"),
                    )
                    .labelled_by(l.id);
                    ui.end_row();
                });
            ui.horizontal(|ui| {
                if ui.button("Test connection").clicked() {
                    send(cmds, ClickHouseCommand::Test);
                }
                if let Some(info) = &d.server_info {
                    ui.label(format!(
                        "Connected: ClickHouse {}, {} table(s) in {}",
                        info.version,
                        info.tables.len(),
                        d.database
                    ));
                }
            });
            if let Some(info) = &d.server_info {
                ui.horizontal(|ui| {
                    let l = ui.label("Table");
                    egui::ComboBox::from_id_salt("clickhouse_table")
                        .selected_text(if d.table.is_empty() {
                            "choose a table"
                        } else {
                            d.table.as_str()
                        })
                        .width(320.0)
                        .show_ui(ui, |ui| {
                            for t in &info.tables {
                                // the same table again re-reads it (after a failed read)
                                let same = &d.table == t && d.table_info.is_some();
                                if ui.selectable_label(&d.table == t, t).clicked() && !same {
                                    send(cmds, ClickHouseCommand::PickTable(t.clone()));
                                }
                            }
                        })
                        .response
                        .labelled_by(l.id);
                });
            }
            if let Some(t) = &d.table_info {
                ui.separator();
                ui.strong(format!(
                    "{} column(s); roles inferred from the first rows, as for files",
                    t.columns.len()
                ));
                egui::Grid::new("clickhouse_roles")
                    .num_columns(2)
                    .spacing([12.0, 4.0])
                    .show(ui, |ui| {
                        for (role, current) in ROLES.iter().zip(chosen) {
                            let l = ui.label(role.as_str());
                            egui::ComboBox::from_id_salt(format!("clickhouse_role_{}", role.as_str()))
                                .selected_text(current.as_deref().unwrap_or("(none)"))
                                .width(260.0)
                                .show_ui(ui, |ui| {
                                    if ui.selectable_label(false, "(inferred)").clicked() {
                                        send(cmds, ClickHouseCommand::SetRole(*role, None));
                                    }
                                    if ui.selectable_label(current.is_none(), "(none)").clicked()
                                        && current.is_some()
                                    {
                                        send(cmds, ClickHouseCommand::SetRole(*role, Some(String::new())));
                                    }
                                    for (name, ty) in &t.columns {
                                        let on = current.as_deref() == Some(name.as_str());
                                        if ui
                                            .selectable_label(on, format!("{name}  ({ty})"))
                                            .clicked()
                                            && !on
                                        {
                                            send(cmds, ClickHouseCommand::SetRole(*role, Some(name.clone())));
                                        }
                                    }
                                })
                                .response
                                .labelled_by(l.id);
                            ui.end_row();
                        }
                        ui.label("metrics");
                        ui.label(if t.roles.metrics.is_empty() {
                            "none found".to_string()
                        } else {
                            t.roles.metrics.join(", ")
                        });
                        ui.end_row();
                        ui.label("segments");
                        ui.label(if t.roles.segments.is_empty() {
                            "none found".to_string()
                        } else {
                            t.roles.segments.join(", ")
                        });
                        ui.end_row();
                    });
                ui.separator();
                egui::Grid::new("clickhouse_rows")
                    .num_columns(2)
                    .spacing([12.0, 6.0])
                    .show(ui, |ui| {
                        let l = ui.label("From");
                        ui.add(egui::TextEdit::singleline(&mut d.from).hint_text("2026-11-01 (empty: all)"))
                            .labelled_by(l.id);
                        ui.end_row();
                        let l = ui.label("To");
                        ui.add(egui::TextEdit::singleline(&mut d.to).hint_text("2026-11-15 (empty: all)"))
                            .labelled_by(l.id);
                        ui.end_row();
                        let l = ui.label("Where");
                        ui.add(
                            egui::TextEdit::singleline(&mut d.filter)
                                .hint_text("one condition, e.g. region = 'eu'"),
                        )
                        .labelled_by(l.id);
                        ui.end_row();
                    });
            }
            if let Some(e) = &d.error {
                ui.colored_label(crate::app::theme::status_color(crate::report::Status::Fail), e);
            }
            if let Some(b) = busy {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(RichText::new(b).weak());
                });
            }
            ui.separator();
            ui.horizontal(|ui| {
                let ready = d.table_info.is_some();
                if ui
                    .add_enabled(ready, egui::Button::new("Analyze on the server"))
                    .clicked()
                {
                    send(cmds, ClickHouseCommand::Analyze);
                }
                if ui.button("Close").clicked() {
                    send(cmds, ClickHouseCommand::Close);
                }
            });
        });
}
