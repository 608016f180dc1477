//! Which columns a drift comparison compares, and how the two schemas differ.

use super::error::DriftError;
use super::features::ColumnType;
use crate::ingest::table::RawTable;
use crate::ingest::{self, Role, Roles};
use crate::report::drift::{DtypeChange, SchemaDiff};

fn is_id_like(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    // log bookkeeping (except a `features` object's own name), ids
    (ingest::roles::NOT_ANALYSED.contains(&l.as_str()) && l != "features" && l != "input")
        || l == "id"
        || l.ends_with("_id")
        || l.ends_with(".id")
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
        nested.iter().map(|s| s.to_string()).collect()
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
