#![doc = include_str!("../README.md")]

pub mod candidate;
pub mod convert;
pub mod encoded;
pub mod error;
pub mod outlook;

/// The generated code of package `expressentry.v1`.
pub mod v1 {
    #![allow(clippy::all, missing_docs, rust_2018_idioms)]
    tonic::include_proto!("expressentry.v1");
}

/// The encoded `FileDescriptorSet` of `expressentry.v1`, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    tonic::include_file_descriptor_set!("expressentry_v1_descriptor");

/// The fully qualified names of the services, as health checks and reflection know them.
pub const DRAW_SERVICE_NAME: &str = "expressentry.v1.DrawService";
pub const ELIGIBILITY_SERVICE_NAME: &str = "expressentry.v1.EligibilityService";
