//! What the comparison decides with: the paired tests (McNemar, DeLong, bootstrap
//! intervals), the segments where the challenger does worse, the per-class table and k × k
//! flip matrix of multi-class models, and where each model came from (MLflow ids and
//! environment).

use super::super::{fmt_num, fmt_p};
use crate::app::theme::status_color;
use crate::report::compare::{CompareReport, ModelReport};
use crate::report::Status;
use eframe::egui::{self, RichText};

/// A row of the MLflow table: its name and how to read it.
type InfoRow = (
    &'static str,
    fn(&crate::report::compare::MlflowInfo) -> String,
);

/// Worst segments shown (the JSON and Markdown reports have them all).
const WORST_SHOWN: usize = 12;

/// Tooltips.
mod tips {
    pub const MCNEMAR: &str = "McNemar's test on the rows exactly one model gets wrong: b = champion wrong and challenger right, c = the reverse (exact binomial below 25 discordant rows, else chi-square with continuity correction).";
    pub const DELONG: &str =
        "DeLong's paired test of the AUC difference (challenger − champion), with its interval.";
    pub const BOOTSTRAP: &str = "Seeded paired bootstrap: the same resampled rows for both models; 95 % percentile interval of the difference (challenger − champion).";
    pub const WORST: &str = "Single-column segments (each text value, each decile of a numeric feature) with at least 20 labelled rows where the challenger does worse; paired test within the segment, Holm-adjusted across all segments tested.";
}

/// An interval that excludes zero.
fn excludes_zero(interval: Option<(f64, f64)>) -> bool {
    interval.is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0)
}

/// A difference, coloured (green better, red worse) only when `significant` (its interval
/// excludes zero, or its adjusted p is below the level).
fn signed(ui: &mut egui::Ui, d: f64, higher_better: bool, significant: bool) {
    let worse = if higher_better { d < 0.0 } else { d > 0.0 };
    let color = if d == 0.0 || !significant {
        ui.visuals().text_color()
    } else if worse {
        status_color(Status::Fail)
    } else {
        status_color(Status::Pass)
    };
    ui.colored_label(color, crate::report::format::diff(d));
}

/// McNemar, DeLong and the bootstrap intervals as one grid.
pub(super) fn paired_tests_ui(ui: &mut egui::Ui, r: &CompareReport) {
    let Some(p) = &r.paired_tests else {
        return;
    };
    ui.add_space(6.0);
    ui.strong(format!("Paired tests on {} labelled rows", p.n));
    egui::Grid::new("models_paired")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            for h in ["test", "challenger − champion", "interval", "p"] {
                ui.strong(h);
            }
            ui.end_row();
            if let Some(m) = &p.mcnemar {
                ui.label("McNemar (wrong decisions)")
                    .on_hover_text(tips::MCNEMAR);
                ui.label(format!(
                    "b {} vs c {}{}",
                    m.b,
                    m.c,
                    if m.exact { " (exact)" } else { "" }
                ));
                ui.label("–");
                ui.label(fmt_p(m.p_value));
                ui.end_row();
            }
            if let Some(d) = &p.delong {
                ui.label("DeLong ΔAUC").on_hover_text(tips::DELONG);
                signed(ui, d.diff, true, excludes_zero(Some((d.ci_low, d.ci_high))));
                ui.label(format!(
                    "[{}, {}]",
                    crate::report::format::diff(d.ci_low),
                    crate::report::format::diff(d.ci_high)
                ));
                ui.label(fmt_p(Some(d.p_value)));
                ui.end_row();
            }
            if let Some(t) = &p.abs_error {
                ui.label("paired t, |error|");
                signed(ui, t.mean, false, excludes_zero(t.ci_low.zip(t.ci_high)));
                ui.label(match (t.ci_low, t.ci_high) {
                    (Some(a), Some(b)) => format!("[{a:+.4}, {b:+.4}]"),
                    _ => "–".into(),
                });
                ui.label(fmt_p(t.p_value));
                ui.end_row();
            }
            for (name, b) in &p.bootstrap {
                ui.label(format!("bootstrap Δ{name}"))
                    .on_hover_text(tips::BOOTSTRAP);
                signed(
                    ui,
                    b.diff,
                    name == "f1",
                    excludes_zero(Some((b.ci_low, b.ci_high))),
                );
                ui.label(format!(
                    "[{}, {}] ({} resamples)",
                    crate::report::format::diff(b.ci_low),
                    crate::report::format::diff(b.ci_high),
                    b.n
                ));
                ui.label("–");
                ui.end_row();
            }
        });
}

