//! Which columns a drift comparison compares, and how the two schemas differ.

use super::error::DriftError;
use super::features::ColumnType;
use crate::ingest::table::RawTable;
use crate::ingest::{self, Role, Roles};
use crate::report::drift::{DriftSection, DtypeChange, SchemaDiff};

fn is_id_like(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    // log bookkeeping (except a `features` object's own name), ids
    (ingest::roles::NOT_ANALYSED.contains(&l.as_str()) && l != "features" && l != "input")
        || l == "id"
        || l.ends_with("_id")
        || l.ends_with(".id")
}

/// Names of outcome columns (target drift, never input features).
const OUTCOME_NAMES: &[&str] = &[
    "label",
    "target",
    "outcome",
    "converted",
    "conversion",
    "clicked",
    "click",
    "purchased",
    "purchase",
    "revenue",
    "churned",
    "churn",
    "y",
    "ground_truth",
    "actual",
];

/// Whether a column name reads as an outcome (`converted`, `order_revenue`, `is_churned`).
fn is_outcome_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    let leaf = l.rsplit('.').next().unwrap_or(&l);
    OUTCOME_NAMES.contains(&leaf)
        || OUTCOME_NAMES.iter().any(|o| {
            o.len() > 3
                && (leaf.ends_with(&format!("_{o}"))
                    || leaf.starts_with(&format!("{o}_"))
                    || leaf == format!("is_{o}"))
        })
}

/// The rows of a table that carry a model output (a score or a predicted class); None
/// when the table has neither role (a plain dataset: every row counts).
pub fn prediction_rows(table: &RawTable, roles: &Roles) -> Option<Vec<bool>> {
    let outputs: Vec<&str> = [Role::Score, Role::Prediction]
        .iter()
        .filter_map(|r| roles.get(*r))
        .collect();
    if outputs.is_empty() {
        return None;
    }
    let mut mask = vec![false; table.rows];
    for c in table
        .columns
        .iter()
        .filter(|c| outputs.contains(&c.name.as_str()))
    {
        for (m, p) in mask.iter_mut().zip(c.present()) {
            *m |= p;
        }
    }
    Some(mask)
}

/// The compared columns by section, and the bookkeeping columns left out: the service's
/// own event fields (present only on rows without a model output, or on fewer than 1 % of
/// the prediction rows) are never compared. `masks` are the prediction rows of each side.
pub fn sections(
    tables: (&RawTable, &RawTable),
    roles: (&Roles, &Roles),
    masks: (Option<&[bool]>, Option<&[bool]>),
    names: &[String],
    declared_outcomes: &[String],
    chosen: bool,
) -> (Vec<(String, DriftSection)>, Vec<String>) {
    let role_of =
        |name: &str, role: Role| roles.0.get(role) == Some(name) || roles.1.get(role) == Some(name);
    let on_predictions = |name: &str| {
        let check = |t: &RawTable, mask: Option<&[bool]>| {
            let Some(c) = t.columns.iter().find(|c| c.name == name) else {
                return false;
            };
            let n = mask.map_or(t.rows, |m| m.iter().filter(|x| **x).count());
            c.present_on(mask, (n / 100).max(1))
        };
        check(tables.0, masks.0) || check(tables.1, masks.1)
    };
    let mut out = Vec::new();
    let mut ignored = Vec::new();
    // every other column of the service's own events is listed too (not compared)
    let role_cols: Vec<&str> = [roles.0, roles.1]
        .iter()
        .flat_map(|r| r.columns.values().map(String::as_str))
        .collect();
    let mut all: Vec<&str> = tables.0.columns.iter().map(|c| c.name.as_str()).collect();
    for c in &tables.1.columns {
        if !all.contains(&c.name.as_str()) {
            all.push(&c.name);
        }
    }
    for name in all {
        if names.iter().any(|n| n == name)
            || role_cols.contains(&name)
            || is_id_like(name)
            || name.starts_with("features.")
        {
            continue;
        }
        if !on_predictions(name) {
            ignored.push(name.to_string());
        }
    }
    for name in names {
        let section = if role_of(name, Role::Score) || role_of(name, Role::Prediction) {
            DriftSection::Prediction
        } else if role_of(name, Role::Label)
            || declared_outcomes.contains(name)
            || (!chosen && is_outcome_name(name))
        {
            DriftSection::Target
        } else if role_of(name, Role::Latency) {
            DriftSection::Operational
        } else {
            DriftSection::Input
        };
        // declared features are compared whatever their coverage
        let declared_input = chosen && section == DriftSection::Input;
        if !(declared_input || on_predictions(name)) {
            if !ignored.contains(name) {
                ignored.push(name.clone());
            }
            continue;
        }
        out.push((name.clone(), section));
    }
    out.sort_by_key(|(_, s)| *s);
    (out, ignored)
}

