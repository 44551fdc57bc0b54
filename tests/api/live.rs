//! Live rounds: SubscribeDraws delivers new and corrected rounds, filtered, with resume, across replicas, from the
//! feed watcher, and ends cleanly on shutdown.

use std::time::Duration;

use ee_proto::v1::{
    DrawEvent, DrawEventKind, DrawFilter, ImportFeedRequest, RecordDrawRequest,
    SubscribeDrawsRequest,
};
use ee_test_support::fixtures::{
    SNAPSHOT_2024, SNAPSHOT_2026, after_the_history, at, category, round, snapshot,
};
use ee_test_support::status::{expect_code, expect_invalid};
use ee_test_support::streams::{
    PATIENCE, events, next_event, number, quiet, subscribe, subscribe_stalled,
};
use ee_test_support::{Backend, FeedServer, TestApp, authorized, on_both_backends};
use tokio_stream::StreamExt;
use tonic::Code;

/// Records the round `number` of the category `category_id`, held after the shipped history.
async fn record(app: &TestApp, number: &str, category_id: &str) {
    let n = number.parse().expect("a numeric round number");
    app.draws()
        .await
        .record_draw(authorized(RecordDrawRequest {
            draw: Some(round(number, category(category_id), after_the_history(n))),
        }))
        .await
        .unwrap_or_else(|e| panic!("RecordDraw {number}: {e:?}"));
}

fn healthcare() -> Option<DrawFilter> {
    Some(DrawFilter {
        category_id: "healthcare".into(),
        ..Default::default()
    })
}

async fn a_subscriber_receives_new_rounds_and_only_those_its_filter_selects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut all = subscribe(&app, None, None).await;
    let mut health = subscribe(&app, None, healthcare()).await;
    record(&app, "435", "stem").await;
    record(&app, "436", "healthcare").await;
    let got = events(&mut all, 2).await;
    assert_eq!(got.iter().map(number).collect::<Vec<_>>(), ["435", "436"]);
    assert!(
        got.iter()
            .all(|e| e.kind() == DrawEventKind::Created && e.previous.is_none())
    );
    assert!(got[0].event_id < got[1].event_id);
    assert!(got[0].recorded_at.is_some());
    // Events arrive in id order, so the healthcare subscriber's first event being 436 means 435 was not sent.
    let first = next_event(&mut health).await;
    assert_eq!(number(&first), "436");
    assert_eq!(first.event_id, got[1].event_id);
}

async fn a_resumed_subscriber_gets_exactly_the_events_after_its_last(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // The shipped history was logged as 435 CREATED events; 0 replays the log from its start.
    let mut from_start = subscribe(&app, Some(0), None).await;
    let history = events(&mut from_start, 435).await;
    assert!(history.iter().all(|e| e.kind() == DrawEventKind::Created));
    assert_eq!(
        (number(&history[0]), number(&history[434])),
        ("1", "434"),
        "in the order the rounds were held"
    );
    assert!(history.windows(2).all(|w| w[0].event_id < w[1].event_id));
    drop(from_start);

    let mut live = subscribe(&app, None, None).await;
    for n in ["435", "436", "437"] {
        record(&app, n, "french").await;
    }
    let seen = events(&mut live, 3).await;
    let last_seen = seen[0].event_id;
    drop(live);
    record(&app, "438", "french").await;

    let mut resumed = subscribe(&app, Some(last_seen), None).await;
    let replay = events(&mut resumed, 3).await;
    assert_eq!(
        replay.iter().map(number).collect::<Vec<_>>(),
        ["436", "437", "438"]
    );
    assert_eq!(replay[0].event_id, seen[1].event_id);
    assert_eq!(replay[1].event_id, seen[2].event_id);
    record(&app, "439", "french").await;
    let next = next_event(&mut resumed).await;
    assert_eq!(number(&next), "439");
    quiet(&mut resumed, Duration::from_millis(500)).await;
}

