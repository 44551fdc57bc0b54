#![doc = include_str!("../README.md")]

mod connection;
mod error;
mod listener;
pub mod payload;
mod rows;
mod schema;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use ee_domain::{
    CategoryId, Draw, DrawChange, DrawEvent, DrawFilter, DrawNumber, Program, RoundKind,
};

pub use connection::{DatabaseUrl, DbConnection, without_password};
pub use error::StoreError;
pub use listener::ListenerError;
use listener::spawn_listener;
use rows::{DrawRow, EventRow, NewEventRow};
use schema::{draw_events, draws};

/// How long a call waits for a database connection unless told otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The PostgreSQL channel on which each committed write announces its highest event id.
pub const EVENTS_CHANNEL: &str = "ee_draw_events";
/// Held by the replica that polls IRCC's feed, so that one replica polls at a time.
const FEED_POLLER_LOCK_KEY: i64 = 0x6565_6665_6564_706c;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
/// Held while migrating, so that replicas starting together migrate once.
const MIGRATION_LOCK_KEY: i64 = 0x6565_6d69_6772_6174;

/// The backend behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What to do with a round that is stored with different content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Replace it: the feed is the source of truth and IRCC corrects old rounds.
    Update,
    /// Refuse the whole batch with [`StoreError::Conflict`].
    Reject,
}

/// The outcome of [`Store::apply`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    pub created: Vec<Draw>,
    /// Each changed round, before and after.
    pub updated: Vec<(Draw, Draw)>,
    pub unchanged: Vec<Draw>,
    /// The events logged for the changes, in id order.
    pub events: Vec<DrawEvent>,
}

/// Where a page of [`Store::list`] starts: after the round with this sort key (newest first). The same key orders
/// the history in memory ([`ee_domain::History`]), so a page token works on either.
pub type PageKey = ee_domain::SortKey;

/// The names of the store's metrics (recorded through the `metrics` facade; the server exports them).
pub mod metrics_names {
    /// Histogram: seconds spent waiting for a pooled database connection.
    pub const POOL_WAIT: &str = "ee_db_pool_wait_seconds";
    /// Counter: requests for a pooled connection that failed (none free within the connect timeout, or the
    /// database cannot be reached).
    pub const POOL_TIMEOUTS: &str = "ee_db_pool_timeouts_total";
    /// Gauge, by `state` (`in_use`, `idle`): the pool's connections.
    pub const POOL_CONNECTIONS: &str = "ee_db_pool_connections";
    /// Gauge: the most connections the pool opens.
    pub const POOL_MAX_CONNECTIONS: &str = "ee_db_pool_max_connections";

    /// Describes the store's metrics and exports its counters at 0.
    pub fn describe() {
        metrics::describe_histogram!(
            POOL_WAIT,
            metrics::Unit::Seconds,
            "Time spent waiting for a pooled database connection"
        );
        metrics::describe_counter!(
            POOL_TIMEOUTS,
            "Requests for a pooled database connection that failed within the connect timeout"
        );
        metrics::describe_gauge!(
            POOL_CONNECTIONS,
            "Database connections in the pool, by state"
        );
        metrics::describe_gauge!(POOL_MAX_CONNECTIONS, "The most connections the pool opens");
        metrics::counter!(POOL_TIMEOUTS).absolute(0);
    }
}

/// The rounds of invitations, in SQLite or PostgreSQL. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: connection::Pool,
    url: DatabaseUrl,
    backend: Backend,
    /// SQLite allows one writer; serialising writers here avoids lock-upgrade failures between pooled connections.
    write_lock: Arc<Mutex<()>>,
}

type Query<'a> = draws::BoxedQuery<'a, <DbConnection as Connection>::Backend>;

impl Store {
    /// Connects to the database the URL names, with at most `pool_size` connections and the default connection
    /// timeout.
    pub fn connect(url: &str, pool_size: u32) -> Result<Self, StoreError> {
        Self::connect_with(url, pool_size, DEFAULT_CONNECT_TIMEOUT)
    }

