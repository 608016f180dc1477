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

/// Most PSI-over-time snapshots (a span of centuries widens the weeks, never allocates
/// millions of buckets).
pub const MAX_SNAPSHOTS: i64 = 400;

/// Time buckets for PSI over time: weekly snapshots, or daily when the data spans less
/// than three weeks, widened to whole weeks when there would be more than
/// [`MAX_SNAPSHOTS`]. Returns (bucket name, width µs, first bucket start µs, bucket count).
pub fn snapshot_buckets(min_us: i64, max_us: i64) -> (String, i64, i64, usize) {
    const DAY: i64 = 86_400_000_000;
    const WEEK: i64 = 7 * DAY;
    let span = max_us.saturating_sub(min_us).max(0);
    let width = if span < 21 * DAY {
        DAY
    } else {
        // whole weeks, as few as keep the count under the cap
        WEEK * (span / (WEEK * MAX_SNAPSHOTS) + 1)
    };
    let start = min_us.div_euclid(DAY) * DAY;
    let count = (max_us.saturating_sub(start) / width + 1) as usize;
    let name = crate::plan::duration::format_bucket((width / 1_000_000) as u64);
    (name, width, start, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_stay_few_over_any_span() {
        const DAY: i64 = 86_400_000_000;
        let (name, width, _, count) = snapshot_buckets(0, 10 * DAY);
        assert_eq!((name.as_str(), width, count), ("1d", DAY, 11));
        let (name, _, _, count) = snapshot_buckets(0, 70 * DAY);
        assert_eq!((name.as_str(), count), ("7d", 11));
        // three thousand years of timestamps: whole weeks, at most MAX_SNAPSHOTS + 1
        let (name, width, _, count) = snapshot_buckets(-5e16 as i64, 5e16 as i64);
        assert!(count as i64 <= MAX_SNAPSHOTS + 1, "{count}");
        assert_eq!(width % (7 * DAY), 0);
        assert!(name.ends_with('d'));
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
