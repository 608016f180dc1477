//! Timestamp parsing: ISO-8601 text (with or without fraction, `Z` or offset), app-log
//! prefixes such as `2025-12-13 13:03:39,123`, and numeric epochs. All results are UTC
//! microseconds since the Unix epoch.
//!
//! Typed timestamp columns (Parquet/Arrow) carry their unit, which wins. Untyped numeric
//! epochs are read in the unit the plan declares (`time_unit`), else by magnitude:
//! nanoseconds from 1e17, microseconds from 1e14, milliseconds from 1e11, else seconds.

use serde::{Deserialize, Serialize};

/// The unit of a numeric epoch timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EpochUnit {
    /// Seconds.
    S,
    /// Milliseconds.
    Ms,
    /// Microseconds.
    #[serde(alias = "µs")]
    Us,
    /// Nanoseconds.
    Ns,
}

impl EpochUnit {
    /// The unit a non-negative epoch of this magnitude is most likely in (dates from 1973
    /// to 2286 in every unit).
    pub fn by_magnitude(v: f64) -> Self {
        if v >= 1e17 {
            EpochUnit::Ns
        } else if v >= 1e14 {
            EpochUnit::Us
        } else if v >= 1e11 {
            EpochUnit::Ms
        } else {
            EpochUnit::S
        }
    }

    /// Microseconds per unit.
    pub fn micros(self) -> f64 {
        match self {
            EpochUnit::S => 1e6,
            EpochUnit::Ms => 1e3,
            EpochUnit::Us => 1.0,
            EpochUnit::Ns => 1e-3,
        }
    }

    /// Parses `s`, `ms`, `us` (or `µs`) or `ns`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "s" => Some(EpochUnit::S),
            "ms" => Some(EpochUnit::Ms),
            "us" | "µs" => Some(EpochUnit::Us),
            "ns" => Some(EpochUnit::Ns),
            _ => None,
        }
    }

    /// The unit's name as written in plans (`ms`).
    pub fn as_str(self) -> &'static str {
        match self {
            EpochUnit::S => "s",
            EpochUnit::Ms => "ms",
            EpochUnit::Us => "us",
            EpochUnit::Ns => "ns",
        }
    }
}

/// Largest |timestamp| accepted, in µs: 1e17 µs is about 3,200 years either side of 1970, so
/// differences and sums of two timestamps never overflow `i64`.
pub const MAX_ABS_US: f64 = 1e17;

/// The middle of two timestamps, without overflow.
pub fn midpoint(lo: i64, hi: i64) -> i64 {
    ((i128::from(lo) + i128::from(hi)) / 2) as i64
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn digits(b: &[u8], start: usize, n: usize) -> Option<i64> {
    let s = b.get(start..start + n)?;
    let mut v = 0i64;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    Some(v)
}

/// Parses an ISO-8601-like timestamp into UTC microseconds.
///
/// Accepts `YYYY-MM-DD`, then `T` or a space, `HH:MM[:SS]`, an optional fraction after
/// `.` or `,`, and an optional `Z`, `UTC` or `±HH[:MM]` offset. Text without a zone is UTC.
pub fn parse_timestamp_us(text: &str) -> Option<i64> {
    let s = text.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return parse_epoch_text(s);
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)? as u32;
    let day = digits(b, 8, 2)? as u32;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut secs_of_day = 0i64;
    let mut micros = 0i64;
    let mut i = 10;
    if i < b.len() && (b[i] == b'T' || b[i] == b't' || b[i] == b' ') {
        i += 1;
        let h = digits(b, i, 2)?;
        if b.get(i + 2) != Some(&b':') {
            return None;
        }
        let mi = digits(b, i + 3, 2)?;
        i += 5;
        let mut sec = 0;
        if b.get(i) == Some(&b':') {
            sec = digits(b, i + 1, 2)?;
            i += 3;
        }
        if h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        secs_of_day = h * 3600 + mi * 60 + sec;
        if i < b.len() && (b[i] == b'.' || b[i] == b',') {
            i += 1;
            let start = i;
            let mut scale = 100_000i64;
            while i < b.len() && b[i].is_ascii_digit() {
                micros += (b[i] - b'0') as i64 * scale;
                scale /= 10;
                i += 1;
            }
            if i == start {
                return None;
            }
        }
    }
    let rest = s[i..].trim_start();
    let offset_secs = parse_offset(rest)?;
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + secs_of_day - offset_secs) * 1_000_000 + micros)
}

