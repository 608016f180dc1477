//! Champion vs challenger on a holdout: open and inspect both models, map the holdout to
//! their inputs, replay both, compare predictions and metrics, run permutation importance,
//! and check alignment, environments, diff rate and importance shifts.

mod checks;
mod describe;
mod diff;

pub use checks::checks;
pub use describe::describe;
use diff::diff;

use super::bundle::{self, ModelError, ModelSource};
use super::holdout::Holdout;
use super::importance::permutation_importance;
use super::inputs::{self, InputPlan};
use super::metrics;
use super::proto::{self, ModelProto};
use super::replay::{choose_output, Model, Prepared, Task};
use super::runtime;
use crate::report::compare::*;
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// Diff rate above which the comparison warns.
pub const DIFF_RATE_WARN: f64 = 0.18;

/// Settings of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// Holdout file (default: the bundle's).
    pub holdout: Option<String>,
    /// Label column (default: a conventional name).
    pub label: Option<String>,
    /// Permutation repeats per feature (0 skips importance).
    pub repeats: u32,
    /// Permutation seed.
    pub seed: u64,
    /// Decision threshold (default: the manifest's, else 0.5).
    pub threshold: Option<f64>,
    /// Pass missing feature values to the models as NaN.
    pub allow_missing: bool,
    /// The positive class (default: the manifest's, else 1/true/yes/positive, else the
    /// second class in sorted order, as scikit-learn).
    pub positive_class: Option<String>,
    /// Declared output meanings by role (`champion`, `challenger`), over the manifests'.
    pub outputs: std::collections::BTreeMap<String, crate::report::compare::OutputKind>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            holdout: None,
            label: None,
            repeats: 5,
            seed: 0,
            threshold: None,
            allow_missing: false,
            positive_class: None,
            outputs: Default::default(),
        }
    }
}

/// A model opened and parsed (no runtime needed).
#[derive(Debug, Clone)]
pub struct Inspected {
    /// Bytes, manifest, holdout.
    pub source: ModelSource,
    /// What the file says.
    pub proto: ModelProto,
}

/// Opens and parses a model file or bundle.
pub fn inspect(path: &Path) -> Result<Inspected, ModelError> {
    let source = bundle::open(path)?;
    let proto = proto::parse_model(&source.bytes)
        .map_err(|e| ModelError::model(source.path.clone(), e.to_string()))?;
    Ok(Inspected { source, proto })
}

/// A finished comparison with the per-row predictions behind it.
pub struct Compared {
    /// The report.
    pub report: CompareReport,
    /// Champion prediction per holdout row.
    pub champion: Vec<f64>,
    /// Challenger prediction per holdout row.
    pub challenger: Vec<f64>,
    /// Labels (NaN where missing), when labelled.
    pub labels: Option<Vec<f64>>,
}

/// Progress of a comparison: a stage text and a fraction.
pub type Progress<'a> = &'a (dyn Fn(String, Option<f32>) + Sync);

/// Runs the whole comparison.
pub fn compare(
    champion: &Path,
    challenger: &Path,
    opts: &CompareOptions,
    progress: Progress,
    cancel: &AtomicBool,
) -> Result<Compared, ModelError> {
    progress("Opening models".into(), None);
    let a = inspect(champion)?;
    let b = inspect(challenger)?;
    compare_inspected(a, b, opts, progress, cancel)
}

