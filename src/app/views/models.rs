//! The Models view: champion and challenger (drop two models anywhere, or choose them; Swap),
//! the holdout, the runtime found, the signature and metadata diff, Replay with progress,
//! the metric table, champion-vs-challenger scores, the |Δp| histogram, the flip matrix,
//! permutation importance side by side with rank changes, the most-disagreeing rows,
//! agreement per segment, reliability curves and the checks.

use super::drift::save_row_ui;
use super::{fmt_num, fmt_pct, png_button};
use crate::app::command::Command;
use crate::app::command::SaveKind;
use crate::app::models::{ModelsCommand, ModelsPanel, RuntimeStatus, Slot};
use crate::app::theme::{group_color, status_color};
use crate::models::compare::describe;
use crate::report::compare::{CompareReport, Metrics, ModelReport};
use crate::report::Status;
use eframe::egui::{self, Color32, RichText};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints, Points};

/// Tooltips.
pub mod tips {
    /// Diff rate.
    pub const DIFF_RATE: &str = "Share of holdout rows whose predicted class differs between the models (each at its threshold).";
    /// Importance.
    pub const IMPORTANCE: &str = "Drop in the metric when one feature column is shuffled (same shuffles for both models); larger means the model relies on it more.";
    /// Calibration.
    pub const CALIBRATION: &str = "Observed positive rate against mean predicted probability in 10 equal-width bins; a calibrated model follows the diagonal.";
}

/// The whole view.
pub fn models_ui(ui: &mut egui::Ui, panel: &ModelsPanel, busy: bool, cmds: &mut Vec<Command>) {
    ui.heading("Champion vs challenger on a holdout");
    runtime_ui(ui, panel);
    inputs_ui(ui, panel, busy, cmds);
    ui.separator();
    let (a, b) = (panel.champion.as_ref(), panel.challenger.as_ref());
    if a.is_none() && b.is_none() {
        ui.label("Drop two ONNX models or bundles anywhere in the window (the first is the champion), or choose them above.");
        return;
    }
    // before a replay: the descriptive part of each model, side by side
    let reports: (Option<ModelReport>, Option<ModelReport>) = match &panel.compared {
        Some(c) => (
            Some(c.report.champion.clone()),
            Some(c.report.challenger.clone()),
        ),
        None => (a.map(|(_, m)| describe(m)), b.map(|(_, m)| describe(m))),
    };
    signature_ui(
        ui,
        reports.0.as_ref(),
        reports.1.as_ref(),
        panel.compared.is_some(),
    );
    let Some(c) = &panel.compared else {
        ui.add_space(6.0);
        ui.label(if busy {
            "Replaying..."
        } else {
            "Press Replay to run the holdout through both models."
        });
        return;
    };
    let r = &c.report;
    ui.add_space(6.0);
    save_row_ui(
        ui,
        &[
            ("JSON", SaveKind::CompareJson),
            ("Markdown", SaveKind::CompareMarkdown),
            ("predictions CSV", SaveKind::ComparePredictionsCsv),
            ("importance CSV", SaveKind::CompareImportanceCsv),
            ("checks CSV", SaveKind::CompareChecksCsv),
        ],
        cmds,
    );
    checks_ui(ui, r);
    ui.add_space(6.0);
    metrics_ui(ui, r);
    ui.add_space(6.0);
    ui.columns(2, |cols| {
        scatter_ui(
            &mut cols[0],
            &c.champion,
            &c.challenger,
            c.labels.as_deref(),
            cmds,
        );
        delta_histogram_ui(&mut cols[1], r, cmds);
    });
    ui.columns(2, |cols| {
        flips_ui(&mut cols[0], r);
        calibration_ui(&mut cols[1], r, cmds);
    });
    importance_ui(ui, r, cmds);
    disagreeing_rows_ui(ui, r);
    segments_ui(ui, r);
}

fn runtime_ui(ui: &mut egui::Ui, panel: &ModelsPanel) {
    match &panel.runtime {
        RuntimeStatus::Unknown => {
            ui.weak("ONNX Runtime: not looked for yet");
        }
        RuntimeStatus::Probing => {
            ui.weak("looking for ONNX Runtime...");
        }
        RuntimeStatus::Found { version, library } => {
            ui.label(format!("ONNX Runtime {version} ({library})"));
        }
        RuntimeStatus::Missing(e) => {
            ui.colored_label(status_color(Status::Warn), e.to_string());
        }
    }
}

