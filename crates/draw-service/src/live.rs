//! Live rounds: one pump per process reads the event log in id order and broadcasts each event; each subscriber
//! has a forwarder task that filters, feeds a bounded channel, and catches up from the table when it falls behind.
//!
//! Why this has no gap: writers are serialised, so event ids are committed in increasing order; the pump reads
//! the table after every local write, every PostgreSQL notification, every listener reconnection, and on a timer.
//! A subscriber registers with the broadcast before it reads the table, so every event is either in the table when
//! it reads or broadcast after it registered; ids at or below its cursor are dropped, so none comes twice.
//!
//! Memory per subscriber is bounded whatever its `after_event_id`, and it is the same for one that never reads:
//! - the forwarder reads the table a page at a time, and only once the channel has room for the whole page (it
//!   holds a permit for each event of the page before it reads it), so the page in hand and the messages in the
//!   channel together never exceed [`LiveConfig::subscriber_buffer`] (16) messages, boxed;
//! - the stream hands tonic at most that many messages before it pauses, so an encoded chunk holds at most 16
//!   messages, and the transport holds at most two chunks of a stream whose client does not read (one being sent,
//!   one waiting for the client's flow-control window);
//! - live events are shared by every subscriber (one `Arc` each in a broadcast of
//!   [`LiveConfig::broadcast_capacity`] events per process), encoded once for all of them (each subscriber's
//!   message shares the bytes); a lagging subscriber holds only its position.
//!
//! So a stalled subscriber holds at most 16 messages in its channel and 32 in tonic's chunks, its task, channel and
//! HTTP/2 stream:
//! measured at 19 KiB (PostgreSQL) to 27 KiB (SQLite) per stream with 2,000 replays of the shipped history that
//! are never read (`cargo bench -p ee-tests --bench live`). All of it is freed when the stream ends, whichever side
//! ends it.
//!
//! How a stream ends: the forwarder leaves the ending in a slot beside the channel, then drops its end of the
//! channel, so an ending never waits for room in the channel. On shutdown the stream drops the messages it still
//! buffers and ends with `UNAVAILABLE` the next time it is polled; when the event log cannot be read it hands on
//! the messages it buffers, then ends with `UNAVAILABLE`. Either status names the `after_event_id` to subscribe
//! again with: the id of the last event the stream handed on (or, before any, the point it started from).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use ee_domain::{DrawEvent, DrawFilter, error_chain};
use ee_proto::convert;
use ee_proto::encoded::Encoded;
use ee_proto::error::ApiError;
use ee_proto::v1::SubscribeDrawsResponse;
use ee_store::{Applied, Store, StoreError};
use tokio::sync::mpsc::{self, PermitIterator};
use tokio::sync::{Notify, broadcast, watch};
use tokio_stream::Stream;
use tonic::Status;

use crate::BackgroundTask;
use crate::metrics_names::{EVENTS_DELIVERED, EVENTS_PUBLISHED, SUBSCRIBER_LAG, SUBSCRIBERS};
use crate::read_model::ReadModel;

/// Limits and timings of live subscriptions.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Subscribers in this process, over all connections.
    pub max_subscribers: usize,
    /// Subscribers on one client connection.
    pub max_subscriptions_per_connection: usize,
    /// Messages buffered for each subscriber before it counts as behind; also the largest page of the event log a
    /// subscriber reads at once, so the bound on what one holds.
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

/// An event as broadcast: the domain event for filtering and its message, encoded once for every subscriber.
struct LiveEvent {
    event: DrawEvent,
    message: Encoded<SubscribeDrawsResponse>,
}

/// A message on its way to one subscriber, with the id of its event (where the subscriber resumes after it).
struct Outgoing {
    event_id: u64,
    message: Encoded<SubscribeDrawsResponse>,
}

impl Outgoing {
    fn new(event: &DrawEvent) -> Self {
        Self {
            event_id: event.id,
            message: message(event),
        }
    }
}

const READ_BATCH: usize = 500;

