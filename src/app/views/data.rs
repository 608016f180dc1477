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
    if let Some(b) = r.backend.as_ref().filter(|b| b.kind == "stream") {
        ui.weak(format!(
            "{}: larger than memory, read in chunks. The columns and rows shown here are those of its first chunk ({} rows, for roles and a look); every number in the report was aggregated over all {} rows read ({} scans), memory holding the aggregates, not the rows.",
            b.table,
            crate::report::format::count(ds.frame.height() as u64),
            crate::report::format::count(r.input.rows_read),
            b.queries,
        ));
    } else if let Some(b) = &r.backend {
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
    roles_grid_ui(
        ui,
        &names,
        |role| ds.roles.get(role).map(str::to_string),
        cmds,
    );
    let metrics: Vec<String> = ds.metrics.iter().map(|m| m.name.clone()).collect();
    let kinds: Vec<String> = ds
        .metrics
        .iter()
        .map(|m| {
            if m.kind == crate::ingest::MetricKind::Proportion {
                "0/1".into()
            } else {
                "mean".into()
            }
        })
        .collect();
    let assigned: Vec<&str> = ds.roles.columns.values().map(String::as_str).collect();
    list_editor_ui(
        ui,
        "metrics",
        &metrics,
        &kinds,
        &candidates(&ds.source_columns, &assigned, "number"),
        Command::SetMetrics,
        cmds,
    );
    list_editor_ui(
        ui,
        "segments",
        &ds.segments,
        &[],
        &candidates(&ds.source_columns, &assigned, "string"),
        Command::SetSegments,
        cmds,
    );
    ui.add_space(8.0);
    unit_ui(ui, v, &names, cmds);
    ui.add_space(8.0);
    source_columns_ui(ui, &ds.source_columns);
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

/// The source columns with their kinds and null counts.
fn source_columns_ui(ui: &mut egui::Ui, columns: &[crate::ingest::SourceColumn]) {
    ui.heading("Source columns");
    egui::Grid::new("source_columns")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            ui.strong("column");
            ui.strong("type");
            ui.strong("nulls");
            ui.end_row();
            for c in columns {
                ui.label(&c.name);
                ui.label(&c.kind);
                ui.label(crate::report::format::count(c.nulls as u64));
                ui.end_row();
            }
        });
}

/// Columns of `kind` that have no role: what can be added as a metric or a segment.
fn candidates(
    columns: &[crate::ingest::SourceColumn],
    assigned: &[&str],
    kind: &str,
) -> Vec<String> {
    columns
        .iter()
        .filter(|c| c.kind == kind && !assigned.contains(&c.name.as_str()))
        .map(|c| c.name.clone())
        .collect()
}

/// One combo box per role over the source columns; a choice re-runs the analysis.
pub fn roles_grid_ui(
    ui: &mut egui::Ui,
    names: &[String],
    current_of: impl Fn(Role) -> Option<String>,
    cmds: &mut Vec<Command>,
) {
    egui::Grid::new("roles")
        .striped(true)
        .num_columns(2)
        .show(ui, |ui| {
            for role in Role::ALL {
                let label = ui.label(role.as_str());
                let current = current_of(role);
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
                        for n in names {
                            if ui
                                .selectable_label(current.as_deref() == Some(n.as_str()), n)
                                .clicked()
                                && current.as_deref() != Some(n.as_str())
                            {
                                cmds.push(Command::SetRole(role, Some(n.clone())));
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
            }
        });
}

/// The metrics or segments in force, each with a remove button, and an "add" list of the
/// columns that could join; a change writes the plan and re-analyses in the background.
fn list_editor_ui(
    ui: &mut egui::Ui,
    what: &str,
    items: &[String],
    notes: &[String],
    addable: &[String],
    make: fn(Vec<String>) -> Command,
    cmds: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.strong(what);
        if items.is_empty() {
            ui.weak("(none)");
        }
        for (i, item) in items.iter().enumerate() {
            let text = match notes.get(i) {
                Some(n) => format!("{item} ({n}) ×"),
                None => format!("{item} ×"),
            };
            if ui
                .small_button(text)
                .on_hover_text(format!(
                    "Remove {item} from the {what} (written to the plan)"
                ))
                .clicked()
            {
                cmds.push(make(items.iter().filter(|x| *x != item).cloned().collect()));
            }
        }
        let addable: Vec<&String> = addable.iter().filter(|c| !items.contains(c)).collect();
        if !addable.is_empty() {
            let label = ui.weak(format!("add to {what}:"));
            egui::ComboBox::from_id_salt(format!("add_{what}"))
                .selected_text("choose…")
                .show_ui(ui, |ui| {
                    for c in addable {
                        if ui.selectable_label(false, c.as_str()).clicked() {
                            let mut next = items.to_vec();
                            next.push(c.clone());
                            cmds.push(make(next));
                        }
                    }
                })
                .response
                .labelled_by(label.id);
        }
    });
}

/// Rows that were read but not analysed: the problem, the roles to assign (inferred ones
/// shown), the metrics and segments, and the source columns.
pub fn unanalysed_ui(
    ui: &mut egui::Ui,
    u: &crate::app::jobs::load::Unanalysed,
    overrides: &crate::ingest::RoleOverrides,
    cmds: &mut Vec<Command>,
) {
    ui.heading("Column roles");
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.colored_label(
            crate::app::theme::status_color(crate::report::Status::Fail),
            format!(
                "{} rows of {} were read but not analysed:",
                crate::report::format::count(u.raw.table.rows as u64),
                u.label
            ),
        );
        ui.label(&u.problem);
        ui.label("Assign the roles below (the group column at least); the rows are analysed again in the background, without a re-read.");
        if ui.small_button("Discard these rows").clicked() {
            cmds.push(Command::DiscardUnanalysed);
        }
    });
    let names: Vec<String> = u
        .raw
        .source_columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    roles_grid_ui(
        ui,
        &names,
        |role| match overrides.columns.get(&role) {
            // an empty override is "(none)" chosen on purpose
            Some(c) if c.is_empty() => None,
            Some(c) => Some(c.clone()),
            None => u.inferred.columns.get(&role).cloned(),
        },
        cmds,
    );
    let assigned: Vec<&str> = u.inferred.columns.values().map(String::as_str).collect();
    list_editor_ui(
        ui,
        "metrics",
        &u.inferred.metrics,
        &[],
        &candidates(&u.raw.source_columns, &assigned, "number"),
        Command::SetMetrics,
        cmds,
    );
    list_editor_ui(
        ui,
        "segments",
        &u.inferred.segments,
        &[],
        &candidates(&u.raw.source_columns, &assigned, "string"),
        Command::SetSegments,
        cmds,
    );
    ui.add_space(8.0);
    source_columns_ui(ui, &u.raw.source_columns);
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
