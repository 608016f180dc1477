//! The one formatting module: numbers, p-values, rates, latencies, counts, timestamps and
//! durations as the window, Markdown, HTML and CSV show them.

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

/// A fraction as an unsigned percentage (shares, rates): the same two decimals as
/// [`rate`].
pub fn share(x: f64) -> String {
    rate(x)
}

/// A rate (error rate, conversion, share of traffic) as a percentage with two decimals,
/// the same precision everywhere: `1.04%`, `0.57%`, `50.00%`.
pub fn rate(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}%", x * 100.0)
    } else {
        "–".into()
    }
}

/// A difference of rates in percentage points: `+0.47 pp`.
pub fn points(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.2} pp", x * 100.0)
    } else {
        "–".into()
    }
}

/// A latency in milliseconds with three significant digits (`0.213`, `48.3`, `209`, `1,250`),
/// never "0.2 ms" for a latency that has digits to show.
pub fn latency_ms(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        let sign = if x < 0.0 { "-" } else { "" };
        format!("{sign}{}", count(a.round() as u64))
    } else {
        let decimals = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
        format!("{x:.decimals$}")
    }
}

/// A difference (treatment − control) with its sign and four significant digits, never in
/// scientific notation: `+0.02193`, `+7.065`, `-0.009400`, `+1,250`.
pub fn diff(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    let sign = if x < 0.0 { "-" } else { "+" };
    if a == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        format!("{sign}{}", count(a.round() as u64))
    } else {
        let decimals = (3 - a.log10().floor() as i32).clamp(0, 12) as usize;
        format!("{sign}{a:.decimals$}")
    }
}

/// A text as one short cell: its first line, at most `max` characters, "…" when cut.
pub fn short_text(v: &str, max: usize) -> String {
    let first = v.lines().next().unwrap_or("");
    let cut: String = first.chars().take(max).collect();
    if cut.len() < v.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// A cell value as a table shows it: a number with at most six significant digits (not a
/// 17-digit float), other text on one line of at most 40 characters; the full text goes on
/// hover.
pub fn compact_value(v: &str) -> String {
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x.fract() != 0.0 => {
            let a = x.abs();
            let decimals = if a >= 1.0 {
                (5 - a.log10().floor() as i32).max(0) as usize
            } else {
                (5 - a.log10().floor() as i32).clamp(0, 12) as usize
            };
            let s = format!("{x:.decimals$}");
            // only a fraction's trailing zeros go (never an integer's own)
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        }
        _ => short_text(v, 40),
    }
}

/// A count with thousands separators: `1,234,567`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A UTC time (µs since the epoch) to the second: `2025-12-13 13:03:39`; with milliseconds
/// when `subsecond` (a window shorter than a minute, where they matter).
pub fn timestamp(us: i64, subsecond: bool) -> String {
    let secs = us.div_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = crate::ingest::time::civil_from_days(days);
    let base = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
    if subsecond {
        format!("{base}.{:03}", us.rem_euclid(1_000_000) / 1000)
    } else {
        base
    }
}

/// An ISO-8601 UTC time as the report writes it (`2025-12-14T12:00:00.729Z`) shown to the
/// second (`2025-12-14 12:00:00`); other text is returned as it is.
pub fn iso_to_second(iso: &str) -> String {
    let b = iso.as_bytes();
    if b.len() >= 19 && b[10] == b'T' && b[4] == b'-' && b[13] == b':' {
        format!("{} {}", &iso[..10], &iso[11..19])
    } else {
        iso.to_string()
    }
}

/// A duration in words with two units at most: `45 s`, `12 min 5 s`, `2 h 15 min`,
/// `3 d 4 h`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "–".into();
    }
    if seconds < 60.0 {
        let s = if seconds < 10.0 {
            format!("{seconds:.1}")
        } else {
            format!("{seconds:.0}")
        };
        return format!("{} s", s.trim_end_matches(".0"));
    }
    let s = seconds.round() as u64;
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let two = |a: u64, ua: &str, b: u64, ub: &str| {
        if b == 0 {
            format!("{a} {ua}")
        } else {
            format!("{a} {ua} {b} {ub}")
        }
    };
    if d > 0 {
        two(d, "d", h, "h")
    } else if h > 0 {
        two(h, "h", m, "min")
    } else {
        two(m, "min", sec, "s")
    }
}

#[cfg(test)]
mod style_tests {
    use super::*;

    #[test]
    fn rates_latencies_counts_times_in_one_style() {
        assert_eq!(rate(0.010_4), "1.04%");
        assert_eq!(rate(0.5), "50.00%");
        assert_eq!(points(0.004_67), "+0.47 pp");
        assert_eq!(latency_ms(0.2134), "0.213");
        assert_eq!(latency_ms(48.26), "48.3");
        assert_eq!(latency_ms(208.93), "209");
        assert_eq!(latency_ms(1249.6), "1,250");
        assert_eq!(latency_ms(5.0), "5.00");
        assert_eq!(diff(0.021_934), "+0.02193");
        assert_eq!(diff(7.065), "+7.065");
        assert_eq!(diff(-0.0094), "-0.009400");
        assert_eq!(diff(0.0), "0");
        assert_eq!(compact_value("0.30000000000000004"), "0.3");
        assert_eq!(compact_value("1234.56789012"), "1234.57");
        assert_eq!(compact_value("0.000123456789"), "0.000123457");
        assert_eq!(compact_value("42"), "42");
        assert_eq!(compact_value("300000.2"), "300000");
        assert_eq!(compact_value("1234560.3"), "1234560");
        assert_eq!(compact_value("DE"), "DE");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(
            timestamp(1_765_631_019_123_456, false),
            "2025-12-13 13:03:39"
        );
        assert_eq!(
            timestamp(1_765_631_019_123_456, true),
            "2025-12-13 13:03:39.123"
        );
        assert_eq!(
            iso_to_second("2025-12-14T12:00:00.729Z"),
            "2025-12-14 12:00:00"
        );
        assert_eq!(iso_to_second("yesterday"), "yesterday");
        assert_eq!(duration(4.25), "4.2 s");
        assert_eq!(duration(45.0), "45 s");
        assert_eq!(duration(725.0), "12 min 5 s");
        assert_eq!(duration(7200.0), "2 h");
        assert_eq!(duration(8100.0), "2 h 15 min");
        assert_eq!(duration(3.0 * 86_400.0 + 4.0 * 3600.0 + 59.0), "3 d 4 h");
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
