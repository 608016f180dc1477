//! The comparison checks: diff rate, importance shift, feature alignment, column order,
//! environment, reproducibility of recorded metrics, and the MLflow input example.

use super::smoke::Smoke;
use super::DIFF_RATE_WARN;
use crate::models::replay::Task;
use crate::report::compare::*;
use crate::report::{Check, CheckId, Status};

fn port_sig(p: &Port) -> String {
    format!(
        "{} {} {}",
        p.name,
        p.ty,
        serde_json::to_string(&p.shape).unwrap_or_default()
    )
}

/// The comparison checks.
pub fn checks(
    a: &ModelReport,
    b: &ModelReport,
    diff: &Diff,
    imp: &Importance,
    task: Task,
    tolerance: f64,
    smoke: &[Smoke; 2],
) -> Vec<Check> {
    vec![
        diff_rate_check(diff, task),
        importance_check(imp),
        alignment_check(a, b),
        column_order_check(a, b),
        environment_check(a, b),
        reproducibility_check(a, b, tolerance),
        input_example_check(smoke),
    ]
}

/// Warns when a model was fed the holdout's columns by position: nothing it declares
/// (manifest, signature, metadata, input names) lets the order be verified.
fn column_order_check(a: &ModelReport, b: &ModelReport) -> Check {
    let positional: Vec<(&str, &ModelReport)> = [("champion", a), ("challenger", b)]
        .into_iter()
        .filter(|(_, m)| {
            m.mapping
                .as_ref()
                .is_some_and(|x| x.source == MappingSource::HoldoutColumns)
        })
        .collect();
    if positional.is_empty() {
        let how = |m: &ModelReport| {
            m.mapping
                .as_ref()
                .map_or("-", |x| x.source.as_str())
                .to_string()
        };
        return Check::new(
            CheckId::ColumnOrder,
            Status::Pass,
            format!(
                "the holdout is mapped by name: champion by {}, challenger by {}",
                how(a),
                how(b)
            ),
        )
        .with("positional_models", 0.0);
    }
    let parts: Vec<String> = positional
        .iter()
        .map(|(role, m)| {
            let cols: Vec<String> = m
                .mapping
                .iter()
                .flat_map(|x| x.inputs.values().flatten().cloned())
                .collect();
            format!("the {role} ({})", cols.join(", "))
        })
        .collect();
    Check::new(
        CheckId::ColumnOrder,
        Status::Warn,
        format!(
            "{} {} no feature names, so the holdout's columns were fed in file order and the order cannot be verified; name the features (bundle.toml `features`, an MLflow signature, or `feature_names` metadata)",
            parts.join(" and "),
            if parts.len() == 1 { "declares" } else { "declare" }
        ),
    )
    .with("positional_models", positional.len() as f64)
}

/// The replay's value of a recorded metric's name (aliases included).
fn replayed(m: &Metrics, name: &str) -> Option<(&'static str, f64)> {
    let key = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let key = key
        .strip_prefix("test_")
        .or_else(|| key.strip_prefix("holdout_"))
        .or_else(|| key.strip_prefix("val_"))
        .unwrap_or(&key);
    let (id, v) = match key {
        "auc" | "roc_auc" | "roc_auc_score" => ("auc", m.auc.or(m.auc_macro_ovr)),
        "accuracy" | "accuracy_score" => ("accuracy", m.accuracy),
        "precision" | "precision_score" => ("precision", m.precision),
        "recall" | "recall_score" => ("recall", m.recall),
        "f1" | "f1_score" => ("f1", m.f1),
        "log_loss" | "logloss" => ("log_loss", m.log_loss),
        "brier" | "brier_score" | "brier_score_loss" => ("brier", m.brier),
        "rmse" | "root_mean_squared_error" => ("rmse", m.rmse),
        "mae" | "mean_absolute_error" => ("mae", m.mae),
        _ => return None,
    };
    Some((id, v?))
}

