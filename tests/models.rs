//! Model replay against Python onnxruntime and sklearn (tests/fixtures/models/expected.json,
//! made by sample_data/models/make_models.py): probabilities, metrics, diff, flips; one input
//! per feature; regression; bundles as folder and zip; predictions export; the JSON contract;
//! and bad input (exit 2, one line naming the file and the column or input).

mod common;
use common::verdict;
use verdict::report::compare::{InputLayout, MappingSource, ModelTask};

use serde_json::Value;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use verdict::models::{compare, CompareOptions};

const M: &str = "sample_data/models";
const F: &str = "tests/fixtures/models";

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{F}/expected.json")).unwrap()).unwrap()
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{what}: got {got}, want {want}"
    );
}

/// Compares two models (no progress, no cancel).
fn replay(
    a: impl AsRef<Path>,
    b: impl AsRef<Path>,
    opts: CompareOptions,
) -> verdict::models::Compared {
    compare(
        a.as_ref(),
        b.as_ref(),
        &opts,
        &|_, _| {},
        &AtomicBool::new(false),
    )
    .unwrap()
}

fn sample(opts: &CompareOptions) -> verdict::models::Compared {
    replay(
        format!("{M}/champion.onnx"),
        format!("{M}/challenger"),
        opts.clone(),
    )
}

#[test]
fn probabilities_match_python_onnxruntime_and_metrics_match_sklearn() {
    let want = expected();
    let c = sample(&CompareOptions {
        repeats: 0,
        ..Default::default()
    });
    // the paired tests verdict shadow uses, on the labelled holdout
    let pt = c
        .report
        .paired_tests
        .as_ref()
        .expect("paired tests with labels");
    let d = pt.delong.unwrap();
    close(
        "delong champion auc",
        d.auc_champion,
        c.report.champion.metrics.auc.unwrap(),
        1e-12,
    );
    close(
        "delong challenger auc",
        d.auc_challenger,
        c.report.challenger.metrics.auc.unwrap(),
        1e-12,
    );
    assert!(d.se > 0.0 && d.p_value > 0.0 && d.p_value <= 1.0);
    let m = pt.mcnemar.unwrap();
    // accuracy difference = (b − c) / n
    let acc = |r: &verdict::report::compare::ModelReport| r.metrics.accuracy.unwrap();
    close(
        "mcnemar vs accuracy",
        (m.b as f64 - m.c as f64) / pt.n as f64,
        acc(&c.report.challenger) - acc(&c.report.champion),
        1e-9,
    );
    for (who, got, m) in [
        ("champion", &c.champion, &c.report.champion),
        ("challenger", &c.challenger, &c.report.challenger),
    ] {
        let w = &want[who];
        let probs = w["probability"].as_array().unwrap();
        assert_eq!(got.len(), probs.len());
        for (i, (g, p)) in got.iter().zip(probs).enumerate() {
            // the same runtime; tree sums may run in another order across threads (float32 ulps)
            close(&format!("{who} row {i}"), *g, p.as_f64().unwrap(), 1e-6);
        }
        for k in [
            "auc",
            "accuracy",
            "precision",
            "recall",
            "f1",
            "log_loss",
            "brier",
        ] {
            let g = match k {
                "auc" => m.metrics.auc,
                "accuracy" => m.metrics.accuracy,
                "precision" => m.metrics.precision,
                "recall" => m.metrics.recall,
                "f1" => m.metrics.f1,
                "log_loss" => m.metrics.log_loss,
                _ => m.metrics.brier,
            };
            close(
                &format!("{who} {k}"),
                g.unwrap(),
                w[k].as_f64().unwrap(),
                1e-5,
            );
        }
        // the metric code itself, on Python's probabilities, to 1e-9 against sklearn
        let py: Vec<f64> = probs.iter().map(|v| v.as_f64().unwrap()).collect();
        let exact = verdict::models::metrics::binary(&py, c.labels.as_ref().unwrap(), 0.5);
        for (k, g) in [
            ("auc", exact.auc),
            ("accuracy", exact.accuracy),
            ("precision", exact.precision),
            ("recall", exact.recall),
            ("f1", exact.f1),
            ("log_loss", exact.log_loss),
            ("brier", exact.brier),
        ] {
            close(
                &format!("{who} {k} (sklearn)"),
                g.unwrap(),
                w[k].as_f64().unwrap(),
                1e-9,
            );
        }
        for (g, e) in exact
            .calibration_true
            .iter()
            .zip(w["calibration_true"].as_array().unwrap())
        {
            close(
                &format!("{who} calibration_true"),
                *g,
                e.as_f64().unwrap(),
                1e-9,
            );
        }
        for (g, e) in exact
            .calibration_pred
            .iter()
            .zip(w["calibration_pred"].as_array().unwrap())
        {
            close(
                &format!("{who} calibration_pred"),
                *g,
                e.as_f64().unwrap(),
                1e-9,
            );
        }
    }
    let d = &c.report.diff;
    close(
        "diff rate",
        d.rate,
        want["diff_rate"].as_f64().unwrap(),
        1e-12,
    );
    close(
        "mean |d|",
        d.mean_abs_delta,
        want["mean_abs_delta"].as_f64().unwrap(),
        1e-5,
    );
    close(
        "max |d|",
        d.max_abs_delta,
        want["max_abs_delta"].as_f64().unwrap(),
        1e-5,
    );
    assert_eq!(d.flips.neg_to_pos, want["neg_to_pos"].as_u64().unwrap());
    assert_eq!(d.flips.pos_to_neg, want["pos_to_neg"].as_u64().unwrap());
    // the champion is a bare ZipMap model: it reads the holdout's numeric columns in order
    assert_eq!(
        c.report.champion.mapping.as_ref().unwrap().source,
        MappingSource::HoldoutColumns
    );
    assert_eq!(c.report.champion.prediction_output, "output_probability");
    assert_eq!(
        c.report.challenger.mapping.as_ref().unwrap().source,
        MappingSource::Manifest
    );
    assert_eq!(c.report.challenger.outputs[1].ty, "tensor(float)");
    assert_eq!(
        c.report.champion.outputs[1].ty,
        "seq(map(int64,tensor(float)))"
    );
    assert_eq!(c.report.challenger.name, "credit_risk_gbt");
    assert!(c.report.challenger.environment.contains_key("scikit_learn"));
    assert_eq!(c.report.holdout.rows, 2000);
    assert_eq!(c.report.holdout.label.as_deref(), Some("label"));
    assert!(c.report.runtime.version.starts_with("1.31"));
    // agreement per segment value adds up to the diff
    let seg_rows: u64 = d
        .segments
        .iter()
        .filter(|s| s.column == "segment")
        .map(|s| s.rows)
        .sum();
    assert_eq!(seg_rows, 2000);
    assert_eq!(d.histogram_counts.iter().sum::<u64>(), 2000);
}

