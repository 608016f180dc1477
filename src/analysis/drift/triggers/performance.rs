//! Performance triggers: AUC, F1 and metric means per period (a day, or the scale picked
//! from the data's span) per model (or group) in the
//! current period against the same series in the reference period.

use super::super::split::Side;
use super::{find, numbers, parse_num};
use crate::analysis::stats::auc;
use crate::ingest::normalize::parse_label;
use crate::ingest::table::RawTable;
use crate::ingest::time::{civil_from_days, column_timestamps_us};
use crate::ingest::{Role, Roles};
use crate::plan::TriggerConfig;
use crate::report::drift::DailySeries;
use crate::report::{Check, CheckId, Status};
use polars::prelude::StringChunked;
use std::collections::BTreeMap;

const DAY_US: i64 = 86_400_000_000;
/// Fewest labelled rows a day needs for its AUC or F1 to count.
pub const MIN_DAY_ROWS: usize = 50;

/// Labelled performance rows of one side: (series, day, score, predicted, label), and
/// the declared metrics' values as (series, day, value).
struct Perf {
    rows: Vec<LabelledRow>,
    metrics: Vec<(String, Vec<MetricRow>)>,
    /// Width of a period (µs): a day, or the scale picked from the data's span.
    period_us: i64,
}

/// (series, day, score, predicted class, label).
type LabelledRow = (String, Option<i64>, Option<f64>, Option<f64>, f64);
/// Timestamps of every table row (UTC µs).
type Stamps<'a> = &'a [Option<i64>];
/// (series, day, value).
type MetricRow = (String, Option<i64>, f64);
/// Per day: scores, their labels, and (predicted, label) pairs.
type DayRows = BTreeMap<i64, (Vec<f64>, Vec<f64>, Vec<(f64, f64)>)>;

/// Series names of each row, interned: `model version` (either alone when the other is
/// missing), else the group, else "all".
pub(super) fn series_keys(t: &RawTable, roles: &Roles) -> (Vec<u32>, Vec<String>) {
    let n = t.rows;
    let text = |role| find(t, roles, role).map(|c| c.to_text(&c.name).rechunk().into_owned());
    let (model, version) = (text(Role::Model), text(Role::Version));
    let parts: Vec<StringChunked> = match (model, version) {
        (None, None) => text(Role::Group).into_iter().collect(),
        (m, v) => m.into_iter().chain(v).collect(),
    };
    if parts.is_empty() {
        return (vec![0; n], vec!["all".into()]);
    }
    let mut names: Vec<String> = Vec::new();
    let mut index: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut buf = String::new();
    let codes = (0..n)
        .map(|r| {
            buf.clear();
            for p in &parts {
                if let Some(v) = p.get(r) {
                    if !buf.is_empty() {
                        buf.push(' ');
                    }
                    buf.push_str(v);
                }
            }
            if buf.is_empty() {
                buf.push_str("all");
            }
            if let Some(&c) = index.get(buf.as_str()) {
                return c;
            }
            names.push(buf.clone());
            let c = (names.len() - 1) as u32;
            index.insert(buf.clone(), c);
            c
        })
        .collect();
    (codes, names)
}

fn perf_rows(
    side: &Side,
    roles: &Roles,
    ts: Option<&[Option<i64>]>,
    metrics: &[String],
    threshold: f64,
    period_us: i64,
) -> Perf {
    let t = side.table;
    let n = t.rows;
    let mut rows = Vec::new();
    let mut out_metrics = Vec::new();
    let label_col = find(t, roles, Role::Label);
    if label_col.is_none() && metrics.is_empty() {
        return Perf {
            rows,
            metrics: out_metrics,
            period_us,
        };
    }
    let (codes, names) = series_keys(t, roles);
    let parsed;
    let ts: &[Option<i64>] = match ts {
        Some(ts) => ts,
        None => {
            parsed = find(t, roles, Role::Timestamp)
                .map(|c| column_timestamps_us(c, roles.time_unit))
                .unwrap_or_else(|| vec![None; n]);
            &parsed
        }
    };
    let key = |r: usize| names[codes[r] as usize].clone();
    let day = |r: usize| ts[r].map(|v| v.div_euclid(period_us.max(1)));
    if label_col.is_some() {
        let label = numbers(label_col, n, parse_label);
        let score = numbers(find(t, roles, Role::Score), n, parse_num);
        let pred = numbers(find(t, roles, Role::Prediction), n, parse_label);
        side.for_each_row(|r| {
            if let Some(l) = label[r] {
                let p =
                    pred[r].or_else(|| score[r].map(|s| if s >= threshold { 1.0 } else { 0.0 }));
                rows.push((key(r), day(r), score[r], p, l));
            }
        });
    }
    for m in metrics {
        let col = t.columns.iter().find(|c| &c.name == m);
        let vals = numbers(col, n, parse_num);
        let mut out = Vec::new();
        side.for_each_row(|r| {
            if let Some(v) = vals[r].filter(|v| v.is_finite()) {
                out.push((key(r), day(r), v));
            }
        });
        out_metrics.push((m.clone(), out));
    }
    Perf {
        rows,
        metrics: out_metrics,
        period_us,
    }
}

