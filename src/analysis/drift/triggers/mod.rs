//! Retraining triggers and data validation: daily AUC / F1 / metric series per model or
//! group against the reference period ([`performance`]), and PSI alerts, dataset drift,
//! row counts, label cardinality, empty features and schema changes ([`data_checks`]).

mod data_checks;
mod estimated;
mod performance;

pub use data_checks::{data_checks, label_cardinality};
pub use estimated::{estimated, Estimated};
pub use performance::{performance, trigger_period_us, MIN_DAY_ROWS};

use crate::ingest::table::{RawColumn, RawData, RawTable};
use crate::ingest::{Role, Roles};

fn find<'t>(t: &'t RawTable, roles: &Roles, role: Role) -> Option<&'t RawColumn> {
    let name = roles.get(role)?;
    t.columns.iter().find(|c| c.name == name)
}

fn numbers(
    col: Option<&RawColumn>,
    rows: usize,
    parse: fn(&str) -> Option<f64>,
) -> Vec<Option<f64>> {
    match col.map(|c| (c, &c.data)) {
        None | Some((_, RawData::Null)) => vec![None; rows],
        Some((
            _,
            RawData::Num {
                values, conflicts, ..
            },
        )) => {
            let mut v: Vec<Option<f64>> = values.iter().collect();
            for (r, t) in conflicts {
                v[*r] = parse(t);
            }
            v
        }
        Some((c, RawData::Str { .. })) => c
            .to_text(&c.name)
            .iter()
            .map(|t| t.and_then(parse))
            .collect(),
    }
}

fn parse_num(t: &str) -> Option<f64> {
    crate::ingest::table::parse_number(t)
}
