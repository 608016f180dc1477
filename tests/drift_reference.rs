//! Drift statistics against numpy/scipy reference values (tests/fixtures/drift/expected.json,
//! made by tests/reference/make_drift_reference.py), through the engine and the CLI.

use serde_json::Value;
use std::sync::atomic::AtomicBool;
use verdict::analysis::drift::kstwo::kstwo_sf;
use verdict::analysis::drift::split::TimeSplitSpec;
use verdict::analysis::drift::{run, DriftConfig, DriftInputs};
use verdict::ingest::time::parse_timestamp_us;
use verdict::ingest::RoleOverrides;
use verdict::report::drift::{DriftReport, FeatureDrift, FeatureKind};

const REL: f64 = 1e-9;
const DIR: &str = "tests/fixtures/drift";

fn close(what: &str, got: f64, want: f64) {
    // scipy's own subnormal results carry few digits: compare those absolutely
    let tol = if want.abs() < 1e-300 {
        1e-300
    } else {
        REL * want.abs()
    };
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, want {want:e} (rel {:e})",
        ((got - want) / want).abs()
    );
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/expected.json")).unwrap()).unwrap()
}

fn files(reference: &str, current: &str) -> DriftReport {
    let inputs = DriftInputs::Files {
        reference: vec![format!("{DIR}/{reference}")],
        current: vec![format!("{DIR}/{current}")],
    };
    run(
        &inputs,
        &DriftConfig::default(),
        &RoleOverrides::default(),
        &|_| {},
        &|_, _| {},
        &AtomicBool::new(false),
    )
    .unwrap()
}

fn check_feature(case: &str, f: &FeatureDrift, want: &Value) {
    let what = |k: &str| format!("{case}/{}/{k}", f.name);
    let num = |k: &str| want[k].as_f64().unwrap();
    close(&what("statistic"), f.statistic.unwrap(), num("statistic"));
    close(&what("p_value"), f.p_value.unwrap(), num("p_value"));
    close(&what("psi"), f.psi.unwrap(), num("psi"));
    if let Some(v) = want.get("null_rate_reference") {
        close(
            &what("null_rate_reference"),
            f.null_rate_reference,
            v.as_f64().unwrap(),
        );
        close(
            &what("null_rate_current"),
            f.null_rate_current,
            want["null_rate_current"].as_f64().unwrap(),
        );
    }
    match want["kind"].as_str().unwrap() {
        "numeric" => {
            assert_eq!(f.kind, FeatureKind::Numeric, "{}", what("kind"));
            assert_eq!(f.test.as_str(), "ks");
            close(
                &what("wasserstein"),
                f.wasserstein.unwrap(),
                num("wasserstein"),
            );
            close(
                &what("wasserstein_norm"),
                f.wasserstein_norm.unwrap(),
                num("wasserstein_norm"),
            );
            for (i, b) in f.bins.iter().enumerate() {
                close(
                    &what("bin_reference"),
                    b.reference,
                    want["bin_reference"][i].as_f64().unwrap(),
                );
                close(
                    &what("bin_current"),
                    b.current,
                    want["bin_current"][i].as_f64().unwrap(),
                );
            }
        }
        _ => {
            assert_eq!(f.kind, FeatureKind::Categorical, "{}", what("kind"));
            assert_eq!(f.test.as_str(), "chi2");
            assert_eq!(f.dof, want["dof"].as_u64());
            let shares = want["shares"].as_object().unwrap();
            assert_eq!(f.categories.len(), shares.len(), "{}", what("categories"));
            for c in &f.categories {
                let w = &shares[&c.value];
                close(&what(&c.value), c.reference, w[0].as_f64().unwrap());
                close(&what(&c.value), c.current, w[1].as_f64().unwrap());
            }
        }
    }
}

fn check_case(case: &str, r: &DriftReport, want: &Value) {
    assert_eq!(
        r.reference.rows,
        want["reference_rows"].as_u64().unwrap(),
        "{case} reference rows"
    );
    assert_eq!(
        r.current.rows,
        want["current_rows"].as_u64().unwrap(),
        "{case} current rows"
    );
    let feats = want["features"].as_object().unwrap();
    // the reference's features are the inputs; the model's output and the target are
    // compared too, in their own sections
    let inputs: Vec<_> = r
        .features
        .iter()
        .filter(|f| f.section == verdict::report::drift::DriftSection::Input)
        .collect();
    assert_eq!(
        inputs.len(),
        feats.len(),
        "{case}: features {:?}",
        r.features.iter().map(|f| &f.name).collect::<Vec<_>>()
    );
    for f in &inputs {
        check_feature(case, f, &feats[&f.name]);
    }
    for f in r.features.iter().filter(|f| !feats.contains_key(&f.name)) {
        assert_ne!(
            f.section,
            verdict::report::drift::DriftSection::Input,
            "{case} {}",
            f.name
        );
    }
    assert_eq!(r.input_features, feats.len() as u64);
}

