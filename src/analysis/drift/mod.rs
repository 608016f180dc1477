//! Drift between a reference and a current dataset (two files, or one log split by
//! time), and retraining triggers. Works on the raw columns of [`crate::ingest::read_raw`]:
//! no group column is needed.

pub mod categorical;
pub mod error;
pub mod features;
pub mod kstwo;
pub mod numeric;
pub mod over_time;
pub mod select;
pub mod sort;
pub mod split;
pub mod triggers;

use crate::ingest::table::RawTable;
use crate::ingest::time::{column_timestamps_us, format_timestamp_us};
use crate::ingest::{self, LoadProgress, Role, RoleOverrides, Roles};
pub use crate::plan::{DriftConfig, TriggerConfig};
use crate::report::drift::{
    DriftReport, DriftSide, DriftThresholds, PsiOverTime, SplitInfo, SplitMode,
};
pub use error::{DriftError, SplitError};
use features::{features_drift, Flags};
use select::select_features;
use split::{split_by_time, Side, TimeSplitSpec};
use std::sync::atomic::AtomicBool;

fn time_range(side: &Side, ts: Option<&[Option<i64>]>) -> (Option<String>, Option<String>) {
    let Some(ts) = ts else { return (None, None) };
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    side.for_each_row(|r| {
        if let Some(t) = ts[r] {
            lo = lo.min(t);
            hi = hi.max(t);
        }
    });
    if lo > hi {
        (None, None)
    } else {
        (Some(format_timestamp_us(lo)), Some(format_timestamp_us(hi)))
    }
}

/// First and last timestamp (UTC µs) of a parsed log, its timestamp column found through
/// `overrides`; None without two distinct times.
pub fn time_range_us(table: &RawTable, overrides: &RoleOverrides) -> Option<(i64, i64)> {
    let roles = ingest::roles::infer(table, overrides);
    let ts = timestamps(table, &roles)?;
    let lo = ts.iter().flatten().min().copied()?;
    let hi = ts.iter().flatten().max().copied()?;
    (hi > lo).then_some((lo, hi))
}

/// The timestamps (UTC µs) of every row of a table, through its timestamp role.
pub fn timestamps(table: &RawTable, roles: &Roles) -> Option<Vec<Option<i64>>> {
    let name = roles.get(Role::Timestamp)?;
    table
        .columns
        .iter()
        .find(|c| c.name == name)
        .map(|c| column_timestamps_us(c, roles.time_unit))
}

/// Where the data of a time split comes from, for the PSI-over-time view.
pub enum Timeline {
    /// Bucket the current side.
    Current,
    /// Bucket every row of the (single) table.
    WholeLog,
}

/// The side's rows that carry a model output (all of them without a mask), and how many
/// were left out.
fn keep<'a>(side: &Side<'a>, mask: &Option<Vec<bool>>) -> (Side<'a>, u64) {
    let Some(m) = mask else {
        return (side.clone(), 0);
    };
    let mut rows = Vec::with_capacity(side.len());
    side.for_each_row(|r| {
        if m.get(r).copied().unwrap_or(false) {
            rows.push(r as u32);
        }
    });
    let dropped = (side.len() - rows.len()) as u64;
    (
        Side {
            table: side.table,
            rows: Some(rows),
            files: side.files.clone(),
            ts: side.ts.clone(),
        },
        dropped,
    )
}

