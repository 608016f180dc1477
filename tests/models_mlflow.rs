//! MLflow model folders made by mlflow's own `save_model`, a 3-class pair, paired tests,
//! bootstrap and worst segments, against tests/fixtures/models/mlflow_reference.json (made by
//! tests/reference/make_mlflow_models.py with onnxruntime, scikit-learn, statsmodels and a
//! DeLong written from the paper).

mod common;
use common::verdict;

use serde_json::Value;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use verdict::models::{compare, CompareOptions};
use verdict::report::compare::{MappingSource, ModelTask, SourceKind};
use verdict::report::{CheckId, Status};

const F: &str = "tests/fixtures/models";

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{F}/mlflow_reference.json")).unwrap())
        .unwrap()
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1e-300),
        "{what}: got {got}, want {want}"
    );
}

fn run(a: &str, b: &str, opts: CompareOptions) -> verdict::models::Compared {
    compare(
        Path::new(a),
        Path::new(b),
        &opts,
        &|_, _| {},
        &AtomicBool::new(false),
    )
    .unwrap()
}

fn mlflow_pair(opts: CompareOptions) -> verdict::models::Compared {
    run(
        &format!("{F}/mlflow/champion"),
        &format!("{F}/mlflow/challenger.zip"),
        CompareOptions {
            holdout: Some(format!("{F}/mlflow/holdout_shuffled.csv")),
            repeats: 0,
            ..opts
        },
    )
}

fn check(c: &verdict::models::Compared, id: CheckId) -> &verdict::report::Check {
    c.report.checks.iter().find(|x| x.id == id).unwrap()
}

#[test]
fn mlflow_folders_map_a_shuffled_holdout_by_signature_and_match_sklearn() {
    let want = &reference()["binary"];
    let c = mlflow_pair(CompareOptions::default());
    for (role, m) in [
        ("champion", &c.report.champion),
        ("challenger", &c.report.challenger),
    ] {
        let w = &want[role];
        assert_eq!(m.source, SourceKind::Mlflow, "{role}");
        assert_eq!(
            m.mapping.as_ref().unwrap().source,
            MappingSource::Signature,
            "{role}"
        );
        for k in [
            "auc",
            "accuracy",
            "precision",
            "recall",
            "f1",
            "log_loss",
            "brier",
        ] {
            let got = match k {
                "auc" => m.metrics.auc,
                "accuracy" => m.metrics.accuracy,
                "precision" => m.metrics.precision,
                "recall" => m.metrics.recall,
                "f1" => m.metrics.f1,
                "log_loss" => m.metrics.log_loss,
                _ => m.metrics.brier,
            };
            close(
                &format!("{role} {k}"),
                got.unwrap(),
                w[k].as_f64().unwrap(),
                1e-9,
            );
        }
        let ml = m.mlflow.as_ref().unwrap();
        assert_eq!(ml.run_id, None, "save_model writes no run");
        assert_eq!(ml.model_uuid.as_ref().unwrap().len(), 32);
        assert_eq!(ml.mlflow_version.as_deref(), Some("3.18.0"));
        assert!(ml.utc_time_created.is_some());
        assert!(ml
            .requirements
            .iter()
            .any(|r| r.starts_with("onnxruntime==")));
        assert_eq!(ml.python_version.as_deref(), Some("3.11.7"));
        assert_eq!(ml.signature_inputs.len(), 8);
        assert_eq!(ml.input_example_rows, Some(3));
        assert_eq!(
            m.environment.get("onnx").map(String::as_str),
            Some("1.23.2")
        );
        assert_eq!(
            m.training_metrics["auc"],
            w["recorded"]["auc"].as_f64().unwrap()
        );
    }
    let first: Vec<f64> = want["champion"]["first_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (i, p) in first.iter().enumerate() {
        close("champion row", c.champion[i], *p, 1e-12);
    }
    // paired tests: statsmodels' mcnemar, DeLong from the paper
    let p = c.report.paired_tests.as_ref().unwrap();
    let m = p.mcnemar.unwrap();
    let wm = &want["mcnemar"];
    assert_eq!((m.b, m.c, m.exact), (57, 70, false));
    assert_eq!(m.b, wm["b"].as_u64().unwrap());
    close(
        "mcnemar stat",
        m.statistic.unwrap(),
        wm["statistic"].as_f64().unwrap(),
        1e-9,
    );
    close(
        "mcnemar p",
        m.p_value.unwrap(),
        wm["p_value"].as_f64().unwrap(),
        1e-6,
    );
    let d = p.delong.unwrap();
    let wd = &want["delong"];
    for (k, got) in [
        ("auc_champion", d.auc_champion),
        ("auc_challenger", d.auc_challenger),
        ("diff", d.diff),
        ("se", d.se),
        ("ci_low", d.ci_low),
        ("ci_high", d.ci_high),
    ] {
        close(&format!("delong {k}"), got, wd[k].as_f64().unwrap(), 1e-9);
    }
    close("delong p", d.p_value, wd["p_value"].as_f64().unwrap(), 1e-6);
    // bootstrap: the three keys, each interval around its difference
    for k in ["f1", "log_loss", "brier"] {
        let b = p.bootstrap[k];
        assert_eq!(b.n, 1000);
        assert!(b.ci_low <= b.diff && b.diff <= b.ci_high, "{k}: {b:?}");
    }
    close(
        "Δf1",
        p.bootstrap["f1"].diff,
        want["challenger"]["f1"].as_f64().unwrap() - want["champion"]["f1"].as_f64().unwrap(),
        1e-9,
    );
    close(
        "Δlog loss",
        p.bootstrap["log_loss"].diff,
        want["challenger"]["log_loss"].as_f64().unwrap()
            - want["champion"]["log_loss"].as_f64().unwrap(),
        1e-9,
    );
    // checks: names, reproducibility (the challenger's recorded f1 is 0.02 off), example
    assert_eq!(check(&c, CheckId::ColumnOrder).status, Status::Pass);
    let r = check(&c, CheckId::Reproducibility);
    assert_eq!(r.status, Status::Warn, "{}", r.message);
    assert!(r.message.contains("challenger f1"), "{}", r.message);
    assert_eq!(r.numbers["metrics_off"], 1.0);
    assert_eq!(r.numbers["metrics_compared"], 5.0);
    let e = check(&c, CheckId::InputExample);
    assert_eq!(e.status, Status::Pass, "{}", e.message);
    assert_eq!(e.numbers["examples_passed"], 2.0);
    assert_eq!(check(&c, CheckId::Environment).status, Status::Pass);
}