fn parse_offset(rest: &str) -> Option<i64> {
    if rest.is_empty() || rest == "Z" || rest == "z" || rest.eq_ignore_ascii_case("utc") {
        return Some(0);
    }
    let b = rest.as_bytes();
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = digits(b, 1, 2)?;
    let m = match b.len() {
        3 => 0,
        5 => digits(b, 3, 2)?,
        6 if b[3] == b':' => digits(b, 4, 2)?,
        _ => return None,
    };
    Some(sign * (h * 3600 + m * 60))
}

fn parse_epoch_text(s: &str) -> Option<i64> {
    let v: f64 = s.parse().ok()?;
    epoch_to_us(v, None)
}

/// A numeric epoch in UTC microseconds: in `unit` when known (negative values, before
/// 1970, are fine then), else by magnitude ([`EpochUnit::by_magnitude`], non-negative
/// values only). None when not finite or out of range.
pub fn epoch_to_us(v: f64, unit: Option<EpochUnit>) -> Option<i64> {
    if !v.is_finite() {
        return None;
    }
    let unit = match unit {
        Some(u) => u,
        None if v < 0.0 => return None,
        None => EpochUnit::by_magnitude(v),
    };
    let us = (v * unit.micros()).round();
    (us.abs() < MAX_ABS_US).then_some(us as i64)
}

/// Formats UTC microseconds as `YYYY-MM-DDTHH:MM:SSZ` (fraction only when non-zero).
pub fn format_timestamp_us(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let frac = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let base = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
    if frac == 0 {
        format!("{base}Z")
    } else if frac % 1000 == 0 {
        format!("{base}.{:03}Z", frac / 1000)
    } else {
        format!("{base}.{frac:06}Z")
    }
}

/// Timestamps of a raw column in UTC microseconds: text parsed as ISO 8601 or epoch text,
/// numbers read as epochs in the column's declared unit, else in `unit` (the plan's
/// `time_unit`), else by magnitude; None where missing or unreadable.
pub fn column_timestamps_us(
    col: &super::table::RawColumn,
    unit: Option<EpochUnit>,
) -> Vec<Option<i64>> {
    column_timestamps_checked(col, unit, |_, _| {})
}

/// As [`column_timestamps_us`], calling `unreadable(row, text)` for each non-blank text
/// value that is no timestamp (a number that is no readable epoch is simply missing).
pub fn column_timestamps_checked(
    col: &super::table::RawColumn,
    unit: Option<EpochUnit>,
    mut unreadable: impl FnMut(usize, &str),
) -> Vec<Option<i64>> {
    use super::table::RawData;
    let mut text = |r: usize, t: &str, unit: Option<EpochUnit>| {
        let t = t.trim();
        if t.is_empty() {
            return None;
        }
        let p = parse_timestamp_with(t, unit);
        if p.is_none() {
            unreadable(r, t);
        }
        p
    };
    match &col.data {
        RawData::Null => vec![None; col.len],
        RawData::Str { values, .. } => values
            .iter()
            .enumerate()
            .map(|(r, v)| v.and_then(|t| text(r, t, unit)))
            .collect(),
        RawData::Num {
            values,
            conflicts,
            unit: declared,
            ..
        } => {
            let unit = declared.or(unit);
            let mut out: Vec<Option<i64>> = values
                .iter()
                .map(|v| v.and_then(|x| epoch_to_us(x, unit)))
                .collect();
            for (r, t) in conflicts {
                out[*r] = text(*r, t, unit);
            }
            out
        }
    }
}

