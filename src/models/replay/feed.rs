//! Model inputs: holdout columns gathered into tensors of the input's element type (float,
//! double, int64/int32, bool, string), a permuted column read through its permutation.

use super::{Permuted, Prepared};
use crate::models::error::ModelError;
use crate::models::inputs::InputFeed;
use ort::session::SessionInputValue;
use ort::value::Tensor;

/// The tensor for one model input over holdout rows `a..b` (a permuted column reads its
/// permutation), in the input's element type.
pub(super) fn input_tensor(
    feed: &InputFeed,
    data: &Prepared,
    permuted: Option<&Permuted>,
    (a, b): (usize, usize),
    file: &str,
) -> Result<SessionInputValue<'static>, ModelError> {
    let rows = b - a;
    let f = feed.columns.len();
    let shape: Vec<i64> = if feed.rank == 1 {
        vec![rows as i64]
    } else {
        vec![rows as i64, f as i64]
    };
    let src_row = |c: &str, r: usize| match permuted {
        Some(p) if p.column == c => p.perm[r] as usize,
        _ => r,
    };
    let num_cols: Vec<Option<&Vec<f64>>> = feed.columns.iter().map(|c| data.num.get(c)).collect();
    let gather = |conv: &mut dyn FnMut(f64)| -> Result<(), ModelError> {
        for r in a..b {
            for (k, c) in feed.columns.iter().enumerate() {
                let col = num_cols[k].ok_or_else(|| {
                    ModelError::model(
                        file,
                        format!(
                            "input {:?} needs numbers but column {c:?} holds text",
                            feed.input
                        ),
                    )
                })?;
                conv(col[src_row(c, r)]);
            }
        }
        Ok(())
    };
    let err = |e: ort::Error| {
        ModelError::model(file, format!("cannot build input {:?}: {e}", feed.input))
    };
    let value: SessionInputValue = match feed.elem {
        1 => {
            let mut v = Vec::with_capacity(rows * f);
            gather(&mut |x| v.push(x as f32))?;
            Tensor::from_array((shape, v)).map_err(err)?.into()
        }
        11 => {
            let mut v = Vec::with_capacity(rows * f);
            gather(&mut |x| v.push(x))?;
            Tensor::from_array((shape, v)).map_err(err)?.into()
        }
        6 | 7 => {
            let mut v: Vec<f64> = Vec::with_capacity(rows * f);
            gather(&mut |x| v.push(x))?;
            if let Some(bad) = v.iter().find(|x| x.fract() != 0.0 || !x.is_finite()) {
                return Err(ModelError::model(
                    file,
                    format!(
                        "input {:?} takes integers but the holdout has {bad}",
                        feed.input
                    ),
                ));
            }
            if feed.elem == 7 {
                let v: Vec<i64> = v.iter().map(|x| *x as i64).collect();
                Tensor::from_array((shape, v)).map_err(err)?.into()
            } else {
                let v: Vec<i32> = v.iter().map(|x| *x as i32).collect();
                Tensor::from_array((shape, v)).map_err(err)?.into()
            }
        }
        9 => {
            let mut v = Vec::with_capacity(rows * f);
            gather(&mut |x| v.push(x != 0.0))?;
            Tensor::from_array((shape, v)).map_err(err)?.into()
        }
        8 => {
            let mut v: Vec<String> = Vec::with_capacity(rows * f);
            for r in a..b {
                for c in &feed.columns {
                    let rr = src_row(c, r);
                    let t = match (data.text.get(c), data.num.get(c)) {
                        (Some(t), _) => t[rr].clone(),
                        (None, Some(nv)) => crate::ingest::table::number_text(nv[rr]),
                        _ => String::new(),
                    };
                    v.push(t);
                }
            }
            Tensor::from_string_array((shape, v.as_slice()))
                .map_err(err)?
                .into()
        }
        other => {
            return Err(ModelError::model(
                file,
                format!(
                    "input {:?} has element type {} which Verdict cannot feed",
                    feed.input,
                    crate::models::proto::elem_name(other)
                ),
            ))
        }
    };
    Ok(value)
}