fn name_of(p: &std::path::Path) -> String {
    p.display().to_string()
}

fn inputs_ui(ui: &mut egui::Ui, panel: &ModelsPanel, busy: bool, cmds: &mut Vec<Command>) {
    egui::Grid::new("models_inputs")
        .num_columns(3)
        .show(ui, |ui| {
            for (slot, label, m) in [
                (Slot::Champion, "Champion", &panel.champion),
                (Slot::Challenger, "Challenger", &panel.challenger),
            ] {
                ui.label(
                    RichText::new(label)
                        .color(group_color(if slot == Slot::Champion { 0 } else { 1 }))
                        .strong(),
                );
                ui.monospace(m.as_ref().map_or("(none)".into(), |(p, _)| name_of(p)));
                if ui.button("Choose...").clicked() {
                    cmds.push(Command::Models(ModelsCommand::Pick(slot)));
                }
                ui.end_row();
            }
            ui.label("Holdout");
            let bundle_holdout = panel
                .champion
                .iter()
                .chain(panel.challenger.iter())
                .find_map(|(_, m)| m.source.holdout.clone());
            ui.monospace(match (&panel.holdout, bundle_holdout) {
                (Some(p), _) => name_of(p),
                (None, Some(p)) => format!("{} (from the bundle)", name_of(&p)),
                (None, None) => "(none: choose or drop a labelled data file)".into(),
            });
            if ui.button("Choose...").clicked() {
                cmds.push(Command::Models(ModelsCommand::PickHoldout));
            }
            ui.end_row();
        });
    ui.horizontal(|ui| {
        if ui
            .button("Swap")
            .on_hover_text("Exchange champion and challenger")
            .clicked()
        {
            cmds.push(Command::Models(ModelsCommand::Swap));
        }
        let ready = panel.champion.is_some() && panel.challenger.is_some();
        if ui
            .add_enabled(ready && !busy, egui::Button::new("Replay"))
            .clicked()
        {
            cmds.push(Command::Models(ModelsCommand::Replay));
        }
        ui.label("label");
        let mut label = panel.label.clone();
        if ui
            .add(
                egui::TextEdit::singleline(&mut label)
                    .desired_width(90.0)
                    .hint_text("auto"),
            )
            .changed()
        {
            cmds.push(Command::Models(ModelsCommand::SetLabel(label)));
        }
        ui.label("threshold");
        let mut t = panel.threshold;
        if ui
            .add(egui::DragValue::new(&mut t).range(0.01..=0.99).speed(0.01))
            .changed()
        {
            cmds.push(Command::Models(ModelsCommand::SetThreshold(t)));
        }
        ui.label("repeats");
        let mut rep = panel.repeats;
        if ui
            .add(egui::DragValue::new(&mut rep).range(0..=50))
            .changed()
        {
            cmds.push(Command::Models(ModelsCommand::SetRepeats(rep)));
        }
        ui.label("seed");
        let mut seed = panel.seed;
        if ui.add(egui::DragValue::new(&mut seed)).changed() {
            cmds.push(Command::Models(ModelsCommand::SetSeed(seed)));
        }
        if ui.button("Load sample models").clicked() {
            cmds.push(Command::Models(ModelsCommand::LoadSample));
        }
    });
}