/// The drift report of two sides already in memory.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    reference: &Side,
    current: &Side,
    split: SplitInfo,
    timeline: Timeline,
    cfg: &DriftConfig,
    overrides: &RoleOverrides,
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &AtomicBool,
) -> Result<DriftReport, DriftError> {
    cfg.validate()?;
    let rroles = ingest::roles::infer(reference.table, overrides);
    let croles = ingest::roles::infer(current.table, overrides);
    let (names, schema) = select_features(
        reference.table,
        current.table,
        (&rroles, &croles),
        cfg.features.as_deref(),
    )?;
    // prediction rows only: rows without a model output (model loads, config changes,
    // health checks, errors) are left out and counted
    let rmask = select::prediction_rows(reference.table, &rroles);
    let cmask = if std::ptr::eq(reference.table, current.table) {
        rmask.clone()
    } else {
        select::prediction_rows(current.table, &croles)
    };
    let (reference_kept, reference_dropped) = keep(reference, &rmask);
    let (current_kept, current_dropped) = keep(current, &cmask);
    let (reference, current) = (&reference_kept, &current_kept);
    if reference.is_empty() || current.is_empty() {
        return Err(DriftError::NoPredictionRows);
    }
    let (sections, excluded_columns) = select::sections(
        (reference.table, current.table),
        (&rroles, &croles),
        (rmask.as_deref(), cmask.as_deref()),
        &names,
        overrides.metrics.as_deref().unwrap_or(&[]),
        cfg.features.is_some(),
    );
    let names: Vec<String> = sections.iter().map(|(n, _)| n.clone()).collect();
    if names.is_empty() {
        return Err(DriftError::NoFeatures);
    }
    let flags = Flags {
        alpha: cfg.alpha,
        psi_drift: cfg.psi_threshold,
        psi_alert: cfg.psi_alert,
    };
    let t0 = std::time::Instant::now();
    let mut features = features_drift(&names, (reference, current), flags, progress, cancel)?;
    for (f, (_, section)) in features.iter_mut().zip(&sections) {
        f.section = *section;
    }
    ingest::timing("drift features", t0);
    let (inputs, drift_share, dataset_drifted) = dataset_share(&features, cfg.share_threshold);
    // each table's timestamps are parsed at most once (a time split brings them along)
    let rts: Option<std::sync::Arc<[Option<i64>]>> = reference
        .ts
        .clone()
        .or_else(|| timestamps(reference.table, &rroles).map(Into::into));
    let cts = current.ts.clone().or_else(|| {
        if std::ptr::eq(reference.table, current.table) {
            rts.clone()
        } else {
            timestamps(current.table, &croles).map(Into::into)
        }
    });
    let cts_ref = cts.as_deref();
    let whole_log = matches!(timeline, Timeline::WholeLog);
    let psi_over_time = match (timeline, cts_ref) {
        (_, None) => PsiOverTime::default(),
        (Timeline::Current, Some(ts)) => {
            over_time::psi_over_time(current, ts, &features, cfg.every_us()?)
        }
        (Timeline::WholeLog, Some(ts)) => {
            let all = Side {
                table: current.table,
                rows: None,
                files: vec![],
                ts: None,
            };
            over_time::psi_over_time(&all, ts, &features, cfg.every_us()?)
        }
    };
    // declared metrics; else, for prediction logs (a group, model or version column), the
    // outcome metrics the experiment analysis would use
    let metrics = overrides.metrics.clone().unwrap_or_else(|| {
        let is_log = [Role::Group, Role::Model, Role::Version]
            .iter()
            .any(|r| croles.get(*r).is_some());
        if is_log {
            croles.metrics.clone()
        } else {
            vec![]
        }
    });
    // bookkeeping columns of the service's events are never metrics either
    let metrics: Vec<String> = metrics
        .into_iter()
        .filter(|m| {
            !excluded_columns.iter().any(|c| {
                &c.name == m
                    && matches!(
                        c.reason,
                        crate::report::drift::ExclusionReason::OnlyOnEvents
                            | crate::report::drift::ExclusionReason::Sparse
                    )
            })
        })
        .collect();
    // the performance series in periods picked from the data's span (or `every`)
    let span_of = |side: &Side, ts: Option<&[Option<i64>]>| {
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        if let Some(ts) = ts {
            side.for_each_row(|r| {
                if let Some(t) = ts.get(r).copied().flatten() {
                    lo = lo.min(t);
                    hi = hi.max(t);
                }
            });
        }
        (lo, hi)
    };
    let (rlo, rhi) = span_of(reference, rts.as_deref());
    let (clo, chi) = span_of(current, cts_ref);
    let (lo, hi) = (rlo.min(clo), rhi.max(chi));
    let span_us = if hi >= lo { hi - lo } else { 0 };
    let period_us = split::snapshot_width(span_us, cfg.every_us()?);
    let trigger_us = triggers::trigger_period_us(span_us, period_us);
    let (mut daily, mut perf) = triggers::performance(
        reference,
        current,
        &rroles,
        &croles,
        (rts.as_deref(), cts_ref),
        &metrics,
        &cfg.triggers,
        (period_us, trigger_us),
    );
    // performance estimated before labels arrive (CBPE), beside the realized values
    let estimated = match (rts.as_deref(), cts_ref) {
        (Some(r), Some(c)) => triggers::estimated(
            reference,
            current,
            (&rroles, &croles),
            (r, c),
            whole_log,
            &cfg.triggers,
            (period_us, trigger_us),
        ),
        _ => triggers::Estimated {
            points: vec![],
            fits: vec![],
            checks: vec![],
        },
    };
    let period = crate::plan::duration::format_bucket((period_us / 1_000_000).max(1) as u64);
    for d in &mut daily {
        d.period = period.clone();
    }
    let mut checks = triggers::data_checks(
        &features,
        drift_share,
        cfg.share_threshold,
        cfg.psi_threshold,
        cfg.psi_alert,
        (reference.len() as u64, current.len() as u64),
        (
            triggers::label_cardinality(reference, &rroles),
            triggers::label_cardinality(current, &croles),
        ),
        schema.only_in_reference.len() + schema.only_in_current.len() + schema.dtype_changes.len(),
        &cfg.triggers,
    );
    for c in &mut perf {
        c.estimated = Some(false);
    }
    // realized and estimated entries of each performance trigger side by side
    let mut est_checks = estimated.checks;
    for c in perf {
        let id = c.id;
        checks.push(c);
        if let Some(i) = est_checks.iter().position(|e| e.id == id) {
            checks.push(est_checks.remove(i));
        }
    }
    checks.append(&mut est_checks);
    for c in &mut checks {
        c.estimated.get_or_insert(false);
    }
    let (rs, re) = time_range(reference, rts.as_deref());
    let (cs, ce) = time_range(current, cts_ref);
    Ok(DriftReport {
        reference: DriftSide {
            rows: reference.len() as u64,
            files: reference.files.clone(),
            start: rs,
            end: re,
        },
        current: DriftSide {
            rows: current.len() as u64,
            files: current.files.clone(),
            start: cs,
            end: ce,
        },
        split,
        thresholds: thresholds(cfg),
        features,
        input_features: inputs as u64,
        excluded: crate::report::drift::DriftExcluded {
            events: reference_dropped + current_dropped,
            reference_events: reference_dropped,
            current_events: current_dropped,
            columns: excluded_columns,
        },
        schema,
        drift_share,
        dataset_drifted,
        triggers: checks,
        psi_over_time,
        daily,
        granularity_s: (period_us / 1_000_000).max(1) as u64,
        performance: estimated.points,
        performance_fits: estimated.fits,
        binned: None,
    })
}

