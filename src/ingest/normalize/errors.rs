//! Error events: which rows are errors (a non-zero number, or text other than ok/none/
//! false) and their error text.

use super::coerce::{is_error_text, str_series};
use super::{ERROR, IS_ERROR};
use crate::ingest::table::{number_text, RawColumn, RawData};
use polars::prelude::*;

/// The error flag and error text of every row (no error column: no errors).
pub(super) fn error_events(
    col: Option<&RawColumn>,
    rows: usize,
) -> (BooleanChunked, StringChunked) {
    match col {
        None => (
            BooleanChunked::full(IS_ERROR.into(), false, rows),
            StringChunked::full_null(ERROR.into(), rows),
        ),
        Some(c) => match &c.data {
            RawData::Num { values, .. } => (
                values
                    .iter()
                    .map(|v| v.is_some_and(|x| x != 0.0))
                    .collect::<BooleanChunked>()
                    .with_name(IS_ERROR.into()),
                values
                    .iter()
                    .map(|v| v.filter(|x| *x != 0.0).map(number_text))
                    .collect::<StringChunked>()
                    .with_name(ERROR.into()),
            ),
            _ => {
                let text = str_series(ERROR, Some(c), rows);
                let flags: BooleanChunked =
                    text.iter().map(|v| v.is_some_and(is_error_text)).collect();
                let text = if flags.sum().unwrap_or(0) as usize == text.len() - text.null_count() {
                    text
                } else {
                    text.iter()
                        .zip(flags.iter())
                        .map(|(t, f)| t.filter(|_| f == Some(true)))
                        .collect::<StringChunked>()
                        .with_name(ERROR.into())
                };
                (flags.with_name(IS_ERROR.into()), text)
            }
        },
    }
}
