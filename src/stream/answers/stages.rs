//! Stage detection on per-interval counts, refined from moves near each switch.

use super::*;

/// The stages of the timed rows, `control` the control group (as `stages::detect_stages`:
/// per-interval counts, the change points, refined from moves near them and the requests of
/// their windows).
pub fn detect_stages(
    sp: &Spill,
    src: &Source,
    control: &str,
) -> Result<Option<Boundaries>, ClickHouseError> {
    let ctrl = sp
        .groups
        .iter()
        .position(|g| g == control)
        .map(|c| c as u32);
    let not_control = |g: u32| Some(g) != ctrl;
    let Some((min, max)) = time_range(sp, src)? else {
        return Ok(None);
    };
    let mut n = 0u64;
    scan(sp, src, false, &mut |c, rows| {
        n += rows
            .iter()
            .filter(|&&r| c.ts[r as usize] != NULL_TS)
            .count() as u64;
    })?;
    let intervals = interval_count(n as usize);
    let span = (max as i128 - min as i128 + 1).max(1);
    let width = ((span + intervals as i128 - 1) / intervals as i128).max(1) as i64;
    let count = ((span + width as i128 - 1) / width as i128) as usize;
    let mut counts = IntervalCounts {
        start_us: min,
        width_us: width,
        n: vec![0; count],
        x: vec![0; count],
    };
    // per (user, group): first and last time
    let mut spans: HashMap<(u32, u32), (i64, i64)> = HashMap::default();
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            let t = c.ts[i];
            if t == NULL_TS {
                continue;
            }
            let k = (((t - min) / width) as usize).min(count - 1);
            counts.n[k] += 1;
            counts.x[k] += not_control(c.group[i]) as u64;
            if c.user[i] != NULL_CODE {
                let e = spans.entry((c.user[i], c.group[i])).or_insert((t, t));
                e.0 = e.0.min(t);
                e.1 = e.1.max(t);
            }
        }
    })?;
    let cuts = detect(&counts);
    let (coarse, windows) = coarse_windows(&counts, &cuts, min, max);
    if coarse.is_empty() {
        return Ok(Some(refine(&[], &[], Vec::new(), Vec::new(), min, max)));
    }
    // users in exactly two groups one after the other: (last old, first new)
    let mut by_user: HashMap<u32, Vec<(i64, i64)>> = HashMap::default();
    if sp.roles.user.is_some() {
        for ((u, _), fl) in spans {
            by_user.entry(u).or_default().push(fl);
        }
    }
    let mut near: Vec<Vec<(i64, i64)>> = vec![Vec::new(); windows.len()];
    let mut spanning: Vec<(u64, i64, i64)> = vec![(0, i64::MIN, i64::MAX); windows.len()];
    for fl in by_user.values().filter(|v| v.len() == 2) {
        let ((f1, l1), (f2, l2)) = (fl[0], fl[1]);
        let (l, f) = if l1 < f2 {
            (l1, f2)
        } else if l2 < f1 {
            (l2, f1)
        } else {
            continue;
        };
        for (w, &(lo, hi)) in windows.iter().enumerate() {
            if (l >= lo && l < hi) || (f >= lo && f < hi) {
                near[w].push((l, f));
            } else if l < lo && f >= hi {
                let s = &mut spanning[w];
                s.0 += 1;
                s.1 = s.1.max(l);
                s.2 = s.2.min(f);
            }
        }
    }
    for (v, (k, l, f)) in near.iter_mut().zip(spanning) {
        v.extend(std::iter::repeat_n((l, f), k as usize));
    }
    // the requests of every window, in time order
    let mut in_window: Vec<Vec<(i64, bool)>> = vec![Vec::new(); windows.len()];
    scan(sp, src, false, &mut |c, rows| {
        for &r in rows {
            let i = r as usize;
            let t = c.ts[i];
            if t == NULL_TS {
                continue;
            }
            for (v, &(lo, hi)) in in_window.iter_mut().zip(&windows) {
                if t >= lo && t < hi {
                    v.push((t, not_control(c.group[i])));
                }
            }
        }
    })?;
    for v in &mut in_window {
        v.sort_by_key(|p| p.0);
    }
    Ok(Some(refine(&coarse, &windows, in_window, near, min, max)))
}
