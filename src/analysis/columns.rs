//! Column access for the analysis: group codes and per-code accumulation over polars
//! columns, without copying rows into structs.

use super::stats::Moments;
use crate::ingest::normalize::GROUP;
use polars::prelude::*;

/// An error reading the canonical frame (a bug, not bad input).
pub fn frame_error(e: PolarsError) -> String {
    format!("internal data error: {e}")
}

/// A Float64 column of the canonical frame.
pub fn f64_col<'a>(frame: &'a DataFrame, name: &str) -> Result<&'a Float64Chunked, String> {
    frame
        .column(name)
        .map_err(frame_error)?
        .as_materialized_series()
        .f64()
        .map_err(frame_error)
}

/// A String column of the canonical frame.
pub fn str_col<'a>(frame: &'a DataFrame, name: &str) -> Result<&'a StringChunked, String> {
    frame
        .column(name)
        .map_err(frame_error)?
        .as_materialized_series()
        .str()
        .map_err(frame_error)
}

/// A Boolean column of the canonical frame.
pub fn bool_col<'a>(frame: &'a DataFrame, name: &str) -> Result<&'a BooleanChunked, String> {
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
    /// Codes for a string column; fast for few distinct values.
    pub fn of(ca: &StringChunked) -> Self {
        let mut names: Vec<String> = Vec::new();
        let mut map: PlHashMap<&str, u32> = PlHashMap::default();
        let mut last: Option<(&str, u32)> = None;
        let codes = ca
            .iter()
            .map(|v| match v {
                None => NO_CODE,
                Some(s) => {
                    if let Some((ls, lc)) = last {
                        if ls == s {
                            return lc;
                        }
                    }
                    let c = *map.entry(s).or_insert_with(|| {
                        names.push(s.to_string());
                        (names.len() - 1) as u32
                    });
                    last = Some((s, c));
                    c
                }
            })
            .collect();
        Codes { names, codes }
    }

    /// Group codes of the canonical frame.
    pub fn groups(frame: &DataFrame) -> Result<Self, String> {
        Ok(Self::of(str_col(frame, GROUP)?))
    }
}

/// Moments of `values` for each combined code `key[i]` in `0..k` (nulls and `NO_CODE`
/// skipped). Values are gathered per key so sums are pairwise, as numpy's.
pub fn moments_by(keys: &[u32], k: usize, values: &Float64Chunked) -> Vec<Moments> {
    values_by(keys, k, values).iter().map(|b| Moments::of(b)).collect()
}

/// Non-null values of a column split by key.
pub fn values_by(keys: &[u32], k: usize, values: &Float64Chunked) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = vec![Vec::new(); k];
    for (key, v) in keys.iter().zip(values.iter()) {
        if let (true, Some(x)) = (*key != NO_CODE, v) {
            out[*key as usize].push(x);
        }
    }
    out
}