/// Parses timestamp text: ISO 8601, or an epoch number in `unit` (by magnitude when None).
pub fn parse_timestamp_with(text: &str, unit: Option<EpochUnit>) -> Option<i64> {
    match unit {
        None => parse_timestamp_us(text),
        Some(u) => match text.trim().parse::<f64>() {
            Ok(v) => epoch_to_us(v, Some(u)),
            Err(_) => parse_timestamp_us(text),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iso_variants() {
        let base = parse_timestamp_us("2025-12-13T13:03:39Z").unwrap();
        assert_eq!(base, 1_765_631_019_000_000);
        assert_eq!(
            parse_timestamp_us("2025-12-13 13:03:39,123"),
            Some(base + 123_000)
        );
        assert_eq!(
            parse_timestamp_us("2025-12-13T13:03:39.123456Z"),
            Some(base + 123_456)
        );
        assert_eq!(parse_timestamp_us("2025-12-13T14:03:39+01:00"), Some(base));
        assert_eq!(parse_timestamp_us("2025-12-13T13:03:39"), Some(base));
        assert_eq!(parse_timestamp_us("1765631019"), Some(base));
        assert_eq!(parse_timestamp_us("1765631019123"), Some(base + 123_000));
        assert_eq!(parse_timestamp_us("2025-13-13T13:03:39Z"), None);
        assert_eq!(parse_timestamp_us("nonsense"), None);
        assert_eq!(
            format_timestamp_us(base + 123_000),
            "2025-12-13T13:03:39.123Z"
        );
        assert_eq!(format_timestamp_us(base), "2025-12-13T13:03:39Z");
    }

    #[test]
    fn epochs_by_magnitude_and_by_declared_unit() {
        let base = 1_765_631_019_000_000i64;
        for (v, unit) in [
            (1_765_631_019.0, EpochUnit::S),
            (1_765_631_019_000.0, EpochUnit::Ms),
            (1_765_631_019_000_000.0, EpochUnit::Us),
            (1_765_631_019_000_000_000.0, EpochUnit::Ns),
        ] {
            assert_eq!(EpochUnit::by_magnitude(v), unit);
            assert_eq!(epoch_to_us(v, None), Some(base), "{v}");
            assert_eq!(epoch_to_us(v, Some(unit)), Some(base), "{v}");
        }
        // 1969-07-20 20:17:40 UTC in ms: before 1970 and below 1e11, so magnitude alone
        // cannot tell; the declared unit can
        let moon_ms = -14_182_940_000.0;
        assert_eq!(epoch_to_us(moon_ms, None), None);
        assert_eq!(
            format_timestamp_us(epoch_to_us(moon_ms, Some(EpochUnit::Ms)).unwrap()),
            "1969-07-20T20:17:40Z"
        );
        // 1972-01-01 in ms is 6.3e10 (< 1e11): magnitude says seconds, the plan says ms
        let ms_1972 = 63_072_000_000.0;
        assert_eq!(
            format_timestamp_us(epoch_to_us(ms_1972, Some(EpochUnit::Ms)).unwrap()),
            "1972-01-01T00:00:00Z"
        );
        assert_eq!(epoch_to_us(f64::NAN, None), None);
        // beyond ±1e17 µs (about 3,200 years from 1970) nothing is a timestamp
        assert_eq!(epoch_to_us(2e11, Some(EpochUnit::S)), None);
        assert_eq!(midpoint(i64::MAX - 1, i64::MAX - 3), i64::MAX - 2);
        assert_eq!(midpoint(-10, 10), 0);
        assert_eq!(epoch_to_us(1e300, Some(EpochUnit::S)), None);
        assert_eq!(
            parse_timestamp_with("63072000000", Some(EpochUnit::Ms)),
            Some(63_072_000_000_000)
        );
        assert_eq!(
            parse_timestamp_with("1972-01-01", Some(EpochUnit::Ms)),
            Some(63_072_000_000_000)
        );
    }
}