/// Compares each model's recorded offline metrics (bundle.toml `[metrics]`, MLflow
/// `metadata.metrics`) with the replay on this holdout.
fn reproducibility_check(a: &ModelReport, b: &ModelReport, tolerance: f64) -> Check {
    let mut compared = Vec::new();
    let mut off = Vec::new();
    let mut worst: f64 = 0.0;
    for (role, m) in [("champion", a), ("challenger", b)] {
        for (name, recorded) in &m.training_metrics {
            let Some((id, replay)) = replayed(&m.metrics, name) else {
                continue;
            };
            let d = (replay - recorded).abs();
            worst = worst.max(d);
            let line = format!("{role} {id} recorded {recorded:.4}, replayed {replay:.4}");
            if d > tolerance {
                off.push(format!("{line} (off by {d:.4})"));
            } else {
                compared.push(line);
            }
        }
    }
    let n = (compared.len() + off.len()) as f64;
    let check = if n == 0.0 {
        Check::new(
            CheckId::Reproducibility,
            Status::Pass,
            "nothing recorded: neither model records an offline metric the replay computes",
        )
    } else if off.is_empty() {
        Check::new(
            CheckId::Reproducibility,
            Status::Pass,
            format!(
                "recorded metrics reproduced within {tolerance}: {}",
                compared.join("; ")
            ),
        )
    } else {
        Check::new(
            CheckId::Reproducibility,
            Status::Warn,
            format!(
                "recorded metrics not reproduced on this holdout (tolerance {tolerance}): {}; a different holdout, preprocessing or model file than the one evaluated offline",
                off.join("; ")
            ),
        )
    };
    check
        .with("metrics_compared", n)
        .with("metrics_off", off.len() as f64)
        .with("max_abs_difference", worst)
        .with("tolerance", tolerance)
}

/// Whether the MLflow input examples replay.
fn input_example_check(smoke: &[Smoke; 2]) -> Check {
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for (role, s) in ["champion", "challenger"].iter().zip(smoke) {
        match s {
            Smoke::None => {}
            Smoke::Passed { rows } => passed.push(format!("{role}: {rows} rows replay")),
            Smoke::Failed { file, problem } => failed.push(format!("{role} ({file}): {problem}")),
        }
    }
    let check = if !failed.is_empty() {
        Check::new(
            CheckId::InputExample,
            Status::Fail,
            format!(
                "the saved input example does not replay: {}",
                failed.join("; ")
            ),
        )
    } else if passed.is_empty() {
        Check::new(
            CheckId::InputExample,
            Status::Pass,
            "no saved input example (MLflow models only)",
        )
    } else {
        Check::new(
            CheckId::InputExample,
            Status::Pass,
            format!(
                "the saved input example replays with finite predictions: {}",
                passed.join("; ")
            ),
        )
    };
    check
        .with("examples_passed", passed.len() as f64)
        .with("examples_failed", failed.len() as f64)
}

/// How many rows change class between the models.
fn diff_rate_check(diff: &Diff, task: Task) -> Check {
    let check = if task == Task::Regression {
        Check::new(
            CheckId::DiffRate,
            Status::Pass,
            format!(
                "regression models: mean |difference| {:.4}, max {:.4} (no classes to flip)",
                diff.mean_abs_delta, diff.max_abs_delta
            ),
        )
    } else if diff.rate > DIFF_RATE_WARN {
        Check::new(CheckId::DiffRate, Status::Warn, format!(
                "{:.1}% of rows change class (above {:.0}%): a label definition or feature pipeline may have changed",
                diff.rate * 100.0,
                DIFF_RATE_WARN * 100.0
            ))
    } else if task == Task::Multiclass {
        Check::new(
            CheckId::DiffRate,
            Status::Pass,
            format!(
                "{:.1}% of rows change top class (see the flip matrix)",
                diff.rate * 100.0
            ),
        )
    } else {
        Check::new(
            CheckId::DiffRate,
            Status::Pass,
            format!(
                "{:.1}% of rows change class ({} negative->positive, {} positive->negative)",
                diff.rate * 100.0,
                diff.flips.neg_to_pos,
                diff.flips.pos_to_neg
            ),
        )
    };
    check
        .with("diff_rate", diff.rate)
        .with("diff_rate_warn", DIFF_RATE_WARN)
        .with("mean_abs_delta", diff.mean_abs_delta)
        .with("max_abs_delta", diff.max_abs_delta)
        .with("neg_to_pos", diff.flips.neg_to_pos as f64)
        .with("pos_to_neg", diff.flips.pos_to_neg as f64)
}

/// Whether the models' three most important features are the same, in the same order.
fn importance_check(imp: &Importance) -> Check {
    let check = if imp.features.is_empty() {
        Check::new(
            CheckId::ImportanceShift,
            Status::Pass,
            "not evaluated: permutation importance was skipped",
        )
    } else {
        let top = |champion: bool| -> Vec<String> {
            let mut v: Vec<&FeatureImportance> = imp.features.iter().collect();
            v.sort_by_key(|f| {
                if champion {
                    f.champion_rank
                } else {
                    f.challenger_rank
                }
            });
            v.iter().take(3).map(|f| f.name.clone()).collect()
        };
        let (ta, tb) = (top(true), top(false));
        let mut sa = ta.clone();
        let mut sb = tb.clone();
        sa.sort();
        sb.sort();
        if sa != sb {
            Check::new(CheckId::ImportanceShift, Status::Warn, format!(
                    "top-3 features differ: champion {} vs challenger {} (possible data-pipeline problem)",
                    ta.join(", "),
                    tb.join(", ")
                ))
        } else if ta != tb {
            Check::new(CheckId::ImportanceShift, Status::Warn, format!(
                    "top-3 features reordered: champion {} vs challenger {} (possible data-pipeline problem)",
                    ta.join(", "),
                    tb.join(", ")
                ))
        } else {
            Check::new(
                CheckId::ImportanceShift,
                Status::Pass,
                format!("same top-3 features in the same order: {}", ta.join(", ")),
            )
        }
    };
    check.with("features_ranked", imp.features.len() as f64)
}

