//! The holdout set: any format the ingest reads, columns in any order; feature columns as
//! numbers or text, the label, and low-cardinality text columns to break agreement down by.

use super::error::ModelError;
use crate::ingest::table::{RawColumn, RawData};
use crate::ingest::{self, RawLoad};
use std::sync::atomic::AtomicBool;

/// A loaded holdout.
pub struct Holdout {
    /// The file.
    pub path: String,
    /// Parsed columns.
    pub raw: RawLoad,
}

/// Names taken as the label when `--label` is not given.
const LABEL_NAMES: &[&str] = &[
    "label",
    "target",
    "y",
    "class",
    "outcome",
    "ground_truth",
    "is_positive",
    "actual",
];

impl Holdout {
    /// Reads a holdout file; the error names it.
    pub fn read(path: &str, cancel: &AtomicBool) -> Result<Self, ModelError> {
        let raw = ingest::read_raw(&[path.to_string()], &|_| {}, cancel)?;
        if raw.table.rows == 0 {
            return Err(ModelError::holdout(path, "the holdout has no rows"));
        }
        Ok(Self {
            path: path.to_string(),
            raw,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.raw.table.rows
    }

    /// Column names in file order.
    pub fn columns(&self) -> Vec<String> {
        self.raw
            .table
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&RawColumn> {
        self.raw.table.columns.iter().find(|c| c.name == name)
    }

    /// Whether a column holds numbers.
    pub fn is_numeric(&self, name: &str) -> bool {
        matches!(
            self.column(name).map(|c| &c.data),
            Some(RawData::Num { .. })
        )
    }

    fn line(&self, row: usize) -> u64 {
        self.raw
            .table
            .lines
            .get(row)
            .copied()
            .unwrap_or(row as u64 + 1)
    }

    /// A feature column as numbers. Text in it, or missing values (unless `allow_missing`,
    /// which passes them as NaN), are errors naming the column, the count and the first row.
    pub fn numeric(&self, name: &str, allow_missing: bool) -> Result<Vec<f64>, ModelError> {
        let bad = |problem: String| ModelError::holdout(&self.path, problem);
        let col = self
            .column(name)
            .ok_or_else(|| bad(format!("the holdout has no column {name:?}")))?;
        match &col.data {
            RawData::Null => Err(bad(format!("column {name:?} is empty"))),
            RawData::Str { values, .. } => {
                let first = values.iter().enumerate().find(|(_, v)| v.is_some());
                Err(bad(format!(
                    "column {name:?} holds text, not numbers (line {}: {:?})",
                    first.map_or(0, |(r, _)| self.line(r)),
                    first
                        .and_then(|(_, v)| v)
                        .unwrap_or("")
                        .chars()
                        .take(40)
                        .collect::<String>()
                )))
            }
            RawData::Num {
                values, conflicts, ..
            } => {
                if let Some((r, t)) = conflicts.first() {
                    return Err(bad(format!(
                        "column {name:?} has {} non-number value(s), first at line {}: {:?}",
                        conflicts.len(),
                        self.line(*r),
                        t.chars().take(40).collect::<String>()
                    )));
                }
                let out: Vec<f64> = values.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
                if !allow_missing {
                    let missing: Vec<usize> = out
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| v.is_nan())
                        .map(|(i, _)| i)
                        .collect();
                    if let Some(first) = missing.first() {
                        return Err(bad(format!(
                            "column {name:?} has {} missing or NaN value(s), first at line {} (use --allow-missing to pass NaN to models that handle missing values)",
                            missing.len(),
                            self.line(*first)
                        )));
                    }
                }
                Ok(out)
            }
        }
    }

    /// A column as text (numbers printed as a log writer would).
    pub fn text(&self, name: &str) -> Option<Vec<Option<String>>> {
        let col = self.column(name)?;
        Some(
            col.to_text(name)
                .iter()
                .map(|v| v.map(str::to_string))
                .collect(),
        )
    }

    /// One cell as text (numbers printed as a log writer would), without formatting the
    /// rest of the column.
    pub fn cell_text(&self, name: &str, row: usize) -> Option<String> {
        match &self.column(name)?.data {
            RawData::Null => None,
            RawData::Str { values, .. } => values.get(row).map(str::to_string),
            RawData::Num {
                values, conflicts, ..
            } => match values.get(row) {
                Some(v) => Some(crate::ingest::table::number_text(v)),
                None => conflicts
                    .iter()
                    .find(|(r, _)| *r == row)
                    .map(|(_, t)| t.clone()),
            },
        }
    }

    /// The label column: the one named, else a conventional name.
    pub fn label_column(&self, explicit: Option<&str>) -> Result<Option<String>, ModelError> {
        if let Some(l) = explicit {
            return match self.column(l) {
                Some(_) => Ok(Some(l.to_string())),
                None => Err(ModelError::holdout(
                    &self.path,
                    format!(
                        "no label column {l:?} (columns: {})",
                        self.columns().join(", ")
                    ),
                )),
            };
        }
        Ok(self
            .raw
            .table
            .columns
            .iter()
            .find(|c| LABEL_NAMES.contains(&c.name.to_ascii_lowercase().as_str()))
            .map(|c| c.name.clone()))
    }

    /// Labels as numbers: 0/1 for classification (true/false, yes/no, positive/negative
    /// and the manifest's positive class are understood), raw values for regression. Rows
    /// without a label are NaN.
    pub fn labels(&self, name: &str, positive: Option<&str>, regression: bool) -> Vec<f64> {
        let text = self.text(name).unwrap_or_default();
        text.iter()
            .map(|v| {
                let Some(t) = v.as_deref().map(str::trim) else {
                    return f64::NAN;
                };
                if regression {
                    return t.parse::<f64>().unwrap_or(f64::NAN);
                }
                if let Some(p) = positive {
                    if t == p {
                        return 1.0;
                    }
                    if let (Ok(a), Ok(b)) = (t.parse::<f64>(), p.parse::<f64>()) {
                        return if a == b { 1.0 } else { 0.0 };
                    }
                    // text classes: anything but the positive class is negative
                    if ingest::normalize::parse_label(p).is_none() {
                        return 0.0;
                    }
                }
                ingest::normalize::parse_label(t).unwrap_or(f64::NAN)
            })
            .collect()
    }

    /// Text columns with 2..=50 distinct values (segments), except the excluded ones.
    pub fn segment_columns(&self, exclude: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.raw.table.columns {
            if exclude.contains(&c.name.as_str()) || !matches!(c.data, RawData::Str { .. }) {
                continue;
            }
            let text = c.to_text(&c.name);
            let mut seen = std::collections::HashSet::new();
            for v in text.iter().flatten() {
                seen.insert(v);
                if seen.len() > 50 {
                    break;
                }
            }
            if (2..=50).contains(&seen.len()) {
                out.push(c.name.clone());
            }
        }
        out
    }
}
