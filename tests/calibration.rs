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

/// Days of the looked-at experiment and the days people look at it.
const DAYS: u64 = 14;
const LOOKS: [u64; 7] = [2, 4, 6, 8, 10, 12, 14];
const DAY_MS: u64 = 86_400_000;
const START_MS: u64 = 1_764_547_200_000; // 2025-12-01T00:00:00Z

/// A log over two weeks (ramp 10 % → 50 % on day 4) with a week of pre-period before it:
/// heavy users whose own propensity drives both periods (so the pre-period predicts the
/// experiment), a base rate that drifts over time, and `lift` on the treatment's rate.
/// Rows are (ms since the start, possibly negative: the pre-period; user; group; converted).
fn simulate_weeks(seed: u64, lift: f64) -> Vec<(i64, String, &'static str, u8)> {
    let mut rng = Rng(seed);
    let mut rows = Vec::new();
    for u in 0..2500 {
        let name = format!("w{seed}x{u}");
        let activity = (rng.normal() * 1.0).exp();
        let propensity = (rng.normal() * 0.8).exp();
        let bucket = rng.next_u64() % 100;
        let k_pre = (activity * 3.0) as usize;
        for _ in 0..k_pre {
            let t = -((rng.uniform() * 7.0 * DAY_MS as f64) as i64) - 1;
            let c = (rng.uniform() < (0.05 * propensity).min(0.9)) as u8;
            rows.push((t, name.clone(), "A", c));
        }
        let k = 1 + (activity * 6.0) as usize;
        for _ in 0..k {
            let t = (rng.uniform() * (DAYS * DAY_MS) as f64) as i64;
            let pct = if t < (4 * DAY_MS) as i64 { 10 } else { 50 };
            let group = if bucket < pct { "B" } else { "A" };
            let drift = 1.0 + 0.3 * t as f64 / (DAYS * DAY_MS) as f64;
            let mut p = 0.05 * propensity * drift;
            if group == "B" {
                p *= lift;
            }
            rows.push((t, name.clone(), group, (rng.uniform() < p.min(0.95)) as u8));
        }
    }
    rows.sort();
    rows
}

/// The rows up to `until_ms` as CSV (pre-period rows carry no group).
fn csv_until(rows: &[(i64, String, &str, u8)], until_ms: i64) -> String {
    let mut out = String::from("ts,user_id,group,converted\n");
    for (t, u, g, c) in rows.iter().filter(|r| r.0 < until_ms) {
        let g = if *t < 0 { "" } else { g };
        let _ = writeln!(out, "{},{u},{g},{c}", START_MS as i64 + t);
    }
    out
}

/// (significant always-valid, significant fixed-horizon) for the primary metric.
fn look(dir: &std::path::Path, csv: &str, cuped: bool) -> (bool, bool) {
    let path = dir.join("look.csv");
    std::fs::write(&path, csv).unwrap();
    let plan = Plan::parse(
        &format!(
            "primary_metric = \"converted\"\nexperiment_start = \"2025-12-01T00:00:00Z\"\nramp = [10, 50]\ncuped = {cuped}\n"
        ),
        "plan",
    )
    .unwrap();
    let opts = LoadOptions {
        overrides: plan.role_overrides(),
        known_groups: None,
    };
    let ds = load(&[path.display().to_string()], &opts).unwrap();
    let rep = analyze(
        &ds,
        &AnalysisConfig {
            plan,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(rep.inference, verdict::plan::Inference::Sequential);
    let t = rep.tests.iter().find(|t| t.primary).unwrap();
    (t.significant, t.fixed.significant)
}

#[test]
fn looking_every_two_days_keeps_the_always_valid_false_positive_rate_at_alpha() {
    let dir = tempfile::tempdir().unwrap();
    let n = sims() / 2;
    let (mut seq_any, mut fixed_any, mut fixed_last) = (0usize, 0usize, 0usize);
    for i in 0..n {
        let rows = simulate_weeks(70_000 + i as u64, 1.0);
        let (mut s, mut f) = (false, false);
        for (j, d) in LOOKS.iter().enumerate() {
            let (seq, fixed) = look(dir.path(), &csv_until(&rows, (d * DAY_MS) as i64), false);
            s |= seq;
            f |= fixed;
            if j == LOOKS.len() - 1 {
                fixed_last += fixed as usize;
            }
        }
        seq_any += s as usize;
        fixed_any += f as usize;
    }
    let rate = |k: usize| k as f64 / n as f64;
    let se = (0.05f64 * 0.95 / n as f64).sqrt();
    println!(
        "A/A {n} logs looked at {} times: always-valid FPR at any look {:.4} (alpha 0.05 + {:.4}); fixed-horizon at any look {:.4}, at the last look only {:.4}",
        LOOKS.len(),
        rate(seq_any),
        3.0 * se,
        rate(fixed_any),
        rate(fixed_last)
    );
    // the always-valid guarantee: P(significant at any look) ≤ alpha
    assert!(rate(seq_any) <= 0.05 + 3.0 * se, "{}", rate(seq_any));
    // peeking at fixed-horizon tests inflates it
    assert!(
        rate(fixed_any) > rate(fixed_last),
        "{} vs {}",
        rate(fixed_any),
        rate(fixed_last)
    );
    assert!(
        (rate(fixed_last) - 0.05).abs() <= 3.0 * se,
        "{}",
        rate(fixed_last)
    );
}

#[test]
fn cuped_does_not_lose_power_when_the_pre_period_is_informative() {
    let dir = tempfile::tempdir().unwrap();
    let n = sims() / 2;
    let (mut plain, mut cuped, mut aa_cuped) = (0usize, 0usize, 0usize);
    let end = (DAYS * DAY_MS) as i64;
    for i in 0..n {
        let rows = simulate_weeks(80_000 + i as u64, 1.3);
        let csv = csv_until(&rows, end);
        plain += look(dir.path(), &csv, false).0 as usize;
        cuped += look(dir.path(), &csv, true).0 as usize;
        let aa = csv_until(&simulate_weeks(90_000 + i as u64, 1.0), end);
        aa_cuped += look(dir.path(), &aa, true).1 as usize;
    }
    let rate = |k: usize| k as f64 / n as f64;
    let se = (0.05f64 * 0.95 / n as f64).sqrt();
    println!(
        "A/B (+30%) {n} logs, always-valid: detection without CUPED {:.4}, with CUPED {:.4}; A/A with CUPED, fixed-horizon FPR {:.4} (alpha 0.05 ± {:.4})",
        rate(plain),
        rate(cuped),
        rate(aa_cuped),
        3.0 * se
    );
    let slack = 3.0 * (0.25 / n as f64).sqrt();
    assert!(
        rate(cuped) + slack >= rate(plain),
        "{} vs {}",
        rate(cuped),
        rate(plain)
    );
    assert!(
        (rate(aa_cuped) - 0.05).abs() <= 3.0 * se,
        "{}",
        rate(aa_cuped)
    );
}
