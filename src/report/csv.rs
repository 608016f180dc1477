//! Report tables as CSV (for spreadsheets): groups, tests, segments, timeline, rejected, checks.

use super::{ExperimentReport, TestResult};

fn esc(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite())
        .map(|v| format!("{v}"))
        .unwrap_or_default()
}

fn test_row(prefix: &[String], t: &TestResult) -> String {
    let mut cells: Vec<String> = prefix.iter().map(|s| esc(s)).collect();
    cells.extend([
        esc(&t.metric),
        t.method.as_str().to_string(),
        esc(&t.control),
        esc(&t.treatment),
        t.control_n.to_string(),
        t.treatment_n.to_string(),
        num(Some(t.control_value)),
        num(Some(t.treatment_value)),
        num(Some(t.diff)),
        num(t.ci_low),
        num(t.ci_high),
        num(t.relative_lift),
        num(t.statistic),
        num(t.df),
        num(t.p_value),
        num(t.p_value_adjusted),
        t.significant.to_string(),
        t.primary.to_string(),
        num(t.fixed.p_value),
        num(t.fixed.ci_low),
        num(t.fixed.ci_high),
        t.fixed.significant.to_string(),
        num(t.cuped.map(|c| c.theta)),
        num(t.cuped.map(|c| c.variance_reduction)),
        num(t.cuped.map(|c| c.unadjusted.diff)),
        num(t.cuped.and_then(|c| c.unadjusted.p_value)),
    ]);
    cells.join(",")
}

const TEST_HEAD: &str = "metric,method,control,treatment,control_n,treatment_n,control_value,treatment_value,diff,ci_low,ci_high,relative_lift,statistic,df,p_value,p_value_adjusted,significant,primary,fixed_p_value,fixed_ci_low,fixed_ci_high,fixed_significant,cuped_theta,cuped_variance_reduction,cuped_unadjusted_diff,cuped_unadjusted_p_value";

/// A table of the experiment report that can be saved as CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// Per-group summary.
    Groups,
    /// Control-vs-treatment tests.
    Tests,
    /// Segment tests.
    Segments,
    /// Timeline rows.
    Timeline,
    /// Rejected rows.
    Rejected,
    /// Health and guardrail checks.
    Checks,
    /// Latency percentile tests.
    Quantiles,
    /// Non-inferiority guardrails.
    Guardrails,
    /// The primary metric's lift over time.
    Lift,
}

impl Table {
    /// Every table.
    pub const ALL: [Table; 9] = [
        Table::Groups,
        Table::Tests,
        Table::Segments,
        Table::Timeline,
        Table::Rejected,
        Table::Checks,
        Table::Quantiles,
        Table::Guardrails,
        Table::Lift,
    ];

