//! The two models on the same labelled holdout rows: McNemar on correct / incorrect and
//! DeLong on ΔAUC (the tests `verdict shadow` runs on labelled logs), seeded paired
//! bootstrap intervals of ΔF1, Δlog-loss and ΔBrier, and the search for the single-column
//! segments where the challenger does worse.

use crate::analysis::corrections::{adjust, Correction};
use crate::analysis::paired::{delong, mcnemar, paired_bootstrap, paired_t, SumMetric};
use crate::models::holdout::Holdout;
use crate::models::metrics::top1;
use crate::models::replay::Task;
use crate::report::compare::{PairedTests, WorstSegment};

/// Labelled rows a segment needs to be tested.
pub const MIN_SEGMENT_ROWS: u64 = 20;

/// Both models' predictions on the holdout and what is known of the rows.
pub struct Predictions<'a> {
    /// Champion: one value per row, or k probabilities per row (multi-class).
    pub a: &'a [f64],
    /// Challenger.
    pub b: &'a [f64],
    /// Labels (0/1, a value, or a class index), NaN where missing.
    pub y: &'a [f64],
    /// What the models predict.
    pub task: Task,
    /// Classes per row (1 unless multi-class).
    pub k: usize,
    /// Decision thresholds (binary).
    pub thresholds: (f64, f64),
    /// Level of the intervals (1 − alpha).
    pub alpha: f64,
}

impl Predictions<'_> {
    fn rows(&self) -> usize {
        self.y.len()
    }

    fn finite(&self, i: usize) -> bool {
        let k = self.k;
        self.y[i].is_finite()
            && self.a[i * k..(i + 1) * k].iter().all(|v| v.is_finite())
            && self.b[i * k..(i + 1) * k].iter().all(|v| v.is_finite())
    }

    /// Labelled rows with finite predictions.
    fn labelled(&self) -> Vec<usize> {
        (0..self.rows()).filter(|&i| self.finite(i)).collect()
    }

    /// Whether each model is right on row `i` (classifiers).
    fn correct(&self, i: usize) -> (bool, bool) {
        let (a, b, y, k) = (self.a, self.b, self.y[i], self.k);
        match self.task {
            Task::Multiclass => {
                let c = y as usize;
                (
                    top1(&a[i * k..(i + 1) * k]) == c,
                    top1(&b[i * k..(i + 1) * k]) == c,
                )
            }
            _ => {
                let pos = y >= 0.5;
                (
                    (a[i] >= self.thresholds.0) == pos,
                    (b[i] >= self.thresholds.1) == pos,
                )
            }
        }
    }
}

