//! `--export-predictions`: one row per holdout row with both models' predictions, as CSV or
//! Parquet (by extension).

use super::compare::Compared;
use super::error::ModelError;
use polars::prelude::*;
use std::path::Path;

/// A probability or value as CSV text: shortest round-trip form, exponent for very small or
/// large magnitudes (no 60-digit decimal expansions).
fn value_text(v: f64) -> String {
    let a = v.abs();
    if v != 0.0 && !(1e-4..1e15).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Predicted class of each holdout row for both models (the value itself for regression).
fn classes(c: &Compared) -> (Vec<f64>, Vec<f64>) {
    let regression = c.report.champion.task == Some(crate::report::compare::ModelTask::Regression);
    let class = |p: &[f64], t: f64| -> Vec<f64> {
        p.iter()
            .map(|p| match (regression, *p >= t) {
                (true, _) => *p,
                (false, true) => 1.0,
                (false, false) => 0.0,
            })
            .collect()
    };
    (
        class(&c.champion, c.report.champion.threshold),
        class(&c.challenger, c.report.challenger.threshold),
    )
}

/// The label of row `i`, when there is one.
fn label(c: &Compared, i: usize) -> Option<f64> {
    c.labels.as_ref().map(|l| l[i]).filter(|v| !v.is_nan())
}

/// The per-row predictions as CSV text.
pub fn predictions_csv(c: &Compared) -> String {
    let num = crate::ingest::table::number_text;
    let (ca, cb) = classes(c);
    let mut out = String::from("row,champion_probability,challenger_probability,champion_prediction,challenger_prediction,label\n");
    for i in 0..c.champion.len() {
        out.push_str(&format!(
            "{i},{},{},{},{},{}\n",
            value_text(c.champion[i]),
            value_text(c.challenger[i]),
            num(ca[i]),
            num(cb[i]),
            label(c, i).map(num).unwrap_or_default()
        ));
    }
    out
}

/// Writes the per-row predictions; the error names the file.
pub fn export_predictions(c: &Compared, path: &Path) -> Result<(), ModelError> {
    let shown = path.display().to_string();
    let write_error = |problem: String| ModelError::Write {
        file: shown.clone(),
        problem,
    };
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext != "parquet" && ext != "pq" {
        return std::fs::write(path, predictions_csv(c)).map_err(|e| write_error(e.to_string()));
    }
    let n = c.champion.len();
    let (ca, cb) = classes(c);
    let labels: Vec<Option<f64>> = (0..n).map(|i| label(c, i)).collect();
    let mut df = DataFrame::new(
        n,
        vec![
            Column::new("row".into(), (0..n as u64).collect::<Vec<u64>>()),
            Column::new("champion_probability".into(), c.champion.clone()),
            Column::new("challenger_probability".into(), c.challenger.clone()),
            Column::new("champion_prediction".into(), ca),
            Column::new("challenger_prediction".into(), cb),
            Column::new("label".into(), labels),
        ],
    )
    .map_err(|e| write_error(e.to_string()))?;
    let f = std::fs::File::create(path).map_err(|e| write_error(e.to_string()))?;
    ParquetWriter::new(f)
        .finish(&mut df)
        .map_err(|e| write_error(format!("Parquet: {e}")))
        .map(|_| ())
}