fn f1(rows: &[(f64, f64)]) -> Option<f64> {
    let (mut tp, mut fp, mut fneg) = (0u64, 0u64, 0u64);
    for &(p, l) in rows {
        match (p == 1.0, l == 1.0) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fneg += 1,
            _ => {}
        }
    }
    let denom = 2 * tp + fp + fneg;
    (denom > 0).then(|| 2.0 * tp as f64 / denom as f64)
}

/// A period's name: its date for whole days, else its start.
fn day_name(d: i64, period_us: i64) -> String {
    if period_us % DAY_US == 0 {
        let (y, m, dd) = civil_from_days(d * (period_us / DAY_US));
        format!("{y:04}-{m:02}-{dd:02}")
    } else {
        crate::ingest::time::format_timestamp_us(d * period_us)
    }
}

/// "day(s)" or "5m period(s)", for messages.
pub(super) fn periods(period_us: i64) -> String {
    if period_us == DAY_US {
        "day(s)".into()
    } else {
        format!(
            "{} period(s)",
            crate::plan::duration::format_bucket((period_us / 1_000_000).max(1) as u64)
        )
    }
}

/// The longest run of consecutive periods where `bad` holds, and the length of the run the
/// series ends in. `keys` are the periods' indices: a period missing from them (no rows) or
/// without a value (too few rows) ends a run, as a good one does.
pub(super) fn longest_run(
    keys: &[i64],
    values: &[Option<f64>],
    bad: impl Fn(f64) -> bool,
) -> (usize, usize) {
    let (mut best, mut cur, mut prev) = (0usize, 0usize, None::<i64>);
    for (k, v) in keys.iter().zip(values) {
        if v.is_some_and(&bad) {
            cur = if prev.is_some_and(|p| p + 1 == *k) && cur > 0 {
                cur + 1
            } else {
                1
            };
            best = best.max(cur);
        } else {
            cur = 0;
        }
        prev = Some(*k);
    }
    (best, cur)
}

/// `auc_decline`'s status: fails after `decline_days` consecutive periods below, warns
/// while the series ends below.
pub(super) fn decline_status(run: usize, last_run: usize, cfg: &TriggerConfig) -> Status {
    if run >= cfg.decline_days.max(1) {
        Status::Fail
    } else if last_run > 0 {
        Status::Warn
    } else {
        Status::Pass
    }
}

/// `f1_drop`'s status for a relative drop: fails beyond the threshold, warns beyond half.
pub(super) fn f1_status(drop: f64, cfg: &TriggerConfig) -> Status {
    if drop > cfg.f1_relative_drop {
        Status::Fail
    } else if drop > cfg.f1_relative_drop / 2.0 {
        Status::Warn
    } else {
        Status::Pass
    }
}

/// The period the performance triggers count in: a day, or the display period when the
/// log spans under three days (so a short log can still fire).
pub fn trigger_period_us(span_us: i64, period_us: i64) -> i64 {
    if span_us >= 3 * DAY_US {
        DAY_US
    } else {
        period_us
    }
}

