//! The drift feature table (sortable, drifted and alert rows marked) and the selected
//! feature's distributions on shared bins or per category.

use super::super::{fmt_num, fmt_p, png_button};
use super::tips;
use crate::app::command::Command;
use crate::app::drift::{DriftCommand, DriftSort};
use crate::app::theme::{group_color, status_color};
use crate::report::drift::{DriftReport, DriftSection, DriftTest, FeatureDrift, FeatureKind};
use crate::report::Status;
use eframe::egui::{self, RichText};
use egui_plot::{Bar, BarChart, Legend, Plot};

/// Features in the chosen order within each section (inputs, prediction, target,
/// operational).
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
    // sections keep their order; the sort applies inside each (a stable sort)
    v.sort_by_key(|f| f.section);
    v
}

/// What a section holds.
fn section_tip(s: DriftSection) -> &'static str {
    match s {
        DriftSection::Input => {
            "The model's inputs: the only columns the dataset-drift share counts."
        }
        DriftSection::Prediction => "The model's output distribution (score, predicted class).",
        DriftSection::Target => "The label and outcome metrics.",
        DriftSection::Operational => "How the service behaves (latency).",
    }
}

pub(super) fn feature_table_ui(
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
                    let mut shown: Option<DriftSection> = None;
                    if !r.features.iter().any(|f| f.section == DriftSection::Input) {
                        ui.label(RichText::new(DriftSection::Input.title()).strong())
                            .on_hover_text(section_tip(DriftSection::Input));
                        ui.end_row();
                        ui.weak("  none in this log").on_hover_text(
                            "The prediction rows carry no input features: log them as a nested `features` object, or name them in the plan's [drift] features.",
                        );
                        ui.end_row();
                    }
                    for f in sorted_features(r, sort) {
                        if shown != Some(f.section) {
                            shown = Some(f.section);
                            ui.label(RichText::new(f.section.title()).strong())
                                .on_hover_text(section_tip(f.section));
                            ui.end_row();
                        }
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
pub(super) fn feature_detail_ui(ui: &mut egui::Ui, f: &FeatureDrift, cmds: &mut Vec<Command>) {
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
    super::super::plot_title_ui(ui, egui::RichText::new(format!(
        "{}: {}",
        f.name,
        match f.kind {
            FeatureKind::Numeric => "share of values per reference-decile bin",
            FeatureKind::Categorical => "share of values per category",
        }
    )).strong(), &format!("drift_{}", f.name), cmds);
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
