//! Builds the application (rules, database, write path, live events, services, background tasks) and runs it until
//! shutdown. `build` constructs everything and binds the port first, so the port is known before anything serves.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ee_draw_service::{
    Authorizer, BackgroundTask, DrawRecorder, DrawServiceImpl, EventHub, FeedWatchConfig,
    FeedWatcher, LiveConfig, OperatorToken,
};
use ee_eligibility_service::EligibilityServiceImpl;
use ee_store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::calls::CallTracker;
use crate::config::Settings;
use crate::grpc::{self, READINESS};
use crate::incoming::http2_connections;
use crate::metrics::MetricsEndpoint;
use crate::rules::{self, RuleData};
use crate::shutdown::{self, Stopper, drained};
use crate::tasks::{Readiness, Supervisor, watch_database};
use crate::tls::{ReloadingTls, TlsFiles};

/// Opens the database; runs the migrations, or with `--migrate false` checks that none is pending.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = database_url(settings)?;
    let shown = ee_store::without_password(&url, &url);
    let store = Store::open(
        &url,
        settings.database_pool_size,
        settings.database_connect_timeout,
    )
    .await?;
    if settings.migrate {
        let ran = store.run(|s| s.migrate()).await?;
        tracing::info!(backend = ?store.backend(), database = %shown, migrations_run = ran, "database ready");
    } else {
        let pending = store.run(|s| s.pending_migrations()).await?;
        anyhow::ensure!(
            pending == 0,
            "the database is {pending} migration(s) behind this release, and this process does not migrate \
             (--migrate false, EE_MIGRATE=false): run `ee-server migrate` first (in Kubernetes, the migration Job)"
        );
        tracing::info!(backend = ?store.backend(), database = %shown, "database ready; its migrations are up to date");
    }
    Ok(store)
}

