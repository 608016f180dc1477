//! The counts a binned drift comparison reads from the server: exact order statistics (as
//! bits), counts per bin and per category, and the statistics of one feature made from
//! them — PSI and its bins exactly as the local engine draws them, chi-square per category
//! exactly, the KS statistic bracketed from each side's order statistics on a rank grid.

use super::aggregates::{count, num, Roles, Source};
use super::error::ClickHouseError;
use super::sql::{self, ident};
use crate::analysis::drift::features::{empty_feature, rate, set_categorical, set_flags, Flags};
use crate::analysis::drift::numeric::{floored_shares, ks_p_value, psi};
use crate::analysis::stats::{lerp, percentile_position};
use crate::report::drift::{Bin, FeatureDrift, FeatureKind};
use polars::prelude::PlHashMap as HashMap;
use serde_json::Value;

/// Grid steps of the KS bracket (ranks per side).
pub const KS_GRID: usize = 1000;

/// One side of the comparison: the rows of `src` that `cond` (SQL) selects.
pub struct BinnedSide<'a> {
    /// The table and the flags' selection.
    pub src: &'a Source<'a>,
    /// Reference or current rows (a time range for a split; `1` for a whole table).
    pub cond: String,
    /// The table's address as shown.
    pub shown: String,
    /// The table's columns (a feature the other table has and this one lacks reads as
    /// missing here, as the local engine does).
    pub columns: Vec<String>,
}

/// A float as SQL with its exact bits (no decimal parsing on the server).
pub(super) fn exact(x: f64) -> String {
    let hex: String = x.to_le_bytes().iter().map(|b| format!("{b:02X}")).collect();
    format!("reinterpretAsFloat64(unhex('{hex}'))")
}

pub(super) fn input_err(src: &Source, e: impl std::fmt::Display) -> ClickHouseError {
    ClickHouseError::Input {
        server: src.server(),
        problem: e.to_string(),
    }
}

impl BinnedSide<'_> {
    /// A column's numeric value as SQL, or a typed NULL when this table lacks it.
    pub(super) fn number(&self, name: &str) -> String {
        if self.columns.iter().any(|c| c == name) {
            format!("toFloat64({})", ident(name))
        } else {
            "CAST(NULL AS Nullable(Float64))".into()
        }
    }

    /// A column as text, or a typed NULL when this table lacks it.
    pub(super) fn text(&self, name: &str) -> String {
        if self.columns.iter().any(|c| c == name) {
            format!("toString({})", ident(name))
        } else {
            "CAST(NULL AS Nullable(String))".into()
        }
    }

    pub(super) fn table(&self) -> String {
        sql::table(&self.src.url.database, &self.src.url.table)
    }

    /// `WHERE` of this side's prediction rows.
    pub(super) fn rows_where(
        &self,
        roles: &Roles,
        predictions: &str,
    ) -> Result<String, ClickHouseError> {
        Ok(format!(
            "{} AND ({}) AND ({predictions})",
            self.src.where_clause(roles)?,
            self.cond
        ))
    }
}

/// The bin of `value` among `[e_i, e_{i+1})` with outer edges ±inf as SQL: how many edges
/// are at or below it (values equal to an edge go to the bin above, as numpy's histogram).
fn bin_index(value: &str, edges: &[f64]) -> String {
    let list: Vec<String> = edges.iter().map(|e| exact(*e)).collect();
    // the rows are non-null (filtered): ifNull only makes the type plain for arraySum
    format!(
        "arraySum(arrayMap(__vd_e -> toUInt32(ifNull({value}, 0) >= __vd_e), [{}]))",
        list.join(", ")
    )
}

/// Counts per bin of `value` (bins: `edges.len() + 1`), per value of `extra_group` (one
/// group `0` without).
pub(super) fn bin_counts(
    side: &BinnedSide,
    roles: &Roles,
    predictions: &str,
    value: &str,
    edges: &[f64],
    extra_group: Option<&str>,
) -> Result<Vec<(i64, Vec<u64>)>, ClickHouseError> {
    let bin = bin_index(value, edges);
    let g = extra_group.unwrap_or("toInt64(0)");
    let rows = side.src.rows(&format!(
        "SELECT {g} AS __vd_p, {bin} AS __vd_b, count() AS __vd_n FROM {t} WHERE {w} AND isNotNull({value}) AND isFinite({value}) GROUP BY __vd_p, __vd_b",
        t = side.table(),
        w = side.rows_where(roles, predictions)?,
    ))?;
    let mut out: Vec<(i64, Vec<u64>)> = Vec::new();
    for r in &rows {
        let p = num(r.get("__vd_p")).unwrap_or(0.0) as i64;
        let bin = count(r.get("__vd_b")) as usize;
        if bin > edges.len() {
            continue;
        }
        let i = match out.iter().position(|(q, _)| *q == p) {
            Some(i) => i,
            None => {
                out.push((p, vec![0; edges.len() + 1]));
                out.len() - 1
            }
        };
        out[i].1[bin] += count(r.get("__vd_n"));
    }
    out.sort_by_key(|(p, _)| *p);
    Ok(out)
}

