//! Performance before labels arrive: CBPE ([`crate::analysis::cbpe`]) fitted per series
//! (model, version or group) on the reference's labelled rows, estimated per period with
//! its band beside the realized value where the period has labels, and the `auc_decline`
//! and `f1_drop` triggers run on the estimates (`estimated: true`), compared with the
//! reference's realized values.

use super::super::split::Side;
use super::performance::{combine, decline_status, f1_status, longest_run, periods, series_keys};
use super::{find, numbers, parse_num};
use crate::analysis::cbpe::{self, Cbpe, CbpeMetric};
use crate::ingest::normalize::parse_label;
use crate::ingest::time::format_timestamp_us;
use crate::ingest::{Role, Roles};
use crate::plan::TriggerConfig;
use crate::report::drift::{PerformanceFit, PerformancePoint};
use crate::report::{Check, CheckId, Status};
use std::collections::BTreeMap;

/// One prediction row: (series, time µs, raw score, predicted class, label).
type Row = (String, Option<i64>, f64, f64, Option<f64>);

/// Rows with a score of one side (predicted class from the prediction column, else the
/// score against the threshold).
fn rows(side: &Side, roles: &Roles, ts: &[Option<i64>], threshold: f64) -> Vec<Row> {
    let t = side.table;
    let n = t.rows;
    let Some(score_col) = find(t, roles, Role::Score) else {
        return vec![];
    };
    let score = numbers(Some(score_col), n, parse_num);
    let pred = numbers(find(t, roles, Role::Prediction), n, parse_label);
    let label = numbers(find(t, roles, Role::Label), n, parse_label);
    let (codes, names) = series_keys(t, roles);
    let mut out = Vec::new();
    side.for_each_row(|r| {
        let Some(s) = score[r].filter(|s| s.is_finite()) else {
            return;
        };
        let p = pred[r]
            .filter(|p| *p == 0.0 || *p == 1.0)
            .unwrap_or(if s >= threshold { 1.0 } else { 0.0 });
        let l = label[r].filter(|l| *l == 0.0 || *l == 1.0);
        out.push((
            names[codes[r] as usize].clone(),
            ts.get(r).copied().flatten(),
            s,
            p,
            l,
        ));
    });
    out
}

/// Everything the estimates add to a drift report.
pub struct Estimated {
    /// Per period, metric and series.
    pub points: Vec<PerformancePoint>,
    /// How each series' estimator was fitted.
    pub fits: Vec<PerformanceFit>,
    /// `auc_decline` and `f1_drop` on the estimates.
    pub checks: Vec<Check>,
}

