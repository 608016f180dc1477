//! Champion vs challenger on a holdout: open and inspect both models, map the holdout to
//! their inputs, replay both, compare predictions and metrics, run permutation importance,
//! and check alignment, environments, diff rate and importance shifts.

use super::bundle::{self, ModelError, ModelSource};
use super::holdout::Holdout;
use super::importance::permutation_importance;
use super::inputs::{self, InputPlan};
use super::metrics;
use super::proto::{self, Dim, ModelProto};
use super::replay::{choose_output, Model, Prepared, Task};
use super::runtime;
use crate::analysis::stats::percentile_sorted;
use crate::report::compare::*;
use crate::report::{Check, Status};
use std::collections::BTreeMap;
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
        .map_err(|e| ModelError::new(source.path.clone(), e.to_string()))?;
    Ok(Inspected { source, proto })
}

fn dims_json(d: &Option<Vec<Dim>>) -> Option<Vec<serde_json::Value>> {
    d.as_ref().map(|dims| {
        dims.iter()
            .map(|x| match x {
                Dim::Fixed(k) => serde_json::json!(k),
                Dim::Named(s) => serde_json::json!(s),
                Dim::Unknown => serde_json::Value::Null,
            })
            .collect()
    })
}

fn ports(v: &[proto::ValueInfo]) -> Vec<Port> {
    v.iter()
        .map(|p| Port {
            name: p.name.clone(),
            ty: p.ty.describe(),
            shape: match &p.ty {
                proto::OnnxType::Tensor { shape, .. } => dims_json(shape),
                _ => None,
            },
        })
        .collect()
}

/// The descriptive part of a model's report (no replay).
pub fn describe(m: &Inspected) -> ModelReport {
    let manifest = m.source.manifest.clone().unwrap_or_default();
    let file_name = Path::new(&m.source.path)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| m.source.path.clone());
    ModelReport {
        path: m.source.path.clone(),
        name: manifest.name.clone().unwrap_or(file_name),
        version: manifest.version.clone(),
        inputs: ports(&m.proto.inputs),
        outputs: ports(&m.proto.outputs),
        opsets: m.proto.opsets.clone(),
        producer: format!("{} {}", m.proto.producer_name, m.proto.producer_version)
            .trim()
            .to_string(),
        ir_version: m.proto.ir_version,
        graph_name: m.proto.graph_name.clone(),
        metadata: m.proto.metadata.clone(),
        environment: manifest.environment.clone(),
        training_metrics: manifest.metrics.clone(),
        task: String::new(),
        prediction_output: String::new(),
        threshold: manifest.threshold.unwrap_or(0.5),
        mapping: InputMapping {
            layout: String::new(),
            source: String::new(),
            inputs: BTreeMap::new(),
        },
        metrics: Metrics::default(),
        replay_seconds: 0.0,
    }
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
) -> Result<Compared, String> {
    progress("Opening models".into(), None);
    let a = inspect(champion).map_err(|e| e.to_string())?;
    let b = inspect(challenger).map_err(|e| e.to_string())?;
    compare_inspected(a, b, opts, progress, cancel)
}

