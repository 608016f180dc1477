//! Drift and data-validation triggers: PSI alerts, dataset drift, row counts, label
//! cardinality, empty features and schema changes.

use super::super::split::Side;
use super::find;
use crate::ingest::{Role, Roles};
use crate::plan::TriggerConfig;
use crate::report::drift::{DriftSection, FeatureDrift};
use crate::report::{Check, CheckId, Status};

/// Drift and validation triggers: `psi`, `dataset_drift`, `row_count`,
/// `label_cardinality`, `null_features`, `schema`.
#[allow(clippy::too_many_arguments)]
pub fn data_checks(
    features: &[FeatureDrift],
    drift_share: f64,
    share_threshold: f64,
    psi_drift: f64,
    psi_alert: f64,
    rows: (u64, u64),
    labels: (Option<usize>, Option<usize>),
    schema_changes: usize,
    cfg: &TriggerConfig,
) -> Vec<Check> {
    let mut out = Vec::new();
    let mut by_psi: Vec<&FeatureDrift> = features.iter().filter(|f| f.psi.is_some()).collect();
    by_psi.sort_by(|a, b| b.psi.unwrap_or(0.0).total_cmp(&a.psi.unwrap_or(0.0)));
    let list = |fs: &[&FeatureDrift]| {
        fs.iter()
            .take(5)
            .map(|f| format!("{} {:.3}", f.name, f.psi.unwrap_or(0.0)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let alerts: Vec<&FeatureDrift> = by_psi
        .iter()
        .copied()
        .filter(|f| f.psi.unwrap_or(0.0) >= psi_alert)
        .collect();
    let material: Vec<&FeatureDrift> = by_psi
        .iter()
        .copied()
        .filter(|f| f.psi.unwrap_or(0.0) >= psi_drift)
        .collect();
    let psi = if !alerts.is_empty() {
        Check::new(
            CheckId::Psi,
            Status::Fail,
            format!(
                "{} feature(s) with PSI >= {psi_alert}: {}",
                alerts.len(),
                list(&alerts)
            ),
        )
    } else if !material.is_empty() {
        Check::new(
            CheckId::Psi,
            Status::Warn,
            format!(
                "{} feature(s) with PSI >= {psi_drift}: {}",
                material.len(),
                list(&material)
            ),
        )
    } else {
        Check::new(
            CheckId::Psi,
            Status::Pass,
            match by_psi.first() {
                Some(f) => format!(
                    "largest PSI {:.3} ({}), below {psi_drift}",
                    f.psi.unwrap_or(0.0),
                    f.name
                ),
                None => "no feature could be compared".into(),
            },
        )
    };
    let mut psi = psi
        .with("features_alerting", alerts.len() as f64)
        .with("features_above_drift_threshold", material.len() as f64)
        .with("psi_alert", psi_alert)
        .with("psi_drift", psi_drift);
    if let Some(max) = by_psi.first().and_then(|f| f.psi) {
        psi = psi.with("max_psi", max);
    }
    out.push(psi);
    // the dataset-drift share counts input features only
    let inputs: Vec<&FeatureDrift> = features
        .iter()
        .filter(|f| f.section == DriftSection::Input)
        .collect();
    let drifted = inputs.iter().filter(|f| f.drifted).count();
    let others: Vec<String> = features
        .iter()
        .filter(|f| f.section != DriftSection::Input && f.drifted)
        .map(|f| format!("{} ({})", f.name, f.section.as_str()))
        .collect();
    let also = if others.is_empty() {
        String::new()
    } else {
        format!("; outside the inputs, drifted: {}", others.join(", "))
    };
    let dataset = if inputs.is_empty() {
        Check::new(
            CheckId::DatasetDrift,
            if others.is_empty() { Status::Pass } else { Status::Warn },
            format!(
                "not evaluated: the prediction rows carry no input features (log them as a nested `features` object, or name them with --features){also}"
            ),
        )
    } else {
        Check::new(
            CheckId::DatasetDrift,
            if drift_share >= share_threshold {
                Status::Fail
            } else if drifted > 0 || !others.is_empty() {
                Status::Warn
            } else {
                Status::Pass
            },
            format!(
                "{drifted} of {} input features drifted (share {:.2}; the dataset counts as drifted at {share_threshold}){also}",
                inputs.len(),
                drift_share
            ),
        )
    };
    out.push(
        dataset
            .with("features_drifted", drifted as f64)
            .with("features", inputs.len() as f64)
            .with("other_columns_drifted", others.len() as f64)
            .with("drift_share", drift_share)
            .with("share_threshold", share_threshold),
    );
    let (rr, cr) = rows;
    out.push(
        Check::new(
            CheckId::RowCount,
            if rr < cfg.min_rows || cr < cfg.min_rows {
                Status::Fail
            } else {
                Status::Pass
            },
            format!(
                "reference {rr} rows, current {cr} rows (minimum {})",
                cfg.min_rows
            ),
        )
        .with("reference_rows", rr as f64)
        .with("current_rows", cr as f64)
        .with("min_rows", cfg.min_rows as f64),
    );
    out.push(match labels {
        (_, None) => Check::new(
            CheckId::LabelCardinality,
            Status::Pass,
            "not evaluated: no label column",
        ),
        (Some(r), Some(0)) if r > 0 => Check::new(
            CheckId::LabelCardinality,
            Status::Pass,
            format!(
                "no labels yet in the current data ({r} distinct in the reference): performance is estimated from the scores (CBPE)"
            ),
        )
        .with("current_labels", 0.0)
        .with("reference_labels", r as f64)
        .with("expected_labels", cfg.label_classes as f64),
        (r, Some(c)) => {
            let bad = c != cfg.label_classes || r.is_some_and(|r| r != cfg.label_classes);
            Check::new(
                CheckId::LabelCardinality,
                if bad { Status::Fail } else { Status::Pass },
                format!(
                    "{c} distinct label value(s) in the current data{} (expected {})",
                    r.map_or(String::new(), |r| format!(", {r} in the reference")),
                    cfg.label_classes
                ),
            )
            .with("current_labels", c as f64)
            .with("reference_labels", r.map_or(f64::NAN, |r| r as f64))
            .with("expected_labels", cfg.label_classes as f64)
        }
    });
    // labels and outcomes arrive late: their nulls are not a data problem
    let features: Vec<&FeatureDrift> = features
        .iter()
        .filter(|f| f.section != DriftSection::Target)
        .collect();
    let empty: Vec<&str> = features
        .iter()
        .filter(|f| (f.n_reference == 0 && rr > 0) || (f.n_current == 0 && cr > 0))
        .map(|f| f.name.as_str())
        .collect();
    let rising: Vec<String> = features
        .iter()
        .filter(|f| f.null_rate_current - f.null_rate_reference >= cfg.null_rate_increase)
        .map(|f| {
            format!(
                "{} {:.1}% -> {:.1}%",
                f.name,
                f.null_rate_reference * 100.0,
                f.null_rate_current * 100.0
            )
        })
        .collect();
    let nulls = if !empty.is_empty() {
        Check::new(
            CheckId::NullFeatures,
            Status::Fail,
            format!("entirely null on one side: {}", empty.join(", ")),
        )
    } else if !rising.is_empty() {
        Check::new(
            CheckId::NullFeatures,
            Status::Warn,
            format!(
                "null rate up by {:.0} points or more: {}",
                cfg.null_rate_increase * 100.0,
                rising.join(", ")
            ),
        )
    } else {
        Check::new(
            CheckId::NullFeatures,
            Status::Pass,
            "no feature is entirely null and no null rate rose materially",
        )
    };
    out.push(
        nulls
            .with("features_empty", empty.len() as f64)
            .with("features_null_rate_up", rising.len() as f64)
            .with("null_rate_increase", cfg.null_rate_increase),
    );
    out.push(Check::new(CheckId::Schema, if schema_changes > 0 { Status::Warn } else { Status::Pass }, if schema_changes > 0 {
            format!("{schema_changes} column(s) missing on one side or with a changed type (see schema)")
        } else {
            "same columns and types on both sides".into()
        }).with("columns_changed", schema_changes as f64));
    out
}

/// Distinct non-null label values at the side's rows (None without a label column).
pub fn label_cardinality(side: &Side, roles: &Roles) -> Option<usize> {
    let col = find(side.table, roles, Role::Label)?;
    let text = col.to_text(&col.name).rechunk().into_owned();
    let mut seen = std::collections::HashSet::new();
    side.for_each_row(|r| {
        if let Some(t) = text.get(r) {
            seen.insert(t.trim().to_string());
        }
    });
    Some(seen.len())
}
