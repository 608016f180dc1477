//! `verdict analyze`: load logs, run the engine, print the report as JSON or Markdown.

use crate::analysis::{analyze, parse_split, AnalysisConfig};
use crate::ingest::{self, LoadOptions, Role};
use crate::plan::Plan;
use crate::report::markdown;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The JSON contract for scripts and CI.
    Json,
    /// Markdown for people.
    Md,
    /// Self-contained HTML (tables and timeline plots as embedded PNG).
    Html,
}

/// Arguments of `verdict analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Log files, folders or glob patterns (JSONL, CSV, Parquet, app logs, .gz).
    #[arg(required = true)]
    pub logs: Vec<String>,
    /// Analysis plan (verdict.toml).
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Control group name.
    #[arg(long)]
    pub control: Option<String>,
    /// Expected split, e.g. A=90,B=10.
    #[arg(long)]
    pub expected_split: Option<String>,
    /// Timeline bucket: auto, 1m, 5m, 1h, 1d.
    #[arg(long)]
    pub bucket: Option<String>,
    /// Segment column to break results down by (repeatable).
    #[arg(long = "segment")]
    pub segments: Vec<String>,
    /// Column role override ROLE=COLUMN, e.g. group=arm (repeatable).
    #[arg(long = "column")]
    pub columns: Vec<String>,
    /// Correction across segment values: holm or bh.
    #[arg(long)]
    pub correction: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,
    /// Write the report here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

use super::fail;

/// Builds the analysis settings from the flags and the plan.
pub fn config(args: &AnalyzeArgs) -> Result<(LoadOptions, AnalysisConfig), String> {
    let mut plan = match &args.plan {
        Some(p) => Plan::load(p).map_err(|e| e.to_string())?,
        None => Plan::default(),
    };
    if let Some(c) = &args.correction {
        plan.correction = crate::analysis::corrections::Correction::parse(c)
            .ok_or_else(|| format!("--correction {c:?}: use holm or bh"))?;
    }
    let mut overrides = plan.role_overrides();
    for c in &args.columns {
        let (role, col) = c
            .split_once('=')
            .ok_or_else(|| format!("--column {c:?}: use ROLE=COLUMN, e.g. group=arm"))?;
        let role =
            Role::parse(role).ok_or_else(|| format!("--column {c:?}: unknown role {role:?}"))?;
        overrides.columns.insert(role, col.trim().to_string());
    }
    if !args.segments.is_empty() {
        overrides.segments = Some(args.segments.clone());
    }
    let expected_split = match &args.expected_split {
        Some(s) => Some(parse_split(s).map_err(|e| format!("--expected-split: {e}"))?),
        None => None,
    };
    if let Some(b) = &args.bucket {
        crate::analysis::timeline::parse_bucket(b).map_err(|e| format!("--bucket: {e}"))?;
    }
    let split_groups = expected_split
        .as_ref()
        .or((!plan.expected_split.is_empty()).then_some(&plan.expected_split));
    let load = LoadOptions {
        overrides,
        known_groups: split_groups.map(|s| s.keys().cloned().collect()),
    };
    let cfg = AnalysisConfig {
        plan,
        control: args.control.clone(),
        expected_split,
        bucket: args.bucket.clone(),
        segments: (!args.segments.is_empty()).then(|| args.segments.clone()),
    };
    Ok((load, cfg))
}

/// Runs `verdict analyze`.
pub fn run(args: &AnalyzeArgs) -> i32 {
    let (load, cfg) = match config(args) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let ds = match ingest::load(&args.logs, &load) {
        Ok(ds) => ds,
        Err(e) => return fail(e),
    };
    let report = match analyze(&ds, &cfg) {
        Ok(r) => r,
        Err(e) => return fail(format!("{}: {e}", ds.files.join(", "))),
    };
    let text = match args.format {
        OutputFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        OutputFormat::Md => markdown::render(&report),
        OutputFormat::Html => crate::report::html::render(&report),
    };
    super::write_output(&text, args.out.as_deref())
}
