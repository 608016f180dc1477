//! The window's frame around the views: the menu and tab bar, the status bar with job
//! progress and Cancel, and the drop overlay.

use super::command::{Command, ExportKind, View};
use super::{egui, jobs, theme, VerdictApp};
use std::path::PathBuf;

impl VerdictApp {
    pub(crate) fn top_bar_ui(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui
                    .add(egui::Button::new("Open logs...").shortcut_text("Ctrl+O"))
                    .clicked()
                {
                    cmds.push(Command::OpenDialog);
                }
                ui.menu_button("Open recent", |ui| {
                    if self.state.recent.is_empty() {
                        ui.label("No recent files");
                    }
                    for f in &self.state.recent {
                        if ui.button(f).clicked() {
                            cmds.push(Command::Open(vec![PathBuf::from(f)]));
                        }
                    }
                    ui.separator();
                    if ui.button("Clear recent").clicked() {
                        cmds.push(Command::ClearRecent);
                    }
                });
                if ui.button("Load sample experiment").clicked() {
                    cmds.push(Command::LoadSample);
                }
                ui.separator();
                if ui.button("Open plan (verdict.toml)...").clicked() {
                    cmds.push(Command::LoadPlanDialog);
                }
                if ui.button("Save plan...").clicked() {
                    cmds.push(Command::SavePlanDialog);
                }
                ui.separator();
                ui.menu_button("Export report", |ui| {
                    if ui.button("Markdown...").clicked() {
                        cmds.push(Command::Export(ExportKind::Markdown));
                    }
                    if ui.button("HTML (self-contained)...").clicked() {
                        cmds.push(Command::Export(ExportKind::Html));
                    }
                    if ui.button("JSON...").clicked() {
                        cmds.push(Command::Export(ExportKind::Json));
                    }
                });
            });
            ui.menu_button("View", |ui| {
                for (i, v) in View::ALL.iter().enumerate() {
                    if ui
                        .add(egui::Button::new(v.title()).shortcut_text(format!("Ctrl+{}", i + 1)))
                        .clicked()
                    {
                        cmds.push(Command::SetView(*v));
                    }
                }
                ui.separator();
                if ui
                    .button(if self.state.dark {
                        "Light theme"
                    } else {
                        "Dark theme"
                    })
                    .clicked()
                {
                    cmds.push(Command::SetDark(!self.state.dark));
                }
            });
            ui.separator();
            for v in View::ALL {
                if ui
                    .selectable_label(self.state.view == v, v.title())
                    .clicked()
                {
                    cmds.push(Command::SetView(v));
                }
            }
        });
    }

    pub(crate) fn status_bar_ui(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            if let Some(job) = &self.job {
                ui.spinner();
                let bar = egui::ProgressBar::new(job.fraction.unwrap_or(0.0))
                    .desired_width(220.0)
                    .show_percentage();
                let bar = if job.fraction.is_none() {
                    bar.animate(true)
                } else {
                    bar
                };
                ui.add(bar);
                ui.label(if job.progress.is_empty() {
                    job.label.as_str()
                } else {
                    job.progress.as_str()
                });
                if ui.button("Cancel").clicked() {
                    cmds.push(Command::CancelJob);
                }
            } else if let Some(cur) = &self.current {
                let r = &cur.report;
                ui.label(format!(
                    "{} · {} rows valid · {} rejected · {} groups · control {}",
                    self.source_label,
                    jobs::thousands(r.input.rows_valid),
                    jobs::thousands(r.input.rows_rejected),
                    r.groups.len(),
                    r.control
                ));
                if let Some(s) = self.last_job_seconds {
                    ui.weak(format!("· analysed in {s:.2} s"));
                }
            } else {
                ui.label("Drop prediction logs anywhere, or File > Open logs... (Ctrl+O)");
            }
        });
    }
}

/// Darkens the window and says what a drop will do.
pub(crate) fn drop_overlay_ui(ctx: &egui::Context) {
    let screen = ctx.content_rect();
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop_overlay"),
    ));
    painter.rect_filled(screen, 0.0, egui::Color32::from_black_alpha(180));
    painter.rect_stroke(
        screen.shrink(16.0),
        12.0,
        egui::Stroke::new(3.0, theme::group_color(0)),
        egui::StrokeKind::Inside,
    );
    painter.text(
        screen.center(),
        egui::Align2::CENTER_CENTER,
        "Drop logs, a verdict.toml plan, or models to open them",
        egui::FontId::proportional(24.0),
        egui::Color32::WHITE,
    );
}
