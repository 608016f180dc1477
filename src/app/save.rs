//! Saving the Drift and Models reports and tables: the dialog asks where, an export job
//! renders and writes.

use super::command::SaveKind;
use super::dialogs;
use super::{egui, notifications, VerdictApp};

impl VerdictApp {
    /// Opens the save dialog for a Drift or Models report or table.
    pub(crate) fn save_report(&mut self, ctx: &egui::Context, kind: SaveKind) {
        use crate::report::{compare_markdown, csv as rcsv, drift_markdown};
        use SaveKind as K;
        let drift = self.drift.report.clone();
        // shared, not copied: the render runs in the export job
        let compared = self.models.compared.clone();
        let (render, name, ext): (Option<dialogs::Render>, &str, &str) = match kind {
            K::DriftJson => (
                drift.map(|r| {
                    Box::new(move || serde_json::to_string_pretty(&r).unwrap_or_default())
                        as dialogs::Render
                }),
                "verdict_drift.json",
                "json",
            ),
            K::DriftMarkdown => (
                drift.map(|r| Box::new(move || drift_markdown::render(&r)) as dialogs::Render),
                "verdict_drift.md",
                "md",
            ),
            K::DriftFeaturesCsv => (
                drift.map(|r| Box::new(move || rcsv::drift_features_csv(&r)) as dialogs::Render),
                "drift_features.csv",
                "csv",
            ),
            K::DriftTriggersCsv => (
                drift.map(|r| Box::new(move || rcsv::drift_triggers_csv(&r)) as dialogs::Render),
                "drift_triggers.csv",
                "csv",
            ),
            K::DriftPerformanceCsv => (
                drift.map(|r| Box::new(move || rcsv::drift_performance_csv(&r)) as dialogs::Render),
                "drift_performance.csv",
                "csv",
            ),
            K::CompareJson => (
                compared.map(|r| {
                    Box::new(move || serde_json::to_string_pretty(&r.report).unwrap_or_default())
                        as dialogs::Render
                }),
                "verdict_compare.json",
                "json",
            ),
            K::CompareMarkdown => (
                compared.map(|r| {
                    Box::new(move || compare_markdown::render(&r.report)) as dialogs::Render
                }),
                "verdict_compare.md",
                "md",
            ),
            K::CompareImportanceCsv => (
                compared
                    .map(|r| Box::new(move || rcsv::importance_csv(&r.report)) as dialogs::Render),
                "importance.csv",
                "csv",
            ),
            K::CompareChecksCsv => (
                compared.map(|r| {
                    Box::new(move || rcsv::checks_csv(&r.report.checks)) as dialogs::Render
                }),
                "compare_checks.csv",
                "csv",
            ),
            K::ComparePredictionsCsv => (
                compared.map(|c| {
                    Box::new(move || crate::models::export::predictions_csv(&c)) as dialogs::Render
                }),
                "predictions.csv",
                "csv",
            ),
        };
        let Some(render) = render else {
            self.notifications.push(
                notifications::Level::Info,
                "Nothing to save yet: run the comparison first",
                None,
            );
            return;
        };
        self.save_dialog(ctx, render, "Save", (name, ext), name);
    }
}
