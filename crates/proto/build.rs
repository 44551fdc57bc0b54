//! Compiles `proto/` into Rust and writes the descriptor set used by gRPC reflection. Honours `$PROTOC`; otherwise
//! uses the protoc binary vendored by `protoc-bin-vendored`, so a fresh machine needs no protoc.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let protos: Vec<PathBuf> = [
        "common",
        "draw",
        "draw_service",
        "candidate",
        "eligibility_service",
    ]
    .iter()
    .map(|f| root.join(format!("expressentry/v1/{f}.proto")))
    .collect();
    let protoc = match std::env::var_os("PROTOC") {
        Some(p) => PathBuf::from(p),
        None => protoc_bin_vendored::protoc_bin_path()?,
    };
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("expressentry_v1_descriptor.bin"))
        .compile_with_config(
            config,
            &protos,
            &[root, protoc_bin_vendored::include_path()?],
        )?;
    Ok(())
}