    /// Connects with at most `pool_size` connections; a connection (new, or free in the pool) not had within
    /// `connect_timeout` is [`StoreError::Pool`] or [`StoreError::Connect`], which are UNAVAILABLE.
    pub fn connect_with(
        url: &str,
        pool_size: u32,
        connect_timeout: std::time::Duration,
    ) -> Result<Self, StoreError> {
        let url = DatabaseUrl::parse(url)?;
        let backend = match url {
            DatabaseUrl::Postgres(_) => Backend::Postgres,
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
        };
        Ok(Self {
            pool: connection::pool(url.clone(), pool_size, connect_timeout)?,
            url,
            backend,
            write_lock: Arc::new(Mutex::new(())),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs blocking store work off the async threads: the one hand-off from async code to the store. The work runs
    /// in the caller's tracing span; a panic in it is raised again in the caller, as if the work had run there.
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        off_the_async_threads(move || work(&store)).await
    }

    /// [`Store::connect_with`] from async code.
    pub async fn open(
        url: &str,
        pool_size: u32,
        connect_timeout: std::time::Duration,
    ) -> Result<Self, StoreError> {
        let url = url.to_owned();
        off_the_async_threads(move || Self::connect_with(&url, pool_size, connect_timeout)).await
    }

    /// Whether the database answers.
    pub fn ping(&self) -> Result<(), StoreError> {
        diesel::sql_query("SELECT 1").execute(&mut *self.conn()?)?;
        Ok(())
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<connection::Manager>, StoreError> {
        let asked = std::time::Instant::now();
        let got = self.pool.get();
        metrics::histogram!(metrics_names::POOL_WAIT).record(asked.elapsed().as_secs_f64());
        if got.is_err() {
            metrics::counter!(metrics_names::POOL_TIMEOUTS).increment(1);
        }
        Ok(got?)
    }

    /// Sets the pool gauges (connections in use, idle, and the maximum) to the pool's state now; the metrics
    /// endpoint calls it before each scrape.
    pub fn record_pool_metrics(&self) {
        let state = self.pool.state();
        let idle = state.idle_connections;
        let in_use = state.connections.saturating_sub(idle);
        metrics::gauge!(metrics_names::POOL_CONNECTIONS, "state" => "in_use")
            .set(f64::from(in_use));
        metrics::gauge!(metrics_names::POOL_CONNECTIONS, "state" => "idle").set(f64::from(idle));
        metrics::gauge!(metrics_names::POOL_MAX_CONNECTIONS).set(f64::from(self.pool.max_size()));
    }

    /// Runs the migrations not yet applied; returns how many ran.
    pub fn migrate(&self) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let failed =
            |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(e.to_string());
        match &mut *conn {
            DbConnection::Sqlite(c) => c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.len())
                .map_err(failed),
            DbConnection::Postgres(c) => {
                diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                    .execute(c)?;
                let ran = c
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|v| v.len())
                    .map_err(failed);
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                    .execute(c)?;
                ran
            }
        }
    }

    /// How many of this release's migrations the database has not run.
    pub fn pending_migrations(&self) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let failed =
            |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(e.to_string());
        match &mut *conn {
            DbConnection::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
            DbConnection::Postgres(c) => c.pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
        }
        .map_err(failed)
    }

    pub fn count_all(&self) -> Result<u64, StoreError> {
        let n: i64 = draws::table.count().get_result(&mut *self.conn()?)?;
        Ok(n as u64)
    }

    pub fn get(&self, number: &DrawNumber) -> Result<Option<Draw>, StoreError> {
        draws::table
            .find(number.to_string())
            .select(DrawRow::as_select())
            .first(&mut *self.conn()?)
            .optional()?
            .map(DrawRow::into_draw)
            .transpose()
    }

    /// Up to `limit` rounds matching the filter, newest first, starting after `after`.
    pub fn list(
        &self,
        filter: &DrawFilter,
        after: Option<PageKey>,
        limit: usize,
    ) -> Result<Vec<Draw>, StoreError> {
        let mut q = filtered(filter);
        if let Some(k) = after {
            let t = k.held_at.naive_utc();
            q = q.filter(
                draws::held_at
                    .lt(t)
                    .or(draws::held_at.eq(t).and(draws::number_key.lt(k.number_key))),
            );
        }
        q.order((draws::held_at.desc(), draws::number_key.desc()))
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(DrawRow::as_select())
            .load(&mut *self.conn()?)?
            .into_iter()
            .map(DrawRow::into_draw)
            .collect()
    }

    pub fn count(&self, filter: &DrawFilter) -> Result<u64, StoreError> {
        let n: i64 = filtered(filter).count().get_result(&mut *self.conn()?)?;
        Ok(n as u64)
    }

    /// Every round matching the filter, newest first.
    pub fn all(&self, filter: &DrawFilter) -> Result<Vec<Draw>, StoreError> {
        self.list(filter, None, usize::MAX)
    }

    /// The rounds stored with a round type the catalogue did not know when they were recorded, oldest first.
    pub fn uncatalogued(&self) -> Result<Vec<Draw>, StoreError> {
        draws::table
            .filter(draws::uncatalogued.eq(true))
            .order((draws::held_at.asc(), draws::number_key.asc()))
            .select(DrawRow::as_select())
            .load(&mut *self.conn()?)?
            .into_iter()
            .map(DrawRow::into_draw)
            .collect()
    }

    /// Whether some stored round is of this category (catalogued or derived from a label).
    pub fn has_category(&self, id: &CategoryId) -> Result<bool, StoreError> {
        let n: i64 = draws::table
            .filter(draws::category_id.eq(id.as_str()))
            .count()
            .get_result(&mut *self.conn()?)?;
        Ok(n > 0)
    }

    /// Writes rounds in one transaction; see [`OnConflict`] for rounds stored with other content. Each round number
    /// appears at most once in a batch (callers resolve duplicates first), so each round gets at most one event.
    pub fn apply(&self, incoming: &[Draw], on_conflict: OnConflict) -> Result<Applied, StoreError> {
        let mut numbers = std::collections::HashSet::with_capacity(incoming.len());
        if let Some(d) = incoming.iter().find(|d| !numbers.insert(d.number)) {
            return Err(StoreError::Misuse(format!(
                "round {} appears twice in one batch",
                d.number
            )));
        }
        let _guard = self
            .write_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut conn = self.conn()?;
        let now = Utc::now();
        (*conn).transaction(|conn: &mut DbConnection| {
            if let DbConnection::Postgres(pg) = conn {
                // One writer at a time across replicas: compare-then-write must not interleave.
                diesel::sql_query("LOCK TABLE draws IN SHARE ROW EXCLUSIVE MODE").execute(pg)?;
            }
            let existing = stored_versions(conn, incoming)?;
            let mut applied = Applied::default();
            let mut changes: Vec<(DrawChange, Draw, Option<Draw>)> = Vec::new();
            for d in incoming {
                match existing.get(&d.number) {
                    None => {
                        diesel::insert_into(draws::table)
                            .values(DrawRow::new(d, now)?)
                            .execute(conn)?;
                        applied.created.push(d.clone());
                        changes.push((DrawChange::Created, d.clone(), None));
                    }
                    Some(old) if old == d => applied.unchanged.push(d.clone()),
                    Some(_) if on_conflict == OnConflict::Reject => {
                        return Err(StoreError::Conflict(d.number.to_string()));
                    }
                    Some(old) => {
                        update_row(conn, &DrawRow::new(d, now)?)?;
                        applied.updated.push((old.clone(), d.clone()));
                        changes.push((DrawChange::Updated, d.clone(), Some(old.clone())));
                    }
                }
            }
            applied.events = log_events(conn, changes, now)?;
            Ok(applied)
        })
    }
}

