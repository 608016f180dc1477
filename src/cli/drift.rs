//! `verdict drift`: compare a reference and a current dataset (or one log split by time)
//! feature by feature, print the drift report as JSON or Markdown.

use crate::analysis::drift::split::TimeSplitSpec;
use crate::analysis::drift::{run, DriftConfig, DriftInputs};
use crate::ingest::time::parse_timestamp_us;
use crate::ingest::RoleOverrides;
use crate::plan::duration::parse_span_us;
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
    #[arg(long, allow_hyphen_values = true)]
    pub window: Option<String>,
    /// Features to compare, comma-separated (default: every feature-like column).
    #[arg(long, value_delimiter = ',')]
    pub features: Vec<String>,
    /// Snapshot width of PSI over time and the performance series (e.g. 5m, 1h, 1d;
    /// default: from the data's span, about 25–60 snapshots).
    #[arg(long)]
    pub every: Option<String>,
    /// Analysis plan (verdict.toml) with a [drift] section.
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Significance level (overrides the plan).
    #[arg(long)]
    pub alpha: Option<f64>,
    /// Column role override ROLE=COLUMN, e.g. timestamp=event_time (repeatable).
    #[arg(long = "column")]
    pub columns: Vec<String>,
    /// Unit of numeric epoch timestamps: s, ms, us or ns (default: by magnitude).
    #[arg(long)]
    pub time_unit: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DriftFormat::Json)]
    pub format: DriftFormat,
    /// Write the report here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// ClickHouse: compute the statistics on the server from counts even when the rows
    /// would fit (tables over 2,000,000 selected rows always are).
    #[arg(long)]
    pub binned: bool,
    /// Files larger than memory: read them in chunks, one feature's values in memory at a
    /// time (exact statistics; performance is not computed). `auto` (the default) streams
    /// inputs over 1 GiB.
    #[arg(long, value_enum, default_value_t = super::analyze::StreamMode::Auto)]
    pub stream: super::analyze::StreamMode,
    /// ClickHouse: --where, --from, --to, --user.
    #[command(flatten)]
    pub clickhouse: super::clickhouse::ClickHouseFlags,
}

use super::{apply_column_flags, load_plan, write_output, CliError};

impl DriftArgs {
    /// The flags of `args` with no inputs (only the split flags are read by [`inputs`]).
    fn default_like(args: &DriftArgs) -> DriftArgs {
        DriftArgs {
            inputs: Vec::new(),
            split_at: None,
            window: None,
            features: Vec::new(),
            every: None,
            plan: None,
            alpha: None,
            columns: Vec::new(),
            time_unit: None,
            format: args.format,
            out: None,
            binned: false,
            stream: args.stream,
            clickhouse: Default::default(),
        }
    }
}