#[test]
fn worst_segments_match_the_reference_search() {
    let want = &reference()["binary"]["worst_segments"];
    let c = mlflow_pair(CompareOptions {
        bootstrap: 0,
        ..Default::default()
    });
    assert!(c.report.paired_tests.as_ref().unwrap().bootstrap.is_empty());
    assert_eq!(c.report.segments_tested, want["tested"].as_u64().unwrap());
    let w = want["worst"].as_array().unwrap();
    assert_eq!(c.report.worst_segments.len(), w.len());
    assert!(!w.is_empty());
    for (got, w) in c.report.worst_segments.iter().zip(w) {
        let what = format!("{} {}", got.column, got.segment);
        assert_eq!(got.column, w["column"].as_str().unwrap(), "{what}");
        assert_eq!(got.segment, w["segment"].as_str().unwrap(), "{what}");
        assert_eq!(got.rows, w["rows"].as_u64().unwrap(), "{what}");
        assert_eq!(got.metric, "accuracy");
        for (k, v) in [
            ("champion", got.champion),
            ("challenger", got.challenger),
            ("diff", got.diff),
        ] {
            close(&format!("{what} {k}"), v, w[k].as_f64().unwrap(), 1e-9);
        }
        close(
            &format!("{what} p"),
            got.p_value,
            w["p_value"].as_f64().unwrap(),
            1e-6,
        );
        close(
            &format!("{what} p adj"),
            got.p_value_adjusted,
            w["p_value_adjusted"].as_f64().unwrap(),
            1e-6,
        );
        assert!(got.diff < 0.0);
    }
    // worst first
    assert!(c
        .report
        .worst_segments
        .windows(2)
        .all(|p| p[0].diff <= p[1].diff));
}

