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
        DataType::String => RawData::Str {
            values: s.str().expect("string").clone(),
            untyped: false,
        },
        DataType::Boolean => RawData::Num {
            values: s
                .cast(&DataType::Float64)
                .expect("bool cast")
                .f64()
                .expect("f64")
                .clone(),
            conflicts: vec![],
            all_bool: true,
        },
        DataType::Datetime(_, _) | DataType::Date => {
            let us = s
                .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
                .and_then(|x| x.cast(&DataType::Int64))
                .and_then(|x| x.cast(&DataType::Float64));
            match us {
                Ok(v) => RawData::Num {
                    values: v.f64().expect("f64").clone(),
                    conflicts: vec![],
                    all_bool: false,
                },
                Err(_) => return,
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
        dt if dt.is_primitive_numeric() => RawData::Num {
            values: s
                .cast(&DataType::Float64)
                .expect("numeric cast")
                .f64()
                .expect("f64")
                .clone(),
            conflicts: vec![],
            all_bool: false,
        },
        _ => match s.cast(&DataType::String) {
            Ok(v) => RawData::Str {
                values: v.str().expect("string").clone(),
                untyped: false,
            },
            Err(_) => return,
        },
    };
    out.push(RawColumn { name, len, data });
}