    /// The table's name (also its default file name without `.csv`).
    pub fn name(self) -> &'static str {
        match self {
            Table::Groups => "groups",
            Table::Tests => "tests",
            Table::Segments => "segments",
            Table::Timeline => "timeline",
            Table::Rejected => "rejected",
            Table::Checks => "checks",
            Table::Quantiles => "quantile_tests",
            Table::Guardrails => "guardrails",
            Table::Lift => "lift_over_time",
        }
    }

    /// The table with this name.
    pub fn parse(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// One table of the report as CSV.
pub fn table_csv(r: &ExperimentReport, table: Table) -> String {
    let mut out = Vec::new();
    match table {
        Table::Groups => {
            let metrics: Vec<&String> = r
                .groups
                .first()
                .map(|g| g.metrics.keys().collect())
                .unwrap_or_default();
            let mut head = "group,models,requests,share,users,errors,error_rate,fallbacks,latency_mean_ms,latency_p50_ms,latency_p95_ms,latency_p99_ms,mean_score,auc".to_string();
            for m in &metrics {
                head.push_str(&format!(",{}_n,{}_mean", esc(m), esc(m)));
            }
            out.push(head);
            for g in &r.groups {
                let l = g.latency_ms;
                let mut row = vec![
                    esc(&g.name),
                    esc(&g.models.join(" ")),
                    g.requests.to_string(),
                    num(Some(g.share)),
                    g.users.to_string(),
                    g.errors.to_string(),
                    num(Some(g.error_rate)),
                    g.fallbacks.to_string(),
                    num(l.map(|l| l.mean)),
                    num(l.map(|l| l.p50)),
                    num(l.map(|l| l.p95)),
                    num(l.map(|l| l.p99)),
                    num(g.mean_score),
                    num(g.auc),
                ];
                for m in &metrics {
                    let s = g.metrics.get(*m);
                    row.push(s.map(|s| s.n.to_string()).unwrap_or_default());
                    row.push(num(s.and_then(|s| s.mean)));
                }
                out.push(row.join(","));
            }
        }
        Table::Quantiles => {
            out.push("metric,quantile,control,treatment,control_value,treatment_value,diff,ci_low,ci_high,relative_lift,relative_lift_ci_low,relative_lift_ci_high,p_value,significant,fixed_p_value,control_n,treatment_n,clusters_control,clusters_treatment,stages_combined,note".into());
            for q in &r.quantile_tests {
                out.push(
                    [
                        esc(&q.metric),
                        num(Some(q.quantile)),
                        esc(&q.control),
                        esc(&q.treatment),
                        num(Some(q.control_value)),
                        num(Some(q.treatment_value)),
                        num(Some(q.diff)),
                        num(q.ci_low),
                        num(q.ci_high),
                        num(q.relative_lift),
                        num(q.relative_lift_ci_low),
                        num(q.relative_lift_ci_high),
                        num(q.p_value),
                        q.significant.to_string(),
                        num(q.fixed.p_value),
                        q.control_n.to_string(),
                        q.treatment_n.to_string(),
                        q.clusters_control.to_string(),
                        q.clusters_treatment.to_string(),
                        q.stages_combined.to_string(),
                        esc(q.note.as_deref().unwrap_or("")),
                    ]
                    .join(","),
                );
            }
        }
        Table::Guardrails => {
            out.push("name,metric,treatment,margin,relative,direction,estimate,bound,favorable_bound,p_value,p_value_adjusted,alpha,status".into());
            for g in &r.guardrails {
                out.push(
                    [
                        esc(&g.name),
                        esc(&g.metric),
                        esc(&g.treatment),
                        num(Some(g.margin)),
                        g.relative.to_string(),
                        format!("{:?}", g.direction).to_lowercase(),
                        num(g.estimate),
                        num(g.bound),
                        num(g.favorable_bound),
                        num(g.p_value),
                        num(g.p_value_adjusted),
                        num(Some(g.alpha)),
                        g.status.as_str().to_string(),
                    ]
                    .join(","),
                );
            }
        }
        Table::Lift => {
            out.push("start,metric,treatment,diff,ci_low,ci_high".into());
            for l in &r.timeline.lift_over_time {
                out.push(
                    [
                        esc(&l.start),
                        esc(&l.metric),
                        esc(&l.treatment),
                        num(Some(l.diff)),
                        num(l.ci_low),
                        num(l.ci_high),
                    ]
                    .join(","),
                );
            }
        }
        Table::Tests => {
            out.push(TEST_HEAD.to_string());
            out.extend(r.tests.iter().map(|t| test_row(&[], t)));
        }
        Table::Segments => {
            out.push(format!("column,value,requests,{TEST_HEAD}"));
            for s in &r.segments {
                for t in &s.tests {
                    out.push(test_row(
                        &[s.column.clone(), s.value.clone(), s.requests.to_string()],
                        t,
                    ));
                }
            }
        }
        Table::Timeline => {
            let metrics: Vec<String> = r.metrics.iter().map(|m| m.name.clone()).collect();
            let mut head =
                "start,group,requests,qps,error_rate,latency_p50_ms,latency_p95_ms,latency_p99_ms"
                    .to_string();
            for m in &metrics {
                head.push(',');
                head.push_str(&esc(m));
            }
            // columns added later come last, so readers by position keep working
            head.push_str(",errors,share,cumulative_requests,cumulative_error_rate");
            for m in &metrics {
                head.push(',');
                head.push_str(&esc(&format!("{m}_cumulative")));
            }
            out.push(head);
            for row in &r.timeline.rows {
                let mut cells = vec![
                    row.start.clone(),
                    esc(&row.group),
                    row.requests.to_string(),
                    num(Some(row.qps)),
                    num(Some(row.error_rate)),
                    num(row.latency_p50),
                    num(row.latency_p95),
                    num(row.latency_p99),
                ];
                for m in &metrics {
                    cells.push(num(row.metrics.get(m).copied().flatten()));
                }
                cells.extend([
                    row.errors.to_string(),
                    num(Some(row.share)),
                    row.cumulative_requests.to_string(),
                    num(Some(row.cumulative_error_rate)),
                ]);
                for m in &metrics {
                    cells.push(num(row.metrics_cumulative.get(m).copied().flatten()));
                }
                out.push(cells.join(","));
            }
        }
        Table::Rejected => {
            out.push("file,line,reason".into());
            out.extend(
                r.input
                    .rejected
                    .iter()
                    .map(|x| format!("{},{},{}", esc(&x.file), x.line, esc(&x.reason))),
            );
        }
        Table::Checks => return checks_csv(&r.checks),
    }
    out.join("\n") + "\n"
}

/// The drift report's feature table as CSV.
pub fn drift_features_csv(r: &super::drift::DriftReport) -> String {
    let mut out = String::from("name,kind,test,statistic,p_value,dof,psi,wasserstein,wasserstein_norm,null_rate_reference,null_rate_current,n_reference,n_current,mean_reference,mean_current,drifted,alert\n");
    for f in &r.features {
        let cells = [
            esc(&f.name),
            match f.kind {
                super::drift::FeatureKind::Numeric => "numeric".into(),
                super::drift::FeatureKind::Categorical => "categorical".into(),
            },
            f.test.as_str().to_string(),
            num(f.statistic),
            num(f.p_value),
            f.dof.map(|d| d.to_string()).unwrap_or_default(),
            num(f.psi),
            num(f.wasserstein),
            num(f.wasserstein_norm),
            num(Some(f.null_rate_reference)),
            num(Some(f.null_rate_current)),
            f.n_reference.to_string(),
            f.n_current.to_string(),
            num(f.mean_reference),
            num(f.mean_current),
            f.drifted.to_string(),
            f.alert.to_string(),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Checks of any report (health checks, retraining triggers, comparison checks) as CSV:
/// id, status, message, and the numbers behind them as `name=value` pairs.
pub fn checks_csv(checks: &[super::Check]) -> String {
    let mut out = String::from("id,status,message,numbers\n");
    for c in checks {
        out.push_str(&format!(
            "{},{},{},{}\n",
            c.id,
            c.status.as_str(),
            esc(&c.message),
            esc(&c.numbers_text())
        ));
    }
    out
}

/// The drift triggers as CSV, with whether each judged estimated performance.
pub fn drift_triggers_csv(r: &super::drift::DriftReport) -> String {
    let mut out = String::from("id,estimated,status,message,numbers\n");
    for c in &r.triggers {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            c.id,
            c.estimated == Some(true),
            c.status.as_str(),
            esc(&c.message),
            esc(&c.numbers_text())
        ));
    }
    out
}

/// The estimated and realized performance per period as CSV.
pub fn drift_performance_csv(r: &super::drift::DriftReport) -> String {
    let mut out = String::from(
        "start,series,metric,estimated,sampling_error,band_low,band_high,realized,n,labelled\n",
    );
    let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
    for p in &r.performance {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            p.start,
            esc(&p.series),
            p.metric,
            num(p.estimated),
            num(p.sampling_error),
            num(p.band_low),
            num(p.band_high),
            num(p.realized),
            p.n,
            p.labelled
        ));
    }
    out
}

