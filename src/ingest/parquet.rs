//! Parquet input through polars, mapped onto the same raw table as the text formats.
//! Timestamp and date columns keep the unit their schema declares: their physical values
//! (UTC-based for zoned timestamps, wall clock read as UTC for naive ones) are converted
//! to microseconds here and never guessed by magnitude.

use super::error::IngestError;
use super::table::{RawColumn, RawData, RawTable};
use super::time::EpochUnit;
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
                unit: None,
            },
            None => return,
        },
        DataType::Datetime(unit, _) => match typed_time_us(s, time_unit_micros(*unit)) {
            Some(values) => values,
            None => return,
        },
        DataType::Date => match typed_time_us(s, 86_400e6) {
            Some(values) => values,
            None => return,
        },
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
                unit: None,
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

/// Microseconds per unit of a typed timestamp.
fn time_unit_micros(unit: TimeUnit) -> f64 {
    match unit {
        TimeUnit::Nanoseconds => 1e-3,
        TimeUnit::Microseconds => 1.0,
        TimeUnit::Milliseconds => 1e3,
    }
}

/// A typed time column as UTC microseconds: its physical integers (time-zone independent)
/// times `micros_per_unit`, marked as microsecond epochs.
fn typed_time_us(s: &Series, micros_per_unit: f64) -> Option<RawData> {
    let physical = s.to_physical_repr().cast(&DataType::Int64).ok()?;
    let values: Float64Chunked = physical
        .i64()
        .ok()?
        .iter()
        .map(|v| v.map(|x| (x as f64 * micros_per_unit).round()))
        .collect();
    Some(RawData::Num {
        values,
        conflicts: vec![],
        all_bool: false,
        unit: Some(EpochUnit::Us),
    })
}

fn as_f64(s: &Series) -> Option<Float64Chunked> {
    s.cast(&DataType::Float64).ok()?.f64().ok().cloned()
}

/// Reads a Parquet file in chunks of `rows_per_chunk` rows, each handed to `sink` as a raw
/// table with its first row's index and the file's rows (a streamed read: one chunk in
/// memory at a time — polars reads only the row groups a chunk overlaps; the file is mapped
/// per chunk, so its pages leave memory with it).
/// `sink` returns false to stop.
pub fn read_chunks(
    path: &Path,
    rows_per_chunk: usize,
    sink: &mut dyn FnMut(RawTable, usize, usize) -> Result<bool, IngestError>,
) -> Result<(), IngestError> {
    let unreadable =
        |e: PolarsError| IngestError::unreadable(path, &format!("cannot read Parquet: {e}"));
    let open = || File::open(path).map_err(|e| IngestError::io(path, &e));
    let mut reader = ParquetReader::new(open()?);
    let metadata = reader.get_metadata().map_err(unreadable)?.clone();
    let total: usize = metadata.row_groups.iter().map(|g| g.num_rows()).sum();
    let mut start = 0usize;
    while start < total {
        let len = rows_per_chunk.max(1).min(total - start);
        let mut reader = ParquetReader::new(open()?).with_slice(Some((start, len)));
        reader.set_metadata(metadata.clone());
        let df = reader.finish().map_err(unreadable)?;
        let rows = df.height();
        let mut columns = Vec::new();
        for c in df.columns() {
            add_column(c.as_materialized_series(), None, &mut columns);
        }
        drop(df);
        let table = RawTable {
            rows,
            columns,
            lines: (start as u64 + 1..=(start + rows) as u64).collect(),
            file_ids: vec![],
        };
        if !sink(table, start, total)? {
            break;
        }
        start += len;
    }
    Ok(())
}