/// Where the challenger does worse, worst first.
pub(super) fn worst_segments_ui(ui: &mut egui::Ui, r: &CompareReport) {
    if r.segments_tested == 0 {
        return;
    }
    ui.add_space(6.0);
    ui.strong(format!(
        "Where the challenger does worse: {} of {} segments",
        r.worst_segments.len(),
        r.segments_tested
    ))
    .on_hover_text(tips::WORST);
    if r.worst_segments.is_empty() {
        ui.label("The challenger does at least as well as the champion in every segment tested.");
        return;
    }
    egui::Grid::new("models_worst")
        .striped(true)
        .num_columns(8)
        .show(ui, |ui| {
            for h in [
                "column",
                "segment",
                "rows",
                "champion",
                "challenger",
                "difference",
                "p",
                "p (Holm)",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for w in r.worst_segments.iter().take(WORST_SHOWN) {
                ui.label(&w.column);
                ui.label(&w.segment);
                ui.label(w.rows.to_string());
                ui.label(fmt_num(w.champion));
                ui.label(fmt_num(w.challenger));
                signed(ui, w.diff, true, w.p_value_adjusted < 0.05);
                ui.label(fmt_p(Some(w.p_value)));
                let adj = fmt_p(Some(w.p_value_adjusted));
                if w.p_value_adjusted < 0.05 {
                    ui.colored_label(status_color(Status::Fail), adj);
                } else {
                    ui.label(adj);
                }
                ui.end_row();
            }
        });
    if let Some(first) = r.worst_segments.first() {
        ui.weak(format!(
            "metric: {} (higher is better); {} more in the saved report",
            first.metric,
            r.worst_segments.len().saturating_sub(WORST_SHOWN)
        ));
    }
}

/// Multi-class: per-class precision / recall / F1 and the k × k flip matrix.
pub(super) fn per_class_ui(ui: &mut egui::Ui, r: &CompareReport) {
    let (a, b) = (
        &r.champion.metrics.per_class,
        &r.challenger.metrics.per_class,
    );
    ui.strong("Per class (top-1)");
    egui::Grid::new("models_per_class")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for h in [
                "class",
                "support",
                "champion P / R / F1",
                "challenger P / R / F1",
                "ΔF1",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for (x, y) in a.iter().zip(b) {
                ui.label(&x.class);
                ui.label(x.support.to_string());
                ui.label(format!(
                    "{:.3} / {:.3} / {:.3}",
                    x.precision, x.recall, x.f1
                ));
                ui.label(format!(
                    "{:.3} / {:.3} / {:.3}",
                    y.precision, y.recall, y.f1
                ));
                signed(ui, y.f1 - x.f1, true, false);
                ui.end_row();
            }
        });
    let fm = &r.diff.flip_matrix;
    if fm.is_empty() {
        return;
    }
    ui.add_space(4.0);
    ui.strong("Flip matrix: champion's class (rows) to challenger's class (columns)");
    let classes: Vec<&String> = fm.keys().collect();
    egui::Grid::new("models_flip_matrix")
        .striped(true)
        .num_columns(classes.len() + 1)
        .show(ui, |ui| {
            ui.label("");
            for c in &classes {
                ui.strong(c.as_str());
            }
            ui.end_row();
            for (c, row) in fm {
                ui.strong(c.as_str());
                for d in &classes {
                    let n = row.get(*d).copied().unwrap_or(0);
                    if c != *d && n > 0 {
                        ui.colored_label(status_color(Status::Warn), n.to_string());
                    } else {
                        ui.label(n.to_string());
                    }
                }
                ui.end_row();
            }
        });
}

/// Where each model came from: source kind, MLflow ids, Python and requirements.
pub(super) fn provenance_ui(ui: &mut egui::Ui, r: &CompareReport) {
    let models: [(&str, &ModelReport); 2] =
        [("Champion", &r.champion), ("Challenger", &r.challenger)];
    if models.iter().all(|(_, m)| m.mlflow.is_none()) {
        return;
    }
    egui::CollapsingHeader::new(RichText::new("MLflow models").strong())
        .id_salt("models_mlflow")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("models_mlflow_grid")
                .striped(true)
                .num_columns(3)
                .show(ui, |ui| {
                    ui.label("");
                    ui.strong("champion");
                    ui.strong("challenger");
                    ui.end_row();
                    let field =
                        |m: &ModelReport, f: fn(&crate::report::compare::MlflowInfo) -> String| {
                            m.mlflow.as_ref().map_or("–".to_string(), f)
                        };
                    let rows: [InfoRow; 6] = [
                        ("run_id", |x| {
                            x.run_id.clone().unwrap_or_else(|| "– (save_model)".into())
                        }),
                        ("model_uuid", |x| x.model_uuid.clone().unwrap_or_default()),
                        ("created (UTC)", |x| {
                            x.utc_time_created.clone().unwrap_or_default()
                        }),
                        ("mlflow", |x| x.mlflow_version.clone().unwrap_or_default()),
                        ("python", |x| x.python_version.clone().unwrap_or_default()),
                        ("input example", |x| {
                            x.input_example_rows
                                .map_or("none".into(), |n| format!("{n} rows"))
                        }),
                    ];
                    for (name, f) in rows {
                        ui.label(name);
                        let (x, y) = (field(models[0].1, f), field(models[1].1, f));
                        ui.label(&x);
                        if x != y
                            && name != "model_uuid"
                            && name != "created (UTC)"
                            && name != "run_id"
                        {
                            ui.colored_label(status_color(Status::Warn), y);
                        } else {
                            ui.label(y);
                        }
                        ui.end_row();
                    }
                    // requirements line by line, differences marked
                    let reqs = |m: &ModelReport| -> Vec<String> {
                        m.mlflow
                            .as_ref()
                            .map(|x| x.requirements.clone())
                            .unwrap_or_default()
                    };
                    let (ra, rb) = (reqs(models[0].1), reqs(models[1].1));
                    ui.label("requirements");
                    ui.vertical(|ui| {
                        for l in &ra {
                            ui.label(l);
                        }
                    });
                    ui.vertical(|ui| {
                        for l in &rb {
                            if ra.contains(l) {
                                ui.label(l);
                            } else {
                                ui.colored_label(status_color(Status::Warn), l);
                            }
                        }
                    });
                    ui.end_row();
                });
        });
}
