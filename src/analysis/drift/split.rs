//! Choosing the two sides of a drift comparison: whole tables, or one log split by time
//! (`--split-at`, `--window`; spans are parsed in [`crate::plan::duration`]), and the time
//! buckets of the PSI-over-time view.

use super::error::SplitError;
use crate::ingest::table::RawTable;

/// A row selection of a table (all rows when `rows` is None).
#[derive(Clone)]
pub struct Side<'a> {
    /// The table.
    pub table: &'a RawTable,
    /// Selected rows, ascending (None = every row).
    pub rows: Option<Vec<u32>>,
    /// Files behind the table.
    pub files: Vec<String>,
    /// Timestamps of every table row (UTC µs), when already read (a time split shares
    /// them between its sides so the column is parsed once).
    pub ts: Option<std::sync::Arc<[Option<i64>]>>,
}

impl Side<'_> {
    /// Number of selected rows.
    pub fn len(&self) -> usize {
        self.rows.as_ref().map_or(self.table.rows, Vec::len)
    }

    /// No rows selected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` with each selected row index.
    pub fn for_each_row(&self, mut f: impl FnMut(usize)) {
        match &self.rows {
            None => (0..self.table.rows).for_each(f),
            Some(r) => r.iter().for_each(|&i| f(i as usize)),
        }
    }
}

/// How to split one log in two by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSplitSpec {
    /// Reference: rows before this time (UTC µs); current: rows at or after it.
    At(i64),
    /// Current: the last `span` µs of the log, `(T - span, T]` with `T` the last
    /// timestamp; reference: the span before it, `(T - 2·span, T - span]`.
    Window(i64),
}

/// The rows of each side of a time split.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSplit {
    /// Reference rows, ascending.
    pub reference: Vec<u32>,
    /// Current rows, ascending.
    pub current: Vec<u32>,
    /// Rows without a timestamp or outside both windows.
    pub excluded: u64,
    /// The boundary between the sides (UTC µs).
    pub boundary_us: i64,
}

/// Splits rows by their timestamps. Errors name the empty side.
pub fn split_by_time(ts: &[Option<i64>], spec: TimeSplitSpec) -> Result<TimeSplit, SplitError> {
    let (lo, boundary, hi) = match spec {
        TimeSplitSpec::At(at) => (i64::MIN, at, i64::MAX),
        TimeSplitSpec::Window(span) => {
            let last = ts
                .iter()
                .flatten()
                .max()
                .copied()
                .ok_or(SplitError::NoTimestamps)?;
            // spans are validated (at most 100 years), so this cannot overflow
            (
                last.saturating_sub(span.saturating_mul(2)),
                last.saturating_sub(span),
                last,
            )
        }
    };
    let mut split = TimeSplit {
        reference: vec![],
        current: vec![],
        excluded: 0,
        boundary_us: boundary,
    };
    for (i, t) in ts.iter().enumerate() {
        match (*t, spec) {
            (None, _) => split.excluded += 1,
            (Some(t), TimeSplitSpec::At(_)) => {
                if t < boundary {
                    split.reference.push(i as u32)
                } else {
                    split.current.push(i as u32)
                }
            }
            (Some(t), TimeSplitSpec::Window(_)) => {
                if t > boundary && t <= hi {
                    split.current.push(i as u32)
                } else if t > lo && t <= boundary {
                    split.reference.push(i as u32)
                } else {
                    split.excluded += 1
                }
            }
        }
    }
    let when = crate::ingest::time::format_timestamp_us(boundary);
    if split.reference.is_empty() {
        return Err(SplitError::EmptyReference(when));
    }
    if split.current.is_empty() {
        return Err(SplitError::EmptyCurrent(when));
    }
    Ok(split)
}

/// Most PSI-over-time snapshots (a span of centuries widens the buckets, never allocates
/// millions of them; also the cap of a chosen `--every`).
pub const MAX_SNAPSHOTS: i64 = 2_000;

/// Most snapshots a span is cut into when the scale is picked from the data.
pub const TARGET_SNAPSHOTS: i64 = 60;

/// The widths a scale is picked from (µs): 1-2-5 steps of seconds, minutes and hours,
/// then days and weeks.
const LADDER_S: [i64; 21] = [
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10_800,
    21_600,
    43_200,
    86_400,
    2 * 86_400,
    7 * 86_400,
    14 * 86_400,
];

