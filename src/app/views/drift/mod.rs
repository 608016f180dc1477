//! The Drift view: choose the two sides (two files, or a time split of the loaded log),
//! the feature table sorted by PSI / p / statistic with drifted and alert rows marked, the
//! selected feature's distributions on shared bins, PSI over time, and the triggers.

pub mod features;
mod over_time;
mod performance;
mod sources;

use features::{feature_detail_ui, feature_table_ui};
use over_time::psi_over_time_ui;
use performance::performance_ui;
use sources::sources_ui;

use crate::app::command::Command;
use crate::app::command::SaveKind;
use crate::app::drift::{DriftPanel, DriftSort};
use crate::app::theme::status_color;
use crate::report::drift::DriftReport;
use crate::report::Status;
use eframe::egui::{self, RichText};

/// Tooltips for the drift statistics.
pub mod tips {
    /// PSI.
    pub const PSI: &str = "Population stability index over 10 reference-decile bins (categories for categorical features): below 0.1 stable, 0.1-0.15 moderate, above 0.15 a material shift.";
    /// KS.
    pub const KS: &str = "Kolmogorov-Smirnov statistic: the largest gap between the two empirical distribution functions (numeric features).";
    /// Chi-square.
    pub const CHI2: &str =
        "Chi-square test of homogeneity of the category counts (categorical features).";
    /// p.
    pub const P: &str = "Probability of a difference at least this large if both sides came from the same distribution.";
    /// Wasserstein.
    pub const W: &str = "Wasserstein-1 distance (area between the distribution functions), in the feature's units; W/sd divides it by the reference standard deviation.";
    /// Drifted.
    pub const DRIFTED: &str = "Drifted: p below alpha and PSI at or above the drift threshold, so huge samples do not flag trivial shifts.";
}

/// The whole view.
pub fn drift_ui(
    ui: &mut egui::Ui,
    panel: &DriftPanel,
    loaded: Option<((i64, i64), String)>,
    sort: DriftSort,
    busy: bool,
    cmds: &mut Vec<Command>,
) {
    ui.heading("Data drift and retraining triggers");
    // the verdict first: the dataset's drift and whether to retrain
    if let Some(r) = &panel.report {
        verdict_ui(ui, r);
    }
    sources_ui(ui, panel, loaded, busy, cmds);
    ui.separator();
    let Some(r) = &panel.report else {
        ui.label("No comparison yet: choose the two sides above, or drop two data files here (the first is the reference).");
        return;
    };
    summary_ui(ui, r);
    save_row_ui(
        ui,
        &[
            ("JSON", SaveKind::DriftJson),
            ("Markdown", SaveKind::DriftMarkdown),
            ("features CSV", SaveKind::DriftFeaturesCsv),
            ("triggers CSV", SaveKind::DriftTriggersCsv),
            ("performance CSV", SaveKind::DriftPerformanceCsv),
        ],
        cmds,
    );
    ui.add_space(6.0);
    ui.columns(2, |cols| {
        feature_table_ui(&mut cols[0], r, panel.selected.as_deref(), sort, cmds);
        if let Some(f) = panel
            .selected
            .as_ref()
            .and_then(|s| r.features.iter().find(|f| &f.name == s))
        {
            feature_detail_ui(&mut cols[1], f, cmds);
        }
    });
    ui.add_space(8.0);
    psi_over_time_ui(ui, r, cmds);
    ui.add_space(8.0);
    performance_ui(ui, r, panel.performance_metric, cmds);
    ui.add_space(8.0);
    triggers_ui(ui, r);
}

/// The one drift verdict: the dataset's drift and the retraining answer, coloured by the
/// answer, with the trigger table's failing rows named.
fn verdict_ui(ui: &mut egui::Ui, r: &DriftReport) {
    use crate::report::drift::Retrain;
    let (answer, _) = r.retrain();
    let status = match answer {
        Retrain::Yes => Status::Fail,
        Retrain::Watch => Status::Warn,
        Retrain::No if r.dataset_drifted => Status::Warn,
        Retrain::No => Status::Pass,
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.colored_label(
            status_color(status),
            RichText::new(r.verdict_line()).strong().size(16.0),
        );
        let t = &r.thresholds;
        ui.weak(format!(
            "A feature is drifted when p < {} and PSI >= {} (the dataset when a share of {} of its inputs is; now {:.2}); watch when PSI >= {} without a significant test; otherwise stable. The triggers are listed at the bottom.",
            t.alpha, t.psi_drift, t.drift_share, r.drift_share, t.psi_alert
        ));
        if let Some(b) = &r.binned {
            ui.weak(if b.source == "stream" {
                format!(
                    "Streamed: files larger than memory read in chunks ({} passes; the columns chosen on the first {} rows); every feature's statistics exact. Not computed: {}.",
                    b.queries,
                    crate::report::format::count(b.sample_rows),
                    b.not_computed.join("; ")
                )
            } else {
                format!(
                    "Computed on the ClickHouse server from counts ({} queries); KS bracketed within ks_error_bound. Not computed: {}.",
                    b.queries,
                    b.not_computed.join("; ")
                )
            });
        }
    });
}

fn summary_ui(ui: &mut egui::Ui, r: &DriftReport) {
    let side = |d: &crate::report::drift::DriftSide| {
        let span = match (&d.start, &d.end) {
            (Some(a), Some(b)) => format!(
                ", {} to {} UTC",
                crate::report::format::iso_to_second(a),
                crate::report::format::iso_to_second(b)
            ),
            _ => String::new(),
        };
        format!("{} rows{span}", d.rows)
    };
    ui.label(format!(
        "Reference: {}  ·  Current: {}",
        side(&r.reference),
        side(&r.current)
    ));
    let ex = &r.excluded;
    if let Some(line) = ex.summary() {
        ui.weak(line);
    }
    let s = &r.schema;
    if !s.only_in_reference.is_empty()
        || !s.only_in_current.is_empty()
        || !s.dtype_changes.is_empty()
    {
        let mut parts = Vec::new();
        if !s.only_in_reference.is_empty() {
            parts.push(format!(
                "only in reference: {}",
                s.only_in_reference.join(", ")
            ));
        }
        if !s.only_in_current.is_empty() {
            parts.push(format!("only in current: {}", s.only_in_current.join(", ")));
        }
        for d in &s.dtype_changes {
            parts.push(format!("{}: {} -> {}", d.name, d.reference, d.current));
        }
        ui.colored_label(
            status_color(Status::Warn),
            format!("Schema: {}", parts.join("; ")),
        );
    }
}

fn triggers_ui(ui: &mut egui::Ui, r: &DriftReport) {
    ui.strong("Retraining triggers and data checks");
    super::checks::checks_ui(ui, "drift_triggers", &r.triggers);
}

/// A row of "Save" buttons.
pub fn save_row_ui(ui: &mut egui::Ui, items: &[(&str, SaveKind)], cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.weak("Save:");
        for (label, kind) in items {
            if ui.small_button(*label).clicked() {
                cmds.push(Command::Save(*kind));
            }
        }
    });
}
