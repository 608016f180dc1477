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

/// Distinct labels counted at most (a regression target would otherwise keep every value).
const MAX_LABELS: usize = 100_000;

/// Rows of each side's first chunk that choose the columns, sections and roles.
pub const SAMPLE_ROWS: usize = 100_000;

/// The first [`SAMPLE_ROWS`] rows of `files`.
fn sample(files: &[String], cancel: &AtomicBool) -> Result<RawLoad, IngestError> {
    let mut first = None;
    crate::ingest::read_chunked(files, SAMPLE_ROWS, &|_| {}, cancel, &mut |raw| {
        first = Some(raw);
        Ok(false)
    })?;
    first.ok_or_else(|| IngestError::Unreadable {
        file: files.join(", "),
        problem: "no rows".into(),
    })
}

/// What one side's read gathers.
struct Acc {
    /// Prediction rows.
    rows: u64,
    /// Event rows left out.
    dropped: u64,
    /// Time range of the prediction rows.
    lo: i64,
    hi: i64,
    /// Per numeric feature: its values' file and missing count.
    numeric: Vec<Option<(BufWriter<std::fs::File>, PathBuf, u64)>>,
    /// Per categorical feature: counts and missing count.
    categorical: Vec<Option<(HashMap<String, u64>, u64)>>,
    /// Distinct trimmed labels (None without a label column).
    labels: Option<std::collections::HashSet<String>>,
}

impl Acc {
    fn new(
        features: &[(String, FeatureKind)],
        dir: &std::path::Path,
        side: &str,
        label: bool,
    ) -> std::io::Result<Acc> {
        let mut numeric = Vec::new();
        let mut categorical = Vec::new();
        for (i, (_, kind)) in features.iter().enumerate() {
            match kind {
                FeatureKind::Numeric => {
                    let path = dir.join(format!("{side}_{i}.f64"));
                    let file = BufWriter::with_capacity(1 << 16, std::fs::File::create(&path)?);
                    numeric.push(Some((file, path, 0)));
                    categorical.push(None);
                }
                FeatureKind::Categorical => {
                    numeric.push(None);
                    categorical.push(Some((HashMap::default(), 0)));
                }
            }
        }
        Ok(Acc {
            rows: 0,
            dropped: 0,
            lo: i64::MAX,
            hi: i64::MIN,
            numeric,
            categorical,
            labels: label.then(Default::default),
        })
    }

