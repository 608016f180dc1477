//! Paired statistics: two models on the same requests (a shadow run, or a holdout replayed
//! through both). McNemar for discordant failures, DeLong for the difference of two AUCs,
//! and the paired t-test of a per-request difference.

pub mod bootstrap;
pub mod delong;
pub mod mcnemar;
pub mod paired_t;

pub use bootstrap::{paired_bootstrap, SumMetric};
pub use delong::{delong, DeLong};
pub use mcnemar::{mcnemar, McNemar};
pub use paired_t::{paired_t, PairedT};
