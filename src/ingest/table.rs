//! The raw table of a load: named columns of numbers or text (polars chunked arrays), with
//! the file and line of every row. Parsed text rows arrive through [`super::builder`].

pub use super::builder::TableBuilder;
use super::time::EpochUnit;
use polars::prelude::*;

/// A value that could not be stored in its column's type, kept as text by row index.
pub type Conflicts = Vec<(usize, String)>;

/// Formats a number the way a log writer would: integral values without a fraction.
pub fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The values of one column, typed as far as the source allowed.
pub enum RawData {
    /// No value at all.
    Null,
    /// Numbers (booleans as 0/1); `conflicts` keeps strings found in this numeric column.
    Num {
        /// The numeric values (null where missing or conflicting).
        values: Float64Chunked,
        /// Row index and text of values that were not numbers.
        conflicts: Conflicts,
        /// Every value was a JSON boolean.
        all_bool: bool,
        /// The epoch unit the source's schema declares for these numbers (a typed
        /// timestamp column, stored as UTC microseconds); None for plain numbers.
        unit: Option<EpochUnit>,
    },
    /// Strings; `untyped` when they came from CSV/app-log text and may be numbers.
    Str {
        /// The string values.
        values: StringChunked,
        /// Came from an untyped text format.
        untyped: bool,
    },
}

/// One named column of a [`RawTable`].
pub struct RawColumn {
    /// Column name as in the source.
    pub name: String,
    /// Number of rows.
    pub len: usize,
    /// The values.
    pub data: RawData,
}

impl RawColumn {
    /// Whether at least `need` of the rows where `mask` is true (every row when None) have
    /// a value; stops reading as soon as they are found.
    pub fn present_on(&self, mask: Option<&[bool]>, need: usize) -> bool {
        let mut found = 0usize;
        let mut count = |has: bool, r: usize| {
            if has && mask.is_none_or(|m| m.get(r).copied().unwrap_or(false)) {
                found += 1;
            }
            found >= need
        };
        match &self.data {
            RawData::Null => need == 0,
            RawData::Num { values, .. } => values
                .iter()
                .enumerate()
                .any(|(r, v)| count(v.is_some(), r)),
            RawData::Str { values, .. } => values
                .iter()
                .enumerate()
                .any(|(r, v)| count(v.is_some_and(|s| !s.trim().is_empty()), r)),
        }
    }

    /// For every row, whether it has a value (non-blank text or a number), in one pass.
    pub fn present(&self) -> Vec<bool> {
        match &self.data {
            RawData::Null => vec![false; self.len],
            RawData::Num { values, .. } => values.iter().map(|v| v.is_some()).collect(),
            RawData::Str { values, .. } => values
                .iter()
                .map(|v| v.is_some_and(|s| !s.trim().is_empty()))
                .collect(),
        }
    }

    /// Whether row `r` has a value (non-blank text or a number); one row at a time, so
    /// for a few rows only — [`Self::present`] reads a whole column.
    pub fn has_value(&self, r: usize) -> bool {
        match &self.data {
            RawData::Null => false,
            RawData::Num { values, .. } => values.get(r).is_some(),
            RawData::Str { values, .. } => values.get(r).is_some_and(|s| !s.trim().is_empty()),
        }
    }

    /// The values as text named `name`: strings as they are (no copy), numbers as a log
    /// writer would print them, conflicting values as their original text.
    pub fn to_text(&self, name: &str) -> StringChunked {
        let name: PlSmallStr = name.into();
        match &self.data {
            RawData::Null => StringChunked::full_null(name, self.len),
            RawData::Str { values, .. } => values.clone().with_name(name),
            RawData::Num {
                values, conflicts, ..
            } => {
                let mut texts: Vec<Option<String>> =
                    values.iter().map(|v| v.map(number_text)).collect();
                for (row, text) in conflicts {
                    texts[*row] = Some(text.clone());
                }
                StringChunked::from_iter_options(name, texts.into_iter())
            }
        }
    }

    /// Appends `other` (same name) below this column, unifying types.
    fn append(&mut self, other: RawColumn) {
        let offset = self.len;
        let total = self.len + other.len;
        let name: PlSmallStr = self.name.as_str().into();
        let me = std::mem::replace(
            self,
            RawColumn {
                name: self.name.clone(),
                len: 0,
                data: RawData::Null,
            },
        );
        let data = match (me.data, other.data) {
            (RawData::Null, RawData::Null) => RawData::Null,
            (
                RawData::Num {
                    mut values,
                    mut conflicts,
                    all_bool,
                    unit,
                },
                RawData::Num {
                    values: v2,
                    conflicts: c2,
                    all_bool: b2,
                    unit: u2,
                },
            ) => {
                values.append_owned(v2).ok();
                conflicts.extend(c2.into_iter().map(|(r, t)| (r + offset, t)));
                RawData::Num {
                    values,
                    conflicts,
                    all_bool: all_bool && b2,
                    // files that disagree on the unit leave it to the magnitude
                    unit: if unit == u2 { unit } else { None },
                }
            }
            (
                RawData::Num {
                    mut values,
                    conflicts,
                    all_bool,
                    unit,
                },
                RawData::Null,
            ) => {
                values
                    .append_owned(Float64Chunked::full_null(name, other.len))
                    .ok();
                RawData::Num {
                    values,
                    conflicts,
                    all_bool,
                    unit,
                }
            }
            (
                RawData::Null,
                RawData::Num {
                    values: v2,
                    conflicts: c2,
                    all_bool,
                    unit,
                },
            ) => {
                let mut values = Float64Chunked::full_null(name, offset);
                values.append_owned(v2).ok();
                RawData::Num {
                    values,
                    conflicts: c2.into_iter().map(|(r, t)| (r + offset, t)).collect(),
                    all_bool,
                    unit,
                }
            }
            (a, b) => {
                let untyped = matches!(a, RawData::Str { untyped: true, .. })
                    || matches!(b, RawData::Str { untyped: true, .. });
                let mut values = RawColumn {
                    name: me.name.clone(),
                    len: me.len,
                    data: a,
                }
                .to_text(&me.name);
                let tail = RawColumn {
                    name: me.name.clone(),
                    len: other.len,
                    data: b,
                }
                .to_text(&me.name);
                values.append_owned(tail).ok();
                RawData::Str { values, untyped }
            }
        };
        *self = RawColumn {
            name: me.name,
            len: total,
            data,
        };
    }
}

