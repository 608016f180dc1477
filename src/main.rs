//! The `verdict` binary.

fn main() {
    std::process::exit(verdict::cli::main());
}
