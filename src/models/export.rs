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

/// The columns of the export: probabilities (or values), predictions and the label, as
/// text for CSV; multi-class adds one probability column per class and model.
fn columns(c: &Compared) -> Vec<(String, Vec<Option<String>>)> {
    let n = c.champion.len();
    let num = crate::ingest::table::number_text;
    let text =
        |v: &[f64]| -> Vec<Option<String>> { v.iter().map(|x| Some(value_text(*x))).collect() };
    let mut out = vec![
        (
            "row".to_string(),
            (0..n).map(|i| Some(i.to_string())).collect(),
        ),
        ("champion_probability".to_string(), text(&c.champion)),
        ("challenger_probability".to_string(), text(&c.challenger)),
    ];
    if let Some(cp) = &c.classes {
        let (ta, tb) = cp.top();
        let name = |i: usize| Some(cp.classes[i].clone());
        out.push((
            "champion_prediction".into(),
            ta.into_iter().map(name).collect(),
        ));
        out.push((
            "challenger_prediction".into(),
            tb.into_iter().map(name).collect(),
        ));
        out.push((
            "label".into(),
            (0..n)
                .map(|i| label(c, i).and_then(|l| cp.classes.get(l as usize).cloned()))
                .collect(),
        ));
        let k = cp.classes.len();
        for (role, p) in [("champion", &cp.champion), ("challenger", &cp.challenger)] {
            for (j, class) in cp.classes.iter().enumerate() {
                out.push((
                    format!("{role}_p_{class}"),
                    (0..n).map(|i| Some(value_text(p[i * k + j]))).collect(),
                ));
            }
        }
        return out;
    }
    let (ca, cb) = classes(c);
    out.push((
        "champion_prediction".into(),
        ca.iter().map(|v| Some(num(*v))).collect(),
    ));
    out.push((
        "challenger_prediction".into(),
        cb.iter().map(|v| Some(num(*v))).collect(),
    ));
    out.push((
        "label".into(),
        (0..n).map(|i| label(c, i).map(num)).collect(),
    ));
    out
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
    let cols = columns(c);
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(cols.iter().map(|(name, _)| name.as_str()));
    for i in 0..c.champion.len() {
        let _ = w.write_record(cols.iter().map(|(_, v)| v[i].as_deref().unwrap_or("")));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
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
    let labels: Vec<Option<f64>> = (0..n).map(|i| label(c, i)).collect();
    let mut cols = vec![
        Column::new("row".into(), (0..n as u64).collect::<Vec<u64>>()),
        Column::new("champion_probability".into(), c.champion.clone()),
        Column::new("challenger_probability".into(), c.challenger.clone()),
    ];
    if let Some(cp) = &c.classes {
        let (ta, tb) = cp.top();
        let name = |v: Vec<usize>| -> Vec<String> {
            v.into_iter().map(|i| cp.classes[i].clone()).collect()
        };
        cols.push(Column::new("champion_prediction".into(), name(ta)));
        cols.push(Column::new("challenger_prediction".into(), name(tb)));
        let text: Vec<Option<String>> = labels
            .iter()
            .map(|l| l.and_then(|l| cp.classes.get(l as usize).cloned()))
            .collect();
        cols.push(Column::new("label".into(), text));
        let k = cp.classes.len();
        for (role, p) in [("champion", &cp.champion), ("challenger", &cp.challenger)] {
            for (j, class) in cp.classes.iter().enumerate() {
                let v: Vec<f64> = (0..n).map(|i| p[i * k + j]).collect();
                cols.push(Column::new(format!("{role}_p_{class}").into(), v));
            }
        }
    } else {
        let (ca, cb) = classes(c);
        cols.push(Column::new("champion_prediction".into(), ca));
        cols.push(Column::new("challenger_prediction".into(), cb));
        cols.push(Column::new("label".into(), labels));
    }
    let mut df = DataFrame::new(n, cols).map_err(|e| write_error(e.to_string()))?;
    let f = std::fs::File::create(path).map_err(|e| write_error(e.to_string()))?;
    ParquetWriter::new(f)
        .finish(&mut df)
        .map_err(|e| write_error(format!("Parquet: {e}")))
        .map(|_| ())
}
