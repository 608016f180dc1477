//! Stage boundaries: declared by the plan, or detected and refined to the request; and the
//! expected split of each stage.

use super::stages::{detect, refine_by_likelihood, IntervalCounts};
use super::units::{UserGroups, NO_STAGE, NO_TS};
use crate::analysis::columns::NO_CODE;
use crate::plan::PlanStage;
use std::collections::BTreeMap;

/// Stage starts (µs, increasing) and the end of the last stage (exclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct Boundaries {
    /// Start of each stage.
    pub starts: Vec<i64>,
    /// End of the last stage.
    pub end: i64,
}

impl Boundaries {
    /// The stage of a timestamp (`NO_STAGE` before the first start).
    pub fn stage_of(&self, ts: i64) -> u16 {
        let i = self.starts.partition_point(|&s| s <= ts);
        if i == 0 {
            NO_STAGE
        } else {
            (i - 1) as u16
        }
    }

    /// The stage of every row; rows without a timestamp belong to the only stage, or to
    /// none when there are several.
    pub fn row_stages(&self, ts: &[i64]) -> Vec<u16> {
        let single = self.starts.len() == 1;
        // logs are mostly in time order: try the previous row's stage before searching
        let mut k = 0usize;
        ts.iter()
            .map(|&t| {
                if t == NO_TS {
                    return if single { 0 } else { NO_STAGE };
                }
                if t >= self.starts[k] && self.starts.get(k + 1).is_none_or(|&n| t < n) {
                    return k as u16;
                }
                let s = self.stage_of(t);
                if s != NO_STAGE {
                    k = s as usize;
                }
                s
            })
            .collect()
    }

    /// Number of stages.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// No stages.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// End of stage `i` (exclusive).
    pub fn end_of(&self, i: usize) -> i64 {
        self.starts.get(i + 1).copied().unwrap_or(self.end)
    }
}

/// Intervals the detection works on: about 25 requests each, at most 2,000.
pub fn interval_count(rows: usize) -> usize {
    (rows / 25).clamp(1, 2000)
}

/// Detects stages among rows at or after `from_us`, refined to the request.
pub fn detect_boundaries(
    codes: &[u32],
    control: u32,
    pairs: &UserGroups,
    from_us: Option<i64>,
) -> Option<Boundaries> {
    let ts = pairs.ts();
    let rows = || {
        ts.iter().zip(codes).filter_map(move |(&t, &c)| {
            (t != NO_TS && c != NO_CODE && from_us.is_none_or(|f| t >= f))
                .then_some((t, c != control))
        })
    };
    // every row of the canonical frame has a group: the range is the timestamps' range
    let (mut min, mut max, mut n) = (i64::MAX, i64::MIN, 0usize);
    for &t in ts {
        if t != NO_TS && from_us.is_none_or(|f| t >= f) {
            min = min.min(t);
            max = max.max(t);
            n += 1;
        }
    }
    if n == 0 {
        return None;
    }
    let counts = IntervalCounts::of(rows(), min, max, interval_count(n));
    let cuts = detect(&counts);
    let (coarse, windows) = coarse_windows(&counts, &cuts, min, max);
    // one pass gathers the requests of every window
    let mut in_window: Vec<Vec<(i64, bool)>> = vec![Vec::new(); windows.len()];
    if !windows.is_empty() {
        for r in rows() {
            for (w, &(lo, hi)) in in_window.iter_mut().zip(&windows) {
                if r.0 >= lo && r.0 < hi {
                    w.push(r);
                }
            }
        }
    }
    let all_moves = moves(pairs);
    let near: Vec<Vec<(i64, i64)>> = windows
        .iter()
        .map(|&(lo, hi)| {
            all_moves
                .iter()
                .copied()
                .filter(|&(l, f)| f >= lo && l < hi)
                .collect()
        })
        .collect();
    Some(refine(
        &coarse,
        &windows,
        in_window,
        near,
        from_us.unwrap_or(min),
        max,
    ))
}

/// The coarse switches (interval starts after each cut) and the window each is refined in:
/// two intervals either side, never past its neighbours. Any back end that can count
/// requests per interval and list the requests of a window detects the same stages.
pub fn coarse_windows(
    counts: &IntervalCounts,
    cuts: &[usize],
    min: i64,
    max: i64,
) -> (Vec<i64>, Vec<(i64, i64)>) {
    let coarse: Vec<i64> = cuts
        .iter()
        .map(|&j| counts.start_us + j as i64 * counts.width_us)
        .collect();
    let windows = coarse
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let lo = coarse
                .get(i.wrapping_sub(1))
                .copied()
                .unwrap_or(min)
                .max(b - counts.width_us * 2);
            let hi = coarse
                .get(i + 1)
                .copied()
                .unwrap_or(max + 1)
                .min(b + counts.width_us * 2);
            (lo, hi)
        })
        .collect();
    (coarse, windows)
}