/// Rows of the side-by-side model description: (what, champion, challenger).
pub fn signature_rows(
    a: Option<&ModelReport>,
    b: Option<&ModelReport>,
) -> Vec<(String, String, String)> {
    let get =
        |m: Option<&ModelReport>, f: &dyn Fn(&ModelReport) -> String| m.map_or("–".to_string(), f);
    let ports = |v: &[crate::report::compare::Port]| {
        v.iter()
            .map(|p| {
                format!(
                    "{} {} {}",
                    p.name,
                    p.ty,
                    p.shape.as_ref().map_or("?".into(), |s| shape_text(s))
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut rows: Vec<(String, String, String)> = vec![
        (
            "name".into(),
            get(a, &|m| m.name.clone()),
            get(b, &|m| m.name.clone()),
        ),
        (
            "version".into(),
            get(a, &|m| m.version.clone().unwrap_or_default()),
            get(b, &|m| m.version.clone().unwrap_or_default()),
        ),
        (
            "producer".into(),
            get(a, &|m| m.producer.clone()),
            get(b, &|m| m.producer.clone()),
        ),
        (
            "IR version".into(),
            get(a, &|m| m.ir_version.to_string()),
            get(b, &|m| m.ir_version.to_string()),
        ),
        (
            "graph".into(),
            get(a, &|m| m.graph_name.clone()),
            get(b, &|m| m.graph_name.clone()),
        ),
        (
            "opsets".into(),
            get(a, &|m| fmt_map(&m.opsets)),
            get(b, &|m| fmt_map(&m.opsets)),
        ),
        (
            "inputs".into(),
            get(a, &|m| ports(&m.inputs)),
            get(b, &|m| ports(&m.inputs)),
        ),
        (
            "outputs".into(),
            get(a, &|m| ports(&m.outputs)),
            get(b, &|m| ports(&m.outputs)),
        ),
    ];
    let mut keys: Vec<&String> = a
        .iter()
        .chain(b.iter())
        .flat_map(|m| m.metadata.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        rows.push((
            format!("metadata {k}"),
            get(a, &|m| m.metadata.get(k).cloned().unwrap_or_default()),
            get(b, &|m| m.metadata.get(k).cloned().unwrap_or_default()),
        ));
    }
    let mut keys: Vec<&String> = a
        .iter()
        .chain(b.iter())
        .flat_map(|m| m.environment.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        rows.push((
            format!("trained with {k}"),
            get(a, &|m| m.environment.get(k).cloned().unwrap_or_default()),
            get(b, &|m| m.environment.get(k).cloned().unwrap_or_default()),
        ));
    }
    if a.is_some_and(|m| m.mapping.is_some()) {
        let map = |m: &ModelReport| {
            m.mapping
                .as_ref()
                .map(|map| {
                    format!(
                        "{} from {}: {}",
                        map.layout,
                        map.source,
                        map.inputs
                            .iter()
                            .map(|(k, v)| format!("{k} <- {}", v.join(", ")))
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                })
                .unwrap_or_default()
        };
        rows.push(("holdout mapping".into(), get(a, &map), get(b, &map)));
        rows.push((
            "reads output".into(),
            get(a, &|m| m.prediction_output.clone()),
            get(b, &|m| m.prediction_output.clone()),
        ));
    }
    rows
}

/// A shape as `[?, 8]` (`?` for unknown dimensions, names as they are).
pub fn shape_text(s: &[serde_json::Value]) -> String {
    let dims: Vec<String> = s
        .iter()
        .map(|d| match d {
            serde_json::Value::Null => "?".to_string(),
            serde_json::Value::String(n) => n.clone(),
            other => other.to_string(),
        })
        .collect();
    format!("[{}]", dims.join(", "))
}

fn fmt_map<V: std::fmt::Display>(m: &std::collections::BTreeMap<String, V>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn signature_ui(
    ui: &mut egui::Ui,
    a: Option<&ModelReport>,
    b: Option<&ModelReport>,
    compared: bool,
) {
    let rows = signature_rows(a, b);
    let differing = rows
        .iter()
        .filter(|(_, x, y)| a.is_some() && b.is_some() && x != y)
        .count();
    egui::CollapsingHeader::new(format!(
        "Signatures and metadata: {differing} of {} rows differ (highlighted)",
        rows.len()
    ))
    .id_salt(("models_signature_header", compared))
    .default_open(!compared)
    .show(ui, |ui| {
        egui::Grid::new("models_signature")
            .striped(true)
            .num_columns(3)
            .show(ui, |ui| {
                ui.strong("");
                ui.strong("champion");
                ui.strong("challenger");
                ui.end_row();
                for (what, x, y) in &rows {
                    let differs = a.is_some() && b.is_some() && x != y;
                    ui.label(what);
                    for t in [x, y] {
                        let short: String = if t.chars().count() > 70 {
                            t.chars().take(67).collect::<String>() + "..."
                        } else {
                            t.clone()
                        };
                        let resp = if differs {
                            ui.colored_label(status_color(Status::Warn), short)
                        } else {
                            ui.label(short)
                        };
                        if t.chars().count() > 70 {
                            resp.on_hover_text(t.as_str());
                        }
                    }
                    ui.end_row();
                }
            });
    });
}

fn checks_ui(ui: &mut egui::Ui, r: &CompareReport) {
    ui.strong("Checks");
    super::checks::checks_ui(ui, "models_checks", &r.checks);
}

fn metric_rows(m: &Metrics) -> [(&'static str, Option<f64>, bool); 9] {
    [
        ("AUC", m.auc, true),
        ("accuracy", m.accuracy, true),
        ("precision", m.precision, true),
        ("recall", m.recall, true),
        ("F1", m.f1, true),
        ("log loss", m.log_loss, false),
        ("Brier", m.brier, false),
        ("RMSE", m.rmse, false),
        ("MAE", m.mae, false),
    ]
}

fn metrics_ui(ui: &mut egui::Ui, r: &CompareReport) {
    ui.horizontal(|ui| {
        ui.strong(format!(
            "Metrics on {} holdout rows{}",
            r.holdout.rows,
            r.holdout
                .label
                .as_ref()
                .map_or(" (no label column: metrics need one)".into(), |l| format!(
                    " (label {l})"
                ))
        ));
        ui.label("·");
        ui.label(format!("diff rate {:.2}%", r.diff.rate * 100.0))
            .on_hover_text(tips::DIFF_RATE);
    });
    egui::Grid::new("models_metrics")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            ui.strong("metric");
            ui.strong("champion");
            ui.strong("challenger");
            ui.strong("challenger - champion");
            ui.end_row();
            let (a, b) = (
                metric_rows(&r.champion.metrics),
                metric_rows(&r.challenger.metrics),
            );
            for ((name, x, higher_better), (_, y, _)) in a.iter().zip(b.iter()) {
                if x.is_none() && y.is_none() {
                    continue;
                }
                ui.label(*name);
                ui.label(x.map_or("–".into(), fmt_num));
                ui.label(y.map_or("–".into(), fmt_num));
                match x.zip(*y) {
                    Some((x, y)) => {
                        let d = y - x;
                        let better = if *higher_better { d > 0.0 } else { d < 0.0 };
                        let color = if d == 0.0 {
                            ui.visuals().text_color()
                        } else if better {
                            status_color(Status::Pass)
                        } else {
                            status_color(Status::Fail)
                        };
                        ui.colored_label(color, format!("{d:+.4}"));
                    }
                    None => {
                        ui.label("–");
                    }
                }
                ui.end_row();
            }
        });
}

fn scatter_ui(
    ui: &mut egui::Ui,
    a: &[f64],
    b: &[f64],
    labels: Option<&[f64]>,
    cmds: &mut Vec<Command>,
) {
    ui.strong("Champion vs challenger prediction per row");
    // draw at most 20,000 points (evenly spaced rows)
    let step = (a.len() / 20_000).max(1);
    let (mut pos, mut neg) = (vec![], vec![]);
    for i in (0..a.len()).step_by(step) {
        let p = [a[i], b[i]];
        match labels.map(|l| l[i]) {
            Some(1.0) => pos.push(p),
            _ => neg.push(p),
        }
    }
    let (lo, hi) = a
        .iter()
        .chain(b)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    let resp = Plot::new("models_scatter")
        .height(260.0)
        .data_aspect(1.0)
        .legend(Legend::default())
        .x_axis_label("champion prediction")
        .y_axis_label("challenger prediction")
        .allow_scroll(false)
        .show(ui, |p| {
            p.line(
                Line::new(
                    "same prediction",
                    PlotPoints::from(vec![[lo, lo], [hi, hi]]),
                )
                .color(Color32::from_gray(140)),
            );
            p.points(
                Points::new(
                    if labels.is_some() { "label 0" } else { "rows" },
                    PlotPoints::from(neg),
                )
                .color(group_color(0))
                .radius(1.5),
            );
            if !pos.is_empty() {
                p.points(
                    Points::new("label 1", PlotPoints::from(pos))
                        .color(group_color(1))
                        .radius(1.5),
                );
            }
        });
    png_button(ui, "scores", resp.response.rect, cmds);
}

fn delta_histogram_ui(ui: &mut egui::Ui, r: &CompareReport, cmds: &mut Vec<Command>) {
    let d = &r.diff;
    ui.strong(format!(
        "|challenger - champion|: mean {:.4}, max {:.4}",
        d.mean_abs_delta, d.max_abs_delta
    ));
    let bars: Vec<Bar> = d
        .histogram_counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (lo, hi) = (d.histogram_edges[i], d.histogram_edges[i + 1]);
            Bar::new((lo + hi) / 2.0, *c as f64)
                .width(hi - lo)
                .name(format!("[{lo:.3}, {hi:.3})"))
        })
        .collect();
    let resp = Plot::new("models_delta_hist")
        .height(260.0)
        .x_axis_label("|difference in prediction|")
        .y_axis_label("rows")
        .allow_scroll(false)
        .show(ui, |p| {
            p.bar_chart(BarChart::new("rows", bars).color(group_color(2)))
        });
    png_button(ui, "abs_diff_histogram", resp.response.rect, cmds);
}

fn flips_ui(ui: &mut egui::Ui, r: &CompareReport) {
    let f = &r.diff.flips;
    ui.strong("Flip matrix (predicted class)")
        .on_hover_text(tips::DIFF_RATE);
    egui::Grid::new("models_flips")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            ui.label("");
            ui.strong("challenger negative");
            ui.strong("challenger positive");
            ui.end_row();
            ui.strong("champion negative");
            ui.label(f.neg_to_neg.to_string());
            ui.colored_label(
                status_color(Status::Warn),
                format!("{} (neg -> pos)", f.neg_to_pos),
            );
            ui.end_row();
            ui.strong("champion positive");
            ui.colored_label(
                status_color(Status::Warn),
                format!("{} (pos -> neg)", f.pos_to_neg),
            );
            ui.label(f.pos_to_pos.to_string());
            ui.end_row();
        });
    ui.label(format!(
        "|difference| quantiles: {}",
        r.diff
            .quantiles
            .iter()
            .map(|(k, v)| format!("{k} {v:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
}

fn calibration_ui(ui: &mut egui::Ui, r: &CompareReport, cmds: &mut Vec<Command>) {
    if r.champion.metrics.calibration_pred.is_empty()
        && r.challenger.metrics.calibration_pred.is_empty()
    {
        return;
    }
    ui.strong("Reliability (calibration)")
        .on_hover_text(tips::CALIBRATION);
    let resp = Plot::new("models_calibration")
        .height(220.0)
        .data_aspect(1.0)
        .legend(Legend::default())
        .x_axis_label("mean predicted probability")
        .y_axis_label("observed positive rate")
        .include_x(0.0)
        .include_x(1.0)
        .include_y(0.0)
        .include_y(1.0)
        .allow_scroll(false)
        .show(ui, |p| {
            p.line(
                Line::new("perfect", PlotPoints::from(vec![[0.0, 0.0], [1.0, 1.0]]))
                    .color(Color32::from_gray(140)),
            );
            for (i, (name, m)) in [
                ("champion", &r.champion.metrics),
                ("challenger", &r.challenger.metrics),
            ]
            .iter()
            .enumerate()
            {
                let pts: Vec<[f64; 2]> = m
                    .calibration_pred
                    .iter()
                    .zip(&m.calibration_true)
                    .map(|(x, y)| [*x, *y])
                    .collect();
                p.line(
                    Line::new(*name, PlotPoints::from(pts.clone()))
                        .color(group_color(i))
                        .width(2.0),
                );
                p.points(
                    Points::new(*name, PlotPoints::from(pts))
                        .color(group_color(i))
                        .radius(3.0),
                );
            }
        });
    png_button(ui, "calibration", resp.response.rect, cmds);
}

fn importance_ui(ui: &mut egui::Ui, r: &CompareReport, cmds: &mut Vec<Command>) {
    let imp = &r.importance;
    if imp.features.is_empty() {
        return;
    }
    ui.add_space(6.0);
    ui.strong(format!(
        "Permutation importance: drop in {} ({} repeats, seed {}; {:.1} s)",
        imp.metric, imp.repeats, imp.seed, imp.seconds
    ))
    .on_hover_text(tips::IMPORTANCE);
    let mut feats: Vec<_> = imp.features.iter().collect();
    feats.sort_by_key(|f| f.champion_rank);
    let n = feats.len();
    let names: Vec<String> = feats.iter().map(|f| f.name.clone()).collect();
    let bars = |champion: bool| -> Vec<Bar> {
        feats
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let y = (n - 1 - i) as f64 + if champion { 0.2 } else { -0.2 };
                let v = if champion {
                    f.champion_mean
                } else {
                    f.challenger_mean
                };
                Bar::new(y, v).width(0.38).name(&f.name)
            })
            .collect()
    };
    ui.columns(2, |cols| {
        let names2 = names.clone();
        let resp = Plot::new("models_importance")
            .height((60.0 + 34.0 * n as f32).clamp(160.0, 480.0))
            .legend(Legend::default())
            .x_axis_label(format!("drop in {}", imp.metric))
            .y_axis_formatter(move |mark, _| {
                let i = mark.value.round();
                if (mark.value - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names2.len() {
                    names2[n - 1 - i as usize].clone()
                } else {
                    String::new()
                }
            })
            .y_axis_min_width(120.0)
            .allow_scroll(false)
            .show(&mut cols[0], |p| {
                p.bar_chart(
                    BarChart::new("champion", bars(true))
                        .horizontal()
                        .color(group_color(0)),
                );
                p.bar_chart(
                    BarChart::new("challenger", bars(false))
                        .horizontal()
                        .color(group_color(1)),
                );
            });
        png_button(&mut cols[0], "importance", resp.response.rect, cmds);
        egui::Grid::new("models_importance_table")
            .striped(true)
            .num_columns(4)
            .show(&mut cols[1], |ui| {
                ui.strong("feature");
                ui.strong("champion (rank)");
                ui.strong("challenger (rank)");
                ui.strong("rank change");
                ui.end_row();
                for f in &feats {
                    ui.label(&f.name);
                    ui.label(format!(
                        "{:.4} ± {:.4} (#{})",
                        f.champion_mean, f.champion_std, f.champion_rank
                    ));
                    ui.label(format!(
                        "{:.4} ± {:.4} (#{})",
                        f.challenger_mean, f.challenger_std, f.challenger_rank
                    ));
                    let d = f.champion_rank as i64 - f.challenger_rank as i64;
                    let (text, color) = match d {
                        0 => ("same".to_string(), ui.visuals().weak_text_color()),
                        d if d > 0 => (format!("up {d}"), status_color(Status::Warn)),
                        d => (format!("down {}", -d), status_color(Status::Warn)),
                    };
                    ui.colored_label(color, text);
                    ui.end_row();
                }
            });
    });
}

fn disagreeing_rows_ui(ui: &mut egui::Ui, r: &CompareReport) {
    let rows = &r.diff.top_rows;
    if rows.is_empty() {
        return;
    }
    ui.add_space(6.0);
    ui.strong("Rows where the models disagree most");
    let feats: Vec<String> = rows[0].features.keys().cloned().collect();
    egui::ScrollArea::horizontal()
        .id_salt("models_rows")
        .show(ui, |ui| {
            egui::Grid::new("models_rows_grid")
                .striped(true)
                .num_columns(5 + feats.len())
                .show(ui, |ui| {
                    for h in ["row", "champion", "challenger", "|diff|", "label"] {
                        ui.strong(h);
                    }
                    for f in &feats {
                        ui.strong(f);
                    }
                    ui.end_row();
                    for t in rows {
                        ui.label(t.row.to_string());
                        ui.label(format!("{:.4}", t.champion));
                        ui.label(format!("{:.4}", t.challenger));
                        ui.label(format!("{:.4}", t.abs_delta));
                        ui.label(t.label.map_or("–".into(), |l| format!("{l}")));
                        for f in &feats {
                            ui.label(t.features.get(f).cloned().unwrap_or_default());
                        }
                        ui.end_row();
                    }
                });
        });
}

fn segments_ui(ui: &mut egui::Ui, r: &CompareReport) {
    let segs = &r.diff.segments;
    if segs.is_empty() {
        return;
    }
    ui.add_space(6.0);
    ui.strong("Agreement per segment");
    egui::Grid::new("models_segments")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for h in ["column", "value", "rows", "agreement", "mean |diff|"] {
                ui.strong(h);
            }
            ui.end_row();
            for s in segs {
                ui.label(&s.column);
                ui.label(&s.value);
                ui.label(s.rows.to_string());
                ui.label(
                    fmt_pct(Some(s.agreement))
                        .trim_start_matches('+')
                        .to_string(),
                );
                ui.label(format!("{:.4}", s.mean_abs_delta));
                ui.end_row();
            }
        });
}
