//! The group of every row: the group column, with error events that carry no group
//! attributed to the group their user was first seen in; rows without a group (or of a
//! group the plan does not expect) are rejected.

use super::coerce::{clean, str_series, truncate, Ctx};
use super::GROUP;
use crate::ingest::rejects::Reason;
use crate::ingest::table::RawColumn;
use polars::prelude::*;

/// The group column of the canonical frame.
pub(super) fn attribute_groups(
    group_col: &RawColumn,
    users: &StringChunked,
    is_error: &BooleanChunked,
    known_groups: Option<&[String]>,
    rows: usize,
    ctx: &mut Ctx,
) -> StringChunked {
    let raw_groups = str_series(GROUP, Some(group_col), rows);
    let needs_fix = raw_groups.null_count() > 0
        || raw_groups.iter().any(|g| {
            g.is_some_and(|g| {
                g.is_empty()
                    || g.starts_with(char::is_whitespace)
                    || g.ends_with(char::is_whitespace)
            })
        });
    let groups: StringChunked = if !needs_fix {
        raw_groups
    } else {
        let mut first_group: PlHashMap<&str, &str> = PlHashMap::default();
        for (u, g) in users.iter().zip(raw_groups.iter()) {
            if let (Some(u), Some(g)) = (u, clean(g)) {
                first_group.entry(u).or_insert(g);
            }
        }
        let mut unattributed = Vec::new();
        let out: StringChunked = raw_groups
            .iter()
            .zip(users.iter())
            .zip(is_error.iter())
            .enumerate()
            .map(|(r, ((g, u), e))| match clean(g) {
                Some(g) => Some(g),
                None if e == Some(true) => {
                    let found = u.and_then(|u| first_group.get(u).copied());
                    if found.is_none() {
                        unattributed.push(r);
                    }
                    found
                }
                None => None,
            })
            .collect();
        for r in unattributed {
            ctx.reject(
                r,
                Reason::UnattributedError,
                "error event for a user never seen in a group".into(),
            );
        }
        out.with_name(GROUP.into())
    };
    let mut bad_groups = Vec::new();
    let check_groups = groups.null_count() > 0 || known_groups.is_some();
    for (r, g) in groups.iter().enumerate().filter(|_| check_groups) {
        match g {
            None => bad_groups.push((
                r,
                Reason::MissingGroup,
                format!("no value in {}", group_col.name),
            )),
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

    groups
}
