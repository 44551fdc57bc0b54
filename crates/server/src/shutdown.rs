//! Stopping: on a signal, readiness turns NOT_SERVING, live subscriptions end with UNAVAILABLE, background tasks
//! stop, and calls in flight get the shutdown timeout before the server stops anyway.

use std::future::Future;
use std::time::Duration;

use ee_draw_service::EventHub;
use tokio::sync::watch;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::grpc::READINESS;

/// Tells every part of the server to stop.
pub struct Stopper {
    pub health: HealthReporter,
    pub hub: EventHub,
    pub stop: watch::Sender<bool>,
}

impl Stopper {
    /// Waits for `signal`, then stops everything but the calls in flight.
    pub async fn stop_on(self, signal: impl Future<Output = ()>) {
        signal.await;
        tracing::info!("shutting down: readiness is now NOT_SERVING");
        for name in READINESS {
            self.health
                .set_service_status(name, ServingStatus::NotServing)
                .await;
        }
        // Streams end with UNAVAILABLE so that subscribers resume elsewhere; the pump, listener and watcher stop.
        self.hub.shutdown();
        self.stop.send_replace(true);
    }
}

/// Completes `grace` after `stop` turns true: the bound on calls in flight.
pub async fn grace_expired(mut stop: watch::Receiver<bool>, grace: Duration) {
    let _ = stop.wait_for(|s| *s).await;
    tokio::time::sleep(grace).await;
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
