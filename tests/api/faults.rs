//! Database faults: while the database cannot be reached, reads answer UNAVAILABLE within the connection timeout
//! (not INTERNAL, not after 10 s) and readiness is NOT_SERVING; when it is back, readiness is SERVING again.

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
        let started = Instant::now();
        let status = client
            .get_draw(GetDrawRequest { number: "1".into() })
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