#[test]
fn permutation_importance_is_seeded_and_ranks_both_models() {
    let opts = CompareOptions {
        repeats: 3,
        seed: 11,
        ..Default::default()
    };
    let a = sample(&opts).report.importance;
    let b = sample(&opts).report.importance;
    let strip = |mut i: verdict::report::compare::Importance| {
        i.seconds = 0.0;
        i
    };
    let (a, b) = (strip(a), strip(b));
    assert_eq!(a, b, "same seed, same permutations, same importances");
    assert_eq!(a.metric, "auc");
    assert_eq!(a.features.len(), 8);
    let mut ranks: Vec<u32> = a.features.iter().map(|f| f.champion_rank).collect();
    ranks.sort();
    assert_eq!(ranks, (1..=8).collect::<Vec<u32>>());
    // the generating process leans on utilization and late payments: both models see it
    let top = |f: &dyn Fn(&verdict::report::compare::FeatureImportance) -> u32| {
        a.features
            .iter()
            .filter(|x| f(x) <= 3)
            .map(|x| x.name.clone())
            .collect::<Vec<_>>()
    };
    assert!(top(&|x| x.champion_rank).contains(&"utilization".to_string()));
    assert!(top(&|x| x.challenger_rank).contains(&"late_payments".to_string()));
    let other = strip(
        sample(&CompareOptions {
            repeats: 3,
            seed: 12,
            ..Default::default()
        })
        .report
        .importance,
    );
    assert_ne!(
        a.features, other.features,
        "another seed, other permutations"
    );
}