#[test]
fn bootstrap_is_seeded_identical_on_a_rerun_and_moves_with_the_seed() {
    let a = mlflow_pair(CompareOptions {
        seed: 3,
        ..Default::default()
    });
    let b = mlflow_pair(CompareOptions {
        seed: 3,
        ..Default::default()
    });
    let c = mlflow_pair(CompareOptions {
        seed: 4,
        ..Default::default()
    });
    let boot = |x: &verdict::models::Compared| x.report.paired_tests.clone().unwrap().bootstrap;
    assert_eq!(boot(&a), boot(&b));
    assert_ne!(boot(&a)["f1"].ci_low, boot(&c)["f1"].ci_low);
    assert_eq!(boot(&a)["f1"].diff, boot(&c)["f1"].diff);
}

#[test]
fn three_classes_match_sklearn_with_a_flip_matrix() {
    let want = &reference()["multiclass"];
    let c = run(
        &format!("{F}/multiclass/champion.onnx"),
        &format!("{F}/multiclass/challenger.onnx"),
        CompareOptions {
            holdout: Some(format!("{F}/multiclass/holdout.csv")),
            label: Some("tier".into()),
            repeats: 1,
            ..Default::default()
        },
    );
    let classes: Vec<String> = want["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    for (role, m) in [
        ("champion", &c.report.champion),
        ("challenger", &c.report.challenger),
    ] {
        let w = &want[role];
        assert_eq!(m.task, Some(ModelTask::Multiclass));
        assert_eq!(m.classes, classes);
        for (k, got) in [
            ("accuracy", m.metrics.accuracy),
            ("log_loss", m.metrics.log_loss),
            ("auc_macro_ovr", m.metrics.auc_macro_ovr),
            ("auc_weighted_ovr", m.metrics.auc_weighted_ovr),
        ] {
            close(
                &format!("{role} {k}"),
                got.unwrap(),
                w[k].as_f64().unwrap(),
                1e-9,
            );
        }
        let pc = w["per_class"].as_array().unwrap();
        assert_eq!(m.metrics.per_class.len(), 3);
        for (g, w) in m.metrics.per_class.iter().zip(pc) {
            assert_eq!(g.class, w["class"].as_str().unwrap());
            assert_eq!(g.support, w["support"].as_u64().unwrap());
            close(
                "precision",
                g.precision,
                w["precision"].as_f64().unwrap(),
                1e-9,
            );
            close("recall", g.recall, w["recall"].as_f64().unwrap(), 1e-9);
            close("f1", g.f1, w["f1"].as_f64().unwrap(), 1e-9);
        }
        assert!(!m.metrics.calibration_count.is_empty());
        assert_eq!(m.metrics.auc, None);
    }
    // probabilities of the ZipMap champion, row-major in class order
    let rows = want["champion"]["first_rows"].as_array().unwrap();
    for (i, r) in rows.iter().enumerate() {
        for (j, v) in r.as_array().unwrap().iter().enumerate() {
            close(
                "p",
                c.classes.as_ref().unwrap().champion[i * 3 + j],
                v.as_f64().unwrap(),
                1e-12,
            );
        }
    }
    for a in &classes {
        for b in &classes {
            assert_eq!(
                c.report.diff.flip_matrix[a][b],
                want["flip_matrix"][a][b].as_u64().unwrap(),
                "{a}->{b}"
            );
        }
    }
    let m = c.report.paired_tests.as_ref().unwrap().mcnemar.unwrap();
    assert_eq!(m.b, want["mcnemar"]["b"].as_u64().unwrap());
    assert_eq!(m.c, want["mcnemar"]["c"].as_u64().unwrap());
    close(
        "p",
        m.p_value.unwrap(),
        want["mcnemar"]["p_value"].as_f64().unwrap(),
        1e-6,
    );
    let p = c.report.paired_tests.as_ref().unwrap();
    assert!(p.delong.is_none(), "DeLong is null for k > 2");
    assert_eq!(
        p.bootstrap.keys().collect::<Vec<_>>(),
        ["log_loss"],
        "log loss for multi-class"
    );
    assert_eq!(c.report.importance.metric, "log_loss");
    assert!(c
        .report
        .importance
        .features
        .iter()
        .any(|f| f.champion_mean > 0.0));
    // the export names classes and keeps every class's probability
    let csv = verdict::models::export::predictions_csv(&c);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "row,champion_probability,challenger_probability,champion_prediction,challenger_prediction,label,champion_p_bronze,champion_p_gold,champion_p_silver,challenger_p_bronze,challenger_p_gold,challenger_p_silver"
    );
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    let top = (0..3)
        .max_by(|x, y| {
            c.classes.as_ref().unwrap().champion[*x]
                .total_cmp(&c.classes.as_ref().unwrap().champion[*y])
        })
        .unwrap();
    assert_eq!(first[3], classes[top]);
    assert!(classes.contains(&first[5].to_string()));
    assert_eq!(csv.lines().count(), 601);
    // the bare models are fed by position: a warning says so
    assert_eq!(check(&c, CheckId::ColumnOrder).status, Status::Warn);
}

