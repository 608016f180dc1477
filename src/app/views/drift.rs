//! The Drift view: choose the two sides (two files, or a time split of the loaded log),
//! the feature table sorted by PSI / p / statistic with drifted and alert rows marked, the
//! selected feature's distributions on shared bins, PSI over time, and the triggers.

use super::{fmt_num, fmt_p, png_button};
use crate::app::command::Command;
use crate::app::command::SaveKind;
use crate::app::drift::{DriftCommand, DriftMode, DriftPanel, DriftSort};
use crate::app::theme::{group_color, status_color};
use crate::ingest::time::format_timestamp_us;
use crate::report::drift::{DriftReport, DriftTest, FeatureDrift, FeatureKind};
use crate::report::Status;
use eframe::egui::{self, RichText};
use egui_plot::{Bar, BarChart, HLine, Legend, Line, Plot, PlotPoints};

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
    triggers_ui(ui, r);
}

fn sources_ui(
    ui: &mut egui::Ui,
    panel: &DriftPanel,
    loaded: Option<((i64, i64), String)>,
    busy: bool,
    cmds: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        if ui
            .radio(
                panel.mode == DriftMode::SplitLoaded,
                "Time split of the loaded log",
            )
            .clicked()
        {
            cmds.push(Command::Drift(DriftCommand::SetMode(
                DriftMode::SplitLoaded,
            )));
        }
        if ui
            .radio(
                panel.mode == DriftMode::Files,
                "Two files (reference, current)",
            )
            .clicked()
        {
            cmds.push(Command::Drift(DriftCommand::SetMode(DriftMode::Files)));
        }
    });
    match panel.mode {
        DriftMode::SplitLoaded => match loaded {
            None => {
                ui.horizontal(|ui| {
                    ui.label("Load a log with timestamps to split it, or");
                    if ui.button("Choose a log to split...").clicked() {
                        cmds.push(Command::Drift(DriftCommand::PickLog));
                    }
                });
            }
            Some(((lo, hi), name)) => {
                ui.horizontal(|ui| {
                    ui.label("Log:");
                    ui.monospace(name);
                    if ui.small_button("Choose another...").clicked() {
                        cmds.push(Command::Drift(DriftCommand::PickLog));
                    }
                });
                let at = panel
                    .split_at_us
                    .unwrap_or(lo + (hi - lo) / 2)
                    .clamp(lo, hi);
                ui.horizontal(|ui| {
                    ui.label("Reference before");
                    let mut v = at as f64;
                    let resp = ui.add(
                        egui::Slider::new(&mut v, lo as f64..=hi as f64)
                            .show_value(false)
                            .trailing_fill(true),
                    );
                    ui.strong(format_timestamp_us(v as i64));
                    ui.label("current from then on");
                    if resp.changed() {
                        cmds.push(Command::Drift(DriftCommand::SetSplit(v as i64)));
                    }
                    if resp.drag_stopped() {
                        cmds.push(Command::Drift(DriftCommand::Run));
                    }
                    if ui
                        .add_enabled(!busy, egui::Button::new("Compare"))
                        .clicked()
                    {
                        cmds.push(Command::Drift(DriftCommand::Run));
                    }
                });
            }
        },
        DriftMode::Files => {
            let name = |p: &Option<std::path::PathBuf>| {
                p.as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "(none)".into())
            };
            egui::Grid::new("drift_sources")
                .num_columns(3)
                .show(ui, |ui| {
                    ui.label("Reference");
                    ui.monospace(name(&panel.reference));
                    if ui.button("Choose...").clicked() {
                        cmds.push(Command::Drift(DriftCommand::PickReference));
                    }
                    ui.end_row();
                    ui.label("Current");
                    ui.monospace(name(&panel.current));
                    if ui.button("Choose...").clicked() {
                        cmds.push(Command::Drift(DriftCommand::PickCurrent));
                    }
                    ui.end_row();
                });
            ui.horizontal(|ui| {
                if ui.button("Swap").clicked() {
                    cmds.push(Command::Drift(DriftCommand::Swap));
                }
                let ready = panel.reference.is_some() && panel.current.is_some();
                if ui
                    .add_enabled(ready && !busy, egui::Button::new("Compare"))
                    .clicked()
                {
                    cmds.push(Command::Drift(DriftCommand::Run));
                }
                ui.weak("or drop two data files anywhere in this view");
            });
        }
    }
}