struct Inner {
    store: Store,
    config: LiveConfig,
    /// The history in memory, kept current by the pump before it broadcasts.
    model: ReadModel,
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

fn message(event: &DrawEvent) -> Encoded<SubscribeDrawsResponse> {
    Encoded::new(&SubscribeDrawsResponse {
        event: Some(convert::draw_event(event)),
    })
}

impl EventHub {
    /// Loads the history into memory and starts the pump (and, on PostgreSQL, the listener) from the latest event
    /// logged now. The tasks returned run until [`EventHub::shutdown`].
    pub async fn start(
        store: Store,
        config: LiveConfig,
    ) -> Result<(Self, Vec<BackgroundTask>), StoreError> {
        let model = ReadModel::load(&store).await?;
        let latest = model.event_id();
        let (tx, _) = broadcast::channel(config.broadcast_capacity.max(16));
        let (stop, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            store,
            config,
            model,
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

    /// The history in memory.
    pub fn model(&self) -> &ReadModel {
        &self.inner.model
    }

    /// Completes once this process's history in memory shows the event `id`, or the server stops (the pump that
    /// would apply it has stopped then).
    pub async fn shows(&self, id: u64) {
        let mut stop = self.inner.stop.subscribe();
        tokio::select! {
            () = self.inner.model.shows(id) => {}
            _ = stop.wait_for(|s| *s) => {}
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
        let ending = Arc::new(OnceLock::new());
        let forwarder = Forwarder {
            store: self.inner.store.clone(),
            hub: self.inner.clone(),
            filter,
            cursor,
            tx,
            stop: self.inner.stop.subscribe(),
        };
        // In the call's span, so that what the forwarder logs names the call and its peer.
        tokio::spawn(tracing::Instrument::in_current_span(forwarder.run(
            rx,
            ending.clone(),
            slot,
        )));
        Ok(EventStream {
            rx: out,
            ending,
            resume_after: cursor,
            burst: 0,
            ended: false,
        })
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
            // The history in memory first: a subscriber that hears of a round finds it with GetDraw.
            inner.model.apply(&batch);
            for event in batch {
                let id = event.id;
                let message = message(&event);
                // No receiver is not an error: nobody is subscribed.
                let _ = inner.tx.send(Arc::new(LiveEvent { event, message }));
                inner.published.store(id, Ordering::SeqCst);
                metrics::counter!(EVENTS_PUBLISHED).increment(1);
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
        metrics::gauge!(SUBSCRIBERS).increment(1.0);
        Ok(Self { inner, peer })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.inner.subscribers.fetch_sub(1, Ordering::SeqCst);
        metrics::gauge!(SUBSCRIBERS).decrement(1.0);
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

/// How a subscription ended, left by its forwarder in a slot beside the channel before it drops its end of it.
#[derive(Debug, Clone, Copy)]
enum Ending {
    /// The server is shutting down: the messages still buffered are dropped and the status goes out next.
    Shutdown,
    /// The event log could not be read: the messages buffered go out first, then the status.
    LogUnreadable,
}

/// A subscription as handed to tonic: the messages of its channel, then a status that says how to resume.
pub struct EventStream {
    /// Boxed: the channel's storage is allocated in blocks of 32 slots whatever its capacity, and a message is
    /// 40 bytes inline.
    rx: mpsc::Receiver<Box<Outgoing>>,
    ending: Arc<OnceLock<Ending>>,
    /// The id of the last event handed on, or the cursor the subscription started from: where the client resumes.
    resume_after: u64,
    /// Messages handed on since the stream last answered `Pending`; see [`EventStream::poll_next`].
    burst: usize,
    ended: bool,
}

impl EventStream {
    /// The status the stream ends with; what is left in the channel is dropped now.
    fn end(&mut self) -> Status {
        self.ended = true;
        self.rx.close();
        while self.rx.try_recv().is_ok() {}
        let after = self.resume_after;
        let (why, whereto) = match self.ending.get() {
            Some(Ending::Shutdown) => ("the server is shutting down", ", to another replica,"),
            Some(Ending::LogUnreadable) => ("cannot read the event log", ""),
            // The forwarder stopped without saying why (it panicked): the client can still resume.
            None => ("the subscription ended unexpectedly", ""),
        };
        Status::unavailable(format!(
            "{why}; subscribe again{whereto} with after_event_id {after} to receive every event after the last one this stream sent"
        ))
    }
}

impl Stream for EventStream {
    type Item = Result<Encoded<SubscribeDrawsResponse>, Status>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        if let Some(Ending::Shutdown) = this.ending.get() {
            return Poll::Ready(Some(Err(this.end())));
        }
        // tonic encodes the messages that are ready into one chunk of up to 32 KiB, and the transport holds up to two
        // chunks for a stream its client does not read: a pause after a channel's worth keeps a chunk to that.
        if this.burst >= this.rx.max_capacity() {
            this.burst = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(out)) => {
                this.resume_after = out.event_id;
                this.burst += 1;
                Poll::Ready(Some(Ok(out.message)))
            }
            // The forwarder left its ending before it dropped the sender.
            Poll::Ready(None) => Poll::Ready(Some(Err(this.end()))),
            Poll::Pending => {
                this.burst = 0;
                Poll::Pending
            }
        }
    }
}

/// Why a forwarder stopped.
enum End {
    ClientGone,
    Shutdown,
    Failed(StoreError),
}

type Out = mpsc::Sender<Box<Outgoing>>;

/// Feeds one subscriber: catches up from the table, then follows the broadcast until it falls behind it.
struct Forwarder {
    store: Store,
    /// For the id of the last event published, against which lag is measured.
    hub: Arc<Inner>,
    filter: DrawFilter,
    /// The id of the last event considered (sent, or not selected by the filter).
    cursor: u64,
    tx: Out,
    stop: watch::Receiver<bool>,
}

impl Forwarder {
    async fn run(
        mut self,
        mut rx: broadcast::Receiver<Arc<LiveEvent>>,
        ending: Arc<OnceLock<Ending>>,
        slot: Slot,
    ) {
        let end = loop {
            if let Err(end) = self.catch_up().await {
                break end;
            }
            if let Err(end) = self.follow(&mut rx).await {
                break end;
            }
        };
        match end {
            End::ClientGone => {}
            End::Shutdown => {
                let _ = ending.set(Ending::Shutdown);
            }
            End::Failed(e) => {
                tracing::warn!(error = %error_chain(&e), cursor = self.cursor, "subscription ended: cannot read the event log");
                let _ = ending.set(Ending::LogUnreadable);
            }
        }
        // The ending is set before the sender is dropped, which wakes the stream.
        drop(self);
        drop(slot);
    }

    /// Sends everything after the cursor that is committed now, a page at a time: a page is read only once the
    /// channel has room for all of it, so the page in hand and the channel never hold more than its capacity.
    async fn catch_up(&mut self) -> Result<(), End> {
        loop {
            let mut permits = room(&self.tx, &mut self.stop).await?;
            let page_size = permits.len();
            let after = self.cursor;
            let page = tokio::select! {
                biased;
                _ = self.stop.wait_for(|s| *s) => return Err(End::Shutdown),
                page = self.store.run(move |s| s.events_after(after, page_size)) => page.map_err(End::Failed)?,
            };
            let full = page.len() == page_size;
            for event in page {
                self.cursor = event.id;
                if event.matches(&self.filter) {
                    // One permit per event of the page, so there is always one.
                    if let Some(permit) = permits.next() {
                        permit.send(Box::new(Outgoing::new(&event)));
                        self.delivered(event.id);
                    }
                }
            }
            if !full {
                return Ok(());
            }
        }
    }

    fn delivered(&self, id: u64) {
        metrics::counter!(EVENTS_DELIVERED).increment(1);
        let head = self.hub.published.load(Ordering::Relaxed);
        metrics::histogram!(SUBSCRIBER_LAG).record(head.saturating_sub(id) as f64);
    }

    /// Live events from the broadcast; returns when this subscriber has fallen behind it.
    async fn follow(&mut self, rx: &mut broadcast::Receiver<Arc<LiveEvent>>) -> Result<(), End> {
        loop {
            let received = tokio::select! {
                biased;
                _ = self.stop.wait_for(|s| *s) => return Err(End::Shutdown),
                () = self.tx.closed() => return Err(End::ClientGone),
                r = rx.recv() => r,
            };
            match received {
                Ok(live) => {
                    if live.event.id <= self.cursor {
                        continue;
                    }
                    self.cursor = live.event.id;
                    if live.event.matches(&self.filter) {
                        let permit = tokio::select! {
                            biased;
                            _ = self.stop.wait_for(|s| *s) => return Err(End::Shutdown),
                            permit = self.tx.reserve() => permit.map_err(|_| End::ClientGone)?,
                        };
                        permit.send(Box::new(Outgoing {
                            event_id: live.event.id,
                            message: live.message.clone(),
                        }));
                        self.delivered(live.event.id);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(
                        missed,
                        cursor = self.cursor,
                        "subscriber fell behind; catching up from the event log"
                    );
                    return Ok(());
                }
                Err(broadcast::error::RecvError::Closed) => return Err(End::Shutdown),
            }
        }
    }
}

/// Waits until at least half the channel is free, and reserves all that is free.
async fn room<'a>(
    tx: &'a Out,
    stop: &mut watch::Receiver<bool>,
) -> Result<PermitIterator<'a, Box<Outgoing>>, End> {
    let wanted = tx.capacity().max(tx.max_capacity().div_ceil(2));
    // Shutdown first: a subscriber that is reading is stopped as promptly as one that is not.
    tokio::select! {
        biased;
        _ = stop.wait_for(|s| *s) => Err(End::Shutdown),
        permits = tx.reserve_many(wanted) => permits.map_err(|_| End::ClientGone),
    }
}
