//! Builds the application (store, services, health, reflection) and runs it until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use ee_domain::Catalog;
use ee_draw_service::{
    Authorizer, Draws, EventHub, FeedWatchConfig, LiveConfig, OperatorToken, spawn_feed_watcher,
};
use ee_eligibility_service::Eligibility;
use ee_store::{OnConflict, Store};
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

use crate::config::Settings;

/// The services whose readiness is reported by name.
const READINESS: [&str; 2] = [
    ee_proto::DRAW_SERVICE_NAME,
    ee_proto::ELIGIBILITY_SERVICE_NAME,
];

/// Opens the database, runs the migrations, and loads the shipped snapshot into an empty database.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = settings.database_url.clone();
    let pool_size = settings.database_pool_size;
    let load_snapshot = settings.load_snapshot;
    tokio::task::spawn_blocking(move || -> anyhow::Result<Store> {
        let store = Store::connect(&url, pool_size)?;
        let ran = store.migrate()?;
        tracing::info!(backend = ?store.backend(), migrations_run = ran, "database ready");
        if load_snapshot && store.count_all()? == 0 {
            let draws =
                ee_ircc_feed::parse_feed(ee_ircc_feed::SHIPPED_SNAPSHOT, Catalog::builtin())
                    .context("the shipped feed snapshot")?;
            let applied = store.apply(&draws, OnConflict::Update)?;
            tracing::info!(
                rounds = applied.created.len(),
                snapshot = ee_ircc_feed::SHIPPED_SNAPSHOT_NAME,
                "loaded the shipped feed snapshot into an empty database"
            );
        }
        Ok(store)
    })
    .await?
}

/// A built application: the port is bound and the database is ready.
pub struct Application {
    listener: TcpListener,
    store: Store,
    hub: EventHub,
    settings: Settings,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let store = open_store(&settings).await?;
        let hub = EventHub::start(
            store.clone(),
            LiveConfig {
                max_subscribers: settings.max_subscribers,
                max_subscriptions_per_connection: settings.max_subscriptions_per_connection,
                backstop_interval: settings
                    .event_backstop_interval
                    .max(Duration::from_millis(100)),
                ..LiveConfig::default()
            },
        )
        .await
        .context("starting live events")?;
        Ok(Self {
            listener,
            store,
            hub,
            settings,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves until `shutdown` completes; then readiness turns not serving, calls in flight get
    /// `shutdown_timeout` to finish, and the server stops.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            store,
            hub,
            settings,
        } = self;
        let (health, health_service) = tonic_health::server::health_reporter();
        let token = settings
            .operator_token
            .as_ref()
            .and_then(|s| OperatorToken::new(s.expose()));
        if token.is_none() {
            tracing::warn!(
                "no operator token is configured: RecordDraw and ImportFeed are refused"
            );
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        if let Some(url) = settings.ircc_feed_url.clone() {
            spawn_feed_watcher(
                FeedWatchConfig {
                    url,
                    interval: settings.ircc_feed_interval.max(Duration::from_millis(100)),
                    timeout: settings.ircc_feed_timeout,
                },
                store.clone(),
                Catalog::builtin(),
                hub.clone(),
                stop_rx.clone(),
            )
            .map_err(anyhow::Error::msg)?;
        }
        let eligibility = Eligibility::new(store.clone(), Catalog::builtin());
        let draws = Draws::new(
            store,
            Catalog::builtin(),
            Authorizer::new(token),
            hub.clone(),
        );
        let reflection_v1 = reflection().build_v1()?;
        let reflection_v1alpha = reflection().build_v1alpha()?;

        health.set_service_status("", ServingStatus::Serving).await;
        for name in READINESS {
            health
                .set_service_status(name, ServingStatus::Serving)
                .await;
        }

        // Room for the subscriptions allowed on a connection, plus unary calls beside them.
        let streams_per_connection = u32::try_from(
            settings
                .max_subscriptions_per_connection
                .saturating_add(100),
        )
        .unwrap_or(u32::MAX);
        let mut builder = Server::builder()
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .max_concurrent_streams(streams_per_connection);
        if !settings.max_connection_age.is_zero() {
            builder = builder
                .max_connection_age(settings.max_connection_age)
                .max_connection_age_grace(Duration::from_secs(30));
        }
        let addr = listener.local_addr()?;
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let mut serve_stopped = stop_rx.clone();
        let server = builder
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(draws.into_server())
            .add_service(eligibility.into_server())
            .serve_with_incoming_shutdown(incoming, async move {
                let _ = serve_stopped.wait_for(|stopped| *stopped).await;
            });
        tracing::info!(%addr, "serving gRPC");

        let grace = settings.shutdown_timeout;
        let mut stopped = stop_rx;
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: readiness is now NOT_SERVING");
            for name in READINESS {
                health
                    .set_service_status(name, ServingStatus::NotServing)
                    .await;
            }
            // Streams end with UNAVAILABLE so that subscribers resume elsewhere; the feed watcher stops.
            hub.shutdown();
            let _ = stop_tx.send(true);
        });
        tokio::pin!(server);
        tokio::select! {
            result = &mut server => result?,
            _ = async {
                let _ = stopped.wait_for(|s| *s).await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(timeout = ?grace, "calls still in flight after the shutdown timeout; stopping anyway");
            }
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Reflection over every service served, whichever reflection version a client speaks.
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .include_reflection_service(false)
        .register_encoded_file_descriptor_set(ee_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
