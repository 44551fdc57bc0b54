//! Stopping: on a signal, readiness turns NOT_SERVING, live subscriptions and health watches end with UNAVAILABLE,
//! background tasks stop, unary calls in flight get the shutdown timeout, and then the server stops, closing the
//! connections of streams whose clients stopped reading.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ee_draw_service::EventHub;
use tokio::sync::watch;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_health::server::{HealthReporter, HealthService};

use crate::calls::CallTracker;
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
        // Stopping first: the task supervisor reads it when a background task ends, and the hub's shutdown ends the
        // PostgreSQL listener at once, which on another worker thread was taken for a task that died (an ERROR
        // in the log of a clean shutdown). Then streams end with UNAVAILABLE so that subscribers resume
        // elsewhere; the pump, listener and watcher stop; health watches end, after the NOT_SERVING above.
        self.stop.send_replace(true);
        self.hub.shutdown();
    }
}

/// `grpc.health.v1.Health` over `reporter`'s statuses, whose Watch streams send changes only and end once
/// `stopping` turns true: the update already made (NOT_SERVING) goes out first, then UNAVAILABLE. Without this an
/// open Watch would hold its connection, and so the server's exit, for the whole shutdown timeout. Check is
/// answered as before.
pub fn health_service(
    reporter: &HealthReporter,
    stopping: watch::Receiver<bool>,
) -> HealthServer<StoppingHealth> {
    HealthServer::new(StoppingHealth {
        inner: HealthService::from_health_reporter(reporter.clone()),
        stopping,
    })
}

/// The health service of `tonic_health`, with Watch streams that end when the server stops.
pub struct StoppingHealth {
    inner: HealthService,
    stopping: watch::Receiver<bool>,
}

const HEALTH_STOPPING: &str = "the server is shutting down; watch the health of another replica";

#[tonic::async_trait]
impl Health for StoppingHealth {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        self.inner.check(request).await
    }

    type WatchStream = UntilStopped<<HealthService as Health>::WatchStream>;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let updates = self.inner.watch(request).await?.into_inner();
        let mut stopping = self.stopping.clone();
        Ok(Response::new(UntilStopped {
            updates,
            stopped: Some(Box::pin(async move {
                // A dropped sender means the server is gone: stopped too.
                let _ = stopping.wait_for(|s| *s).await;
            })),
            last: None,
        }))
    }
}

/// A stream of health updates (changes only) that ends with UNAVAILABLE once the server stops, after the updates
/// already made.
pub struct UntilStopped<S> {
    updates: S,
    /// `None` once the final status has been handed on.
    stopped: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// The serving status last handed on.
    last: Option<i32>,
}

impl<S> Stream for UntilStopped<S>
where
    S: Stream<Item = Result<HealthCheckResponse, Status>> + Unpin,
{
    type Item = Result<HealthCheckResponse, Status>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(stopped) = this.stopped.as_mut() else {
            return Poll::Ready(None);
        };
        while let Poll::Ready(update) = Pin::new(&mut this.updates).poll_next(cx) {
            match update {
                // The reporter announces a status again each time it is set (readiness is set by several
                // watchers); a watcher hears of changes only.
                Some(Ok(response)) if this.last == Some(response.status) => {}
                Some(Ok(response)) => {
                    this.last = Some(response.status);
                    return Poll::Ready(Some(Ok(response)));
                }
                Some(Err(status)) => return Poll::Ready(Some(Err(status))),
                None => {
                    this.stopped = None;
                    return Poll::Ready(None);
                }
            }
        }
        match stopped.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.stopped = None;
                Poll::Ready(Some(Err(Status::unavailable(HEALTH_STOPPING))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Completes once the server may close its connections: after `stop` turns true, when no unary call is in flight
/// (at most `grace` later), and then `stream_drain` more, for the streams ended at shutdown to deliver their
/// UNAVAILABLE. Streams are not waited for: a client that stopped reading could otherwise hold the exit.
pub async fn drained(
    mut stop: watch::Receiver<bool>,
    calls: CallTracker,
    grace: Duration,
    stream_drain: Duration,
) {
    let _ = stop.wait_for(|s| *s).await;
    if tokio::time::timeout(grace, calls.idle()).await.is_err() {
        tracing::warn!(
            timeout = ?grace,
            in_flight = calls.in_flight(),
            "calls still in flight after the shutdown timeout; stopping anyway"
        );
    }
    tokio::time::sleep(stream_drain).await;
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
