//! Calibration of performance estimation (CBPE): on simulated periods of a stable model
//! the band (± 3 sampling errors) covers the realized value, the estimate is unbiased, and
//! the estimated `auc_decline` rule (three consecutive periods more than 0.015 below the
//! reference's AUC) rarely fires (the A/A false-alarm rate); when the inputs drift so that
//! the model's real AUC falls, the rule fires (the detection rate).

use verdict::analysis::cbpe::{self, Cbpe, CbpeMetric};
use verdict::sample::Rng;

/// One period of `n` rows: (labels, raw scores, predicted classes); `spread` scales the
/// true logit (below 1: the model separates the classes less well).
fn period(rng: &mut Rng, n: usize, spread: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut y, mut s, mut p) = (vec![], vec![], vec![]);
    for _ in 0..n {
        let z = -0.4 + 1.8 * spread * rng.normal();
        let prob = 1.0 / (1.0 + (-z).exp());
        y.push(if rng.uniform() < prob { 1.0 } else { 0.0 });
        // an under-confident model: calibration is needed
        let score = 1.0 / (1.0 + (-0.55 * z).exp());
        s.push(score);
        p.push(if score >= 0.5 { 1.0 } else { 0.0 });
    }
    (y, s, p)
}

#[test]
fn bands_cover_the_realized_values_and_the_decline_rule_is_calibrated() {
    let mut rng = Rng::new(11);
    let (ry, rs, rp) = period(&mut rng, 5000, 1.0);
    let model = Cbpe::fit(&ry, &rs, &rp).unwrap();
    assert!(model.calibrated());
    let ref_auc = cbpe::realized(CbpeMetric::RocAuc, &ry, &rs, &rp).unwrap();
    let periods = 600;
    let mut covered = [0usize; 5];
    let mut bias = [0.0f64; 5];
    let mut below = Vec::new();
    for _ in 0..periods {
        let (y, s, p) = period(&mut rng, 500, 1.0);
        for (k, e) in model.estimate(&s, &p).iter().enumerate() {
            let real = cbpe::realized(e.metric, &y, &s, &p).unwrap();
            let (lo, hi) = e.band();
            if (lo.unwrap()..=hi.unwrap()).contains(&real) {
                covered[k] += 1;
            }
            bias[k] += (e.value.unwrap() - real) / periods as f64;
            if e.metric == CbpeMetric::RocAuc {
                below.push(e.value.unwrap() < ref_auc - 0.015);
            }
        }
    }
    // A/A: the rule fires on a window of three consecutive periods all below
    let windows = below.windows(3).count();
    let false_alarms = below.windows(3).filter(|w| w.iter().all(|b| *b)).count();
    let fpr = false_alarms as f64 / windows as f64;
    for (k, m) in CbpeMetric::ALL.iter().enumerate() {
        let rate = covered[k] as f64 / periods as f64;
        eprintln!(
            "{}: band coverage {rate:.3}, bias {:+.4}",
            m.as_str(),
            bias[k]
        );
        assert!(rate >= 0.95, "{}: coverage {rate}", m.as_str());
        // every period shares one calibrator fitted on one reference sample: its fitting
        // error is a common offset, a little above 0.01 for precision here
        assert!(bias[k].abs() < 0.02, "{}: bias {}", m.as_str(), bias[k]);
    }
    eprintln!("A/A: estimated auc_decline fires on {fpr:.4} of 3-period windows");
    assert!(fpr <= 0.05, "false alarms {fpr}");

    // the inputs drift: the logit's spread shrinks, the real AUC falls
    for (spread, least) in [(0.5, 0.95), (0.8, 0.8)] {
        let (detection, drop) = detect(&mut rng, &model, ref_auc, spread);
        eprintln!(
            "A/B (spread {spread}): real AUC {drop:.3} lower; the estimated rule fires in {detection:.3} of runs"
        );
        assert!(
            detection >= least,
            "detection {detection} at spread {spread}"
        );
    }
}

/// Share of runs of three drifted periods in which the estimated rule fires, and the
/// mean fall of the realized AUC.
fn detect(rng: &mut Rng, model: &Cbpe, ref_auc: f64, spread: f64) -> (f64, f64) {
    let trials = 200;
    let (mut fired, mut drop) = (0, 0.0);
    for _ in 0..trials {
        let est: Vec<f64> = (0..3)
            .map(|_| {
                let (y, s, p) = period(rng, 500, spread);
                drop += (ref_auc - cbpe::realized(CbpeMetric::RocAuc, &y, &s, &p).unwrap())
                    / (3 * trials) as f64;
                model.estimate(&s, &p)[0].value.unwrap()
            })
            .collect();
        if est.iter().all(|a| *a < ref_auc - 0.015) {
            fired += 1;
        }
    }
    (fired as f64 / trials as f64, drop)
}
