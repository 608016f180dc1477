//! The inference sections of the experiment report — the fixed-horizon numbers beside the
//! always-valid ones, CUPED, latency percentile tests, guardrails and the primary metric's
//! lift over time — as tables whose cells are built once and written as Markdown or HTML.

use super::format::{opt, p, pct};
use super::tables::{write_html, write_markdown, Table};
use super::ExperimentReport;
use crate::plan::Inference;

/// An interval of differences, formatted as every difference is (`format::diff`).
fn ci(lo: Option<f64>, hi: Option<f64>, _digits: usize) -> String {
    let d = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map_or("–".into(), super::format::diff)
    };
    format!("[{}, {}]", d(lo), d(hi))
}

fn yes(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// The line that says how the tests were run.
pub fn inference_line(r: &ExperimentReport) -> String {
    match r.inference {
        Inference::Sequential => format!(
            "Inference: always-valid (sequential, gbstats' confidence sequence tuned for N* = {}): intervals and p-values stay valid however often the results are looked at; the fixed-horizon numbers (valid for one look at the planned size) are kept beside them.",
            r.sequential_tuning
        ),
        Inference::Fixed => "Inference: fixed-horizon: valid for a single look at the planned sample size; looking repeatedly and stopping at the first significant result inflates false positives.".to_string(),
    }
}

/// Every inference table that has rows.
pub fn tables(r: &ExperimentReport) -> Vec<Table> {
    let mut out = Vec::new();
    if r.inference == Inference::Sequential {
        out.push(Table {
            title: "Always-valid and fixed-horizon".into(),
            note: "The same estimate with the always-valid interval (what the verdict uses) and the fixed-horizon one.".into(),
            header: vec!["metric", "treatment", "diff", "always-valid CI", "p", "significant", "fixed CI", "fixed p", "fixed significant"],
            rows: r
                .tests
                .iter()
                .map(|t| {
                    vec![
                        t.metric.clone(),
                        t.treatment.clone(),
                        super::format::diff(t.diff),
                        ci(t.ci_low, t.ci_high, 4),
                        p(t.p_value),
                        yes(t.significant),
                        ci(t.fixed.ci_low, t.fixed.ci_high, 4),
                        p(t.fixed.p_value),
                        yes(t.fixed.significant),
                    ]
                })
                .collect(),
        });
    }
    let cuped: Vec<Vec<String>> = r
        .tests
        .iter()
        .filter_map(|t| {
            let c = t.cuped?;
            Some(vec![
                t.metric.clone(),
                t.treatment.clone(),
                format!("{:.4}", c.theta),
                format!("{:.1}%", c.variance_reduction * 100.0),
                c.users_with_covariate.to_string(),
                super::format::diff(t.diff),
                ci(t.ci_low, t.ci_high, 4),
                p(t.p_value),
                super::format::diff(c.unadjusted.diff),
                ci(c.unadjusted.ci_low, c.unadjusted.ci_high, 4),
                p(c.unadjusted.p_value),
            ])
        })
        .collect();
    if !cuped.is_empty() {
        let source = r
            .pre_period
            .as_ref()
            .map(|p| match &p.column {
                Some(c) => format!(
                    " Covariate: each user's mean of the column {c} ({} rows, {} users).",
                    p.rows, p.users
                ),
                None => format!(
                    " Covariate: each user's total over the pre-period ({}: {} rows, {} users).",
                    p.source, p.rows, p.users
                ),
            })
            .unwrap_or_default();
        out.push(Table {
            title: "CUPED".into(),
            note: format!("Per-user totals adjusted by the pre-period (θ pooled over both groups); the verdict uses the adjusted test.{source}"),
            header: vec!["metric", "treatment", "θ", "variance reduction", "users with covariate", "adjusted diff", "adjusted CI", "adjusted p", "unadjusted diff", "unadjusted CI", "unadjusted p"],
            rows: cuped,
        });
    }
    if !r.quantile_tests.is_empty() {
        out.push(Table {
            title: "Latency percentiles".into(),
            note: "Percentiles per group with users as clusters (gbstats' quantile test); differences in ms, treatment − control.".into(),
            header: vec!["metric", "percentile", "treatment", "control ms", "treatment ms", "diff ms", "CI", "lift", "lift CI", "p", "significant", "note"],
            rows: r
                .quantile_tests
                .iter()
                .map(|q| {
                    vec![
                        q.metric.clone(),
                        format!("p{}", (q.quantile * 100.0).round()),
                        q.treatment.clone(),
                        format!("{:.2}", q.control_value),
                        format!("{:.2}", q.treatment_value),
                        format!("{:+.2}", q.diff),
                        ci(q.ci_low, q.ci_high, 2),
                        pct(q.relative_lift),
                        format!("[{}, {}]", pct(q.relative_lift_ci_low), pct(q.relative_lift_ci_high)),
                        p(q.p_value),
                        yes(q.significant),
                        q.note.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        });
    }
    if !r.guardrails.is_empty() {
        out.push(Table {
            title: "Guardrails (non-inferiority)".into(),
            note: "Each guardrail tests one-sided that the treatment is not worse than its margin (Holm across a treatment's guardrails): pass, fail, or undecided (hold).".into(),
            header: vec!["guardrail", "treatment", "margin", "estimate", "harmful bound", "p", "p adj", "status"],
            rows: r
                .guardrails
                .iter()
                .map(|g| {
                    let f = |x: Option<f64>| {
                        if g.relative {
                            pct(x)
                        } else {
                            opt(x, 5)
                        }
                    };
                    vec![
                        g.name.clone(),
                        g.treatment.clone(),
                        if g.relative {
                            format!("{:.1}%", g.margin * 100.0)
                        } else {
                            format!("{}", g.margin)
                        },
                        f(g.estimate),
                        f(g.bound),
                        p(g.p_value),
                        p(g.p_value_adjusted),
                        g.status.as_str().to_string(),
                    ]
                })
                .collect(),
        });
    }
    let lift = &r.timeline.lift_over_time;
    if !lift.is_empty() {
        let mut treatments: Vec<&str> = lift.iter().map(|l| l.treatment.as_str()).collect();
        treatments.sort();
        treatments.dedup();
        out.push(Table {
            title: "Lift over time".into(),
            note: format!(
                "The primary metric's difference on the data through each {} bucket, with its {} interval: when it first excluded zero, and now.",
                r.timeline.bucket,
                if r.inference == Inference::Sequential { "always-valid" } else { "fixed-horizon" }
            ),
            header: vec!["metric", "treatment", "buckets", "first conclusive", "now: diff", "now: CI"],
            rows: treatments
                .iter()
                .filter_map(|t| {
                    let points: Vec<_> = lift.iter().filter(|l| l.treatment == *t).collect();
                    let last = points.last()?;
                    let first = points.iter().find(|l| {
                        l.ci_low.is_some_and(|x| x > 0.0) || l.ci_high.is_some_and(|x| x < 0.0)
                    });
                    Some(vec![
                        last.metric.clone(),
                        t.to_string(),
                        points.len().to_string(),
                        first.map_or("not yet".to_string(), |l| l.start.clone()),
                        super::format::diff(last.diff),
                        ci(last.ci_low, last.ci_high, 4),
                    ])
                })
                .collect(),
        });
    }
    out
}

/// The sections as Markdown.
pub fn markdown(out: &mut String, r: &ExperimentReport) {
    write_markdown(out, &tables(r));
}

/// The sections as HTML.
pub fn html(out: &mut String, r: &ExperimentReport, esc: impl Fn(&str) -> String) {
    write_html(out, &tables(r), esc);
}
