//! Drift between a reference and a current dataset (two files, or one log split by
//! time), and retraining triggers. Works on the raw columns of [`crate::ingest::read_raw`]:
//! no group column is needed.

pub mod categorical;
pub mod features;
pub mod kstwo;
pub mod numeric;
pub mod over_time;
pub mod sort;
pub mod split;
pub mod triggers;

use crate::ingest::table::RawTable;
use crate::ingest::time::{column_timestamps_us, format_timestamp_us};
use crate::ingest::{self, LoadProgress, Role, RoleOverrides, Roles};
use crate::report::drift::{
    DriftReport, DriftSide, DriftThresholds, DtypeChange, FeatureDrift, PsiOverTime, SchemaDiff,
    SplitInfo,
};
use features::{feature_drift, ColumnType, Flags};
use serde::{Deserialize, Serialize};
use split::{split_by_time, Side, TimeSplitSpec};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
pub use triggers::TriggerConfig;

/// Drift settings (from flags and the plan's `[drift]` section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DriftConfig {
    /// Significance level of the per-feature tests.
    pub alpha: f64,
    /// PSI at or above which a significant shift counts as drift.
    pub psi_threshold: f64,
    /// PSI at or above which a feature alerts and the drift trigger fires.
    pub psi_alert: f64,
    /// Share of drifted features at or above which the dataset counts as drifted.
    pub share_threshold: f64,
    /// Features to compare (default: every column except time, ids, group/model columns
    /// and log noise; only `features.*` when the data has such nested features).
    pub features: Option<Vec<String>>,
    /// Retraining-trigger thresholds (`[drift.triggers]`).
    pub triggers: TriggerConfig,
}

impl Default for DriftConfig {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            psi_threshold: 0.1,
            psi_alert: 0.15,
            share_threshold: 0.5,
            features: None,
            triggers: TriggerConfig::default(),
        }
    }
}

impl DriftConfig {
    /// Checks ranges; the message names the setting.
    pub fn validate(&self) -> Result<(), String> {
        let unit = |v: f64, name: &str| {
            if v > 0.0 && v < 1.0 {
                Ok(())
            } else {
                Err(format!("drift.{name} must be between 0 and 1 (got {v})"))
            }
        };
        unit(self.alpha, "alpha")?;
        unit(self.share_threshold, "share_threshold")?;
        for (v, n) in [
            (self.psi_threshold, "psi_threshold"),
            (self.psi_alert, "psi_alert"),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("drift.{n} must be a non-negative number (got {v})"));
            }
        }
        if self.triggers.decline_days == 0 {
            return Err("drift.decline_days must be at least 1".into());
        }
        Ok(())
    }
}

fn is_id_like(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    // log bookkeeping (except a `features` object's own name), ids
    (ingest::roles::NOT_ANALYSED.contains(&l.as_str()) && l != "features" && l != "input")
        || l == "id"
        || l.ends_with("_id")
        || l.ends_with(".id")
}

/// The columns compared by default and the schema differences.
pub fn select_features(
    reference: &RawTable,
    current: &RawTable,
    roles: (&Roles, &Roles),
    chosen: Option<&[String]>,
) -> Result<(Vec<String>, SchemaDiff), String> {
    let rnames: Vec<&str> = reference.columns.iter().map(|c| c.name.as_str()).collect();
    let cnames: Vec<&str> = current.columns.iter().map(|c| c.name.as_str()).collect();
    let mut schema = SchemaDiff {
        only_in_reference: rnames
            .iter()
            .filter(|n| !cnames.contains(n))
            .map(|n| n.to_string())
            .collect(),
        only_in_current: cnames
            .iter()
            .filter(|n| !rnames.contains(n))
            .map(|n| n.to_string())
            .collect(),
        dtype_changes: vec![],
    };
    for c in &reference.columns {
        if let Some(o) = current.columns.iter().find(|o| o.name == c.name) {
            let (a, b) = (ColumnType::of(Some(c)), ColumnType::of(Some(o)));
            if a != b && a != ColumnType::Empty && b != ColumnType::Empty {
                schema.dtype_changes.push(DtypeChange {
                    name: c.name.clone(),
                    reference: a.as_str().into(),
                    current: b.as_str().into(),
                });
            }
        }
    }
    let mut all: Vec<&str> = rnames.clone();
    all.extend(cnames.iter().filter(|n| !rnames.contains(n)));
    if let Some(list) = chosen {
        let missing: Vec<&String> = list.iter().filter(|f| !all.contains(&f.as_str())).collect();
        if !missing.is_empty() {
            return Err(format!(
                "feature(s) not found on either side: {}",
                missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        return Ok((list.to_vec(), schema));
    }
    let skip_roles = [
        Role::Timestamp,
        Role::RequestId,
        Role::UserId,
        Role::Group,
        Role::Model,
        Role::Version,
        Role::Error,
    ];
    let role_cols: Vec<&str> = [roles.0, roles.1]
        .iter()
        .flat_map(|r| skip_roles.iter().filter_map(|role| r.get(*role)))
        .collect();
    let nested: Vec<&str> = all
        .iter()
        .copied()
        .filter(|n| n.starts_with("features."))
        .collect();
    let features: Vec<String> = if !nested.is_empty() {
        nested.iter().map(|s| s.to_string()).collect()
    } else {
        all.iter()
            .filter(|n| !role_cols.contains(n) && !is_id_like(n))
            .map(|s| s.to_string())
            .collect()
    };
    if features.is_empty() {
        return Err("no feature columns to compare (name them with --features)".into());
    }
    Ok((features, schema))
}

/// Computes every feature's drift on all cores; `progress(done, total)` after each.
pub fn features_drift(
    names: &[String],
    sides: (&Side, &Side),
    flags: Flags,
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &AtomicBool,
) -> Result<Vec<FeatureDrift>, String> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<FeatureDrift>>> = Mutex::new(vec![None; names.len()]);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(names.len().max(1));
    let find =
        |t: &'_ RawTable, n: &str| -> Option<usize> { t.columns.iter().position(|c| c.name == n) };
    std::thread::scope(|s| {
        for w in 0..workers {
            let (next, done, out, find) = (&next, &done, &out, &find);
            let spawned = std::thread::Builder::new()
                .name(format!("drift-{w}"))
                .spawn_scoped(s, move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= names.len() || cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let (rs, cs) = sides;
                    let rc = find(rs.table, &names[i]).map(|p| &rs.table.columns[p]);
                    let cc = find(cs.table, &names[i]).map(|p| &cs.table.columns[p]);
                    let f = feature_drift(&names[i], rc, cc, sides, flags);
                    if let Ok(mut o) = out.lock() {
                        o[i] = Some(f);
                    }
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, names.len());
                });
            if spawned.is_err() {
                // Fall back to the threads that did start (or this one below).
                break;
            }
        }
    });
    if cancel.load(Ordering::Relaxed) {
        return Err("drift analysis cancelled".into());
    }
    let got = out
        .into_inner()
        .map_err(|_| "a drift worker failed".to_string())?;
    // Anything a failed thread start left undone is computed here.
    Ok(got
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            f.unwrap_or_else(|| {
                let (rs, cs) = sides;
                let rc = find(rs.table, &names[i]).map(|p| &rs.table.columns[p]);
                let cc = find(cs.table, &names[i]).map(|p| &cs.table.columns[p]);
                feature_drift(&names[i], rc, cc, sides, flags)
            })
        })
        .collect())
}

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

