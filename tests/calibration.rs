//! Calibration of the rollout-aware analysis: simulated A/A logs with heavy users, a hash
//! ramp (5 % → 50 %) and a base rate that rises at the ramp, analysed by the engine. The
//! false-positive rate of the primary metric's `significant` must be within simulation
//! error of alpha; the request-level pooled test (`--unit request`) is shown for
//! comparison, and A/B logs with a known effect give the detection rate.
//!
//! `VERDICT_CALIBRATION_SIMS=2000 cargo test --release --test calibration -- --nocapture`
//! runs more simulations and prints the rates.

use std::fmt::Write as _;
use verdict::analysis::{analyze, AnalysisConfig};
use verdict::ingest::{load, LoadOptions};
use verdict::plan::{Plan, UnitChoice};

/// SplitMix64: a small seeded generator, so every run simulates the same logs.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// The A/B logs' true relative lift of the conversion probability.
const LIFT: f64 = 1.08;

/// One simulated log as CSV: `lift` multiplies the treatment's conversion probability.
fn simulate(seed: u64, lift: f64, ramp: bool) -> String {
    let mut rng = Rng(seed);
    let users = 10000;
    let span_ms = 100 * 60 * 1000u64;
    let mut rows: Vec<(u64, String, &str, u8)> = Vec::new();
    for u in 0..users {
        let name = format!("u{seed}x{u}");
        // heavy users: lognormal activity; each user has their own propensity
        let k = 1 + (rng.normal() * 1.1).exp().mul_add(3.0, 0.0) as usize;
        let propensity = (rng.normal() * 0.7).exp();
        let bucket = rng.next_u64() % 100;
        for _ in 0..k {
            let t = (rng.uniform() * span_ms as f64) as u64;
            let late = t >= span_ms / 2;
            let pct = if late || !ramp { 50 } else { 5 };
            let group = if bucket < pct { "B" } else { "A" };
            // the base rate rises at the ramp (or halfway through a static split)
            let mut p = 0.06 * propensity * if late { 1.6 } else { 1.0 };
            if group == "B" {
                p *= lift;
            }
            let converted = (rng.uniform() < p.min(0.95)) as u8;
            rows.push((t, name.clone(), group, converted));
        }
    }
    rows.sort();
    let mut out = String::from("ts,user_id,group,converted\n");
    for (t, u, g, c) in rows {
        let _ = writeln!(out, "{},{u},{g},{c}", 1_765_000_000_000u64 + t);
    }
    out
}

fn significant(
    dir: &std::path::Path,
    csv: &str,
    unit: Option<UnitChoice>,
    ramp: Option<Vec<f64>>,
) -> bool {
    analyse(dir, csv, unit, ramp).0
}

/// (primary significant, number of stages).
fn analyse(
    dir: &std::path::Path,
    csv: &str,
    unit: Option<UnitChoice>,
    ramp: Option<Vec<f64>>,
) -> (bool, usize) {
    let path = dir.join("sim.csv");
    std::fs::write(&path, csv).unwrap();
    let plan = Plan {
        primary_metric: Some("converted".into()),
        ramp,
        ..Default::default()
    };
    let opts = LoadOptions {
        overrides: plan.role_overrides(),
        known_groups: None,
    };
    let ds = load(&[path.display().to_string()], &opts).unwrap();
    let rep = analyze(
        &ds,
        &AnalysisConfig {
            plan,
            unit,
            inference: Some(verdict::plan::Inference::Fixed),
            ..Default::default()
        },
    )
    .unwrap();
    let sig = rep
        .tests
        .iter()
        .find(|t| t.metric == "converted")
        .is_some_and(|t| t.significant);
    (sig, rep.stages.len())
}

fn ramp() -> Option<Vec<f64>> {
    Some(vec![5.0, 50.0])
}

fn sims() -> usize {
    std::env::var("VERDICT_CALIBRATION_SIMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400)
}

#[test]
fn aa_false_positive_rate_is_alpha_and_ab_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let n = sims();
    let (mut fp_user, mut fp_request, mut hits) = (0usize, 0usize, 0usize);
    for i in 0..n {
        let aa = simulate(1000 + i as u64, 1.0, true);
        fp_user += significant(dir.path(), &aa, None, ramp()) as usize;
        fp_request += significant(dir.path(), &aa, Some(UnitChoice::Request), ramp()) as usize;
        let ab = simulate(900_000 + i as u64, LIFT, true);
        hits += significant(dir.path(), &ab, None, ramp()) as usize;
    }
    let rate = |k: usize| k as f64 / n as f64;
    let se = (0.05f64 * 0.95 / n as f64).sqrt();
    println!(
        "A/A {n} logs: user-level staged FPR {:.4} (alpha 0.05 ± {:.4}), request-level pooled FPR {:.4}; A/B (+8% relative) detection {:.4}",
        rate(fp_user),
        3.0 * se,
        rate(fp_request),
        rate(hits)
    );
    assert!(
        (rate(fp_user) - 0.05).abs() <= 3.0 * se,
        "false-positive rate {} is not within 3 standard errors ({:.4}) of 0.05",
        rate(fp_user),
        3.0 * se
    );
    assert!(
        rate(fp_request) > 0.05 + 3.0 * se,
        "the pooled request-level test should be miscalibrated on these logs ({})",
        rate(fp_request)
    );
    assert!(rate(hits) > 0.3, "detection rate {}", rate(hits));
}

#[test]
fn static_split_with_heavy_users_is_calibrated_by_user() {
    let dir = tempfile::tempdir().unwrap();
    let n = sims() / 2;
    let (mut fp_user, mut fp_request, mut staged) = (0usize, 0usize, 0usize);
    for i in 0..n {
        let aa = simulate(50_000 + i as u64, 1.0, false);
        let (sig, stages) = analyse(dir.path(), &aa, None, None);
        fp_user += sig as usize;
        staged += (stages != 1) as usize;
        fp_request += significant(dir.path(), &aa, Some(UnitChoice::Request), None) as usize;
    }
    let rate = |k: usize| k as f64 / n as f64;
    let se = (0.05f64 * 0.95 / n as f64).sqrt();
    println!(
        "static A/A {n} logs: user-level FPR {:.4} (alpha 0.05 ± {:.4}), request-level FPR {:.4}",
        rate(fp_user),
        3.0 * se,
        rate(fp_request)
    );
    assert_eq!(staged, 0, "a static split must be one stage");
    assert!(
        (rate(fp_user) - 0.05).abs() <= 3.0 * se,
        "{}",
        rate(fp_user)
    );
    assert!(rate(fp_request) > 0.05 + 3.0 * se, "{}", rate(fp_request));
}