#[test]
fn one_input_per_feature_and_regression_outputs() {
    let want = expected();
    // the per-feature model against itself, on the sample holdout (columns matched by name)
    let pf = format!("{F}/per_feature.onnx");
    let c = replay(
        &pf,
        &pf,
        CompareOptions {
            holdout: Some(format!("{M}/holdout.csv")),
            repeats: 1,
            ..Default::default()
        },
    );
    assert_eq!(
        c.report.champion.mapping.as_ref().unwrap().layout,
        InputLayout::PerFeature
    );
    for (g, p) in c
        .champion
        .iter()
        .zip(want["per_feature"]["probability"].as_array().unwrap())
    {
        close("per-feature probability", *g, p.as_f64().unwrap(), 1e-7);
    }
    assert_eq!(c.report.diff.rate, 0.0);
    // a linear regressor
    let reg = format!("{F}/regressor.onnx");
    let c = replay(
        &reg,
        &reg,
        CompareOptions {
            holdout: Some(format!("{F}/regression_holdout.csv")),
            label: Some("target".into()),
            repeats: 1,
            ..Default::default()
        },
    );
    assert_eq!(c.report.champion.task, Some(ModelTask::Regression));
    assert_eq!(c.report.importance.metric, "rmse");
    for (g, p) in c
        .champion
        .iter()
        .zip(want["regressor"]["prediction"].as_array().unwrap())
    {
        close("regression prediction", *g, p.as_f64().unwrap(), 1e-5);
    }
    close(
        "rmse",
        c.report.champion.metrics.rmse.unwrap(),
        want["regressor"]["rmse"].as_f64().unwrap(),
        1e-6,
    );
    close(
        "mae",
        c.report.champion.metrics.mae.unwrap(),
        want["regressor"]["mae"].as_f64().unwrap(),
        1e-6,
    );
}

fn zip_bundle(dir: &Path) -> PathBuf {
    let path = dir.join("challenger.zip");
    let f = std::fs::File::create(&path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default();
    for (name, src) in [
        (
            "challenger/model.onnx",
            format!("{M}/challenger/model.onnx"),
        ),
        ("challenger/holdout.csv", format!("{M}/holdout.csv")),
    ] {
        z.start_file(name, opts).unwrap();
        z.write_all(&std::fs::read(src).unwrap()).unwrap();
    }
    let manifest = std::fs::read_to_string(format!("{M}/challenger/bundle.toml"))
        .unwrap()
        .replace("holdout = \"../holdout.csv\"", "holdout = \"holdout.csv\"");
    z.start_file("challenger/bundle.toml", opts).unwrap();
    z.write_all(manifest.as_bytes()).unwrap();
    z.finish().unwrap();
    path
}

#[test]
fn cli_json_contract_zip_bundle_and_predictions_export() {
    let dir = tempfile::tempdir().unwrap();
    let zip = zip_bundle(dir.path());
    let csv = dir.path().join("pred.csv");
    let pq = dir.path().join("pred.parquet");
    let (code, out, err) = verdict(&[
        "compare",
        &format!("{M}/champion.onnx"),
        zip.to_str().unwrap(),
        "--repeats",
        "2",
        "--seed",
        "3",
        "--export-predictions",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    for k in ["version", "library"] {
        assert!(r["runtime"][k].is_string());
    }
    for who in ["champion", "challenger"] {
        let m = &r[who];
        for k in [
            "path", "inputs", "outputs", "opsets", "producer", "metadata", "metrics",
        ] {
            assert!(m.get(k).is_some(), "{who}.{k}");
        }
        for k in [
            "auc",
            "accuracy",
            "precision",
            "recall",
            "f1",
            "log_loss",
            "brier",
        ] {
            assert!(m["metrics"][k].is_number(), "{who}.metrics.{k}");
        }
        assert!(m["inputs"][0]["type"].is_string() && m["inputs"][0]["shape"].is_array());
    }
    assert_eq!(r["holdout"]["rows"], 2000);
    assert_eq!(r["holdout"]["label"], "label");
    for k in ["rate", "mean_abs_delta", "max_abs_delta"] {
        assert!(r["diff"][k].is_number());
    }
    assert!(r["diff"]["flips"]["neg_to_pos"].is_u64() && r["diff"]["flips"]["pos_to_neg"].is_u64());
    assert_eq!(r["importance"]["repeats"], 2);
    assert_eq!(r["importance"]["seed"], 3);
    let f0 = &r["importance"]["features"][0];
    for k in [
        "name",
        "champion_mean",
        "champion_std",
        "challenger_mean",
        "challenger_std",
        "champion_rank",
        "challenger_rank",
    ] {
        assert!(f0.get(k).is_some(), "importance field {k}");
    }
    let ids: Vec<&str> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "diff_rate",
            "importance_shift",
            "feature_alignment",
            "column_order",
            "environment",
            "reproducibility",
            "input_example"
        ]
    );
    // the zip's own holdout was used
    assert!(r["holdout"]["path"]
        .as_str()
        .unwrap()
        .ends_with("holdout.csv"));
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "row,champion_probability,challenger_probability,champion_prediction,challenger_prediction,label");
    assert_eq!(text.lines().count(), 2001);
    // Parquet by extension
    let (code, _, err) = verdict(&[
        "compare",
        &format!("{M}/champion.onnx"),
        &format!("{M}/challenger"),
        "--repeats",
        "0",
        "--export-predictions",
        pq.to_str().unwrap(),
        "--format",
        "md",
    ]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&pq).unwrap();
    assert!(bytes.starts_with(b"PAR1"));
}

