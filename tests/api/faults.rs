//! Database faults: while the database cannot be reached, reads are answered from the history in memory, writes
//! answer UNAVAILABLE within the connection timeout (not INTERNAL, not after 10 s) and readiness is NOT_SERVING;
//! when it is back, readiness is SERVING again.

#[cfg(postgres_tests)]
mod postgres_only {
    use std::time::{Duration, Instant};

    use diesel::{Connection, RunQueryDsl, pg::PgConnection};
    use ee_proto::v1::GetDrawRequest;
    use ee_test_support::streams::PATIENCE;
    use ee_test_support::{Backend, TestApp};
    use tonic::Code;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;

    fn admin(sql: &str) {
        let url = ee_test_support::db::postgres_admin_url();
        let mut conn = PgConnection::establish(&url).expect("admin connection");
        diesel::sql_query(sql).execute(&mut conn).expect(sql);
    }

    async fn readiness(app: &TestApp) -> ServingStatus {
        HealthClient::new(app.channel().await)
            .check(HealthCheckRequest {
                service: "expressentry.v1.DrawService".into(),
            })
            .await
            .expect("Health.Check")
            .into_inner()
            .status()
    }

    async fn until_readiness(app: &TestApp, wanted: ServingStatus) {
        let deadline = Instant::now() + PATIENCE;
        while readiness(app).await != wanted {
            assert!(
                Instant::now() < deadline,
                "readiness never became {wanted:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readiness_and_answers_follow_the_database() {
        let app = TestApp::spawn_with(Backend::Postgres, |s| {
            s.database_check_interval = Duration::from_millis(200);
            s.database_connect_timeout = Duration::from_secs(2);
        })
        .await;
        let name = app
            .database_url()
            .rsplit('/')
            .next()
            .expect("name")
            .to_owned();
        assert_eq!(readiness(&app).await, ServingStatus::Serving);

        admin(&format!("DROP DATABASE {name} WITH (FORCE)"));
        until_readiness(&app, ServingStatus::NotServing).await;
        let mut client = app.draws().await;
        // Reads are answered from the history in memory, database or not.
        let kept = client
            .get_draw(GetDrawRequest { number: "1".into() })
            .await
            .expect("a read from memory while the database is down")
            .into_inner();
        assert_eq!(kept.draw.map(|d| d.number).as_deref(), Some("1"));
        let started = Instant::now();
        let status = client
            .record_draw(ee_test_support::authorized(
                ee_proto::v1::RecordDrawRequest {
                    draw: Some(ee_test_support::fixtures::round(
                        "9100",
                        ee_test_support::fixtures::general(),
                        ee_test_support::fixtures::after_the_history(9100),
                    )),
                },
            ))
            .await
            .expect_err("no database");
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert!(
            !status.message().contains(&name),
            "the database's own words stay in the log"
        );
        // A bound against the old 10-second wait, with room for a loaded machine; not a speed target.
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{:?}",
            started.elapsed()
        );

        admin(&format!("CREATE DATABASE {name}"));
        until_readiness(&app, ServingStatus::Serving).await;
    }
}

/// A TCP proxy between the servers and PostgreSQL cuts and stalls the connections, as a network fault or a database
/// crash would.
#[cfg(postgres_tests)]
mod through_a_fault_proxy {
    use std::time::{Duration, Instant};

    use ee_proto::v1::{GetDrawRequest, GetDrawStatsRequest, ImportFeedRequest, RecordDrawRequest};
    use ee_test_support::fault_proxy::{FaultProxy, Mode};
    use ee_test_support::fixtures::{SNAPSHOT_2026, after_the_history, general, round, snapshot};
    use ee_test_support::streams::{PATIENCE, number, quiet, subscribe};
    use ee_test_support::{Backend, TestApp, authorized};
    use tonic::Code;

