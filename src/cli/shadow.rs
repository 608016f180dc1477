//! `verdict shadow`: pair a shadow run's two models by request id and compare them request
//! by request (JSON, Markdown or HTML), optionally with outcomes joined from a labels file.

use super::analyze::OutputFormat;
use super::{apply_column_flags, load_plan, write_output, CliError};
use crate::analysis::shadow::{analyze_shadow, review::review_csv, Labels, ShadowConfig};
use crate::ingest;
use clap::Args;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// Arguments of `verdict shadow`.
#[derive(Debug, Args)]
pub struct ShadowArgs {
    /// Shadow logs (files, folders or globs).
    #[arg(required = true)]
    pub logs: Vec<String>,
    /// Outcomes by request id (CSV/JSON lines/Parquet with a request id and a label column).
    #[arg(long)]
    pub labels: Option<String>,
    /// Analysis plan (`threshold`, `alpha`, `[columns]`).
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Score at or above which the decision is positive when no decision is logged.
    #[arg(long)]
    pub threshold: Option<f64>,
    /// The champion's model name in a two-record log (default: the mode field, else the
    /// first model seen).
    #[arg(long)]
    pub champion: Option<String>,
    /// Bucket of the agreement over time (`1m`, `15m`, `1h`, ...; default: from the span).
    #[arg(long)]
    pub bucket: Option<String>,
    /// Seed of the random part of the review sample.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the review sample here as CSV.
    #[arg(long)]
    pub review_csv: Option<PathBuf>,
    /// Column role override ROLE=COL (repeatable), for the log and the labels file.
    #[arg(long = "column")]
    pub columns: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,
    /// Write the report here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `verdict shadow`.
pub fn run(args: &ShadowArgs) -> Result<(), CliError> {
    let plan = load_plan(args.plan.as_deref())?;
    let mut overrides = plan.role_overrides();
    apply_column_flags(&mut overrides, &args.columns, None)?;
    let threshold = args.threshold.unwrap_or(plan.threshold);
    if !(threshold.is_finite()) {
        return Err(CliError::Flag {
            flag: "--threshold",
            value: format!("{threshold}"),
            problem: "must be a number".into(),
        });
    }
    let bucket_seconds =
        match &args.bucket {
            Some(b) => Some(crate::plan::duration::parse_bucket(b).map_err(|source| {
                CliError::Duration {
                    flag: "--bucket",
                    source,
                }
            })?),
            None => None,
        };
    let cancel = AtomicBool::new(false);
    let t0 = std::time::Instant::now();
    let raw = ingest::read_raw(&args.logs, &|_| {}, &cancel)?;
    ingest::timing("read", t0);
    let t0 = std::time::Instant::now();
    let labels = match &args.labels {
        Some(f) => {
            let raw = ingest::read_raw(std::slice::from_ref(f), &|_| {}, &cancel)?;
            Some(Labels::from_raw(&raw, &overrides).map_err(CliError::Shadow)?)
        }
        None => None,
    };
    let cfg = ShadowConfig {
        threshold,
        alpha: plan.alpha,
        seed: args.seed,
        bucket_seconds: bucket_seconds.flatten(),
        champion: args.champion.clone(),
        ..Default::default()
    };
    let report =
        analyze_shadow(&raw, &overrides, labels.as_ref(), &cfg).map_err(CliError::Shadow)?;
    ingest::timing("shadow", t0);
    if let Some(path) = &args.review_csv {
        write_output(&review_csv(&report.review_sample), Some(path))?;
    }
    let text = match args.format {
        OutputFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        OutputFormat::Md => crate::report::shadow_markdown::render(&report),
        OutputFormat::Html => crate::report::shadow_markdown::render_html(&report),
    };
    write_output(&text, args.out.as_deref())
}
