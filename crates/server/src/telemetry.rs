//! Logs: tracing with the level from RUST_LOG, as text or JSON, written to standard output by a writer thread.
//!
//! A call formats its log line on its own thread and hands it to the writer thread, so it never waits on standard
//! output's lock or its write (about a tenth of the server's CPU at high call rates when calls wrote their own
//! lines). The hand-off is not lossy: when the writer falls 128,000 lines behind, callers wait for it rather than
//! drop lines. Lines still queued are written when the [`Logs`] guard drops at exit; a process killed with SIGKILL
//! loses them.

use std::io::IsTerminal;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Keeps the writer thread; dropping it writes what is queued and stops the thread. Hold it until the process exits.
#[must_use = "dropping the guard stops the log writer"]
pub struct Logs {
    _writer: Option<WorkerGuard>,
}

/// Installs the global subscriber; a second call (as in tests) leaves the first in place.
pub fn init(format: LogFormat) -> Logs {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only for a person at a terminal: escape codes in a file or a log collector are noise.
    let colour = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("ee-log-writer")
        .finish(std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_target(false)
        .with_writer(writer);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    Logs {
        _writer: installed.is_ok().then_some(guard),
    }
}
