//! Finding and loading ONNX Runtime (`ort` with `load-dynamic`). Discovery, in order:
//! `ORT_DYLIB_PATH`; the project-local copy the README's commands install from PyPI's pinned
//! `onnxruntime` wheel; the `onnxruntime` package of the `python3` on PATH; system library
//! paths. The first library that loads and is new enough wins; the outcome is cached.

use super::error::ModelError;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The pinned ONNX Runtime version (matches ort 2.0.0-rc.15's API 31).
pub const PINNED_VERSION: &str = "1.31.1";

/// A loaded runtime.
pub struct Runtime {
    /// ONNX Runtime version.
    pub version: String,
    /// The shared library loaded.
    pub library: PathBuf,
    /// The ort environment sessions are built from.
    pub env: ort::environment::Environment,
}

/// How to get a runtime, for messages when none is found.
pub fn how_to_get() -> String {
    format!(
        "ONNX Runtime not found. `cargo build --release` in the Verdict folder installs onnxruntime {PINNED_VERSION} into .ort/ (needs python3 with pip); \
         or `python3 -m pip install onnxruntime=={PINNED_VERSION}`; or set ORT_DYLIB_PATH to a libonnxruntime.so of version 1.31 or newer"
    )
}

fn versioned_libs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libonnxruntime.so") && !n.contains("providers"))
        })
        .collect();
    v.sort();
    v.reverse(); // highest version first
    v
}

/// Candidate libraries of one discovery step (0: `ORT_DYLIB_PATH`, 1: project-local,
/// 2: python3's onnxruntime, 3: system paths), with where they came from. Later steps are
/// only looked at when earlier ones fail (step 2 starts a Python process).
pub fn candidates(step: usize) -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    match step {
        0 => {
            if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
                out.push((PathBuf::from(p), "ORT_DYLIB_PATH"));
            }
        }
        1 => {
            let local_rel = format!(".ort/{PINNED_VERSION}/onnxruntime/capi");
            let mut locals: Vec<PathBuf> = Vec::new();
            if let Some(p) = option_env!("VERDICT_ORT_LOCAL") {
                locals.push(PathBuf::from(p));
            }
            if let Ok(cwd) = std::env::current_dir() {
                locals.extend(versioned_libs(&cwd.join(&local_rel)));
            }
            if let Ok(exe) = std::env::current_exe() {
                // target/release/verdict -> project root
                if let Some(root) = exe.parent().and_then(Path::parent).and_then(Path::parent) {
                    locals.extend(versioned_libs(&root.join(&local_rel)));
                }
            }
            for p in locals {
                if p.is_file() && !out.iter().any(|(q, _)| *q == p) {
                    out.push((p, "project-local .ort/"));
                }
            }
        }
        2 => {
            if let Some(dir) = python_capi_dir() {
                for p in versioned_libs(&dir) {
                    out.push((p, "python3 onnxruntime package"));
                }
            }
        }
        _ => {
            let mut sys_dirs: Vec<PathBuf> = std::env::var("LD_LIBRARY_PATH")
                .unwrap_or_default()
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect();
            for d in [
                "/usr/local/lib",
                "/usr/lib",
                "/usr/lib/x86_64-linux-gnu",
                "/usr/lib64",
                "/opt/homebrew/lib",
            ] {
                sys_dirs.push(PathBuf::from(d));
            }
            for d in sys_dirs {
                for p in versioned_libs(&d) {
                    out.push((p, "system library path"));
                }
            }
        }
    }
    out
}

fn python_capi_dir() -> Option<PathBuf> {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import importlib.util as u, os; s = u.find_spec('onnxruntime'); print(os.path.join(os.path.dirname(s.origin), 'capi') if s and s.origin else '')",
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!s.is_empty()).then(|| PathBuf::from(s))
}

fn version_of(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let v = name.strip_prefix("libonnxruntime.so.")?;
    (!v.is_empty()).then(|| v.to_string())
}

fn load() -> Result<Runtime, ModelError> {
    let mut tried = Vec::new();
    for (path, origin) in (0..4).flat_map(candidates) {
        if !path.is_file() {
            tried.push(format!("{} ({origin}): no such file", path.display()));
            continue;
        }
        match ort::init_from(&path) {
            Ok(builder) => match builder.with_name("verdict").build() {
                Ok(env) => {
                    let version = version_of(&path).unwrap_or_else(|| {
                        // the build string names the release branch, e.g. rel-1.31.1
                        let info = ort::info();
                        info.split("rel-")
                            .nth(1)
                            .map(|s| {
                                s.split(|c: char| c == ',' || c.is_whitespace())
                                    .next()
                                    .unwrap_or("")
                                    .to_string()
                            })
                            .unwrap_or_else(|| "unknown".into())
                    });
                    return Ok(Runtime {
                        version,
                        library: path,
                        env,
                    });
                }
                Err(e) => tried.push(format!("{} ({origin}): {e}", path.display())),
            },
            Err(e) => tried.push(format!("{} ({origin}): {e}", path.display())),
        }
    }
    Err(ModelError::Runtime(if tried.is_empty() {
        how_to_get()
    } else {
        format!("{} (tried: {})", how_to_get(), tried.join("; "))
    }))
}

static RUNTIME: OnceLock<Result<Runtime, ModelError>> = OnceLock::new();

/// The runtime, loaded on first use; the error says how to get one.
pub fn runtime() -> Result<&'static Runtime, ModelError> {
    RUNTIME.get_or_init(load).as_ref().map_err(Clone::clone)
}
