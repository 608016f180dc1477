//! `verdict analyze`: load logs, run the engine, print the report as JSON or Markdown.

use crate::analysis::{analyze, parse_split, AnalysisConfig};
use crate::ingest::{self, LoadOptions};
use crate::plan::duration::parse_bucket;
use crate::plan::Correction;
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

/// Whether `verdict analyze` streams its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StreamMode {
    /// Stream inputs larger than 1 GiB on disk.
    Auto,
    /// Always stream.
    On,
    /// Never: read every row into memory.
    Off,
}

/// Arguments of `verdict analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Log files, folders or glob patterns (JSONL, CSV, Parquet, app logs, .gz), or one
    /// ClickHouse table `clickhouse://HOST:8123/DB.TABLE` (the analysis runs on the server:
    /// only aggregates come back).
    #[arg(required = true)]
    pub logs: Vec<String>,
    /// ClickHouse: --where, --from, --to, --user.
    #[command(flatten)]
    pub clickhouse: super::clickhouse::ClickHouseFlags,
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
    /// Unit of numeric epoch timestamps: s, ms, us or ns (default: by magnitude; typed
    /// Parquet timestamps always use their own unit).
    #[arg(long)]
    pub time_unit: Option<String>,
    /// The analysis unit: a user column, or `request` to treat every request as an
    /// observation (default: the user column when there is one).
    #[arg(long)]
    pub unit: Option<String>,
    /// Tests: `sequential` (always-valid, safe to look at any time; the default) or
    /// `fixed` (fixed-horizon, valid for one look at the planned sample size).
    #[arg(long)]
    pub inference: Option<String>,
    /// Files larger than memory: read them in chunks and aggregate (memory holds the
    /// aggregates, not the rows; users are the unit). `auto` (the default) streams inputs
    /// over 1 GiB.
    #[arg(long, value_enum, default_value_t = StreamMode::Auto)]
    pub stream: StreamMode,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,
    /// Write the report here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

use super::{apply_column_flags, load_plan, setting, write_output, CliError};

/// Builds the analysis settings from the flags and the plan.
pub fn config(args: &AnalyzeArgs) -> Result<(LoadOptions, AnalysisConfig), CliError> {
    let mut plan = load_plan(args.plan.as_deref())?;
    if let Some(c) = &args.correction {
        plan.correction = Correction::parse(c).ok_or_else(|| CliError::Flag {
            flag: "--correction",
            value: format!("{c:?}"),
            problem: "use holm or bh".into(),
        })?;
    }
    let mut overrides = plan.role_overrides();
    apply_column_flags(
        &mut overrides,
        &args.columns,
        super::time_unit(args.time_unit.as_deref())?,
    )?;
    if !args.segments.is_empty() {
        overrides.segments = Some(args.segments.clone());
    }
    let unit = args
        .unit
        .as_deref()
        .map(crate::plan::UnitChoice::parse)
        .transpose()
        .map_err(setting("--unit"))?;
    // a unit column is the user column
    if let Some(crate::plan::UnitChoice::Column(c)) = &unit {
        overrides
            .columns
            .insert(crate::ingest::Role::UserId, c.clone());
    }
    let inference = args
        .inference
        .as_deref()
        .map(crate::plan::Inference::parse)
        .transpose()
        .map_err(setting("--inference"))?;
    let expected_split = match &args.expected_split {
        Some(s) => Some(parse_split(s).map_err(setting("--expected-split"))?),
        None => None,
    };
    if let Some(b) = &args.bucket {
        parse_bucket(b).map_err(|source| CliError::Duration {
            flag: "--bucket",
            source,
        })?;
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
        unit,
        inference,
    };
    Ok((load, cfg))
}

/// Runs `verdict analyze`.
pub fn run(args: &AnalyzeArgs) -> Result<(), CliError> {
    let (load, cfg) = config(args)?;
    if let [one] = args.logs.as_slice() {
        if crate::clickhouse::TableUrl::is_clickhouse(one) {
            let report = super::clickhouse::analyze(one, args, &load, &cfg)?;
            return write_report(&report, args);
        }
    }
    if args.clickhouse.selects_rows() {
        return Err(CliError::Usage(
            "--where, --from and --to apply to a ClickHouse table (clickhouse://HOST:8123/DB.TABLE)",
        ));
    }
    let stream = match args.stream {
        StreamMode::On => true,
        StreamMode::Off => false,
        StreamMode::Auto => {
            crate::stream::input_bytes(&args.logs) > crate::stream::stream_above_bytes()
                && !matches!(cfg.unit, Some(crate::plan::UnitChoice::Request))
        }
    };
    if stream {
        let report = streamed(args, &load, &cfg)?;
        return write_report(&report, args);
    }
    let mut ds = ingest::load(&args.logs, &load)?;
    if !cfg.plan.pre_period.is_empty() {
        let pre = ingest::load_pre_period(
            &cfg.plan.pre_period,
            &load.overrides,
            &std::sync::atomic::AtomicBool::new(false),
        )?;
        ds.pre_period = Some(std::sync::Arc::new(pre));
    }
    let report = analyze(&ds, &cfg).map_err(|source| CliError::Analysis {
        files: ds.files.join(", "),
        source,
    })?;
    write_report(&report, args)
}

/// `verdict analyze` on files read in chunks, with a progress line on a terminal.
fn streamed(
    args: &AnalyzeArgs,
    load: &LoadOptions,
    cfg: &AnalysisConfig,
) -> Result<crate::report::ExperimentReport, CliError> {
    let started = std::time::Instant::now();
    let progress = super::StreamLine::new("aggregating");
    let progress = |p: crate::stream::StreamProgress| progress.show(p);
    let never = std::sync::atomic::AtomicBool::new(false);
    let report = crate::stream::analyze_files(&args.logs, load, cfg, &progress, &never);
    super::StreamLine::clear();
    let report = report.map_err(CliError::from)?;
    eprintln!(
        "verdict: streamed {} rows of {} in {:.1} s",
        crate::report::format::count(report.input.rows_valid),
        report.input.files.join(", "),
        started.elapsed().as_secs_f64()
    );
    for note in report.backend.iter().flat_map(|b| &b.not_pushed_down) {
        eprintln!("verdict: not analysed: {note}");
    }
    Ok(report)
}

fn write_report(
    report: &crate::report::ExperimentReport,
    args: &AnalyzeArgs,
) -> Result<(), CliError> {
    let text = match args.format {
        OutputFormat::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        OutputFormat::Md => markdown::render(report),
        OutputFormat::Html => crate::report::html::render(report),
    };
    write_output(&text, args.out.as_deref())
}
