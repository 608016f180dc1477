//! Axis ticks shared by the window's plots and the HTML report's charts: time ticks on
//! clock-friendly whole multiples of the bucket with their labels, and 1-2-5 value ticks.

/// Clock-friendly steps, seconds: 1, 2, 5, 10, 15, 30 s; 1, 2, 5, 10, 15, 30 min; 1, 2,
/// 3, 6, 12 h; 1, 2, 5, 7, 14, 30 days.
const CLOCK_STEPS: [f64; 23] = [
    1.0,
    2.0,
    5.0,
    10.0,
    15.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    900.0,
    1800.0,
    3600.0,
    7200.0,
    10_800.0,
    21_600.0,
    43_200.0,
    86_400.0,
    172_800.0,
    432_000.0,
    604_800.0,
    1_209_600.0,
    2_592_000.0,
];

/// The tick step of a time axis: the smallest clock-friendly step that is a whole multiple
/// of the bucket and gives at most seven ticks over the span (ticks then fall on bucket
/// starts and read as 13:30, 14:00...); a bucket no clock step is a multiple of gets 1, 2,
/// 5, 10... buckets.
pub fn time_step(span_s: f64, bucket_s: f64) -> f64 {
    let bucket = bucket_s.max(1.0);
    let multiple = |step: f64| {
        let k = step / bucket;
        k >= 1.0 - 1e-9 && (k - k.round()).abs() < 1e-9
    };
    let mut k = 1.0;
    let mut i = 0;
    while span_s / (bucket * k) > 7.0 && i < 60 {
        i += 1;
        k = [1.0, 2.0, 5.0][i % 3] * 10f64.powi((i / 3) as i32);
    }
    let plain = bucket * k;
    // the clock step unless it is far coarser than plain multiples (an odd bucket)
    CLOCK_STEPS
        .iter()
        .copied()
        .filter(|s| multiple(*s))
        .find(|s| span_s / s <= 7.0)
        .filter(|c| *c <= 3.0 * plain)
        .unwrap_or(plain)
}

/// A tick label for a time (seconds since the epoch, UTC) on a grid of `step` seconds:
/// the date for day steps, hours and minutes (with the date at midnight) below, seconds
/// under a minute.
pub fn time_tick_label(value_s: f64, step_s: f64) -> String {
    let s = crate::report::format::timestamp((value_s * 1e6).round() as i64, false);
    let (date, time) = s.split_once(' ').unwrap_or((&s, ""));
    let month_day = date.get(5..).unwrap_or(date);
    if step_s >= 86_400.0 {
        month_day.to_string()
    } else if step_s < 60.0 {
        time.to_string()
    } else if time.starts_with("00:00") {
        format!("{month_day} 00:00")
    } else {
        time.get(..5).unwrap_or(time).to_string()
    }
}

/// 1, 2 or 5 × 10ⁿ: the value step giving about `n` ticks over `span`.
pub fn value_step(span: f64, n: f64) -> f64 {
    let raw = (span.abs() / n.max(1.0)).max(f64::MIN_POSITIVE);
    let decade = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * decade)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * decade)
}

/// Ticks of `step` within `[lo, hi]`.
pub fn ticks_within(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() || !step.is_finite() || hi < lo || step <= 0.0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut v = (lo / step).ceil() * step;
    while v <= hi + step * 1e-9 && out.len() < 200 {
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        v += step;
    }
    out
}
