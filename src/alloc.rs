//! Allocator settings for the binaries (which install mimalloc as the global allocator).

/// Tunes mimalloc: freed memory is kept for a second before it is returned to the OS.
/// Column buffers are allocated and freed in bursts during an analysis; returning them at
/// once made the kernel fault in and zero fresh pages again, a third of the run time on
/// 10M rows. `VERDICT_PURGE_MS` overrides the delay (-1 never returns memory);
/// `VERDICT_LARGE_PAGES=1` allows 2 MiB OS pages.
pub fn tune_allocator() {
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15; // mi_option_purge_delay (mimalloc v2)
    const ALLOW_LARGE_OS_PAGES: libmimalloc_sys::mi_option_t = 6;
    let env = |name: &str, default: i64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    // SAFETY: plain option setters of the allocator; they take effect for later allocations.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, env("VERDICT_PURGE_MS", 1000) as _);
        libmimalloc_sys::mi_option_set(ALLOW_LARGE_OS_PAGES, env("VERDICT_LARGE_PAGES", 0) as _);
    }
}