/// Series per period of `period_us` (for display) and the performance triggers
/// (`auc_decline`, `f1_drop`, and `metric_decline` for the declared `metrics`) counted in
/// periods of `trigger_us`. `ts` are the tables' timestamps when already parsed.
#[allow(clippy::too_many_arguments)]
pub fn performance(
    reference: &Side,
    current: &Side,
    ref_roles: &Roles,
    cur_roles: &Roles,
    ts: (Option<Stamps>, Option<Stamps>),
    metrics: &[String],
    cfg: &TriggerConfig,
    (period_us, trigger_us): (i64, i64),
) -> (Vec<DailySeries>, Vec<Check>) {
    let rows = |period: i64| {
        (
            perf_rows(
                reference,
                ref_roles,
                ts.0,
                metrics,
                cfg.score_threshold,
                period,
            ),
            perf_rows(
                current,
                cur_roles,
                ts.1,
                metrics,
                cfg.score_threshold,
                period,
            ),
        )
    };
    let (rp, cp) = rows(period_us);
    let judged = (trigger_us != period_us).then(|| rows(trigger_us));
    let (rt, ct) = judged.as_ref().map_or((&rp, &cp), |(r, c)| (r, c));
    let (mut series, mut triggers) = if cp.rows.is_empty() {
        let why = if cur_roles.get(Role::Label).is_none() {
            "no label column"
        } else {
            "no labelled rows"
        };
        let not = |id| {
            Check::new(
                id,
                Status::Pass,
                format!("not evaluated: {why} in the current data"),
            )
        };
        (vec![], vec![not(CheckId::AucDecline), not(CheckId::F1Drop)])
    } else {
        let (series, _) = label_triggers(&rp, &cp, cfg);
        let (_, checks) = label_triggers(rt, ct, cfg);
        (series, checks.to_vec())
    };
    let (metric_series, _) = metric_triggers(&rp, &cp, cfg);
    let (_, metric_check) = metric_triggers(rt, ct, cfg);
    series.extend(metric_series);
    triggers.extend(metric_check);
    (series, triggers)
}

