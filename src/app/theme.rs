//! Colours: a colour-blind-safe group palette (Okabe–Ito) used by every plot, and status colours.

use crate::report::{Action, Status};
use eframe::egui::Color32;

/// Okabe–Ito palette, control first.
pub const GROUP_COLORS: [Color32; 7] = [
    Color32::from_rgb(0x00, 0x72, 0xB2), // blue
    Color32::from_rgb(0xE6, 0x9F, 0x00), // orange
    Color32::from_rgb(0x00, 0x9E, 0x73), // bluish green
    Color32::from_rgb(0xCC, 0x79, 0xA7), // reddish purple
    Color32::from_rgb(0x56, 0xB4, 0xE9), // sky blue
    Color32::from_rgb(0xD5, 0x5E, 0x00), // vermillion
    Color32::from_rgb(0xF0, 0xE4, 0x42), // yellow
];

/// Colour of the group at `index` in the report's group order (control = 0).
pub fn group_color(index: usize) -> Color32 {
    GROUP_COLORS[index % GROUP_COLORS.len()]
}

/// Colour for a check status (blue/orange/vermillion stay distinguishable for colour-blind users).
pub fn status_color(status: Status) -> Color32 {
    match status {
        Status::Pass => Color32::from_rgb(0x00, 0x9E, 0x73),
        Status::Warn => Color32::from_rgb(0xE6, 0x9F, 0x00),
        Status::Fail => Color32::from_rgb(0xD5, 0x5E, 0x00),
    }
}

/// Status word with a symbol, so meaning never rests on colour alone.
pub fn status_text(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
    }
}

/// Colour of a recommendation action.
pub fn action_color(action: Action) -> Color32 {
    status_color(action.status())
}