/// Runs the comparison of two already inspected models.
pub fn compare_inspected(
    a: Inspected,
    b: Inspected,
    opts: &CompareOptions,
    progress: Progress,
    cancel: &AtomicBool,
) -> Result<Compared, ModelError> {
    let rt = runtime::runtime()?;
    let holdout_path = opts
        .holdout
        .clone()
        .or_else(|| a.source.holdout.as_ref().map(|p| p.display().to_string()))
        .or_else(|| b.source.holdout.as_ref().map(|p| p.display().to_string()))
        .ok_or(ModelError::NoHoldout)?;
    progress(format!("Reading holdout {holdout_path}"), None);
    let holdout = Holdout::read(&holdout_path, cancel)?;
    let label = holdout.label_column(opts.label.as_deref())?;
    let columns = holdout.columns();
    let numeric = |c: &str| holdout.is_numeric(c);
    let plan_of = |m: &Inspected| -> Result<InputPlan, ModelError> {
        inputs::plan(
            &m.proto,
            m.source.manifest.as_ref(),
            &columns,
            &numeric,
            label.as_deref(),
            &m.source.path,
        )
    };
    let (pa, pb) = (plan_of(&a)?, plan_of(&b)?);
    let positive = |m: &Inspected| {
        opts.positive_class.clone().or_else(|| {
            m.source
                .manifest
                .as_ref()
                .and_then(|x| x.positive_class_text())
        })
    };
    let declared = |m: &Inspected, role: &str| {
        opts.outputs
            .get(role)
            .copied()
            .or_else(|| m.source.manifest.as_ref().and_then(|x| x.output))
    };
    let (ka, kb) = (declared(&a, "champion"), declared(&b, "challenger"));
    let (ra, ta) = choose_output(&a.proto, positive(&a).as_deref(), &a.source.path, ka)?;
    let (rb, tb) = choose_output(&b.proto, positive(&b).as_deref(), &b.source.path, kb)?;
    if ta != tb {
        return Err(ModelError::TaskMismatch {
            champion: a.source.path.clone(),
            champion_task: ta,
            challenger: b.source.path.clone(),
            challenger_task: tb,
        });
    }
    // columns → numbers, or text when only string inputs read them
    let mut data = Prepared {
        rows: holdout.rows(),
        ..Default::default()
    };
    for plan in [&pa, &pb] {
        for feed in &plan.feeds {
            for c in &feed.columns {
                if feed.elem == 8 {
                    if !data.text.contains_key(c) {
                        let t = holdout.text(c).unwrap_or_default();
                        data.text.insert(
                            c.clone(),
                            t.into_iter().map(Option::unwrap_or_default).collect(),
                        );
                    }
                } else if !data.num.contains_key(c) {
                    data.num
                        .insert(c.clone(), holdout.numeric(c, opts.allow_missing)?);
                }
            }
        }
    }
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    progress("Loading models into ONNX Runtime".into(), None);
    let report_a = describe(&a);
    let report_b = describe(&b);
    let ma = Model::load(rt, a.source, a.proto, pa, ra, ta, workers)?;
    let mb = Model::load(rt, b.source, b.proto, pb, rb, tb, workers)?;
    let n = data.rows;
    let replay = |m: &Model, who: &str| -> Result<(Vec<f64>, f64), ModelError> {
        let t0 = std::time::Instant::now();
        let p = m.predict(
            &data,
            None,
            &|done| {
                progress(
                    format!("Replaying the {who}: {done} of {n} rows"),
                    Some(done as f32 / n as f32),
                )
            },
            cancel,
        )?;
        Ok((p, t0.elapsed().as_secs_f64()))
    };
    let (pred_a, sec_a) = replay(&ma, "champion")?;
    let (pred_b, sec_b) = replay(&mb, "challenger")?;
    let regression = ta == Task::Regression;
    let positive_text = opts
        .positive_class
        .clone()
        .or_else(|| positive_from(&ma))
        .or_else(|| ma.positive_label());
    let labels: Option<Vec<f64>> = label
        .as_ref()
        .map(|l| holdout.labels(l, positive_text.as_deref(), regression));
    let thr = |m: &ModelReport| opts.threshold.unwrap_or(m.threshold);
    let finish = |mut r: ModelReport, m: &Model, pred: &[f64], secs: f64| -> ModelReport {
        r.threshold = thr(&r);
        r.task = Some(m.task);
        r.prediction_output = m.read.name().to_string();
        r.output_kind = Some(m.read.kind(m.task));
        r.mapping = Some(m.plan.mapping.clone());
        r.replay_seconds = secs;
        if let Some(y) = &labels {
            r.metrics = if regression {
                metrics::regression(pred, y)
            } else {
                metrics::binary(pred, y, r.threshold)
            };
        }
        r
    };
    let champion = finish(report_a, &ma, &pred_a, sec_a);
    let challenger = finish(report_b, &mb, &pred_b, sec_b);
    let diff = diff(
        &pred_a,
        &pred_b,
        (champion.threshold, challenger.threshold),
        regression,
        labels.as_deref(),
        &holdout,
        &ma,
        &mb,
        label.as_deref(),
    );
    // permutation importance over every feature either model reads, in holdout order
    let mut feats: Vec<String> = columns
        .iter()
        .filter(|c| ma.plan.columns().contains(c) || mb.plan.columns().contains(c))
        .cloned()
        .collect();
    feats.dedup();
    let importance = if opts.repeats == 0 {
        Importance::default()
    } else {
        permutation_importance(
            (&ma, &mb),
            &data,
            &feats,
            (&pred_a, &pred_b),
            labels.as_deref(),
            opts.repeats,
            opts.seed,
            &|d, t| {
                progress(
                    format!("Permutation importance: {d} of {t} replays"),
                    Some(d as f32 / t as f32),
                )
            },
            cancel,
        )?
    };
    let checks = checks(&champion, &challenger, &diff, &importance, regression);
    let paired = labels.as_deref().and_then(|y| {
        paired_tests(
            &pred_a,
            &pred_b,
            y,
            (champion.threshold, challenger.threshold),
            regression,
        )
    });
    Ok(Compared {
        report: CompareReport {
            runtime: RuntimeInfo {
                version: rt.version.clone(),
                library: rt.library.display().to_string(),
            },
            champion,
            challenger,
            holdout: HoldoutInfo {
                path: holdout.path.clone(),
                rows: n as u64,
                label,
            },
            diff,
            importance,
            checks,
            paired_tests: paired,
        },
        champion: pred_a,
        challenger: pred_b,
        labels,
    })
}

