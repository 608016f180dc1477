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

use super::aggregates::{count, num, Roles};
use super::drift_counts::{bin_counts, categorical_feature, input_err, numeric_feature};
pub use super::drift_counts::{ks_bracket, BinnedSide, Quantiles, KS_GRID};
use super::error::ClickHouseError;
use super::sql::ident;
use crate::analysis::drift::features::Flags;
use crate::analysis::drift::numeric::{floored_shares, psi, PSI_FLOOR};
use crate::analysis::drift::DriftConfig;
use crate::ingest::table::RawTable;
use crate::report::drift::{
    BinnedInfo, DriftExcluded, DriftReport, DriftSide, FeatureDrift, FeatureKind, PsiOverTime,
    PsiSeries, SplitInfo,
};
use serde_json::Value;

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
    // rows without a time belong to no snapshot (as the local engine)
    let timed = format!("({predictions}) AND isNotNull({})", ident(ts));
    let mut series = Vec::new();
    for f in top {
        let (reference, per_period): (Vec<f64>, Vec<(i64, Vec<u64>)>) = match f.kind {
            FeatureKind::Numeric => {
                let edges: Vec<f64> = f.bins.iter().filter_map(|b| b.hi).collect();
                let value = format!("toFloat64({})", ident(&f.name));
                (
                    f.bins.iter().map(|b| b.reference).collect(),
                    bin_counts(over, roles, &timed, &value, &edges, Some(&period))?,
                )
            }
            FeatureKind::Categorical => {
                let c = ident(&f.name);
                let mut names: Vec<String> = f.categories.iter().map(|x| x.value.clone()).collect();
                let mut reference: Vec<f64> = f.categories.iter().map(|x| x.reference).collect();
                let rows = over.src.rows(&format!(
                    "SELECT {period} AS __vd_p, toString({c}) AS __vd_v, count() AS __vd_n FROM {t} WHERE {w} AND isNotNull({c}) GROUP BY __vd_p, __vd_v",
                    t = over.table(),
                    w = over.rows_where(roles, &timed)?,
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
/// `samples` are samples of each side's selected rows (the same table's for a time split)
/// that choose the columns and their sections, as the local engine does on the rows.
#[allow(clippy::too_many_arguments)]
pub fn binned_drift(
    sides: (&BinnedSide, &BinnedSide),
    over: &BinnedSide,
    roles: &Roles,
    samples: (&RawTable, &RawTable),
    split: SplitInfo,
    cfg: &DriftConfig,
    overrides: &crate::ingest::RoleOverrides,
) -> Result<DriftReport, ClickHouseError> {
    use crate::analysis::drift::{select, triggers};
    let (rs, cs) = sides;
    let (queries0, bytes0) = rs.src.client.usage();
    cfg.validate().map_err(|e| input_err(rs.src, e))?;
    let (rsample, csample) = samples;
    let rroles = crate::ingest::roles::infer(rsample, overrides);
    let croles = crate::ingest::roles::infer(csample, overrides);
    let (names, schema) = select::select_features(
        rsample,
        csample,
        (&rroles, &croles),
        cfg.features.as_deref(),
    )
    .map_err(|e| input_err(rs.src, e))?;
    let rmask = select::prediction_rows(rsample, &rroles);
    let cmask = select::prediction_rows(csample, &croles);
    let (sections, excluded_columns) = select::sections(
        (rsample, csample),
        (&rroles, &croles),
        (rmask.as_deref(), cmask.as_deref()),
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
        .filter_map(|r| croles.get(*r))
        // a model output both tables have
        .filter(|c| rs.columns.iter().any(|x| x == c) && cs.columns.iter().any(|x| x == c))
        .map(|c| format!("isNotNull({})", ident(c)))
        .collect();
    let predictions = if outputs.is_empty() {
        "1".to_string()
    } else {
        outputs.join(" OR ")
    };
    let flags = Flags {
        alpha: cfg.alpha,
        psi_drift: cfg.psi_threshold,
        psi_alert: cfg.psi_alert,
    };
    let mut features = Vec::with_capacity(sections.len());
    for (name, section) in &sections {
        let of = |t: &RawTable| {
            crate::analysis::drift::features::ColumnType::of(
                t.columns.iter().find(|c| &c.name == name),
            )
        };
        let kind = crate::analysis::drift::features::feature_kind(of(rsample), of(csample));
        let mut f = match kind {
            FeatureKind::Numeric => numeric_feature(name, (rs, cs), roles, &predictions, flags)?,
            FeatureKind::Categorical => {
                categorical_feature(name, (rs, cs), roles, &predictions, flags)?
            }
        };
        f.section = *section;
        features.push(f);
    }
    let (inputs, drift_share, dataset_drifted) =
        crate::analysis::drift::dataset_share(&features, cfg.share_threshold);
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
        let Some(l) = croles
            .get(crate::ingest::Role::Label)
            .filter(|l| s.columns.iter().any(|c| c == l))
        else {
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
        thresholds: crate::analysis::drift::thresholds(cfg),
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
        dataset_drifted,
        triggers,
        psi_over_time,
        daily: Vec::new(),
        granularity_s,
        performance: Vec::new(),
        performance_fits: Vec::new(),
        binned: Some(BinnedInfo {
            source: "clickhouse".into(),
            table: rs.shown.clone(),
            sample_rows: if std::ptr::eq(rsample, csample) {
                csample.rows as u64
            } else {
                (rsample.rows + csample.rows) as u64
            },
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
