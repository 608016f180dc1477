//! Calibration of the paired tests `verdict compare` and `verdict shadow` report: on
//! simulated holdouts where both models are equally good (A/A), McNemar, DeLong and the
//! bootstrap interval of ΔF1 must flag a difference at alpha's rate (within three standard
//! errors of the simulation); where the challenger is better (A/B) the detection rates are
//! printed. `VERDICT_CALIBRATION_SIMS` sets the number of holdouts (default 400).

use verdict::models::compare::paired::{paired_tests, Predictions};
use verdict::models::replay::Task;
use verdict::sample::Rng;

fn sims() -> usize {
    std::env::var("VERDICT_CALIBRATION_SIMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

/// A holdout of `n` rows: labels at 40 %, two models' probabilities with separations
/// `sep_a` and `sep_b` and independent noise.
fn holdout(rng: &mut Rng, n: usize, sep_a: f64, sep_b: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut a, mut b, mut y) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let label = if rng.uniform() < 0.4 { 1.0 } else { 0.0 };
        let s = 2.0 * label - 1.0;
        a.push(1.0 / (1.0 + (-(sep_a * s + rng.normal())).exp()));
        b.push(1.0 / (1.0 + (-(sep_b * s + rng.normal())).exp()));
        y.push(label);
    }
    (a, b, y)
}

/// Shares of holdouts where McNemar, DeLong and the ΔF1 bootstrap flag a difference.
fn rates(sep_b: f64, seed: u64) -> (f64, f64, f64) {
    let mut rng = Rng::new(seed);
    let n_sims = sims();
    let (mut m, mut d, mut f) = (0usize, 0usize, 0usize);
    for s in 0..n_sims {
        let (a, b, y) = holdout(&mut rng, 500, 1.2, sep_b);
        let p = Predictions {
            a: &a,
            b: &b,
            y: &y,
            task: Task::Binary,
            k: 1,
            thresholds: (0.5, 0.5),
            alpha: 0.05,
        };
        let t = paired_tests(&p, 300, s as u64).unwrap();
        m += t.mcnemar.unwrap().p_value.is_some_and(|p| p < 0.05) as usize;
        d += (t.delong.unwrap().p_value < 0.05) as usize;
        let f1 = t.bootstrap["f1"];
        f += (f1.ci_low > 0.0 || f1.ci_high < 0.0) as usize;
    }
    let k = n_sims as f64;
    (m as f64 / k, d as f64 / k, f as f64 / k)
}

#[test]
fn paired_tests_flag_equal_models_at_alpha_and_detect_a_better_one() {
    let (m, d, f) = rates(1.2, 11);
    let k = sims() as f64;
    let tol = 3.0 * (0.05f64 * 0.95 / k).sqrt();
    eprintln!("A/A false-positive rates over {k} holdouts of 500 rows: McNemar {m:.3}, DeLong {d:.3}, bootstrap ΔF1 {f:.3} (alpha 0.05 ± {tol:.3})");
    for (name, r) in [("McNemar", m), ("DeLong", d), ("bootstrap ΔF1", f)] {
        assert!((r - 0.05).abs() <= tol + 0.01, "{name}: {r}");
    }
    let (m, d, f) = rates(1.6, 12);
    eprintln!("A/B detection rates (separation 1.2 vs 1.6): McNemar {m:.3}, DeLong {d:.3}, bootstrap ΔF1 {f:.3}");
    assert!(d > 0.5 && m > 0.2 && f > 0.2, "{m} {d} {f}");
}
