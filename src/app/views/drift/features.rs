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
                        let flag = f.flag();
                        let color = match flag {
                            crate::report::drift::DriftFlag::Drifted => status_color(Status::Fail),
                            crate::report::drift::DriftFlag::Watch => status_color(Status::Warn),
                            crate::report::drift::DriftFlag::Stable => ui.visuals().weak_text_color(),
                        };
                        ui.colored_label(color, flag.as_str()).on_hover_text(tips::DRIFTED);
                        ui.end_row();
                    }
                });
        });
}

/// Bars of reference and current shares, side by side per bin or category.
pub(super) fn feature_detail_ui(ui: &mut egui::Ui, f: &FeatureDrift, cmds: &mut Vec<Command>) {
    if f.kind == FeatureKind::Numeric {
        return numeric_detail_ui(ui, f, cmds);
    }
    let (labels, reference, current): (Vec<String>, Vec<f64>, Vec<f64>) = {
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
    };
    let name = format!("drift_{}", f.name);
    super::super::plot_title_ui(
        ui,
        RichText::new(format!("{}: share of values per category", f.name)).strong(),
        &name,
        cmds,
    );
    stats_line_ui(ui, f);
    // side by side per category (categories have no value axis to overlay on)
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
    let names = labels.clone();
    let resp = Plot::new(format!("drift_detail_{}", f.name))
        .x_axis_label("category")
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
    png_button(ui, &name, resp.response.rect, cmds);
}

/// The feature's statistics line under its plot title.
fn stats_line_ui(ui: &mut egui::Ui, f: &FeatureDrift) {
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
}

/// A numeric feature's bins on its real value axis: each bin spans its edges (the
/// reference's deciles; the open-ended outer bins drawn as wide as their neighbour), the
/// reference and the current overlaid, heights as density (share per unit of the value, so
/// areas are shares). Point masses (bins of zero width) are drawn as shares at their value.
pub fn numeric_bars(f: &FeatureDrift) -> Vec<(f64, f64, f64, f64, bool)> {
    let bins: Vec<_> = f
        .bins
        .iter()
        .filter(|b| b.reference > 0.0 || b.current > 0.0)
        .collect();
    let finite: Vec<f64> = bins
        .iter()
        .filter_map(|b| Some(b.hi? - b.lo?))
        .filter(|w| *w > 0.0)
        .collect();
    let typical = finite.iter().copied().fold(f64::NAN, f64::min);
    let typical = if typical.is_finite() { typical } else { 1.0 };
    let n = bins.len();
    let mut out = Vec::with_capacity(n);
    for (i, b) in bins.iter().enumerate() {
        let neighbour = |j: usize| {
            bins.get(j)
                .and_then(|x| Some(x.hi? - x.lo?))
                .filter(|w| *w > 0.0)
        };
        let (lo, hi, open) = match (b.lo, b.hi) {
            (Some(lo), Some(hi)) => (lo, hi, false),
            (None, Some(hi)) => (hi - neighbour(i + 1).unwrap_or(typical), hi, true),
            (Some(lo), None) => (
                lo,
                lo + neighbour(i.wrapping_sub(1)).unwrap_or(typical),
                true,
            ),
            (None, None) => (-0.5, 0.5, true),
        };
        let width = hi - lo;
        // a share per unit of the value: areas are shares (point masses keep their share)
        let scale = if width > 0.0 { 100.0 / width } else { 100.0 };
        out.push((lo, hi, b.reference * scale, b.current * scale, open));
    }
    out
}

fn numeric_detail_ui(ui: &mut egui::Ui, f: &FeatureDrift, cmds: &mut Vec<Command>) {
    let name = format!("drift_{}", f.name);
    super::super::plot_title_ui(
        ui,
        RichText::new(format!(
            "{}: reference and current distributions on its values (bins on the reference's deciles)",
            f.name
        ))
        .strong(),
        &name,
        cmds,
    );
    stats_line_ui(ui, f);
    let bars = numeric_bars(f);
    let degenerate = bars.iter().any(|b| b.1 - b.0 <= 0.0);
    let chart = |reference: bool, color: egui::Color32| {
        BarChart::new(
            if reference { "reference" } else { "current" },
            bars.iter()
                .map(|&(lo, hi, r, c, open)| {
                    let w = (hi - lo).max(0.0);
                    let share =
                        if reference { r } else { c } * if w > 0.0 { w / 100.0 } else { 0.01 };
                    Bar::new((lo + hi) / 2.0, if reference { r } else { c })
                        .width(if w > 0.0 { w } else { 0.02 })
                        .name(format!(
                            "[{}, {}){}: {:.1}% of {}",
                            fmt_num(lo),
                            fmt_num(hi),
                            if open {
                                " (open-ended, drawn as wide as its neighbour)"
                            } else {
                                ""
                            },
                            share * 100.0,
                            if reference {
                                "the reference"
                            } else {
                                "the current"
                            }
                        ))
                })
                .collect(),
        )
        .color(color)
    };
    let resp = Plot::new(format!("drift_detail_{}", f.name))
        .x_axis_label(format!("{} (value)", f.name))
        .height(300.0)
        .legend(Legend::default())
        .y_axis_label(if degenerate {
            "share of values, %"
        } else {
            "% of values per unit (area = share)"
        })
        .include_y(0.0)
        .allow_scroll(false)
        .show(ui, |p| {
            p.bar_chart(chart(true, group_color(0).gamma_multiply(0.55)));
            p.bar_chart(chart(false, group_color(1).gamma_multiply(0.55)));
        });
    png_button(ui, &name, resp.response.rect, cmds);
}
