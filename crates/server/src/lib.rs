#![doc = include_str!("../README.md")]

pub mod app;
pub mod calls;
pub mod config;
pub mod grpc;
pub mod incoming;
pub mod metrics;
pub mod observe;
pub mod rules;
pub mod shutdown;
pub mod tasks;
pub mod telemetry;
pub mod tls;

pub use app::{Application, open_recorder, open_store};
pub use config::{Cli, Command, LogFormat, Settings};
pub use shutdown::shutdown_signal;
