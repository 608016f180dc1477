//! Parquet input through polars, mapped onto the same raw table as the text formats.

use super::error::IngestError;
use super::table::{RawColumn, RawData, RawTable};
use polars::prelude::*;
use std::fs::File;
use std::path::Path;

/// Reads a Parquet file into a raw table (row numbers stand in for line numbers).
pub fn read(path: &Path) -> Result<RawTable, IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, &e))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| IngestError::unreadable(path, &format!("cannot read Parquet: {e}")))?;
    let rows = df.height();
    let mut columns = Vec::new();
    for c in df.columns() {
        add_column(c.as_materialized_series(), None, &mut columns);
    }
    Ok(RawTable {
        rows,
        columns,
        lines: (1..=rows as u64).collect(),
        file_ids: vec![],
    })
}

fn add_column(s: &Series, prefix: Option<&str>, out: &mut Vec<RawColumn>) {
    let name = match prefix {
        Some(p) => format!("{p}.{}", s.name()),
        None => s.name().to_string(),
    };
    let len = s.len();
    let data = match s.dtype() {
        DataType::Boolean => match as_f64(s) {
            Some(values) => RawData::Num {
                values,
                conflicts: vec![],
                all_bool: true,
            },
            None => return,
        },
        DataType::Datetime(_, _) | DataType::Date => {
            let us = s
                .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
                .and_then(|x| x.cast(&DataType::Int64));
            match us.ok().as_ref().and_then(as_f64) {
                Some(values) => RawData::Num {
                    values,
                    conflicts: vec![],
                    all_bool: false,
                },
                None => return,
            }
        }
        DataType::Struct(_) => {
            if let Ok(st) = s.struct_() {
                for f in st.fields_as_series() {
                    add_column(&f, Some(&name), out);
                }
            }
            return;
        }
        dt if dt.is_primitive_numeric() => match as_f64(s) {
            Some(values) => RawData::Num {
                values,
                conflicts: vec![],
                all_bool: false,
            },
            None => return,
        },
        // strings as they are, anything else as its text (columns that cannot be are skipped)
        _ => match s
            .cast(&DataType::String)
            .ok()
            .and_then(|v| v.str().ok().cloned())
        {
            Some(values) => RawData::Str {
                values,
                untyped: false,
            },
            None => return,
        },
    };
    out.push(RawColumn { name, len, data });
}

fn as_f64(s: &Series) -> Option<Float64Chunked> {
    s.cast(&DataType::Float64).ok()?.f64().ok().cloned()
}
