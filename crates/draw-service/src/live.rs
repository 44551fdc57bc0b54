//! Live rounds: one pump per process reads the event log in id order and broadcasts each event; each subscriber
//! has a forwarder task that filters, feeds a bounded channel, and catches up from the table when it falls behind.
//!
//! Why this has no gap: writers are serialised, so event ids are committed in increasing order; the pump reads
//! the table after every local write, every PostgreSQL notification, every listener reconnection, and on a timer.
//! A subscriber registers with the broadcast before it reads the table, so every event is either in the table when
//! it reads or broadcast after it registered; ids at or below its cursor are dropped, so none comes twice.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ee_domain::{DrawEvent, DrawFilter, error_chain};
use ee_proto::convert;
use ee_proto::error::ApiError;
use ee_proto::v1::SubscribeDrawsResponse;
use ee_store::{Applied, Store, StoreError};
use tokio::sync::{Notify, broadcast, mpsc, watch};
use tonic::Status;

use crate::BackgroundTask;

/// Limits and timings of live subscriptions.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Subscribers in this process, over all connections.
    pub max_subscribers: usize,
    /// Subscribers on one client connection.
    pub max_subscriptions_per_connection: usize,
    /// Messages buffered for each subscriber before it counts as behind.
    pub subscriber_buffer: usize,
    /// Events the broadcast keeps for subscribers that are behind; past it they catch up from the table.
    pub broadcast_capacity: usize,
    /// How often the pump reads the table even without a wake-up (a backstop for lost notifications).
    pub backstop_interval: Duration,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            max_subscribers: 20_000,
            max_subscriptions_per_connection: 1_000,
            subscriber_buffer: 16,
            broadcast_capacity: 4_096,
            backstop_interval: Duration::from_secs(10),
        }
    }
}

/// An event as broadcast: the domain event for filtering and its wire form, built once for every subscriber.
struct LiveEvent {
    event: DrawEvent,
    message: SubscribeDrawsResponse,
}

const READ_BATCH: usize = 500;

struct Inner {
    store: Store,
    config: LiveConfig,
    tx: broadcast::Sender<Arc<LiveEvent>>,
    /// The id of the last event broadcast.
    published: AtomicU64,
    wake: Notify,
    stop: watch::Sender<bool>,
    subscribers: AtomicUsize,
    per_connection: Mutex<HashMap<SocketAddr, usize>>,
}

/// The live events of this process. Cheap to clone.
#[derive(Clone)]
pub struct EventHub {
    inner: Arc<Inner>,
}

pub type EventStream =
    tokio_stream::wrappers::ReceiverStream<Result<SubscribeDrawsResponse, Status>>;

fn message(event: &DrawEvent) -> SubscribeDrawsResponse {
    SubscribeDrawsResponse {
        event: Some(convert::draw_event(event)),
    }
}

impl EventHub {
    /// Starts the pump (and, on PostgreSQL, the listener) from the latest event logged now. The tasks returned run
    /// until [`EventHub::shutdown`].
    pub async fn start(
        store: Store,
        config: LiveConfig,
    ) -> Result<(Self, Vec<BackgroundTask>), StoreError> {
        let latest = store.run(|s| s.latest_event_id()).await?;
        let (tx, _) = broadcast::channel(config.broadcast_capacity.max(16));
        let (stop, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            store,
            config,
            tx,
            published: AtomicU64::new(latest),
            wake: Notify::new(),
            stop,
            subscribers: AtomicUsize::new(0),
            per_connection: Mutex::new(HashMap::new()),
        });
        let waker = Arc::downgrade(&inner);
        let mut tasks = vec![BackgroundTask {
            name: "event pump",
            handle: tokio::spawn(pump(inner.clone())),
        }];
        if let Some(handle) = inner.store.spawn_event_listener(
            move || {
                if let Some(inner) = waker.upgrade() {
                    inner.wake.notify_one();
                }
            },
            inner.stop.subscribe(),
        ) {
            tasks.push(BackgroundTask {
                name: "event listener",
                handle,
            });
        }
        Ok((Self { inner }, tasks))
    }

    /// Tells the pump that a write committed events, if it did.
    pub fn announce(&self, applied: &Applied) {
        if !applied.events.is_empty() {
            self.inner.wake.notify_one();
        }
    }

    /// Ends every subscription with UNAVAILABLE and stops the pump and listener.
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
    }

    /// Opens a subscription. `after`: resume after this event id; `None`: live events only.
    pub async fn subscribe(
        &self,
        peer: Option<SocketAddr>,
        filter: DrawFilter,
        after: Option<u64>,
    ) -> Result<EventStream, ApiError> {
        if *self.inner.stop.borrow() {
            return Err(ApiError::Unavailable("the server is shutting down".into()));
        }
        let slot = Slot::reserve(self.inner.clone(), peer)?;
        // Register with the broadcast before reading the log, so that no event falls between the two.
        let rx = self.inner.tx.subscribe();
        let latest = self.inner.store.run(|s| s.latest_event_id()).await?;
        let cursor = match after {
            Some(after) if after > latest => {
                return Err(ApiError::OutOfRange(format!(
                    "after_event_id {after} is beyond the latest event, {latest}"
                )));
            }
            Some(after) => after,
            // Live only: everything committed from now on, whether or not the pump has broadcast it yet.
            None => latest,
        };
        let (tx, out) = mpsc::channel(self.inner.config.subscriber_buffer.max(1));
        let stop = self.inner.stop.subscribe();
        tokio::spawn(forward(
            self.inner.store.clone(),
            filter,
            cursor,
            rx,
            tx,
            stop,
            slot,
        ));
        Ok(tokio_stream::wrappers::ReceiverStream::new(out))
    }
}