    /// Records a round, retrying while the database comes back.
    async fn record_retrying(app: &TestApp, n: u32) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let result = app
                .draws()
                .await
                .record_draw(authorized(RecordDrawRequest {
                    draw: Some(round(n.to_string(), general(), after_the_history(n))),
                }))
                .await;
            match result {
                Ok(_) => return,
                Err(s) if s.code() == Code::Unavailable && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(s) => panic!("RecordDraw {n}: {s:?}"),
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cut_gives_unavailable_and_every_round_after_it_reaches_both_replicas_once() {
        let proxy = FaultProxy::to_postgres().await;
        let through = |s: &mut ee_server::Settings| {
            s.database_url = proxy.url_through(&s.database_url);
            // Only the listener delivers across replicas: the backstop timer is beyond the test.
            s.event_backstop_interval = Duration::from_secs(3600);
        };
        let a = TestApp::spawn_with(Backend::Postgres, through).await;
        let b = a.replica(through).await;
        // The seeded history is events 1 to 435; both subscribers resume after it.
        let on_a = subscribe(&a, Some(435), None).await;
        let on_b = subscribe(&b, Some(435), None).await;

        proxy.set(Mode::Cut);
        for app in [&a, &b] {
            // Reads are answered from the history in memory while the database is cut off.
            app.draws()
                .await
                .get_draw(GetDrawRequest { number: "1".into() })
                .await
                .expect("a read from memory");
        }
        let started = Instant::now();
        let refused = a
            .draws()
            .await
            .record_draw(authorized(RecordDrawRequest {
                draw: Some(round("435", general(), after_the_history(435))),
            }))
            .await
            .expect_err("cut off");
        assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
        // A bound against the old 10-second wait, with room for a loaded machine; not a speed target.
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{:?}",
            started.elapsed()
        );

        proxy.set(Mode::Pass);
        record_retrying(&a, 435).await;
        record_retrying(&b, 436).await;
        record_retrying(&a, 437).await;
        for (app, stream) in [(&a, on_a), (&b, on_b)] {
            let got = resuming(app, stream, 435, 3).await;
            assert_eq!(got, ["435", "436", "437"], "every round, in order, once");
        }
    }

    /// The numbers of the next `n` events, resuming after the last event seen whenever the stream ends with
    /// UNAVAILABLE (as it does when its replica cannot read the event log), as a client is told to.
    async fn resuming(
        app: &TestApp,
        mut stream: tonic::Streaming<ee_proto::v1::SubscribeDrawsResponse>,
        mut last: u64,
        n: usize,
    ) -> Vec<String> {
        use tokio_stream::StreamExt;
        let mut numbers = Vec::new();
        let deadline = Instant::now() + PATIENCE;
        while numbers.len() < n {
            assert!(Instant::now() < deadline, "only {numbers:?} arrived");
            match tokio::time::timeout(PATIENCE, stream.next())
                .await
                .expect("an event or an end")
            {
                Some(Ok(message)) => {
                    let event = message.event.expect("event");
                    assert!(event.event_id > last, "in order, none twice");
                    last = event.event_id;
                    numbers.push(number(&event).to_owned());
                }
                Some(Err(s)) if s.code() == Code::Unavailable => {
                    assert!(s.message().contains("after_event_id"), "{s:?}");
                    stream = loop {
                        match app
                            .draws()
                            .await
                            .subscribe_draws(ee_proto::v1::SubscribeDrawsRequest {
                                after_event_id: Some(last),
                                filter: None,
                            })
                            .await
                        {
                            Ok(s) => break s.into_inner(),
                            Err(s) if s.code() == Code::Unavailable => {
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                            Err(s) => panic!("resume: {s:?}"),
                        }
                    };
                }
                other => panic!("the stream ended without UNAVAILABLE: {other:?}"),
            }
        }
        quiet(&mut stream, Duration::from_millis(500)).await;
        numbers
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_import_cut_mid_transaction_leaves_nothing() {
        let proxy = FaultProxy::to_postgres().await;
        let app = TestApp::spawn_with(Backend::Postgres, |s| {
            s.database_url = proxy.url_through(&s.database_url);
            s.load_snapshot = false;
        })
        .await;
        let mut client = app.draws().await;
        let before = proxy.bytes_to_target();
        let import = tokio::spawn({
            let mut client = client.clone();
            async move {
                client
                    .import_feed(authorized(ImportFeedRequest {
                        feed_json: snapshot(SNAPSHOT_2026),
                    }))
                    .await
            }
        });
        // 435 rounds and their events are some hundreds of kilobytes: 30 KB in, the transaction is under way.
        let deadline = Instant::now() + PATIENCE;
        while proxy.bytes_to_target() < before + 30_000 {
            assert!(
                Instant::now() < deadline,
                "the import never started writing"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        proxy.set(Mode::Cut);
        let status = import
            .await
            .expect("join")
            .expect_err("cut mid-transaction");
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");

        proxy.set(Mode::Pass);
        let deadline = Instant::now() + PATIENCE;
        let stats = loop {
            match client
                .get_draw_stats(GetDrawStatsRequest { filter: None })
                .await
            {
                Ok(r) => break r.into_inner(),
                Err(s) if s.code() == Code::Unavailable && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(s) => panic!("{s:?}"),
            }
        };
        assert_eq!(stats.draw_count, 0, "nothing of the import was written");
        let mut log = subscribe(&app, Some(0), None).await;
        quiet(&mut log, Duration::from_millis(500)).await;
    }
}