/// The snapshot width for a span: the finest step of the ladder giving at most
/// [`TARGET_SNAPSHOTS`] snapshots (so roughly 25–60 of them from seconds to weeks), whole
/// weeks beyond; or `every` when chosen.
pub fn snapshot_width(span_us: i64, every_us: Option<i64>) -> i64 {
    const WEEK: i64 = 7 * 86_400_000_000;
    if let Some(e) = every_us.filter(|e| *e > 0) {
        // never more than MAX_SNAPSHOTS
        return e.max(span_us / MAX_SNAPSHOTS + 1);
    }
    let span = span_us.max(0);
    LADDER_S
        .iter()
        .map(|s| s * 1_000_000)
        .find(|w| span / w < TARGET_SNAPSHOTS)
        .unwrap_or_else(|| WEEK * (span / (WEEK * TARGET_SNAPSHOTS) + 1))
}

/// Time buckets for PSI over time and the performance series, their width picked from
/// the data's span ([`snapshot_width`]) or chosen (`every_us`). Buckets of a day or more
/// start at midnight UTC, shorter ones at a multiple of their width. Returns (bucket name,
/// width µs, first bucket start µs, bucket count).
pub fn snapshot_buckets(
    min_us: i64,
    max_us: i64,
    every_us: Option<i64>,
) -> (String, i64, i64, usize) {
    const DAY: i64 = 86_400_000_000;
    let span = max_us.saturating_sub(min_us).max(0);
    let width = snapshot_width(span, every_us);
    let align = if width >= DAY { DAY } else { width };
    let start = min_us.div_euclid(align) * align;
    let count = (max_us.saturating_sub(start) / width + 1) as usize;
    let name = crate::plan::duration::format_bucket((width / 1_000_000).max(1) as u64);
    (name, width, start, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_follow_the_span_from_seconds_to_weeks() {
        const S: i64 = 1_000_000;
        const DAY: i64 = 86_400 * S;
        for (span, name) in [
            (40 * S, "1s"),
            (3 * 60 * S, "5s"),
            (2 * 3600 * S, "5m"),
            (10 * DAY, "6h"),
            (30 * DAY, "1d"),
        ] {
            let (n, width, _, count) = snapshot_buckets(0, span, None);
            assert_eq!(n, name, "{span}");
            assert!(count as i64 <= TARGET_SNAPSHOTS + 1, "{count}");
            assert!(count >= 3, "{span}: {count}");
            assert!(span / width >= 2);
        }
        // 70 days: 36 snapshots of 2 days
        let (name, _, _, count) = snapshot_buckets(0, 70 * DAY, None);
        assert_eq!((name.as_str(), count), ("2d", 36));
        // chosen: as asked, but never more than MAX_SNAPSHOTS
        let (name, _, _, count) = snapshot_buckets(0, 2 * 3600 * S, Some(60 * S));
        assert_eq!((name.as_str(), count), ("1m", 121));
        let (_, _, _, count) = snapshot_buckets(0, 30 * DAY, Some(S));
        assert!(count as i64 <= MAX_SNAPSHOTS + 1);
        // three thousand years of timestamps: whole weeks, a bounded count
        let (_, width, _, count) = snapshot_buckets(-5e16 as i64, 5e16 as i64, None);
        assert!(count as i64 <= TARGET_SNAPSHOTS + 1, "{count}");
        assert_eq!(width % (7 * DAY), 0);
    }

    #[test]
    fn window_takes_last_span_against_the_one_before() {
        let ts: Vec<Option<i64>> = (0..30).map(|d| Some(d * 10)).chain([None]).collect();
        let s = split_by_time(&ts, TimeSplitSpec::Window(70)).unwrap();
        assert_eq!(s.current, (23..30).collect::<Vec<u32>>());
        assert_eq!(s.reference, (16..23).collect::<Vec<u32>>());
        assert_eq!(s.excluded, 17);
        let at = split_by_time(&ts, TimeSplitSpec::At(100)).unwrap();
        assert_eq!(at.reference.len(), 10);
        assert_eq!(at.current.len(), 20);
        assert!(matches!(
            split_by_time(&ts, TimeSplitSpec::At(0)),
            Err(SplitError::EmptyReference(_))
        ));
        // a huge window cannot overflow
        assert!(matches!(
            split_by_time(&ts, TimeSplitSpec::Window(i64::MAX)),
            Err(SplitError::EmptyReference(_))
        ));
    }
}
