//! The model comparison as Markdown.

use super::compare::{CompareReport, Metrics, ModelReport};
use super::format::opt;
use std::fmt::Write;

fn metric_rows(a: &Metrics, b: &Metrics) -> Vec<(&'static str, Option<f64>, Option<f64>)> {
    vec![
        ("AUC", a.auc, b.auc),
        ("AUC macro OvR", a.auc_macro_ovr, b.auc_macro_ovr),
        ("AUC weighted OvR", a.auc_weighted_ovr, b.auc_weighted_ovr),
        ("accuracy", a.accuracy, b.accuracy),
        ("precision", a.precision, b.precision),
        ("recall", a.recall, b.recall),
        ("F1", a.f1, b.f1),
        ("log loss", a.log_loss, b.log_loss),
        ("Brier", a.brier, b.brier),
        ("RMSE", a.rmse, b.rmse),
        ("MAE", a.mae, b.mae),
    ]
}

fn model_line(m: &ModelReport) -> String {
    format!(
        "`{}` ({}, {}{}; {}; opsets {}; inputs {}; reads output `{}` as {}, threshold {})",
        m.path,
        m.source.as_str(),
        m.name,
        m.version
            .as_ref()
            .map_or(String::new(), |v| format!(" {v}")),
        m.producer,
        m.opsets
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        m.inputs
            .iter()
            .map(|p| format!("{} {}", p.name, p.ty))
            .collect::<Vec<_>>()
            .join(", "),
        m.prediction_output,
        m.output_kind.map_or("-", |k| k.as_str()),
        m.threshold
    )
}

fn mlflow_section(s: &mut String, r: &CompareReport) {
    let models = [("champion", &r.champion), ("challenger", &r.challenger)];
    if models.iter().all(|(_, m)| m.mlflow.is_none()) {
        return;
    }
    let _ = writeln!(
        s,
        "\n## MLflow\n\n| | run_id | model_uuid | created (UTC) | mlflow | python | requirements |\n|---|---|---|---|---|---|---|"
    );
    for (role, m) in models {
        let Some(x) = &m.mlflow else {
            let _ = writeln!(s, "| {role} | – | – | – | – | – | – |");
            continue;
        };
        let o = |v: &Option<String>| v.clone().unwrap_or_else(|| "–".into());
        let _ = writeln!(
            s,
            "| {role} | {} | {} | {} | {} | {} | {} |",
            o(&x.run_id),
            o(&x.model_uuid),
            o(&x.utc_time_created),
            o(&x.mlflow_version),
            o(&x.python_version),
            x.requirements.join(", ")
        );
    }
}

fn multiclass_section(s: &mut String, r: &CompareReport) {
    let (a, b) = (&r.champion.metrics, &r.challenger.metrics);
    if a.per_class.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n## Per class (top-1)\n\n| class | support | champion P / R / F1 | challenger P / R / F1 |\n|---|---|---|---|"
    );
    for (x, y) in a.per_class.iter().zip(&b.per_class) {
        let _ = writeln!(
            s,
            "| {} | {} | {:.3} / {:.3} / {:.3} | {:.3} / {:.3} / {:.3} |",
            x.class, x.support, x.precision, x.recall, x.f1, y.precision, y.recall, y.f1
        );
    }
    let fm = &r.diff.flip_matrix;
    if !fm.is_empty() {
        let classes: Vec<&String> = fm.keys().collect();
        let _ = writeln!(
            s,
            "\n### Flip matrix (rows: champion's class, columns: challenger's)\n\n| | {} |\n|---|{}",
            classes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" | "),
            "---|".repeat(classes.len())
        );
        for (c, row) in fm {
            let _ = writeln!(
                s,
                "| {c} | {} |",
                classes
                    .iter()
                    .map(|d| row.get(*d).copied().unwrap_or(0).to_string())
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
    }
}

fn worst_segments_section(s: &mut String, r: &CompareReport) {
    if r.segments_tested == 0 {
        return;
    }
    let _ = writeln!(
        s,
        "\n## Where the challenger does worse\n\n{} single-column segments tested (at least 20 labelled rows each; Holm across all); {} where the challenger is worse, worst first.\n",
        r.segments_tested,
        r.worst_segments.len()
    );
    if r.worst_segments.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "| column | segment | rows | metric | champion | challenger | difference | p | p (Holm) |\n|---|---|---|---|---|---|---|---|---|"
    );
    for w in r.worst_segments.iter().take(15) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.4} | {:.4} | {:+.4} | {} | {} |",
            w.column,
            w.segment,
            w.rows,
            w.metric,
            w.champion,
            w.challenger,
            w.diff,
            super::format::p(Some(w.p_value)),
            super::format::p(Some(w.p_value_adjusted))
        );
    }
    if r.worst_segments.len() > 15 {
        let _ = writeln!(
            s,
            "\n{} more in the JSON report.",
            r.worst_segments.len() - 15
        );
    }
}