/// Daily AUC and F1 per series of the current period against the same series in the
/// reference period: `auc_decline` and `f1_drop`.
fn label_triggers(rp: &Perf, cp: &Perf, cfg: &TriggerConfig) -> (Vec<DailySeries>, [Check; 2]) {
    let mut series = Vec::new();
    let mut by_key: BTreeMap<&str, DayRows> = BTreeMap::new();
    for (k, d, s, p, l) in &cp.rows {
        let Some(d) = d else { continue };
        let e = by_key.entry(k).or_default().entry(*d).or_default();
        if let Some(s) = s {
            e.0.push(*s);
            e.1.push(*l);
        }
        if let Some(p) = p {
            e.2.push((*p, *l));
        }
    }
    let ref_keys: std::collections::HashSet<&str> = rp.rows.iter().map(|r| r.0.as_str()).collect();
    let reference_of = |k: &str| {
        let mut s = Vec::new();
        let mut l = Vec::new();
        let mut pl = Vec::new();
        for (kk, _, sc, p, lab) in &rp.rows {
            if kk == k {
                if let Some(sc) = sc {
                    s.push(*sc);
                    l.push(*lab);
                }
                if let Some(p) = p {
                    pl.push((*p, *lab));
                }
            }
        }
        (auc(&s, &l), f1(&pl))
    };
    let mut auc_msgs: Vec<(Status, String)> = Vec::new();
    let mut f1_msgs: Vec<(Status, String)> = Vec::new();
    let mut auc_numbers: Vec<(String, f64)> = Vec::new();
    let mut f1_numbers: Vec<(String, f64)> = Vec::new();
    for (k, days) in &by_key {
        let names: Vec<String> = days.keys().map(|d| day_name(*d, cp.period_us)).collect();
        if !ref_keys.contains(*k) {
            // a series (model, version or group) that exists only in the current period
            // has nothing to decline from: neither trigger judges it
            let why =
                format!("{k}: not judged, no labelled rows of this series in the reference period");
            auc_msgs.push((Status::Pass, why.clone()));
            f1_msgs.push((Status::Pass, why));
            let (aucs, f1s) = day_values(days);
            series.push(daily("auc", k, names.clone(), aucs, None));
            series.push(daily("f1", k, names, f1s, None));
            continue;
        }
        let (ref_auc, ref_f1) = reference_of(k);
        let (aucs, f1s) = day_values(days);
        let base_auc = ref_auc.or_else(|| aucs.iter().flatten().next().copied());
        if let Some(b) = base_auc {
            let keys: Vec<i64> = days.keys().copied().collect();
            let (run, last_run) = longest_run(&keys, &aucs, |a| a < b - cfg.auc_decline);
            let latest = aucs.iter().rev().flatten().next().copied();
            auc_numbers.push((format!("{k}.auc_baseline"), b));
            auc_numbers.push((format!("{k}.auc_latest"), latest.unwrap_or(f64::NAN)));
            auc_numbers.push((format!("{k}.periods_below"), run as f64));
            let status = decline_status(run, last_run, cfg);
            auc_msgs.push((
                status,
                format!(
                    "{k}: AUC {} vs {} {b:.4}; {run} consecutive {} more than {} below (fires at {})",
                    latest.map_or("n/a".into(), |v| format!("{v:.4}")),
                    if ref_auc.is_some() { "reference" } else { "first period" },
                    periods(cp.period_us),
                    cfg.auc_decline,
                    cfg.decline_days
                ),
            ));
        }
        let cur_pairs: Vec<(f64, f64)> = cp
            .rows
            .iter()
            .filter(|r| r.0 == *k)
            .filter_map(|r| r.3.map(|p| (p, r.4)))
            .collect();
        let cur_f1 = f1(&cur_pairs);
        let ref_n = rp.rows.iter().filter(|r| r.0 == *k).count();
        if (cur_pairs.len() as u64) < cfg.min_rows || (ref_n as u64) < cfg.min_rows {
            f1_msgs.push((
                Status::Pass,
                format!(
                    "{k}: not compared, too few labelled rows ({} current, {ref_n} reference; minimum {})",
                    cur_pairs.len(),
                    cfg.min_rows
                ),
            ));
        } else if let (Some(rf), Some(cf)) = (ref_f1, cur_f1) {
            let drop = if rf > 0.0 { (rf - cf) / rf } else { 0.0 };
            f1_numbers.push((format!("{k}.f1_reference"), rf));
            f1_numbers.push((format!("{k}.f1_current"), cf));
            f1_numbers.push((format!("{k}.relative_drop"), drop));
            let status = f1_status(drop, cfg);
            f1_msgs.push((
                status,
                format!(
                    "{k}: F1 {cf:.4} vs reference {rf:.4} ({:+.1}%, fires below -{:.1}%)",
                    -drop * 100.0,
                    cfg.f1_relative_drop * 100.0
                ),
            ));
        }
        series.push(daily("auc", k, names.clone(), aucs, ref_auc));
        series.push(daily("f1", k, names, f1s, ref_f1));
    }
    let mut auc = combine(
        CheckId::AucDecline,
        auc_msgs,
        "no day has both classes with scores",
    );
    let mut f1_check = combine(
        CheckId::F1Drop,
        f1_msgs,
        "no predictions or reference labels to compare",
    );
    for (name, value) in auc_numbers {
        auc.add(name, value);
    }
    auc.add("decline", cfg.auc_decline);
    auc.add("decline_days", cfg.decline_days as f64);
    for (name, value) in f1_numbers {
        f1_check.add(name, value);
    }
    f1_check.add("relative_drop_fires", cfg.f1_relative_drop);
    (series, [auc, f1_check])
}