/// Runs the comparison of two already inspected models.
pub fn compare_inspected(
    a: Inspected,
    b: Inspected,
    opts: &CompareOptions,
    progress: Progress,
    cancel: &AtomicBool,
) -> Result<Compared, String> {
    let rt = runtime::runtime()?;
    let holdout_path = opts
        .holdout
        .clone()
        .or_else(|| a.source.holdout.as_ref().map(|p| p.display().to_string()))
        .or_else(|| b.source.holdout.as_ref().map(|p| p.display().to_string()))
        .ok_or("no holdout: give --holdout FILE (or a bundle whose bundle.toml names one)")?;
    progress(format!("Reading holdout {holdout_path}"), None);
    let holdout = Holdout::read(&holdout_path, cancel)?;
    let label = holdout.label_column(opts.label.as_deref())?;
    let columns = holdout.columns();
    let numeric = |c: &str| holdout.is_numeric(c);
    let plan_of = |m: &Inspected| -> Result<InputPlan, String> {
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
    let (ra, ta) = choose_output(&a.proto, positive(&a).as_deref(), &a.source.path)?;
    let (rb, tb) = choose_output(&b.proto, positive(&b).as_deref(), &b.source.path)?;
    if ta != tb {
        return Err(format!(
            "{} is a {} model but {} is a {} model; both must predict the same kind of target",
            a.source.path,
            task_name(ta),
            b.source.path,
            task_name(tb)
        ));
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
    let replay = |m: &Model, who: &str| -> Result<(Vec<f64>, f64), String> {
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
        r.task = task_name(m.task).into();
        r.prediction_output = m.read.name().to_string();
        r.mapping = m.plan.mapping.clone();
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

fn task_name(t: Task) -> &'static str {
    match t {
        Task::Binary => "binary",
        Task::Regression => "regression",
    }
}

#[allow(clippy::too_many_arguments)]
fn diff(
    a: &[f64],
    b: &[f64],
    thresholds: (f64, f64),
    regression: bool,
    labels: Option<&[f64]>,
    holdout: &Holdout,
    ma: &Model,
    mb: &Model,
    label: Option<&str>,
) -> Diff {
    let n = a.len();
    let deltas: Vec<f64> = a.iter().zip(b).map(|(x, y)| (y - x).abs()).collect();
    let mut flips = Flips::default();
    let mut differ = 0u64;
    if !regression {
        for (x, y) in a.iter().zip(b) {
            match (*x >= thresholds.0, *y >= thresholds.1) {
                (false, true) => flips.neg_to_pos += 1,
                (true, false) => flips.pos_to_neg += 1,
                (false, false) => flips.neg_to_neg += 1,
                (true, true) => flips.pos_to_pos += 1,
            }
        }
        differ = flips.neg_to_pos + flips.pos_to_neg;
    }
    let mut sorted = deltas.clone();
    sorted.sort_unstable_by(f64::total_cmp);
    let max = sorted.last().copied().unwrap_or(0.0);
    let quantiles: BTreeMap<String, f64> =
        [("p50", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0)]
            .iter()
            .map(|(k, q)| (k.to_string(), percentile_sorted(&sorted, *q)))
            .collect();
    // histogram of |Δ| on 20 bins over [0, 1] for probabilities, [0, max] for regression
    let top = if regression {
        max.max(f64::MIN_POSITIVE)
    } else {
        1.0
    };
    let bins = 20usize;
    let edges: Vec<f64> = (0..=bins).map(|i| top * i as f64 / bins as f64).collect();
    let mut counts = vec![0u64; bins];
    for d in &deltas {
        let k = ((d / top) * bins as f64).floor() as usize;
        counts[k.min(bins - 1)] += 1;
    }
    // rows that disagree most, with the features either model reads
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|x, y| deltas[*y].total_cmp(&deltas[*x]).then(x.cmp(y)));
    let mut feats = ma.plan.columns();
    for c in mb.plan.columns() {
        if !feats.contains(&c) {
            feats.push(c);
        }
    }
    let top_rows = order
        .iter()
        .take(20)
        .map(|&r| DisagreeingRow {
            row: r as u64,
            champion: a[r],
            challenger: b[r],
            abs_delta: deltas[r],
            label: labels.map(|l| l[r]).filter(|v| !v.is_nan()),
            // only these rows' cells are formatted, not whole columns
            features: feats
                .iter()
                .map(|f| (f.clone(), holdout.cell_text(f, r).unwrap_or_default()))
                .collect(),
        })
        .collect();
    // agreement per segment value
    let mut exclude: Vec<&str> = feats.iter().map(String::as_str).collect();
    if let Some(l) = label {
        exclude.push(l);
    }
    let mut segments = Vec::new();
    for col in holdout.segment_columns(&exclude) {
        let Some(column) = holdout.column(&col) else {
            continue;
        };
        let text = column.to_text(&col);
        let mut acc: BTreeMap<&str, (u64, u64, f64)> = BTreeMap::new();
        for (r, v) in text.iter().enumerate().take(n) {
            let Some(v) = v else { continue };
            let e = acc.entry(v).or_default();
            e.0 += 1;
            let same = regression || ((a[r] >= thresholds.0) == (b[r] >= thresholds.1));
            if same {
                e.1 += 1;
            }
            e.2 += deltas[r];
        }
        for (value, (rows, same, sum)) in acc {
            segments.push(SegmentAgreement {
                column: col.clone(),
                value: value.to_string(),
                rows,
                agreement: same as f64 / rows as f64,
                mean_abs_delta: sum / rows as f64,
            });
        }
    }
    Diff {
        rate: if regression || n == 0 {
            0.0
        } else {
            differ as f64 / n as f64
        },
        mean_abs_delta: if n == 0 {
            0.0
        } else {
            crate::analysis::stats::pairwise_sum(&deltas) / n as f64
        },
        max_abs_delta: max,
        quantiles,
        flips,
        histogram_edges: edges,
        histogram_counts: counts,
        top_rows,
        segments,
    }
}

fn port_sig(p: &Port) -> String {
    format!(
        "{} {} {}",
        p.name,
        p.ty,
        serde_json::to_string(&p.shape).unwrap_or_default()
    )
}

/// The four comparison checks.
pub fn checks(
    a: &ModelReport,
    b: &ModelReport,
    diff: &Diff,
    imp: &Importance,
    regression: bool,
) -> Vec<Check> {
    let mut out = Vec::new();
    out.push(if regression {
        Check {
            id: "diff_rate".into(),
            status: Status::Pass,
            message: format!(
                "regression models: mean |difference| {:.4}, max {:.4} (no classes to flip)",
                diff.mean_abs_delta, diff.max_abs_delta
            ),
        }
    } else if diff.rate > DIFF_RATE_WARN {
        Check {
            id: "diff_rate".into(),
            status: Status::Warn,
            message: format!(
                "{:.1}% of rows change class (above {:.0}%): a label definition or feature pipeline may have changed",
                diff.rate * 100.0,
                DIFF_RATE_WARN * 100.0
            ),
        }
    } else {
        Check {
            id: "diff_rate".into(),
            status: Status::Pass,
            message: format!(
                "{:.1}% of rows change class ({} negative->positive, {} positive->negative)",
                diff.rate * 100.0,
                diff.flips.neg_to_pos,
                diff.flips.pos_to_neg
            ),
        }
    });
    // importance: top-3 sets and order
    out.push(if imp.features.is_empty() {
        Check {
            id: "importance_shift".into(),
            status: Status::Pass,
            message: "not evaluated: permutation importance was skipped".into(),
        }
    } else {
        let top = |champion: bool| -> Vec<String> {
            let mut v: Vec<&FeatureImportance> = imp.features.iter().collect();
            v.sort_by_key(|f| if champion { f.champion_rank } else { f.challenger_rank });
            v.iter().take(3).map(|f| f.name.clone()).collect()
        };
        let (ta, tb) = (top(true), top(false));
        let mut sa = ta.clone();
        let mut sb = tb.clone();
        sa.sort();
        sb.sort();
        if sa != sb {
            Check {
                id: "importance_shift".into(),
                status: Status::Warn,
                message: format!(
                    "top-3 features differ: champion {} vs challenger {} (possible data-pipeline problem)",
                    ta.join(", "),
                    tb.join(", ")
                ),
            }
        } else if ta != tb {
            Check {
                id: "importance_shift".into(),
                status: Status::Warn,
                message: format!(
                    "top-3 features reordered: champion {} vs challenger {} (possible data-pipeline problem)",
                    ta.join(", "),
                    tb.join(", ")
                ),
            }
        } else {
            Check {
                id: "importance_shift".into(),
                status: Status::Pass,
                message: format!("same top-3 features in the same order: {}", ta.join(", ")),
            }
        }
    });
    // inputs
    let (ia, ib): (Vec<String>, Vec<String>) = (
        a.inputs.iter().map(port_sig).collect(),
        b.inputs.iter().map(port_sig).collect(),
    );
    let cols =
        |m: &ModelReport| -> Vec<String> { m.mapping.inputs.values().flatten().cloned().collect() };
    let (ca, cb) = (cols(a), cols(b));
    out.push(if ia == ib && ca == cb {
        Check {
            id: "feature_alignment".into(),
            status: Status::Pass,
            message: format!(
                "identical inputs ({} features: {})",
                ca.len(),
                ca.join(", ")
            ),
        }
    } else {
        let only = |x: &[String], y: &[String]| -> Vec<String> {
            x.iter().filter(|c| !y.contains(c)).cloned().collect()
        };
        let (oa, ob) = (only(&ca, &cb), only(&cb, &ca));
        let mut parts = Vec::new();
        if ia != ib {
            parts.push(format!(
                "input signatures differ (champion: {}; challenger: {})",
                a.inputs
                    .iter()
                    .map(|p| format!("{} {}", p.name, p.ty))
                    .collect::<Vec<_>>()
                    .join(", "),
                b.inputs
                    .iter()
                    .map(|p| format!("{} {}", p.name, p.ty))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !oa.is_empty() {
            parts.push(format!("only the champion reads {}", oa.join(", ")));
        }
        if !ob.is_empty() {
            parts.push(format!("only the challenger reads {}", ob.join(", ")));
        }
        if oa.is_empty() && ob.is_empty() && ca != cb {
            parts.push("same features in a different order".into());
        }
        Check {
            id: "feature_alignment".into(),
            status: Status::Warn,
            message: format!(
                "champion and challenger do not take identical inputs: {}",
                parts.join("; ")
            ),
        }
    });
    // training environments
    out.push(if a.environment.is_empty() || b.environment.is_empty() {
        Check {
            id: "environment".into(),
            status: Status::Pass,
            message: match (a.environment.is_empty(), b.environment.is_empty()) {
                (true, true) => "not recorded (no bundle manifests with [environment])".into(),
                (true, false) => "recorded for the challenger only".into(),
                _ => "recorded for the champion only".into(),
            },
        }
    } else {
        let mut diffs = Vec::new();
        let keys: std::collections::BTreeSet<&String> =
            a.environment.keys().chain(b.environment.keys()).collect();
        for k in keys {
            let (x, y) = (a.environment.get(k), b.environment.get(k));
            if x != y {
                diffs.push(format!(
                    "{k}: {} vs {}",
                    x.map_or("-", String::as_str),
                    y.map_or("-", String::as_str)
                ));
            }
        }
        if diffs.is_empty() {
            Check {
                id: "environment".into(),
                status: Status::Pass,
                message: "same training environment".into(),
            }
        } else {
            Check {
                id: "environment".into(),
                status: Status::Warn,
                message: format!("training environments differ: {}", diffs.join(", ")),
            }
        }
    });
    out
}