/// Each coarse switch refined to the request inside its window: the users who moved near
/// it (per window: (last time in the old group, first in the new), at least those with
/// `f >= lo && l < hi`) bound the switch and the likelihood of the window's
/// `(time, is treatment)` requests picks the point inside those bounds.
pub fn refine(
    coarse: &[i64],
    windows: &[(i64, i64)],
    in_window: Vec<Vec<(i64, bool)>>,
    moves_near: Vec<Vec<(i64, i64)>>,
    first: i64,
    max: i64,
) -> Boundaries {
    let mut starts = vec![first];
    let mut moves_near = moves_near.into_iter();
    for ((&b, &(lo, hi)), window) in coarse.iter().zip(windows).zip(in_window) {
        let moves = moves_near.next().unwrap_or_default();
        let gap = refine_by_moved_users(&moves, lo, hi).and_then(|(last_old, first_new)| {
            window
                .iter()
                .map(|r| r.0)
                .filter(|&t| t > last_old && t <= first_new)
                .min()
                .map(|t| (t, first_new))
        });
        let refined = match gap {
            Some((first_after_old, first_new)) => {
                refine_by_likelihood(window, (first_after_old, first_new))
                    .unwrap_or(first_after_old)
            }
            None => refine_by_likelihood(window, (lo, hi)).unwrap_or(b),
        };
        if refined > *starts.last().unwrap_or(&i64::MIN) {
            starts.push(refined);
        }
    }
    Boundaries {
        starts,
        end: max.saturating_add(1),
    }
}

/// The switch told by users who moved between groups around `[lo, hi)`: after the last
/// request any of them sent in the old group and no later than the first in the new one.
/// Returns (that last old request, the first new one).
fn refine_by_moved_users(moves: &[(i64, i64)], lo: i64, hi: i64) -> Option<(i64, i64)> {
    // the switch is the point in the window inside the most moves (l, f]; candidates are
    // the first new requests, as the point can move right until it meets one
    let near: Vec<(i64, i64)> = moves
        .iter()
        .copied()
        .filter(|&(l, f)| f >= lo && l < hi)
        .collect();
    // moves containing t: those with l < t, minus those that ended before (f < t)
    let mut ls: Vec<i64> = near.iter().map(|m| m.0).collect();
    let mut fs: Vec<i64> = near.iter().map(|m| m.1).collect();
    ls.sort_unstable();
    fs.sort_unstable();
    let inside = |t: i64| ls.partition_point(|&l| l < t) - fs.partition_point(|&f| f < t);
    let best = fs
        .iter()
        .copied()
        .filter(|&f| f >= lo && f < hi)
        .map(|f| (inside(f), std::cmp::Reverse(f)))
        .max()?;
    let (moved, std::cmp::Reverse(t)) = best;
    if moved < 3 {
        return None;
    }
    let (mut last_old, mut first_new) = (i64::MIN, i64::MAX);
    for &(l, f) in near.iter().filter(|&&(l, f)| l < t && t <= f) {
        last_old = last_old.max(l);
        first_new = first_new.min(f);
    }
    (last_old < first_new).then_some((last_old, first_new))
}

/// Users in exactly two groups, one after the other: (last time in the old group, first
/// time in the new one).
fn moves(pairs: &UserGroups) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for user in pairs.users() {
        if user.len() != 2 {
            continue;
        }
        let (a, b) = (user[0] as usize, user[1] as usize);
        if pairs.last_us[a] < pairs.first_us[b] {
            out.push((pairs.last_us[a], pairs.first_us[b]));
        } else if pairs.last_us[b] < pairs.first_us[a] {
            out.push((pairs.last_us[b], pairs.first_us[a]));
        }
    }
    out
}

/// Stages declared in the plan.
pub fn declared_boundaries(starts_us: &[i64], max_ts: i64) -> Boundaries {
    Boundaries {
        starts: starts_us.to_vec(),
        end: max_ts
            .saturating_add(1)
            .max(starts_us.last().copied().unwrap_or(0) + 1),
    }
}

/// The expected share per group of each stage, or why it is unknown.
pub fn expected_shares(
    names: &[String],
    control: usize,
    stages: usize,
    ramp: Option<&[f64]>,
    declared: &[PlanStage],
    single_stage_split: Option<&[f64]>,
) -> Vec<Result<Vec<f64>, String>> {
    let normalise = |v: Vec<f64>| {
        let s: f64 = v.iter().sum();
        v.into_iter().map(|x| x / s).collect::<Vec<f64>>()
    };
    if !declared.is_empty() {
        return declared
            .iter()
            .map(|st| Ok(normalise(from_split(names, &st.split))))
            .collect();
    }
    if let Some(r) = ramp {
        if r.len() != stages {
            let why = format!(
                "the plan's ramp declares {} stages, {} were detected",
                r.len(),
                stages
            );
            return vec![Err(why); stages];
        }
        let treatments = (names.len() - 1).max(1) as f64;
        return r
            .iter()
            .map(|pct| {
                let t = pct / 100.0;
                Ok((0..names.len())
                    .map(|g| {
                        if g == control {
                            1.0 - t
                        } else {
                            t / treatments
                        }
                    })
                    .collect())
            })
            .collect();
    }
    if stages == 1 {
        if let Some(s) = single_stage_split {
            return vec![Ok(normalise(s.to_vec()))];
        }
    }
    vec![
        Err("no split declared for this stage: the split changed during the log (declare ramp = [...] or [[stages]] in the plan)".into());
        stages
    ]
}

fn from_split(names: &[String], split: &BTreeMap<String, f64>) -> Vec<f64> {
    names
        .iter()
        .map(|n| split.get(n).copied().unwrap_or(0.0))
        .collect()
}
