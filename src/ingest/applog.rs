//! Pipe-delimited application-log events:
//! `[2025-12-13 13:03:39,123] INFO in app: ab_event|user=u1|group=B|model=v2|score=0.97`.
//!
//! Anything before the event tag is a free prefix (its timestamp is used when the pairs
//! carry none). Lines without an event tag followed by `key=value` pairs (access logs,
//! tracebacks, banners, warnings that merely mention an event) are skipped.

use super::cell::Cell;
use super::rejects::Reason;
use super::time::parse_timestamp_us;
use std::borrow::Cow;

/// Event tags recognised in app logs; `model_error` lines are error events.
pub const EVENT_TAGS: [&str; 2] = ["ab_event", "model_error"];

/// Result of looking at one app-log line.
#[derive(Debug, PartialEq)]
pub enum LineKind {
    /// An event; its cells were written to the output.
    Event,
    /// Not an event line; skipped and counted.
    Skipped,
}

/// Finds the event tag in a line: the tag must start the line or follow a space, `:` or
/// `]`, and be followed directly by `|`.
fn find_event(line: &str) -> Option<(usize, &'static str)> {
    let bytes = line.as_bytes();
    let mut best: Option<(usize, &'static str)> = None;
    for tag in EVENT_TAGS {
        let mut from = 0;
        while let Some(pos) = line[from..].find(tag) {
            let at = from + pos;
            let end = at + tag.len();
            let boundary_ok = at == 0 || matches!(bytes[at - 1], b' ' | b':' | b']' | b'\t' | b'|');
            if boundary_ok && bytes.get(end) == Some(&b'|') {
                if best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, tag));
                }
                break;
            }
            from = end;
        }
    }
    best
}

/// Finds the first parseable date-time in the free prefix of a line.
pub fn prefix_timestamp_us(prefix: &str) -> Option<i64> {
    let b = prefix.as_bytes();
    let mut i = 0;
    while i + 10 <= b.len() {
        if b[i].is_ascii_digit() && b.get(i + 4) == Some(&b'-') && b.get(i + 7) == Some(&b'-') {
            // take the longest run that can belong to a timestamp
            let mut end = i + 10;
            let mut spaces = 0;
            while end < b.len() {
                let c = b[end];
                let ok = c.is_ascii_digit()
                    || matches!(c, b'-' | b':' | b'.' | b',' | b'T' | b'Z' | b'+');
                if c == b' ' && spaces == 0 && end == i + 10 {
                    spaces += 1;
                } else if !ok {
                    break;
                }
                end += 1;
            }
            let cand = &prefix[i..end];
            if let Some(ts) = parse_timestamp_us(cand.trim_end_matches([',', '.'])) {
                return Some(ts);
            }
        }
        i += 1;
    }
    None
}

/// Parses one app-log line. Event lines fill `out` (cleared first) and return
/// [`LineKind::Event`]; other lines return [`LineKind::Skipped`]; an event line whose
/// pairs are malformed is an error with its reason.
pub fn parse_line<'a>(
    line: &'a str,
    out: &mut Vec<(Cow<'a, str>, Cell<'a>)>,
) -> Result<LineKind, (Reason, String)> {
    out.clear();
    let line = line.trim_end_matches(['\r', '\n']);
    let Some((at, tag)) = find_event(line) else {
        return Ok(LineKind::Skipped);
    };
    let body = &line[at + tag.len() + 1..];
    let mut has_ts = false;
    let mut has_error = false;
    for part in body.split('|') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once('=') else {
            return Err((
                Reason::MalformedEvent,
                format!("{tag} field {part:?} is not key=value"),
            ));
        };
        let k = k.trim();
        if k.is_empty() {
            return Err((
                Reason::MalformedEvent,
                format!("{tag} field {part:?} has no key"),
            ));
        }
        let v = v.trim();
        has_ts |= matches!(k, "ts" | "timestamp" | "time");
        has_error |= k == "error";
        let cell = if v.is_empty() || v == "None" || v == "null" {
            Cell::Null
        } else {
            Cell::Text(Cow::Borrowed(v))
        };
        out.push((Cow::Borrowed(k), cell));
    }
    if out.is_empty() {
        return Err((Reason::MalformedEvent, format!("{tag} line has no fields")));
    }
    out.push((Cow::Borrowed("event"), Cell::Text(Cow::Borrowed(tag))));
    if tag == "model_error" && !has_error {
        out.push((
            Cow::Borrowed("error"),
            Cell::Text(Cow::Borrowed("model_error")),
        ));
    }
    if !has_ts {
        if let Some(ts) = prefix_timestamp_us(&line[..at]) {
            out.push((Cow::Borrowed("ts"), Cell::Num(ts as f64)));
        }
    }
    Ok(LineKind::Event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_event_with_prefix_time() {
        let mut out = Vec::new();
        let line = "[2025-12-13 13:03:39,123] INFO in app: ab_event|user=u123|group=B|model=paddle_new_v2|input_len=37|pred=positive|score=0.9731";
        assert_eq!(parse_line(line, &mut out), Ok(LineKind::Event));
        let keys: Vec<&str> = out.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(
            keys,
            [
                "user",
                "group",
                "model",
                "input_len",
                "pred",
                "score",
                "event",
                "ts"
            ]
        );
        assert_eq!(out[7].1, Cell::Num(1_765_631_019_123_000.0));
    }

    #[test]
    fn skips_unrelated_lines() {
        let mut out = Vec::new();
        for line in [
            "127.0.0.1 - - [13/Dec/2025 13:03:39] \"POST /predict HTTP/1.1\" 200 -",
            "Traceback (most recent call last):",
            "WARNING: ab_event logging is slow",
            " * Running on http://127.0.0.1:5000",
            "",
        ] {
            assert_eq!(parse_line(line, &mut out), Ok(LineKind::Skipped), "{line}");
        }
    }

    #[test]
    fn error_events_and_malformed_pairs() {
        let mut out = Vec::new();
        let r = parse_line(
            "2025-12-13T13:03:40Z ERROR model_error|user=u1|error=timeout",
            &mut out,
        );
        assert_eq!(r, Ok(LineKind::Event));
        assert!(out
            .iter()
            .any(|(k, v)| k == "event" && *v == Cell::Text("model_error".into())));
        let r = parse_line("x ab_event|user=u1|garbage", &mut out);
        assert_eq!(r.unwrap_err().0, Reason::MalformedEvent);
    }
}
