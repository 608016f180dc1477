//! Allocation stages of a rollout: where the treatment's share of traffic changes.
//!
//! Detection works on per-interval request counts (control vs every other group): binary
//! segmentation on the binomial likelihood, with the overdispersion that heavy users bring
//! estimated from the fit (Pearson χ² per degree of freedom) and a penalty per change.
//! Each switch is then refined to the request: between the last request a moved user sent
//! under the old split and the first under the new one, or else by the same likelihood on
//! the requests around the coarse boundary.

/// Fewest requests a detected stage may have.
pub const MIN_STAGE_REQUESTS: u64 = 40;
/// Smallest change of the treatment share (absolute) that makes a new stage.
pub const MIN_SHARE_CHANGE: f64 = 0.01;
/// Most stages detected.
pub const MAX_STAGES: usize = 24;

/// Requests per time interval: all, and of the treatment groups.
#[derive(Debug, Clone)]
pub struct IntervalCounts {
    /// Start of the first interval (µs).
    pub start_us: i64,
    /// Interval width (µs, ≥ 1).
    pub width_us: i64,
    /// Requests per interval.
    pub n: Vec<u64>,
    /// Treatment requests per interval.
    pub x: Vec<u64>,
}

impl IntervalCounts {
    /// Counts of (timestamp, is treatment) pairs over `[min, max]` in `intervals` equal parts.
    pub fn of(
        rows: impl Iterator<Item = (i64, bool)>,
        min: i64,
        max: i64,
        intervals: usize,
    ) -> Self {
        let intervals = intervals.max(1);
        let span = (max as i128 - min as i128 + 1).max(1);
        let width = ((span + intervals as i128 - 1) / intervals as i128).max(1) as i64;
        let count = ((span + width as i128 - 1) / width as i128) as usize;
        let mut n = vec![0u64; count];
        let mut x = vec![0u64; count];
        // timestamps are bounded (|ts| ≤ 1e17 µs), so differences fit in i64
        let w = width as u64;
        for (ts, t) in rows {
            let i = ((ts.wrapping_sub(min) as u64 / w) as usize).min(count - 1);
            n[i] += 1;
            x[i] += t as u64;
        }
        Self {
            start_us: min,
            width_us: width,
            n,
            x,
        }
    }
}

/// −2 × binomial log-likelihood of `x` successes in `n` at the MLE.
fn cost(n: u64, x: u64) -> f64 {
    if n == 0 || x == 0 || x == n {
        return 0.0;
    }
    let (n, x) = (n as f64, x as f64);
    let p = x / n;
    -2.0 * (x * p.ln() + (n - x) * (1.0 - p).ln())
}

/// Prefix sums of the counts, so a segment's totals are two subtractions.
struct Prefix {
    n: Vec<u64>,
    x: Vec<u64>,
}

impl Prefix {
    fn of(c: &IntervalCounts) -> Self {
        let mut n = vec![0u64; c.n.len() + 1];
        let mut x = vec![0u64; c.n.len() + 1];
        for i in 0..c.n.len() {
            n[i + 1] = n[i] + c.n[i];
            x[i + 1] = x[i] + c.x[i];
        }
        Self { n, x }
    }
    fn seg(&self, a: usize, b: usize) -> (u64, u64) {
        (self.n[b] - self.n[a], self.x[b] - self.x[a])
    }
}

/// The best split of `[a, b)`: (gain, position), respecting the minimum stage size and
/// share change.
fn best_split(p: &Prefix, a: usize, b: usize) -> Option<(f64, usize)> {
    let (n, x) = p.seg(a, b);
    let whole = cost(n, x);
    let mut best: Option<(f64, usize)> = None;
    for j in a + 1..b {
        let (nl, xl) = p.seg(a, j);
        let (nr, xr) = p.seg(j, b);
        if nl < MIN_STAGE_REQUESTS || nr < MIN_STAGE_REQUESTS {
            continue;
        }
        let change = (xl as f64 / nl as f64 - xr as f64 / nr as f64).abs();
        if change < MIN_SHARE_CHANGE {
            continue;
        }
        let gain = whole - cost(nl, xl) - cost(nr, xr);
        if best.is_none_or(|(g, _)| gain > g) {
            best = Some((gain, j));
        }
    }
    best
}

