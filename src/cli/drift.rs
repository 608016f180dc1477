//! `verdict drift`: compare a reference and a current dataset (or one log split by time)
//! feature by feature, print the drift report as JSON or Markdown.

use crate::analysis::drift::split::{parse_span_us, TimeSplitSpec};
use crate::analysis::drift::{run, DriftConfig, DriftInputs};
use crate::ingest::time::parse_timestamp_us;
use crate::ingest::Role;
use crate::plan::Plan;
use crate::report::drift_markdown;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// Output format of `verdict drift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftFormat {
    /// The JSON contract.
    Json,
    /// Markdown for people.
    Md,
}

/// Arguments of `verdict drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// REFERENCE CURRENT (files, folders or globs), or one LOG with --split-at / --window.
    #[arg(required = true, num_args = 1..=2)]
    pub inputs: Vec<String>,
    /// Split one log at this time: reference before it, current from it on.
    #[arg(long, conflicts_with = "window")]
    pub split_at: Option<String>,
    /// Split one log: the last SPAN (e.g. 7d, 12h, 2w) against the SPAN before it.
    #[arg(long)]
    pub window: Option<String>,
    /// Features to compare, comma-separated (default: every feature-like column).
    #[arg(long, value_delimiter = ',')]
    pub features: Vec<String>,
    /// Analysis plan (verdict.toml) with a [drift] section.
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Significance level (overrides the plan).
    #[arg(long)]
    pub alpha: Option<f64>,
    /// Column role override ROLE=COLUMN, e.g. timestamp=event_time (repeatable).
    #[arg(long = "column")]
    pub columns: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DriftFormat::Json)]
    pub format: DriftFormat,
    /// Write the report here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

use super::fail;

fn inputs(args: &DriftArgs) -> Result<DriftInputs, String> {
    let spec = match (&args.split_at, &args.window) {
        (Some(at), _) => Some((
            TimeSplitSpec::At(
                parse_timestamp_us(at)
                    .ok_or_else(|| format!("--split-at {at:?}: not a timestamp (use e.g. 2026-03-15 or 2026-03-15T12:00:00Z)"))?,
            ),
            None,
        )),
        (None, Some(w)) => Some((
            TimeSplitSpec::Window(
                parse_span_us(w).ok_or_else(|| format!("--window {w:?}: use a span such as 7d, 12h or 2w"))?,
            ),
            Some(w.clone()),
        )),
        (None, None) => None,
    };
    match (spec, args.inputs.len()) {
        (Some((spec, window)), 1) => Ok(DriftInputs::Split {
            log: args.inputs.clone(),
            spec,
            window,
        }),
        (Some(_), _) => Err("--split-at / --window take one LOG, not two inputs".into()),
        (None, 2) => Ok(DriftInputs::Files {
            reference: vec![args.inputs[0].clone()],
            current: vec![args.inputs[1].clone()],
        }),
        (None, _) => {
            Err("give REFERENCE and CURRENT, or one LOG with --split-at TS or --window SPAN".into())
        }
    }
}

/// The drift settings from the plan and the flags.
pub fn config(args: &DriftArgs) -> Result<(DriftConfig, crate::ingest::RoleOverrides), String> {
    let plan = match &args.plan {
        Some(p) => Plan::load(p).map_err(|e| e.to_string())?,
        None => Plan::default(),
    };
    let mut cfg = plan.drift.clone();
    if let Some(a) = args.alpha {
        cfg.alpha = a;
    }
    if !args.features.is_empty() {
        cfg.features = Some(
            args.features
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        );
    }
    cfg.validate()?;
    let mut overrides = plan.role_overrides();
    for c in &args.columns {
        let (role, col) = c
            .split_once('=')
            .ok_or_else(|| format!("--column {c:?}: use ROLE=COLUMN, e.g. timestamp=event_time"))?;
        let role =
            Role::parse(role).ok_or_else(|| format!("--column {c:?}: unknown role {role:?}"))?;
        overrides.columns.insert(role, col.trim().to_string());
    }
    Ok((cfg, overrides))
}

/// Runs `verdict drift`.
pub fn run_cli(args: &DriftArgs) -> i32 {
    let (cfg, overrides) = match config(args) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let inputs = match inputs(args) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let cancel = AtomicBool::new(false);
    let report = match run(&inputs, &cfg, &overrides, &|_| {}, &|_, _| {}, &cancel) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let text = match args.format {
        DriftFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        DriftFormat::Md => drift_markdown::render(&report),
    };
    super::write_output(&text, args.out.as_deref())
}
