//! What command handlers may use besides their own state: the egui context (for repaints
//! and dialogs), the job slots, file dialogs and notifications. Handlers get this instead of
//! the whole window, so no handler module imports the window's top module.

use super::dialogs::Dialogs;
use super::jobs::Jobs;
use super::notifications::Notifications;
use eframe::egui;

/// Borrowed services for one command.
pub struct Services<'a> {
    /// The egui context.
    pub ctx: &'a egui::Context,
    /// The job slots.
    pub jobs: &'a mut Jobs,
    /// File dialogs.
    pub dialogs: &'a Dialogs,
    /// Messages for the user.
    pub notifications: &'a mut Notifications,
}
