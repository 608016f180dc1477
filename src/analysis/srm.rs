//! Sample-ratio mismatch: chi-square goodness of fit of the group counts against the
//! expected split (as scipy's `chisquare`).

use super::stats::chi2_sf;

/// Chi-square statistic and p-value of `observed` counts against expected shares.
/// Shares are normalised to sum to one. Returns `(expected counts, chi2, p)`.
pub fn chi_square_gof(observed: &[f64], shares: &[f64]) -> (Vec<f64>, f64, f64) {
    let total: f64 = observed.iter().sum();
    let share_sum: f64 = shares.iter().sum();
    let expected: Vec<f64> = shares.iter().map(|s| total * s / share_sum).collect();
    let chi2: f64 = observed
        .iter()
        .zip(&expected)
        .map(|(o, e)| (o - e) * (o - e) / e)
        .sum();
    let df = (observed.len() as f64 - 1.0).max(1.0);
    let p = if observed.len() < 2 {
        1.0
    } else {
        chi2_sf(chi2, df)
    };
    (expected, chi2, p)
}

/// The SRM section of the report: observed and expected counts per group, chi-square, p,
/// and whether p is below `srm_alpha`.
pub fn srm_result(
    names: &[String],
    requests: &[u64],
    shares: &[f64],
    srm_alpha: f64,
) -> crate::report::SrmResult {
    let observed: Vec<f64> = requests.iter().map(|&r| r as f64).collect();
    let (expected, chi2, p) = chi_square_gof(&observed, shares);
    let share_sum: f64 = shares.iter().sum();
    crate::report::SrmResult {
        observed: names
            .iter()
            .cloned()
            .zip(requests.iter().copied())
            .collect(),
        expected: names.iter().cloned().zip(expected).collect(),
        expected_share: names
            .iter()
            .cloned()
            .zip(shares.iter().map(|s| s / share_sum))
            .collect(),
        chi2,
        df: (names.len().max(1) - 1) as u64,
        p_value: p,
        mismatch: p < srm_alpha,
        stage: None,
    }
}
