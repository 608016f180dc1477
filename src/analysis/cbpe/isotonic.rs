//! Isotonic regression (increasing, out-of-bounds clipped), as scikit-learn's
//! `IsotonicRegression(out_of_bounds="clip")` fits and predicts: equal inputs merged with
//! their mean target, pool-adjacent-violators, linear interpolation between the fitted
//! points, clipped to the fitted range.

/// A fitted increasing step-and-ramp function.
#[derive(Debug, Clone, PartialEq)]
pub struct Isotonic {
    x: Vec<f64>,
    y: Vec<f64>,
}

impl Isotonic {
    /// Fits `y` on `x` (pairs with a non-finite value are left out); None without data.
    pub fn fit(x: &[f64], y: &[f64]) -> Option<Isotonic> {
        let mut pairs: Vec<(f64, f64)> = x
            .iter()
            .zip(y)
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .map(|(a, b)| (*a, *b))
            .collect();
        if pairs.is_empty() {
            return None;
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        // equal inputs (within float64 resolution, as scikit-learn) become one weighted point
        let eps = 1e-15;
        let (mut ux, mut uy, mut uw): (Vec<f64>, Vec<f64>, Vec<f64>) = (vec![], vec![], vec![]);
        let (mut cur_x, mut sum_y, mut w) = (pairs[0].0, 0.0, 0.0);
        for &(a, b) in &pairs {
            if a - cur_x >= eps {
                ux.push(cur_x);
                uy.push(sum_y / w);
                uw.push(w);
                cur_x = a;
                sum_y = 0.0;
                w = 0.0;
            }
            sum_y += b;
            w += 1.0;
        }
        ux.push(cur_x);
        uy.push(sum_y / w);
        uw.push(w);
        pav(&mut uy, &uw);
        Some(Isotonic { x: ux, y: uy })
    }

    /// The fitted value at `v` (clipped to the fitted range; NaN stays NaN).
    pub fn predict(&self, v: f64) -> f64 {
        if v.is_nan() {
            return v;
        }
        let (x, y) = (&self.x, &self.y);
        if v <= x[0] {
            return y[0];
        }
        let last = x.len() - 1;
        if v >= x[last] {
            return y[last];
        }
        // first fitted x above v
        let hi = x.partition_point(|p| *p <= v);
        let lo = hi - 1;
        let t = (v - x[lo]) / (x[hi] - x[lo]);
        y[lo] + t * (y[hi] - y[lo])
    }
}

/// Pool adjacent violators in place: the weighted least-squares non-decreasing fit.
fn pav(y: &mut [f64], w: &[f64]) {
    // blocks as (start, value, weight)
    let mut blocks: Vec<(usize, f64, f64)> = Vec::with_capacity(y.len());
    for (i, (&v, &wt)) in y.iter().zip(w).enumerate() {
        blocks.push((i, v, wt));
        while blocks.len() > 1 {
            let n = blocks.len();
            let (_, v2, w2) = blocks[n - 1];
            let (s1, v1, w1) = blocks[n - 2];
            if v1 <= v2 {
                break;
            }
            let wt = w1 + w2;
            blocks.truncate(n - 2);
            blocks.push((s1, (v1 * w1 + v2 * w2) / wt, wt));
        }
    }
    for (k, &(start, v, _)) in blocks.iter().enumerate() {
        let end = blocks.get(k + 1).map_or(y.len(), |b| b.0);
        for e in &mut y[start..end] {
            *e = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_violators_and_interpolates() {
        // targets 1,0 at x 1,2 pool to 0.5; ties at x = 3 average
        let f = Isotonic::fit(&[1.0, 2.0, 3.0, 3.0, 4.0], &[1.0, 0.0, 1.0, 0.0, 1.0]).unwrap();
        assert_eq!(f.predict(1.0), 0.5);
        assert_eq!(f.predict(2.0), 0.5);
        assert_eq!(f.predict(3.0), 0.5);
        assert_eq!(f.predict(3.5), 0.75);
        assert_eq!(f.predict(9.0), 1.0);
        assert_eq!(f.predict(-9.0), 0.5);
        // a monotone fit of increasing data is the data
        let g = Isotonic::fit(&[0.0, 1.0, 2.0], &[0.1, 0.2, 0.9]).unwrap();
        assert!((g.predict(1.5) - 0.55).abs() < 1e-15);
        assert!(Isotonic::fit(&[], &[]).is_none());
    }
}