    /// Adds the rows `member` of chunk `t` (this side's rows), keeping prediction rows.
    fn add(
        &mut self,
        t: &RawTable,
        member: Vec<u32>,
        roles: &Roles,
        ts: Option<&[Option<i64>]>,
        features: &[(String, FeatureKind)],
    ) -> std::io::Result<()> {
        let mask = select::prediction_rows(t, roles);
        let kept: Vec<u32> = match &mask {
            Some(m) => member
                .iter()
                .copied()
                .filter(|&r| m.get(r as usize).copied().unwrap_or(false))
                .collect(),
            None => member.clone(),
        };
        self.dropped += (member.len() - kept.len()) as u64;
        self.rows += kept.len() as u64;
        if let Some(ts) = ts {
            for &r in &kept {
                if let Some(x) = ts[r as usize] {
                    self.lo = self.lo.min(x);
                    self.hi = self.hi.max(x);
                }
            }
        }
        let side = Side {
            table: t,
            rows: Some(kept),
            files: vec![],
            ts: None,
        };
        for (i, (name, _)) in features.iter().enumerate() {
            let col = t.columns.iter().find(|c| &c.name == name);
            if let Some((file, _, missing)) = &mut self.numeric[i] {
                let (values, m) = numeric_values(col, &side);
                *missing += m;
                let mut buf = Vec::with_capacity(values.len() * 8);
                for v in values {
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                file.write_all(&buf)?;
            }
            if let Some((counts, missing)) = &mut self.categorical[i] {
                let (c, m) = category_counts(col, &side);
                *missing += m;
                for (k, n) in c {
                    *counts.entry(k).or_insert(0) += n;
                }
            }
        }
        if let (Some(labels), Some(name)) = (&mut self.labels, roles.get(Role::Label)) {
            if let Some(col) = t.columns.iter().find(|c| c.name == name) {
                let text = col.to_text(&col.name).rechunk().into_owned();
                // (a continuous label is counted up to a bound: the check fails either way)
                side.for_each_row(|r| {
                    if let Some(v) = text.get(r).filter(|_| labels.len() < MAX_LABELS) {
                        labels.insert(v.trim().to_string());
                    }
                });
            }
        }
        Ok(())
    }

    fn range(&self) -> (Option<String>, Option<String>) {
        if self.lo > self.hi {
            (None, None)
        } else {
            (
                Some(format_timestamp_us(self.lo)),
                Some(format_timestamp_us(self.hi)),
            )
        }
    }
}

/// A numeric feature's values of one side, sorted as in memory (read straight into sort
/// keys: memory holds the values once).
fn read_values(path: &std::path::Path) -> std::io::Result<Vec<f64>> {
    let len = std::fs::metadata(path)?.len() as usize / 8;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut keys: Vec<u64> = Vec::with_capacity(len);
    let mut buf = [0u8; 8];
    for _ in 0..len {
        reader.read_exact(&mut buf)?;
        keys.push(key(f64::from_le_bytes(buf)));
    }
    keys.sort_unstable();
    // the same allocation, as floats
    Ok(keys.into_iter().map(unkey).collect())
}

/// Which rows of a chunk belong to which side.
#[derive(Clone, Copy)]
enum Member {
    /// Every row (two inputs: the side is the input).
    All,
    /// A time split: (lo, boundary, hi) as `split_by_time`.
    Split(TimeSplitSpec, i64, i64, i64),
}

/// The rows of a chunk of `rows` rows on each side (reference, current) and those excluded.
fn split_rows(m: Member, ts: Option<&[Option<i64>]>, rows: usize) -> (Vec<u32>, Vec<u32>, u64) {
    let Member::Split(spec, lo, boundary, hi) = m else {
        return ((0..rows as u32).collect(), Vec::new(), 0);
    };
    let (mut r, mut c, mut ex) = (Vec::new(), Vec::new(), 0u64);
    for i in 0..rows {
        match (ts.and_then(|t| t[i]), spec) {
            (None, _) => ex += 1,
            (Some(t), TimeSplitSpec::At(_)) => {
                if t < boundary {
                    r.push(i as u32)
                } else {
                    c.push(i as u32)
                }
            }
            (Some(t), TimeSplitSpec::Window(_)) => {
                if t > boundary && t <= hi {
                    c.push(i as u32)
                } else if t > lo && t <= boundary {
                    r.push(i as u32)
                } else {
                    ex += 1
                }
            }
        }
    }
    (r, c, ex)
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
            let (mut lo, mut hi) = (i64::MAX, i64::MIN);
            passes += 1;
            crate::ingest::read_chunked(&rfiles, rows_per_chunk(), &reading, cancel, &mut |raw| {
                for t in timestamps(&raw.table, &rroles)
                    .unwrap_or_default()
                    .into_iter()
                    .flatten()
                {
                    lo = lo.min(t);
                    hi = hi.max(t);
                }
                Ok(true)
            })?;
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

/// One top feature's counts per snapshot, as `over_time::feature_series` counts them.
struct Series {
    name: String,
    kind: FeatureKind,
    edges: Vec<f64>,
    index: HashMap<String, usize>,
    reference: Vec<f64>,
    counts: Vec<Vec<u64>>,
}

/// PSI per snapshot for the top features by PSI, read chunk by chunk (see
/// `analysis::drift::over_time`).
#[allow(clippy::too_many_arguments)]
fn psi_over_time(
    files: &[String],
    member: Member,
    roles: &Roles,
    features: &[FeatureDrift],
    (min, max): (i64, i64),
    every_us: Option<i64>,
    reading: &(dyn Fn(LoadProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<PsiOverTime, StreamError> {
    let (name, width, start, buckets) = snapshot_buckets(min, max, every_us);
    let mut top: Vec<&FeatureDrift> = features.iter().filter(|f| f.psi.is_some()).collect();
    top.sort_by(|a, b| b.psi.unwrap_or(0.0).total_cmp(&a.psi.unwrap_or(0.0)));
    top.truncate(crate::analysis::drift::over_time::TOP_FEATURES);
    let mut series: Vec<Series> = top
        .iter()
        .map(|f| match f.kind {
            FeatureKind::Numeric => Series {
                name: f.name.clone(),
                kind: f.kind,
                edges: f.bins.iter().filter_map(|b| b.hi).collect(),
                index: HashMap::default(),
                reference: f.bins.iter().map(|b| b.reference).collect(),
                counts: vec![vec![0; f.bins.len()]; buckets],
            },
            FeatureKind::Categorical => Series {
                name: f.name.clone(),
                kind: f.kind,
                edges: Vec::new(),
                index: f
                    .categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.value.clone(), i))
                    .collect(),
                reference: f.categories.iter().map(|c| c.reference).collect(),
                counts: vec![vec![0; f.categories.len()]; buckets],
            },
        })
        .collect();
    let present: Vec<bool> = vec![false; series.len()];
    let mut present = present;
    // a row outside the span read before (a log still being written) is in no snapshot
    let bucket_of = |t: i64| {
        (t >= min && t <= max)
            .then(|| ((t - start) / width) as usize)
            .filter(|&b| b < buckets)
    };
    crate::ingest::read_chunked(files, rows_per_chunk(), reading, cancel, &mut |raw| {
        let t = &raw.table;
        let Some(ts) = timestamps(t, roles) else {
            return Ok(true);
        };
        // a split's timeline is every row of the log; two inputs', the current side's
        // prediction rows
        let rows: Vec<u32> = match member {
            Member::Split(..) => (0..t.rows as u32).collect(),
            Member::All => match select::prediction_rows(t, roles) {
                Some(m) => (0..t.rows as u32).filter(|&r| m[r as usize]).collect(),
                None => (0..t.rows as u32).collect(),
            },
        };
        for (s, seen) in series.iter_mut().zip(present.iter_mut()) {
            let Some(col) = t.columns.iter().find(|c| c.name == s.name) else {
                continue;
            };
            *seen = true;
            match s.kind {
                FeatureKind::Numeric => {
                    let crate::ingest::table::RawData::Num { values, .. } = &col.data else {
                        continue;
                    };
                    let values = values.rechunk();
                    for &r in &rows {
                        let r = r as usize;
                        if let (Some(b), Some(x)) = (
                            ts[r].and_then(bucket_of),
                            values.get(r).filter(|x| x.is_finite()),
                        ) {
                            s.counts[b][s.edges.partition_point(|e| *e <= x)] += 1;
                        }
                    }
                }
                FeatureKind::Categorical => {
                    let text = col.to_text(&col.name).rechunk().into_owned();
                    for &r in &rows {
                        let r = r as usize;
                        if let (Some(b), Some(v)) = (ts[r].and_then(bucket_of), text.get(r)) {
                            let i = match s.index.get(v) {
                                Some(&i) => i,
                                None => {
                                    let i = s.index.len();
                                    s.index.insert(v.to_string(), i);
                                    for c in s.counts.iter_mut() {
                                        c.resize(i + 1, 0);
                                    }
                                    i
                                }
                            };
                            s.counts[b][i] += 1;
                        }
                    }
                }
            }
        }
        Ok(true)
    })?;
    let features = series
        .into_iter()
        .zip(present)
        .map(|(mut s, seen)| {
            let mut reference = s.reference.clone();
            reference.resize(s.index.len().max(reference.len()), 0.0);
            let ref_shares: Vec<f64> = reference
                .iter()
                .map(|&r| if r == 0.0 { PSI_FLOOR } else { r })
                .collect();
            let psi = if seen {
                s.counts
                    .iter_mut()
                    .map(|c| {
                        c.resize(ref_shares.len(), 0);
                        (c.iter().sum::<u64>() > 0).then(|| psi(&ref_shares, &floored_shares(c)))
                    })
                    .collect()
            } else {
                vec![None; buckets]
            };
            PsiSeries { name: s.name, psi }
        })
        .collect();
    let starts_us: Vec<i64> = (0..buckets).map(|i| start + i as i64 * width).collect();
    Ok(PsiOverTime {
        bucket: name,
        starts: starts_us.iter().map(|&t| format_timestamp_us(t)).collect(),
        starts_us,
        features,
    })
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
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    let reading = |p: LoadProgress| progress(StreamProgress::Reading(&p));
    crate::ingest::read_chunked(files, rows_per_chunk(), &reading, cancel, &mut |raw| {
        for t in timestamps(&raw.table, &roles)
            .unwrap_or_default()
            .into_iter()
            .flatten()
        {
            lo = lo.min(t);
            hi = hi.max(t);
        }
        Ok(true)
    })?;
    Ok((hi > lo).then_some((lo, hi)))
}
