//! The shadow-run report for people: Markdown, and a self-contained HTML page with the
//! same tables.

use super::format::{opt, p, share};
use super::paired::McNemar;
use super::shadow::ShadowReport;
use super::tables::{write_html, write_markdown, Table};
use std::fmt::Write;

fn mcnemar_cells(what: &str, m: &McNemar) -> Vec<String> {
    vec![
        what.to_string(),
        m.b.to_string(),
        m.c.to_string(),
        opt(m.statistic, 4),
        p(m.p_value),
        if m.exact {
            "exact binomial"
        } else {
            "chi-square, corrected"
        }
        .to_string(),
    ]
}

/// The report's tables.
pub fn tables(r: &ShadowReport) -> Vec<Table> {
    let mut out = vec![Table {
        title: "Models".into(),
        note: format!(
            "{} requests, {} paired; {} with the champion only, {} with the challenger only ({} layout).",
            r.requests,
            r.pairs,
            r.unpaired.champion_only,
            r.unpaired.challenger_only,
            match r.layout {
                super::shadow::Layout::TwoRecords => "two records per request",
                super::shadow::Layout::OneRecord => "one record per request",
            }
        ),
        header: vec!["role", "model", "version", "requests", "errors", "p50 ms", "p95 ms", "p99 ms"],
        rows: r
            .models
            .iter()
            .map(|m| {
                vec![
                    m.role.clone(),
                    m.name.clone().unwrap_or_default(),
                    m.version.clone().unwrap_or_default(),
                    m.requests.to_string(),
                    m.errors.to_string(),
                    opt(m.latency_ms.map(|l| l.p50), 2),
                    opt(m.latency_ms.map(|l| l.p95), 2),
                    opt(m.latency_ms.map(|l| l.p99), 2),
                ]
            })
            .collect(),
    }];
    let mut flips = Vec::new();
    for (a, row) in &r.flip_matrix {
        for (b, n) in row {
            flips.push(vec![a.clone(), b.clone(), n.to_string()]);
        }
    }
    out.push(Table {
        title: "Decisions".into(),
        note: format!(
            "{} pairs where both decided: agreement {}, flip rate {} (rows: champion's decision, columns: challenger's).",
            r.decided_pairs,
            r.agreement_rate.map_or("–".into(), share),
            r.flip_rate.map_or("–".into(), share)
        ),
        header: vec!["champion", "challenger", "requests"],
        rows: flips,
    });
    if let Some(s) = &r.score_diff {
        out.push(Table {
            title: "Score differences".into(),
            note: format!(
                "|challenger − champion| over {} pairs with both scores; Pearson correlation {}.",
                s.n,
                opt(s.correlation, 4)
            ),
            header: vec!["mean", "p50", "p95", "p99", "max"],
            rows: vec![[s.mean_abs, s.p50_abs, s.p95_abs, s.p99_abs, s.max_abs]
                .iter()
                .map(|x| format!("{x:.4}"))
                .collect()],
        });
    }
    if let Some(l) = &r.latency_diff_ms {
        out.push(Table {
            title: "Latency difference (challenger − champion, ms per request)".into(),
            note: format!(
                "Paired t-test over {} pairs with both latencies: interval at {:.0}%.",
                l.n,
                (1.0 - r.alpha) * 100.0
            ),
            header: vec!["mean", "CI", "p", "p50", "p95", "p99"],
            rows: vec![vec![
                format!("{:+.3}", l.mean),
                format!("[{}, {}]", opt(l.ci_low, 3), opt(l.ci_high, 3)),
                p(l.p_value),
                format!("{:+.3}", l.p50),
                format!("{:+.3}", l.p95),
                format!("{:+.3}", l.p99),
            ]],
        });
    }
    let mut mc = vec![mcnemar_cells("errors", &r.error_mcnemar)];
    if let Some(lab) = &r.labelled {
        mc.push(mcnemar_cells("wrong decisions", &lab.mcnemar));
    }
    out.push(Table {
        title: "McNemar (paired failures)".into(),
        note: "b: the champion fails where the challenger does not; c: the reverse.".into(),
        header: vec!["failures", "b", "c", "statistic", "p", "test"],
        rows: mc,
    });
    if let Some(lab) = &r.labelled {
        let mut rows = vec![
            vec![
                "champion".into(),
                format!("{:.4}", lab.champion.accuracy),
                opt(lab.champion.auc, 4),
            ],
            vec![
                "challenger".into(),
                format!("{:.4}", lab.challenger.accuracy),
                opt(lab.challenger.auc, 4),
            ],
        ];
        if let Some(d) = &lab.delong {
            rows.push(vec![
                "Δ (DeLong)".into(),
                format!("{:+.4}", lab.challenger.accuracy - lab.champion.accuracy),
                format!(
                    "{:+.4} [{:+.4}, {:+.4}], p {}",
                    d.diff,
                    d.ci_low,
                    d.ci_high,
                    p(Some(d.p_value))
                ),
            ]);
        }
        out.push(Table {
            title: "With outcomes".into(),
            note: format!("{} labelled pairs where both decided.", lab.n),
            header: vec!["model", "accuracy", "AUC"],
            rows,
        });
    }
    if !r.by_segment.is_empty() {
        out.push(Table {
            title: "Agreement by segment".into(),
            note: "Pairs where both decided.".into(),
            header: vec!["column", "value", "pairs", "agreement"],
            rows: r
                .by_segment
                .iter()
                .map(|s| {
                    vec![
                        s.column.clone(),
                        s.value.clone(),
                        s.pairs.to_string(),
                        share(s.agreement_rate),
                    ]
                })
                .collect(),
        });
    }
    out.push(Table {
        title: format!("Agreement over time ({} buckets)", r.over_time.bucket),
        note: "Does the shadow degrade at peak hours?".into(),
        header: vec!["start", "pairs", "agreement"],
        rows: r
            .over_time
            .rows
            .iter()
            .map(|t| {
                vec![
                    t.start.clone(),
                    t.pairs.to_string(),
                    share(t.agreement_rate),
                ]
            })
            .collect(),
    });
    out.push(Table {
        title: "Review sample".into(),
        note: "The largest score differences, then a seeded random sample of other disagreements (--review-csv writes them with their inputs).".into(),
        header: vec!["request", "kind", "champion", "challenger", "|Δ|"],
        rows: r
            .review_sample
            .iter()
            .map(|i| {
                vec![
                    i.request_id.clone(),
                    match i.kind {
                        super::shadow::ReviewKind::MostDisagreeing => "most disagreeing",
                        super::shadow::ReviewKind::Random => "random",
                    }
                    .into(),
                    format!(
                        "{} ({})",
                        opt(i.champion_score, 4),
                        i.champion_pred.clone().unwrap_or_default()
                    ),
                    format!(
                        "{} ({})",
                        opt(i.challenger_score, 4),
                        i.challenger_pred.clone().unwrap_or_default()
                    ),
                    opt(i.abs_diff, 4),
                ]
            })
            .collect(),
    });
    out
}

/// Markdown.
pub fn render(r: &ShadowReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Shadow run: {}\n", r.files.join(", "));
    write_markdown(&mut out, &tables(r));
    out
}

/// A self-contained HTML page.
pub fn render_html(r: &ShadowReport) -> String {
    let mut out = String::from("<!doctype html><html><head><meta charset=\"utf-8\"><title>Verdict shadow run</title><style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:0.5em 0;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}</style></head><body>\n");
    let _ = writeln!(
        out,
        "<h1>Shadow run</h1><p>{}</p>",
        super::html::h(&r.files.join(", "))
    );
    write_html(&mut out, &tables(r), super::html::h);
    out.push_str("</body></html>\n");
    out
}
