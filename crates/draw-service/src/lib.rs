#![doc = include_str!("../README.md")]

mod auth;
mod live;
pub mod metrics_names;
pub mod page_token;
pub mod read_model;
mod recorder;
mod service;
mod watcher;

pub use auth::{Authorizer, OperatorToken};
pub use ee_proto::v1::draw_service_server::DrawServiceServer;
pub use live::{EventHub, LiveConfig};
pub use read_model::{ReadModel, Snapshot};
pub use recorder::{DrawRecorder, FeedImport, RecordError, last_occurrence_wins};
pub use service::{DEFAULT_PAGE_SIZE, DrawServiceImpl, MAX_PAGE_SIZE};
pub use watcher::{FeedWatchConfig, FeedWatcher, PollOutcome, WatcherError};

/// A background task of this crate, named for the logs, for the server to watch: it runs until shutdown, so its
/// end before then means it died.
pub struct BackgroundTask {
    pub name: &'static str,
    pub handle: tokio::task::JoinHandle<()>,
}