/// The database URL, from the settings or the file they name; the file's surrounding white space is ignored.
fn database_url(settings: &Settings) -> anyhow::Result<String> {
    let Some(path) = &settings.database_url_file else {
        return Ok(settings.database_url.clone());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the database URL file {}", path.display()))?;
    let url = text.trim();
    anyhow::ensure!(
        !url.is_empty(),
        "the database URL file {} is empty",
        path.display()
    );
    Ok(url.to_owned())
}

/// The rules, the database and the write path: what every subcommand needs.
pub async fn open_recorder(settings: &Settings) -> anyhow::Result<DrawRecorder> {
    let RuleData { rules, round_names } = rules::load(settings.rules_dir.as_deref())?;
    let store = open_store(settings).await?;
    Ok(DrawRecorder::new(store, rules, round_names))
}

/// Loads the shipped history into an empty database, and brings the stored round types in line with the catalogue.
async fn prepare_history(recorder: &DrawRecorder, load_snapshot: bool) -> anyhow::Result<()> {
    if load_snapshot
        && let Some(import) = recorder
            .seed_if_empty(ee_ircc_feed::SHIPPED_SNAPSHOT)
            .await
            .context("loading the shipped feed snapshot")?
    {
        tracing::info!(
            rounds = import.applied.created.len(),
            snapshot = ee_ircc_feed::SHIPPED_SNAPSHOT_NAME,
            "loaded the shipped feed snapshot into an empty database"
        );
    }
    recorder
        .reconcile_round_types()
        .await
        .context("bringing the stored round types in line with the catalogue")?;
    Ok(())
}

/// A built application: the port is bound, the database is ready, the background tasks run.
pub struct Application {
    listener: TcpListener,
    /// The plaintext health port (`--health-addr`).
    health_listener: Option<TcpListener>,
    metrics: Option<MetricsEndpoint>,
    tls: Option<Arc<ReloadingTls>>,
    store: Store,
    routes: Routes,
    health: HealthReporter,
    hub: EventHub,
    stop: watch::Sender<bool>,
    settings: Settings,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let health_listener = match settings.health_addr {
            Some(addr) => Some(TcpListener::bind(addr).await.with_context(|| {
                format!("cannot serve health checks on {addr} (--health-addr, EE_HEALTH_ADDR)")
            })?),
            None => None,
        };
        // Before anything records a metric, so that the counters exist from the start.
        let metrics = match settings.metrics_addr {
            Some(addr) => Some(MetricsEndpoint::bind(addr).await?),
            None => None,
        };
        let tls = tls_files(&settings).map(ReloadingTls::new).transpose()?;
        let auth = authorizer(&settings)?;
        let recorder = open_recorder(&settings).await?;
        prepare_history(&recorder, settings.load_snapshot).await?;
        let (hub, mut tasks) = EventHub::start(recorder.store().clone(), live_config(&settings))
            .await
            .context("starting live events")?;
        let recorder = recorder.with_hub(hub.clone());
        let (stop, stopping) = watch::channel(false);
        if let Some(url) = settings.ircc_feed_url.clone() {
            let config = FeedWatchConfig {
                url,
                interval: settings.ircc_feed_interval.max(Duration::from_millis(100)),
                timeout: settings.ircc_feed_timeout,
            };
            tasks.push(FeedWatcher::new(config, recorder.clone())?.spawn(stopping.clone()));
        }
        let health = HealthReporter::new();
        let health_service = shutdown::health_service(&health, stopping.clone());
        watch_tasks(&health, stopping, recorder.store(), &hub, &settings, tasks);
        let eligibility = EligibilityServiceImpl::new(
            std::sync::Arc::new(hub.model().clone()),
            recorder.rules().clone(),
        );
        let recorder_store = recorder.store().clone();
        let draws = DrawServiceImpl::new(recorder, auth, hub.clone());
        let routes = grpc::routes(&settings, health_service, draws, eligibility)?;
        for name in ["", READINESS[0], READINESS[1]] {
            health
                .set_service_status(name, ServingStatus::Serving)
                .await;
        }
        Ok(Self {
            listener,
            health_listener,
            metrics,
            tls,
            store: recorder_store,
            routes,
            health,
            hub,
            stop,
            settings,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The metrics port, when there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|m| m.local_addr().ok())
    }

    /// The plaintext health port, when there is one.
    pub fn health_addr(&self) -> Option<SocketAddr> {
        self.health_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// Serves until `shutdown` completes; then readiness turns not serving, streams end with UNAVAILABLE, unary
    /// calls in flight get `shutdown_timeout` to finish, streams `stream_drain_timeout` to deliver their status, and
    /// the server stops.
    pub async fn run_until(
        mut self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.listener.local_addr()?;
        if let Some(listener) = self.health_listener.take() {
            self.serve_health(listener);
        }
        if let Some(metrics) = self.metrics.take() {
            let store = self.store.clone();
            let sampler: crate::metrics::Sampler = Arc::new(move || store.record_pool_metrics());
            tokio::spawn(metrics.serve(sampler, self.stop.subscribe()));
        }
        match &self.tls {
            Some(tls) => tls
                .clone()
                .spawn_reloader(self.settings.tls_reload_interval, self.stop.subscribe()),
            None => crate::tls::ignore_hangups(self.stop.subscribe()),
        }
        let incoming = http2_connections(
            self.listener,
            self.settings.handshake_timeout,
            self.tls.clone(),
        );
        let mut served_until = self.stop.subscribe();
        let calls = CallTracker::new();
        let drained = drained(
            self.stop.subscribe(),
            calls.clone(),
            self.settings.shutdown_timeout,
            self.settings.stream_drain_timeout,
        );
        let server = grpc::server(&self.settings, calls)
            .add_routes(self.routes)
            .serve_with_incoming_shutdown(incoming, async move {
                let _ = served_until.wait_for(|stopped| *stopped).await;
            });
        let stopper = Stopper {
            health: self.health,
            hub: self.hub,
            stop: self.stop,
        };
        tokio::spawn(stopper.stop_on(shutdown));
        tracing::info!(%addr, tls = self.tls.is_some(), "serving gRPC");
        tokio::select! {
            result = server => result?,
            // Connections that are still open (a subscriber that stopped reading, a call past the timeout) are
            // closed with the server.
            () = drained => {}
        }
        tracing::info!("stopped");
        Ok(())
    }
}

impl Application {
    /// grpc.health.v1 alone, in plaintext, over the same statuses, until the server stops.
    fn serve_health(&self, listener: TcpListener) {
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let health = shutdown::health_service(&self.health, self.stop.subscribe());
        let incoming = http2_connections(listener, self.settings.handshake_timeout, None);
        let mut stopped = self.stop.subscribe();
        let server = grpc::transport(&self.settings)
            .add_service(health)
            .serve_with_incoming_shutdown(incoming, async move {
                let _ = stopped.wait_for(|s| *s).await;
            });
        tracing::info!(%addr, "serving health checks in plaintext");
        tokio::spawn(async move {
            if let Err(e) = server.await {
                tracing::error!(error = %e, "the health port stopped");
            }
        });
    }
}

/// The TLS files of the settings, if TLS is on.
fn tls_files(settings: &Settings) -> Option<TlsFiles> {
    Some(TlsFiles {
        cert: settings.tls_cert.clone()?,
        key: settings.tls_key.clone()?,
        client_ca: settings.tls_client_ca.clone(),
    })
}

fn live_config(settings: &Settings) -> LiveConfig {
    LiveConfig {
        max_subscribers: settings.max_subscribers,
        max_subscriptions_per_connection: settings.max_subscriptions_per_connection,
        backstop_interval: settings
            .event_backstop_interval
            .max(Duration::from_millis(100)),
        ..LiveConfig::default()
    }
}

/// The operator token, from the settings or the file they name; never logged.
fn authorizer(settings: &Settings) -> anyhow::Result<Authorizer> {
    let token =
        match (&settings.operator_token, &settings.operator_token_file) {
            (Some(_), Some(_)) => {
                anyhow::bail!("give the operator token or the file holding it, not both")
            }
            (Some(token), None) => OperatorToken::new(token.expose()),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read the operator token file {}", path.display())
                })?;
                Some(OperatorToken::new(text).with_context(|| {
                    format!("the operator token file {} is empty", path.display())
                })?)
            }
            (None, None) => None,
        };
    if token.is_none() {
        tracing::warn!("no operator token is configured: RecordDraw and ImportFeed are refused");
    }
    Ok(Authorizer::new(token))
}

/// Readiness follows the database, the history in memory and the background tasks.
fn watch_tasks(
    health: &HealthReporter,
    stopping: watch::Receiver<bool>,
    store: &Store,
    hub: &EventHub,
    settings: &Settings,
    mut tasks: Vec<BackgroundTask>,
) {
    let readiness = Readiness::new(health.clone(), &READINESS, stopping.clone());
    tasks.push(watch_database(
        store.clone(),
        hub.model().clone(),
        readiness.clone(),
        settings
            .database_check_interval
            .max(Duration::from_millis(100)),
        settings
            .database_connect_timeout
            .max(Duration::from_millis(100)),
        stopping,
    ));
    let supervisor = Supervisor::new(readiness);
    for task in tasks {
        drop(supervisor.watch(task));
    }
}
