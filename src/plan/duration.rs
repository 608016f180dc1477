//! Durations typed by people: timeline buckets (`1m`, `5m`, `1h`, `1d`, `auto`) and drift
//! windows (`7d`, `12h`, `2w`). Every duration is validated here, once: positive, whole
//! seconds for buckets, and never so long that time arithmetic could overflow.

/// Longest duration accepted anywhere (100 years), far inside `i64` microseconds.
pub const MAX_SECONDS: f64 = 100.0 * 365.25 * 86_400.0;

/// A duration that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DurationError {
    /// Not a number followed by a unit.
    #[error("{text:?} is not a duration (use a number and a unit: {units})")]
    Syntax {
        /// What was typed.
        text: String,
        /// The units accepted.
        units: &'static str,
    },
    /// Zero, negative or shorter than one second.
    #[error("{0:?} must be at least one second")]
    TooShort(String),
    /// Longer than [`MAX_SECONDS`].
    #[error("{0:?} is longer than 100 years")]
    TooLong(String),
    /// A bucket must be a whole number of seconds.
    #[error("{0:?} is not a whole number of seconds")]
    Fraction(String),
}

/// Splits `12h` into (`12`, `h`); `None` without a unit.
fn number_and_unit(text: &str) -> Option<(&str, &str)> {
    let t = text.trim();
    let at = t.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = t.split_at(at);
    Some((num.trim(), unit.trim()))
}

fn unit_seconds(unit: &str) -> Option<f64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return None,
    })
}

/// Parses a span such as `7d`, `12h`, `30m`, `2w`, `90s` or `1.5h` into seconds.
pub fn parse_seconds(text: &str) -> Result<f64, DurationError> {
    seconds_with(text, "s, m, h, d or w, e.g. 7d")
}

fn seconds_with(text: &str, units: &'static str) -> Result<f64, DurationError> {
    let syntax = || DurationError::Syntax {
        text: text.to_string(),
        units,
    };
    let (num, unit) = number_and_unit(text).ok_or_else(syntax)?;
    let n: f64 = num.parse().map_err(|_| syntax())?;
    let secs = n * unit_seconds(unit).ok_or_else(syntax)?;
    if secs.is_nan() || secs < 1.0 {
        return Err(DurationError::TooShort(text.to_string()));
    }
    if secs > MAX_SECONDS {
        return Err(DurationError::TooLong(text.to_string()));
    }
    Ok(secs)
}

/// Parses a span into microseconds (see [`parse_seconds`]).
pub fn parse_span_us(text: &str) -> Result<i64, DurationError> {
    parse_seconds(text).map(|s| (s * 1e6).round() as i64)
}

/// Parses a timeline bucket: a whole number of seconds (`30s`, `1m`, `5m`, `1h`, `1d`);
/// `auto` (or nothing) gives `None`.
pub fn parse_bucket(text: &str) -> Result<Option<u64>, DurationError> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("auto") {
        return Ok(None);
    }
    let secs = seconds_with(t, "s, m, h or d, e.g. 1h, or auto")?;
    if secs.fract() != 0.0 {
        return Err(DurationError::Fraction(text.to_string()));
    }
    Ok(Some(secs as u64))
}

/// Formats a span in seconds as the shortest of `Nd`, `Nh`, `Nm`, `Ns`.
pub fn format_bucket(seconds: u64) -> String {
    if seconds.is_multiple_of(86_400) {
        format!("{}d", seconds / 86_400)
    } else if seconds.is_multiple_of(3600) {
        format!("{}h", seconds / 3600)
    } else if seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_parse_and_are_validated() {
        assert_eq!(parse_span_us("7d"), Ok(7 * 86_400_000_000));
        assert_eq!(parse_span_us("12h"), Ok(12 * 3_600_000_000));
        assert_eq!(parse_span_us("1w"), Ok(604_800_000_000));
        assert_eq!(parse_span_us("1.5h"), Ok(5_400_000_000));
        assert!(matches!(
            parse_span_us("7"),
            Err(DurationError::Syntax { .. })
        ));
        assert!(matches!(
            parse_span_us("x7d"),
            Err(DurationError::Syntax { .. })
        ));
        assert!(matches!(
            parse_span_us("7y"),
            Err(DurationError::Syntax { .. })
        ));
        assert_eq!(
            parse_span_us("0d"),
            Err(DurationError::TooShort("0d".into()))
        );
        assert_eq!(
            parse_span_us("-3d"),
            Err(DurationError::TooShort("-3d".into()))
        );
        assert_eq!(
            parse_span_us("99999999999999999999d"),
            Err(DurationError::TooLong("99999999999999999999d".into()))
        );
        assert!(matches!(
            parse_span_us("1e300d"),
            Err(DurationError::Syntax { .. })
        ));
        assert!(parse_span_us("NaNd").is_err());
        assert!(parse_span_us("infd").is_err());
    }

    #[test]
    fn buckets_are_whole_seconds() {
        assert_eq!(parse_bucket("auto"), Ok(None));
        assert_eq!(parse_bucket(""), Ok(None));
        assert_eq!(parse_bucket("5m"), Ok(Some(300)));
        assert_eq!(parse_bucket("1D"), Ok(Some(86_400)));
        assert_eq!(
            parse_bucket("0.5s"),
            Err(DurationError::TooShort("0.5s".into()))
        );
        assert_eq!(
            parse_bucket("1.5s"),
            Err(DurationError::Fraction("1.5s".into()))
        );
        assert!(parse_bucket("5x").is_err());
        assert_eq!(format_bucket(300), "5m");
        assert_eq!(format_bucket(7200), "2h");
        assert_eq!(format_bucket(90), "90s");
    }
}