#[test]
fn bad_models_and_holdouts_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = std::fs::read(format!("{M}/champion.onnx")).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    };
    let truncated = write("truncated.onnx", &good[..good.len() / 2]);
    let text = write("notes.onnx", b"this is not a model\n");
    let holdout = std::fs::read_to_string(format!("{M}/holdout.csv")).unwrap();
    let missing_col = write(
        "missing.csv",
        &holdout.replace("utilization", "util").into_bytes(),
    );
    let mut lines: Vec<String> = holdout.lines().map(str::to_string).collect();
    lines[5] = lines[5].replacen(',', ",abc", 2).replacen(",abc", ",", 1); // text in a feature
    let strings = write("strings.csv", (lines.join("\n") + "\n").as_bytes());
    let mut lines: Vec<String> = holdout.lines().map(str::to_string).collect();
    let cells: Vec<&str> = lines[7].split(',').collect();
    let mut cells: Vec<String> = cells.iter().map(|s| s.to_string()).collect();
    cells[5] = String::new(); // utilization missing
    lines[7] = cells.join(",");
    let nan = write("nan.csv", (lines.join("\n") + "\n").as_bytes());
    let champion = format!("{M}/champion.onnx");
    let challenger = format!("{M}/challenger");
    let regressor = format!("{F}/regressor.onnx");
    let reg_ho = format!("{F}/regression_holdout.csv");
    let three = format!("{F}/three_classes.onnx");
    let ho = format!("{M}/holdout.csv");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["compare", &truncated, &champion, "--holdout", &ho],
            "truncated",
        ),
        (
            vec!["compare", &champion, &text, "--holdout", &ho],
            "not an ONNX model",
        ),
        (
            vec!["compare", &champion, "no/such.onnx", "--holdout", &ho],
            "no/such.onnx",
        ),
        (
            vec!["compare", &champion, &challenger, "--holdout", &missing_col],
            "\"utilization\"",
        ),
        (
            vec!["compare", &champion, &challenger, "--holdout", &strings],
            "non-number",
        ),
        (
            vec!["compare", &champion, &challenger, "--holdout", &nan],
            "--allow-missing",
        ),
        (vec!["compare", &champion, &champion], "no holdout"),
        (
            vec![
                "compare",
                &champion,
                &champion,
                "--holdout",
                &ho,
                "--label",
                "nope",
            ],
            "nope",
        ),
        (
            vec!["compare", &champion, &regressor, "--holdout", &ho],
            "same kind of target",
        ),
        (
            vec![
                "compare",
                &champion,
                &champion,
                "--holdout",
                &reg_ho,
                "--label",
                "target",
            ],
            "takes 8 features",
        ),
        (
            vec!["compare", &three, &champion, "--holdout", &ho],
            "same kind of target",
        ),
        (
            vec![
                "compare",
                "tests/fixtures/models/mlflow/sklearn_flavor",
                &champion,
                "--holdout",
                &ho,
            ],
            "flavor \"sklearn\", not ONNX; Verdict replays ONNX only and never unpickles: export it with skl2onnx",
        ),
    ];
    for (args, needle) in cases {
        let (code, out, err) = verdict(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // --allow-missing passes NaN on to the tree model (which handles it) but the logistic
    // regression's output for that row is NaN too: the comparison still completes
    let (code, _, err) = verdict(&[
        "compare",
        &format!("{M}/challenger"),
        &format!("{M}/challenger"),
        "--holdout",
        &nan,
        "--allow-missing",
        "--repeats",
        "0",
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn zipmap_with_text_classes_and_a_chosen_positive_class() {
    let want = expected();
    let m = format!("{F}/string_labels.onnx");
    let run = |positive: Option<&str>| {
        replay(
            &m,
            &m,
            CompareOptions {
                holdout: Some(format!("{F}/string_labels_holdout.csv")),
                repeats: 0,
                positive_class: positive.map(str::to_string),
                ..Default::default()
            },
        )
    };
    let bad = run(Some("bad"));
    for (g, p) in bad
        .champion
        .iter()
        .zip(want["string_labels"]["probability_bad"].as_array().unwrap())
    {
        close("P(bad)", *g, p.as_f64().unwrap(), 1e-6);
    }
    // labels follow the positive class: "bad" rows are 1
    let labels = bad.labels.as_ref().unwrap();
    assert!(labels.iter().all(|l| *l == 0.0 || *l == 1.0));
    assert!(bad.report.champion.metrics.auc.unwrap() > 0.5);
    // by default the second class in sorted order is positive, as scikit-learn's predict_proba[:, 1]
    let good = run(None);
    for (g, b) in good.champion.iter().zip(&bad.champion) {
        close("P(good) = 1 - P(bad)", *g, 1.0 - b, 1e-6);
    }
    // float32 P(good) and P(bad) are complementary up to rounding, which can reorder near-ties
    close(
        "same AUC either way",
        good.report.champion.metrics.auc.unwrap(),
        bad.report.champion.metrics.auc.unwrap(),
        1e-5,
    );
}

#[test]
fn typed_inputs_string_float_and_int64_one_per_feature() {
    let want = expected();
    let m = format!("{F}/typed_inputs.onnx");
    let c = replay(
        &m,
        &m,
        CompareOptions {
            holdout: Some(format!("{M}/holdout.csv")),
            repeats: 1,
            ..Default::default()
        },
    );
    assert_eq!(
        c.report.champion.mapping.as_ref().unwrap().layout,
        InputLayout::PerFeature
    );
    let types: Vec<&str> = c
        .report
        .champion
        .inputs
        .iter()
        .map(|p| p.ty.as_str())
        .collect();
    assert_eq!(types, ["tensor(string)", "tensor(float)", "tensor(int64)"]);
    for (g, p) in c
        .champion
        .iter()
        .zip(want["typed_inputs"]["probability"].as_array().unwrap())
    {
        close("typed-input probability", *g, p.as_f64().unwrap(), 1e-6);
    }
    // the text column is shuffled like any other
    assert!(c
        .report
        .importance
        .features
        .iter()
        .any(|f| f.name == "segment"));
}

#[test]
fn bare_model_skips_numeric_ids_when_reading_holdout_columns_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(format!("{M}/holdout.csv")).unwrap();
    // a pandas index column and a numeric row id in front of the features
    let with_ids: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!(",row_id,{l}\n")
            } else {
                format!("{},{},{l}\n", i - 1, 1000 + i)
            }
        })
        .collect();
    let p = dir.path().join("holdout_ids.csv");
    std::fs::write(&p, with_ids).unwrap();
    let c = replay(
        format!("{M}/champion.onnx"),
        format!("{M}/challenger"),
        CompareOptions {
            holdout: Some(p.display().to_string()),
            repeats: 0,
            ..Default::default()
        },
    );
    assert_eq!(
        c.report.champion.mapping.as_ref().unwrap().inputs["X"].len(),
        8
    );
    assert!(!c.report.champion.mapping.as_ref().unwrap().inputs["X"]
        .iter()
        .any(|f| f.contains("id") || f == "index"));
    close(
        "AUC",
        c.report.champion.metrics.auc.unwrap(),
        expected()["champion"]["auc"].as_f64().unwrap(),
        1e-5,
    );
}

