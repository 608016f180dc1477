//! Axis ticks shared by the window's plots and the HTML report's charts: time ticks on
//! whole 1-2-5 multiples of the bucket (whole days past half a day) with their labels, and
//! 1-2-5 value ticks.

/// Multiples of the bucket (1, 2, 5, 10, 20, 50… buckets, whole minutes/hours/days once
/// past them) giving at most about seven ticks over the visible range, aligned to the
/// epoch as the buckets are.
pub fn time_step(span_s: f64, bucket_s: f64) -> f64 {
    let bucket = bucket_s.max(1.0);
    let mut k = 1.0;
    let mut i = 0;
    while span_s / (bucket * k) > 7.0 && i < 60 {
        k = [1.0, 2.0, 5.0][(i + 1) % 3] * 10f64.powi(((i + 1) / 3) as i32);
        i += 1;
    }
    let step = bucket * k;
    // past half a day, whole days in 1-2-5 steps (a tick every 20 h or 50 h reads badly)
    if step >= 43_200.0 && bucket <= 86_400.0 {
        let mut days = 1.0;
        let mut j = 0;
        while span_s / (86_400.0 * days) > 7.0 && j < 30 {
            j += 1;
            days = [1.0, 2.0, 5.0][j % 3] * 10f64.powi((j / 3) as i32);
        }
        86_400.0 * days
    } else {
        step
    }
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
