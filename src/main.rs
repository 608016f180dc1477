//! The `verdict` binary: the command line, and the window when built with the `gui` feature.

use verdict::cli::{Outcome, EXIT_BAD_INPUT};

fn main() {
    let code = match verdict::cli::main() {
        Outcome::Exit(code) => code,
        Outcome::OpenWindow { files, view } => open_window(files, view),
    };
    std::process::exit(code);
}

/// Opens the dashboard on `files`, starting on the view named `view`.
#[cfg(feature = "gui")]
fn open_window(files: Vec<std::path::PathBuf>, view: Option<String>) -> i32 {
    use verdict::app::command::View;
    let view = match view.as_deref() {
        None => None,
        Some(name) => match View::parse(name) {
            Some(v) => Some(v),
            None => {
                let names: Vec<String> = View::ALL
                    .iter()
                    .map(|v| v.title().to_ascii_lowercase())
                    .collect();
                eprintln!("verdict: unknown view {name:?} ({})", names.join(", "));
                return EXIT_BAD_INPUT;
            }
        },
    };
    verdict::app::run(files, view)
}

/// Without the `gui` feature there is no window: say so in one line.
#[cfg(not(feature = "gui"))]
fn open_window(_files: Vec<std::path::PathBuf>, _view: Option<String>) -> i32 {
    eprintln!("verdict: this build has no window (built without the `gui` feature); use `verdict analyze`, `verdict drift` or `verdict compare`");
    EXIT_BAD_INPUT
}
