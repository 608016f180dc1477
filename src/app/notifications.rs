//! Notifications: each problem reaches the user once, as one readable line naming the file,
//! with details on demand.

use eframe::egui;

/// How serious a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something worked.
    Info,
    /// Something is off but work goes on.
    Warning,
    /// Something failed.
    Error,
}

/// One notification.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Stable id for dismissing.
    pub id: u64,
    /// Severity.
    pub level: Level,
    /// One line, naming the file and the problem.
    pub text: String,
    /// More detail, shown on demand.
    pub details: Option<String>,
}

/// The notification list.
#[derive(Debug, Default)]
pub struct Notifications {
    items: Vec<Notification>,
    next_id: u64,
}

impl Notifications {
    /// Adds a notification unless the same text is already shown.
    pub fn push(&mut self, level: Level, text: impl Into<String>, details: Option<String>) {
        let text = text.into();
        if self.items.iter().any(|n| n.text == text) {
            return;
        }
        self.next_id += 1;
        self.items.push(Notification {
            id: self.next_id,
            level,
            text,
            details,
        });
    }

    /// Removes a notification.
    pub fn dismiss(&mut self, id: u64) {
        self.items.retain(|n| n.id != id);
    }

    /// Current notifications, oldest first.
    pub fn items(&self) -> &[Notification] {
        &self.items
    }

    /// Shows the notifications at the top right; returns ids the user dismissed.
    pub fn notifications_ui(&self, ctx: &egui::Context) -> Vec<u64> {
        let mut dismissed = Vec::new();
        if self.items.is_empty() {
            return dismissed;
        }
        egui::Area::new(egui::Id::unique("notifications"))
            // bottom right, above the status bar: plot legends sit at the top right
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -40.0))
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                ui.set_max_width(460.0);
                for n in self.items.iter().rev().take(5) {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.horizontal(|ui| {
                            let (icon, color) = match n.level {
                                Level::Info => ("i", ui.visuals().text_color()),
                                Level::Warning => (
                                    "!",
                                    crate::app::theme::status_color(crate::report::Status::Warn),
                                ),
                                Level::Error => (
                                    "x",
                                    crate::app::theme::status_color(crate::report::Status::Fail),
                                ),
                            };
                            ui.colored_label(color, icon);
                            ui.add(egui::Label::new(&n.text).wrap());
                            if ui.small_button("x").on_hover_text("Dismiss").clicked() {
                                dismissed.push(n.id);
                            }
                        });
                        if let Some(d) = &n.details {
                            ui.collapsing("Details", |ui| {
                                ui.add(egui::Label::new(egui::RichText::new(d).monospace()).wrap());
                            });
                        }
                    });
                    ui.add_space(4.0);
                }
            });
        dismissed
    }
}
