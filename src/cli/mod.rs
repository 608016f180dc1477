//! Command line: `verdict analyze`, `verdict drift`, `verdict compare`, `verdict sample`. Thin: parse, call the core, print.

pub mod analyze;
pub mod clickhouse;
pub mod compare;
pub mod drift;
pub mod error;
pub mod sample;
pub mod shadow;

pub use error::CliError;

use crate::ingest::{Role, RoleOverrides};
use crate::plan::{Plan, SettingError};
use clap::{Parser, Subcommand};

/// Exit code for success.
pub const EXIT_OK: i32 = 0;
/// Exit code for bad input or usage.
pub const EXIT_BAD_INPUT: i32 = 2;

/// Prints one line `verdict: MSG` on stderr and returns the bad-input exit code.
pub fn fail(msg: impl std::fmt::Display) -> i32 {
    eprintln!("verdict: {msg}");
    EXIT_BAD_INPUT
}

/// The exit code of a subcommand's result; an error is printed as one line.
pub fn exit_code(result: Result<(), CliError>) -> i32 {
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => fail(e),
    }
}

/// Writes a report to `out` (a file) or standard output.
pub fn write_output(text: &str, out: Option<&std::path::Path>) -> Result<(), CliError> {
    match out {
        None => {
            print!("{text}");
            Ok(())
        }
        Some(path) => std::fs::write(path, text).map_err(|source| CliError::Write {
            file: path.display().to_string(),
            source,
        }),
    }
}

/// The plan named by `--plan`, or the defaults.
pub fn load_plan(path: Option<&std::path::Path>) -> Result<Plan, CliError> {
    Ok(match path {
        Some(p) => Plan::load(p)?,
        None => Plan::default(),
    })
}

/// Applies `--column ROLE=COLUMN` flags and `--time-unit` to the plan's overrides.
pub fn apply_column_flags(
    overrides: &mut RoleOverrides,
    columns: &[String],
    time_unit: Option<crate::ingest::time::EpochUnit>,
) -> Result<(), CliError> {
    for c in columns {
        let bad = |problem: String| CliError::Flag {
            flag: "--column",
            value: format!("{c:?}"),
            problem,
        };
        let (role, col) = c
            .split_once('=')
            .ok_or_else(|| bad("use ROLE=COLUMN, e.g. group=arm".into()))?;
        let role = Role::parse(role).ok_or_else(|| bad(format!("unknown role {role:?}")))?;
        overrides.columns.insert(role, col.trim().to_string());
    }
    if time_unit.is_some() {
        overrides.time_unit = time_unit;
    }
    Ok(())
}

/// `--time-unit`, parsed.
pub fn time_unit(text: Option<&str>) -> Result<Option<crate::ingest::time::EpochUnit>, CliError> {
    text.map(|t| {
        crate::ingest::time::EpochUnit::parse(t).ok_or_else(|| CliError::Flag {
            flag: "--time-unit",
            value: format!("{t:?}"),
            problem: "use s, ms, us or ns".into(),
        })
    })
    .transpose()
}

/// A setting flag's error.
pub fn setting(flag: &'static str) -> impl Fn(SettingError) -> CliError {
    move |source| CliError::Setting { flag, source }
}

/// Verdict: should the challenger model replace the champion?
#[derive(Debug, Parser)]
#[command(name = "verdict", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse an experiment's prediction logs.
    Analyze(analyze::AnalyzeArgs),
    /// Compare a reference and a current dataset (or one log split by time) for drift.
    Drift(drift::DriftArgs),
    /// Replay a holdout through champion and challenger ONNX models and compare them.
    Compare(compare::CompareArgs),
    /// Compare a shadow run's two models request by request (dual-run logs).
    Shadow(shadow::ShadowArgs),
    /// Write a synthetic experiment in every format.
    Sample(sample::SampleArgs),
    /// Open the dashboard window on these files (logs, plan, models).
    Open {
        /// Files or folders to open (the embedded sample when none).
        files: Vec<std::path::PathBuf>,
        /// View to start on: overview, timeline, significance, segments, data, plan, drift, models.
        #[arg(long)]
        view: Option<String>,
    },
}

/// What the command line asks the binary to do after parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A subcommand ran; exit with this code.
    Exit(i32),
    /// Open the window on these files (none: the embedded sample), optionally on a view
    /// named by the user (validated by the window).
    OpenWindow {
        /// Files or folders to open.
        files: Vec<std::path::PathBuf>,
        /// View name as typed (`--view`).
        view: Option<String>,
    },
}

/// Parses the command line and runs a subcommand; opening the window is left to the caller
/// (the binary), so the CLI never depends on the GUI.
pub fn main() -> Outcome {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            };
            let _ = e.print();
            return Outcome::Exit(code);
        }
    };
    match cli.command {
        Some(Command::Analyze(a)) => Outcome::Exit(exit_code(analyze::run(&a))),
        Some(Command::Sample(s)) => Outcome::Exit(exit_code(sample::run(&s))),
        Some(Command::Shadow(s)) => Outcome::Exit(exit_code(shadow::run(&s))),
        Some(Command::Drift(d)) => Outcome::Exit(exit_code(drift::run_cli(&d))),
        Some(Command::Compare(c)) => Outcome::Exit(exit_code(compare::run(&c))),
        Some(Command::Open { files, view }) => Outcome::OpenWindow { files, view },
        None => Outcome::OpenWindow {
            files: vec![],
            view: None,
        },
    }
}

/// The progress line of a streamed read on a terminal (nothing when stderr is not one): a
/// bar of the bytes read with rows and seconds, then the steps after the read.
pub struct StreamLine {
    tty: bool,
    started: std::time::Instant,
    steps: &'static str,
}

impl StreamLine {
    /// A line whose steps after the read are called `steps` ("aggregating", "drift").
    pub fn new(steps: &'static str) -> Self {
        use std::io::IsTerminal;
        StreamLine {
            tty: std::io::stderr().is_terminal(),
            started: std::time::Instant::now(),
            steps,
        }
    }

    /// Shows a progress report.
    pub fn show(&self, p: crate::stream::StreamProgress) {
        if !self.tty {
            return;
        }
        let secs = self.started.elapsed().as_secs_f64();
        match p {
            crate::stream::StreamProgress::Reading(p) => {
                let share = p.bytes_read as f64 / p.bytes_total.max(1) as f64;
                let filled = (share * 30.0).round().clamp(0.0, 30.0) as usize;
                eprint!(
                    "\r\x1b[2Kverdict: reading {} [{}{}] {:.0}% · {} rows · {secs:.0} s",
                    p.file,
                    "#".repeat(filled),
                    ".".repeat(30 - filled),
                    share * 100.0,
                    crate::report::format::count(p.rows),
                );
            }
            crate::stream::StreamProgress::Step(what, done) => eprint!(
                "\r\x1b[2Kverdict: {}: {what}... {:.0}% · {secs:.0} s",
                self.steps,
                done * 100.0
            ),
        }
    }

    /// Clears the line (on a terminal).
    pub fn clear() {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[2K");
        }
    }
}
