//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs the `verdict` binary: (exit code, stdout, stderr).
pub fn verdict(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Writes a file into `dir` and returns its path.
pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `a` and `b` within 1e-9 relative.
pub fn close(what: &str, a: f64, b: f64) {
    assert!(
        (a - b).abs() <= 1e-9 * b.abs().max(1e-300),
        "{what}: {a} vs {b}"
    );
}

/// Every number of `b` in `a` to 1e-9 relative (p-values 1e-6), everything else equal.
pub fn close_deep(what: &str, a: &serde_json::Value, b: &serde_json::Value) {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            let (kx, ky): (Vec<_>, Vec<_>) = (x.keys().collect(), y.keys().collect());
            assert_eq!(kx, ky, "{what}: fields");
            for (k, v) in y {
                close_deep(&format!("{what}.{k}"), &x[k], v);
            }
        }
        (serde_json::Value::Array(x), serde_json::Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{what}: length");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                close_deep(&format!("{what}[{i}]"), p, q);
            }
        }
        (x, y) if x.is_f64() || y.is_f64() => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) if what.contains("p_value") => {
                assert!(
                    (p - q).abs() <= 1e-6 * q.abs().max(1e-300),
                    "{what}: {p} vs {q}"
                )
            }
            (Some(p), Some(q)) => close(what, p, q),
            _ => assert_eq!(x, y, "{what}"),
        },
        (x, y) => assert_eq!(x, y, "{what}"),
    }
}