#[test]
fn cli_json_contract_plan_tolerance_and_changed_environments() {
    let dir = tempfile::tempdir().unwrap();
    let plan = common::write(
        dir.path(),
        "verdict.toml",
        "reproducibility_tolerance = 0.05\nalpha = 0.1\n",
    );
    let champion = format!("{F}/mlflow/champion");
    let challenger = format!("{F}/mlflow/challenger");
    let holdout = format!("{F}/mlflow/holdout_shuffled.csv");
    let base = [
        "compare",
        &champion,
        &challenger,
        "--holdout",
        &holdout,
        "--repeats",
        "0",
    ];
    let (code, out, err) = verdict(&base);
    assert_eq!(code, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    for key in ["b", "c", "statistic", "p_value", "exact"] {
        assert!(j["paired_tests"]["mcnemar"].get(key).is_some(), "{key}");
    }
    for key in [
        "auc_champion",
        "auc_challenger",
        "diff",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
    ] {
        assert!(j["paired_tests"]["delong"][key].is_number(), "{key}");
    }
    for m in ["f1", "log_loss", "brier"] {
        for key in ["diff", "ci_low", "ci_high", "n"] {
            assert!(
                j["paired_tests"]["bootstrap"][m][key].is_number(),
                "{m} {key}"
            );
        }
    }
    let w = &j["worst_segments"][0];
    for key in [
        "column",
        "segment",
        "rows",
        "metric",
        "champion",
        "challenger",
        "diff",
        "p_value",
        "p_value_adjusted",
    ] {
        assert!(w.get(key).is_some(), "{key}");
    }
    assert_eq!(j["champion"]["source"], "mlflow");
    assert_eq!(j["champion"]["output_kind"], "probability");
    assert!(j["champion"]["mlflow"]["run_id"].is_null());
    for key in [
        "model_uuid",
        "utc_time_created",
        "mlflow_version",
        "requirements",
    ] {
        assert!(!j["champion"]["mlflow"][key].is_null(), "{key}");
    }
    let status = |j: &Value, id: &str| {
        j["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status(&j, "reproducibility"), "warn");
    // the plan's tolerance
    let mut with_plan = base.to_vec();
    let plan_s = plan.display().to_string();
    with_plan.extend(["--plan", &plan_s]);
    let (code, out, err) = verdict(&with_plan);
    assert_eq!(code, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status(&j, "reproducibility"), "pass");
    // and its alpha: DeLong's interval at 90 %
    let d = &j["paired_tests"]["delong"];
    close(
        "90% half-width",
        d["ci_high"].as_f64().unwrap() - d["diff"].as_f64().unwrap(),
        1.6448536269514722 * d["se"].as_f64().unwrap(),
        1e-9,
    );
    // a challenger trained with another onnxruntime: the environments are compared
    let copy = dir.path().join("challenger");
    std::fs::create_dir(&copy).unwrap();
    for e in std::fs::read_dir(&challenger).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    let req = std::fs::read_to_string(copy.join("requirements.txt")).unwrap();
    std::fs::write(
        copy.join("requirements.txt"),
        req.replace("onnxruntime==1.31.1", "onnxruntime==1.17.0"),
    )
    .unwrap();
    let copy_s = copy.display().to_string();
    let (code, out, err) = verdict(&[
        "compare",
        &champion,
        &copy_s,
        "--holdout",
        &holdout,
        "--repeats",
        "0",
    ]);
    assert_eq!(code, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status(&j, "environment"), "warn");
    let msg = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "environment")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("onnxruntime: 1.31.1 vs 1.17.0"), "{msg}");
    // a broken input example fails its check (and the comparison still completes)
    std::fs::write(
        copy.join("input_example.json"),
        r#"{"columns": ["income_k"], "data": [[1.0]]}"#,
    )
    .unwrap();
    let (code, out, _) = verdict(&[
        "compare",
        &champion,
        &copy_s,
        "--holdout",
        &holdout,
        "--repeats",
        "0",
    ]);
    assert_eq!(code, 0);
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status(&j, "input_example"), "fail");
}