/// Fits CBPE on the reference's labelled rows per series and estimates every period of
/// `period_us` (the whole log when `whole_log`, else the current side); triggers count in
/// periods of `trigger_us` on the current side.
#[allow(clippy::too_many_arguments)]
pub fn estimated(
    reference: &Side,
    current: &Side,
    roles: (&Roles, &Roles),
    ts: (&[Option<i64>], &[Option<i64>]),
    whole_log: bool,
    cfg: &TriggerConfig,
    (period_us, trigger_us): (i64, i64),
) -> Estimated {
    let rrows = rows(reference, roles.0, ts.0, cfg.score_threshold);
    let crows = rows(current, roles.1, ts.1, cfg.score_threshold);
    let mut out = Estimated {
        points: vec![],
        fits: vec![],
        checks: vec![],
    };
    if rrows.is_empty() && crows.is_empty() {
        return out;
    }
    let mut series: Vec<&str> = rrows.iter().map(|r| r.0.as_str()).collect();
    series.extend(crows.iter().map(|r| r.0.as_str()));
    series.sort_unstable();
    series.dedup();
    let (mut auc_msgs, mut f1_msgs) = (vec![], vec![]);
    let (mut auc_numbers, mut f1_numbers) = (vec![], vec![]);
    for k in series {
        let labelled: Vec<&Row> = rrows.iter().filter(|r| r.0 == k && r.4.is_some()).collect();
        let labels: Vec<f64> = labelled.iter().filter_map(|r| r.4).collect();
        let scores: Vec<f64> = labelled.iter().map(|r| r.2).collect();
        let preds: Vec<f64> = labelled.iter().map(|r| r.3).collect();
        let Some(model) = Cbpe::fit(&labels, &scores, &preds) else {
            let note = if labels.is_empty() {
                "no labelled reference rows with a score"
            } else {
                "the labelled reference rows have one class only"
            };
            out.fits.push(PerformanceFit {
                series: k.to_string(),
                reference_rows: labels.len() as u64,
                calibration: "none".into(),
                note: Some(note.into()),
            });
            let msg = (Status::Pass, format!("{k}: not estimated, {note}"));
            auc_msgs.push(msg.clone());
            f1_msgs.push(msg);
            continue;
        };
        out.fits.push(PerformanceFit {
            series: k.to_string(),
            reference_rows: model.reference_rows as u64,
            calibration: if model.calibrated() {
                "isotonic"
            } else {
                "none"
            }
            .into(),
            note: None,
        });
        let ref_auc = cbpe::realized(CbpeMetric::RocAuc, &labels, &scores, &preds);
        let ref_f1 = cbpe::realized(CbpeMetric::F1, &labels, &scores, &preds);
        // the performance series: every period of the shown rows
        let shown = crows
            .iter()
            .chain(if whole_log { rrows.iter() } else { [].iter() })
            .filter(|r| r.0 == k);
        for (start, rows) in by_period(shown, period_us) {
            let s: Vec<f64> = rows.iter().map(|r| r.2).collect();
            let p: Vec<f64> = rows.iter().map(|r| r.3).collect();
            let lab: Vec<&&Row> = rows.iter().filter(|r| r.4.is_some()).collect();
            let (ls, lp, ll): (Vec<f64>, Vec<f64>, Vec<f64>) = (
                lab.iter().map(|r| r.2).collect(),
                lab.iter().map(|r| r.3).collect(),
                lab.iter().filter_map(|r| r.4).collect(),
            );
            for e in model.estimate(&s, &p) {
                let (lo, hi) = e.band();
                out.points.push(PerformancePoint {
                    start: format_timestamp_us(start * period_us.max(1)),
                    series: k.to_string(),
                    metric: e.metric.as_str().into(),
                    estimated: e.value,
                    sampling_error: e.sampling_error,
                    band_low: lo,
                    band_high: hi,
                    realized: cbpe::realized(e.metric, &ll, &ls, &lp),
                    n: rows.len() as u64,
                    labelled: ll.len() as u64,
                });
            }
        }
        // triggers on the current side's estimates
        let cur: Vec<&Row> = crows.iter().filter(|r| r.0 == k).collect();
        if cur.is_empty() {
            continue;
        }
        // as the realized triggers: too few labelled reference rows judge nothing
        if (model.reference_rows as u64) < cfg.min_rows {
            let why = format!(
                "{k}: not judged, too few labelled reference rows ({}; minimum {})",
                model.reference_rows, cfg.min_rows
            );
            auc_msgs.push((Status::Pass, why.clone()));
            f1_msgs.push((Status::Pass, why));
            continue;
        }
        if let Some(b) = ref_auc {
            let days = by_period(cur.iter().copied(), trigger_us);
            let keys: Vec<i64> = days.keys().copied().collect();
            let values: Vec<Option<f64>> = days
                .values()
                .map(|rows| {
                    // a period needs as many rows as a realized one needs labels
                    if rows.len() < super::MIN_DAY_ROWS {
                        return None;
                    }
                    let s: Vec<f64> = rows.iter().map(|r| r.2).collect();
                    let q: Vec<f64> = s.iter().map(|v| model.calibrate(*v)).collect();
                    cbpe::expected_roc_auc(&s, &q)
                })
                .collect();
            let (run, last_run) = longest_run(&keys, &values, |a| a < b - cfg.auc_decline);
            let latest = values.iter().rev().flatten().next().copied();
            auc_numbers.push((format!("{k}.auc_reference"), b));
            auc_numbers.push((
                format!("{k}.auc_estimated_latest"),
                latest.unwrap_or(f64::NAN),
            ));
            auc_numbers.push((format!("{k}.periods_below"), run as f64));
            let status = decline_status(run, last_run, cfg);
            auc_msgs.push((
                status,
                format!(
                    "{k}: estimated AUC {} vs reference {b:.4}; {run} consecutive {} more than {} below (fires at {})",
                    latest.map_or("n/a".into(), |v| format!("{v:.4}")),
                    periods(trigger_us),
                    cfg.auc_decline,
                    cfg.decline_days
                ),
            ));
        }
        let s: Vec<f64> = cur.iter().map(|r| r.2).collect();
        let p: Vec<f64> = cur.iter().map(|r| r.3).collect();
        let est_f1 = model
            .estimate(&s, &p)
            .into_iter()
            .find(|e| e.metric == CbpeMetric::F1)
            .and_then(|e| e.value);
        if let (Some(rf), Some(cf)) = (ref_f1, est_f1) {
            let drop = if rf > 0.0 { (rf - cf) / rf } else { 0.0 };
            f1_numbers.push((format!("{k}.f1_reference"), rf));
            f1_numbers.push((format!("{k}.f1_estimated"), cf));
            f1_numbers.push((format!("{k}.relative_drop"), drop));
            let status = f1_status(drop, cfg);
            f1_msgs.push((
                status,
                format!(
                    "{k}: estimated F1 {cf:.4} vs reference {rf:.4} ({:+.1}%, fires below -{:.1}%)",
                    -drop * 100.0,
                    cfg.f1_relative_drop * 100.0
                ),
            ));
        }
    }
    let mut auc = combine(
        CheckId::AucDecline,
        auc_msgs,
        "no reference AUC to compare with",
    );
    for (name, v) in auc_numbers {
        auc.add(name, v);
    }
    auc.add("decline", cfg.auc_decline);
    auc.add("decline_days", cfg.decline_days as f64);
    let mut f1 = combine(CheckId::F1Drop, f1_msgs, "no reference F1 to compare with");
    for (name, v) in f1_numbers {
        f1.add(name, v);
    }
    f1.add("relative_drop_fires", cfg.f1_relative_drop);
    auc.estimated = Some(true);
    f1.estimated = Some(true);
    out.checks = vec![auc, f1];
    out
}

/// Rows by period index (time div `width_us`); rows without a time are left out.
fn by_period<'r>(
    rows: impl Iterator<Item = &'r Row>,
    width_us: i64,
) -> BTreeMap<i64, Vec<&'r Row>> {
    let mut out: BTreeMap<i64, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        if let Some(t) = r.1 {
            out.entry(t.div_euclid(width_us.max(1)))
                .or_default()
                .push(r);
        }
    }
    out
}
