//! Columnar accumulation of parsed text rows: each parser thread fills a [`TableBuilder`]
//! for one block of lines; the block is finished into a [`RawTable`] (polars chunked arrays)
//! and appended, in file order, to the table of the whole load. No row structs are kept:
//! values go straight into column builders.

use super::cell::Cell;
use super::table::{
    is_bool_word, number_text, parse_number, Conflicts, RawColumn, RawData, RawTable,
};
use polars::prelude::*;

enum Data {
    /// Only nulls so far.
    Empty,
    Num {
        builder: PrimitiveChunkedBuilder<Float64Type>,
        conflicts: Conflicts,
        all_bool: bool,
    },
    Str {
        builder: StringChunkedBuilder,
        untyped: bool,
    },
}

struct ColumnBuilder {
    name: String,
    len: usize,
    data: Data,
}

/// A numeric column builder holding `nulls` leading nulls.
fn numeric(name: PlSmallStr, cap: usize, nulls: usize) -> Data {
    let mut builder = PrimitiveChunkedBuilder::<Float64Type>::new(name, cap);
    for _ in 0..nulls {
        builder.append_null();
    }
    Data::Num {
        builder,
        conflicts: Vec::new(),
        all_bool: true,
    }
}

impl ColumnBuilder {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            len: 0,
            data: Data::Empty,
        }
    }

    fn pad_to(&mut self, row: usize) {
        while self.len < row {
            match &mut self.data {
                Data::Empty => {}
                Data::Num { builder, .. } => builder.append_null(),
                Data::Str { builder, .. } => builder.append_null(),
            }
            self.len += 1;
        }
    }

    fn start(&mut self, cell: &Cell) {
        let nulls = self.len;
        let cap = (nulls + 1024).max(4096);
        let name: PlSmallStr = self.name.as_str().into();
        // untyped text that reads as a number starts a numeric column
        let numeric_text = matches!(cell, Cell::Text(t) if parse_number(t).is_some());
        self.data = match cell {
            Cell::Num(_) | Cell::Bool(_) => numeric(name, cap, nulls),
            Cell::Text(_) if numeric_text => numeric(name, cap, nulls),
            _ => {
                let mut builder = StringChunkedBuilder::new(name, cap);
                for _ in 0..nulls {
                    builder.append_null();
                }
                Data::Str {
                    builder,
                    untyped: matches!(cell, Cell::Text(_)),
                }
            }
        };
    }

    fn push(&mut self, row: usize, cell: &Cell) {
        if self.len > row {
            return; // duplicate key in one line: the first value wins
        }
        self.pad_to(row);
        if matches!(cell, Cell::Null) {
            return; // padding on the next push or at finish adds the null
        }
        if matches!(self.data, Data::Empty) {
            self.start(cell);
        }
        match (&mut self.data, cell) {
            (
                Data::Num {
                    builder, all_bool, ..
                },
                Cell::Num(v),
            ) => {
                *all_bool = false;
                builder.append_value(*v);
            }
            (Data::Num { builder, .. }, Cell::Bool(b)) => builder.append_value(*b as u8 as f64),
            (
                Data::Num {
                    builder,
                    conflicts,
                    all_bool,
                },
                Cell::Text(s),
            ) => match parse_number(s) {
                Some(v) => {
                    if !is_bool_word(s) {
                        *all_bool = false;
                    }
                    builder.append_value(v)
                }
                None => {
                    conflicts.push((row, s.to_string()));
                    builder.append_null();
                }
            },
            (
                Data::Num {
                    builder, conflicts, ..
                },
                Cell::Str(s),
            ) => {
                conflicts.push((row, s.to_string()));
                builder.append_null();
            }
            (Data::Str { builder, .. }, Cell::Str(s) | Cell::Text(s)) => builder.append_value(s),
            (Data::Str { builder, .. }, Cell::Num(v)) => builder.append_value(number_text(*v)),
            (Data::Str { builder, .. }, Cell::Bool(b)) => {
                builder.append_value(if *b { "true" } else { "false" })
            }
            (_, Cell::Null) | (Data::Empty, _) => unreachable!("handled above"),
        }
        self.len += 1;
    }

    fn finish(mut self, rows: usize) -> RawColumn {
        self.pad_to(rows);
        let data = match self.data {
            Data::Empty => RawData::Null,
            Data::Num {
                builder,
                conflicts,
                all_bool,
            } => RawData::Num {
                values: builder.finish(),
                conflicts,
                all_bool,
                unit: None,
            },
            Data::Str { builder, untyped } => RawData::Str {
                values: builder.finish(),
                untyped,
            },
        };
        RawColumn {
            name: self.name,
            len: rows,
            data,
        }
    }
}

/// Builds the columns of one block of rows.
pub struct TableBuilder {
    columns: Vec<ColumnBuilder>,
    index: PlHashMap<String, usize>,
    rows: usize,
    lines: Vec<u64>,
    /// Column index by key position in the previous row (rows usually repeat key order).
    order: Vec<usize>,
}

impl Default for TableBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TableBuilder {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            columns: Vec::new(),
            index: PlHashMap::default(),
            rows: 0,
            lines: Vec::new(),
            order: Vec::new(),
        }
    }

    /// Number of rows committed so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Commits one row of `(column, value)` pairs read from source line `line` (1-based).
    pub fn push_row<K: AsRef<str>>(&mut self, line: u64, cells: &[(K, Cell)]) {
        let row = self.rows;
        for (pos, (key, cell)) in cells.iter().enumerate() {
            let key = key.as_ref();
            let cached = self
                .order
                .get(pos)
                .copied()
                .filter(|&i| self.columns[i].name == key);
            let idx = match cached {
                Some(i) => i,
                None => {
                    let i = match self.index.get(key) {
                        Some(&i) => i,
                        None => {
                            let i = self.columns.len();
                            self.columns.push(ColumnBuilder::new(key));
                            self.index.insert(key.to_string(), i);
                            i
                        }
                    };
                    if pos < self.order.len() {
                        self.order[pos] = i;
                    } else {
                        self.order.push(i);
                    }
                    i
                }
            };
            self.columns[idx].push(row, cell);
        }
        self.lines.push(line);
        self.rows += 1;
    }

    /// Finishes the block into chunked arrays.
    pub fn finish(self) -> RawTable {
        let rows = self.rows;
        RawTable {
            rows,
            columns: self.columns.into_iter().map(|c| c.finish(rows)).collect(),
            lines: self.lines,
            file_ids: vec![],
        }
    }
}