/// Binary segmentation with dispersion `phi` and penalty `penalty` per change: the
/// interval indices where new stages start.
fn segment(p: &Prefix, len: usize, phi: f64, penalty: f64) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut todo = vec![(0usize, len)];
    while let Some((a, b)) = todo.pop() {
        if cuts.len() + 1 >= MAX_STAGES {
            break;
        }
        if let Some((gain, j)) = best_split(p, a, b) {
            if gain / phi > penalty {
                cuts.push(j);
                todo.push((a, j));
                todo.push((j, b));
            }
        }
    }
    cuts.sort_unstable();
    cuts
}

/// Pearson χ² per degree of freedom of the interval shares around the fitted stages (at
/// least 1): how much more the share wanders than independent requests would.
fn dispersion(c: &IntervalCounts, cuts: &[usize]) -> f64 {
    let p = Prefix::of(c);
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(c.n.len());
    let (mut chi2, mut df) = (0.0f64, 0.0f64);
    for w in bounds.windows(2) {
        let (n, x) = p.seg(w[0], w[1]);
        if n == 0 {
            continue;
        }
        let share = x as f64 / n as f64;
        if share <= 0.0 || share >= 1.0 {
            continue;
        }
        let mut cells = 0.0f64;
        for i in w[0]..w[1] {
            if c.n[i] == 0 {
                continue;
            }
            let e = c.n[i] as f64 * share;
            let d = c.x[i] as f64 - e;
            chi2 += d * d / (e * (1.0 - share));
            cells += 1.0;
        }
        df += (cells - 1.0).max(0.0);
    }
    if df < 1.0 {
        1.0
    } else {
        (chi2 / df).max(1.0)
    }
}

/// Interval indices where new stages start (empty for a static split).
pub fn detect(c: &IntervalCounts) -> Vec<usize> {
    let len = c.n.len();
    if len < 2 {
        return Vec::new();
    }
    let p = Prefix::of(c);
    // a change must beat the largest of ~len·log(len) χ²₁ scan statistics under no change
    let penalty = 4.0 * (len as f64).ln() + 10.0;
    let mut cuts = segment(&p, len, 1.0, penalty);
    for _ in 0..3 {
        let phi = dispersion(c, &cuts);
        let next = segment(&p, len, phi, penalty);
        if next == cuts {
            break;
        }
        cuts = next;
    }
    cuts
}

/// The request-level change point among time-ordered `(ts, is_treatment)` pairs: the
/// timestamp of the first request of the new split (None without a clear point), which
/// must lie in `allowed` (inclusive).
pub fn refine_by_likelihood(mut rows: Vec<(i64, bool)>, allowed: (i64, i64)) -> Option<i64> {
    rows.sort_unstable_by_key(|r| r.0);
    let n = rows.len() as u64;
    let x = rows.iter().filter(|r| r.1).count() as u64;
    let whole = cost(n, x);
    let mut best: Option<(f64, usize)> = None;
    let mut xl = 0u64;
    for j in 1..rows.len() {
        xl += rows[j - 1].1 as u64;
        if rows[j].0 == rows[j - 1].0 || rows[j].0 < allowed.0 || rows[j].0 > allowed.1 {
            continue;
        }
        let nl = j as u64;
        let gain = whole - cost(nl, xl) - cost(n - nl, x - xl);
        if best.is_none_or(|(g, _)| gain > g) {
            best = Some((gain, j));
        }
    }
    best.map(|(_, j)| rows[j].0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(shares: &[(usize, f64)], per: u64) -> IntervalCounts {
        let mut n = Vec::new();
        let mut x = Vec::new();
        for &(len, s) in shares {
            for i in 0..len {
                n.push(per);
                // deterministic, slightly noisy
                let jitter = ((i * 7919) % 5) as f64 - 2.0;
                x.push(((per as f64 * s) + jitter).clamp(0.0, per as f64) as u64);
            }
        }
        IntervalCounts {
            start_us: 0,
            width_us: 1,
            n,
            x,
        }
    }

    #[test]
    fn ramp_is_found() {
        let c = counts(&[(50, 0.01), (50, 0.05), (100, 0.2), (100, 0.5)], 400);
        assert_eq!(detect(&c), vec![50, 100, 200]);
    }

    #[test]
    fn static_split_is_one_stage() {
        let c = counts(&[(300, 0.5)], 1000);
        assert!(detect(&c).is_empty());
    }

    #[test]
    fn request_level_point() {
        let mut rows: Vec<(i64, bool)> = (0..400).map(|i| (i, i % 10 == 0)).collect();
        rows.extend((400..800).map(|i| (i, i % 2 == 0)));
        let t = refine_by_likelihood(rows, (i64::MIN, i64::MAX)).unwrap();
        assert!((395..=405).contains(&t), "{t}");
    }
}
