//! `--export-predictions`: one row per holdout row with both models' predictions, as CSV or
//! Parquet (by extension).

use super::compare::Compared;
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

/// The per-row predictions as CSV text.
pub fn predictions_csv(c: &Compared) -> String {
    let (ta, tb) = (c.report.champion.threshold, c.report.challenger.threshold);
    let regression = c.report.champion.task == "regression";
    let class = |p: f64, t: f64| {
        if regression {
            p
        } else if p >= t {
            1.0
        } else {
            0.0
        }
    };
    let num = |v: f64| {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        }
    };
    let mut out = String::from("row,champion_probability,challenger_probability,champion_prediction,challenger_prediction,label\n");
    for i in 0..c.champion.len() {
        let label = c.labels.as_ref().map(|l| l[i]).filter(|v| !v.is_nan());
        out.push_str(&format!(
            "{i},{},{},{},{},{}\n",
            value_text(c.champion[i]),
            value_text(c.challenger[i]),
            num(class(c.champion[i], ta)),
            num(class(c.challenger[i], tb)),
            label.map(num).unwrap_or_default()
        ));
    }
    out
}

/// Writes the per-row predictions; the error names the file.
pub fn export_predictions(c: &Compared, path: &Path) -> Result<(), String> {
    let shown = path.display().to_string();
    let (ta, tb) = (c.report.champion.threshold, c.report.challenger.threshold);
    let regression = c.report.champion.task == "regression";
    let class = |p: f64, t: f64| {
        if regression {
            p
        } else if p >= t {
            1.0
        } else {
            0.0
        }
    };
    let n = c.champion.len();
    let rows: Vec<u64> = (0..n as u64).collect();
    let pa: Vec<f64> = c.champion.clone();
    let pb: Vec<f64> = c.challenger.clone();
    let ca: Vec<f64> = c.champion.iter().map(|p| class(*p, ta)).collect();
    let cb: Vec<f64> = c.challenger.iter().map(|p| class(*p, tb)).collect();
    let label: Vec<Option<f64>> = match &c.labels {
        Some(l) => l.iter().map(|v| (!v.is_nan()).then_some(*v)).collect(),
        None => vec![None; n],
    };
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext == "parquet" || ext == "pq" {
        let mut df = DataFrame::new(
            n,
            vec![
                Column::new("row".into(), rows),
                Column::new("champion_probability".into(), pa),
                Column::new("challenger_probability".into(), pb),
                Column::new("champion_prediction".into(), ca),
                Column::new("challenger_prediction".into(), cb),
                Column::new("label".into(), label),
            ],
        )
        .map_err(|e| format!("{shown}: {e}"))?;
        let f = std::fs::File::create(path).map_err(|e| format!("{shown}: cannot write: {e}"))?;
        ParquetWriter::new(f)
            .finish(&mut df)
            .map_err(|e| format!("{shown}: cannot write Parquet: {e}"))?;
        return Ok(());
    }
    std::fs::write(path, predictions_csv(c)).map_err(|e| format!("{shown}: cannot write: {e}"))
}