/// The stored version of each round of a batch that is stored.
fn stored_versions(
    conn: &mut DbConnection,
    incoming: &[Draw],
) -> Result<HashMap<DrawNumber, Draw>, StoreError> {
    let mut existing = HashMap::new();
    for chunk in incoming.chunks(500) {
        let numbers: Vec<String> = chunk.iter().map(|d| d.number.to_string()).collect();
        let rows: Vec<DrawRow> = draws::table
            .filter(draws::number.eq_any(numbers))
            .select(DrawRow::as_select())
            .load(conn)?;
        for row in rows {
            let d = row.into_draw()?;
            existing.insert(d.number, d);
        }
    }
    Ok(existing)
}

/// Replaces a stored round's content, keeping when it was first recorded.
fn update_row(conn: &mut DbConnection, row: &DrawRow) -> Result<(), StoreError> {
    diesel::update(draws::table.find(&row.number))
        .set((
            draws::held_at.eq(row.held_at),
            draws::number_key.eq(row.number_key),
            draws::round_kind.eq(&row.round_kind),
            draws::program.eq(&row.program),
            draws::category_id.eq(&row.category_id),
            draws::category_version.eq(row.category_version),
            draws::round_name.eq(&row.round_name),
            draws::invitations.eq(row.invitations),
            draws::minimum_crs.eq(row.minimum_crs),
            draws::tie_break_at.eq(row.tie_break_at),
            draws::eligible_programs.eq(&row.eligible_programs),
            draws::pool_distribution.eq(&row.pool_distribution),
            draws::updated_at.eq(row.updated_at),
            draws::uncatalogued.eq(row.uncatalogued),
        ))
        .execute(conn)?;
    Ok(())
}

/// Appends a batch's changes to the event log, in the order the rounds were held (feeds list the newest first),
/// and on PostgreSQL announces the last id to every replica on commit.
fn log_events(
    conn: &mut DbConnection,
    mut changes: Vec<(DrawChange, Draw, Option<Draw>)>,
    now: DateTime<Utc>,
) -> Result<Vec<DrawEvent>, StoreError> {
    changes.sort_by_key(|(_, d, _)| (d.held_at, d.number.sort_key()));
    let mut events = Vec::with_capacity(changes.len());
    for (change, draw, previous) in changes {
        let row = NewEventRow::new(change, &draw, previous.as_ref(), now)?;
        let id: i64 = diesel::insert_into(draw_events::table)
            .values(&row)
            .returning(draw_events::event_id)
            .get_result(conn)?;
        events.push(DrawEvent {
            id: u64::try_from(id).map_err(|_| StoreError::Corrupt(format!("event id {id}")))?,
            change,
            draw,
            previous,
            recorded_at: row.recorded_at.and_utc(),
        });
    }
    if let (DbConnection::Postgres(pg), Some(last)) = (conn, events.last()) {
        // Delivered on commit; listeners read the events from the table.
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(EVENTS_CHANNEL)
            .bind::<diesel::sql_types::Text, _>(last.id.to_string())
            .execute(pg)?;
    }
    Ok(events)
}

