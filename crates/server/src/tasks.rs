//! Background tasks (the event pump, the PostgreSQL listener, the feed watcher) are watched: each runs until
//! shutdown, so one that ends before (returning or panicking) has died. Its death is logged with its cause and turns
//! readiness NOT_SERVING, so that Kubernetes takes the replica out of rotation instead of letting it serve stale
//! live rounds.

use ee_draw_service::BackgroundTask;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// The readiness services, turned NOT_SERVING when a task dies.
pub struct Supervisor {
    health: HealthReporter,
    readiness: &'static [&'static str],
    stopping: watch::Receiver<bool>,
}

impl Supervisor {
    /// `stopping` turns true when the server shuts down; tasks that end after that ended on purpose.
    pub fn new(
        health: HealthReporter,
        readiness: &'static [&'static str],
        stopping: watch::Receiver<bool>,
    ) -> Self {
        Self {
            health,
            readiness,
            stopping,
        }
    }

    /// Watches a task; the returned handle completes when the task has ended and its end was handled.
    pub fn watch(&self, task: BackgroundTask) -> JoinHandle<()> {
        let health = self.health.clone();
        let readiness = self.readiness;
        let stopping = self.stopping.clone();
        tokio::spawn(async move {
            let BackgroundTask { name, handle } = task;
            let outcome = handle.await;
            if *stopping.borrow() {
                tracing::debug!(task = name, "background task stopped");
                return;
            }
            let cause = match outcome {
                Ok(()) => "it returned before shutdown".to_owned(),
                Err(e) if e.is_panic() => {
                    let payload = e.into_panic();
                    let message = payload
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".to_owned());
                    format!("it panicked: {message}")
                }
                Err(e) => format!("it was cancelled: {e}"),
            };
            tracing::error!(task = name, cause = %cause, "a background task died: readiness is now NOT_SERVING");
            for service in readiness {
                health
                    .set_service_status(*service, ServingStatus::NotServing)
                    .await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_server::Health;
    use tonic_health::server::HealthService;

    const READY: &[&str] = &["expressentry.v1.DrawService"];

    async fn status(service: &impl Health) -> i32 {
        service
            .check(tonic::Request::new(HealthCheckRequest {
                service: READY[0].into(),
            }))
            .await
            .expect("check")
            .into_inner()
            .status
    }

    #[tokio::test]
    async fn a_task_that_dies_turns_readiness_not_serving() {
        for body in [
            tokio::spawn(async {}),
            tokio::spawn(async { panic!("the pump fell over") }),
        ] {
            let health = HealthReporter::new();
            let service = HealthService::from_health_reporter(health.clone());
            health
                .set_service_status(READY[0], ServingStatus::Serving)
                .await;
            let (_stop, stopping) = watch::channel(false);
            let supervisor = Supervisor::new(health, READY, stopping);
            assert_eq!(status(&service).await, ServingStatus::Serving as i32);
            let watched = supervisor.watch(BackgroundTask {
                name: "test task",
                handle: body,
            });
            tokio::time::timeout(Duration::from_secs(10), watched)
                .await
                .expect("handled")
                .expect("join");
            assert_eq!(status(&service).await, ServingStatus::NotServing as i32);
        }
    }

    #[tokio::test]
    async fn a_task_that_ends_at_shutdown_changes_nothing() {
        let health = HealthReporter::new();
        let service = HealthService::from_health_reporter(health.clone());
        health
            .set_service_status(READY[0], ServingStatus::Serving)
            .await;
        let (stop, stopping) = watch::channel(false);
        let supervisor = Supervisor::new(health, READY, stopping);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let watched = supervisor.watch(BackgroundTask {
            name: "test task",
            handle: tokio::spawn(async {
                let _ = rx.await;
            }),
        });
        stop.send_replace(true);
        let _ = tx.send(());
        watched.await.expect("join");
        assert_eq!(status(&service).await, ServingStatus::Serving as i32);
    }
}