/// Daily means of the declared metrics against their reference means: `metric_decline`
/// (None when no metric is declared).
fn metric_triggers(rp: &Perf, cp: &Perf, cfg: &TriggerConfig) -> (Vec<DailySeries>, Option<Check>) {
    let mut series = Vec::new();
    let mut metric_msgs = Vec::new();
    for (name, rows) in &cp.metrics {
        let mut by_key: BTreeMap<&str, BTreeMap<i64, (f64, u64)>> = BTreeMap::new();
        for (k, d, v) in rows {
            if let Some(d) = d {
                let e = by_key.entry(k).or_default().entry(*d).or_default();
                e.0 += v;
                e.1 += 1;
            }
        }
        let reference_rows = rp.metrics.iter().find(|(n, _)| n == name).map(|(_, r)| r);
        for (k, days) in by_key {
            let ref_mean = reference_rows.and_then(|rows| {
                let v: Vec<f64> = rows.iter().filter(|r| r.0 == k).map(|r| r.2).collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            });
            let values: Vec<Option<f64>> =
                days.values().map(|(s, n)| Some(s / *n as f64)).collect();
            if let Some(b) = ref_mean.filter(|b| *b > 0.0) {
                let keys: Vec<i64> = days.keys().copied().collect();
                let (run, _) = longest_run(&keys, &values, |v| {
                    (b - v) / b > cfg.metric_relative_decline
                });
                if run >= cfg.decline_days.max(1) {
                    metric_msgs.push((
                        Status::Warn,
                        format!(
                            "{name} ({k}): {run} consecutive {} more than {:.0}% below the reference mean {b:.4}",
                            periods(cp.period_us),
                            cfg.metric_relative_decline * 100.0
                        ),
                    ));
                }
            }
            series.push(DailySeries {
                metric: name.clone(),
                series: k.to_string(),
                days: days.keys().map(|d| day_name(*d, cp.period_us)).collect(),
                values,
                reference: ref_mean,
                period: String::new(),
            });
        }
    }
    if cp.metrics.is_empty() {
        return (series, None);
    }
    let check = if metric_msgs.is_empty() {
        Check::new(
            CheckId::MetricDecline,
            Status::Pass,
            format!(
                "no metric's mean fell more than {:.0}% below the reference for {} consecutive {}",
                cfg.metric_relative_decline * 100.0,
                cfg.decline_days,
                periods(cp.period_us)
            ),
        )
    } else {
        combine(CheckId::MetricDecline, metric_msgs, "")
    };
    (series, Some(check))
}

pub(super) fn combine(id: CheckId, msgs: Vec<(Status, String)>, empty: &str) -> Check {
    if msgs.is_empty() {
        return Check::new(id, Status::Pass, format!("not evaluated: {empty}"));
    }
    let status = msgs.iter().map(|m| m.0).max().unwrap_or(Status::Pass);
    let message = msgs.into_iter().map(|m| m.1).collect::<Vec<_>>().join("; ");
    Check::new(id, status, message)
}

/// Each day's AUC and F1; a day needs [`MIN_DAY_ROWS`] labelled rows to count.
fn day_values(days: &DayRows) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    let aucs = days
        .values()
        .map(|(s, l, _)| {
            if s.len() >= MIN_DAY_ROWS {
                auc(s, l)
            } else {
                None
            }
        })
        .collect();
    let f1s = days
        .values()
        .map(|(_, _, pl)| {
            if pl.len() >= MIN_DAY_ROWS {
                f1(pl)
            } else {
                None
            }
        })
        .collect();
    (aucs, f1s)
}

fn daily(
    metric: &str,
    series: &str,
    days: Vec<String>,
    values: Vec<Option<f64>>,
    reference: Option<f64>,
) -> DailySeries {
    DailySeries {
        metric: metric.into(),
        series: series.to_string(),
        days,
        values,
        reference,
        period: String::new(),
    }
}

#[cfg(test)]
mod run_tests {
    use super::*;

    #[test]
    fn runs_count_consecutive_periods() {
        // bad in periods 0, 1, 2, then good
        let (run, last) = longest_run(
            &[0, 1, 2, 3],
            &[Some(0.1), Some(0.1), Some(0.1), Some(0.9)],
            |x| x < 0.5,
        );
        assert_eq!((run, last), (3, 0));
        // a period without rows (a gap in the keys) or without a value ends a run
        let (run, last) = longest_run(&[0, 1, 3, 4], &[Some(0.1); 4], |x| x < 0.5);
        assert_eq!((run, last), (2, 2));
        let (run, _) = longest_run(&[0, 1, 2], &[Some(0.1), None, Some(0.1)], |x| x < 0.5);
        assert_eq!(run, 1);
        // the trigger period: days from three days of log, else the display period
        assert_eq!(trigger_period_us(3 * DAY_US, 3_600_000_000), DAY_US);
        assert_eq!(trigger_period_us(DAY_US, 3_600_000_000), 3_600_000_000);
    }
}
