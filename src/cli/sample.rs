//! `verdict sample`: write a synthetic experiment for demos and benchmarks.

use clap::Args;
use std::path::PathBuf;

/// Arguments of `verdict sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Folder to write into.
    #[arg(long)]
    pub out: PathBuf,
    /// Rows (events) to generate.
    #[arg(long, default_value_t = 8000)]
    pub rows: usize,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// Runs `verdict sample`.
pub fn run(args: &SampleArgs) -> Result<(), super::CliError> {
    let files = crate::sample::write_sample(&args.out, args.rows, args.seed)?;
    for f in files {
        println!("{}", f.display());
    }
    Ok(())
}
