//! Reading one feature column of each side and computing its drift.

use super::categorical::categorical_stats;
use super::error::DriftError;
use super::numeric::numeric_stats;
use super::sort::{key, unkey};
use super::split::Side;
use crate::ingest::table::RawTable;
use crate::ingest::table::{RawColumn, RawData};
pub use crate::report::drift::ColumnType;
use crate::report::drift::{DriftTest, FeatureDrift, FeatureKind};
use polars::prelude::PlHashMap as HashMap;
use polars::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

impl ColumnType {
    /// Of a raw column.
    pub fn of(col: Option<&RawColumn>) -> Self {
        match col.map(|c| &c.data) {
            None | Some(RawData::Null) => ColumnType::Empty,
            Some(RawData::Num { all_bool: true, .. }) => ColumnType::Boolean,
            Some(RawData::Num { .. }) => ColumnType::Numeric,
            Some(RawData::Str { .. }) => ColumnType::String,
        }
    }
}

/// The kind a feature is compared as: numeric only when no side has text or booleans.
pub fn feature_kind(reference: ColumnType, current: ColumnType) -> FeatureKind {
    use ColumnType::*;
    match (reference, current) {
        (Numeric | Empty, Numeric | Empty) => FeatureKind::Numeric,
        _ => FeatureKind::Categorical,
    }
}

/// Finite values of a numeric column at the side's rows, sorted, and the missing count
/// (missing, NaN, infinite, or text in a numeric column).
pub fn numeric_values(col: Option<&RawColumn>, side: &Side) -> (Vec<f64>, u64) {
    let Some(RawColumn {
        data: RawData::Num { values, .. },
        ..
    }) = col
    else {
        return (vec![], side.len() as u64);
    };
    // Order-preserving integer keys sort faster than doubles; -0.0 counts as 0.0.
    let mut keys: Vec<u64> = Vec::with_capacity(side.len());
    let mut push = |x: f64| {
        if x.is_finite() {
            keys.push(key(if x == 0.0 { 0.0 } else { x }));
        }
    };
    match &side.rows {
        None => {
            for arr in values.downcast_iter() {
                match arr.validity().filter(|v| v.unset_bits() > 0) {
                    None => arr.values().iter().for_each(|&x| push(x)),
                    Some(valid) => arr.values().iter().zip(valid.iter()).for_each(|(&x, ok)| {
                        if ok {
                            push(x)
                        }
                    }),
                }
            }
        }
        Some(rows) => {
            let values = values.rechunk();
            rows.iter().for_each(|&r| {
                if let Some(x) = values.get(r as usize) {
                    push(x)
                }
            });
        }
    }
    let missing = (side.len() - keys.len()) as u64;
    keys.sort_unstable();
    (keys.into_iter().map(unkey).collect(), missing)
}

/// Text of a column at the side's rows, counted per value, and the missing count.
pub fn category_counts(col: Option<&RawColumn>, side: &Side) -> (HashMap<String, u64>, u64) {
    let Some(col) = col.filter(|c| !matches!(c.data, RawData::Null)) else {
        return (HashMap::default(), side.len() as u64);
    };
    let text: StringChunked = col.to_text(&col.name);
    let text = text.rechunk().into_owned();
    let mut counts: HashMap<&str, u64> = HashMap::default();
    let mut missing = 0u64;
    let values: Box<dyn Iterator<Item = Option<&str>>> = match &side.rows {
        None => Box::new(text.iter()),
        Some(rows) => Box::new(rows.iter().map(|&r| text.get(r as usize))),
    };
    for v in values {
        match v {
            Some(s) => *counts.entry(s).or_insert(0) += 1,
            None => missing += 1,
        }
    }
    let owned = counts
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    (owned, missing)
}

/// Thresholds that turn statistics into flags.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flags {
    /// Significance level.
    pub alpha: f64,
    /// PSI that makes a significant shift material.
    pub psi_drift: f64,
    /// PSI that alerts.
    pub psi_alert: f64,
}

/// The share of `rows` that is missing (0 without rows).
pub fn rate(missing: u64, rows: u64) -> f64 {
    if rows == 0 {
        0.0
    } else {
        missing as f64 / rows as f64
    }
}

/// A feature's row before any statistic: its name, kind and test, nothing measured.
pub fn empty_feature(name: &str, kind: FeatureKind) -> FeatureDrift {
    FeatureDrift {
        section: Default::default(),
        name: name.to_string(),
        kind,
        test: match kind {
            FeatureKind::Numeric => DriftTest::Ks,
            FeatureKind::Categorical => DriftTest::Chi2,
        },
        statistic: None,
        p_value: None,
        dof: None,
        psi: None,
        wasserstein: None,
        wasserstein_norm: None,
        null_rate_reference: 0.0,
        null_rate_current: 0.0,
        n_reference: 0,
        n_current: 0,
        mean_reference: None,
        mean_current: None,
        drifted: false,
        alert: false,
        bins: vec![],
        categories: vec![],
        ks_error_bound: None,
    }
}

