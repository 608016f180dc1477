//! Champion vs challenger on a holdout: open and inspect both models, map the holdout to
//! their inputs, replay both, compare predictions and metrics, run permutation importance,
//! and check alignment, environments, diff rate and importance shifts.

mod checks;
mod classes;
mod describe;
mod diff;
pub mod paired;
mod smoke;

pub use checks::checks;
use classes::{align_classes, class_indices, declared, per_row};
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
    /// Declared output meanings by role (`champion`, `challenger`) or by output name, over
    /// the manifests'.
    pub outputs: std::collections::BTreeMap<String, crate::report::compare::OutputKind>,
    /// Paired bootstrap resamples (0 skips the bootstrap); seeded by `seed`.
    pub bootstrap: u32,
    /// Largest difference between a recorded offline metric and the replay's.
    pub reproducibility_tolerance: f64,
    /// Significance level of the paired tests' intervals (the plan's `alpha`).
    pub alpha: f64,
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
            bootstrap: 1000,
            reproducibility_tolerance: 0.005,
            alpha: 0.05,
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
    /// Champion prediction per holdout row (the top class's probability for multi-class).
    pub champion: Vec<f64>,
    /// Challenger prediction per holdout row.
    pub challenger: Vec<f64>,
    /// Labels (NaN where missing), when labelled; class indices for multi-class.
    pub labels: Option<Vec<f64>>,
    /// Multi-class: every class's probability.
    pub classes: Option<ClassProbabilities>,
}

/// A multi-class pair's probabilities, row-major (rows × classes).
pub struct ClassProbabilities {
    /// Class labels in column order.
    pub classes: Vec<String>,
    /// Champion.
    pub champion: Vec<f64>,
    /// Challenger, in the champion's class order.
    pub challenger: Vec<f64>,
}

impl ClassProbabilities {
    /// Each model's top-1 class index per row.
    pub fn top(&self) -> (Vec<usize>, Vec<usize>) {
        let k = self.classes.len().max(1);
        let top = |p: &[f64]| p.chunks_exact(k).map(metrics::top1).collect();
        (top(&self.champion), top(&self.challenger))
    }
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
    // a declared output name must be one of the models' outputs (a typo is not ignored)
    for name in opts.outputs.keys() {
        let known = name == "champion"
            || name == "challenger"
            || [&a, &b]
                .iter()
                .any(|m| m.proto.outputs.iter().any(|o| &o.name == name));
        if !known {
            let outputs: Vec<&str> = [&a, &b]
                .iter()
                .flat_map(|m| m.proto.outputs.iter().map(|o| o.name.as_str()))
                .collect();
            return Err(ModelError::model(
                format!("--output {name}"),
                format!(
                    "neither champion, challenger nor an output of either model (outputs: {})",
                    outputs.join(", ")
                ),
            ));
        }
    }
    let (ka, kb) = (
        declared(&a, "champion", opts)?,
        declared(&b, "challenger", opts)?,
    );
    let (ra, ta) = choose_output(
        &a.proto,
        positive(&a).as_deref(),
        &a.source.path,
        ka.as_ref(),
    )?;
    let (rb, tb) = choose_output(
        &b.proto,
        positive(&b).as_deref(),
        &b.source.path,
        kb.as_ref(),
    )?;
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
    let (mut pred_b, sec_b) = replay(&mb, "challenger")?;
    let task = ta;
    let regression = task == Task::Regression;
    // multi-class: the same classes, the challenger's columns in the champion's order
    let classes: Vec<String> = ma.classes().to_vec();
    if task == Task::Multiclass {
        pred_b = align_classes(&classes, mb.classes(), pred_b, &mb.source.path)?;
    }
    let k = classes.len().max(1);
    let positive_text = opts
        .positive_class
        .clone()
        .or_else(|| positive_from(&ma))
        .or_else(|| ma.positive_label());
    let labels: Option<Vec<f64>> = label.as_ref().map(|l| {
        if task == Task::Multiclass {
            class_indices(&holdout, l, &classes)
        } else {
            holdout.labels(l, positive_text.as_deref(), regression)
        }
    });
    // multi-class labels that name none of the model's classes would silently drop every
    // metric: say so instead
    if let (Task::Multiclass, Some(y), Some(l)) = (task, &labels, &label) {
        if !y.is_empty() && y.iter().all(|v| v.is_nan()) {
            let seen: Vec<String> = holdout
                .text(l)
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .take(200)
                .fold(Vec::new(), |mut v, t| {
                    if !v.contains(&t) && v.len() < 5 {
                        v.push(t);
                    }
                    v
                });
            return Err(ModelError::holdout(
                &holdout.path,
                format!(
                    "label column {l:?} holds {} but the models' classes are {}: no row can be scored (name the label column with --label, or relabel the holdout)",
                    seen.join(", "),
                    classes.join(", ")
                ),
            ));
        }
    }
    let thr = |m: &ModelReport| opts.threshold.unwrap_or(m.threshold);
    let finish = |mut r: ModelReport, m: &Model, pred: &[f64], secs: f64| -> ModelReport {
        r.threshold = thr(&r);
        r.task = Some(m.task);
        r.prediction_output = m.read.name().to_string();
        r.output_kind = Some(m.read.kind(m.task));
        r.mapping = Some(m.plan.mapping.clone());
        r.replay_seconds = secs;
        r.classes = classes.clone();
        if let Some(y) = &labels {
            r.metrics = match task {
                Task::Regression => metrics::regression(pred, y),
                Task::Multiclass => metrics::multiclass(pred, k, y, &classes),
                Task::Binary => metrics::binary(pred, y, r.threshold),
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
        task,
        &classes,
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
    progress("Paired tests and segments".into(), None);
    let predictions = labels.as_deref().map(|y| paired::Predictions {
        a: &pred_a,
        b: &pred_b,
        y,
        task,
        k,
        thresholds: (champion.threshold, challenger.threshold),
        alpha: opts.alpha,
    });
    let paired_result = predictions
        .as_ref()
        .and_then(|p| paired::paired_tests(p, opts.bootstrap, opts.seed));
    let (worst_segments, segments_tested) = match &predictions {
        Some(p) => paired::worst_segments(p, &holdout, &feats, label.as_deref()),
        None => (Vec::new(), 0),
    };
    let smoke = [
        smoke::input_example(&ma, cancel),
        smoke::input_example(&mb, cancel),
    ];
    let checks = checks(
        &champion,
        &challenger,
        &diff,
        &importance,
        task,
        opts.reproducibility_tolerance,
        &smoke,
    );
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
            paired_tests: paired_result,
            worst_segments,
            segments_tested,
        },
        champion: per_row(&pred_a, task, k),
        challenger: per_row(&pred_b, task, k),
        labels,
        classes: (task == Task::Multiclass).then_some(ClassProbabilities {
            classes,
            champion: pred_a,
            challenger: pred_b,
        }),
    })
}

fn positive_from(m: &Model) -> Option<String> {
    m.source
        .manifest
        .as_ref()
        .and_then(|x| x.positive_class_text())
}
