//! The history in memory: every read of DrawService (GetDraw, ListDraws, GetLatestDraw, GetDrawStats) and the
//! round lookup of CheckInvitation are answered from an immutable [`Snapshot`] of the history, swapped atomically
//! when the event log moves on. Readers never wait on a writer: they take the current snapshot (an `Arc`) and keep
//! it for the whole call, so a call sees one consistent history even while a write lands.
//!
//! The database stays the source of truth. The model is loaded from it at start, then kept current by the event
//! pump of [`crate::EventHub`]: on every replica, from the same ordered events that subscribers get, applied before
//! they are broadcast (a subscriber that hears of a round finds it with GetDraw). Consistency:
//! - a write returns once the writing replica's model shows it (read-your-writes; the recorder waits for it);
//! - other replicas show it within the event delivery latency (NOTIFY, or the backstop timer if a notification
//!   is lost); a model that fell behind (a listener reconnecting) catches up from the log in id order;
//! - readiness turns NOT_SERVING when the model stays behind the log from one database check to the next.
//!
//! Each round is kept with its wire form encoded once (as field 1 of an answer: the whole of a GetDrawResponse or a
//! GetLatestDrawResponse, and a page of ListDraws is such fields end to end), and the statistics over the whole
//! history are computed and encoded once per snapshot; see [`ee_proto::encoded`].

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use arc_swap::ArcSwap;
use bytes::Bytes;
use ee_domain::rules::Rules;
use ee_domain::{
    CategoryId, Draw, DrawEvent, DrawFilter, DrawLookup, DrawNumber, History, StatsReport,
};
use ee_proto::convert;
use ee_proto::encoded::{self, Encoded};
use ee_proto::v1;
use ee_store::{Store, StoreError};
use tokio::sync::watch;

use crate::metrics_names::{READ_MODEL_EVENT_ID, READ_MODEL_ROUNDS};

/// The history as of one event of the log.
pub struct Snapshot {
    /// The last event applied.
    pub event_id: u64,
    pub history: History,
    /// Each round's wire form as field 1 of an answer ([`encoded::field`]).
    encoded: HashMap<DrawNumber, Bytes>,
    unfiltered_stats: OnceLock<Encoded<v1::GetDrawStatsResponse>>,
    /// When this snapshot was made.
    pub made_at: Instant,
}

impl Snapshot {
    fn new(event_id: u64, history: History, encoded: HashMap<DrawNumber, Bytes>) -> Self {
        Self {
            event_id,
            history,
            encoded,
            unfiltered_stats: OnceLock::new(),
            made_at: Instant::now(),
        }
    }

    /// A round of this snapshot, encoded as field 1 of an answer: the whole of a `GetDrawResponse` or a
    /// `GetLatestDrawResponse` (their round is field 1), or one round of a `ListDrawsResponse` page.
    pub fn draw_field(&self, draw: &Draw) -> Bytes {
        match self.encoded.get(&draw.number) {
            Some(bytes) => bytes.clone(),
            None => draw_field(draw),
        }
    }

    /// GetDrawStats over the rounds the filter selects; over the whole history it is computed once per snapshot.
    pub fn stats(&self, filter: &DrawFilter, rules: &Rules) -> Encoded<v1::GetDrawStatsResponse> {
        let compute = || {
            Encoded::new(&convert::stats_response(
                &StatsReport::over(self.history.matching(filter).map(|d| &**d)),
                &rules.catalog,
            ))
        };
        if *filter == DrawFilter::default() {
            self.unfiltered_stats.get_or_init(compute).clone()
        } else {
            compute()
        }
    }
}

/// A round's wire form as field 1 of an answer.
fn draw_field(draw: &Draw) -> Bytes {
    encoded::field(1, &convert::draw(draw))
}

/// The size and position of the model, as metrics.
fn record(snapshot: &Snapshot) {
    metrics::gauge!(READ_MODEL_ROUNDS).set(snapshot.history.len() as f64);
    metrics::gauge!(READ_MODEL_EVENT_ID).set(snapshot.event_id as f64);
}

/// The current snapshot, and the id of the last event applied (to wait on). Cheap to clone.
#[derive(Clone)]
pub struct ReadModel {
    current: Arc<ArcSwap<Snapshot>>,
    applied: Arc<watch::Sender<u64>>,
}

impl ReadModel {
    /// Loads the history from the database. The events logged after the id read here are applied by the pump; one
    /// whose change the load already saw sets the same content again.
    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        let (event_id, draws) = store
            .run(|s| {
                let latest = s.latest_event_id()?;
                Ok((latest, s.all(&DrawFilter::default())?))
            })
            .await?;
        let encoded = draws.iter().map(|d| (d.number, draw_field(d))).collect();
        let snapshot = Snapshot::new(event_id, History::new(draws), encoded);
        record(&snapshot);
        Ok(Self {
            current: Arc::new(ArcSwap::from_pointee(snapshot)),
            applied: Arc::new(watch::channel(event_id).0),
        })
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The id of the last event the model shows.
    pub fn event_id(&self) -> u64 {
        *self.applied.borrow()
    }

    /// Applies events read from the log, in id order; those at or below the model's event id are skipped. Only the
    /// event pump calls it, so snapshots are made one after the other.
    pub fn apply(&self, events: &[DrawEvent]) {
        let current = self.current.load();
        let new: Vec<&DrawEvent> = events.iter().filter(|e| e.id > current.event_id).collect();
        let Some(last) = new.last().map(|e| e.id) else {
            return;
        };
        let mut encoded = current.encoded.clone();
        for e in &new {
            encoded.insert(e.draw.number, draw_field(&e.draw));
        }
        let history = current
            .history
            .with_changes(new.iter().map(|e| e.draw.clone()));
        let snapshot = Arc::new(Snapshot::new(last, history, encoded));
        record(&snapshot);
        self.current.store(snapshot);
        self.applied.send_replace(last);
    }

    /// Completes once the model shows the event `id`.
    pub async fn shows(&self, id: u64) {
        let mut applied = self.applied.subscribe();
        // The sender lives as long as `self`.
        let _ = applied.wait_for(|&applied| applied >= id).await;
    }
}

impl DrawLookup for ReadModel {
    fn draw(&self, number: &DrawNumber) -> Option<Arc<Draw>> {
        self.snapshot().history.get(number).cloned()
    }

    fn draws(&self, filter: &DrawFilter) -> Vec<Arc<Draw>> {
        self.snapshot().history.matching(filter).cloned().collect()
    }

    fn has_category(&self, id: &CategoryId) -> bool {
        self.snapshot().history.has_category(id)
    }
}
