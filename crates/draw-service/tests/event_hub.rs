//! The event hub in process, under the server: what a black-box test cannot arrange, such as a subscriber that
//! falls far behind a small broadcast buffer, or one whose channel is full when the hub shuts down.

use std::sync::Arc;

use ee_domain::rules::Rules;
use ee_draw_service::{DrawRecorder, EventHub, LiveConfig};
use ee_ircc_feed::RoundNames;
use ee_proto::v1::SubscribeDrawsResponse;
use ee_test_support::{Backend, TestDb};
use tokio_stream::{Stream, StreamExt};

/// A hub over a new database, with the write path that wakes it.
async fn hub(backend: Backend, config: LiveConfig) -> (TestDb, EventHub, DrawRecorder, Arc<Rules>) {
    let db = TestDb::new(backend);
    let store = ee_store::Store::connect(&db.url, 4).expect("store");
    store.migrate().expect("migrate");
    let rules = Arc::new(Rules::builtin().expect("rules"));
    let names = Arc::new(RoundNames::builtin(&rules.catalog).expect("round names"));
    let (hub, _tasks) = EventHub::start(store.clone(), config).await.expect("hub");
    let recorder = DrawRecorder::new(store, rules.clone(), names).with_hub(hub.clone());
    (db, hub, recorder, rules)
}

/// Subscribes to every round, after `after` (or live only), and decodes each message as a client would.
async fn subscribe(
    hub: &EventHub,
    after: Option<u64>,
) -> impl Stream<Item = Result<SubscribeDrawsResponse, tonic::Status>> + Unpin {
    hub.subscribe(None, ee_domain::DrawFilter::default(), after)
        .await
        .expect("subscribe")
        .map(|item| item.map(|message| message.to_message().expect("a message that decodes")))
}

/// Records the general rounds numbered `numbers`.
async fn record(recorder: &DrawRecorder, rules: &Rules, numbers: std::ops::Range<i32>) {
    for n in numbers {
        let draw = ee_domain::DrawDraft {
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
        .complete(&rules.catalog)
        .expect("valid");
        recorder.record(draw).await.expect("record");
    }
}

mod catch_up {
    use std::time::Duration;

    use ee_draw_service::LiveConfig;
    use ee_test_support::streams::next_event;
    use ee_test_support::{Backend, on_both_backends};
    use tokio_stream::StreamExt;

    use super::{hub, record, subscribe};

    /// A subscriber far behind a small broadcast buffer is caught up from the event log: every event, in order,
    /// once.
    async fn a_subscriber_that_falls_behind_is_caught_up_from_the_log(backend: Backend) {
        let config = LiveConfig {
            broadcast_capacity: 16,
            subscriber_buffer: 1,
            ..LiveConfig::default()
        };
        let (_db, hub, recorder, rules) = hub(backend, config).await;
        let mut stream = subscribe(&hub, None).await;
        // 300 events, 20 times the broadcast's capacity, while the subscriber reads nothing.
        record(&recorder, &rules, 1000..1300).await;
        let mut ids = Vec::new();
        let mut numbers = Vec::new();
        while numbers.len() < 300 {
            let e = next_event(&mut stream).await;
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

    on_both_backends!(a_subscriber_that_falls_behind_is_caught_up_from_the_log);
}

mod endings {
    use std::time::Duration;

    use ee_draw_service::LiveConfig;
    use ee_test_support::streams::{PATIENCE, next_event};
    use ee_test_support::{Backend, on_both_backends};
    use tokio_stream::StreamExt;

    use super::{hub, record, subscribe};

    /// A subscriber whose channel is full when the hub shuts down still ends with UNAVAILABLE, naming the last
    /// event it was sent: the ending does not wait for room in the channel, and what is buffered is dropped.
    async fn a_full_subscriber_ends_with_unavailable_and_its_resume_point_on_shutdown(
        backend: Backend,
    ) {
        let config = LiveConfig {
            subscriber_buffer: 4,
            ..LiveConfig::default()
        };
        let (_db, hub, recorder, rules) = hub(backend, config).await;
        record(&recorder, &rules, 1000..1040).await;
        let mut stream = subscribe(&hub, Some(0)).await;
        let first = next_event(&mut stream).await;
        // The forwarder refills the channel at once; nobody reads it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        hub.shutdown();
        // Time for the forwarder to see the shutdown; the stream is not polled meanwhile.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut last = first.event_id;
        let mut after_shutdown = 0;
        let status = loop {
            match tokio::time::timeout(PATIENCE, stream.next())
                .await
                .expect("the end within the patience bound")
            {
                Some(Ok(message)) => {
                    last = message.event.expect("event").event_id;
                    after_shutdown += 1;
                }
                Some(Err(status)) => break status,
                None => panic!("a normal end (OK) instead of UNAVAILABLE"),
            }
        };
        assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
        assert!(
            status
                .message()
                .contains(&format!("after_event_id {last} ")),
            "{status:?}"
        );
        assert_eq!(after_shutdown, 0, "what was buffered is dropped");
        assert!(stream.next().await.is_none(), "nothing after the status");
    }

    on_both_backends!(a_full_subscriber_ends_with_unavailable_and_its_resume_point_on_shutdown);
}
