//! Compiles `proto/` into Rust and writes the descriptor set used by gRPC reflection. Honours `$PROTOC`; otherwise
//! uses the protoc binary vendored by `protoc-bin-vendored`, so a fresh machine needs no protoc.
//!
//! Every client, and every server but DrawService's, is tonic's as generated. DrawService's server answers its
//! reads and its stream with [`Encoded`](src/encoded.rs) messages (bytes encoded once, shared by every answer that
//! carries them): the server trait is generated from the same proto with those answers' types swapped, so the
//! routes, the methods and their comments still come from the proto, and clients see the messages it names.

use std::path::PathBuf;

/// The methods of DrawService whose answers the server sends pre-encoded, by proto name.
const ENCODED_ANSWERS: &[&str] = &[
    "GetDraw",
    "ListDraws",
    "GetLatestDraw",
    "GetDrawStats",
    "SubscribeDraws",
];

/// Generates each service with tonic's generator, DrawService's server with its answers pre-encoded.
struct Services {
    clients: Box<dyn prost_build::ServiceGenerator>,
    servers: Box<dyn prost_build::ServiceGenerator>,
}

impl prost_build::ServiceGenerator for Services {
    fn generate(&mut self, service: prost_build::Service, buf: &mut String) {
        let mut server = service.clone();
        if service.package == "expressentry.v1" && service.name == "DrawService" {
            for method in &mut server.methods {
                if ENCODED_ANSWERS.contains(&method.proto_name.as_str()) {
                    method.output_type =
                        format!("crate::encoded::Encoded<crate::v1::{}>", method.output_type);
                }
            }
        }
        self.clients.generate(service, buf);
        self.servers.generate(server, buf);
    }

    fn finalize(&mut self, buf: &mut String) {
        self.clients.finalize(buf);
        self.servers.finalize(buf);
    }

    fn finalize_package(&mut self, package: &str, buf: &mut String) {
        self.clients.finalize_package(package, buf);
        self.servers.finalize_package(package, buf);
    }
}

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
    // Named, or cargo would rerun this only for changes inside this crate's directory, and proto/ is outside it.
    for proto in &protos {
        println!("cargo::rerun-if-changed={}", proto.display());
    }
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PROTOC");
    let protoc = match std::env::var_os("PROTOC") {
        Some(p) => PathBuf::from(p),
        None => protoc_bin_vendored::protoc_bin_path()?,
    };
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut config = prost_build::Config::new();
    config
        .protoc_executable(protoc)
        .out_dir(&out)
        .type_attribute(".", "#[allow(clippy::all)]")
        .file_descriptor_set_path(out.join("expressentry_v1_descriptor.bin"))
        .service_generator(Box::new(Services {
            clients: tonic_prost_build::configure()
                .build_server(false)
                .service_generator(),
            servers: tonic_prost_build::configure()
                .build_client(false)
                .service_generator(),
        }));
    config.compile_protos(&protos, &[root, protoc_bin_vendored::include_path()?])?;
    Ok(())
}