fn summary_ui(ui: &mut egui::Ui, r: &DriftReport) {
    let drifted = r.features.iter().filter(|f| f.drifted).count();
    let status = if r.dataset_drifted {
        Status::Fail
    } else if drifted > 0 {
        Status::Warn
    } else {
        Status::Pass
    };
    ui.horizontal_wrapped(|ui| {
        ui.colored_label(
            status_color(status),
            RichText::new(format!(
                "{drifted} of {} features drifted (share {:.2}) - dataset {}",
                r.features.len(),
                r.drift_share,
                if r.dataset_drifted {
                    "DRIFTED"
                } else {
                    "not drifted"
                }
            ))
            .strong(),
        );
        let t = &r.thresholds;
        ui.weak(format!(
            "drifted: p < {} and PSI >= {}; alert: PSI >= {}; dataset: share >= {}",
            t.alpha, t.psi_drift, t.psi_alert, t.drift_share
        ));
    });
    let side = |d: &crate::report::drift::DriftSide| {
        let span = match (&d.start, &d.end) {
            (Some(a), Some(b)) => format!(", {a} to {b}"),
            _ => String::new(),
        };
        format!("{} rows{span}", d.rows)
    };
    ui.label(format!(
        "Reference: {}  ·  Current: {}",
        side(&r.reference),
        side(&r.current)
    ));
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

/// Features in the chosen order.
pub fn sorted_features(r: &DriftReport, sort: DriftSort) -> Vec<&FeatureDrift> {
    let mut v: Vec<&FeatureDrift> = r.features.iter().collect();
    let key = |x: Option<f64>, desc: bool| -> f64 {
        match x {
            Some(v) if desc => -v,
            Some(v) => v,
            None => f64::INFINITY,
        }
    };
    match sort {
        DriftSort::Psi => v.sort_by(|a, b| key(a.psi, true).total_cmp(&key(b.psi, true))),
        DriftSort::P => v.sort_by(|a, b| key(a.p_value, false).total_cmp(&key(b.p_value, false))),
        DriftSort::Statistic => {
            v.sort_by(|a, b| key(a.statistic, true).total_cmp(&key(b.statistic, true)))
        }
        DriftSort::Name => v.sort_by(|a, b| a.name.cmp(&b.name)),
    }
    v
}

fn feature_table_ui(
    ui: &mut egui::Ui,
    r: &DriftReport,
    selected: Option<&str>,
    sort: DriftSort,
    cmds: &mut Vec<Command>,
) {
    ui.strong("Features");
    egui::ScrollArea::both()
        .id_salt("drift_features")
        .max_height(360.0)
        .show(ui, |ui| {
            egui::Grid::new("drift_feature_grid")
                .striped(true)
                .num_columns(7)
                .show(ui, |ui| {
                    let head = |ui: &mut egui::Ui,
                                text: &str,
                                s: DriftSort,
                                tip: &str,
                                cmds: &mut Vec<Command>| {
                        let label = if sort == s {
                            format!("{text} v")
                        } else {
                            text.to_string()
                        };
                        if ui
                            .selectable_label(sort == s, label)
                            .on_hover_text(tip)
                            .clicked()
                        {
                            cmds.push(Command::Drift(DriftCommand::Sort(s)));
                        }
                    };
                    head(ui, "feature", DriftSort::Name, "Sort by name", cmds);
                    ui.strong("test");
                    head(ui, "statistic", DriftSort::Statistic, tips::KS, cmds);
                    head(ui, "p", DriftSort::P, tips::P, cmds);
                    head(ui, "PSI", DriftSort::Psi, tips::PSI, cmds);
                    ui.strong("W/sd").on_hover_text(tips::W);
                    ui.strong("flag").on_hover_text(tips::DRIFTED);
                    ui.end_row();
                    for f in sorted_features(r, sort) {
                        let color = if f.alert {
                            Some(status_color(Status::Fail))
                        } else if f.drifted {
                            Some(status_color(Status::Warn))
                        } else {
                            None
                        };
                        let mut name = RichText::new(&f.name);
                        if let Some(c) = color {
                            name = name.color(c);
                        }
                        if ui
                            .selectable_label(selected == Some(f.name.as_str()), name)
                            .on_hover_text(format!(
                                "null rate {:.1}% -> {:.1}%; {} / {} values",
                                f.null_rate_reference * 100.0,
                                f.null_rate_current * 100.0,
                                f.n_reference,
                                f.n_current
                            ))
                            .clicked()
                        {
                            cmds.push(Command::Drift(DriftCommand::Select(f.name.clone())));
                        }
                        ui.label(f.test.as_str())
                            .on_hover_text(if f.test == DriftTest::Ks {
                                tips::KS
                            } else {
                                tips::CHI2
                            });
                        ui.label(f.statistic.map_or("–".into(), fmt_num));
                        ui.label(fmt_p(f.p_value));
                        ui.label(f.psi.map_or("–".into(), |v| format!("{v:.4}")));
                        ui.label(f.wasserstein_norm.map_or("–".into(), |v| format!("{v:.3}")));
                        match (f.alert, f.drifted) {
                            (true, true) => {
                                ui.colored_label(status_color(Status::Fail), "DRIFTED, ALERT")
                            }
                            (true, false) => ui.colored_label(status_color(Status::Fail), "ALERT"),
                            (false, true) => {
                                ui.colored_label(status_color(Status::Warn), "DRIFTED")
                            }
                            _ => ui.weak("stable"),
                        };
                        ui.end_row();
                    }
                });
        });
}

/// Bars of reference and current shares, side by side per bin or category.
fn feature_detail_ui(ui: &mut egui::Ui, f: &FeatureDrift, cmds: &mut Vec<Command>) {
    let (labels, reference, current): (Vec<String>, Vec<f64>, Vec<f64>) = match f.kind {
        FeatureKind::Numeric => f
            .bins
            .iter()
            // bins between repeated deciles (few distinct values) are empty on both sides
            .filter(|b| b.reference > 0.0 || b.current > 0.0)
            .map(|b| {
                let lo = b.lo.map_or("-inf".into(), fmt_num);
                let hi = b.hi.map_or("+inf".into(), fmt_num);
                (
                    format!("[{lo}, {hi})"),
                    b.reference * 100.0,
                    b.current * 100.0,
                )
            })
            .fold((vec![], vec![], vec![]), |mut acc, (l, r, c)| {
                acc.0.push(l);
                acc.1.push(r);
                acc.2.push(c);
                acc
            }),
        FeatureKind::Categorical => {
            let mut cats: Vec<_> = f.categories.iter().take(15).collect();
            cats.sort_by(|a, b| a.value.cmp(&b.value));
            cats.iter()
                .map(|c| (c.value.clone(), c.reference * 100.0, c.current * 100.0))
                .fold((vec![], vec![], vec![]), |mut acc, (l, r, c)| {
                    acc.0.push(l);
                    acc.1.push(r);
                    acc.2.push(c);
                    acc
                })
        }
    };
    ui.strong(format!(
        "{}: {}",
        f.name,
        match f.kind {
            FeatureKind::Numeric => "share of values per reference-decile bin",
            FeatureKind::Categorical => "share of values per category",
        }
    ));
    ui.label(format!(
        "PSI {}  ·  {} {}  ·  p {}{}",
        f.psi.map_or("–".into(), |v| format!("{v:.4}")),
        if f.test == DriftTest::Ks {
            "KS"
        } else {
            "chi2"
        },
        f.statistic.map_or("–".into(), fmt_num),
        fmt_p(f.p_value),
        match (f.mean_reference, f.mean_current) {
            (Some(a), Some(b)) => format!("  ·  mean {} -> {}", fmt_num(a), fmt_num(b)),
            _ => String::new(),
        }
    ));
    let bars = |vals: &[f64], offset: f64, name: &str, color| {
        BarChart::new(
            name,
            vals.iter()
                .enumerate()
                .map(|(i, v)| Bar::new(i as f64 + offset, *v).width(0.38).name(&labels[i]))
                .collect(),
        )
        .color(color)
    };
    // numeric bins are numbered on the axis (edges on hover), categories are named
    let names: Vec<String> = match f.kind {
        FeatureKind::Numeric => (1..=labels.len()).map(|i| i.to_string()).collect(),
        FeatureKind::Categorical => labels.clone(),
    };
    let x_label = match f.kind {
        FeatureKind::Numeric => "bin on the reference deciles (hover a bar for its edges)",
        FeatureKind::Categorical => "category",
    };
    let resp = Plot::new(format!("drift_detail_{}", f.name))
        .x_axis_label(x_label)
        .x_grid_spacer(egui_plot::uniform_grid_spacer(|_| [1.0, 5.0, 10.0]))
        .height(300.0)
        .legend(Legend::default())
        .y_axis_label("share of non-missing values, %")
        .include_y(0.0)
        .allow_scroll(false)
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                names[i as usize].clone()
            } else {
                String::new()
            }
        })
        .show(ui, |p| {
            p.bar_chart(bars(&reference, -0.2, "reference", group_color(0)));
            p.bar_chart(bars(&current, 0.2, "current", group_color(1)));
        });
    png_button(ui, &format!("drift_{}", f.name), resp.response.rect, cmds);
}

