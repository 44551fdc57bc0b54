//! Watching IRCC's feed: poll the feed URL, and record the rounds that are new or corrected, which emits their
//! events. One replica polls at a time (the store's poller lock). A failed poll is logged and retried with backoff;
//! it never writes half an import (an import is one transaction).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use ee_domain::Catalog;
use ee_store::{OnConflict, Store};
use tokio::sync::watch;

use crate::live::EventHub;

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

struct Watcher {
    config: FeedWatchConfig,
    store: Store,
    catalog: &'static Catalog,
    hub: EventHub,
    http: reqwest::Client,
    last_import: Option<u64>,
}

/// Polls until `stop` turns true: at once, then every `interval`; after a failure, again after 1 s, 2 s, 4 s ... up
/// to `interval`.
pub fn spawn_feed_watcher(
    config: FeedWatchConfig,
    store: Store,
    catalog: &'static Catalog,
    hub: EventHub,
    mut stop: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let http = reqwest::Client::builder()
        .timeout(config.timeout)
        .user_agent(concat!("ee-server/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let mut w = Watcher {
        config,
        store,
        catalog,
        hub,
        http,
        last_import: None,
    };
    Ok(tokio::spawn(async move {
        tracing::info!(url = %w.config.url, interval = ?w.config.interval, "watching IRCC's feed");
        let mut failures: u32 = 0;
        loop {
            let wait = match w.poll().await {
                Ok(outcome) => {
                    failures = 0;
                    if let PollOutcome::Imported { created, updated } = outcome {
                        tracing::info!(created, updated, "imported IRCC's feed");
                    }
                    w.config.interval
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let backoff = Duration::from_secs(1u64 << failures.min(12).saturating_sub(1))
                        .min(w.config.interval);
                    tracing::warn!(error = %e, failures, retry_in = ?backoff, "polling IRCC's feed failed");
                    backoff
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }))
}

impl Watcher {
    async fn poll(&mut self) -> Result<PollOutcome, String> {
        let store = self.store.clone();
        let lock = tokio::task::spawn_blocking(move || store.try_lock_feed_poller())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let Some(lock) = lock else {
            // Another replica imports; what this one imported last may be stale by now.
            self.last_import = None;
            return Ok(PollOutcome::NotLeader);
        };
        let result = self.fetch_and_import().await;
        let _ = tokio::task::spawn_blocking(move || lock.release()).await;
        result
    }

    async fn fetch_and_import(&mut self) -> Result<PollOutcome, String> {
        let response = self
            .http
            .get(&self.config.url)
            .send()
            .await
            .map_err(|e| format!("GET {}: {e}", self.config.url))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("GET {}: HTTP {status}", self.config.url));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("GET {}: reading the body: {e}", self.config.url))?;
        let mut hasher = DefaultHasher::new();
        body.hash(&mut hasher);
        let hash = hasher.finish();
        if self.last_import == Some(hash) {
            return Ok(PollOutcome::Unchanged);
        }
        let catalog = self.catalog;
        let store = self.store.clone();
        let applied = tokio::task::spawn_blocking(move || {
            let draws = ee_ircc_feed::parse_feed(&body, catalog)
                .map_err(|e| format!("the feed is unreadable: {e}"))?;
            store
                .apply(&draws, OnConflict::Update)
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())??;
        self.hub.announce(&applied);
        self.last_import = Some(hash);
        Ok(PollOutcome::Imported {
            created: applied.created.len(),
            updated: applied.updated.len(),
        })
    }
}