/// Whether both models read the same holdout columns in the same order.
fn alignment_check(a: &ModelReport, b: &ModelReport) -> Check {
    let (ia, ib): (Vec<String>, Vec<String>) = (
        a.inputs.iter().map(port_sig).collect(),
        b.inputs.iter().map(port_sig).collect(),
    );
    let cols = |m: &ModelReport| -> Vec<String> {
        m.mapping
            .iter()
            .flat_map(|map| map.inputs.values().flatten().cloned())
            .collect()
    };
    let (ca, cb) = (cols(a), cols(b));
    // what was compared: the holdout columns each model reads, mapped as it declares
    let how = |m: &ModelReport| {
        m.mapping.as_ref().map_or("no mapping".to_string(), |x| {
            match x.source {
                crate::report::compare::MappingSource::Manifest => "the manifest's features",
                crate::report::compare::MappingSource::MetadataProps => {
                    "its feature_names metadata"
                }
                crate::report::compare::MappingSource::HoldoutColumns => {
                    "position (holdout column order)"
                }
                crate::report::compare::MappingSource::InputNames => "its input names",
                crate::report::compare::MappingSource::ManifestInputs => "the manifest's [inputs]",
                crate::report::compare::MappingSource::Signature => "its MLflow signature",
            }
            .to_string()
        })
    };
    let compared = format!(
        "compared the holdout columns each reads: champion mapped by {}, challenger by {}",
        how(a),
        how(b)
    );
    let sig = |m: &ModelReport| {
        m.inputs
            .iter()
            .map(|p| format!("{} {}", p.name, p.ty))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let check = if ca == cb && !ca.is_empty() {
        let names = if ia == ib {
            String::new()
        } else {
            format!(
                "; their inputs are named differently (champion: {}; challenger: {}) but read the same columns",
                sig(a),
                sig(b)
            )
        };
        Check::new(
            CheckId::FeatureAlignment,
            Status::Pass,
            format!(
                "same {} holdout columns in the same order ({}){names}; {compared}",
                ca.len(),
                ca.join(", ")
            ),
        )
    } else if ia == ib && ca == cb {
        Check::new(
            CheckId::FeatureAlignment,
            Status::Pass,
            format!("identical inputs ({}); {compared}", sig(a)),
        )
    } else {
        let only = |x: &[String], y: &[String]| -> Vec<String> {
            x.iter().filter(|c| !y.contains(c)).cloned().collect()
        };
        let (oa, ob) = (only(&ca, &cb), only(&cb, &ca));
        let mut parts = Vec::new();
        if !oa.is_empty() {
            parts.push(format!("only the champion reads {}", oa.join(", ")));
        }
        if !ob.is_empty() {
            parts.push(format!("only the challenger reads {}", ob.join(", ")));
        }
        if oa.is_empty() && ob.is_empty() && ca != cb {
            parts.push("same columns in a different order".into());
        }
        if ia != ib {
            parts.push(format!(
                "input signatures differ (champion: {}; challenger: {})",
                sig(a),
                sig(b)
            ));
        }
        Check::new(
            CheckId::FeatureAlignment,
            Status::Warn,
            format!(
                "champion and challenger do not read the same columns: {}; {compared}",
                parts.join("; ")
            ),
        )
    };
    check
        .with("champion_features", ca.len() as f64)
        .with("challenger_features", cb.len() as f64)
}

/// Whether the bundles record the same training environment.
fn environment_check(a: &ModelReport, b: &ModelReport) -> Check {
    let check = if a.environment.is_empty() || b.environment.is_empty() {
        Check::new(
            CheckId::Environment,
            Status::Pass,
            match (a.environment.is_empty(), b.environment.is_empty()) {
                (true, true) => "not recorded (no bundle manifests with [environment])",
                (true, false) => "recorded for the challenger only",
                _ => "recorded for the champion only",
            },
        )
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
            Check::new(
                CheckId::Environment,
                Status::Pass,
                "same training environment",
            )
        } else {
            Check::new(
                CheckId::Environment,
                Status::Warn,
                format!("training environments differ: {}", diffs.join(", ")),
            )
        }
    };
    check
}
