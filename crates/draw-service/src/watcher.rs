//! Watching IRCC's feed: poll the feed URL and import it through the [`DrawRecorder`], which records the rounds
//! that are new or corrected and emits their events. One replica polls at a time (the store's poller lock). A failed
//! poll is logged and retried with backoff; it never writes half an import (an import is one transaction). A round
//! of a type the catalogue does not know does not fail the poll: it is kept (see `ee_domain::RoundType`).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use ee_domain::{ErrorCode, ServiceError, error_chain, panic_message};
use ee_store::StoreError;
use futures::FutureExt;
use tokio::sync::watch;

use crate::BackgroundTask;
use crate::metrics_names::FEED_POLLS;
use crate::recorder::{DrawRecorder, RecordError};

/// The largest feed the watcher reads (IRCC's is about 0.7 MiB and grows by about 0.15 MiB a year).
pub const MAX_FEED_BYTES: usize = 16 << 20;

/// Where and how often to poll.
#[derive(Debug, Clone)]
pub struct FeedWatchConfig {
    pub url: String,
    pub interval: Duration,
    /// For one HTTP request.
    pub timeout: Duration,
}

/// What one poll did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    /// Another replica holds the poller lock.
    NotLeader,
    /// The feed is byte for byte what this replica imported last.
    Unchanged,
    Imported {
        created: usize,
        updated: usize,
    },
}

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
pub enum WatcherError {
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
    #[error("cannot set up TLS for the feed: {0}")]
    Tls(String),
    #[error("GET {url}")]
    Request {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("GET {url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("GET {url}: the feed is larger than {} MiB", MAX_FEED_BYTES >> 20)]
    TooLarge { url: String },
    #[error("the feed is unreadable")]
    Import(#[from] RecordError),
    #[error("cannot take the feed poller lock")]
    Lock(#[from] StoreError),
    #[error("the poll panicked: {0}")]
    Panicked(String),
}

impl ServiceError for WatcherError {
    fn error_code(&self) -> ErrorCode {
        match self {
            WatcherError::Client(_) | WatcherError::Tls(_) | WatcherError::Panicked(_) => {
                ErrorCode::Internal
            }
            WatcherError::Request { .. } | WatcherError::Status { .. } => ErrorCode::Unavailable,
            WatcherError::TooLarge { .. } => ErrorCode::InvalidArgument,
            WatcherError::Import(e) => e.error_code(),
            WatcherError::Lock(e) => e.error_code(),
        }
    }
}

/// TLS for the feed: rustls on the ring provider (the server's one TLS stack), the certificate checked against the
/// system's roots (/etc/ssl/certs in the container image).
fn tls_config() -> Result<rustls::ClientConfig, WatcherError> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|e| WatcherError::Tls(e.to_string()))?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| WatcherError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

/// Polls IRCC's feed and imports what changed.
pub struct FeedWatcher {
    config: FeedWatchConfig,
    recorder: DrawRecorder,
    http: reqwest::Client,
    last_import: Option<u64>,
}

impl FeedWatcher {
    pub fn new(config: FeedWatchConfig, recorder: DrawRecorder) -> Result<Self, WatcherError> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .timeout(config.timeout)
            .user_agent(concat!("ee-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(WatcherError::Client)?;
        Ok(Self {
            config,
            recorder,
            http,
            last_import: None,
        })
    }

    /// Polls until `stop` turns true: at once, then every `interval`; after a failure, again after 1 s, 2 s, 4 s
    /// ... up to `interval`.
    pub fn spawn(mut self, mut stop: watch::Receiver<bool>) -> BackgroundTask {
        let handle = tokio::spawn(async move {
            tracing::info!(url = %self.config.url, interval = ?self.config.interval, "watching IRCC's feed");
            let mut failures: u32 = 0;
            loop {
                // A bug met by one feed must not end the watching: the poll fails, and the next one runs.
                let outcome = AssertUnwindSafe(self.poll()).catch_unwind().await;
                let outcome = outcome.unwrap_or_else(|panic| {
                    let message = panic_message(&*panic);
                    tracing::error!(panic = %message, "polling IRCC's feed panicked; this is a bug");
                    Err(WatcherError::Panicked(message))
                });
                let counted = match &outcome {
                    Ok(PollOutcome::Imported { .. }) => "imported",
                    Ok(PollOutcome::Unchanged) => "unchanged",
                    Ok(PollOutcome::NotLeader) => "not_leader",
                    Err(_) => "failed",
                };
                metrics::counter!(FEED_POLLS, "outcome" => counted).increment(1);
                let wait = match outcome {
                    Ok(outcome) => {
                        failures = 0;
                        if let PollOutcome::Imported { created, updated } = outcome {
                            tracing::info!(created, updated, "imported IRCC's feed");
                        }
                        self.config.interval
                    }
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        let backoff =
                            Duration::from_secs(1u64 << failures.min(12).saturating_sub(1))
                                .min(self.config.interval);
                        tracing::warn!(error = %error_chain(&e), failures, retry_in = ?backoff, "polling IRCC's feed failed");
                        backoff
                    }
                };
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        });
        BackgroundTask {
            name: "feed watcher",
            handle,
        }
    }

    /// One poll: take the lock, fetch, import if the feed changed.
    pub async fn poll(&mut self) -> Result<PollOutcome, WatcherError> {
        let store = self.recorder.store().clone();
        let Some(lock) = store.run(|s| s.try_lock_feed_poller()).await? else {
            // Another replica imports; what this one imported last may be stale by now.
            self.last_import = None;
            return Ok(PollOutcome::NotLeader);
        };
        let result = self.fetch_and_import().await;
        if let Err(e) = store.run(move |_| lock.release()).await {
            tracing::warn!(error = %error_chain(&e), "cannot release the feed poller lock; the database releases it with the connection");
        }
        result
    }

    async fn fetch_and_import(&mut self) -> Result<PollOutcome, WatcherError> {
        let url = &self.config.url;
        let request = |source| WatcherError::Request {
            url: url.clone(),
            source,
        };
        let mut response = self.http.get(url).send().await.map_err(request)?;
        let status = response.status();
        if !status.is_success() {
            return Err(WatcherError::Status {
                url: url.clone(),
                status: status.as_u16(),
            });
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_FEED_BYTES as u64)
        {
            return Err(WatcherError::TooLarge { url: url.clone() });
        }
        // Read as it arrives, and stop at the cap: a server that sends without end does not fill the memory.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(request)? {
            if body.len() + chunk.len() > MAX_FEED_BYTES {
                return Err(WatcherError::TooLarge { url: url.clone() });
            }
            body.extend_from_slice(&chunk);
        }
        let mut hasher = DefaultHasher::new();
        body.hash(&mut hasher);
        let hash = hasher.finish();
        if self.last_import == Some(hash) {
            return Ok(PollOutcome::Unchanged);
        }
        let import = self.recorder.import_feed(body).await?;
        self.last_import = Some(hash);
        Ok(PollOutcome::Imported {
            created: import.applied.created.len(),
            updated: import.applied.updated.len(),
        })
    }
}