async fn corrections_arrive_as_updates_with_the_round_before(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.load_snapshot = false).await;
    let mut client = app.draws().await;
    client
        .import_feed(authorized(ImportFeedRequest {
            feed_json: snapshot(SNAPSHOT_2024),
        }))
        .await
        .expect("import 2024");
    let mut stream = subscribe(&app, None, None).await;
    let r = client
        .import_feed(authorized(ImportFeedRequest {
            feed_json: snapshot(SNAPSHOT_2026),
        }))
        .await
        .expect("import 2026")
        .into_inner();
    assert_eq!((r.created, r.updated), (143, 28));
    let got = events(&mut stream, 171).await;
    let updates: Vec<&DrawEvent> = got
        .iter()
        .filter(|e| e.kind() == DrawEventKind::Updated)
        .collect();
    assert_eq!(updates.len(), 28);
    let e262 = updates
        .iter()
        .find(|e| number(e) == "262")
        .expect("262 corrected");
    let before = e262.previous.as_ref().expect("previous");
    let after = e262.draw.as_ref().expect("draw");
    assert_eq!(before.tie_break_at, at("2023-08-01T12:59:52Z"));
    assert_eq!(after.tie_break_at, at("2023-07-04T19:36:18Z"));
    quiet(&mut stream, Duration::from_millis(500)).await;
}

async fn bad_subscriptions_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    let s = expect_code(
        client
            .subscribe_draws(SubscribeDrawsRequest {
                after_event_id: Some(1_000_000),
                filter: None,
            })
            .await,
        Code::OutOfRange,
    );
    assert!(s.message().contains("1000000"), "{s:?}");
    expect_invalid(
        client
            .subscribe_draws(SubscribeDrawsRequest {
                after_event_id: None,
                filter: Some(DrawFilter {
                    category_id: "astronauts".into(),
                    ..Default::default()
                }),
            })
            .await,
        "filter.category_id",
    );
}

async fn the_feed_watcher_records_new_and_corrected_rounds_once(backend: Backend) {
    let feed = FeedServer::start(503, b"unavailable".to_vec()).await;
    let app = TestApp::spawn_with(backend, |s| {
        s.load_snapshot = false;
        s.ircc_feed_url = Some(feed.url.clone());
        s.ircc_feed_interval = Duration::from_millis(200);
    })
    .await;
    let mut stream = subscribe(&app, Some(0), None).await;
    // A failing feed, then an unreadable one: logged and retried, nothing written, the server serves on.
    while feed.requests() < 2 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    feed.serve(200, b"{\"rounds\": [ broken".to_vec());
    let seen = feed.requests();
    while feed.requests() < seen + 2 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    quiet(&mut stream, Duration::from_millis(100)).await;

    feed.serve(200, snapshot(SNAPSHOT_2024));
    let first = events(&mut stream, 292).await;
    assert!(first.iter().all(|e| e.kind() == DrawEventKind::Created));
    feed.serve(200, snapshot(SNAPSHOT_2026));
    let second = events(&mut stream, 171).await;
    let created = second
        .iter()
        .filter(|e| e.kind() == DrawEventKind::Created)
        .count();
    let updated = second
        .iter()
        .filter(|e| e.kind() == DrawEventKind::Updated)
        .count();
    assert_eq!((created, updated), (143, 28));
    let mut numbers: Vec<&str> = second.iter().map(number).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 171, "each round once");
    // Several more polls of the same feed change nothing.
    let polls = feed.requests();
    quiet(&mut stream, Duration::from_millis(1000)).await;
    assert!(feed.requests() >= polls + 2, "the watcher kept polling");
}