/// Reads the table after each wake-up and broadcasts what it has not broadcast yet, in id order.
async fn pump(inner: Arc<Inner>) {
    let mut stop = inner.stop.subscribe();
    loop {
        tokio::select! {
            () = inner.wake.notified() => {}
            () = tokio::time::sleep(inner.config.backstop_interval) => {}
            _ = stop.changed() => return,
        }
        loop {
            let after = inner.published.load(Ordering::SeqCst);
            let batch = match inner
                .store
                .run(move |s| s.events_after(after, READ_BATCH))
                .await
            {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %error_chain(&e), "cannot read the event log; retrying on the next wake-up");
                    break;
                }
            };
            let full = batch.len() == READ_BATCH;
            for event in batch {
                let id = event.id;
                let message = message(&event);
                // No receiver is not an error: nobody is subscribed.
                let _ = inner.tx.send(Arc::new(LiveEvent { event, message }));
                inner.published.store(id, Ordering::SeqCst);
            }
            if !full {
                break;
            }
        }
    }
}

/// A place among the subscribers, given back when dropped.
struct Slot {
    inner: Arc<Inner>,
    peer: Option<SocketAddr>,
}

impl Slot {
    fn reserve(inner: Arc<Inner>, peer: Option<SocketAddr>) -> Result<Self, ApiError> {
        let max = inner.config.max_subscribers;
        if inner
            .subscribers
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .is_err()
        {
            return Err(ApiError::ResourceExhausted(format!(
                "this server already has its maximum of {max} subscribers; retry later or on another replica"
            )));
        }
        if let Some(peer) = peer {
            let per = inner.config.max_subscriptions_per_connection;
            let mut map = inner
                .per_connection
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let n = map.entry(peer).or_insert(0);
            if *n >= per {
                drop(map);
                inner.subscribers.fetch_sub(1, Ordering::SeqCst);
                return Err(ApiError::ResourceExhausted(format!(
                    "this connection already has its maximum of {per} subscriptions; open another connection"
                )));
            }
            *n += 1;
        }
        Ok(Self { inner, peer })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.inner.subscribers.fetch_sub(1, Ordering::SeqCst);
        if let Some(peer) = self.peer {
            let mut map = self
                .inner
                .per_connection
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(n) = map.get_mut(&peer) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&peer);
                }
            }
        }
    }
}

const SHUTTING_DOWN: &str = "the server is shutting down; subscribe again (to another replica) with after_event_id set to the last event_id received";

/// Why a forwarder stopped.
enum End {
    ClientGone,
    Shutdown,
    Failed(StoreError),
}

type Out = mpsc::Sender<Result<SubscribeDrawsResponse, Status>>;

/// Sends one message, unless the client goes away or the server shuts down first.
async fn send(
    tx: &Out,
    stop: &mut watch::Receiver<bool>,
    message: SubscribeDrawsResponse,
) -> Result<(), End> {
    tokio::select! {
        sent = tx.send(Ok(message)) => sent.map_err(|_| End::ClientGone),
        _ = stop.wait_for(|s| *s) => Err(End::Shutdown),
    }
}

async fn forward(
    store: Store,
    filter: DrawFilter,
    mut cursor: u64,
    mut rx: broadcast::Receiver<Arc<LiveEvent>>,
    tx: Out,
    mut stop: watch::Receiver<bool>,
    slot: Slot,
) {
    let end = async {
        loop {
            // Catch up from the table: everything after the cursor that is committed now.
            loop {
                let after = cursor;
                let batch = store
                    .run(move |s| s.events_after(after, READ_BATCH))
                    .await
                    .map_err(End::Failed)?;
                let full = batch.len() == READ_BATCH;
                for event in batch {
                    cursor = event.id;
                    if event.matches(&filter) {
                        send(&tx, &mut stop, message(&event)).await?;
                    }
                }
                if !full {
                    break;
                }
            }
            // Live: from the broadcast, until this subscriber falls behind it.
            loop {
                let received = tokio::select! {
                    r = rx.recv() => r,
                    () = tx.closed() => return Err(End::ClientGone),
                    _ = stop.wait_for(|s| *s) => return Err(End::Shutdown),
                };
                match received {
                    Ok(live) => {
                        if live.event.id <= cursor {
                            continue;
                        }
                        cursor = live.event.id;
                        if live.event.matches(&filter) {
                            send(&tx, &mut stop, live.message.clone()).await?;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::debug!(
                            missed,
                            cursor,
                            "subscriber fell behind; catching up from the event log"
                        );
                        break;
                    }
                    Err(broadcast::error::RecvError::Closed) => return Err(End::Shutdown),
                }
            }
        }
    }
    .await;
    match end {
        Ok(()) | Err(End::ClientGone) => {}
        Err(End::Shutdown) => {
            let _ = tx.try_send(Err(Status::unavailable(SHUTTING_DOWN)));
        }
        Err(End::Failed(e)) => {
            tracing::warn!(error = %error_chain(&e), cursor, "subscription ended: cannot read the event log");
            let _ = tx.try_send(Err(Status::unavailable(format!(
                "cannot read the event log; subscribe again with after_event_id {cursor}"
            ))));
        }
    }
    drop(slot);
}