/// Renders the comparison for people.
pub fn render(r: &CompareReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Champion vs challenger\n");
    let _ = writeln!(s, "- **Champion**: {}", model_line(&r.champion));
    let _ = writeln!(s, "- **Challenger**: {}", model_line(&r.challenger));
    let _ = writeln!(
        s,
        "- **Holdout**: `{}`, {} rows, label {}",
        r.holdout.path,
        r.holdout.rows,
        r.holdout
            .label
            .as_deref()
            .map_or("none".to_string(), |l| format!("`{l}`"))
    );
    let _ = writeln!(
        s,
        "- **Runtime**: ONNX Runtime {} ({})\n",
        r.runtime.version, r.runtime.library
    );
    let _ = writeln!(s, "## Checks\n");
    s.push_str(&super::markdown::checks_table(&r.checks));
    if let Some(pt) = &r.paired_tests {
        let _ = writeln!(s, "\n## Paired tests ({} labelled rows)\n", pt.n);
        if let Some(m) = &pt.mcnemar {
            let _ = writeln!(
                s,
                "- McNemar on wrong decisions: b = {} (champion wrong, challenger right), c = {}, p = {}{}",
                m.b,
                m.c,
                super::format::p(m.p_value),
                if m.exact { " (exact)" } else { "" }
            );
        }
        if let Some(d) = &pt.delong {
            let _ = writeln!(
                s,
                "- DeLong ΔAUC (challenger − champion): {:+.4} [{:+.4}, {:+.4}], p = {}",
                d.diff,
                d.ci_low,
                d.ci_high,
                super::format::p(Some(d.p_value))
            );
        }
        for (name, b) in &pt.bootstrap {
            let _ = writeln!(
                s,
                "- Paired bootstrap Δ{name} (challenger − champion): {:+.4} [{:+.4}, {:+.4}] (95 %, {} resamples)",
                b.diff, b.ci_low, b.ci_high, b.n
            );
        }
        if let Some(t) = &pt.abs_error {
            let _ = writeln!(
                s,
                "- Paired t-test of |error| (challenger − champion): {:+.4} [{}, {}], p = {}",
                t.mean,
                opt(t.ci_low, 4),
                opt(t.ci_high, 4),
                super::format::p(t.p_value)
            );
        }
    }
    let _ = writeln!(s, "\n## Metrics\n\n| metric | champion | challenger | challenger - champion |\n|---|---|---|---|");
    for (name, a, b) in metric_rows(&r.champion.metrics, &r.challenger.metrics) {
        if a.is_none() && b.is_none() {
            continue;
        }
        let d = a.zip(b).map(|(x, y)| y - x);
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} |",
            opt(a, 4),
            opt(b, 4),
            d.map_or("–".into(), |v| format!("{v:+.4}"))
        );
    }
    multiclass_section(&mut s, r);
    worst_segments_section(&mut s, r);
    mlflow_section(&mut s, r);
    let d = &r.diff;
    let _ = writeln!(
        s,
        "\n## Differences\n\nDiff rate {:.2}% ({} negative->positive, {} positive->negative); mean |Δ| {:.4}, max {:.4}; quantiles {}.\n",
        d.rate * 100.0,
        d.flips.neg_to_pos,
        d.flips.pos_to_neg,
        d.mean_abs_delta,
        d.max_abs_delta,
        d.quantiles.iter().map(|(k, v)| format!("{k} {v:.4}")).collect::<Vec<_>>().join(", ")
    );
    if !d.top_rows.is_empty() {
        let _ = writeln!(
            s,
            "| row | champion | challenger | abs Δ | label |\n|---|---|---|---|---|"
        );
        for t in d.top_rows.iter().take(10) {
            let _ = writeln!(
                s,
                "| {} | {:.4} | {:.4} | {:.4} | {} |",
                t.row,
                t.champion,
                t.challenger,
                t.abs_delta,
                t.label.map_or("–".into(), |l| format!("{l}"))
            );
        }
    }
    if !d.segments.is_empty() {
        let _ = writeln!(
            s,
            "\n| segment | value | rows | agreement | mean abs Δ |\n|---|---|---|---|---|"
        );
        for g in &d.segments {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.1}% | {:.4} |",
                g.column,
                g.value,
                g.rows,
                g.agreement * 100.0,
                g.mean_abs_delta
            );
        }
    }
    let imp = &r.importance;
    if !imp.features.is_empty() {
        let _ = writeln!(
            s,
            "\n## Permutation importance ({}; {} repeats, seed {})\n\n| feature | champion | rank | challenger | rank |\n|---|---|---|---|---|",
            imp.metric, imp.repeats, imp.seed
        );
        let mut v: Vec<_> = imp.features.iter().collect();
        v.sort_by_key(|f| f.champion_rank);
        for f in v {
            let _ = writeln!(
                s,
                "| {} | {:.4} ± {:.4} | {} | {:.4} ± {:.4} | {} |",
                f.name,
                f.champion_mean,
                f.champion_std,
                f.champion_rank,
                f.challenger_mean,
                f.challenger_std,
                f.challenger_rank
            );
        }
    }
    s
}
