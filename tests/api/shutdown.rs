//! How streams end: a subscriber whose buffers are full when the server stops, or whose event log cannot be read,
//! ends with UNAVAILABLE and the event id to resume after, never with a normal end; an open health watch does not
//! hold the server's exit.

use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};
use ee_proto::v1::DrawEvent;
use ee_test_support::streams::{PATIENCE, next_event, number, subscribe_stalled, until_end};
use ee_test_support::{Backend, TestApp, on_both_backends};
use tokio_stream::StreamExt;
use tonic::{Code, Status, Streaming};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

/// Long enough that a server which waited for it would fail the bound below.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server may take to exit once its streams have ended: a bound against hanging, not a speed target.
const EXIT_BOUND: Duration = Duration::from_secs(10);
/// Time for a replay that nobody reads to fill the client's window and every buffer behind it (milliseconds are
/// enough; the test holds if it takes longer, it just does not test a full buffer then).
const FILL: Duration = Duration::from_secs(1);

/// What a stalled replay from the start received before it ended, checked for order and gaps: the shipped history
/// is logged as one CREATED event per round, in the order they were held.
fn check_replay(first: &DrawEvent, rest: &[DrawEvent]) -> u64 {
    assert_eq!(number(first), "1");
    let mut last = first.event_id;
    for e in rest {
        assert!(e.event_id > last, "in order, none twice");
        last = e.event_id;
    }
    last
}

/// The status a stream must end with: UNAVAILABLE, naming the event to resume after.
fn expect_resume_hint(end: Option<Status>, last: u64) -> Status {
    let status =
        end.expect("a status, not a normal end (OK) that would tell the client it is over");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(
        status
            .message()
            .contains(&format!("after_event_id {last} ")),
        "the status names the last event sent: {status:?}"
    );
    status
}

/// A watch of readiness, open before the server stops, since a stopping server takes no new calls.
async fn watch_readiness(app: &TestApp) -> Streaming<HealthCheckResponse> {
    let mut watch = HealthClient::new(app.channel().await)
        .watch(HealthCheckRequest {
            service: ee_proto::DRAW_SERVICE_NAME.into(),
        })
        .await
        .expect("Health.Watch")
        .into_inner();
    let first = next_update(&mut watch)
        .await
        .expect("an update")
        .expect("a status");
    assert_eq!(first.status(), ServingStatus::Serving);
    watch
}

async fn next_update(
    watch: &mut Streaming<HealthCheckResponse>,
) -> Option<Result<HealthCheckResponse, Status>> {
    tokio::time::timeout(PATIENCE, watch.next())
        .await
        .expect("an update or the end within the patience bound")
}

async fn a_stalled_replay_ends_with_unavailable_and_its_resume_point_when_the_server_stops(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |s| s.shutdown_timeout = SHUTDOWN_TIMEOUT).await;
    let mut stalled = subscribe_stalled(&app, Some(0), None).await;
    let first = next_event(&mut stalled).await;
    let mut readiness = watch_readiness(&app).await;
    tokio::time::sleep(FILL).await;

    let stopping = tokio::spawn(app.stop());
    let update = next_update(&mut readiness).await.expect("an update");
    assert_eq!(
        update.expect("a status").status(),
        ServingStatus::NotServing
    );
    // The subscriptions are ended right after readiness turns NOT_SERVING.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (rest, end) = until_end(&mut stalled).await;
    let last = check_replay(&first, &rest);
    let status = expect_resume_hint(end, last);
    assert!(status.message().contains("shutting down"), "{status:?}");
    assert!(
        rest.len() + 1 < 435,
        "the replay was cut by the shutdown, not finished first ({} events)",
        rest.len() + 1
    );
    tokio::time::timeout(EXIT_BOUND, stopping)
        .await
        .expect("the server exits once its streams have ended, well within its shutdown timeout")
        .expect("join")
        .expect("clean exit");
}