fn clipped_log_loss(p: f64, y: f64) -> f64 {
    let q = p.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
    -(y * q.ln() + (1.0 - y) * (1.0 - q).ln())
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// Binary rows: tp, fp, fn, log loss, squared error for the champion, then the challenger.
const BINARY_METRICS: [SumMetric; 3] = [
    SumMetric {
        name: "f1",
        eval: |s, _| {
            ratio(2.0 * s[5], 2.0 * s[5] + s[6] + s[7])
                - ratio(2.0 * s[0], 2.0 * s[0] + s[1] + s[2])
        },
    },
    SumMetric {
        name: "log_loss",
        eval: |s, n| (s[8] - s[3]) / n,
    },
    SumMetric {
        name: "brier",
        eval: |s, n| (s[9] - s[4]) / n,
    },
];

/// Multi-class rows: log loss of the champion, the challenger.
const MULTICLASS_METRICS: [SumMetric; 1] = [SumMetric {
    name: "log_loss",
    eval: |s, n| (s[1] - s[0]) / n,
}];

/// Regression rows: squared and absolute error of the champion, then the challenger.
const REGRESSION_METRICS: [SumMetric; 2] = [
    SumMetric {
        name: "rmse",
        eval: |s, n| (s[2] / n).sqrt() - (s[0] / n).sqrt(),
    },
    SumMetric {
        name: "mae",
        eval: |s, n| (s[3] - s[1]) / n,
    },
];

/// McNemar and DeLong (classifiers) or the paired t-test of |error| (regression), and the
/// paired bootstrap with `resamples` resamples seeded by `seed` (0 skips it), on the
/// labelled rows; None with fewer than two.
pub fn paired_tests(p: &Predictions, resamples: u32, seed: u64) -> Option<PairedTests> {
    let rows = p.labelled();
    if rows.len() < 2 {
        return None;
    }
    let (a, b, y, k) = (p.a, p.b, p.y, p.k);
    let mut table: Vec<f64> = Vec::new();
    let (metrics, width): (&[SumMetric], usize) = match p.task {
        Task::Regression => {
            for &i in &rows {
                let (ea, eb) = (a[i] - y[i], b[i] - y[i]);
                table.extend([ea * ea, ea.abs(), eb * eb, eb.abs()]);
            }
            (&REGRESSION_METRICS, 4)
        }
        Task::Multiclass => {
            for &i in &rows {
                let c = y[i] as usize;
                table.extend([
                    -a[i * k + c].clamp(f64::EPSILON, 1.0 - f64::EPSILON).ln(),
                    -b[i * k + c].clamp(f64::EPSILON, 1.0 - f64::EPSILON).ln(),
                ]);
            }
            (&MULTICLASS_METRICS, 2)
        }
        Task::Binary => {
            for &i in &rows {
                let pos = y[i] >= 0.5;
                for (v, t) in [(a[i], p.thresholds.0), (b[i], p.thresholds.1)] {
                    let hit = v >= t;
                    table.extend([
                        (hit && pos) as u8 as f64,
                        (hit && !pos) as u8 as f64,
                        (!hit && pos) as u8 as f64,
                        clipped_log_loss(v, y[i]),
                        (v - y[i]) * (v - y[i]),
                    ]);
                }
            }
            (&BINARY_METRICS, 10)
        }
    };
    // the bootstrap's interval is the contract's 95 % percentile interval, whatever alpha
    let bootstrap = paired_bootstrap(&table, width, metrics, resamples, seed, 0.05);
    if p.task == Task::Regression {
        let d: Vec<f64> = rows
            .iter()
            .map(|&i| (b[i] - y[i]).abs() - (a[i] - y[i]).abs())
            .collect();
        return Some(PairedTests {
            n: rows.len() as u64,
            mcnemar: None,
            delong: None,
            abs_error: Some(paired_t(&d, p.alpha)),
            bootstrap,
        });
    }
    let (mut wb, mut wc) = (0u64, 0u64);
    for &i in &rows {
        let (ok_a, ok_b) = p.correct(i);
        wb += (!ok_a && ok_b) as u64;
        wc += (ok_a && !ok_b) as u64;
    }
    let delong = (p.task == Task::Binary)
        .then(|| {
            let sa: Vec<f64> = rows.iter().map(|&i| a[i]).collect();
            let sb: Vec<f64> = rows.iter().map(|&i| b[i]).collect();
            let pos: Vec<bool> = rows.iter().map(|&i| y[i] >= 0.5).collect();
            delong(&sa, &sb, &pos, p.alpha)
        })
        .flatten();
    Some(PairedTests {
        n: rows.len() as u64,
        mcnemar: Some(mcnemar(wb, wc)),
        delong,
        abs_error: None,
        bootstrap,
    })
}

/// Python's `f"{v:.6g}"`: six significant digits, trailing zeros dropped, exponent form
/// below 1e-4 and from 1e6.
pub fn g6(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return v.to_string();
    }
    let sci = format!("{v:.5e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let strip = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..6).contains(&exp) {
        format!(
            "{}e{}{:02}",
            strip(mant),
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    } else {
        strip(&format!("{:.*}", (5 - exp) as usize, v))
    }
}

/// A segment: its column, label and rows.
struct Segment {
    column: String,
    label: String,
    rows: Vec<usize>,
}

/// Every value of a text column; a numeric column by value (at most 10 distinct values) or
/// by deciles (numpy's linear percentiles; bins `[lo, hi)`, the last one closed).
fn segments_of(holdout: &Holdout, column: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    if holdout.is_numeric(column) {
        let Ok(x) = holdout.numeric(column, true) else {
            return out;
        };
        let mut sorted: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_unstable_by(f64::total_cmp);
        let mut distinct = sorted.clone();
        distinct.dedup();
        if distinct.len() <= 10 {
            for v in distinct {
                out.push(Segment {
                    column: column.into(),
                    label: g6(v),
                    rows: (0..x.len()).filter(|&i| x[i] == v).collect(),
                });
            }
            return out;
        }
        let mut edges: Vec<f64> = (0..=10)
            .map(|d| crate::analysis::stats::percentile_sorted(&sorted, d as f64 * 10.0))
            .collect();
        edges.dedup();
        for w in 0..edges.len() - 1 {
            let (lo, hi) = (edges[w], edges[w + 1]);
            let last = w == edges.len() - 2;
            out.push(Segment {
                column: column.into(),
                label: format!("[{}, {}{}", g6(lo), g6(hi), if last { "]" } else { ")" }),
                rows: (0..x.len())
                    .filter(|&i| x[i] >= lo && if last { x[i] <= hi } else { x[i] < hi })
                    .collect(),
            });
        }
        return out;
    }
    let Some(text) = holdout.text(column) else {
        return out;
    };
    let mut by: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, v) in text.iter().enumerate() {
        if let Some(v) = v {
            by.entry(v.as_str()).or_default().push(i);
        }
    }
    if by.len() > 50 {
        return out;
    }
    for (v, rows) in by {
        out.push(Segment {
            column: column.into(),
            label: v.to_string(),
            rows,
        });
    }
    out
}

