//! The analysis unit and the allocation stages of an experiment: one row per stage with
//! its units per group, observed and expected shares, unit-level SRM and the primary
//! metric's effect in the stage, then the combined effect and its heterogeneity.

use super::{fmt_p, fmt_pct};
use crate::app::theme::status_color;
use crate::report::{ExperimentReport, Status, TestResult};
use eframe::egui::{self, RichText};

fn shares(m: &std::collections::BTreeMap<String, f64>) -> String {
    m.iter()
        .map(|(g, v)| format!("{g} {}", crate::report::format::share(*v)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The test the stage table follows: the primary metric's, else the first.
pub fn followed(r: &ExperimentReport) -> Option<&TestResult> {
    r.tests.iter().find(|t| t.primary).or(r.tests.first())
}

/// The unit line and, with more than one stage, the stage table.
pub fn stages_ui(ui: &mut egui::Ui, r: &ExperimentReport) {
    ui.horizontal(|ui| {
        ui.strong("Unit:");
        ui.label(format!(
            "{}{} ({})",
            r.unit.kind,
            r.unit
                .column
                .as_ref()
                .map(|c| format!(" · {c}"))
                .unwrap_or_default(),
            r.unit.source
        ))
        .on_hover_text(
            "With a user column the user is the unit: every request metric is a per-user ratio \
             (gbstats' delta method) so heavy users do not narrow the intervals. Choose \
             another in the Data view or with --unit.",
        );
        if r.errors_unattributed > 0 {
            ui.separator();
            ui.label(format!(
                "{} error events could not be charged to a group",
                r.errors_unattributed
            ));
        }
    });
    if r.stages.len() < 2 {
        return;
    }
    let metric = followed(r).map(|t| t.metric.clone()).unwrap_or_default();
    ui.add_space(4.0);
    ui.strong(format!(
        "{} allocation stages · {} users moved at a ramp boundary (not leakage)",
        r.stages.len(),
        r.assignment.users_moved_at_ramp
    ));
    egui::Grid::new("stages_table")
        .striped(true)
        .num_columns(8)
        .spacing([14.0, 4.0])
        .show(ui, |ui| {
            for h in [
                "stage",
                "start (UTC)",
                "requests",
                "units",
                "share of units",
                "expected",
                "SRM p",
                &format!("{metric} difference [CI]"),
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for s in &r.stages {
                ui.label(s.index.to_string());
                ui.label(s.start.replace('T', " "));
                ui.label(crate::app::jobs::thousands(s.requests));
                ui.label(
                    s.units
                        .iter()
                        .map(|(g, n)| format!("{g} {}", crate::app::jobs::thousands(*n)))
                        .collect::<Vec<_>>()
                        .join(" · "),
                );
                ui.label(shares(&s.observed_share));
                ui.label(s.expected_share.as_ref().map(shares).unwrap_or("–".into()))
                    .on_hover_text(s.srm_reason.clone().unwrap_or_default());
                match &s.srm {
                    Some(x) => {
                        let status = if x.mismatch {
                            Status::Fail
                        } else {
                            Status::Pass
                        };
                        ui.label(RichText::new(fmt_p(Some(x.p_value))).color(status_color(status)));
                    }
                    None => {
                        ui.weak("not checked")
                            .on_hover_text(s.srm_reason.clone().unwrap_or_default());
                    }
                }
                match s.tests.iter().find(|t| t.metric == metric) {
                    Some(t) => ui.label(format!(
                        "{} [{}, {}] · p {}",
                        crate::report::format::diff(t.diff),
                        t.ci_low.map_or("–".into(), crate::report::format::diff),
                        t.ci_high.map_or("–".into(), crate::report::format::diff),
                        fmt_p(t.p_value)
                    )),
                    None => ui.weak("–"),
                };
                ui.end_row();
            }
        });
    if let Some(t) = followed(r) {
        let mut line = format!(
            "Combined over {} stages (inverse-variance weights): {} [{}, {}], lift {}, p {}",
            t.stages_combined,
            crate::report::format::diff(t.diff),
            t.ci_low.map_or("–".into(), crate::report::format::diff),
            t.ci_high.map_or("–".into(), crate::report::format::diff),
            fmt_pct(t.relative_lift),
            fmt_p(t.p_value)
        );
        if let Some(h) = t.heterogeneity {
            line.push_str(&format!(
                " · Cochran's Q = {:.2} (df {}), p {}, I² {:.0}%",
                h.q,
                h.df,
                fmt_p(Some(h.p_value)),
                h.i2 * 100.0
            ));
            let differs = h.p_value < r.alpha;
            ui.label(RichText::new(line).color(status_color(if differs {
                Status::Warn
            } else {
                Status::Pass
            })));
            if differs {
                ui.label("The effect differs between stages: look at each stage before trusting the combined number (novelty or learning effects, or a stage-specific problem).");
            }
        } else {
            ui.label(line);
        }
        for l in &t.stages_left_out {
            ui.weak(format!("stage {} left out: {}", l.stage, l.reason));
        }
    }
}
