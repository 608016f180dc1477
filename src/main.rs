//! The `verdict` binary.

fn main() {
    verdict::alloc::tune_allocator();
    std::process::exit(verdict::cli::main());
}

/// mimalloc with a purge delay (see `verdict::alloc`): fewer page faults on large columns.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