/// The thresholds a report states, from the drift settings.
pub fn thresholds(cfg: &DriftConfig) -> DriftThresholds {
    DriftThresholds {
        alpha: cfg.alpha,
        psi_drift: cfg.psi_threshold,
        psi_alert: cfg.psi_alert,
        drift_share: cfg.share_threshold,
    }
}

/// The dataset's drift over its input features only: (input features, share drifted, the
/// dataset drifted at `share_threshold`).
pub fn dataset_share(
    features: &[crate::report::drift::FeatureDrift],
    share_threshold: f64,
) -> (usize, f64, bool) {
    let inputs = features
        .iter()
        .filter(|f| f.section == crate::report::drift::DriftSection::Input)
        .count();
    let drifted = features
        .iter()
        .filter(|f| f.section == crate::report::drift::DriftSection::Input && f.drifted)
        .count();
    let share = if inputs == 0 {
        0.0
    } else {
        drifted as f64 / inputs as f64
    };
    (inputs, share, inputs > 0 && share >= share_threshold)
}

/// What to compare.
#[derive(Debug, Clone, PartialEq)]
pub enum DriftInputs {
    /// Two datasets.
    Files {
        /// Reference inputs (files, folders, globs).
        reference: Vec<String>,
        /// Current inputs.
        current: Vec<String>,
    },
    /// One log split by time.
    Split {
        /// Log inputs.
        log: Vec<String>,
        /// How to split.
        spec: TimeSplitSpec,
        /// The span as written (for the report), for windows.
        window: Option<String>,
    },
}

