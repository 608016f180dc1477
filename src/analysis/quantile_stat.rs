//! gbstats 0.8's `QuantileClusteredStatistic`: a sample percentile with a variance that
//! accounts for requests clustered in users, from the order statistics around the
//! percentile and per-user counts of requests at or below it.

use super::dist::normal;
use super::rollout::unit_stats::UnitStatistic;

/// The inputs of one group's percentile (gbstats' field names).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QuantileStat {
    /// Requests with a latency.
    pub n: u64,
    /// Sample size of the order-statistic interval (= n).
    pub n_star: u64,
    /// The percentile's level (0.5, 0.95, 0.99).
    pub nu: f64,
    /// The sample percentile (linear interpolation).
    pub quantile_hat: f64,
    /// The sample percentile at ν − z·√(ν(1−ν)/n).
    pub quantile_lower: f64,
    /// The sample percentile at ν + z·√(ν(1−ν)/n).
    pub quantile_upper: f64,
    /// Clusters (users).
    pub n_clusters: u64,
    /// Σ over clusters of the requests at or below the percentile.
    pub main_sum: f64,
    /// Σ of their squares.
    pub main_sum_squares: f64,
    /// Σ over clusters of the requests.
    pub denominator_sum: f64,
    /// Σ of their squares.
    pub denominator_sum_squares: f64,
    /// Σ of the products.
    pub main_denominator_sum_product: f64,
    /// z of the order-statistic interval (Φ⁻¹(1 − α/2)).
    pub z: f64,
}

/// Linear-interpolation percentile of sorted values (numpy's default).
pub fn sorted_quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// gbstats' fixed multiplier of its small-sample rule (Φ⁻¹(0.975)).
fn z975() -> f64 {
    normal::quantile(0.975)
}

impl QuantileStat {
    /// gbstats `_has_zero_variance`: too few requests for the percentile's interval to stay
    /// inside (0, 1), or no variance with fewer than 1000 requests.
    pub fn untestable(&self) -> bool {
        let m = z975();
        let n = self.n as f64;
        n <= m * m * self.nu / (1.0 - self.nu)
            || n <= m * m * (1.0 - self.nu) / self.nu
            || (self.variance_init() <= 0.0 && self.n < 1000)
    }

    /// The clustered variance of the per-request contribution (gbstats `variance_init`).
    pub fn variance_init(&self) -> f64 {
        if self.n <= 1 || self.nu == 0.0 || self.n_clusters <= 1 || self.denominator_sum <= 0.0 {
            return 0.0;
        }
        let n = self.n as f64;
        let width = (self.quantile_upper - self.quantile_lower) / (2.0 * self.z);
        let v_iid = (self.n_star as f64 / n) * (n - 1.0) * width * width;
        let v_nu_iid = self.nu * (1.0 - self.nu) / n;
        v_iid * self.cluster_variance() / v_nu_iid
    }

    /// The variance of the share at or below the percentile with users as clusters
    /// (delta method on the cluster sums).
    fn cluster_variance(&self) -> f64 {
        let c = self.n_clusters as f64;
        let mu_s = self.main_sum / c;
        let mu_n = self.denominator_sum / c;
        let k = c / (c - 1.0);
        let s2_s = (self.main_sum_squares / c - mu_s * mu_s) * k;
        let s2_n = (self.denominator_sum_squares / c - mu_n * mu_n) * k;
        let s_sn = (self.main_denominator_sum_product / c - mu_s * mu_n) * k;
        (s2_s - 2.0 * mu_s * s_sn / mu_n + mu_s * mu_s * s2_n / (mu_n * mu_n)) / (c * mu_n * mu_n)
    }

    /// gbstats `variance`: below 100 requests the raw value, else at least 1e-5.
    pub fn variance(&self) -> f64 {
        let v = self.variance_init();
        if self.n < 100 {
            v
        } else {
            v.max(1e-5)
        }
    }

    /// As the statistic a t-test takes (n = requests).
    pub fn statistic(&self) -> UnitStatistic {
        UnitStatistic {
            n: self.n,
            mean: self.quantile_hat,
            variance: self.variance(),
            unadjusted_mean: self.quantile_hat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_linear_percentiles() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(sorted_quantile(&v, 0.5), 2.5);
        assert_eq!(sorted_quantile(&v, 0.0), 1.0);
        assert_eq!(sorted_quantile(&v, 1.0), 4.0);
        assert!((sorted_quantile(&v, 0.95) - 3.85).abs() < 1e-12);
    }

    #[test]
    fn too_few_requests_for_p99() {
        let s = QuantileStat {
            n: 300,
            nu: 0.99,
            ..Default::default()
        };
        assert!(s.untestable());
    }
}