impl Store {
    /// On PostgreSQL, starts this replica's listener for events committed by any replica: `wake` is called on
    /// each, and after a lost connection comes back. SQLite is one process: its writers wake their own readers.
    pub fn spawn_event_listener(
        &self,
        wake: impl Fn() + Send + Sync + 'static,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        match &self.url {
            DatabaseUrl::Postgres(url) => Some(spawn_listener(url.clone(), wake, stop)),
            DatabaseUrl::Sqlite(_) => None,
        }
    }

    /// The id of the latest event logged; 0 when there is none.
    pub fn latest_event_id(&self) -> Result<u64, StoreError> {
        let id: Option<i64> = draw_events::table
            .select(diesel::dsl::max(draw_events::event_id))
            .first(&mut *self.conn()?)?;
        Ok(id.unwrap_or(0) as u64)
    }

    /// Up to `limit` events with an id greater than `after`, in id order.
    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<DrawEvent>, StoreError> {
        draw_events::table
            .filter(draw_events::event_id.gt(i64::try_from(after).unwrap_or(i64::MAX)))
            .order(draw_events::event_id.asc())
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(EventRow::as_select())
            .load(&mut *self.conn()?)?
            .into_iter()
            .map(EventRow::into_event)
            .collect()
    }

    /// The feed poller's lock: `None` when another replica holds it. SQLite (one process) always grants it.
    pub fn try_lock_feed_poller(&self) -> Result<Option<PollerLock>, StoreError> {
        let mut conn = self.conn()?;
        if let DbConnection::Postgres(pg) = &mut *conn {
            #[derive(QueryableByName)]
            struct Locked {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                locked: bool,
            }
            let got: Locked = diesel::sql_query(format!(
                "SELECT pg_try_advisory_lock({FEED_POLLER_LOCK_KEY}) AS locked"
            ))
            .get_result(pg)?;
            if !got.locked {
                return Ok(None);
            }
        }
        Ok(Some(PollerLock { conn: Some(conn) }))
    }
}

/// Held while this replica polls IRCC's feed; release it with [`PollerLock::release`]. If the process dies, the
/// database releases it with the connection.
pub struct PollerLock {
    conn: Option<r2d2::PooledConnection<connection::Manager>>,
}

impl PollerLock {
    pub fn release(mut self) -> Result<(), StoreError> {
        if let Some(mut conn) = self.conn.take()
            && let DbConnection::Postgres(pg) = &mut *conn
        {
            diesel::sql_query(format!("SELECT pg_advisory_unlock({FEED_POLLER_LOCK_KEY})"))
                .execute(pg)?;
        }
        Ok(())
    }
}

impl Drop for PollerLock {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take()
            && let DbConnection::Postgres(pg) = &mut *conn
        {
            let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({FEED_POLLER_LOCK_KEY})"))
                .execute(pg);
        }
    }
}

/// Runs blocking work on the blocking pool, in the caller's tracing span; a panic in it is raised again here.
async fn off_the_async_threads<T, F>(work: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    let span = tracing::Span::current();
    match tokio::task::spawn_blocking(move || span.in_scope(work)).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(StoreError::Cancelled(e.to_string())),
    }
}

/// The rounds a filter selects, as a query both backends run.
fn filtered(f: &DrawFilter) -> Query<'static> {
    let mut q = draws::table.into_boxed();
    if let Some(k) = f.kind {
        q = q.filter(draws::round_kind.eq(k.code()));
    }
    if let Some(p) = f.program {
        q = q.filter(draws::program.eq(Program::code(p)));
        q = q.filter(draws::round_kind.eq(RoundKind::Program.code()));
    }
    if let Some(id) = &f.category {
        q = q.filter(draws::category_id.eq(id.to_string()));
    }
    if let Some(v) = f.category_version {
        q = q.filter(draws::category_version.eq(i32::try_from(v).unwrap_or(i32::MAX)));
    }
    if let Some(t) = f.held_after {
        q = q.filter(draws::held_at.ge(t.naive_utc()));
    }
    if let Some(t) = f.held_before {
        q = q.filter(draws::held_at.lt(t.naive_utc()));
    }
    q
}
