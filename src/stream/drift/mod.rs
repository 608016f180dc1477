//! `verdict drift` on files larger than memory: the columns, their sections and the roles are
//! chosen on the first rows of each side (as a ClickHouse comparison chooses them on a
//! sample); then each side is read chunk by chunk — the prediction rows of each chunk found
//! as in memory, every numeric feature's finite values appended to a private temporary file,
//! every categorical feature's values counted — and each feature's statistics are computed
//! from its own values alone (one feature in memory at a time), by the same functions as an
//! in-memory comparison: PSI, KS and its p-value, Wasserstein, chi-square, all exact. PSI
//! over time reads the timeline side once more for the top features. Realized and estimated
//! (CBPE) performance need every labelled row at once and are not computed (said in the
//! report's `binned.not_computed`).

use super::spill::rows_per_chunk;
use super::{StreamError, StreamProgress};
use crate::analysis::drift::features::{
    categorical_feature, category_counts, feature_kind, numeric_feature, numeric_values,
    ColumnType, Flags,
};
use crate::analysis::drift::numeric::{floored_shares, psi, PSI_FLOOR};
use crate::analysis::drift::sort::{key, unkey};
use crate::analysis::drift::split::{snapshot_buckets, Side, TimeSplitSpec};
use crate::analysis::drift::{select, timestamps, triggers, DriftConfig, DriftError, DriftInputs};
use crate::ingest::table::RawTable;
use crate::ingest::time::format_timestamp_us;
use crate::ingest::{IngestError, LoadProgress, RawLoad, Role, RoleOverrides, Roles};
use crate::report::drift::{
    BinnedInfo, DriftExcluded, DriftReport, DriftSide, FeatureDrift, FeatureKind, PsiOverTime,
    PsiSeries, SplitInfo, SplitMode,
};
use polars::prelude::PlHashMap as HashMap;
use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

mod over_time;
mod side;

use over_time::psi_over_time;
use side::{read_values, split_rows, Acc, Member};

/// Rows of each side's first chunk that choose the columns, sections and roles.
pub const SAMPLE_ROWS: usize = 100_000;

/// The first [`SAMPLE_ROWS`] rows of `files`.
fn sample(files: &[String], cancel: &AtomicBool) -> Result<RawLoad, IngestError> {
    crate::ingest::read_first(files, SAMPLE_ROWS, cancel)?.ok_or_else(|| IngestError::Unreadable {
        file: files.join(", "),
        problem: "no rows".into(),
    })
}

fn io_error(files: &[String]) -> impl Fn(std::io::Error) -> IngestError + '_ {
    move |e| IngestError::Unreadable {
        file: files.join(", "),
        problem: format!("cannot write the streamed values to a temporary file: {e}"),
    }
}

