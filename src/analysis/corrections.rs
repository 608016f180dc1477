//! Multiple-testing corrections across a family of p-values (as statsmodels'
//! `multipletests` with `holm` and `fdr_bh`). NaN p-values are left out of the family.

pub use crate::plan::Correction;

/// Adjusted p-values, in the input order.
pub fn adjust(p: &[f64], method: Correction) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let m = idx.len();
    let mut out = vec![f64::NAN; p.len()];
    if m == 0 {
        return out;
    }
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    match method {
        Correction::Holm => {
            let mut running = 0.0f64;
            for (k, &i) in idx.iter().enumerate() {
                let v = ((m - k) as f64 * p[i]).min(1.0);
                running = running.max(v);
                out[i] = running;
            }
        }
        Correction::Bh => {
            let mut running = 1.0f64;
            for k in (0..m).rev() {
                let i = idx[k];
                let v = (m as f64 / (k + 1) as f64 * p[i]).min(1.0);
                running = running.min(v);
                out[i] = running;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_and_bh() {
        let p = [0.01, 0.04, 0.03, 0.005];
        // statsmodels multipletests(p, method="holm")[1]
        let h = adjust(&p, Correction::Holm);
        for (a, b) in h.iter().zip([0.03, 0.06, 0.06, 0.02]) {
            assert!((a - b).abs() < 1e-12);
        }
        // method="fdr_bh"
        let b = adjust(&p, Correction::Bh);
        for (a, e) in b.iter().zip([0.02, 0.04, 0.04, 0.02]) {
            assert!((a - e).abs() < 1e-12);
        }
    }
}