/// Permutation importance of both models as CSV.
pub fn importance_csv(r: &super::compare::CompareReport) -> String {
    let mut out = String::from("name,champion_mean,champion_std,challenger_mean,challenger_std,champion_rank,challenger_rank\n");
    for f in &r.importance.features {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            esc(&f.name),
            f.champion_mean,
            f.champion_std,
            f.challenger_mean,
            f.challenger_std,
            f.champion_rank,
            f.challenger_rank
        ));
    }
    out
}

/// CSV text as tab-separated text for pasting into a spreadsheet: quoted cells unquoted,
/// tabs and line breaks inside a cell turned into spaces.
pub fn csv_to_tsv(csv: &str) -> String {
    let mut out = String::with_capacity(csv.len());
    let mut quoted = false;
    let mut chars = csv.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', false) => quoted = true,
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.push('"');
            }
            ('"', true) => quoted = false,
            (',', false) => out.push('\t'),
            ('\t' | '\n' | '\r', true) => out.push(' '),
            ('\t', false) => out.push(' '),
            (c, _) => out.push(c),
        }
    }
    out
}

/// A table of the experiment report as tab-separated text (what "Copy" puts on the
/// clipboard).
pub fn table_tsv(r: &ExperimentReport, table: Table) -> String {
    csv_to_tsv(&table_csv(r, table))
}

#[cfg(test)]
mod tsv_tests {
    use super::csv_to_tsv;

    #[test]
    fn csv_becomes_tab_separated_with_cells_kept_whole() {
        let csv = "a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"line\nbreak\",\"t\tab\"\n";
        assert_eq!(
            csv_to_tsv(csv),
            "a\tb\tc\n1\tx, y\tsay \"hi\"\n2\tline break\tt ab\n"
        );
    }
}
