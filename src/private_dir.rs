//! Private temporary folders: a fresh folder under the system temp directory, created (never
//! reused: an existing path is skipped) with permissions for its owner only, so extracted
//! models and sampled rows are neither readable by other users nor reachable through a
//! planted symlink.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Creates `<temp>/<prefix>-<pid>-<n>-<nanos>` (mode 0700 on Unix) and returns it.
pub fn create(prefix: &str) -> std::io::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let base = std::env::temp_dir();
    let mut last = None;
    for _ in 0..16 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = base.join(format!(
            "{prefix}-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        match b.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temp folder name")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn fresh_and_private() {
        let a = super::create("verdict-test").unwrap();
        let b = super::create("verdict-test").unwrap();
        assert_ne!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&a).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0);
        }
        let _ = std::fs::remove_dir(&a);
        let _ = std::fs::remove_dir(&b);
    }
}