/// The columns compared by default and the schema differences.
pub fn select_features(
    reference: &RawTable,
    current: &RawTable,
    roles: (&Roles, &Roles),
    chosen: Option<&[String]>,
) -> Result<(Vec<String>, SchemaDiff), DriftError> {
    let rnames: Vec<&str> = reference.columns.iter().map(|c| c.name.as_str()).collect();
    let cnames: Vec<&str> = current.columns.iter().map(|c| c.name.as_str()).collect();
    let mut schema = SchemaDiff {
        only_in_reference: rnames
            .iter()
            .filter(|n| !cnames.contains(n))
            .map(|n| n.to_string())
            .collect(),
        only_in_current: cnames
            .iter()
            .filter(|n| !rnames.contains(n))
            .map(|n| n.to_string())
            .collect(),
        dtype_changes: vec![],
    };
    for c in &reference.columns {
        if let Some(o) = current.columns.iter().find(|o| o.name == c.name) {
            let (a, b) = (ColumnType::of(Some(c)), ColumnType::of(Some(o)));
            if a != b && a != ColumnType::Empty && b != ColumnType::Empty {
                schema.dtype_changes.push(DtypeChange {
                    name: c.name.clone(),
                    reference: a,
                    current: b,
                });
            }
        }
    }
    let mut all: Vec<&str> = rnames.clone();
    all.extend(cnames.iter().filter(|n| !rnames.contains(n)));
    if let Some(list) = chosen {
        let missing: Vec<&String> = list.iter().filter(|f| !all.contains(&f.as_str())).collect();
        if !missing.is_empty() {
            return Err(DriftError::UnknownFeatures(
                missing.into_iter().cloned().collect(),
            ));
        }
        return Ok((list.to_vec(), schema));
    }
    let skip_roles = [
        Role::Timestamp,
        Role::RequestId,
        Role::UserId,
        Role::Group,
        Role::Model,
        Role::Version,
        Role::Error,
    ];
    // the model's outputs, the target and latency are compared in their own sections
    let kept_roles = [Role::Score, Role::Prediction, Role::Label, Role::Latency];
    let kept: Vec<&str> = [roles.0, roles.1]
        .iter()
        .flat_map(|r| kept_roles.iter().filter_map(|role| r.get(*role)))
        .collect();
    let role_cols: Vec<&str> = [roles.0, roles.1]
        .iter()
        .flat_map(|r| skip_roles.iter().filter_map(|role| r.get(*role)))
        .collect();
    let nested: Vec<&str> = all
        .iter()
        .copied()
        .filter(|n| n.starts_with("features."))
        .collect();
    let features: Vec<String> = if !nested.is_empty() {
        // nested inputs, then the outputs, target and latency
        let mut f: Vec<String> = nested.iter().map(|s| s.to_string()).collect();
        f.extend(
            all.iter()
                .filter(|n| kept.contains(n) || (is_outcome_name(n) && !is_id_like(n)))
                .map(|s| s.to_string()),
        );
        f
    } else {
        all.iter()
            .filter(|n| !role_cols.contains(n) && !is_id_like(n))
            .map(|s| s.to_string())
            .collect()
    };
    if features.is_empty() {
        return Err(DriftError::NoFeatures);
    }
    Ok((features, schema))
}