/// Reads the inputs and makes the drift report. Ingest errors name the file.
pub fn run(
    inputs: &DriftInputs,
    cfg: &DriftConfig,
    overrides: &RoleOverrides,
    load_progress: &(dyn Fn(LoadProgress) + Sync),
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &AtomicBool,
) -> Result<DriftReport, DriftError> {
    match inputs {
        DriftInputs::Files { reference, current } => {
            let r = ingest::read_raw(reference, load_progress, cancel)?;
            let c = ingest::read_raw(current, load_progress, cancel)?;
            let rs = Side {
                table: &r.table,
                rows: None,
                files: r.files.clone(),
                ts: None,
            };
            let cs = Side {
                table: &c.table,
                rows: None,
                files: c.files.clone(),
                ts: None,
            };
            let split = SplitInfo {
                mode: SplitMode::Files,
                time_column: None,
                split_at: None,
                window: None,
                rows_excluded: 0,
            };
            compare(
                &rs,
                &cs,
                split,
                Timeline::Current,
                cfg,
                overrides,
                progress,
                cancel,
            )
        }
        DriftInputs::Split { log, spec, window } => {
            let raw = ingest::read_raw(log, load_progress, cancel)?;
            split_log(
                &raw.table,
                &raw.files,
                *spec,
                window.clone(),
                cfg,
                overrides,
                progress,
                cancel,
            )
        }
    }
}

/// Drift of one loaded log split by time.
#[allow(clippy::too_many_arguments)]
pub fn split_log(
    table: &RawTable,
    files: &[String],
    spec: TimeSplitSpec,
    window: Option<String>,
    cfg: &DriftConfig,
    overrides: &RoleOverrides,
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &AtomicBool,
) -> Result<DriftReport, DriftError> {
    let roles = ingest::roles::infer(table, overrides);
    let ts_col = roles
        .get(Role::Timestamp)
        .ok_or_else(|| DriftError::NoTimestampColumn {
            files: files.join(", "),
        })?;
    let ts: std::sync::Arc<[Option<i64>]> = timestamps(table, &roles).unwrap_or_default().into();
    let parts = split_by_time(&ts, spec).map_err(|source| DriftError::Split {
        files: files.join(", "),
        source,
    })?;
    let rs = Side {
        table,
        rows: Some(parts.reference),
        files: files.to_vec(),
        ts: Some(ts.clone()),
    };
    let cs = Side {
        table,
        rows: Some(parts.current),
        files: files.to_vec(),
        ts: Some(ts),
    };
    let split = SplitInfo {
        mode: match spec {
            TimeSplitSpec::At(_) => SplitMode::SplitAt,
            TimeSplitSpec::Window(_) => SplitMode::Window,
        },
        time_column: Some(ts_col.to_string()),
        split_at: Some(format_timestamp_us(parts.boundary_us)),
        window,
        rows_excluded: parts.excluded,
    };
    compare(
        &rs,
        &cs,
        split,
        Timeline::WholeLog,
        cfg,
        overrides,
        progress,
        cancel,
    )
}
