//! Column access for the analysis: group codes and per-code accumulation over polars
//! columns, without copying rows into structs.

use super::error::AnalysisError;
use super::stats::Moments;
use crate::ingest::normalize::GROUP;
use polars::prelude::*;

/// An error reading the canonical frame (a bug, not bad input).
pub fn frame_error(e: PolarsError) -> AnalysisError {
    AnalysisError::Frame(e.to_string())
}

/// A Float64 column of the canonical frame.
pub fn f64_col<'a>(frame: &'a DataFrame, name: &str) -> Result<&'a Float64Chunked, AnalysisError> {
    frame
        .column(name)
        .map_err(frame_error)?
        .as_materialized_series()
        .f64()
        .map_err(frame_error)
}

/// An Int64 column of the canonical frame (e.g. the timestamps).
pub fn i64_col<'a>(frame: &'a DataFrame, name: &str) -> Result<&'a Int64Chunked, AnalysisError> {
    frame
        .column(name)
        .map_err(frame_error)?
        .as_materialized_series()
        .i64()
        .map_err(frame_error)
}

/// A String column of the canonical frame.
pub fn str_col<'a>(frame: &'a DataFrame, name: &str) -> Result<&'a StringChunked, AnalysisError> {
    frame
        .column(name)
        .map_err(frame_error)?
        .as_materialized_series()
        .str()
        .map_err(frame_error)
}

/// A Boolean column of the canonical frame.
pub fn bool_col<'a>(frame: &'a DataFrame, name: &str) -> Result<&'a BooleanChunked, AnalysisError> {
    frame
        .column(name)
        .map_err(frame_error)?
        .as_materialized_series()
        .bool()
        .map_err(frame_error)
}

/// Dense codes for the distinct values of a string column (nulls get `None`).
pub struct Codes {
    /// Distinct values, in first-seen order.
    pub names: Vec<String>,
    /// Code of each row (`u32::MAX` for null).
    pub codes: Vec<u32>,
}

/// Sentinel code for a null value.
pub const NO_CODE: u32 = u32::MAX;

impl Codes {
    /// Codes for a string column; fast for few distinct values. Strings of up to 12 bytes
    /// are stored inline in their 16-byte view, so equal views mean equal strings and the
    /// lookup hashes one integer instead of the text.
    pub fn of(ca: &StringChunked) -> Self {
        let mut names: Vec<String> = Vec::new();
        let mut by_text: PlHashMap<&str, u32> = PlHashMap::default();
        let mut by_view: PlHashMap<u128, u32> = PlHashMap::default();
        let mut codes: Vec<u32> = Vec::with_capacity(ca.len());
        for arr in ca.downcast_iter() {
            for (value, view) in arr.iter().zip(arr.views().iter()) {
                let Some(text) = value else {
                    codes.push(NO_CODE);
                    continue;
                };
                let inline = view.length <= 12;
                if inline {
                    if let Some(&c) = by_view.get(&view.as_u128()) {
                        codes.push(c);
                        continue;
                    }
                }
                let c = *by_text.entry(text).or_insert_with(|| {
                    names.push(text.to_string());
                    (names.len() - 1) as u32
                });
                if inline {
                    by_view.insert(view.as_u128(), c);
                }
                codes.push(c);
            }
        }
        Codes { names, codes }
    }

    /// Group codes of the canonical frame, names sorted.
    pub fn groups(frame: &DataFrame) -> Result<Self, AnalysisError> {
        let mut c = Self::of(str_col(frame, GROUP)?);
        c.sort_names();
        Ok(c)
    }

    /// Renumbers the codes so names are in sorted order.
    pub fn sort_names(&mut self) {
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        order.sort_by(|a, b| self.names[*a].cmp(&self.names[*b]));
        let mut remap = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old] = new as u32;
        }
        self.names = order.iter().map(|&i| self.names[i].clone()).collect();
        for c in &mut self.codes {
            if *c != NO_CODE {
                *c = remap[*c as usize];
            }
        }
    }
}

/// Moments of `values` for each key `keys[i]` in `0..k` (nulls and `NO_CODE` skipped), in
/// two streaming passes (sum, then squared deviations) with compensated summation, so no
/// values are copied. Agrees with numpy to ~1e-13 relative on millions of rows.
pub fn moments_by(keys: &[u32], k: usize, values: &Float64Chunked) -> Vec<Moments> {
    let mut n = vec![0u64; k];
    let mut sum = vec![Neumaier::default(); k];
    for_each_value(keys, values, |key, x| {
        n[key] += 1;
        sum[key].add(x);
    });
    let mean: Vec<f64> = (0..k)
        .map(|i| {
            if n[i] > 0 {
                sum[i].total() / n[i] as f64
            } else {
                f64::NAN
            }
        })
        .collect();
    let mut ss = vec![Neumaier::default(); k];
    for_each_value(keys, values, |key, x| {
        let d = x - mean[key];
        ss[key].add(d * d);
    });
    (0..k)
        .map(|i| Moments {
            n: n[i],
            sum: sum[i].total(),
            mean: mean[i],
            var: if n[i] > 1 {
                ss[i].total() / (n[i] - 1) as f64
            } else {
                f64::NAN
            },
        })
        .collect()
}

/// Neumaier-compensated sum.
#[derive(Debug, Clone, Copy, Default)]
pub struct Neumaier {
    sum: f64,
    comp: f64,
}

impl Neumaier {
    /// Adds a value.
    #[inline]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }
    /// The compensated total.
    pub fn total(&self) -> f64 {
        self.sum + self.comp
    }
}

/// Calls `f(key, value)` for every non-null value whose key is not `NO_CODE`, walking the
/// column's chunks directly (fast path for chunks without nulls).
pub fn for_each_value(keys: &[u32], values: &Float64Chunked, mut f: impl FnMut(usize, f64)) {
    let mut offset = 0usize;
    for arr in values.downcast_iter() {
        let len = arr.len();
        let ks = &keys[offset..offset + len];
        if arr.validity().is_none_or(|v| v.unset_bits() == 0) {
            for (key, x) in ks.iter().zip(arr.values().iter()) {
                if *key != NO_CODE {
                    f(*key as usize, *x);
                }
            }
        } else {
            for (key, x) in ks.iter().zip(arr.iter()) {
                if let (true, Some(x)) = (*key != NO_CODE, x) {
                    f(*key as usize, *x);
                }
            }
        }
        offset += len;
    }
}

/// Non-null values of a column split by key.
pub fn values_by(keys: &[u32], k: usize, values: &Float64Chunked) -> Vec<Vec<f64>> {
    let mut counts = vec![0usize; k];
    for_each_value(keys, values, |key, _| counts[key] += 1);
    let mut out: Vec<Vec<f64>> = counts.iter().map(|&c| Vec::with_capacity(c)).collect();
    for_each_value(keys, values, |key, x| out[key].push(x));
    out
}
