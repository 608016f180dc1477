//! One table for every kind of check: experiment health and guardrails, drift triggers and
//! model-comparison checks. The status is a word as well as a colour; the numbers behind a
//! check show on hover.

use crate::app::theme::{status_color, status_text};
use crate::report::{Check, CheckId};
use eframe::egui::{self, RichText};

/// What a check means, in one sentence (tooltip on its id).
pub fn check_tip(id: CheckId) -> &'static str {
    match id {
        CheckId::Srm => super::tips::SRM,
        CheckId::Leakage => super::tips::LEAKAGE,
        CheckId::SampleSize => super::tips::SAMPLE,
        CheckId::LatencyP99 => super::tips::P99,
        CheckId::ErrorRate => super::tips::ERROR_RATE,
        CheckId::Fallbacks => super::tips::FALLBACKS,
        CheckId::Psi => "Features whose population stability index reaches the alert threshold.",
        CheckId::DatasetDrift => "Share of features that drifted, against the dataset threshold.",
        CheckId::AucDecline => "Daily AUC below the reference period's for consecutive days.",
        CheckId::F1Drop => "Relative F1 drop against the reference period.",
        CheckId::MetricDecline => {
            "Daily metric means below the reference mean for consecutive days."
        }
        CheckId::RowCount => "Too few rows on a side to judge drift.",
        CheckId::LabelCardinality => "Distinct label values other than expected.",
        CheckId::NullFeatures => "Features that became empty, or whose null rate rose materially.",
        CheckId::Schema => "Columns missing on one side or with a changed type.",
        CheckId::DiffRate => {
            "Share of holdout rows whose predicted class differs between the models."
        }
        CheckId::ImportanceShift => {
            "The models' three most important features differ or are reordered."
        }
        CheckId::FeatureAlignment => {
            "Whether both models read the same holdout columns in the same order."
        }
        CheckId::Environment => "Training environments recorded in the bundles' manifests.",
        CheckId::Heterogeneity => {
            "Whether the effect differs between ramp stages (Cochran's Q on the per-stage estimates)."
        }
        CheckId::Stages => "The stages found in the log against the plan's declared ramp.",
        CheckId::Cuped => {
            "CUPED: whether each user's pre-period data reduces the variance of the tests, or why it could not."
        }
        CheckId::ColumnOrder => {
            "Whether each model's features are matched to the holdout by name; a model fed columns by position cannot be verified."
        }
        CheckId::Reproducibility => {
            "Offline metrics recorded with a model (bundle.toml [metrics], MLflow metadata) against the replay on this holdout."
        }
        CheckId::InputExample => {
            "The input example saved with an MLflow model, replayed through it as a smoke test."
        }
        CheckId::Guardrails => {
            "Metrics declared as guardrails: each one-sided test shows the treatment is not worse than its margin (Holm-corrected)."
        }
    }
}

/// The checks as a striped grid: id, status, message (numbers on hover).
pub fn checks_ui(ui: &mut egui::Ui, grid_id: &str, checks: &[Check]) {
    egui::Grid::new(grid_id)
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            for c in checks {
                ui.label(RichText::new(c.label()).strong())
                    .on_hover_text(check_tip(c.id));
                ui.colored_label(
                    status_color(c.status),
                    RichText::new(status_text(c.status)).strong(),
                );
                let msg = ui.add(egui::Label::new(&c.message).wrap());
                if !c.numbers.is_empty() {
                    msg.on_hover_text(c.numbers_text().replace("; ", "\n"));
                }
                ui.end_row();
            }
        });
}
