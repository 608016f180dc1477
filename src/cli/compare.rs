//! `verdict compare CHAMPION CHALLENGER --holdout FILE`: replay a holdout through two ONNX
//! models and print the comparison as JSON or Markdown.

use crate::models::{compare, export, CompareOptions};
use crate::report::compare_markdown;
use clap::{Args, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// Output format of `verdict compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// The JSON contract.
    Json,
    /// Markdown for people.
    Md,
}

/// Arguments of `verdict compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The champion: a .onnx file, or a bundle folder / .zip with model.onnx.
    pub champion: PathBuf,
    /// The challenger.
    pub challenger: PathBuf,
    /// Holdout file (JSONL, CSV, Parquet, .gz); default: the bundle's.
    #[arg(long)]
    pub holdout: Option<String>,
    /// Label column (default: label, target, y, class, outcome...).
    #[arg(long)]
    pub label: Option<String>,
    /// Permutation-importance repeats per feature (0 skips it).
    #[arg(long, default_value_t = 5)]
    pub repeats: u32,
    /// Seed of the permutations and the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Decision threshold on the positive-class probability (default: manifest, else 0.5).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Pass missing feature values to the models as NaN instead of refusing them.
    #[arg(long)]
    pub allow_missing: bool,
    /// The positive class (default: the bundle's, else 1/true/yes/positive, else the second
    /// class in sorted order as scikit-learn).
    #[arg(long)]
    pub positive_class: Option<String>,
    /// What a model's output means, NAME=KIND with NAME `champion`, `challenger` or one of
    /// a model's output names and KIND probability, logit or regression (repeatable; over
    /// the bundle's `output`).
    #[arg(long = "output")]
    pub outputs: Vec<String>,
    /// Paired bootstrap resamples for the ΔF1, Δlog-loss and ΔBrier intervals (0 skips it);
    /// seeded by --seed.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: u32,
    /// Analysis plan (TOML): `alpha` (the paired tests' intervals) and
    /// `reproducibility_tolerance`.
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Write one row per holdout row with both predictions (CSV, or Parquet by extension).
    #[arg(long)]
    pub export_predictions: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Json)]
    pub format: CompareFormat,
    /// Write the report here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

use super::{write_output, CliError};

/// Runs `verdict compare`.
pub fn run(args: &CompareArgs) -> Result<(), CliError> {
    if let Some(t) = args.threshold {
        if !(t > 0.0 && t < 1.0) {
            return Err(CliError::Flag {
                flag: "--threshold",
                value: t.to_string(),
                problem: "use a probability between 0 and 1".into(),
            });
        }
    }
    let plan = super::load_plan(args.plan.as_deref())?;
    let opts = CompareOptions {
        holdout: args.holdout.clone(),
        label: args.label.clone(),
        repeats: args.repeats,
        seed: args.seed,
        threshold: args.threshold,
        allow_missing: args.allow_missing,
        positive_class: args.positive_class.clone(),
        outputs: output_flags(&args.outputs)?,
        bootstrap: args.bootstrap,
        reproducibility_tolerance: plan.reproducibility_tolerance,
        alpha: plan.alpha,
    };
    let tty = std::io::stderr().is_terminal();
    let progress = move |text: String, frac: Option<f32>| {
        if tty {
            let bar = match frac {
                Some(f) => {
                    let filled = (f.clamp(0.0, 1.0) * 30.0) as usize;
                    format!(
                        "[{}{}] {:>3.0}% ",
                        "#".repeat(filled),
                        " ".repeat(30 - filled),
                        f * 100.0
                    )
                }
                None => String::new(),
            };
            let mut e = std::io::stderr();
            let _ = write!(e, "\r\x1b[2K{bar}{text}");
            let _ = e.flush();
        }
    };
    let cancel = AtomicBool::new(false);
    let result = compare(&args.champion, &args.challenger, &opts, &progress, &cancel);
    if tty {
        eprint!("\r\x1b[2K");
    }
    let compared = result?;
    if let Some(p) = &args.export_predictions {
        export::export_predictions(&compared, p)?;
    }
    let text = match args.format {
        CompareFormat::Json => {
            serde_json::to_string_pretty(&compared.report).unwrap_or_default() + "\n"
        }
        CompareFormat::Md => compare_markdown::render(&compared.report),
    };
    write_output(&text, args.out.as_deref())
}

/// `--output champion=logit` flags, checked.
fn output_flags(
    flags: &[String],
) -> Result<std::collections::BTreeMap<String, crate::report::compare::OutputKind>, super::CliError>
{
    let mut out = std::collections::BTreeMap::new();
    for f in flags {
        let bad = |problem: &str| super::CliError::Flag {
            flag: "--output",
            value: f.clone(),
            problem: problem.into(),
        };
        let (role, kind) = f
            .split_once('=')
            .ok_or_else(|| bad("use NAME=KIND, e.g. champion=logit or logits=logit"))?;
        let lower = role.trim().to_ascii_lowercase();
        // a role, or a model's output name (kept as written)
        let role = if lower == "champion" || lower == "challenger" {
            lower
        } else if role.trim().is_empty() {
            return Err(bad("name champion, challenger or an output"));
        } else {
            role.trim().to_string()
        };
        let kind = crate::report::compare::OutputKind::parse(kind)
            .ok_or_else(|| bad("the kind is probability, logit or regression"))?;
        out.insert(role, kind);
    }
    Ok(out)
}