#[test]
fn raw_logit_pairs_are_softmaxed() {
    let want = expected();
    let m = format!("{F}/logits.onnx");
    let c = replay(
        &m,
        &m,
        CompareOptions {
            holdout: Some(format!("{M}/holdout.csv")),
            repeats: 0,
            ..Default::default()
        },
    );
    for (g, p) in c
        .champion
        .iter()
        .zip(want["logits"]["probability"].as_array().unwrap())
    {
        close("softmax(logits)[1]", *g, p.as_f64().unwrap(), 1e-6);
    }
    assert!(c.champion.iter().all(|p| (0.0..=1.0).contains(p)));
}

#[test]
fn external_data_weights_load_from_the_models_folder_and_from_zip_bundles() {
    let want = expected();
    // the weights are in logits.onnx.data beside the model, not in the working directory
    for m in [
        format!("{F}/external/logits.onnx"),
        format!("{F}/external/external.zip"),
    ] {
        let c = replay(
            &m,
            &m,
            CompareOptions {
                holdout: Some(format!("{M}/holdout.csv")),
                repeats: 0,
                ..Default::default()
            },
        );
        for (g, p) in c
            .champion
            .iter()
            .zip(want["logits"]["probability"].as_array().unwrap())
        {
            close(
                &format!("{m}: softmax(logits)[1]"),
                *g,
                p.as_f64().unwrap(),
                1e-6,
            );
        }
    }
}

