//! The drift report as Markdown.

use super::drift::{DriftReport, DriftSection, FeatureKind};
use super::format::{opt, p, share};
use std::fmt::Write;

/// Renders the drift report for people.
pub fn render(r: &DriftReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Drift report\n");
    let side = |name: &str, d: &super::drift::DriftSide| {
        let span = match (&d.start, &d.end) {
            (Some(a), Some(b)) => format!(
                ", {} to {} UTC",
                super::format::iso_to_second(a),
                super::format::iso_to_second(b)
            ),
            _ => String::new(),
        };
        format!(
            "- **{name}**: {} rows ({}){span}",
            super::format::count(d.rows),
            d.files.join(", ")
        )
    };
    let _ = writeln!(s, "{}", side("Reference", &r.reference));
    let _ = writeln!(s, "{}", side("Current", &r.current));
    if let Some(b) = r.binned.as_ref().filter(|b| b.source == "stream") {
        let _ = writeln!(
            s,
            "- Streamed: read in chunks ({} passes; the columns and their sections chosen on the first {} rows), each feature's statistics exact from its own values; not computed: {}",
            b.queries,
            super::format::count(b.sample_rows),
            b.not_computed.join("; ")
        );
    } else if let Some(b) = &r.binned {
        let _ = writeln!(
            s,
            "- Computed on the ClickHouse server from counts ({} queries, {:.1} kB back; the columns and their sections chosen on a sample of {} rows); KS bracketed from each side's order statistics on a {}-rank grid (the true statistic lies within `ks_error_bound` above the one shown); not computed: {}",
            b.queries,
            b.bytes_received as f64 / 1000.0,
            super::format::count(b.sample_rows),
            b.ks_grid,
            b.not_computed.join("; ")
        );
    }
    match r.split.mode.as_str() {
        "files" => {}
        m => {
            let _ = writeln!(
                s,
                "- Split: {m} at {} on `{}`{}; {} rows left out",
                r.split.split_at.as_deref().unwrap_or("?"),
                r.split.time_column.as_deref().unwrap_or("?"),
                r.split
                    .window
                    .as_ref()
                    .map_or(String::new(), |w| format!(" (window {w})")),
                r.split.rows_excluded
            );
        }
    }
    let t = &r.thresholds;
    let _ = writeln!(
        s,
        "\n**{}** A feature is *drifted* when p < {} and PSI >= {} (the dataset drifts when a share of {} of its input features does; share now {:.2}); *watch* when PSI >= {} without a significant test; otherwise *stable*.\n",
        r.verdict_line(),
        t.alpha,
        t.psi_drift,
        t.drift_share,
        r.drift_share,
        t.psi_alert,
    );
    let ex = &r.excluded;
    if let Some(line) = ex.summary() {
        let _ = writeln!(s, "{line}.\n");
    }
    let _ = writeln!(s, "## Triggers\n");
    s.push_str(&super::markdown::checks_table(&r.triggers));
    for section in DriftSection::ALL {
        let rows: Vec<_> = r.features.iter().filter(|f| f.section == section).collect();
        if rows.is_empty() {
            if section == DriftSection::Input {
                let _ = writeln!(
                    s,
                    "\n## {}\n\nNone: the prediction rows carry no input features (log them as a nested `features` object, or name them with --features).",
                    section.title()
                );
            }
            continue;
        }
        let _ = writeln!(
            s,
            "\n## {}\n\n| column | kind | test | statistic | p | PSI | Wasserstein | W/sd | null ref | null cur | flag |\n|---|---|---|---|---|---|---|---|---|---|---|",
            section.title()
        );
        for f in rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                f.name,
                match f.kind {
                    FeatureKind::Numeric => "numeric",
                    FeatureKind::Categorical => "categorical",
                },
                f.test,
                opt(f.statistic, 4),
                p(f.p_value),
                opt(f.psi, 4),
                opt(f.wasserstein, 4),
                opt(f.wasserstein_norm, 3),
                share(f.null_rate_reference),
                share(f.null_rate_current),
                f.flag().as_str(),
            );
        }
    }
    performance_md(&mut s, r);
    let sc = &r.schema;
    if !sc.only_in_reference.is_empty()
        || !sc.only_in_current.is_empty()
        || !sc.dtype_changes.is_empty()
    {
        let _ = writeln!(s, "\n## Schema\n");
        if !sc.only_in_reference.is_empty() {
            let _ = writeln!(
                s,
                "- Only in reference: {}",
                sc.only_in_reference.join(", ")
            );
        }
        if !sc.only_in_current.is_empty() {
            let _ = writeln!(s, "- Only in current: {}", sc.only_in_current.join(", "));
        }
        for d in &sc.dtype_changes {
            let _ = writeln!(s, "- `{}`: {} -> {}", d.name, d.reference, d.current);
        }
    }
    let cats: Vec<_> = r
        .features
        .iter()
        .filter(|f| !f.categories.is_empty())
        .collect();
    if !cats.is_empty() {
        let _ = writeln!(s, "\n## Category shares\n\n| feature | value | reference | current | change |\n|---|---|---|---|---|");
        for f in cats {
            for c in f.categories.iter().take(10) {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {:+.2} pp |",
                    f.name,
                    c.value,
                    share(c.reference),
                    share(c.current),
                    c.change * 100.0
                );
            }
        }
    }
    s
}

/// Estimated (CBPE) and realized performance per period: `estimate [band] / realized`.
fn performance_md(s: &mut String, r: &DriftReport) {
    if r.performance.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n## Performance over time (estimated before labels arrive, and realized)\n\nConfidence-based performance estimation (CBPE, as NannyML 0.13) in periods of {}: each cell is `estimate [band of ± 3 sampling errors] / realized` (realized needs the period's labels; `-` without).\n",
        crate::plan::duration::format_bucket(r.granularity_s.max(1))
    );
    for f in &r.performance_fits {
        let _ = writeln!(
            s,
            "- {}: {}",
            f.series,
            match &f.note {
                Some(n) => format!("not estimated, {n}"),
                None => format!(
                    "fitted on {} labelled reference rows, calibration {}",
                    f.reference_rows, f.calibration
                ),
            }
        );
    }
    let metrics = ["roc_auc", "f1", "precision", "recall", "accuracy"];
    let mut series: Vec<&str> = r.performance.iter().map(|p| p.series.as_str()).collect();
    series.dedup();
    for k in series {
        let _ = writeln!(
            s,
            "\n### {k}\n\n| period start | rows | labelled | {} |\n|---|---|---|{}",
            metrics.join(" | "),
            "---|".repeat(metrics.len())
        );
        let mut starts: Vec<&str> = r
            .performance
            .iter()
            .filter(|p| p.series == k)
            .map(|p| p.start.as_str())
            .collect();
        starts.dedup();
        for start in starts {
            let at = |m: &str| {
                r.performance
                    .iter()
                    .find(|p| p.series == k && p.start == start && p.metric == m)
            };
            let Some(first) = at(metrics[0]) else {
                continue;
            };
            let cells: Vec<String> = metrics
                .iter()
                .map(|m| match at(m) {
                    None => "-".into(),
                    Some(p) => format!(
                        "{} [{}, {}] / {}",
                        opt(p.estimated, 3),
                        opt(p.band_low, 3),
                        opt(p.band_high, 3),
                        p.realized.map_or("-".into(), |v| format!("{v:.3}"))
                    ),
                })
                .collect();
            let _ = writeln!(
                s,
                "| {start} | {} | {} | {} |",
                first.n,
                first.labelled,
                cells.join(" | ")
            );
        }
    }
}
