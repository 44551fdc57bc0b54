//! Readiness, and what it follows. Background tasks (the event pump, the PostgreSQL listener, the feed watcher, the
//! database watch) are watched: each runs until shutdown, so one that ends before (returning or panicking) has
//! died; its death is logged with its cause and turns readiness NOT_SERVING for good, so that Kubernetes takes the
//! replica out of rotation instead of letting it serve stale live rounds. The database watch turns readiness
//! NOT_SERVING while the database cannot be reached, and SERVING again when it can.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ee_draw_service::metrics_names::{READ_MODEL_AGE, READ_MODEL_BEHIND};
use ee_draw_service::{BackgroundTask, ReadModel};
use ee_store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

#[derive(Debug, Default)]
struct State {
    database_unreachable: bool,
    model_behind: bool,
    dead_task: Option<&'static str>,
}

/// The readiness of the named services: SERVING while the database answers, no task has died and the server is not
/// stopping.
#[derive(Clone)]
pub struct Readiness {
    health: HealthReporter,
    services: &'static [&'static str],
    stopping: watch::Receiver<bool>,
    state: Arc<Mutex<State>>,
}

impl Readiness {
    /// `stopping` turns true when the server shuts down; from then on readiness stays NOT_SERVING.
    pub fn new(
        health: HealthReporter,
        services: &'static [&'static str],
        stopping: watch::Receiver<bool>,
    ) -> Self {
        Self {
            health,
            services,
            stopping,
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    async fn update(&self, change: impl FnOnce(&mut State)) {
        let serving = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            change(&mut state);
            !state.database_unreachable
                && !state.model_behind
                && state.dead_task.is_none()
                && !*self.stopping.borrow()
        };
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        for service in self.services {
            self.health.set_service_status(*service, status).await;
        }
    }

    /// Whether the database answered the last check.
    pub async fn database(&self, reachable: bool) {
        self.update(|s| s.database_unreachable = !reachable).await;
    }

    /// Whether the history in memory keeps up with the event log.
    pub async fn model(&self, keeps_up: bool) {
        self.update(|s| s.model_behind = !keeps_up).await;
    }

    async fn task_died(&self, name: &'static str) {
        self.update(|s| s.dead_task = Some(name)).await;
    }

    fn stopping(&self) -> bool {
        *self.stopping.borrow()
    }
}

/// Watches background tasks; a task that ends before shutdown turns readiness NOT_SERVING.
pub struct Supervisor {
    readiness: Readiness,
}

impl Supervisor {
    pub fn new(readiness: Readiness) -> Self {
        Self { readiness }
    }

    /// Watches a task; the returned handle completes when the task has ended and its end was handled.
    pub fn watch(&self, task: BackgroundTask) -> JoinHandle<()> {
        let readiness = self.readiness.clone();
        tokio::spawn(async move {
            let BackgroundTask { name, handle } = task;
            let outcome = handle.await;
            if readiness.stopping() {
                tracing::debug!(task = name, "background task stopped");
                return;
            }
            let cause = match outcome {
                Ok(()) => "it returned before shutdown".to_owned(),
                Err(e) if e.is_panic() => {
                    format!(
                        "it panicked: {}",
                        ee_domain::panic_message(&*e.into_panic())
                    )
                }
                Err(e) => format!("it was cancelled: {e}"),
            };
            tracing::error!(task = name, cause = %cause, "a background task died: readiness is now NOT_SERVING");
            readiness.task_died(name).await;
        })
    }
}

/// Checks every `interval` that the database answers within `timeout`, and that the history in memory keeps up
/// with the event log: it must show, at each check, the latest event the previous check saw (a model that is behind
/// for a whole interval has lost its way to the log). Tells readiness; logs each change.
pub fn watch_database(
    store: Store,
    model: ReadModel,
    readiness: Readiness,
    interval: Duration,
    timeout: Duration,
    mut stop: watch::Receiver<bool>,
) -> BackgroundTask {
    let handle = tokio::spawn(async move {
        let mut reachable = true;
        let mut model_keeps_up = true;
        // The latest event the previous check saw logged, and when.
        let mut logged = model.event_id();
        let mut checked_at = Instant::now();
        // The last time the model was known to show every event logged: its age is measured from it.
        let mut current_at = checked_at;
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            let answer = tokio::time::timeout(timeout, store.run(|s| s.ping())).await;
            let now = matches!(answer, Ok(Ok(())));
            let latest = match now {
                true => tokio::time::timeout(timeout, store.run(|s| s.latest_event_id()))
                    .await
                    .ok()
                    .and_then(Result::ok),
                false => None,
            };
            if let Some(latest) = latest {
                let shown = model.event_id();
                let keeps_up = shown >= logged;
                let at = Instant::now();
                if shown >= latest {
                    current_at = at;
                } else if keeps_up {
                    current_at = current_at.max(checked_at);
                }
                metrics::gauge!(READ_MODEL_BEHIND).set(latest.saturating_sub(shown) as f64);
                metrics::gauge!(READ_MODEL_AGE).set(at.duration_since(current_at).as_secs_f64());
                if keeps_up != model_keeps_up {
                    if keeps_up {
                        tracing::info!(
                            event = model.event_id(),
                            "the history in memory has caught up with the event log"
                        );
                    } else {
                        tracing::warn!(
                            shows = model.event_id(),
                            logged,
                            "the history in memory is behind the event log: readiness is NOT_SERVING"
                        );
                    }
                    model_keeps_up = keeps_up;
                }
                readiness.model(keeps_up).await;
                logged = latest;
                checked_at = at;
            }
            if now != reachable {
                match &answer {
                    Ok(Ok(())) => {
                        tracing::info!("the database answers again: readiness is SERVING")
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %ee_domain::error_chain(e), "the database cannot be reached: readiness is NOT_SERVING")
                    }
                    Err(_) => tracing::warn!(
                        ?timeout,
                        "the database does not answer: readiness is NOT_SERVING"
                    ),
                }
                reachable = now;
            }
            readiness.database(now).await;
        }
    });
    BackgroundTask {
        name: "database watch",
        handle,
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
            let supervisor = Supervisor::new(Readiness::new(health, READY, stopping));
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
        let supervisor = Supervisor::new(Readiness::new(health, READY, stopping));
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