/// A Float64 from the hex of its little-endian bytes as `reinterpretAsString` gives them
/// (it drops trailing zero bytes: they are restored).
fn from_hex(s: &str) -> Option<f64> {
    if s.len() > 16 || !s.len().is_multiple_of(2) {
        return None;
    }
    let s = format!("{s:0<16}");
    let mut b = [0u8; 8];
    for (i, chunk) in b.iter_mut().enumerate() {
        *chunk = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(f64::from_le_bytes(b))
}

/// Order statistics of `value` on `side` at 0-based ranks `ranks` (of `n` values), exact:
/// `quantilesExact` at `(k + 0.5) / n` picks rank `k`.
fn order_stats(
    side: &BinnedSide,
    roles: &Roles,
    predictions: &str,
    value: &str,
    n: u64,
    ranks: &[u64],
) -> Result<Vec<f64>, ClickHouseError> {
    if ranks.is_empty() || n == 0 {
        return Ok(Vec::new());
    }
    let levels: Vec<String> = ranks
        .iter()
        .map(|k| format!("{:.17}", (*k as f64 + 0.5) / n as f64))
        .collect();
    let rows = side.src.rows(&format!(
        "SELECT arrayMap(x -> hex(reinterpretAsString(x)), quantilesExact({l})({value})) AS __vd_q FROM {t} WHERE {w} AND isNotNull({value}) AND isFinite({value})",
        l = levels.join(", "),
        t = side.table(),
        w = side.rows_where(roles, predictions)?,
    ))?;
    let q = rows
        .first()
        .and_then(|r| r.get("__vd_q"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(q.iter()
        .map(|v| v.as_str().and_then(from_hex).unwrap_or(f64::NAN))
        .collect())
}

/// The numeric statistics of a column that is a feature: rows, values, mean.
struct Summary {
    rows: u64,
    n: u64,
    mean: Option<f64>,
}

fn summary(
    side: &BinnedSide,
    roles: &Roles,
    predictions: &str,
    value: &str,
) -> Result<Summary, ClickHouseError> {
    let rows = side.src.rows(&format!(
        "SELECT count() AS __vd_rows, countIf(isNotNull({value}) AND isFinite({value})) AS __vd_n, sumIf({value}, isNotNull({value}) AND isFinite({value})) AS __vd_s FROM {t} WHERE {w}",
        t = side.table(),
        w = side.rows_where(roles, predictions)?,
    ))?;
    let r = rows.first();
    let n = r.map_or(0, |r| count(r.get("__vd_n")));
    Ok(Summary {
        rows: r.map_or(0, |r| count(r.get("__vd_rows"))),
        n,
        mean: (n > 0).then(|| r.and_then(|r| num(r.get("__vd_s"))).unwrap_or(f64::NAN) / n as f64),
    })
}

/// Order statistics of one side: `values[i]` is the value of 0-based rank `ranks[i]` of
/// `n` (ranks increasing, the first 0 and the last `n − 1`).
pub struct Quantiles {
    /// Values on the side.
    pub n: u64,
    /// The ranks.
    pub ranks: Vec<u64>,
    /// Their values (non-decreasing).
    pub values: Vec<f64>,
}

impl Quantiles {
    /// Bounds of the empirical CDF `F(x) = #{X ≤ x} / n` on `[x, next breakpoint)`: 0
    /// below the minimum, 1 from the maximum, else between the ranks around `x`.
    fn bracket(&self, x: f64) -> (f64, f64) {
        let n = self.n as f64;
        let j = self.values.partition_point(|v| *v <= x);
        if j == 0 {
            (0.0, 0.0)
        } else if j == self.values.len() {
            (1.0, 1.0)
        } else {
            ((self.ranks[j - 1] + 1) as f64 / n, self.ranks[j] as f64 / n)
        }
    }
}

/// The two-sample KS statistic bracketed from both sides' order statistics: on every
/// interval between consecutive values of either grid each CDF lies within its bracket, so
/// `D` lies in `[lower, upper]` (the gap is about two grid steps, less with ties).
pub fn ks_bracket(a: &Quantiles, b: &Quantiles) -> (f64, f64) {
    let mut points: Vec<f64> = a.values.iter().chain(&b.values).copied().collect();
    points.push(f64::NEG_INFINITY);
    points.retain(|x| !x.is_nan());
    points.sort_by(f64::total_cmp);
    points.dedup();
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for x in points {
        let ((al, ah), (bl, bh)) = (a.bracket(x), b.bracket(x));
        lo = lo.max(al - bh).max(bl - ah);
        hi = hi.max(ah - bl).max(bh - al);
    }
    (lo, hi.max(lo))
}

/// One numeric feature's drift from server-side counts.
#[allow(clippy::too_many_arguments)]
pub(super) fn numeric_feature(
    name: &str,
    sides: (&BinnedSide, &BinnedSide),
    roles: &Roles,
    predictions: &str,
    flags: Flags,
) -> Result<FeatureDrift, ClickHouseError> {
    let (rs, cs) = sides;
    let value = rs.number(name);
    let (ra, ca) = (
        summary(rs, roles, predictions, &value)?,
        summary(cs, roles, predictions, &cs.number(name))?,
    );
    let mut f = empty_feature(name, FeatureKind::Numeric);
    f.null_rate_reference = rate(ra.rows.saturating_sub(ra.n), ra.rows);
    f.null_rate_current = rate(ca.rows.saturating_sub(ca.n), ca.rows);
    f.n_reference = ra.n;
    f.n_current = ca.n;
    if ra.n == 0 || ca.n == 0 {
        return Ok(f);
    }
    f.mean_reference = ra.mean;
    f.mean_current = ca.mean;
    // the reference's deciles by linear interpolation, from exact order statistics
    let n = ra.n;
    // as the local engine's `decile_edges`: numpy's linear percentile at 10 %, …, 90 %
    let pos: Vec<(u64, u64, f64)> = (1..10)
        .map(|i| {
            let (lo, frac) = percentile_position(n, i as f64 * 10.0);
            (lo, if frac > 0.0 { lo + 1 } else { lo }, frac)
        })
        .collect();
    let mut ranks: Vec<u64> = pos.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
    ranks.sort_unstable();
    ranks.dedup();
    let stats = order_stats(rs, roles, predictions, &value, n, &ranks)?;
    let at = |k: u64| {
        ranks
            .iter()
            .position(|r| *r == k)
            .and_then(|i| stats.get(i).copied())
            .unwrap_or(f64::NAN)
    };
    let edges: Vec<f64> = pos
        .iter()
        .map(|&(lo, hi, frac)| {
            if lo == hi {
                at(lo)
            } else {
                lerp(at(lo), at(hi), frac)
            }
        })
        .collect();
    if edges.iter().any(|e| !e.is_finite()) {
        return Err(input_err(
            rs.src,
            format!("{name}: the server returned no order statistics for the deciles"),
        ));
    }
    let counts = |s: &BinnedSide| -> Result<Vec<u64>, ClickHouseError> {
        Ok(
            bin_counts(s, roles, predictions, &s.number(name), &edges, None)?
                .into_iter()
                .next()
                .map_or(vec![0; edges.len() + 1], |(_, c)| c),
        )
    };
    let (rc, cc) = (counts(rs)?, counts(cs)?);
    f.psi = Some(psi(&floored_shares(&rc), &floored_shares(&cc)));
    f.bins = (0..10)
        .map(|i| Bin {
            lo: (i > 0).then(|| edges[i - 1]),
            hi: (i < 9).then(|| edges[i]),
            reference: rc[i] as f64 / n as f64,
            current: cc[i] as f64 / ca.n as f64,
        })
        .collect();
    // KS bracketed by each side's order statistics on a grid of ranks
    let grid = |s: &BinnedSide, n: u64| -> Result<Quantiles, ClickHouseError> {
        let ranks: Vec<u64> = (0..=KS_GRID as u64)
            .map(|j| ((n - 1) as f64 * j as f64 / KS_GRID as f64).round() as u64)
            .collect::<std::collections::BTreeSet<u64>>()
            .into_iter()
            .collect();
        let values = order_stats(s, roles, predictions, &s.number(name), n, &ranks)?;
        Ok(Quantiles { n, ranks, values })
    };
    let (d_lo, d_hi) = ks_bracket(&grid(rs, ra.n)?, &grid(cs, ca.n)?);
    f.statistic = Some(d_lo);
    f.ks_error_bound = Some(d_hi - d_lo);
    f.p_value = Some(ks_p_value(d_lo, ra.n as usize, ca.n as usize));
    set_flags(&mut f, flags);
    Ok(f)
}

/// One categorical feature's drift from the counts per category (exact).
pub(super) fn categorical_feature(
    name: &str,
    sides: (&BinnedSide, &BinnedSide),
    roles: &Roles,
    predictions: &str,
    flags: Flags,
) -> Result<FeatureDrift, ClickHouseError> {
    let (rs, cs) = sides;
    // the column as text on each side (a typed NULL on a side without it)
    // one pass per side: counts per value, the missing values as their own (null) group
    let per = |s: &BinnedSide| -> Result<(u64, HashMap<String, u64>), ClickHouseError> {
        let rows = s.src.rows(&format!(
            "SELECT {c} AS __vd_v, count() AS __vd_n FROM {t} WHERE {w} GROUP BY __vd_v",
            c = s.text(name),
            t = s.table(),
            w = s.rows_where(roles, predictions)?,
        ))?;
        let mut total = 0;
        let mut counts = HashMap::default();
        for r in &rows {
            let n = count(r.get("__vd_n"));
            total += n;
            if let Some(v) = r.get("__vd_v").and_then(Value::as_str) {
                *counts.entry(v.to_string()).or_insert(0) += n;
            }
        }
        Ok((total, counts))
    };
    let ((rrows, ra), (crows, ca)) = (per(rs)?, per(cs)?);
    let mut f = empty_feature(name, FeatureKind::Categorical);
    set_categorical(&mut f, &ra, &ca);
    f.null_rate_reference = rate(rrows - f.n_reference, rrows);
    f.null_rate_current = rate(crows - f.n_current, crows);
    set_flags(&mut f, flags);
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_ranks(sorted: &[f64]) -> Quantiles {
        Quantiles {
            n: sorted.len() as u64,
            ranks: (0..sorted.len() as u64).collect(),
            values: sorted.to_vec(),
        }
    }

    fn grid(sorted: &[f64], g: usize) -> Quantiles {
        let n = sorted.len() as u64;
        let ranks: Vec<u64> = (0..=g as u64)
            .map(|j| ((n - 1) as f64 * j as f64 / g as f64).round() as u64)
            .collect::<std::collections::BTreeSet<u64>>()
            .into_iter()
            .collect();
        Quantiles {
            n,
            values: ranks.iter().map(|&k| sorted[k as usize]).collect(),
            ranks,
        }
    }

    #[test]
    fn the_ks_bracket_is_exact_with_every_rank_and_holds_the_statistic_on_a_grid() {
        use crate::analysis::drift::numeric::ks_statistic;
        let mut a: Vec<f64> = (0..2000)
            .map(|i| ((i * 7919) % 1000) as f64 / 10.0)
            .collect();
        let mut b: Vec<f64> = (0..1500)
            .map(|i| ((i * 104_729) % 1200) as f64 / 11.0 + 3.0)
            .collect();
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        let d = ks_statistic(&a, &b);
        let (lo, hi) = ks_bracket(&all_ranks(&a), &all_ranks(&b));
        assert!(
            (lo - d).abs() < 1e-12 && (hi - d).abs() < 1e-12,
            "{lo} {hi} {d}"
        );
        let (lo, hi) = ks_bracket(&grid(&a, 50), &grid(&b, 50));
        assert!(lo <= d + 1e-12 && d <= hi + 1e-12, "{d} in [{lo}, {hi}]");
        assert!(hi - lo <= 2.0 / 50.0 + 1e-9, "{lo} {hi}");
        assert_eq!(from_hex("000000000000F03F"), Some(1.0));
        // reinterpretAsString drops trailing zero bytes: 0.0 is "", 2.0 is "00...0040"
        assert_eq!(from_hex(""), Some(0.0));
        assert_eq!(from_hex("00000000000000C0"), Some(-2.0));
    }
}
