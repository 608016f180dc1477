//! Command line: `verdict analyze`, `verdict drift`, `verdict compare`, `verdict sample`. Thin: parse, call the core, print.

pub mod analyze;
pub mod compare;
pub mod drift;
pub mod sample;

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

/// Writes a report to `out` (a file) or standard output; the exit code.
pub fn write_output(text: &str, out: Option<&std::path::Path>) -> i32 {
    match out {
        None => {
            print!("{text}");
            EXIT_OK
        }
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => EXIT_OK,
            Err(e) => fail(format!("{}: cannot write report: {e}", path.display())),
        },
    }
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
    /// Write a synthetic experiment in every format.
    Sample(sample::SampleArgs),
    /// Open the dashboard window on these files (logs, plan, models).
    Open {
        /// Files or folders to open (the embedded sample when none).
        files: Vec<std::path::PathBuf>,
        /// View to start on: overview, timeline, significance, segments, data, plan.
        #[arg(long)]
        view: Option<String>,
    },
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Some(Command::Analyze(a)) => analyze::run(&a),
        Some(Command::Sample(s)) => sample::run(&s),
        Some(Command::Drift(d)) => drift::run_cli(&d),
        Some(Command::Compare(c)) => compare::run(&c),
        Some(Command::Open { files, view }) => {
            let view = match view.as_deref().map(crate::app::command::View::parse) {
                None => None,
                Some(Some(v)) => Some(v),
                Some(None) => {
                    eprintln!("verdict: unknown view {:?} (overview, timeline, significance, segments, data, plan)", view.unwrap_or_default());
                    return EXIT_BAD_INPUT;
                }
            };
            crate::app::run(files, view)
        }
        None => crate::app::run(vec![], None),
    }
}
