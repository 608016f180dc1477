//! Report structs: the contract between the engine, the CLI (JSON/Markdown) and the window.

pub mod chart;
pub mod check;
pub mod compare;
pub mod compare_markdown;
pub mod context;
pub mod csv;
pub mod drift;
pub mod drift_json;
pub mod drift_markdown;
pub mod drift_verdict;
pub mod experiment;
pub mod format;
pub mod html;
pub mod inference;
pub mod inference_markdown;
pub mod markdown;
pub mod paired;
pub mod rollout;
pub mod shadow;
pub mod shadow_markdown;
pub mod stages_markdown;
pub mod tables;
pub mod ticks;

pub use check::{Check, CheckId, Status};
pub use context::TimeWindow;
pub use experiment::*;
pub use inference::*;
pub use rollout::*;

/// `Display` as the report string of an enum with `as_str` (`welch_t`, `ramp_up`, ...).
macro_rules! display_as_str {
    ($($t:ty),* $(,)?) => {
        $(impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        })*
    };
}

display_as_str!(
    TestMethod,
    GuardrailStatus,
    Action,
    ControlSource,
    InputFormat,
    drift::DriftTest,
    drift::ColumnType,
    drift::SplitMode,
    compare::ModelTask,
    compare::InputLayout,
    compare::MappingSource,
    rollout::UnitKind,
    rollout::UnitSource,
);