async fn subscriptions_end_with_unavailable_on_shutdown_even_if_one_never_reads(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.load_snapshot = false;
        s.shutdown_timeout = Duration::from_secs(2);
    })
    .await;
    // One subscriber never reads; the log it is sent is far larger than its flow-control window, so the server's
    // buffers for it are full when it stops.
    let _stalled = subscribe_stalled(&app, Some(0), None).await;
    let mut reader = subscribe(&app, None, None).await;
    let mut client = app.draws().await;
    for feed in [SNAPSHOT_2024, SNAPSHOT_2026] {
        client
            .import_feed(authorized(ImportFeedRequest {
                feed_json: snapshot(feed),
            }))
            .await
            .expect("import");
    }
    let got = events(&mut reader, 292 + 171).await;
    assert_eq!(
        got.len(),
        463,
        "the stalled subscriber does not hold the others back"
    );
    let stopping = tokio::spawn(app.stop());
    let end = tokio::time::timeout(PATIENCE, reader.next())
        .await
        .expect("the stream ends")
        .expect("with a status");
    let status = end.expect_err("UNAVAILABLE, not an event");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(status.message().contains("after_event_id"), "{status:?}");
    tokio::time::timeout(PATIENCE, stopping)
        .await
        .expect("the server exits although a subscriber never reads")
        .expect("join")
        .expect("clean exit");
}

async fn subscription_limits_answer_resource_exhausted(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.max_subscribers = 3;
        s.max_subscriptions_per_connection = 2;
    })
    .await;
    let open = |client: &mut ee_proto::v1::draw_service_client::DrawServiceClient<
        tonic::transport::Channel,
    >| {
        let mut c = client.clone();
        async move {
            c.subscribe_draws(SubscribeDrawsRequest::default())
                .await
                .map(|r| r.into_inner())
        }
    };
    let mut one = app.draws().await;
    let a = open(&mut one).await.expect("first on connection one");
    let _b = open(&mut one).await.expect("second on connection one");
    let s = expect_code(open(&mut one).await, Code::ResourceExhausted);
    assert!(s.message().contains("connection"), "{s:?}");
    let mut two = app.draws().await;
    let _c = open(&mut two).await.expect("first on connection two");
    let mut three = app.draws().await;
    let s = expect_code(open(&mut three).await, Code::ResourceExhausted);
    assert!(s.message().contains("maximum of 3 subscribers"), "{s:?}");
    // A subscriber that leaves gives its place back.
    drop(a);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match open(&mut three).await {
            Ok(_) => break,
            Err(s)
                if s.code() == Code::ResourceExhausted
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(s) => panic!("the place was not given back: {s:?}"),
        }
    }
}

on_both_backends!(
    a_subscriber_receives_new_rounds_and_only_those_its_filter_selects,
    a_resumed_subscriber_gets_exactly_the_events_after_its_last,
    corrections_arrive_as_updates_with_the_round_before,
    bad_subscriptions_are_refused,
    the_feed_watcher_records_new_and_corrected_rounds_once,
    subscriptions_end_with_unavailable_on_shutdown_even_if_one_never_reads,
    subscription_limits_answer_resource_exhausted,
);

#[cfg(postgres_tests)]
mod replicas {
    use ee_test_support::app::no_backstop;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_round_recorded_on_one_replica_reaches_a_subscriber_of_another() {
        let a = TestApp::spawn_with(Backend::Postgres, no_backstop).await;
        let b = a.replica(no_backstop).await;
        let mut on_b = subscribe(&b, None, healthcare()).await;
        record(&a, "435", "stem").await;
        record(&a, "436", "healthcare").await;
        let e = next_event(&mut on_b).await;
        assert_eq!(number(&e), "436");
        record(&b, "437", "healthcare").await;
        let mut on_a = subscribe(&a, Some(e.event_id), None).await;
        assert_eq!(number(&next_event(&mut on_a).await), "437");
        assert_eq!(number(&next_event(&mut on_b).await), "437");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_replica_at_a_time_holds_the_feed_poller_lock() {
        let a = TestApp::spawn(Backend::Postgres).await;
        let one = ee_store::Store::connect(a.database_url(), 2).expect("store one");
        let two = ee_store::Store::connect(a.database_url(), 2).expect("store two");
        let held = one
            .try_lock_feed_poller()
            .expect("query")
            .expect("free at first");
        assert!(
            two.try_lock_feed_poller().expect("query").is_none(),
            "held by the other"
        );
        held.release().expect("release");
        let again = two.try_lock_feed_poller().expect("query");
        assert!(again.is_some(), "free once released");
    }
}
