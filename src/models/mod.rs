//! Champion and challenger ONNX models: opening files and bundles, inspecting them without a
//! runtime, replaying a holdout through ONNX Runtime, metrics, prediction differences and
//! permutation importance. No UI code.

pub mod bundle;
pub mod compare;
pub mod error;
pub mod export;
pub mod holdout;
pub mod importance;
pub mod inputs;
pub mod metrics;
pub mod mlflow;
pub mod proto;
pub mod replay;
pub mod runtime;

pub use compare::{compare, CompareOptions, Compared};
pub use error::ModelError;
