//! Drift computed on the server, for tables too large to read: the columns are chosen on a
//! sample of the selected rows (the same selection as for files: prediction rows, input /
//! prediction / target / operational sections, bookkeeping columns left out), then only
//! counts come back — per numeric feature the reference's decile order statistics (PSI bins
//! exactly as the local engine draws them), the counts per bin of each side, and each
//! side's order statistics on a grid of 1,000 ranks from which the KS statistic is
//! bracketed (`ks_error_bound`: the true D lies in `[statistic, statistic + bound]`, about
//! two grid steps); per categorical feature the counts per category (chi-square and PSI exact);
//! per snapshot the counts per bin for PSI over time. Performance (realized and CBPE)
//! needs the rows and is left out, said so in `binned.not_computed`.

use super::aggregates::{count, num, Roles, Source};
use super::error::ClickHouseError;
use super::sql::{self, ident};
use crate::analysis::drift::numeric::{floored_shares, ks_p_value, psi, PSI_FLOOR};
use crate::analysis::drift::DriftConfig;
use crate::ingest::table::RawTable;
use crate::report::drift::{
    Bin, BinnedInfo, DriftExcluded, DriftReport, DriftSide, DriftTest, DriftThresholds,
    FeatureDrift, FeatureKind, PsiOverTime, PsiSeries, SplitInfo,
};
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
}

/// A float as SQL with its exact bits (no decimal parsing on the server).
fn exact(x: f64) -> String {
    let hex: String = x.to_le_bytes().iter().map(|b| format!("{b:02X}")).collect();
    format!("reinterpretAsFloat64(unhex('{hex}'))")
}

fn input_err(src: &Source, e: impl std::fmt::Display) -> ClickHouseError {
    ClickHouseError::Input {
        server: src.server(),
        problem: e.to_string(),
    }
}

