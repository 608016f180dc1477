//! Which columns a drift comparison compares, and how the two schemas differ.

use super::error::DriftError;
use super::features::ColumnType;
use crate::ingest::table::RawTable;
use crate::ingest::{self, Role, Roles};
use crate::report::drift::{
    DriftSection, DtypeChange, ExcludedColumn, ExclusionReason, SchemaDiff,
};

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

/// The compared columns by section, and every other column with the reason it is left
/// out: the service's own event fields (present only on rows without a model output, or
/// on fewer than 1 % of the prediction rows) are never compared. `masks` are the
/// prediction rows of each side.
pub fn sections(
    tables: (&RawTable, &RawTable),
    roles: (&Roles, &Roles),
    masks: (Option<&[bool]>, Option<&[bool]>),
    names: &[String],
    declared_outcomes: &[String],
    chosen: bool,
) -> (Vec<(String, DriftSection)>, Vec<ExcludedColumn>) {
    let role_of =
        |name: &str, role: Role| roles.0.get(role) == Some(name) || roles.1.get(role) == Some(name);
    // (non-null on at least 1 % of the prediction rows, non-null on any of them)
    let coverage = |name: &str| {
        let check = |t: &RawTable, mask: Option<&[bool]>| {
            let Some(c) = t.columns.iter().find(|c| c.name == name) else {
                return (false, false);
            };
            let n = mask.map_or(t.rows, |m| m.iter().filter(|x| **x).count());
            (c.present_on(mask, (n / 100).max(1)), c.present_on(mask, 1))
        };
        let (a, b) = (check(tables.0, masks.0), check(tables.1, masks.1));
        (a.0 || b.0, a.1 || b.1)
    };
    let uncovered = |name: &str| {
        let (enough, any) = coverage(name);
        (!enough).then_some(if any {
            ExclusionReason::Sparse
        } else {
            ExclusionReason::OnlyOnEvents
        })
    };
    let mut out = Vec::new();
    let mut excluded: Vec<ExcludedColumn> = Vec::new();
    let mut all: Vec<&str> = tables.0.columns.iter().map(|c| c.name.as_str()).collect();
    for c in &tables.1.columns {
        if !all.contains(&c.name.as_str()) {
            all.push(&c.name);
        }
    }
    let nested = all.iter().any(|n| n.starts_with("features."));
    for name in all {
        if names.iter().any(|n| n == name) {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        let reason = if role_of(name, Role::Timestamp) {
            ExclusionReason::Timestamp
        } else if role_of(name, Role::UserId) || role_of(name, Role::RequestId) {
            ExclusionReason::Identifier
        } else if role_of(name, Role::Group)
            || role_of(name, Role::Model)
            || role_of(name, Role::Version)
        {
            ExclusionReason::Assignment
        } else if role_of(name, Role::Error)
            || ingest::roles::NOT_ANALYSED.contains(&lower.as_str())
        {
            ExclusionReason::LogField
        } else if is_id_like(name) {
            ExclusionReason::Identifier
        } else if let Some(r) = uncovered(name) {
            r
        } else if chosen {
            ExclusionReason::NotDeclared
        } else if nested {
            ExclusionReason::NotInFeatures
        } else {
            ExclusionReason::NotDeclared
        };
        excluded.push(ExcludedColumn {
            name: name.to_string(),
            reason,
        });
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
        if !declared_input {
            if let Some(reason) = uncovered(name) {
                excluded.push(ExcludedColumn {
                    name: name.clone(),
                    reason,
                });
                continue;
            }
        }
        out.push((name.clone(), section));
    }
    out.sort_by_key(|(_, s)| *s);
    (out, excluded)
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
