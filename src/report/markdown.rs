//! The experiment report as Markdown, for people.

use super::format::{opt, p};
use super::{Check, ExperimentReport, TestResult};
use std::fmt::Write;

fn tests_table(out: &mut String, tests: &[TestResult], adjusted: bool) {
    if tests.is_empty() {
        let _ = writeln!(out, "No tests.");
        return;
    }
    let t = super::tables::tests_table("", "", tests, adjusted);
    let _ = writeln!(out, "| {} |", t.header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(t.header.len()));
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(|c| super::tables::md_cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

/// A latency in ms with three significant digits, or an en dash.
fn ms(x: Option<f64>) -> String {
    x.map_or("–".into(), super::format::latency_ms)
}

/// Renders the report as Markdown.
pub fn render(r: &ExperimentReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Verdict: {}\n", r.recommendation.action.words());
    let _ = writeln!(out, "*{}*\n", r.context_line());
    for reason in &r.recommendation.reasons {
        let _ = writeln!(out, "- {reason}");
    }
    let _ = writeln!(out, "\n## Input\n");
    let _ = writeln!(out, "- files: {}", r.input.files.join(", "));
    let _ = writeln!(
        out,
        "- time window: {}",
        r.window
            .as_ref()
            .map_or("no timestamps".to_string(), |w| w.label())
    );
    let _ = writeln!(out, "- format: {}", r.input.format);
    let _ = writeln!(
        out,
        "- rows: {} read, {} valid, {} rejected, {} non-event lines skipped",
        r.input.rows_read, r.input.rows_valid, r.input.rows_rejected, r.input.lines_skipped
    );
    for (reason, n) in &r.input.rejected_by_reason {
        let _ = writeln!(out, "  - {reason}: {n}");
    }
    for ex in r.input.rejected.iter().take(10) {
        let _ = writeln!(out, "  - {}:{}: {}", ex.file, ex.line, ex.reason);
    }
    let cols: Vec<String> = r
        .columns
        .iter()
        .map(|(k, v)| format!("{k} = `{v}`"))
        .collect();
    let _ = writeln!(out, "- columns: {}", cols.join(", "));
    let _ = writeln!(
        out,
        "- control: **{}** (chosen by {}); primary metric: {}; alpha = {}",
        r.control,
        r.control_source,
        r.primary_metric
            .as_deref()
            .unwrap_or("none declared (all exploratory)"),
        r.alpha
    );

    let _ = writeln!(out, "\n## Checks\n");
    out.push_str(&checks_table(&r.checks));

    let _ = writeln!(out, "\n## Groups\n");
    let _ = writeln!(out, "| group | models | requests | share | users | errors | error rate | fallbacks | latency mean ms | p50 ms | p95 ms | p99 ms | mean score | AUC |");
    let _ = writeln!(
        out,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for g in &r.groups {
        let l = g.latency_ms;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            g.name,
            g.models.join(", "),
            g.requests,
            super::format::rate(g.share),
            g.users,
            g.errors,
            super::format::rate(g.error_rate),
            g.fallbacks,
            ms(l.map(|l| l.mean)),
            ms(l.map(|l| l.p50)),
            ms(l.map(|l| l.p95)),
            ms(l.map(|l| l.p99)),
            opt(g.mean_score, 4),
            opt(g.auc, 4)
        );
    }

    let _ = writeln!(out, "\n## Tests (treatment − control)\n");
    let _ = writeln!(out, "{}\n", super::inference_markdown::inference_line(r));
    tests_table(&mut out, &r.tests, false);
    super::inference_markdown::markdown(&mut out, r);

    let _ = writeln!(out, "\n## Sample-ratio mismatch\n");
    match &r.srm {
        Some(s) => {
            let _ = writeln!(
                out,
                "chi2 = {:.4}, df = {}, p = {} — {}{}",
                s.chi2,
                s.df,
                p(Some(s.p_value)),
                if s.mismatch { "**mismatch**" } else { "ok" },
                match s.stage {
                    Some(i) if r.stages.len() > 1 => format!(" (stage {i}, the smallest p)"),
                    _ => String::new(),
                }
            );
        }
        None => {
            let _ = writeln!(out, "No split declared for the stages: not checked.");
        }
    }
    let _ = writeln!(
        out,
        "\nUsers: {}, in more than one group within a stage: {}, moved at a ramp boundary: {}. Errors not attributed to a group: {}.",
        r.assignment.users,
        r.assignment.users_in_multiple_groups,
        r.assignment.users_moved_at_ramp,
        r.errors_unattributed
    );
    super::stages_markdown::stages_section(&mut out, r);
    super::stages_markdown::events_section(&mut out, r);

    if let Some(pw) = &r.power {
        let _ = writeln!(out, "\n## Power\n");
        let _ = writeln!(out, "{}", power_line(pw));
    }

    if !r.segments.is_empty() {
        let _ = writeln!(out, "\n## Segments ({} correction)", r.correction);
        super::tables::write_markdown_at(&mut out, &super::tables::segment_tables(r), 3);
    }
    timeline_summary(&mut out, r);
    out
}

/// Per group over the timeline, read from the report: buckets, the traffic share of the
/// first and last bucket (the ramp stages), and the cumulative requests, error rate and
/// metric means at the end.
fn timeline_summary(out: &mut String, r: &ExperimentReport) {
    let _ = writeln!(
        out,
        "\n## Timeline\n\n{} buckets of {}, UTC (the JSON report and the timeline CSV have every series).\n",
        r.timeline.buckets(),
        r.timeline.bucket
    );
    if r.timeline.rows.is_empty() {
        return;
    }
    let mut head =
        "| group | buckets | first share | last share | requests | error rate |".to_string();
    let mut rule = "|---|---:|---:|---:|---:|---:|".to_string();
    for m in &r.metrics {
        let _ = write!(head, " {} |", m.name);
        rule.push_str("---:|");
    }
    let _ = writeln!(out, "{head}\n{rule}");
    for g in &r.groups {
        let rows: Vec<_> = r
            .timeline
            .rows
            .iter()
            .filter(|x| x.group == g.name)
            .collect();
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            continue;
        };
        let mut line = format!(
            "| {} | {} | {} | {} | {} | {} |",
            g.name,
            rows.len(),
            super::format::share(first.share),
            super::format::share(last.share),
            last.cumulative_requests,
            super::format::share(last.cumulative_error_rate)
        );
        for m in &r.metrics {
            let _ = write!(
                line,
                " {} |",
                opt(last.metrics_cumulative.get(&m.name).copied().flatten(), 4)
            );
        }
        let _ = writeln!(out, "{line}");
    }
}

/// Checks of any report (health checks, retraining triggers, comparison checks) as a
/// Markdown table: id, status, the line for people, and the numbers behind it.
pub fn checks_table(checks: &[Check]) -> String {
    if checks.is_empty() {
        return "None.\n".into();
    }
    let mut out = String::from("| check | status | detail | numbers |\n|---|---|---|---|\n");
    for c in checks {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            c.label(),
            c.status.as_str(),
            c.message.replace('|', "/"),
            c.numbers_text().replace('|', "/")
        );
    }
    out
}

/// The sample-size sentence of the Markdown and HTML reports.
pub fn power_line(pw: &super::PowerResult) -> String {
    format!(
        "{}: baseline {:.4}, MDE {:+.4}, alpha {}, power {} → {} {}s per group needed ({} inference; fixed-horizon {}, always-valid {}{}); {} observed ({:.0}%).",
        pw.metric,
        pw.baseline_rate,
        pw.mde_absolute,
        pw.alpha,
        pw.power,
        pw.required_per_group,
        pw.unit.as_str(),
        if pw.required_per_group == pw.required_per_group_sequential { "always-valid" } else { "fixed-horizon" },
        pw.required_per_group_fixed,
        pw.required_per_group_sequential,
        pw.variance_reduction
            .map(|v| format!(", with CUPED's variance reduction of {:.0}%", v * 100.0))
            .unwrap_or_default(),
        pw.observed_per_group,
        pw.progress * 100.0
    )
}
