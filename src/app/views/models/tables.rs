//! The comparison's tables: metrics, permutation importance (bars and ranks), the most
//! disagreeing rows and agreement per segment.

use super::super::{fmt_num, fmt_pct, png_button};
use super::tips;
use crate::app::command::Command;
use crate::app::theme::{group_color, status_color};
use crate::report::compare::{CompareReport, Metrics};
use crate::report::Status;
use eframe::egui::{self};
use egui_plot::{Bar, BarChart, Legend, Plot};

pub(super) fn metric_rows(m: &Metrics) -> [(&'static str, Option<f64>, bool); 11] {
    [
        ("AUC", m.auc, true),
        ("AUC macro OvR", m.auc_macro_ovr, true),
        ("AUC weighted OvR", m.auc_weighted_ovr, true),
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

/// Importance is a drop of AUC, a rise of an error or loss, a change of predictions.
fn change_word(metric: &str) -> &'static str {
    match metric {
        "auc" => "drop in",
        "rmse" | "log_loss" => "rise in",
        _ => "",
    }
}

pub(super) fn metrics_ui(ui: &mut egui::Ui, r: &CompareReport, alpha: f64) {
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
    let paired = r.paired_tests.as_ref();
    egui::Grid::new("models_metrics")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            ui.strong("metric");
            ui.strong("champion");
            ui.strong("challenger");
            ui.strong("challenger - champion");
            ui.strong("interval / test").on_hover_text("The paired test of the difference (DeLong for AUC, McNemar for accuracy, the seeded paired bootstrap's 95% interval for F1, log loss, Brier, RMSE, MAE). A difference is coloured only when its interval excludes zero (or McNemar is significant).");
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
                let evidence = paired.and_then(|p| difference_evidence(name, p, alpha));
                match x.zip(*y) {
                    Some((x, y)) => {
                        let d = y - x;
                        let better = if *higher_better { d > 0.0 } else { d < 0.0 };
                        let significant = evidence.as_ref().is_some_and(|e| e.1);
                        let color = if !significant || d == 0.0 {
                            ui.visuals().text_color()
                        } else if better {
                            status_color(Status::Pass)
                        } else {
                            status_color(Status::Fail)
                        };
                        ui.colored_label(color, crate::report::format::diff(d));
                    }
                    None => {
                        ui.label("–");
                    }
                }
                match evidence {
                    Some((text, _)) => ui.label(text),
                    None => ui.weak("no paired test"),
                };
                ui.end_row();
            }
        });
}

/// The paired evidence on a metric's difference: its interval or test in words, and whether
/// it excludes zero (is significant at the report's level).
pub fn difference_evidence(
    metric: &str,
    p: &crate::report::compare::PairedTests,
    alpha: f64,
) -> Option<(String, bool)> {
    let interval = |lo: f64, hi: f64| {
        (
            format!(
                "[{}, {}]",
                crate::report::format::diff(lo),
                crate::report::format::diff(hi)
            ),
            lo > 0.0 || hi < 0.0,
        )
    };
    let boot = |key: &str| p.bootstrap.get(key).map(|b| interval(b.ci_low, b.ci_high));
    match metric {
        "AUC" => p.delong.map(|d| interval(d.ci_low, d.ci_high)),
        "accuracy" => p.mcnemar.as_ref().and_then(|m| {
            let pv = m.p_value?;
            Some((
                format!("McNemar p = {}", crate::report::format::p(Some(pv))),
                pv < alpha,
            ))
        }),
        "F1" => boot("f1"),
        "log loss" => boot("log_loss"),
        "Brier" => boot("brier"),
        "RMSE" => boot("rmse"),
        "MAE" => boot("mae"),
        _ => None,
    }
}

pub(super) fn importance_ui(ui: &mut egui::Ui, r: &CompareReport, cmds: &mut Vec<Command>) {
    let imp = &r.importance;
    if imp.features.is_empty() {
        return;
    }
    ui.add_space(6.0);
    super::super::plot_title_ui(
        ui,
        egui::RichText::new(format!(
            "Permutation importance: {} {} ({} repeats, seed {}; {:.1} s)",
            change_word(&imp.metric),
            imp.metric,
            imp.repeats,
            imp.seed,
            imp.seconds
        ))
        .strong(),
        "importance",
        cmds,
    )
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
            .x_axis_label(format!("{} {}", change_word(&imp.metric), imp.metric))
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

pub(super) fn disagreeing_rows_ui(ui: &mut egui::Ui, r: &CompareReport) {
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
                        // multi-class: the top class and its probability
                        match &t.classes {
                            Some((a, b)) => {
                                ui.label(format!("{a} {:.4}", t.champion));
                                ui.label(format!("{b} {:.4}", t.challenger));
                            }
                            None => {
                                ui.label(format!("{:.4}", t.champion));
                                ui.label(format!("{:.4}", t.challenger));
                            }
                        }
                        ui.label(format!("{:.4}", t.abs_delta));
                        let label = t.label.map_or("–".into(), |l| {
                            r.champion
                                .classes
                                .get(l as usize)
                                .cloned()
                                .unwrap_or_else(|| format!("{l}"))
                        });
                        ui.label(label);
                        for f in &feats {
                            let full = t.features.get(f).cloned().unwrap_or_default();
                            ui.label(crate::report::format::compact_value(&full))
                                .on_hover_text(full);
                        }
                        ui.end_row();
                    }
                });
        });
}

pub(super) fn segments_ui(ui: &mut egui::Ui, r: &CompareReport) {
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