#[test]
fn a_logit_output_is_declared_by_flag_or_bundle_and_goes_through_a_sigmoid() {
    let want: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{F}/logit_n1.json")).unwrap())
            .unwrap();
    let want = want["probability"].as_array().unwrap();
    let holdout = Some(format!("{M}/holdout.csv"));
    // undeclared, one [N, 1] float output reads as a regressor: the pair is refused
    let err = compare(
        format!("{F}/logit_n1.onnx").as_ref(),
        format!("{M}/champion.onnx").as_ref(),
        &CompareOptions {
            holdout: holdout.clone(),
            repeats: 0,
            ..Default::default()
        },
        &|_, _| {},
        &AtomicBool::new(false),
    )
    .err()
    .expect("different tasks");
    assert!(
        matches!(err, verdict::models::ModelError::TaskMismatch { .. }),
        "{err}"
    );
    // declared: --output champion=logit, or the bundle's output = "logit"
    let flag = replay(
        format!("{F}/logit_n1.onnx"),
        format!("{M}/champion.onnx"),
        CompareOptions {
            holdout: holdout.clone(),
            repeats: 0,
            outputs: [(
                "champion".to_string(),
                verdict::report::compare::OutputKind::Logit,
            )]
            .into_iter()
            .collect(),
            ..Default::default()
        },
    );
    let bundle = replay(
        format!("{F}/logit_bundle"),
        format!("{M}/champion.onnx"),
        CompareOptions {
            holdout,
            repeats: 0,
            ..Default::default()
        },
    );
    for c in [&flag, &bundle] {
        assert_eq!(
            c.report.champion.output_kind,
            Some(verdict::report::compare::OutputKind::Logit)
        );
        assert_eq!(
            c.report.challenger.output_kind,
            Some(verdict::report::compare::OutputKind::Probability)
        );
        assert_eq!(c.champion.len(), want.len());
        for (i, (g, p)) in c.champion.iter().zip(want).enumerate() {
            close(
                &format!("sigmoid(logit) row {i}"),
                *g,
                p.as_f64().unwrap(),
                1e-6,
            );
        }
    }
}

#[test]
fn the_alignment_check_compares_columns_and_says_how_they_were_mapped() {
    let logit = |_: ()| {
        [
            (
                "champion".to_string(),
                verdict::report::compare::OutputKind::Logit,
            ),
            (
                "challenger".to_string(),
                verdict::report::compare::OutputKind::Logit,
            ),
        ]
        .into_iter()
        .collect()
    };
    let c = replay(
        format!("{F}/logit_n1.onnx"),
        format!("{F}/logit_n1_renamed.onnx"),
        CompareOptions {
            holdout: Some(format!("{M}/holdout.csv")),
            repeats: 0,
            outputs: logit(()),
            ..Default::default()
        },
    );
    let check = c
        .report
        .checks
        .iter()
        .find(|k| k.id == verdict::report::CheckId::FeatureAlignment)
        .unwrap();
    // differently named inputs reading the same columns in the same order pass, and say so
    assert_eq!(
        check.status,
        verdict::report::Status::Pass,
        "{}",
        check.message
    );
    assert!(
        check.message.contains("named differently"),
        "{}",
        check.message
    );
    assert!(check.message.contains("mapped by"), "{}", check.message);
    // a model reading other columns warns, naming them
    let d = replay(
        format!("{F}/logit_n1.onnx"),
        format!("{F}/per_feature.onnx"),
        CompareOptions {
            holdout: Some(format!("{M}/holdout.csv")),
            repeats: 0,
            outputs: [(
                "champion".to_string(),
                verdict::report::compare::OutputKind::Logit,
            )]
            .into_iter()
            .collect(),
            ..Default::default()
        },
    );
    let check = d
        .report
        .checks
        .iter()
        .find(|k| k.id == verdict::report::CheckId::FeatureAlignment)
        .unwrap();
    assert_eq!(
        check.status,
        verdict::report::Status::Warn,
        "{}",
        check.message
    );
    assert!(
        check.message.contains("only the champion reads"),
        "{}",
        check.message
    );
}