fn timestamps(table: &RawTable, roles: &Roles) -> Option<Vec<Option<i64>>> {
    let name = roles.get(Role::Timestamp)?;
    table
        .columns
        .iter()
        .find(|c| c.name == name)
        .map(column_timestamps_us)
}

/// Where the data of a time split comes from, for the PSI-over-time view.
pub enum Timeline {
    /// Bucket the current side.
    Current,
    /// Bucket every row of the (single) table.
    WholeLog,
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
) -> Result<DriftReport, String> {
    cfg.validate()?;
    let rroles = ingest::roles::infer(reference.table, overrides);
    let croles = ingest::roles::infer(current.table, overrides);
    let (names, schema) = select_features(
        reference.table,
        current.table,
        (&rroles, &croles),
        cfg.features.as_deref(),
    )?;
    let flags = Flags {
        alpha: cfg.alpha,
        psi_drift: cfg.psi_threshold,
        psi_alert: cfg.psi_alert,
    };
    let t0 = std::time::Instant::now();
    let features = features_drift(&names, (reference, current), flags, progress, cancel)?;
    ingest::timing("drift features", t0);
    let drifted = features.iter().filter(|f| f.drifted).count();
    let drift_share = drifted as f64 / features.len() as f64;
    let dataset_drifted = drift_share >= cfg.share_threshold;
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
    let psi_over_time = match (timeline, cts_ref) {
        (_, None) => PsiOverTime::default(),
        (Timeline::Current, Some(ts)) => over_time::psi_over_time(current, ts, &features),
        (Timeline::WholeLog, Some(ts)) => {
            let all = Side {
                table: current.table,
                rows: None,
                files: vec![],
                ts: None,
            };
            over_time::psi_over_time(&all, ts, &features)
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
    let (daily, mut perf) = triggers::performance(
        reference,
        current,
        &rroles,
        &croles,
        (rts.as_deref(), cts_ref),
        &metrics,
        &cfg.triggers,
    );
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
    checks.append(&mut perf);
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
        thresholds: DriftThresholds {
            alpha: cfg.alpha,
            psi_drift: cfg.psi_threshold,
            psi_alert: cfg.psi_alert,
            drift_share: cfg.share_threshold,
        },
        features,
        schema,
        drift_share,
        dataset_drifted,
        triggers: checks,
        psi_over_time,
        daily,
    })
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
) -> Result<DriftReport, String> {
    match inputs {
        DriftInputs::Files { reference, current } => {
            let r =
                ingest::read_raw(reference, load_progress, cancel).map_err(|e| e.to_string())?;
            let c = ingest::read_raw(current, load_progress, cancel).map_err(|e| e.to_string())?;
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
                mode: "files".into(),
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
            let raw = ingest::read_raw(log, load_progress, cancel).map_err(|e| e.to_string())?;
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
) -> Result<DriftReport, String> {
    let roles = ingest::roles::infer(table, overrides);
    let ts_col = roles.get(Role::Timestamp).ok_or_else(|| {
        format!(
            "{}: no timestamp column to split by (looked for timestamp, ts, time, event_time...; name one with --column timestamp=NAME)",
            files.join(", ")
        )
    })?;
    let ts: std::sync::Arc<[Option<i64>]> = timestamps(table, &roles).unwrap_or_default().into();
    let parts = split_by_time(&ts, spec).map_err(|e| format!("{}: {e}", files.join(", ")))?;
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
            TimeSplitSpec::At(_) => "split_at".into(),
            TimeSplitSpec::Window(_) => "window".into(),
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