#[test]
fn a_model_without_names_on_a_shuffled_holdout_is_flagged() {
    // the MLflow champion's own ONNX file, without its signature: fed by position it reads
    // the wrong columns, and the column-order check says the order cannot be verified
    let bare = format!("{F}/mlflow/champion/model.onnx");
    let (code, out, err) = verdict(&[
        "compare",
        &bare,
        &format!("{F}/mlflow/champion"),
        "--holdout",
        &format!("{F}/mlflow/holdout_shuffled.csv"),
        "--repeats",
        "0",
    ]);
    assert_eq!(code, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    let c = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "column_order")
        .unwrap()
        .clone();
    assert_eq!(c["status"], "warn");
    assert!(c["message"].as_str().unwrap().contains("the champion"));
    assert_eq!(j["champion"]["mapping"]["source"], "holdout columns");
    assert_eq!(j["challenger"]["mapping"]["source"], "mlflow signature");
    let auc = |m: &str| j[m]["metrics"]["auc"].as_f64().unwrap();
    assert!(
        auc("challenger") > auc("champion") + 0.1,
        "the positional replay is wrong"
    );
}

#[test]
fn output_kinds_by_output_name_from_flags_and_bundles() {
    let logit = format!("{F}/logit_n1.onnx");
    let holdout = "sample_data/models/holdout.csv";
    let by_role = run(
        &logit,
        &logit,
        CompareOptions {
            holdout: Some(holdout.into()),
            repeats: 0,
            bootstrap: 0,
            outputs: [
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
            .collect(),
            ..Default::default()
        },
    );
    let by_name = run(
        &logit,
        &logit,
        CompareOptions {
            holdout: Some(holdout.into()),
            repeats: 0,
            bootstrap: 0,
            outputs: [(
                "logit".to_string(),
                verdict::report::compare::OutputKind::Logit,
            )]
            .into_iter()
            .collect(),
            ..Default::default()
        },
    );
    assert_eq!(by_role.champion, by_name.champion);
    assert_eq!(by_name.report.champion.task, Some(ModelTask::Binary));
    // bundle.toml [output] by name
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&logit, dir.path().join("model.onnx")).unwrap();
    std::fs::write(
        dir.path().join("bundle.toml"),
        "[output]\nlogit = \"logit\"\n",
    )
    .unwrap();
    let bundle = run(
        &dir.path().display().to_string(),
        &logit,
        CompareOptions {
            holdout: Some(holdout.into()),
            repeats: 0,
            bootstrap: 0,
            outputs: [(
                "challenger".to_string(),
                verdict::report::compare::OutputKind::Logit,
            )]
            .into_iter()
            .collect(),
            ..Default::default()
        },
    );
    assert_eq!(bundle.champion, by_role.champion);
    assert_eq!(
        bundle.report.champion.output_kind,
        Some(verdict::report::compare::OutputKind::Logit)
    );
    // a name the model does not have is an error naming it
    std::fs::write(
        dir.path().join("bundle.toml"),
        "[output]\nnope = \"logit\"\n",
    )
    .unwrap();
    let (code, _, err) = verdict(&[
        "compare",
        &dir.path().display().to_string(),
        &logit,
        "--holdout",
        holdout,
        "--output",
        "challenger=logit",
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("[output] names \"nope\"") && err.contains("logit"),
        "{err}"
    );
}

#[test]
fn a_torch_dynamo_export_with_external_weights_replays_from_another_folder() {
    // mlp.onnx + mlp.onnx.data from torch.onnx.export(dynamo=True, external_data=True), one
    // [N, 1] logit output; run from a temp folder so the data file must be found next to
    // the model, not in the working directory
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{F}/torch/reference.json")).unwrap(),
    )
    .unwrap();
    assert!(want["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "mlp.onnx.data"));
    let root = std::env::current_dir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let preds = dir.path().join("p.csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .current_dir(dir.path())
        .args([
            "compare",
            &root.join(F).join("torch/mlp.onnx").display().to_string(),
            &root
                .join(F)
                .join("torch/mlp_legacy.onnx")
                .display()
                .to_string(),
            "--holdout",
            &root
                .join("sample_data/models/holdout.csv")
                .display()
                .to_string(),
            "--output",
            "champion=logit",
            "--output",
            "challenger=logit",
            "--repeats",
            "0",
            "--export-predictions",
            &preds.display().to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["champion"]["output_kind"], "logit");
    assert_eq!(j["champion"]["task"], "binary");
    close(
        "auc",
        j["champion"]["metrics"]["auc"].as_f64().unwrap(),
        want["auc"].as_f64().unwrap(),
        1e-9,
    );
    // the legacy exporter's file of the same module gives the same probabilities
    assert!(j["diff"]["max_abs_delta"].as_f64().unwrap() < 1e-6);
    let csv = std::fs::read_to_string(&preds).unwrap();
    for (line, p) in csv
        .lines()
        .skip(1)
        .zip(want["first_rows"].as_array().unwrap())
    {
        let got: f64 = line.split(',').nth(1).unwrap().parse().unwrap();
        close("p", got, p.as_f64().unwrap(), 1e-12);
    }
}

#[test]
fn a_bundle_toml_beside_an_mlmodel_wins_and_mlmodel_paths_stay_inside() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("both");
    std::fs::create_dir(&folder).unwrap();
    for e in std::fs::read_dir(format!("{F}/mlflow/champion")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), folder.join(e.file_name())).unwrap();
    }
    std::fs::write(
        folder.join("bundle.toml"),
        "name = \"mine\"\nthreshold = 0.3\n",
    )
    .unwrap();
    let i = verdict::models::compare::inspect(&folder).unwrap();
    assert_eq!(i.source.kind, SourceKind::Bundle);
    assert_eq!(i.source.manifest.as_ref().unwrap().threshold, Some(0.3));
    // an onnx flavor pointing outside the folder is refused
    std::fs::remove_file(folder.join("bundle.toml")).unwrap();
    let mlmodel = std::fs::read_to_string(folder.join("MLmodel")).unwrap();
    std::fs::write(
        folder.join("MLmodel"),
        mlmodel.replacen("data: model.onnx", "data: ../../outside.onnx", 1),
    )
    .unwrap();
    let e = verdict::models::compare::inspect(&folder)
        .unwrap_err()
        .to_string();
    assert!(e.contains("outside the model folder"), "{e}");
}

#[test]
fn multi_class_labels_naming_no_class_are_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(format!("{F}/multiclass/holdout.csv")).unwrap();
    let bad: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                let cut = l.rfind(',').unwrap();
                format!("{},{}\n", &l[..cut], i % 3)
            }
        })
        .collect();
    let holdout = common::write(dir.path(), "h.csv", bad);
    let (code, out, err) = verdict(&[
        "compare",
        &format!("{F}/multiclass/champion.onnx"),
        &format!("{F}/multiclass/challenger.onnx"),
        "--holdout",
        holdout.to_str().unwrap(),
        "--label",
        "tier",
        "--repeats",
        "0",
    ]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("bronze, gold, silver") && err.contains("\"tier\""),
        "{err}"
    );
}

#[test]
fn a_mistyped_output_name_is_an_error_naming_the_outputs() {
    let logit = format!("{F}/logit_n1.onnx");
    let (code, out, err) = verdict(&[
        "compare",
        &logit,
        &logit,
        "--holdout",
        "sample_data/models/holdout.csv",
        "--output",
        "logitz=logit",
    ]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("--output logitz") && err.contains("outputs: logit"),
        "{err}"
    );
}
