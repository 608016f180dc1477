//! Installs the pinned ONNX Runtime (PyPI's `onnxruntime` wheel) into the project-local
//! `.ort/` folder the first time the project is built, so that `cargo run --release` and
//! `cargo test --release` need no other set-up step. Without network or pip the build still
//! succeeds: Verdict then looks for ONNX Runtime elsewhere and says how to get it.

use std::path::PathBuf;
use std::process::Command;

const ORT_VERSION: &str = "1.31.1";

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let dir = root.join(".ort").join(ORT_VERSION);
    let lib = dir
        .join("onnxruntime")
        .join("capi")
        .join(format!("libonnxruntime.so.{ORT_VERSION}"));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-env=VERDICT_ORT_LOCAL={}", lib.display());
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux && !lib.is_file() && std::env::var_os("VERDICT_NO_ORT_INSTALL").is_none() {
        let status = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--upgrade",
                "--target",
            ])
            .arg(&dir)
            .arg(format!("onnxruntime=={ORT_VERSION}"))
            .env("PIP_ROOT_USER_ACTION", "ignore")
            .status();
        match status {
            Ok(s) if s.success() && lib.is_file() => {}
            Ok(s) => println!("cargo:warning=could not install onnxruntime {ORT_VERSION} into .ort/ (pip exited with {s}); model replay will look for ONNX Runtime elsewhere"),
            Err(e) => println!("cargo:warning=could not run python3 -m pip to install onnxruntime {ORT_VERSION}: {e}; model replay will look for ONNX Runtime elsewhere"),
        }
    }
    // re-run when the library appears or disappears
    println!("cargo:rerun-if-changed={}", lib.display());
}