/// Makes the event log of `app` unreadable under it: its PostgreSQL database is dropped (connections and all), or
/// its SQLite table of events is.
fn break_the_event_log(app: &TestApp) {
    let url = app.database_url();
    match app.backend {
        Backend::Postgres => {
            let name = url
                .rsplit('/')
                .next()
                .and_then(|n| n.split('?').next())
                .expect("a database name");
            let admin = ee_test_support::db::postgres_admin_url();
            let mut admin = diesel::PgConnection::establish(&admin).expect("admin connection");
            diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .execute(&mut admin)
                .expect("drop the server's database");
        }
        Backend::Sqlite => {
            let path = url.strip_prefix("sqlite://").expect("a SQLite URL");
            let mut conn = diesel::SqliteConnection::establish(path).expect("open the file");
            diesel::sql_query("PRAGMA busy_timeout = 10000")
                .execute(&mut conn)
                .expect("busy timeout");
            diesel::sql_query("DROP TABLE draw_events")
                .execute(&mut conn)
                .expect("drop the event log");
        }
    }
}

async fn a_subscriber_whose_event_log_cannot_be_read_ends_with_unavailable_and_its_resume_point(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let mut stalled = subscribe_stalled(&app, Some(0), None).await;
    let first = next_event(&mut stalled).await;
    tokio::time::sleep(FILL).await;
    break_the_event_log(&app);
    // Reading makes room, so the subscriber's next page of the replay is read from the log, and fails.
    let (rest, end) = until_end(&mut stalled).await;
    let last = check_replay(&first, &rest);
    let status = expect_resume_hint(end, last);
    assert!(
        status.message().contains("cannot read the event log"),
        "{status:?}"
    );
    assert!(rest.len() + 1 < 435, "the log failed mid-replay");
}

async fn an_open_health_watch_does_not_hold_shutdown(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.shutdown_timeout = SHUTDOWN_TIMEOUT).await;
    let mut health = HealthClient::new(app.channel().await);
    let watch = |service: &str| {
        let mut client = health.clone();
        let request = HealthCheckRequest {
            service: service.into(),
        };
        async move {
            client
                .watch(request)
                .await
                .expect("Health.Watch")
                .into_inner()
        }
    };
    let mut liveness = watch("").await;
    let mut readiness = watch(ee_proto::DRAW_SERVICE_NAME).await;
    for stream in [&mut liveness, &mut readiness] {
        let first = stream.next().await.expect("an update").expect("a status");
        assert_eq!(first.status(), ServingStatus::Serving);
    }
    let checked = health
        .check(HealthCheckRequest {
            service: ee_proto::DRAW_SERVICE_NAME.into(),
        })
        .await
        .expect("Check beside open watches")
        .into_inner();
    assert_eq!(checked.status(), ServingStatus::Serving);

    let started = Instant::now();
    let stopping = tokio::spawn(app.stop());
    let update = next_update(&mut readiness)
        .await
        .expect("the stream is open")
        .expect("NOT_SERVING before the end");
    assert_eq!(update.status(), ServingStatus::NotServing);
    for stream in [&mut readiness, &mut liveness] {
        match next_update(stream).await {
            Some(Err(status)) => assert_eq!(status.code(), Code::Unavailable, "{status:?}"),
            None => {}
            Some(Ok(update)) => panic!("no more updates after NOT_SERVING: {update:?}"),
        }
    }
    tokio::time::timeout(EXIT_BOUND, stopping)
        .await
        .expect("an open watch does not hold the server for its shutdown timeout")
        .expect("join")
        .expect("clean exit");
    assert!(started.elapsed() < EXIT_BOUND);
}

on_both_backends!(
    a_stalled_replay_ends_with_unavailable_and_its_resume_point_when_the_server_stops,
    a_subscriber_whose_event_log_cannot_be_read_ends_with_unavailable_and_its_resume_point,
    an_open_health_watch_does_not_hold_shutdown,
);
