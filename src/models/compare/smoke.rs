//! The MLflow input example as a smoke test: the rows saved with the model replayed
//! through it, mapped like the holdout (by name, or by position for an unnamed array).

use crate::models::replay::{Model, Prepared};
use std::sync::atomic::AtomicBool;

/// What replaying a model's input example gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Smoke {
    /// The model has no input example.
    None,
    /// Every prediction finite.
    Passed {
        /// Rows replayed.
        rows: usize,
    },
    /// It could not be fed, failed, or gave non-finite predictions.
    Failed {
        /// The example file.
        file: String,
        /// What went wrong.
        problem: String,
    },
}

/// Replays a model's MLflow input example.
pub fn input_example(m: &Model, cancel: &AtomicBool) -> Smoke {
    let Some(ex) = m
        .source
        .mlflow
        .as_ref()
        .and_then(|f| f.input_example.as_ref())
    else {
        return Smoke::None;
    };
    let fail = |problem: String| Smoke::Failed {
        file: ex.file.clone(),
        problem,
    };
    let needed = m.plan.columns();
    let mut data = Prepared {
        rows: ex.rows.len(),
        ..Default::default()
    };
    let text_inputs: Vec<&String> = m
        .plan
        .feeds
        .iter()
        .filter(|f| f.elem == 8)
        .flat_map(|f| &f.columns)
        .collect();
    for (j, c) in needed.iter().enumerate() {
        let at = if ex.columns.is_empty() {
            (ex.rows.first().map_or(0, Vec::len) == needed.len()).then_some(j)
        } else {
            ex.columns.iter().position(|x| x == c)
        };
        let Some(at) = at else {
            return fail(format!("it has no column {c:?} that the model reads"));
        };
        let cells = ex
            .rows
            .iter()
            .map(|r| r.get(at).cloned().unwrap_or_default());
        if text_inputs.contains(&c) {
            data.text.insert(
                c.clone(),
                cells
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                    .collect(),
            );
        } else {
            let mut values = Vec::with_capacity(ex.rows.len());
            for v in cells {
                match v.as_f64().or_else(|| v.as_bool().map(|b| b as u8 as f64)) {
                    Some(x) => values.push(x),
                    None if v.is_null() => values.push(f64::NAN),
                    None => return fail(format!("column {c:?} holds {v}, not a number")),
                }
            }
            data.num.insert(c.clone(), values);
        }
    }
    match m.predict(&data, None, &|_| {}, cancel) {
        Ok(p) if p.iter().all(|v| v.is_finite()) => Smoke::Passed {
            rows: ex.rows.len(),
        },
        Ok(_) => fail("the model gave non-finite predictions on it".into()),
        Err(e) => fail(e.to_string()),
    }
}