impl BinnedSide<'_> {
    fn table(&self) -> String {
        sql::table(&self.src.url.database, &self.src.url.table)
    }

    /// `WHERE` of this side's prediction rows.
    fn rows_where(&self, roles: &Roles, predictions: &str) -> Result<String, ClickHouseError> {
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
fn bin_counts(
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
fn numeric_feature(
    name: &str,
    sides: (&BinnedSide, &BinnedSide),
    roles: &Roles,
    predictions: &str,
    flags: (f64, f64, f64),
) -> Result<FeatureDrift, ClickHouseError> {
    let (rs, cs) = sides;
    let value = format!("toFloat64({})", ident(name));
    let (ra, ca) = (
        summary(rs, roles, predictions, &value)?,
        summary(cs, roles, predictions, &value)?,
    );
    let mut f = empty_feature(name, FeatureKind::Numeric);
    f.null_rate_reference = rate(ra.rows - ra.n, ra.rows);
    f.null_rate_current = rate(ca.rows - ca.n, ca.rows);
    f.n_reference = ra.n;
    f.n_current = ca.n;
    if ra.n == 0 || ca.n == 0 {
        return Ok(f);
    }
    f.mean_reference = ra.mean;
    f.mean_current = ca.mean;
    // the reference's deciles by linear interpolation, from exact order statistics
    let n = ra.n;
    let pos: Vec<(u64, u64, f64)> = (1..10)
        .map(|i| {
            let h = (n - 1) as f64 * i as f64 / 10.0;
            let lo = h.floor() as u64;
            (lo, h.ceil() as u64, h - lo as f64)
        })
        .collect();
    let mut ranks: Vec<u64> = pos.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
    ranks.sort_unstable();
    ranks.dedup();
    let stats = order_stats(rs, roles, predictions, &value, n, &ranks)?;
    let at = |k: u64| stats[ranks.iter().position(|r| *r == k).unwrap_or(0)];
    let edges: Vec<f64> = pos
        .iter()
        .map(|&(lo, hi, frac)| {
            if lo == hi {
                at(lo)
            } else {
                let (a, b) = (at(lo), at(hi));
                a + (b - a) * frac
            }
        })
        .collect();
    let counts = |s: &BinnedSide| -> Result<Vec<u64>, ClickHouseError> {
        Ok(bin_counts(s, roles, predictions, &value, &edges, None)?
            .into_iter()
            .next()
            .map_or(vec![0; edges.len() + 1], |(_, c)| c))
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
        let values = order_stats(s, roles, predictions, &value, n, &ranks)?;
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
fn categorical_feature(
    name: &str,
    sides: (&BinnedSide, &BinnedSide),
    roles: &Roles,
    predictions: &str,
    flags: (f64, f64, f64),
) -> Result<FeatureDrift, ClickHouseError> {
    let (rs, cs) = sides;
    let c = ident(name);
    let per = |s: &BinnedSide| -> Result<(u64, Vec<(String, u64)>), ClickHouseError> {
        let w = s.rows_where(roles, predictions)?;
        let total = s.src.rows(&format!(
            "SELECT count() AS __vd_n FROM {t} WHERE {w}",
            t = s.table()
        ))?;
        let rows = s.src.rows(&format!(
            "SELECT toString({c}) AS __vd_v, count() AS __vd_n FROM {t} WHERE {w} AND isNotNull({c}) GROUP BY __vd_v",
            t = s.table()
        ))?;
        Ok((
            total.first().map_or(0, |r| count(r.get("__vd_n"))),
            rows.iter()
                .map(|r| {
                    (
                        r.get("__vd_v")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        count(r.get("__vd_n")),
                    )
                })
                .collect(),
        ))
    };
    let ((rrows, ra), (crows, ca)) = (per(rs)?, per(cs)?);
    let mut f = empty_feature(name, FeatureKind::Categorical);
    f.n_reference = ra.iter().map(|x| x.1).sum();
    f.n_current = ca.iter().map(|x| x.1).sum();
    f.null_rate_reference = rate(rrows - f.n_reference, rrows);
    f.null_rate_current = rate(crows - f.n_current, crows);
    if f.n_reference > 0 && f.n_current > 0 {
        let mut names: Vec<String> = ra.iter().chain(&ca).map(|x| x.0.clone()).collect();
        names.sort();
        names.dedup();
        let get = |m: &[(String, u64)]| -> Vec<u64> {
            names
                .iter()
                .map(|n| m.iter().find(|x| &x.0 == n).map_or(0, |x| x.1))
                .collect()
        };
        let st =
            crate::analysis::drift::categorical::categorical_stats(&names, &get(&ra), &get(&ca));
        f.statistic = Some(st.chi2);
        f.dof = Some(st.dof);
        f.p_value = Some(st.p_value);
        f.psi = Some(st.psi);
        f.categories = st.shares;
        set_flags(&mut f, flags);
    }
    Ok(f)
}

fn rate(missing: u64, rows: u64) -> f64 {
    if rows == 0 {
        0.0
    } else {
        missing as f64 / rows as f64
    }
}

fn set_flags(f: &mut FeatureDrift, (alpha, psi_drift, psi_alert): (f64, f64, f64)) {
    if let (Some(p), Some(psi)) = (f.p_value, f.psi) {
        f.drifted = p < alpha && psi >= psi_drift;
        f.alert = psi >= psi_alert;
    }
}

fn empty_feature(name: &str, kind: FeatureKind) -> FeatureDrift {
    FeatureDrift {
        section: Default::default(),
        name: name.to_string(),
        kind,
        test: match kind {
            FeatureKind::Numeric => DriftTest::Ks,
            FeatureKind::Categorical => DriftTest::Chi2,
        },
        statistic: None,
        p_value: None,
        dof: None,
        psi: None,
        wasserstein: None,
        wasserstein_norm: None,
        null_rate_reference: 0.0,
        null_rate_current: 0.0,
        n_reference: 0,
        n_current: 0,
        mean_reference: None,
        mean_current: None,
        drifted: false,
        alert: false,
        bins: vec![],
        categories: vec![],
        ks_error_bound: None,
    }
}

/// PSI per snapshot of `over` for the top features, against each feature's reference
/// shares (the local engine's rule: bins / categories, zero shares floored).
fn psi_over_time(
    over: &BinnedSide,
    roles: &Roles,
    predictions: &str,
    features: &[FeatureDrift],
    every_us: Option<i64>,
) -> Result<PsiOverTime, ClickHouseError> {
    let Some(ts) = roles.timestamp.as_deref() else {
        return Ok(PsiOverTime::default());
    };
    let us = roles.time_unit.micros_sql(ts);
    let range = over.src.rows(&format!(
        "SELECT min({us}) AS __vd_lo, max({us}) AS __vd_hi, count({t}) AS __vd_n FROM {tab} WHERE {w} AND isNotNull({t})",
        t = ident(ts),
        tab = over.table(),
        w = over.rows_where(roles, predictions)?,
    ))?;
    let r = range.first();
    if r.map_or(0, |r| count(r.get("__vd_n"))) == 0 {
        return Ok(PsiOverTime::default());
    }
    let get = |k: &str| r.and_then(|r| num(r.get(k))).unwrap_or(0.0) as i64;
    let (name, width, start, buckets) =
        crate::analysis::drift::split::snapshot_buckets(get("__vd_lo"), get("__vd_hi"), every_us);
    let mut top: Vec<&FeatureDrift> = features.iter().filter(|f| f.psi.is_some()).collect();
    top.sort_by(|a, b| b.psi.unwrap_or(0.0).total_cmp(&a.psi.unwrap_or(0.0)));
    top.truncate(crate::analysis::drift::over_time::TOP_FEATURES);
    let period = format!("intDiv({us} - {start}, {width})");
    let mut series = Vec::new();
    for f in top {
        let (reference, per_period): (Vec<f64>, Vec<(i64, Vec<u64>)>) = match f.kind {
            FeatureKind::Numeric => {
                let edges: Vec<f64> = f.bins.iter().filter_map(|b| b.hi).collect();
                let value = format!("toFloat64({})", ident(&f.name));
                (
                    f.bins.iter().map(|b| b.reference).collect(),
                    bin_counts(over, roles, predictions, &value, &edges, Some(&period))?,
                )
            }
            FeatureKind::Categorical => {
                let c = ident(&f.name);
                let mut names: Vec<String> = f.categories.iter().map(|x| x.value.clone()).collect();
                let mut reference: Vec<f64> = f.categories.iter().map(|x| x.reference).collect();
                let rows = over.src.rows(&format!(
                    "SELECT {period} AS __vd_p, toString({c}) AS __vd_v, count() AS __vd_n FROM {t} WHERE {w} AND isNotNull({c}) GROUP BY __vd_p, __vd_v",
                    t = over.table(),
                    w = over.rows_where(roles, predictions)?,
                ))?;
                let mut per: Vec<(i64, Vec<u64>)> = Vec::new();
                for r in &rows {
                    let p = num(r.get("__vd_p")).unwrap_or(0.0) as i64;
                    let v = r.get("__vd_v").and_then(Value::as_str).unwrap_or("");
                    let i = names.iter().position(|n| n == v).unwrap_or_else(|| {
                        names.push(v.to_string());
                        reference.push(0.0);
                        names.len() - 1
                    });
                    let j = per.iter().position(|(q, _)| *q == p).unwrap_or_else(|| {
                        per.push((p, Vec::new()));
                        per.len() - 1
                    });
                    if per[j].1.len() <= i {
                        per[j].1.resize(i + 1, 0);
                    }
                    per[j].1[i] += count(r.get("__vd_n"));
                }
                (reference, per)
            }
        };
        let ref_shares: Vec<f64> = reference
            .iter()
            .map(|&r| if r == 0.0 { PSI_FLOOR } else { r })
            .collect();
        let mut values = vec![None; buckets];
        for (p, mut c) in per_period {
            if p < 0 || p as usize >= buckets {
                continue;
            }
            c.resize(ref_shares.len(), 0);
            if c.iter().sum::<u64>() > 0 {
                values[p as usize] = Some(psi(&ref_shares, &floored_shares(&c)));
            }
        }
        series.push(PsiSeries {
            name: f.name.clone(),
            psi: values,
        });
    }
    let starts_us: Vec<i64> = (0..buckets).map(|i| start + i as i64 * width).collect();
    Ok(PsiOverTime {
        bucket: name,
        starts: starts_us
            .iter()
            .map(|&t| crate::ingest::time::format_timestamp_us(t))
            .collect(),
        starts_us,
        features: series,
    })
}

/// The drift report of two sides of a table (or two tables) from server-side counts;
/// `sample` is a sample of the selected rows that chooses the columns and their sections.
#[allow(clippy::too_many_arguments)]
pub fn binned_drift(
    sides: (&BinnedSide, &BinnedSide),
    over: &BinnedSide,
    roles: &Roles,
    sample: &RawTable,
    split: SplitInfo,
    cfg: &DriftConfig,
    overrides: &crate::ingest::RoleOverrides,
) -> Result<DriftReport, ClickHouseError> {
    use crate::analysis::drift::{select, triggers};
    let (rs, cs) = sides;
    let (queries0, bytes0) = rs.src.client.usage();
    cfg.validate().map_err(|e| input_err(rs.src, e))?;
    let sroles = crate::ingest::roles::infer(sample, overrides);
    let (names, schema) =
        select::select_features(sample, sample, (&sroles, &sroles), cfg.features.as_deref())
            .map_err(|e| input_err(rs.src, e))?;
    let mask = select::prediction_rows(sample, &sroles);
    let (sections, excluded_columns) = select::sections(
        (sample, sample),
        (&sroles, &sroles),
        (mask.as_deref(), mask.as_deref()),
        &names,
        overrides.metrics.as_deref().unwrap_or(&[]),
        cfg.features.is_some(),
    );
    if sections.is_empty() {
        return Err(input_err(
            rs.src,
            crate::analysis::drift::DriftError::NoFeatures,
        ));
    }
    // prediction rows: a score or predicted class present (as for files)
    let outputs: Vec<String> = [crate::ingest::Role::Score, crate::ingest::Role::Prediction]
        .iter()
        .filter_map(|r| sroles.get(*r))
        .map(|c| format!("isNotNull({})", ident(c)))
        .collect();
    let predictions = if outputs.is_empty() {
        "1".to_string()
    } else {
        outputs.join(" OR ")
    };
    let flags = (cfg.alpha, cfg.psi_threshold, cfg.psi_alert);
    let mut features = Vec::with_capacity(sections.len());
    for (name, section) in &sections {
        let col = sample.columns.iter().find(|c| &c.name == name);
        let kind = crate::analysis::drift::features::feature_kind(
            crate::analysis::drift::features::ColumnType::of(col),
            crate::analysis::drift::features::ColumnType::of(col),
        );
        let mut f = match kind {
            FeatureKind::Numeric => numeric_feature(name, (rs, cs), roles, &predictions, flags)?,
            FeatureKind::Categorical => {
                categorical_feature(name, (rs, cs), roles, &predictions, flags)?
            }
        };
        f.section = *section;
        features.push(f);
    }
    let inputs = features
        .iter()
        .filter(|f| f.section == crate::report::drift::DriftSection::Input)
        .count();
    let drifted = features
        .iter()
        .filter(|f| f.section == crate::report::drift::DriftSection::Input && f.drifted)
        .count();
    let drift_share = if inputs == 0 {
        0.0
    } else {
        drifted as f64 / inputs as f64
    };
    // rows and events per side, and their time ranges
    let side_rows =
        |s: &BinnedSide| -> Result<(u64, u64, Option<String>, Option<String>), ClickHouseError> {
            let ts = roles.timestamp.as_deref();
            let span = match ts {
                Some(t) => format!(
                    ", min({us}) AS __vd_lo, max({us}) AS __vd_hi",
                    us = roles.time_unit.micros_sql(t)
                ),
                None => String::new(),
            };
            let rows = s.src.rows(&format!(
            "SELECT countIf({predictions}) AS __vd_p, countIf(NOT ({predictions})) AS __vd_e{span} FROM {t} WHERE {w} AND ({c})",
            t = s.table(),
            w = s.src.where_clause(roles)?,
            c = s.cond,
        ))?;
            let r = rows.first();
            let at = |k: &str| {
                r.and_then(|r| num(r.get(k)))
                    .map(|v| crate::ingest::time::format_timestamp_us(v as i64))
            };
            Ok((
                r.map_or(0, |r| count(r.get("__vd_p"))),
                r.map_or(0, |r| count(r.get("__vd_e"))),
                at("__vd_lo"),
                at("__vd_hi"),
            ))
        };
    let (rrows, revents, rlo, rhi) = side_rows(rs)?;
    let (crows, cevents, clo, chi) = side_rows(cs)?;
    let every = cfg.every_us().map_err(|e| input_err(rs.src, e))?;
    // every row of the log, as the local engine's PSI over time (event rows have no values)
    let psi_over_time = psi_over_time(over, roles, "1", &features, every)?;
    let granularity_s = psi_over_time
        .starts_us
        .windows(2)
        .next()
        .map_or(86_400, |w| ((w[1] - w[0]) / 1_000_000).max(1) as u64);
    let labels = |s: &BinnedSide| -> Result<Option<usize>, ClickHouseError> {
        let Some(l) = sroles.get(crate::ingest::Role::Label) else {
            return Ok(None);
        };
        let rows = s.src.rows(&format!(
            r"SELECT uniqExact(replaceRegexpAll(toString({l}), '^\\s+|\\s+$', '')) AS __vd_n FROM {t} WHERE {w} AND isNotNull({l})",
            l = ident(l),
            t = s.table(),
            w = s.rows_where(roles, &predictions)?,
        ))?;
        Ok(Some(
            rows.first().map_or(0, |r| count(r.get("__vd_n"))) as usize
        ))
    };
    let triggers = triggers::data_checks(
        &features,
        drift_share,
        cfg.share_threshold,
        cfg.psi_threshold,
        cfg.psi_alert,
        (rrows, crows),
        (labels(rs)?, labels(cs)?),
        schema.only_in_reference.len() + schema.only_in_current.len() + schema.dtype_changes.len(),
        &cfg.triggers,
    );
    let mut triggers = triggers;
    for c in &mut triggers {
        c.estimated.get_or_insert(false);
    }
    let (queries, bytes) = rs.src.client.usage();
    Ok(DriftReport {
        reference: DriftSide {
            rows: rrows,
            files: vec![rs.shown.clone()],
            start: rlo,
            end: rhi,
        },
        current: DriftSide {
            rows: crows,
            files: vec![cs.shown.clone()],
            start: clo,
            end: chi,
        },
        split,
        thresholds: DriftThresholds {
            alpha: cfg.alpha,
            psi_drift: cfg.psi_threshold,
            psi_alert: cfg.psi_alert,
            drift_share: cfg.share_threshold,
        },
        features,
        input_features: inputs as u64,
        excluded: DriftExcluded {
            events: revents + cevents,
            reference_events: revents,
            current_events: cevents,
            columns: excluded_columns,
        },
        schema,
        drift_share,
        dataset_drifted: inputs > 0 && drift_share >= cfg.share_threshold,
        triggers,
        psi_over_time,
        daily: Vec::new(),
        granularity_s,
        performance: Vec::new(),
        performance_fits: Vec::new(),
        binned: Some(BinnedInfo {
            table: rs.shown.clone(),
            sample_rows: sample.rows as u64,
            queries: queries - queries0,
            bytes_received: bytes - bytes0,
            ks_grid: KS_GRID as u64,
            not_computed: vec![
                "Wasserstein distance".into(),
                "realized and estimated (CBPE) performance and their triggers (they need the rows: narrow the selection under the row limit)".into(),
            ],
        }),
    })
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
