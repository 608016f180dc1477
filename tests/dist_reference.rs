//! Compares every point of tests/fixtures/dist_reference.json (scipy and 50-digit
//! mpmath values, made by tests/reference/make_dist_reference.py) with the Rust
//! implementation. Each point must match its `expect_from` value (scipy where scipy
//! agrees with mpmath to 1e-12, mpmath otherwise) to 1e-12 relative. Run with
//! `--nocapture` to see the per-function error summary.

use serde_json::Value;
use std::collections::BTreeMap;
use verdict::analysis::dist::{chi_squared, normal, student_t};

/// A fixture number; infinities and NaN are written as strings.
fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => match s.as_str() {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            _ => f64::NAN,
        },
        _ => f64::NAN,
    }
}

/// Relative error of `got` against `want` (exact matches of infinities and zeros are 0).
fn rel_err(got: f64, want: f64) -> f64 {
    if got == want {
        return 0.0;
    }
    if !want.is_finite() || !got.is_finite() {
        return f64::INFINITY;
    }
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

const TOL: f64 = 1e-12;

fn evaluate(name: &str, args: &[f64]) -> Option<f64> {
    let a0 = args[0];
    let a1 = args.get(1).copied().unwrap_or(f64::NAN);
    Some(match name {
        "norm.ppf" => normal::quantile(a0),
        "norm.isf" => normal::isf(a0),
        "norm.cdf" => normal::cdf(a0),
        "norm.sf" => normal::sf(a0),
        "t.ppf" => student_t::quantile(a0, a1),
        "t.isf" => student_t::isf(a0, a1),
        "t.cdf" => student_t::cdf(a0, a1),
        "t.sf" => student_t::sf(a0, a1),
        "chi2.ppf" => chi_squared::quantile(a0, a1),
        "chi2.isf" => chi_squared::isf(a0, a1),
        "chi2.cdf" => chi_squared::cdf(a0, a1),
        "chi2.sf" => chi_squared::sf(a0, a1),
        _ => return None,
    })
}

#[derive(Default)]
struct Stats {
    n: usize,
    n_mpmath: usize,
    max_vs_expect: f64,
    max_vs_scipy_where_right: f64,
    max_vs_mpmath: f64,
    worst: String,
    worst_mpmath: String,
}

#[test]
fn matches_scipy_and_mpmath_reference() {
    let doc: Value =
        serde_json::from_str(include_str!("fixtures/dist_reference.json")).expect("fixture parses");
    let version = doc["scipy_version"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() > 3000, "fixture too small: {}", cases.len());
    let mut stats: BTreeMap<String, Stats> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in cases {
        let c = case.as_array().expect("case");
        let name = c[0].as_str().expect("function");
        let args: Vec<f64> = c[1].as_array().expect("args").iter().map(num).collect();
        let scipy = num(&c[2]);
        let exact = num(&c[3]);
        let from = c[4].as_str().expect("expect_from");
        let expect = if from == "scipy" { scipy } else { exact };
        let got = evaluate(name, &args).unwrap_or_else(|| panic!("unknown function {name}"));
        let e = rel_err(got, expect);
        let s = stats.entry(name.to_string()).or_default();
        s.n += 1;
        if from != "scipy" {
            s.n_mpmath += 1;
        }
        if e > s.max_vs_expect {
            s.max_vs_expect = e;
            s.worst = format!("{args:?} got {got:e} want {expect:e} ({from})");
        }
        if from == "scipy" {
            s.max_vs_scipy_where_right = s.max_vs_scipy_where_right.max(rel_err(got, scipy));
        }
        let em = rel_err(got, exact);
        if em > s.max_vs_mpmath {
            s.max_vs_mpmath = em;
            s.worst_mpmath = format!("{args:?} got {got:e} mpmath {exact:e}");
        }
        if e.is_nan() || e > TOL {
            failures.push(format!(
                "{name}{args:?}: got {got:e}, want {expect:e} ({from}), rel {e:.3e}"
            ));
        }
    }
    println!("reference: scipy {version}, {} cases", cases.len());
    println!(
        "{:<10} {:>5} {:>8} {:>12} {:>12} {:>12}  worst point",
        "function", "n", "mpmath*", "max vs exp", "vs scipy", "vs mpmath"
    );
    for (name, s) in &stats {
        println!(
            "{:<10} {:>5} {:>8} {:>12.3e} {:>12.3e} {:>12.3e}  {}",
            name,
            s.n,
            s.n_mpmath,
            s.max_vs_expect,
            s.max_vs_scipy_where_right,
            s.max_vs_mpmath,
            s.worst
        );
    }
    println!(
        "(mpmath* = points where scipy is off by more than 1e-12 and mpmath is the expectation)"
    );
    println!("worst points against mpmath:");
    for (name, s) in &stats {
        println!(
            "  {:<10} {:.3e} at {}",
            name, s.max_vs_mpmath, s.worst_mpmath
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