fn inputs(args: &DriftArgs) -> Result<DriftInputs, CliError> {
    let spec = match (&args.split_at, &args.window) {
        (Some(at), _) => Some((
            TimeSplitSpec::At(parse_timestamp_us(at).ok_or_else(|| CliError::Flag {
                flag: "--split-at",
                value: format!("{at:?}"),
                problem: "not a timestamp (use e.g. 2026-03-15 or 2026-03-15T12:00:00Z)".into(),
            })?),
            None,
        )),
        (None, Some(w)) => Some((
            TimeSplitSpec::Window(parse_span_us(w).map_err(|source| CliError::Duration {
                flag: "--window",
                source,
            })?),
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
        (Some(_), _) => Err(CliError::Usage(
            "--split-at / --window take one LOG, not two inputs",
        )),
        (None, 2) => Ok(DriftInputs::Files {
            reference: vec![args.inputs[0].clone()],
            current: vec![args.inputs[1].clone()],
        }),
        (None, _) => Err(CliError::Usage(
            "give REFERENCE and CURRENT, or one LOG with --split-at TS or --window SPAN",
        )),
    }
}

/// The drift settings from the plan and the flags.
pub fn config(args: &DriftArgs) -> Result<(DriftConfig, RoleOverrides), CliError> {
    let plan = load_plan(args.plan.as_deref())?;
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
    if let Some(e) = &args.every {
        cfg.every = Some(e.clone());
        cfg.every_us().map_err(super::setting("--every"))?;
    }
    cfg.validate().map_err(super::setting("--alpha"))?;
    let mut overrides = plan.role_overrides();
    apply_column_flags(
        &mut overrides,
        &args.columns,
        super::time_unit(args.time_unit.as_deref())?,
    )?;
    Ok((cfg, overrides))
}

/// Runs `verdict drift`.
pub fn run_cli(args: &DriftArgs) -> Result<(), CliError> {
    let (cfg, overrides) = config(args)?;
    // ClickHouse tables whose selection is too large to read (or --binned) are compared
    // on the server from counts
    let tables: Vec<&String> = args
        .inputs
        .iter()
        .filter(|i| crate::clickhouse::TableUrl::is_clickhouse(i))
        .collect();
    if args.binned && tables.len() != args.inputs.len() {
        return Err(CliError::Usage(
            "--binned compares ClickHouse tables (clickhouse://HOST:8123/DB.TABLE), not files",
        ));
    }
    // rows each table's selection holds (counted once)
    let selected: Vec<u64> = if args.binned {
        Vec::new()
    } else {
        tables
            .iter()
            .map(|t| super::clickhouse::selected_rows(t, &args.clickhouse))
            .collect::<Result<_, _>>()?
    };
    let big = !tables.is_empty()
        && tables.len() == args.inputs.len()
        && (args.binned
            || selected
                .iter()
                .any(|n| *n > super::clickhouse::DRIFT_MAX_ROWS));
    if big {
        use super::clickhouse::BinnedSplit;
        let split = match inputs(&DriftArgs {
            inputs: args.inputs.clone(),
            split_at: args.split_at.clone(),
            window: args.window.clone(),
            ..DriftArgs::default_like(args)
        })? {
            DriftInputs::Split { spec, window, .. } => {
                BinnedSplit::Time(&args.inputs[0], spec, window)
            }
            DriftInputs::Files { .. } => BinnedSplit::Tables(&args.inputs[0], &args.inputs[1]),
        };
        let report = super::clickhouse::binned_drift(split, &args.clickhouse, &cfg, &overrides)?;
        if let Some(b) = &report.binned {
            eprintln!(
                "verdict: drift computed on the server from counts: {} queries, {:.1} kB back",
                b.queries,
                b.bytes_received as f64 / 1000.0
            );
        }
        let text = match args.format {
            DriftFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
            DriftFormat::Md => drift_markdown::render(&report),
        };
        return write_output(&text, args.out.as_deref());
    }
    // ClickHouse tables are read into a private temp folder (tables that fit), then
    // compared as files; the report names the tables
    let mut fetched = Vec::new();
    let mut local = Vec::new();
    let mut counts = selected.iter();
    for input in &args.inputs {
        if crate::clickhouse::TableUrl::is_clickhouse(input) {
            let n = counts.next().copied().unwrap_or(0);
            let f = super::clickhouse::fetch_rows(input, &args.clickhouse, n)?;
            local.push(f.file.display().to_string());
            fetched.push((f.file.display().to_string(), f.shown, f.dir));
        } else {
            if args.clickhouse.selects_rows() {
                return Err(CliError::Usage(
                    "--where, --from and --to apply to a ClickHouse table (clickhouse://HOST:8123/DB.TABLE)",
                ));
            }
            local.push(input.clone());
        }
    }
    let inputs = inputs(&DriftArgs {
        inputs: local,
        split_at: args.split_at.clone(),
        window: args.window.clone(),
        ..DriftArgs::default_like(args)
    })?;
    let cancel = AtomicBool::new(false);
    // files larger than memory are read in chunks (tables fetched here never are: they fit)
    let stream = fetched.is_empty()
        && match args.stream {
            super::analyze::StreamMode::On => true,
            super::analyze::StreamMode::Off => false,
            super::analyze::StreamMode::Auto => {
                crate::stream::input_bytes(&args.inputs) > crate::stream::stream_above_bytes()
            }
        };
    if stream {
        let report = streamed(&inputs, &cfg, &overrides)?;
        let text = match args.format {
            DriftFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
            DriftFormat::Md => drift_markdown::render(&report),
        };
        return write_output(&text, args.out.as_deref());
    }
    let result = run(&inputs, &cfg, &overrides, &|_| {}, &|_, _| {}, &cancel);
    for (_, _, dir) in &fetched {
        let _ = std::fs::remove_dir_all(dir);
    }
    let mut report = result?;
    for side in [&mut report.reference, &mut report.current] {
        for f in &mut side.files {
            if let Some((_, shown, _)) = fetched.iter().find(|(p, _, _)| p == f) {
                *f = shown.clone();
            }
        }
    }
    let text = match args.format {
        DriftFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        DriftFormat::Md => drift_markdown::render(&report),
    };
    write_output(&text, args.out.as_deref())
}

/// `verdict drift` on files read in chunks, with a progress line on a terminal.
fn streamed(
    inputs: &DriftInputs,
    cfg: &DriftConfig,
    overrides: &RoleOverrides,
) -> Result<crate::report::drift::DriftReport, CliError> {
    let started = std::time::Instant::now();
    let progress = super::StreamLine::new("drift");
    let progress = |p: crate::stream::StreamProgress| progress.show(p);
    let report = crate::stream::drift::drift_files(
        inputs,
        cfg,
        overrides,
        &progress,
        &AtomicBool::new(false),
    );
    super::StreamLine::clear();
    let report = report.map_err(CliError::from)?;
    eprintln!(
        "verdict: drift streamed: {} + {} prediction rows in {:.1} s",
        crate::report::format::count(report.reference.rows),
        crate::report::format::count(report.current.rows),
        started.elapsed().as_secs_f64()
    );
    Ok(report)
}