fn psi_over_time_ui(ui: &mut egui::Ui, r: &DriftReport, cmds: &mut Vec<Command>) {
    let pot = &r.psi_over_time;
    if pot.starts.is_empty() || pot.features.is_empty() {
        return;
    }
    ui.strong(format!(
        "PSI over time against the reference ({} snapshots), top features",
        if pot.bucket == "7d" {
            "weekly"
        } else {
            "daily"
        }
    ));
    let starts = pot.starts.clone();
    let resp = Plot::new("drift_psi_over_time")
        .height(220.0)
        .legend(Legend::default())
        .y_axis_label("PSI")
        .x_axis_label("snapshot start (UTC)")
        .include_y(0.0)
        .allow_scroll(false)
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < starts.len() {
                starts[i as usize].chars().take(10).collect()
            } else {
                String::new()
            }
        })
        .show(ui, |p| {
            p.hline(
                HLine::new("drift threshold (dashed)", r.thresholds.psi_drift)
                    .color(egui::Color32::from_gray(150))
                    .style(egui_plot::LineStyle::dashed_loose())
                    .width(1.0),
            );
            p.hline(
                HLine::new("alert threshold (solid)", r.thresholds.psi_alert)
                    .color(egui::Color32::from_gray(150))
                    .width(1.5),
            );
            for (i, s) in pot.features.iter().enumerate() {
                let pts: Vec<[f64; 2]> = s
                    .psi
                    .iter()
                    .enumerate()
                    .filter_map(|(k, v)| v.map(|v| [k as f64, v]))
                    .collect();
                p.line(
                    Line::new(s.name.clone(), PlotPoints::from(pts))
                        .color(group_color(i))
                        .width(2.0),
                );
            }
        });
    png_button(ui, "psi_over_time", resp.response.rect, cmds);
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