/// Columns of many rows plus, for each row, the file and the 1-based line it came from.
pub struct RawTable {
    /// Number of rows.
    pub rows: usize,
    /// Columns in first-seen order.
    pub columns: Vec<RawColumn>,
    /// Source line of each row.
    pub lines: Vec<u64>,
    /// Source file index of each row (filled when blocks are appended).
    pub file_ids: Vec<u32>,
}

impl RawTable {
    /// An empty table.
    pub fn empty() -> Self {
        Self {
            rows: 0,
            columns: vec![],
            lines: vec![],
            file_ids: vec![],
        }
    }

    /// Appends a block read from file `file_id` below this table.
    pub fn append(&mut self, mut other: RawTable, file_id: u32) {
        let offset = self.rows;
        for col in &mut self.columns {
            let pos = other.columns.iter().position(|c| c.name == col.name);
            let tail = match pos {
                Some(p) => other.columns.swap_remove(p),
                None => RawColumn {
                    name: col.name.clone(),
                    len: other.rows,
                    data: RawData::Null,
                },
            };
            col.append(tail);
        }
        for c in other.columns {
            let mut head = RawColumn {
                name: c.name.clone(),
                len: offset,
                data: RawData::Null,
            };
            head.append(c);
            self.columns.push(head);
        }
        self.rows += other.rows;
        self.file_ids
            .extend(std::iter::repeat_n(file_id, other.lines.len()));
        self.lines.append(&mut other.lines);
    }

    /// Splits off the rows from `at` on (the rest stays here), for chunked reads.
    pub fn split_off(&mut self, at: usize) -> RawTable {
        let at = at.min(self.rows);
        let rest = self.rows - at;
        let columns = self
            .columns
            .iter_mut()
            .map(|c| {
                let data = match &mut c.data {
                    RawData::Null => RawData::Null,
                    RawData::Num {
                        values,
                        conflicts,
                        all_bool,
                        unit,
                    } => {
                        let tail = values.slice(at as i64, rest);
                        *values = values.slice(0, at);
                        let moved: Conflicts = conflicts
                            .iter()
                            .filter(|(r, _)| *r >= at)
                            .map(|(r, t)| (r - at, t.clone()))
                            .collect();
                        conflicts.retain(|(r, _)| *r < at);
                        RawData::Num {
                            values: tail,
                            conflicts: moved,
                            all_bool: *all_bool,
                            unit: *unit,
                        }
                    }
                    RawData::Str { values, untyped } => {
                        let tail = values.slice(at as i64, rest);
                        *values = values.slice(0, at);
                        RawData::Str {
                            values: tail,
                            untyped: *untyped,
                        }
                    }
                };
                c.len = at;
                RawColumn {
                    name: c.name.clone(),
                    len: rest,
                    data,
                }
            })
            .collect();
        self.rows = at;
        RawTable {
            rows: rest,
            columns,
            lines: self.lines.split_off(at.min(self.lines.len())),
            file_ids: self.file_ids.split_off(at.min(self.file_ids.len())),
        }
    }

    /// Turns untyped text columns that are (almost) all numbers into numeric columns, the
    /// rest of their values becoming conflicts.
    pub fn infer_types(&mut self) {
        for col in &mut self.columns {
            if let RawData::Str {
                values,
                untyped: true,
            } = &col.data
            {
                if let Some(num) = infer_numeric(values) {
                    col.data = num;
                }
            }
        }
    }
}

pub(super) fn is_bool_word(t: &str) -> bool {
    matches!(
        t.trim(),
        "true" | "false" | "True" | "False" | "TRUE" | "FALSE"
    )
}

/// Parses a text cell as a number: decimal numbers and `true`/`false`.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    match t {
        "true" | "True" | "TRUE" => Some(1.0),
        "false" | "False" | "FALSE" => Some(0.0),
        _ => t.parse::<f64>().ok(),
    }
}

fn infer_numeric(values: &StringChunked) -> Option<RawData> {
    let mut ok = 0usize;
    let mut bad = 0usize;
    let mut all_bool = true;
    for v in values.iter().flatten() {
        let t = v.trim();
        if t.is_empty() {
            continue;
        }
        match parse_number(t) {
            Some(_) => {
                ok += 1;
                if !matches!(t, "true" | "false" | "True" | "False" | "TRUE" | "FALSE") {
                    all_bool = false;
                }
            }
            None => bad += 1,
        }
    }
    if ok == 0 || bad * 10 > ok + bad {
        return None;
    }
    let mut conflicts = Vec::new();
    let nums: Float64Chunked = values
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => None,
            Some(t) if t.trim().is_empty() => None,
            Some(t) => match parse_number(t) {
                Some(x) => Some(x),
                None => {
                    conflicts.push((i, t.to_string()));
                    None
                }
            },
        })
        .collect();
    Some(RawData::Num {
        values: nums.with_name(values.name().clone()),
        conflicts,
        all_bool,
        unit: None,
    })
}
