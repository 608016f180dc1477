//! Whether isotonic calibration lowers the calibration error of a model's scores: NannyML
//! 0.13's `needs_calibration` test. Ten stratified 90/10 splits of the labelled reference;
//! on each, isotonic regression fitted on the 90 % calibrates the 10 %; the pooled test
//! rows' expected calibration error (10 bins of equal row counts over the sorted scores)
//! before and after decides. One class only, or an AUC above 0.999: no calibration. The
//! splits are drawn from Verdict's own seeded generator (NannyML draws numpy's), so the
//! decision is the same test, reproducible on a rerun.

use super::isotonic::Isotonic;
use crate::analysis::stats::auc;
use crate::sample::Rng;

/// Splits NannyML evaluates.
const SPLITS: usize = 10;
/// Share of each split held out.
const TEST_SHARE: f64 = 0.1;
/// Bins of the calibration error.
const BINS: usize = 10;
/// The generator's seed (NannyML's `random_state`).
const SEED: u64 = 42;

/// `needs_calibration(labels, scores)`: true when isotonic calibration lowers the expected
/// calibration error on held-out rows.
pub fn needs_calibration(labels: &[f64], scores: &[f64]) -> bool {
    let n = labels.len().min(scores.len());
    let positives: Vec<usize> = (0..n).filter(|&i| labels[i] == 1.0).collect();
    let negatives: Vec<usize> = (0..n).filter(|&i| labels[i] != 1.0).collect();
    if positives.is_empty() || negatives.is_empty() {
        return false;
    }
    if auc(&scores[..n], &labels[..n]).is_some_and(|a| a > 0.999) {
        return false;
    }
    let n_test = (TEST_SHARE * n as f64).ceil() as usize;
    let n_train = n - n_test;
    let classes = [&negatives, &positives];
    // per-class train and test counts, in proportion (largest remainders first)
    let train_counts = apportion(&[negatives.len(), positives.len()], n_train);
    let rest = [
        negatives.len() - train_counts[0],
        positives.len() - train_counts[1],
    ];
    let test_counts = apportion(&rest, n_test);
    let mut rng = Rng::new(SEED);
    let (mut y_test, mut raw_test, mut cal_test) = (vec![], vec![], vec![]);
    for _ in 0..SPLITS {
        let (mut train, mut test) = (vec![], vec![]);
        for (c, rows) in classes.iter().enumerate() {
            let mut perm: Vec<usize> = rows.to_vec();
            shuffle(&mut perm, &mut rng);
            train.extend_from_slice(&perm[..train_counts[c]]);
            test.extend_from_slice(&perm[train_counts[c]..train_counts[c] + test_counts[c]]);
        }
        let xs: Vec<f64> = train.iter().map(|&i| scores[i]).collect();
        let ys: Vec<f64> = train.iter().map(|&i| labels[i]).collect();
        let Some(iso) = Isotonic::fit(&xs, &ys) else {
            return false;
        };
        for &i in &test {
            y_test.push(labels[i]);
            raw_test.push(scores[i]);
            cal_test.push(iso.predict(scores[i]));
        }
    }
    let before = expected_calibration_error(&y_test, &raw_test);
    let after = expected_calibration_error(&y_test, &cal_test);
    before > after
}

/// Splits `total` over groups in proportion to `counts`: floors, then the largest
/// remainders get one more.
fn apportion(counts: &[usize], total: usize) -> Vec<usize> {
    let all: usize = counts.iter().sum();
    if all == 0 {
        return vec![0; counts.len()];
    }
    let exact: Vec<f64> = counts
        .iter()
        .map(|c| *c as f64 * total as f64 / all as f64)
        .collect();
    let mut out: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut left = total.saturating_sub(out.iter().sum());
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.sort_by(|a, b| {
        (exact[*b] - exact[*b].floor()).total_cmp(&(exact[*a] - exact[*a].floor()))
    });
    for i in order {
        if left == 0 {
            break;
        }
        if out[i] < counts[i] {
            out[i] += 1;
            left -= 1;
        }
    }
    out
}

/// Fisher–Yates.
fn shuffle(v: &mut [usize], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

/// NannyML's bin edges: `bins` runs of `len / bins` rows (the last takes the rest); fewer
/// bins (`len / 2`) for short vectors.
fn bin_edges(len: usize, bins: usize) -> Vec<(usize, usize)> {
    let bins = if len <= 2 * bins { len / 2 } else { bins };
    if bins < 2 {
        return vec![(0, len)];
    }
    let width = len / bins;
    let mut edges: Vec<usize> = (0..=len).step_by(width).collect();
    *edges.last_mut().expect("at least one edge") = len;
    edges.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Expected calibration error over bins of equal row counts of the sorted scores.
pub fn expected_calibration_error(labels: &[f64], scores: &[f64]) -> f64 {
    let n = labels.len();
    if n == 0 {
        return 0.0;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    bin_edges(n, BINS)
        .iter()
        .filter(|(l, r)| r > l)
        .map(|&(l, r)| {
            let k = (r - l) as f64;
            let p: f64 = order[l..r].iter().map(|&i| scores[i]).sum::<f64>() / k;
            let y: f64 = order[l..r].iter().map(|&i| labels[i]).sum::<f64>() / k;
            k / n as f64 * (p - y).abs()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_edges_as_nannyml() {
        assert_eq!(bin_edges(20, 4), vec![(0, 5), (5, 10), (10, 15), (15, 20)]);
        // 23 rows in 10 bins: width 2, the last bin takes the rest
        let e = bin_edges(23, 10);
        assert_eq!(e.len(), 11);
        assert_eq!(*e.last().unwrap(), (20, 23));
        assert_eq!(bin_edges(8, 10).len(), 4);
    }

    #[test]
    fn shrunk_scores_need_calibration_calibrated_ones_do_not() {
        let mut rng = Rng::new(3);
        let (mut y, mut shrunk, mut exact) = (vec![], vec![], vec![]);
        for _ in 0..4000 {
            let z = rng.normal() * 1.5;
            let p = 1.0 / (1.0 + (-z).exp());
            y.push(if rng.uniform() < p { 1.0 } else { 0.0 });
            shrunk.push(1.0 / (1.0 + (-0.4 * z).exp()));
            exact.push(p);
        }
        assert!(needs_calibration(&y, &shrunk));
        assert!(!needs_calibration(&[1.0, 1.0], &[0.2, 0.3]));
        assert!(expected_calibration_error(&y, &exact) < expected_calibration_error(&y, &shrunk));
    }
}
