//! A dataset with the groups of some error events corrected: each time-attributed error is
//! charged to its user's nearest assignment within its own stage, or dropped (counted) when
//! the user has none there.

use crate::analysis::columns::{frame_error, str_col};
use crate::analysis::error::AnalysisError;
use crate::ingest::normalize::{GROUP, GROUP_BY_TIME};
use crate::ingest::Dataset;
use polars::prelude::*;
use std::collections::HashMap;

/// The corrected dataset and the number of error rows dropped as unattributable.
pub fn regrouped(
    ds: &Dataset,
    names: &[String],
    fixes: &[(usize, Option<u32>)],
) -> Result<(Dataset, u64), AnalysisError> {
    let fix: HashMap<usize, Option<u32>> = fixes.iter().copied().collect();
    let groups = str_col(&ds.frame, GROUP)?;
    let new: StringChunked = groups
        .iter()
        .enumerate()
        .map(|(r, g)| match fix.get(&r) {
            Some(Some(c)) => names.get(*c as usize).map(String::as_str).or(g),
            _ => g,
        })
        .collect::<StringChunked>()
        .with_name(GROUP.into());
    let n = ds.frame.height();
    let keep: BooleanChunked = (0..n)
        .map(|r| !matches!(fix.get(&r), Some(None)))
        .collect::<BooleanChunked>()
        .with_name("keep".into());
    let dropped = fixes.iter().filter(|f| f.1.is_none()).count() as u64;
    let mut frame = ds.frame.clone();
    frame.with_column(new.into_column()).map_err(frame_error)?;
    // every time-attributed row is now checked within its stage
    frame
        .with_column(BooleanChunked::full(GROUP_BY_TIME.into(), false, n).into_column())
        .map_err(frame_error)?;
    let frame = if dropped > 0 {
        frame.filter(&keep).map_err(frame_error)?
    } else {
        frame
    };
    Ok((
        Dataset {
            frame,
            ..ds.clone()
        },
        dropped,
    ))
}
