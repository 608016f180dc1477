//! What the combination of per-stage tests does when it cannot combine: the stages left
//! out with the reason, and the row when at most one stage has a test (shared by the ratio
//! and CUPED rows).

use super::{TestedColumn, UnitAnalysis};
use crate::analysis::hypothesis::{empty_row, untested};
use crate::report::{StageLeftOut, TestMethod, TestResult};

/// A stage left out of a combination, with the reason.
pub fn left_out_stage(stage: usize, units_control: u64, units_treatment: u64) -> StageLeftOut {
    StageLeftOut {
        stage,
        reason: if units_control < 2 || units_treatment < 2 {
            "a group has fewer than 2 units".into()
        } else {
            "no variance".into()
        },
    }
}

/// The combined row when at most one stage has a test: that stage's row, else the first
/// stage's (or an empty) row with no test.
pub fn single_or_untested(
    tested: Option<&TestResult>,
    first: Option<&TestResult>,
    method: TestMethod,
    (col, ua, t): (&TestedColumn, &UnitAnalysis, usize),
    left_out: Vec<StageLeftOut>,
) -> TestResult {
    let mut row = match tested {
        Some(row) => row.clone(),
        None => untested(first.cloned().unwrap_or_else(|| {
            empty_row(
                &col.name,
                method,
                &ua.groups.names[ua.control],
                &ua.groups.names[t],
                ua.inputs,
            )
        })),
    };
    row.stages_combined = tested.is_some() as u32;
    row.stages_left_out = left_out;
    row
}