/// The drift report of inputs read in chunks (see the module's description).
pub fn drift_files(
    inputs: &DriftInputs,
    cfg: &DriftConfig,
    overrides: &RoleOverrides,
    progress: &(dyn Fn(StreamProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<DriftReport, StreamError> {
    cfg.validate().map_err(DriftError::from)?;
    let reading = |p: LoadProgress| progress(StreamProgress::Reading(&p));
    let (rfiles, cfiles, split_spec) = match inputs {
        DriftInputs::Files { reference, current } => (reference.clone(), current.clone(), None),
        DriftInputs::Split { log, spec, window } => {
            (log.clone(), log.clone(), Some((*spec, window.clone())))
        }
    };
    // the columns, sections and roles, from each side's first rows
    let rsample = sample(&rfiles, cancel)?;
    let csample = match split_spec {
        Some(_) => None,
        None => Some(sample(&cfiles, cancel)?),
    };
    let csample_table = csample.as_ref().map_or(&rsample.table, |c| &c.table);
    let rroles = crate::ingest::roles::infer(&rsample.table, overrides);
    let croles = crate::ingest::roles::infer(csample_table, overrides);
    let (names, schema) = select::select_features(
        &rsample.table,
        csample_table,
        (&rroles, &croles),
        cfg.features.as_deref(),
    )?;
    let rmask = select::prediction_rows(&rsample.table, &rroles);
    let cmask = select::prediction_rows(csample_table, &croles);
    let (sections, excluded_columns) = select::sections(
        (&rsample.table, csample_table),
        (&rroles, &croles),
        (rmask.as_deref(), cmask.as_deref()),
        &names,
        overrides.metrics.as_deref().unwrap_or(&[]),
        cfg.features.is_some(),
    );
    if sections.is_empty() {
        return Err(DriftError::NoFeatures.into());
    }
    let features: Vec<(String, FeatureKind)> = sections
        .iter()
        .map(|(name, _)| {
            let of = |t: &RawTable| ColumnType::of(t.columns.iter().find(|c| &c.name == name));
            (
                name.clone(),
                feature_kind(of(&rsample.table), of(csample_table)),
            )
        })
        .collect();
    let sample_rows = (rsample.table.rows + csample.as_ref().map_or(0, |c| c.table.rows)) as u64;
    drop(csample);
    drop(rsample);
    let dir = crate::private_dir::create("verdict-drift-stream").map_err(io_error(&rfiles))?;
    let _cleanup = RemoveOnDrop(dir.clone());
    let label = |roles: &Roles| roles.get(Role::Label).is_some();
    let mut racc =
        Acc::new(&features, &dir, "reference", label(&rroles)).map_err(io_error(&rfiles))?;
    let mut cacc =
        Acc::new(&features, &dir, "current", label(&croles)).map_err(io_error(&cfiles))?;
    let mut passes = 0u64;
    // the whole log's time range (a window needs its last time; PSI over time its span)
    let mut excluded = 0u64;
    let (member, split_info, timeline_range) = match &split_spec {
        Some((spec, window)) => {
            let ts_col = rroles
                .get(Role::Timestamp)
                .ok_or_else(|| DriftError::NoTimestampColumn {
                    files: rfiles.join(", "),
                })?
                .to_string();
            passes += 1;
            let (lo, hi) = timestamp_span(&rfiles, &rroles, &reading, cancel)?;
            if lo > hi {
                return Err(DriftError::Split {
                    files: rfiles.join(", "),
                    source: crate::analysis::drift::error::SplitError::NoTimestamps,
                }
                .into());
            }
            let (a, boundary, b) = match spec {
                TimeSplitSpec::At(at) => (i64::MIN, *at, i64::MAX),
                TimeSplitSpec::Window(span) => (
                    hi.saturating_sub(span.saturating_mul(2)),
                    hi.saturating_sub(*span),
                    hi,
                ),
            };
            let info = SplitInfo {
                mode: match spec {
                    TimeSplitSpec::At(_) => SplitMode::SplitAt,
                    TimeSplitSpec::Window(_) => SplitMode::Window,
                },
                time_column: Some(ts_col),
                split_at: Some(format_timestamp_us(boundary)),
                window: window.clone(),
                rows_excluded: 0,
            };
            (Member::Split(*spec, a, boundary, b), info, Some((lo, hi)))
        }
        None => (
            Member::All,
            SplitInfo {
                mode: SplitMode::Files,
                time_column: None,
                split_at: None,
                window: None,
                rows_excluded: 0,
            },
            None,
        ),
    };
    // each side's read: prediction rows, features' values and counts
    let mut rsplit = (0u64, 0u64);
    let mut write_err: Option<std::io::Error> = None;
    passes += 1;
    crate::ingest::read_chunked(&rfiles, rows_per_chunk(), &reading, cancel, &mut |raw| {
        let t = &raw.table;
        let ts = timestamps(t, &rroles);
        let (r, c, ex) = split_rows(member, ts.as_deref(), t.rows);
        excluded += ex;
        rsplit.0 += r.len() as u64;
        rsplit.1 += c.len() as u64;
        let res = racc
            .add(t, r, &rroles, ts.as_deref(), &features)
            .and_then(|_| {
                if c.is_empty() {
                    Ok(())
                } else {
                    cacc.add(t, c, &croles, ts.as_deref(), &features)
                }
            });
        if let Err(e) = res {
            write_err = Some(e);
            return Ok(false);
        }
        Ok(true)
    })?;
    if matches!(member, Member::All) {
        passes += 1;
        crate::ingest::read_chunked(&cfiles, rows_per_chunk(), &reading, cancel, &mut |raw| {
            let t = &raw.table;
            let ts = timestamps(t, &croles);
            if let Err(e) = cacc.add(
                t,
                (0..t.rows as u32).collect(),
                &croles,
                ts.as_deref(),
                &features,
            ) {
                write_err = Some(e);
                return Ok(false);
            }
            Ok(true)
        })?;
    }
    if let Some(e) = write_err {
        // a feature that is no category (other), or a temporary file that failed
        if e.kind() == std::io::ErrorKind::Other {
            return Err(DriftError::Streamed(format!("{}: {e}", rfiles.join(", "))).into());
        }
        return Err(io_error(&rfiles)(e).into());
    }
    if let (Member::Split(..), Some(when)) = (member, &split_info.split_at) {
        if rsplit.0 == 0 {
            return Err(DriftError::Split {
                files: rfiles.join(", "),
                source: crate::analysis::drift::error::SplitError::EmptyReference(when.clone()),
            }
            .into());
        }
        if rsplit.1 == 0 {
            return Err(DriftError::Split {
                files: rfiles.join(", "),
                source: crate::analysis::drift::error::SplitError::EmptyCurrent(when.clone()),
            }
            .into());
        }
    }
    if racc.rows == 0 || cacc.rows == 0 {
        return Err(DriftError::NoPredictionRows.into());
    }
    let mut split_info = split_info;
    split_info.rows_excluded = excluded;
    // each feature from its own values, one at a time
    let flags = Flags {
        alpha: cfg.alpha,
        psi_drift: cfg.psi_threshold,
        psi_alert: cfg.psi_alert,
    };
    let rows = (racc.rows as usize, cacc.rows as usize);
    let mut out: Vec<FeatureDrift> = Vec::with_capacity(features.len());
    for (i, ((name, _), (_, section))) in features.iter().zip(&sections).enumerate() {
        progress(StreamProgress::Step(
            &format!("feature {name}"),
            i as f32 / features.len() as f32,
        ));
        let mut f = match (racc.numeric[i].take(), cacc.numeric[i].take()) {
            (Some((mut rf, rp, rm)), Some((mut cf, cp, cm))) => {
                rf.flush().map_err(io_error(&rfiles))?;
                cf.flush().map_err(io_error(&cfiles))?;
                drop((rf, cf));
                let a = read_values(&rp).map_err(io_error(&rfiles))?;
                let b = read_values(&cp).map_err(io_error(&cfiles))?;
                let _ = std::fs::remove_file(&rp);
                let _ = std::fs::remove_file(&cp);
                numeric_feature(name, (&a, &b), (rm, cm), rows, flags)
            }
            _ => {
                let (ra, rm) = racc.categorical[i].take().unwrap_or_default();
                let (ca, cm) = cacc.categorical[i].take().unwrap_or_default();
                categorical_feature(name, (&ra, &ca), (rm, cm), rows, flags)
            }
        };
        f.section = *section;
        out.push(f);
    }
    let features = out;
    let (inputs_n, drift_share, dataset_drifted) =
        crate::analysis::drift::dataset_share(&features, cfg.share_threshold);
    // PSI over time: the current side (two inputs) or every row of the log (a split)
    let every = cfg.every_us().map_err(DriftError::from)?;
    let range = timeline_range.or((cacc.lo <= cacc.hi).then_some((cacc.lo, cacc.hi)));
    let psi_over_time = match range {
        None => PsiOverTime::default(),
        Some((lo, hi)) => {
            passes += 1;
            psi_over_time(
                &cfiles,
                member,
                &croles,
                &features,
                (lo, hi),
                every,
                &reading,
                cancel,
            )?
        }
    };
    let mut checks = triggers::data_checks(
        &features,
        drift_share,
        cfg.share_threshold,
        cfg.psi_threshold,
        cfg.psi_alert,
        (racc.rows, cacc.rows),
        (
            racc.labels.as_ref().map(|l| l.len()),
            cacc.labels.as_ref().map(|l| l.len()),
        ),
        schema.only_in_reference.len() + schema.only_in_current.len() + schema.dtype_changes.len(),
        &cfg.triggers,
    );
    for c in &mut checks {
        c.estimated.get_or_insert(false);
    }
    // the performance periods' width, as in memory (from both sides' span)
    let (lo, hi) = (racc.lo.min(cacc.lo), racc.hi.max(cacc.hi));
    let span_us = if hi >= lo { hi - lo } else { 0 };
    let period_us = crate::analysis::drift::split::snapshot_width(span_us, every);
    let granularity_s = (period_us / 1_000_000).max(1) as u64;
    let ((rs, re), (cs, ce)) = (racc.range(), cacc.range());
    Ok(DriftReport {
        reference: DriftSide {
            rows: racc.rows,
            files: expanded(&rfiles),
            start: rs,
            end: re,
        },
        current: DriftSide {
            rows: cacc.rows,
            files: expanded(&cfiles),
            start: cs,
            end: ce,
        },
        split: split_info,
        thresholds: crate::analysis::drift::thresholds(cfg),
        features,
        input_features: inputs_n as u64,
        excluded: DriftExcluded {
            events: racc.dropped + cacc.dropped,
            reference_events: racc.dropped,
            current_events: cacc.dropped,
            columns: excluded_columns,
        },
        schema,
        drift_share,
        dataset_drifted,
        triggers: checks,
        psi_over_time,
        daily: Vec::new(),
        granularity_s,
        performance: Vec::new(),
        performance_fits: Vec::new(),
        binned: Some(BinnedInfo {
            source: "stream".into(),
            table: expanded(&cfiles).join(", "),
            sample_rows,
            queries: passes,
            bytes_received: 0,
            ks_grid: 0,
            not_computed: vec![
                "realized and estimated (CBPE) performance and their triggers (they need every labelled row at once: compare a shorter span in memory with --stream off)".into(),
            ],
        }),
    })
}

/// The inputs' files, globs and folders expanded (as the report names them).
fn expanded(inputs: &[String]) -> Vec<String> {
    crate::ingest::source::expand_inputs(inputs)
        .map(|p| p.iter().map(|p| p.display().to_string()).collect())
        .unwrap_or_else(|_| inputs.to_vec())
}

/// Removes a temporary folder when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// First and last timestamp (UTC µs) of files read in chunks, their timestamp column found
/// on the first rows through `overrides`; None without two distinct times.
pub fn time_range_files(
    files: &[String],
    overrides: &RoleOverrides,
    progress: &(dyn Fn(StreamProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<Option<(i64, i64)>, StreamError> {
    let first = sample(files, cancel)?;
    let roles = crate::ingest::roles::infer(&first.table, overrides);
    drop(first);
    if roles.get(Role::Timestamp).is_none() {
        return Ok(None);
    }
    let reading = |p: LoadProgress| progress(StreamProgress::Reading(&p));
    let (lo, hi) = timestamp_span(files, &roles, &reading, cancel)?;
    Ok((hi > lo).then_some((lo, hi)))
}

/// The least and greatest timestamp of `files` read in chunks (`(i64::MAX, i64::MIN)`
/// without one).
fn timestamp_span(
    files: &[String],
    roles: &Roles,
    reading: &(dyn Fn(LoadProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<(i64, i64), IngestError> {
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    crate::ingest::read_chunked(files, rows_per_chunk(), reading, cancel, &mut |raw| {
        for t in timestamps(&raw.table, roles)
            .unwrap_or_default()
            .into_iter()
            .flatten()
        {
            lo = lo.min(t);
            hi = hi.max(t);
        }
        Ok(true)
    })?;
    Ok((lo, hi))
}