fn positive_from(m: &Model) -> Option<String> {
    m.source
        .manifest
        .as_ref()
        .and_then(|x| x.positive_class_text())
}

/// McNemar on correct/incorrect and DeLong on ΔAUC (classification), or the paired t-test
/// of the absolute errors (regression), on the rows with a finite label: the same tests as
/// `verdict shadow`.
fn paired_tests(
    a: &[f64],
    b: &[f64],
    y: &[f64],
    thresholds: (f64, f64),
    regression: bool,
) -> Option<crate::report::compare::PairedTests> {
    use crate::analysis::paired::{delong, mcnemar, paired_t};
    let rows: Vec<usize> = (0..y.len())
        .filter(|&i| y[i].is_finite() && a[i].is_finite() && b[i].is_finite())
        .collect();
    if rows.len() < 2 {
        return None;
    }
    if regression {
        let d: Vec<f64> = rows
            .iter()
            .map(|&i| (b[i] - y[i]).abs() - (a[i] - y[i]).abs())
            .collect();
        return Some(crate::report::compare::PairedTests {
            n: rows.len() as u64,
            mcnemar: None,
            delong: None,
            abs_error: Some(paired_t(&d, 0.05)),
        });
    }
    let (mut wb, mut wc) = (0u64, 0u64);
    for &i in &rows {
        let ok_a = (a[i] >= thresholds.0) == (y[i] >= 0.5);
        let ok_b = (b[i] >= thresholds.1) == (y[i] >= 0.5);
        wb += (!ok_a && ok_b) as u64;
        wc += (ok_a && !ok_b) as u64;
    }
    let sa: Vec<f64> = rows.iter().map(|&i| a[i]).collect();
    let sb: Vec<f64> = rows.iter().map(|&i| b[i]).collect();
    let pos: Vec<bool> = rows.iter().map(|&i| y[i] >= 0.5).collect();
    Some(crate::report::compare::PairedTests {
        n: rows.len() as u64,
        mcnemar: Some(mcnemar(wb, wc)),
        delong: delong(&sa, &sb, &pos, 0.05),
        abs_error: None,
    })
}
