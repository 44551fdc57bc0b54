//! The event hub in process, under the server: what a black-box test cannot arrange, such as a subscriber that
//! falls far behind a small broadcast buffer.

mod catch_up {
    use std::time::Duration;

    use std::sync::Arc;

    use ee_domain::rules::Rules;
    use ee_draw_service::{DrawRecorder, EventHub, LiveConfig};
    use ee_ircc_feed::RoundNames;
    use ee_test_support::streams::PATIENCE;
    use ee_test_support::{Backend, TestDb, on_both_backends};
    use tokio_stream::StreamExt;

    /// A subscriber far behind a small broadcast buffer is caught up from the event log: every event, in order,
    /// once.
    async fn a_subscriber_that_falls_behind_is_caught_up_from_the_log(backend: Backend) {
        let db = TestDb::new(backend);
        let store = ee_store::Store::connect(&db.url, 4).expect("store");
        store.migrate().expect("migrate");
        let rules = Arc::new(Rules::builtin().expect("rules"));
        let names = Arc::new(RoundNames::builtin(&rules.catalog).expect("round names"));
        let (hub, _tasks) = EventHub::start(
            store.clone(),
            LiveConfig {
                broadcast_capacity: 16,
                subscriber_buffer: 1,
                ..LiveConfig::default()
            },
        )
        .await
        .expect("hub");
        let recorder = DrawRecorder::new(store, rules.clone(), names).with_hub(hub.clone());
        let mut stream = hub
            .subscribe(None, ee_domain::DrawFilter::default(), None)
            .await
            .expect("subscribe");
        // 300 events, 20 times the broadcast's capacity, while the subscriber reads nothing.
        for n in 1000..1300 {
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

    on_both_backends!(a_subscriber_that_falls_behind_is_caught_up_from_the_log);
}
