//! Number formatting shared by the Markdown and HTML reports.

/// A number with `digits` decimals, or an en dash when missing or not finite.
pub fn opt(x: Option<f64>, digits: usize) -> String {
    x.filter(|v| v.is_finite())
        .map(|v| format!("{v:.digits$}"))
        .unwrap_or_else(|| "–".into())
}

/// A p-value, the same everywhere (window, Markdown, HTML): `< 0.0001`, else two
/// significant digits (`0.012`, `0.50`, `1.0`); an en dash when missing.
pub fn p(x: Option<f64>) -> String {
    match x.filter(|v| v.is_finite()) {
        None => "–".into(),
        Some(v) if v < 1e-4 => "< 0.0001".into(),
        Some(v) => {
            let decimals = (1 - v.log10().floor() as i32).max(1) as usize;
            format!("{v:.decimals$}")
        }
    }
}

/// A fraction as a signed percentage.
pub fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:+.2}%", v * 100.0))
        .unwrap_or_else(|| "–".into())
}

/// A fraction as an unsigned percentage with one decimal (shares, rates).
pub fn share(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "–".into()
    }
}

#[cfg(test)]
mod p_tests {
    use super::p;

    #[test]
    fn p_values_in_one_style() {
        assert_eq!(p(Some(0.0)), "< 0.0001");
        assert_eq!(p(Some(0.00003)), "< 0.0001");
        assert_eq!(p(Some(0.00012)), "0.00012");
        assert_eq!(p(Some(0.0123)), "0.012");
        assert_eq!(p(Some(0.5)), "0.50");
        assert_eq!(p(Some(1.0)), "1.0");
        assert_eq!(p(None), "–");
    }
}
