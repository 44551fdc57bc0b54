//! Live rounds: SubscribeDraws delivers new and corrected rounds, filtered, with resume, across replicas, from the
//! feed watcher, and ends cleanly on shutdown.

use std::time::Duration;

use ee_proto::convert::timestamp;
use ee_proto::v1::{
    Draw, DrawEvent, DrawEventKind, DrawFilter, ImportFeedRequest, RecordDrawRequest, RoundKind,
    RoundType, SubscribeDrawsRequest, SubscribeDrawsResponse,
};
use ee_tests::{Backend, FeedServer, SNAPSHOT_2024, SNAPSHOT_2026, TestApp, authorized, snapshot};
use tokio_stream::StreamExt;
use tonic::{Code, Streaming};

use crate::helpers::{expect_code, expect_invalid};

/// Bounds a wait so that a missing event fails the test instead of hanging it; not a speed target.
const PATIENCE: Duration = Duration::from_secs(30);

fn round(number: &str, category: &str) -> Draw {
    let n: i64 = number.parse().expect("numeric");
    Draw {
        number: number.into(),
        held_at: Some(timestamp(
            chrono::DateTime::from_timestamp(1_787_000_000 + n * 86_400, 0).expect("time"),
        )),
        round_type: Some(RoundType {
            kind: RoundKind::Category as i32,
            category_id: category.into(),
            ..Default::default()
        }),
        invitations: 1000,
        minimum_crs: 470,
        ..Default::default()
    }
}

async fn record(app: &TestApp, number: &str, category: &str) {
    app.draws()
        .await
        .record_draw(authorized(RecordDrawRequest {
            draw: Some(round(number, category)),
        }))
        .await
        .unwrap_or_else(|e| panic!("RecordDraw {number}: {e:?}"));
}

async fn subscribe(
    app: &TestApp,
    after: Option<u64>,
    filter: Option<DrawFilter>,
) -> Streaming<SubscribeDrawsResponse> {
    app.draws()
        .await
        .subscribe_draws(SubscribeDrawsRequest {
            after_event_id: after,
            filter,
        })
        .await
        .expect("SubscribeDraws")
        .into_inner()
}

async fn next_event(stream: &mut Streaming<SubscribeDrawsResponse>) -> DrawEvent {
    tokio::time::timeout(PATIENCE, stream.next())
        .await
        .expect("an event within the patience bound")
        .expect("the stream is open")
        .expect("an event, not an error")
        .event
        .expect("event set")
}

async fn events(stream: &mut Streaming<SubscribeDrawsResponse>, n: usize) -> Vec<DrawEvent> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(next_event(stream).await);
    }
    out
}

/// Nothing more arrives for a while (used after the last expected event, to show there is no duplicate).
async fn quiet(stream: &mut Streaming<SubscribeDrawsResponse>, wait: Duration) {
    if let Ok(extra) = tokio::time::timeout(wait, stream.next()).await {
        panic!("expected no more events, got {extra:?}");
    }
}

fn number(e: &DrawEvent) -> &str {
    &e.draw.as_ref().expect("draw").number
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
    assert_eq!(
        before.tie_break_at,
        Some(timestamp("2023-08-01T12:59:52Z".parse().expect("t")))
    );
    assert_eq!(
        after.tie_break_at,
        Some(timestamp("2023-07-04T19:36:18Z".parse().expect("t")))
    );
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
    // One subscriber never reads; the log it is sent is larger than a stream's flow-control window.
    let _stalled = subscribe(&app, Some(0), None).await;
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
    a_subscriber_that_falls_behind_is_caught_up_from_the_log,
);

#[cfg(postgres_tests)]
mod replicas {
    use super::*;

    /// Only the listener can deliver: the backstop timer is set far beyond the test.
    fn no_backstop(s: &mut ee_server::Settings) {
        s.event_backstop_interval = Duration::from_secs(3600);
    }

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

/// A subscriber far behind a small broadcast buffer is caught up from the event log: every event, in order, once.
async fn a_subscriber_that_falls_behind_is_caught_up_from_the_log(backend: Backend) {
    use ee_draw_service::{EventHub, LiveConfig};
    let db = ee_tests::TestDb::new(backend);
    let store = ee_store::Store::connect(&db.url, 4).expect("store");
    store.migrate().expect("migrate");
    let hub = EventHub::start(
        store.clone(),
        LiveConfig {
            broadcast_capacity: 16,
            subscriber_buffer: 1,
            ..LiveConfig::default()
        },
    )
    .await
    .expect("hub");
    let mut stream = hub
        .subscribe(None, ee_domain::DrawFilter::default(), None)
        .await
        .expect("subscribe");
    // 300 events, 20 times the broadcast's capacity, while the subscriber reads nothing.
    for batch in 0..30 {
        let draws: Vec<ee_domain::Draw> = (0..10)
            .map(|i| {
                let n = 1000 + batch * 10 + i;
                ee_domain::DrawDraft {
                    number: n.to_string(),
                    held_at: Some(
                        chrono::DateTime::from_timestamp(1_800_000_000 + i64::from(n) * 60, 0)
                            .expect("time"),
                    ),
                    kind: Some(ee_domain::RoundKind::General),
                    invitations: 100,
                    minimum_crs: 450,
                    ..Default::default()
                }
                .complete(ee_domain::Catalog::builtin())
                .expect("valid")
            })
            .collect();
        let applied = store
            .apply(&draws, ee_store::OnConflict::Update)
            .expect("apply");
        hub.announce(&applied);
    }
    let mut ids = Vec::new();
    let mut numbers = Vec::new();
    while numbers.len() < 300 {
        let e = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .expect("an event within the patience bound")
            .expect("open")
            .expect("an event")
            .event
            .expect("event");
        ids.push(e.event_id);
        numbers.push(e.draw.expect("draw").number);
    }
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in id order, none twice"
    );
    let expected: Vec<String> = (1000..1300).map(|n: i32| n.to_string()).collect();
    assert_eq!(numbers, expected, "every event, no gap");
    if let Ok(extra) = tokio::time::timeout(Duration::from_millis(300), stream.next()).await {
        panic!("no more events: {extra:?}");
    }
    hub.shutdown();
}