/// The segments where the challenger does worse, worst first, and how many were tested:
/// every value of the holdout's text columns with at most 50 distinct values and of the
/// features the models read (numeric features by deciles), with at least
/// [`MIN_SEGMENT_ROWS`] labelled rows; accuracy with McNemar within the segment for
/// classifiers, −MSE with a paired t-test for regressors; Holm over all tested.
pub fn worst_segments(
    p: &Predictions,
    holdout: &Holdout,
    features: &[String],
    label: Option<&str>,
) -> (Vec<WorstSegment>, u64) {
    let mut columns: Vec<String> = features.to_vec();
    let exclude: Vec<&str> = label.into_iter().collect();
    for c in holdout.segment_columns(&exclude) {
        if !columns.contains(&c) {
            columns.push(c);
        }
    }
    let mut tested: Vec<WorstSegment> = Vec::new();
    for col in &columns {
        for s in segments_of(holdout, col) {
            let rows: Vec<usize> = s.rows.into_iter().filter(|&i| p.finite(i)).collect();
            if (rows.len() as u64) < MIN_SEGMENT_ROWS {
                continue;
            }
            let n = rows.len() as f64;
            let (metric, champion, challenger, p_value) = if p.task == Task::Regression {
                let d: Vec<f64> = rows
                    .iter()
                    .map(|&i| (p.a[i] - p.y[i]).powi(2) - (p.b[i] - p.y[i]).powi(2))
                    .collect();
                let ma = -rows.iter().map(|&i| (p.a[i] - p.y[i]).powi(2)).sum::<f64>() / n;
                let mb = -rows.iter().map(|&i| (p.b[i] - p.y[i]).powi(2)).sum::<f64>() / n;
                (
                    "neg_mean_squared_error",
                    ma,
                    mb,
                    paired_t(&d, 0.05).p_value.unwrap_or(1.0),
                )
            } else {
                let (mut ca, mut cb, mut wb, mut wc) = (0u64, 0u64, 0u64, 0u64);
                for &i in &rows {
                    let (oa, ob) = p.correct(i);
                    ca += oa as u64;
                    cb += ob as u64;
                    wb += (!oa && ob) as u64;
                    wc += (oa && !ob) as u64;
                }
                (
                    "accuracy",
                    ca as f64 / n,
                    cb as f64 / n,
                    mcnemar(wb, wc).p_value.unwrap_or(1.0),
                )
            };
            tested.push(WorstSegment {
                column: s.column,
                segment: s.label,
                rows: rows.len() as u64,
                metric: metric.into(),
                champion,
                challenger,
                diff: challenger - champion,
                p_value,
                p_value_adjusted: p_value,
            });
        }
    }
    let adjusted = adjust(
        &tested.iter().map(|s| s.p_value).collect::<Vec<_>>(),
        Correction::Holm,
    );
    for (s, q) in tested.iter_mut().zip(adjusted) {
        s.p_value_adjusted = q;
    }
    let count = tested.len() as u64;
    let mut worse: Vec<WorstSegment> = tested.into_iter().filter(|s| s.diff < 0.0).collect();
    worse.sort_by(|x, y| {
        x.diff
            .total_cmp(&y.diff)
            .then_with(|| x.column.cmp(&y.column))
            .then_with(|| x.segment.cmp(&y.segment))
    });
    (worse, count)
}

#[cfg(test)]
mod tests {
    use super::g6;

    #[test]
    fn python_g_format() {
        for (v, t) in [
            (0.0, "0"),
            (1.0, "1"),
            (35.0, "35"),
            (-0.12252378636765415, "-0.122524"),
            (66.61460326400362, "66.6146"),
            (123456.7, "123457"),
            (1234567.0, "1.23457e+06"),
            (0.0001, "0.0001"),
            (0.00001234, "1.234e-05"),
            (999999.5, "1e+06"),
        ] {
            assert_eq!(g6(v), t, "{v}");
        }
    }
}
