//! The group of every row: the group column, with error events that carry no group
//! attributed through their request id, else to the group of the same user's nearest
//! assignment event in time (ties to the earlier one); rows without a group (or of a
//! group the plan does not expect) are rejected.

use super::coerce::{clean, str_series, truncate, Ctx};
use super::GROUP;
use crate::ingest::rejects::Reason;
use crate::ingest::table::RawColumn;
use polars::prelude::*;

/// The group column of the canonical frame, the time-attribution flags, and the rows left
/// without a group (not yet rejected: service events among them are not errors).
#[allow(clippy::too_many_arguments)]
pub(super) fn attribute_groups(
    group_col: &RawColumn,
    users: &StringChunked,
    requests: &StringChunked,
    ts: &Int64Chunked,
    is_error: &BooleanChunked,
    known_groups: Option<&[String]>,
    rows: usize,
    defer_errors: bool,
    ctx: &mut Ctx,
) -> (StringChunked, BooleanChunked, Vec<usize>) {
    let raw_groups = str_series(GROUP, Some(group_col), rows);
    let needs_fix = raw_groups.null_count() > 0
        || raw_groups.iter().any(|g| {
            g.is_some_and(|g| {
                g.is_empty()
                    || g.starts_with(char::is_whitespace)
                    || g.ends_with(char::is_whitespace)
            })
        });
    let mut by_time = vec![false; rows];
    let groups: StringChunked = if !needs_fix {
        raw_groups
    } else {
        let found = if defer_errors {
            PlHashMap::default()
        } else {
            attribute_errors(&raw_groups, users, requests, ts, is_error)
        };
        for (r, (_, t)) in &found {
            by_time[*r] = *t;
        }
        let mut unattributed = Vec::new();
        let out: StringChunked = raw_groups
            .iter()
            .zip(is_error.iter())
            .enumerate()
            .map(|(r, (g, e))| match clean(g) {
                Some(g) => Some(g),
                None if e == Some(true) => {
                    let f = found.get(&r).map(|x| x.0);
                    if f.is_none() {
                        unattributed.push(r);
                    }
                    f
                }
                None => None,
            })
            .collect();
        for r in unattributed.into_iter().filter(|_| !defer_errors) {
            ctx.reject(
                r,
                Reason::UnattributedError,
                "error event without a group, request id or assignment of its user".into(),
            );
        }
        out.with_name(GROUP.into())
    };
    let mut bad_groups = Vec::new();
    let mut missing = Vec::new();
    let check_groups = groups.null_count() > 0 || known_groups.is_some();
    for (r, g) in groups.iter().enumerate().filter(|_| check_groups) {
        match g {
            // the caller tells service events from rows that lost their group
            None => missing.push(r),
            Some(g) => {
                if let Some(known) = known_groups {
                    if !known.iter().any(|k| k == g) {
                        bad_groups.push((
                            r,
                            Reason::UnknownGroup,
                            format!("group {:?} is not one of {}", truncate(g), known.join(", ")),
                        ));
                    }
                }
            }
        }
    }
    for (r, reason, detail) in bad_groups {
        ctx.reject(r, reason, detail);
    }

    (
        groups,
        BooleanChunked::from_iter_values(super::GROUP_BY_TIME.into(), by_time.into_iter()),
        missing,
    )
}

/// The group of each error row without one (row → (group, found by time)): the group of an
/// assignment row with the same request id, else of the same user's assignment row nearest
/// in time (ties to the earlier), else — without timestamps — the user's only group. The
/// analysis re-checks time-attributed rows within their ramp stage.
fn attribute_errors<'a>(
    groups: &'a StringChunked,
    users: &StringChunked,
    requests: &StringChunked,
    ts: &Int64Chunked,
    is_error: &BooleanChunked,
) -> PlHashMap<usize, (&'a str, bool)> {
    let needs: Vec<usize> = groups
        .iter()
        .zip(is_error.iter())
        .enumerate()
        .filter(|(_, (g, e))| clean(*g).is_none() && *e == Some(true))
        .map(|(r, _)| r)
        .collect();
    let mut out: PlHashMap<usize, (&'a str, bool)> = PlHashMap::default();
    if needs.is_empty() {
        return out;
    }
    // by request id
    let wanted: PlHashSet<&str> = needs.iter().filter_map(|&r| requests.get(r)).collect();
    if !wanted.is_empty() {
        let mut by_request: PlHashMap<&str, &'a str> = PlHashMap::default();
        for (q, g) in requests.iter().zip(groups.iter()) {
            if let (Some(q), Some(g)) = (q, clean(g)) {
                if wanted.contains(q) {
                    by_request.entry(q).or_insert(g);
                }
            }
        }
        for &r in &needs {
            if let Some(g) = requests.get(r).and_then(|q| by_request.get(q)) {
                out.insert(r, (g, false));
            }
        }
    }
    // by the user's nearest assignment in time
    let users_wanted: PlHashSet<&str> = needs
        .iter()
        .filter(|r| !out.contains_key(*r))
        .filter_map(|&r| users.get(r))
        .collect();
    if users_wanted.is_empty() {
        return out;
    }
    let mut events: PlHashMap<&str, Vec<(Option<i64>, &'a str)>> = PlHashMap::default();
    for ((u, g), t) in users.iter().zip(groups.iter()).zip(ts.iter()) {
        if let (Some(u), Some(g)) = (u, clean(g)) {
            if users_wanted.contains(u) {
                events.entry(u).or_default().push((t, g));
            }
        }
    }
    for list in events.values_mut() {
        list.sort_by_key(|e| e.0);
    }
    for &r in &needs {
        if out.contains_key(&r) {
            continue;
        }
        let Some(list) = users.get(r).and_then(|u| events.get(u)) else {
            continue;
        };
        if let Some(g) = nearest(list, ts.get(r)) {
            out.insert(r, (g, true));
        }
    }
    out
}

/// The group of the event nearest to `t` (ties to the earlier); without a time, the
/// user's only group.
fn nearest<'a>(events: &[(Option<i64>, &'a str)], t: Option<i64>) -> Option<&'a str> {
    let timed: Vec<(i64, &'a str)> = events
        .iter()
        .filter_map(|(t, g)| t.map(|t| (t, *g)))
        .collect();
    match t {
        Some(t) if !timed.is_empty() => {
            let i = timed.partition_point(|e| e.0 <= t);
            let before = i.checked_sub(1).map(|j| timed[j]);
            let after = timed.get(i).copied();
            match (before, after) {
                (Some(b), Some(a)) => Some(if t - b.0 <= a.0 - t { b.1 } else { a.1 }),
                (Some(b), None) => Some(b.1),
                (None, Some(a)) => Some(a.1),
                (None, None) => None,
            }
        }
        _ => {
            let first = events.first()?.1;
            events.iter().all(|e| e.1 == first).then_some(first)
        }
    }
}