#[test]
fn kstwo_survival_function_matches_scipy_in_every_method_region() {
    for row in expected()["kstwo_sf"].as_array().unwrap() {
        let (n, x, want) = (
            row[0].as_u64().unwrap(),
            row[1].as_f64().unwrap(),
            row[2].as_f64().unwrap(),
        );
        close(&format!("kstwo.sf({x}, {n})"), kstwo_sf(n, x), want);
    }
}

#[test]
fn two_files_match_scipy() {
    let r = files("reference.csv", "current.csv");
    check_case("files", &r, &expected()["files"]);
    // user_id is an id, not a feature
    assert!(r.features.iter().all(|f| f.name != "user_id"));
    let flag = |n: &str| r.features.iter().find(|f| f.name == n).unwrap().clone();
    assert!(flag("country").drifted && flag("country").alert);
    assert!(!flag("stable").drifted && !flag("stable").alert);
    // drift_share is drifted / features
    let drifted = r.features.iter().filter(|f| f.drifted).count();
    assert_eq!(r.drift_share, drifted as f64 / r.features.len() as f64);
    assert_eq!(r.dataset_drifted, r.drift_share >= 0.5);
    let psi = r.triggers.iter().find(|t| t.id.as_str() == "psi").unwrap();
    assert_eq!(psi.status.as_str(), "fail");
    assert!(psi.message.contains("country"));
    let nulls = r
        .triggers
        .iter()
        .find(|t| t.id.as_str() == "null_features")
        .unwrap();
    assert_eq!(nulls.status.as_str(), "warn", "{}", nulls.message);
    assert!(nulls.message.contains("tenure"));
}

#[test]
fn small_samples_use_the_exact_small_n_paths() {
    let want = expected();
    for (i, w) in want["small"].as_object().unwrap() {
        let r = files(&format!("small_{i}_ref.csv"), &format!("small_{i}_cur.csv"));
        assert_eq!(r.features.len(), 1);
        check_feature(&format!("small {i}"), &r.features[0], w);
    }
}

fn split(spec: TimeSplitSpec, window: Option<&str>) -> DriftReport {
    split_every(spec, window, None)
}

fn split_every(spec: TimeSplitSpec, window: Option<&str>, every: Option<&str>) -> DriftReport {
    let inputs = DriftInputs::Split {
        log: vec![format!("{DIR}/log.jsonl")],
        spec,
        window: window.map(str::to_string),
    };
    run(
        &inputs,
        &DriftConfig {
            every: every.map(str::to_string),
            ..Default::default()
        },
        &RoleOverrides::default(),
        &|_| {},
        &|_, _| {},
        &AtomicBool::new(false),
    )
    .unwrap()
}

#[test]
fn one_log_split_at_a_time_matches_scipy() {
    let at = parse_timestamp_us("2026-03-15T00:00:00Z").unwrap();
    let r = split(TimeSplitSpec::At(at), None);
    check_case("split_at", &r, &expected()["split_at"]);
    assert_eq!(r.split.mode.as_str(), "split_at");
    assert_eq!(r.split.time_column.as_deref(), Some("timestamp"));
    // the nested features are the inputs; the score is the prediction section; no
    // model_version / request_id
    for f in &r.features {
        match f.section {
            verdict::report::drift::DriftSection::Input => {
                assert!(f.name.starts_with("features."), "{}", f.name)
            }
            verdict::report::drift::DriftSection::Prediction => assert_eq!(f.name, "score"),
            other => panic!("{} in {other:?}", f.name),
        }
    }
    // four weeks: snapshots of 12 hours picked from the span
    assert_eq!(r.psi_over_time.bucket, "12h");
    assert!((25..=61).contains(&r.psi_over_time.starts.len()));
    // weekly when chosen, drift visible after the split
    let r = split_every(TimeSplitSpec::At(at), None, Some("7d"));
    let pot = &r.psi_over_time;
    assert_eq!(pot.bucket, "7d");
    assert_eq!(pot.starts.len(), 4);
    let amount = pot
        .features
        .iter()
        .find(|s| s.name == "features.amount")
        .unwrap();
    assert!(
        amount.psi[0].unwrap() < 0.1 && amount.psi[3].unwrap() > 0.2,
        "{:?}",
        amount.psi
    );
}

#[test]
fn window_compares_the_last_span_with_the_one_before() {
    let r = split(TimeSplitSpec::Window(7 * 86_400_000_000), Some("7d"));
    check_case("window_7d", &r, &expected()["window_7d"]);
    assert_eq!(r.split.window.as_deref(), Some("7d"));
}

#[test]
fn drift_tables_export_as_csv() {
    let r = files("reference.csv", "current.csv");
    let csv = verdict::report::csv::drift_features_csv(&r);
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("name,kind,test,statistic,p_value"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), r.features.len());
    let country = rows.iter().find(|l| l.starts_with("country,")).unwrap();
    let f = r.features.iter().find(|f| f.name == "country").unwrap();
    assert!(
        country.contains(&format!("{}", f.psi.unwrap())),
        "{country}"
    );
    let t = verdict::report::csv::drift_triggers_csv(&r);
    assert_eq!(t.lines().count(), r.triggers.len() + 1);
}
