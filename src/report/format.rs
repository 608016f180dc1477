//! Number formatting shared by the Markdown and HTML reports.

/// A number with `digits` decimals, or an en dash when missing or not finite.
pub fn opt(x: Option<f64>, digits: usize) -> String {
    x.filter(|v| v.is_finite())
        .map(|v| format!("{v:.digits$}"))
        .unwrap_or_else(|| "–".into())
}

/// A p-value: 4 decimals, scientific below 0.0001.
pub fn p(x: Option<f64>) -> String {
    match x {
        None => "–".into(),
        Some(v) if v < 1e-4 => format!("{v:.2e}"),
        Some(v) => format!("{v:.4}"),
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
