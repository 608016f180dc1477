//! The window's frame around the views: the menu and tab bar, the status bar with every
//! running job's progress and Cancel, keyboard shortcuts and dropped files, the choice of
//! view, and the drop overlay.

use super::command::{Command, DriftCommand, ExportKind, JobKind, ModelsCommand, View};
use super::routing::{self, PathKind};
use super::{egui, jobs, short_files, theme, views, VerdictApp};
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
                if ui.button("Open from ClickHouse...").clicked() {
                    cmds.push(Command::ClickHouse(super::command::ClickHouseCommand::Show));
                }
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
            // every running job with its own progress and Cancel
            for job in self.jobs.iter() {
                ui.spinner();
                let bar = egui::ProgressBar::new(job.fraction.unwrap_or(0.0))
                    .desired_width(160.0)
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
                if ui
                    .button("Cancel")
                    .on_hover_text(format!("Stop this {} job", job.kind.title().to_lowercase()))
                    .clicked()
                {
                    cmds.push(Command::CancelJob(job.id));
                }
                ui.separator();
            }
            if self.jobs.running(JobKind::Load) {
                return;
            }
            if let Some(cur) = &self.current {
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
                    ui.weak(format!("· last job {s:.2} s"));
                }
            } else if let Some(r) = self
                .drift
                .report
                .as_ref()
                .filter(|_| self.state.view == View::Drift)
            {
                // a log open in the Drift view only: say what is open
                let files: Vec<String> = r
                    .reference
                    .files
                    .iter()
                    .chain(r.current.files.iter())
                    .map(|f| {
                        std::path::Path::new(f)
                            .file_name()
                            .map_or(f.clone(), |n| n.to_string_lossy().into_owned())
                    })
                    .fold(Vec::new(), |mut v, f| {
                        if !v.contains(&f) {
                            v.push(f);
                        }
                        v
                    });
                ui.label(format!(
                    "Drift: {} · reference {} rows · current {} rows · {} input features",
                    files.join(", "),
                    jobs::thousands(r.reference.rows),
                    jobs::thousands(r.current.rows),
                    r.input_features
                ));
            } else if self.state.view == View::Models && self.models.champion.is_some() {
                let name =
                    |m: &Option<(std::path::PathBuf, Box<crate::models::compare::Inspected>)>| {
                        m.as_ref().map_or("–".to_string(), |(p, _)| {
                            p.file_name().map_or(p.display().to_string(), |n| {
                                n.to_string_lossy().into_owned()
                            })
                        })
                    };
                ui.label(format!(
                    "Models: {} vs {}{}",
                    name(&self.models.champion),
                    name(&self.models.challenger),
                    self.models
                        .holdout
                        .as_ref()
                        .and_then(|h| h.file_name())
                        .map_or(String::new(), |h| format!(
                            " · holdout {}",
                            h.to_string_lossy()
                        ))
                ));
            } else if !self.jobs.any() {
                ui.label("Drop prediction logs anywhere, or File > Open logs... (Ctrl+O)");
            }
        });
    }

    pub(crate) fn input_ui(&mut self, ctx: &egui::Context) {
        let (dropped, hovering, open, view) = ctx.input(|i| {
            let dropped: Vec<PathBuf> = i
                .raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
            let open = i.modifiers.command && i.key_pressed(egui::Key::O);
            let keys = [
                egui::Key::Num1,
                egui::Key::Num2,
                egui::Key::Num3,
                egui::Key::Num4,
                egui::Key::Num5,
                egui::Key::Num6,
                egui::Key::Num7,
                egui::Key::Num8,
            ];
            let view = keys
                .iter()
                .position(|k| i.modifiers.command && i.key_pressed(*k))
                .map(|p| View::ALL[p]);
            (dropped, !i.raw.hovered_files.is_empty(), open, view)
        });
        self.drop_hover = hovering;
        if !dropped.is_empty() {
            if self.state.view == View::Drift {
                // in the Drift view, dropped data files become the reference / current sides
                let (data, other): (Vec<PathBuf>, Vec<PathBuf>) =
                    dropped.into_iter().partition(|p| {
                        matches!(routing::classify(p), PathKind::Log | PathKind::LogFolder)
                    });
                if let Some(cmd) = self.drift.drop_command(data) {
                    self.pending.push(Command::Drift(cmd));
                }
                if !other.is_empty() {
                    self.pending.push(Command::Open(other));
                }
            } else {
                self.pending.push(Command::Open(dropped));
            }
        }
        if open {
            self.pending.push(Command::OpenDialog);
        }
        if let Some(v) = view {
            self.pending.push(Command::SetView(v));
        }
    }

    /// The view the tabs select.
    pub(crate) fn central_ui(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        if self.state.view == View::Models {
            let ctx = ui.ctx().clone();
            self.models.probe_runtime(&ctx);
            // the sample only when nothing was opened (files given on the command line are
            // still pending on the first frame)
            if !self.models.sample_started
                && !self.models.has_or_reads_models()
                && self.pending.is_empty()
            {
                cmds.push(Command::Models(ModelsCommand::LoadSample));
                self.models.sample_started = true;
            }
            let busy = self.jobs.running(JobKind::Replay);
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    views::models::models_ui(ui, &self.models, busy, cmds)
                });
            return;
        }
        if self.state.view == View::Shadow {
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    views::shadow::shadow_ui(ui, self.shadow.as_deref(), cmds)
                });
            return;
        }
        if self.state.view == View::Drift {
            if !self.drift.auto_ran
                && self.drift.report.is_none()
                && !self.jobs.running(JobKind::Drift)
                && !self.jobs.running(JobKind::Load)
                && self.current.is_some()
            {
                self.drift.auto_ran = true;
                cmds.push(Command::Drift(DriftCommand::Run));
            }
            let loaded = match &self.drift.split_log {
                Some((raw, range)) => Some((*range, short_files(&raw.files))),
                None => self
                    .current
                    .as_ref()
                    .and_then(|c| c.range_us.map(|r| (r, self.source_label.clone()))),
            };
            let busy = self.jobs.running(JobKind::Drift);
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    views::drift::drift_ui(
                        ui,
                        &self.drift,
                        loaded,
                        self.state.drift_sort,
                        busy,
                        cmds,
                    )
                });
            return;
        }
        if let Some(u) = &self.unanalysed {
            if self.state.view == View::Data {
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| views::data::unanalysed_ui(ui, u, &u.roles, cmds));
                return;
            }
            // the other views keep showing the analysis on screen, under a pointer to the roles
            ui.horizontal(|ui| {
                ui.colored_label(
                    theme::status_color(crate::report::Status::Warn),
                    format!("{} was read but not analysed: assign its roles.", u.label),
                );
                if ui.small_button("Data view").clicked() {
                    cmds.push(Command::SetView(View::Data));
                }
            });
        }
        let Some(cur) = &self.current else {
            if self.unanalysed.is_some() {
                return;
            }
            ui.vertical_centered(|ui| {
                ui.add_space(ui.available_height() / 3.0);
                ui.heading("Verdict");
                ui.label("Should the challenger replace the champion?");
                ui.add_space(8.0);
                ui.label("Drop prediction logs (JSON lines, CSV, Parquet, app logs, .gz) anywhere in this window,");
                ui.label("or use File > Open logs... (Ctrl+O).");
                if ui.button("Load the sample experiment").clicked() {
                    cmds.push(Command::LoadSample);
                }
            });
            return;
        };
        let ctx = views::ViewCtx {
            report: &cur.report,
            dataset: &cur.dataset,
            config: &cur.config,
            load: &cur.load,
        };
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| match self.state.view {
                View::Overview => views::overview::overview_ui(ui, &ctx, cmds),
                View::Timeline => views::timeline::timeline_ui(ui, &ctx, &self.state, cmds),
                View::Significance => {
                    views::significance::significance_ui(ui, &ctx, &mut self.state.calculator, cmds)
                }
                View::Segments => views::segments::segments_ui(ui, &ctx, &mut self.state, cmds),
                View::Data => views::data::data_ui(ui, &ctx, cmds),
                View::Plan => views::plan::plan_ui(
                    ui,
                    &ctx,
                    &mut self.plan_draft,
                    self.plan_path.as_deref(),
                    cmds,
                ),
                View::Drift | View::Models | View::Shadow => {}
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