/// A categorical feature's values and statistics from its counts per category on each side:
/// the value counts, and with values on both sides chi-square, PSI and the shares.
pub fn set_categorical(
    f: &mut FeatureDrift,
    reference: &HashMap<String, u64>,
    current: &HashMap<String, u64>,
) {
    f.n_reference = reference.values().sum();
    f.n_current = current.values().sum();
    if f.n_reference == 0 || f.n_current == 0 {
        return;
    }
    let mut names: Vec<String> = reference.keys().chain(current.keys()).cloned().collect();
    names.sort();
    names.dedup();
    let get = |m: &HashMap<String, u64>| -> Vec<u64> {
        names
            .iter()
            .map(|n| m.get(n).copied().unwrap_or(0))
            .collect()
    };
    let st = categorical_stats(&names, &get(reference), &get(current));
    f.statistic = Some(st.chi2);
    f.dof = Some(st.dof);
    f.p_value = Some(st.p_value);
    f.psi = Some(st.psi);
    f.categories = st.shares;
}

/// Drifted (significant and PSI at the drift threshold) and alert (PSI at the alert
/// threshold) from the feature's p-value and PSI.
pub fn set_flags(f: &mut FeatureDrift, flags: Flags) {
    if let (Some(p), Some(psi)) = (f.p_value, f.psi) {
        f.drifted = p < flags.alpha && psi >= flags.psi_drift;
        f.alert = psi >= flags.psi_alert;
    }
}

/// Drift of one feature between two sides.
pub fn feature_drift(
    name: &str,
    reference: Option<&RawColumn>,
    current: Option<&RawColumn>,
    sides: (&Side, &Side),
    flags: Flags,
) -> FeatureDrift {
    let (rs, cs) = sides;
    let kind = feature_kind(ColumnType::of(reference), ColumnType::of(current));
    match kind {
        FeatureKind::Numeric => {
            let (a, ma) = numeric_values(reference, rs);
            let (b, mb) = numeric_values(current, cs);
            numeric_feature(name, (&a, &b), (ma, mb), (rs.len(), cs.len()), flags)
        }
        FeatureKind::Categorical => {
            let (ra, ma) = category_counts(reference, rs);
            let (cb, mb) = category_counts(current, cs);
            categorical_feature(name, (&ra, &cb), (ma, mb), (rs.len(), cs.len()), flags)
        }
    }
}

/// A numeric feature's drift from each side's sorted finite values, missing counts and rows.
pub fn numeric_feature(
    name: &str,
    values: (&[f64], &[f64]),
    missing: (u64, u64),
    rows: (usize, usize),
    flags: Flags,
) -> FeatureDrift {
    let ((a, b), (ma, mb)) = (values, missing);
    let mut f = empty_feature(name, FeatureKind::Numeric);
    f.null_rate_reference = rate(ma, rows.0 as u64);
    f.null_rate_current = rate(mb, rows.1 as u64);
    f.n_reference = a.len() as u64;
    f.n_current = b.len() as u64;
    if !a.is_empty() && !b.is_empty() {
        let st = numeric_stats(a, b);
        f.statistic = Some(st.ks);
        f.p_value = Some(st.p_value);
        f.psi = Some(st.psi);
        f.wasserstein = Some(st.wasserstein);
        f.wasserstein_norm = (st.reference_std > 0.0).then(|| st.wasserstein / st.reference_std);
        f.mean_reference = Some(st.reference_mean);
        f.mean_current = Some(st.current_mean);
        f.bins = st.bins;
    }
    set_flags(&mut f, flags);
    f
}

/// A categorical feature's drift from each side's counts per value, missing counts and rows.
pub fn categorical_feature(
    name: &str,
    counts: (&HashMap<String, u64>, &HashMap<String, u64>),
    missing: (u64, u64),
    rows: (usize, usize),
    flags: Flags,
) -> FeatureDrift {
    let mut f = empty_feature(name, FeatureKind::Categorical);
    f.null_rate_reference = rate(missing.0, rows.0 as u64);
    f.null_rate_current = rate(missing.1, rows.1 as u64);
    set_categorical(&mut f, counts.0, counts.1);
    set_flags(&mut f, flags);
    f
}

/// Computes every feature's drift on all cores; `progress(done, total)` after each.
pub fn features_drift(
    names: &[String],
    sides: (&Side, &Side),
    flags: Flags,
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &AtomicBool,
) -> Result<Vec<FeatureDrift>, DriftError> {
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
        return Err(DriftError::Cancelled);
    }
    let got = out.into_inner().map_err(|_| DriftError::Worker)?;
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
