#![doc = include_str!("../README.md")]

pub mod config;
pub mod startup;
pub mod telemetry;

pub use config::{Cli, Command, LogFormat, Settings};
pub use startup::{Application, open_store, shutdown_signal};
