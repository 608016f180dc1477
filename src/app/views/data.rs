//! Data: the column-role mapping with combo boxes to override it (re-analysed in the
//! background), source columns with kinds and null counts, and rejected rows.

use super::ViewCtx;
use crate::app::command::Command;
use crate::ingest::Role;
use crate::report::csv::Table;
use eframe::egui;

/// Draws the Data view.
pub fn data_ui(ui: &mut egui::Ui, v: &ViewCtx, cmds: &mut Vec<Command>) {
    let ds = v.dataset;
    let r = v.report;
    ui.heading("Column roles");
    ui.label("Change a role to re-run the analysis in the background.");
    if let Some(b) = &r.backend {
        ui.weak(format!(
            "{}: the columns and rows shown here are the table's first {} rows (for roles and a look); every number in the report was computed on the server over all rows ({} queries, {:.1} kB of aggregates back). Not pushed down yet: {}.",
            b.table,
            crate::clickhouse::schema::ROLE_SAMPLE_ROWS,
            b.queries,
            b.bytes_received as f64 / 1000.0,
            b.not_pushed_down.join(", ")
        ));
    }
    let names: Vec<String> = ds.source_columns.iter().map(|c| c.name.clone()).collect();
    egui::Grid::new("roles")
        .striped(true)
        .num_columns(2)
        .show(ui, |ui| {
            for role in Role::ALL {
                ui.label(role.as_str());
                let current = ds.roles.get(role).map(str::to_string);
                let shown = current.clone().unwrap_or_else(|| "(none)".into());
                egui::ComboBox::from_id_salt(format!("role_{}", role.as_str()))
                    .selected_text(shown)
                    .width(220.0)
                    .show_ui(ui, |ui| {
                        if ui.selectable_label(current.is_none(), "(none)").clicked()
                            && current.is_some()
                        {
                            cmds.push(Command::SetRole(role, None));
                        }
                        for n in &names {
                            if ui
                                .selectable_label(current.as_deref() == Some(n.as_str()), n)
                                .clicked()
                                && current.as_deref() != Some(n.as_str())
                            {
                                cmds.push(Command::SetRole(role, Some(n.clone())));
                            }
                        }
                    });
                ui.end_row();
            }
            ui.label("segments");
            ui.label(if ds.segments.is_empty() {
                "(none)".to_string()
            } else {
                ds.segments.join(", ")
            });
            ui.end_row();
            ui.label("metrics");
            ui.label(
                ds.metrics
                    .iter()
                    .map(|m| {
                        format!(
                            "{} ({})",
                            m.name,
                            if m.kind == crate::ingest::MetricKind::Proportion {
                                "0/1"
                            } else {
                                "mean"
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            ui.end_row();
        });
    ui.add_space(8.0);
    unit_ui(ui, v, &names, cmds);
    ui.add_space(8.0);
    ui.heading("Source columns");
    egui::Grid::new("source_columns")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            ui.strong("column");
            ui.strong("type");
            ui.strong("nulls");
            ui.end_row();
            for c in &ds.source_columns {
                ui.label(&c.name);
                ui.label(&c.kind);
                ui.label(crate::app::jobs::thousands(c.nulls as u64));
                ui.end_row();
            }
        });
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        ui.heading(format!(
            "Rejected rows ({})",
            crate::app::jobs::thousands(r.input.rows_rejected)
        ));
        super::csv_button(ui, Table::Rejected, cmds);
    });
    ui.label(format!(
        "{} rows read, {} valid; {} non-event lines skipped.",
        crate::app::jobs::thousands(r.input.rows_read),
        crate::app::jobs::thousands(r.input.rows_valid),
        crate::app::jobs::thousands(r.input.lines_skipped)
    ));
    for (reason, n) in &r.input.rejected_by_reason {
        ui.label(format!("- {reason}: {n}"));
    }
    if !r.input.rejected.is_empty() {
        egui::Grid::new("rejected")
            .striped(true)
            .num_columns(3)
            .show(ui, |ui| {
                ui.strong("file");
                ui.strong("line");
                ui.strong("reason");
                ui.end_row();
                for x in &r.input.rejected {
                    ui.label(
                        std::path::Path::new(&x.file)
                            .file_name()
                            .map(|n| n.to_string_lossy().to_string())
                            .unwrap_or_default(),
                    )
                    .on_hover_text(&x.file);
                    ui.label(x.line.to_string());
                    ui.label(&x.reason);
                    ui.end_row();
                }
            });
    }
}

/// The analysis unit: the user column (each request metric a per-user ratio) or the
/// request; written to the plan and re-analysed in the background.
fn unit_ui(ui: &mut egui::Ui, v: &ViewCtx, names: &[String], cmds: &mut Vec<Command>) {
    let r = v.report;
    ui.horizontal(|ui| {
        ui.strong("Unit of analysis");
        let current = match (&r.unit.kind, &r.unit.column) {
            (crate::report::UnitKind::User, Some(c)) => format!("user · {c}"),
            _ => "request".to_string(),
        };
        egui::ComboBox::from_id_salt("unit_choice")
            .selected_text(format!("{current} ({})", r.unit.source))
            .width(260.0)
            .show_ui(ui, |ui| {
                if ui.selectable_label(false, "detect (the user column when there is one)").clicked() {
                    cmds.push(Command::SetUnit(None));
                }
                if ui.selectable_label(r.unit.kind == crate::report::UnitKind::Request, "request").clicked() {
                    cmds.push(Command::SetUnit(Some("request".into())));
                }
                for n in names {
                    let chosen = r.unit.column.as_deref() == Some(n.as_str());
                    if ui.selectable_label(chosen, format!("user · {n}")).clicked() && !chosen {
                        cmds.push(Command::SetUnit(Some(n.clone())));
                    }
                }
            });
    })
    .response
    .on_hover_text("Users as the unit: metrics are per-user ratios with delta-method variance, SRM and leakage count users per stage. Requests as the unit: every row is an observation (intervals too narrow when users send many requests).");
}
