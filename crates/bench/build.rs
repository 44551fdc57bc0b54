//! Compiles the baseline's own proto. Honours `$PROTOC`; otherwise uses the protoc vendored by
//! `protoc-bin-vendored`, as the proto crate does. Also `cfg(postgres_tests)` when EE_TEST_POSTGRES_URL is set at
//! build time, as the other crates decide: a run without PostgreSQL never counts a skipped test as a pass.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=EE_TEST_POSTGRES_URL");
    // Named, since a build script that names anything is rerun only for what it names.
    println!("cargo::rerun-if-changed=proto");
    if std::env::var("EE_TEST_POSTGRES_URL").is_ok_and(|u| !u.trim().is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("proto");
    let protoc = match std::env::var_os("PROTOC") {
        Some(p) => PathBuf::from(p),
        None => protoc_bin_vendored::protoc_bin_path()?,
    };
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc);
    config.bytes(["."]);
    tonic_prost_build::configure().compile_with_config(
        config,
        &[root.join("baseline.proto")],
        &[root, protoc_bin_vendored::include_path()?],
    )?;
    Ok(())
}
