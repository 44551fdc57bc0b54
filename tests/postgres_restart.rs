//! PostgreSQL restarted while subscribers are connected: rounds recorded after it comes back are delivered to
//! subscribers of both replicas, none lost and none twice. Only the listener can deliver across replicas here
//! (the backstop timer is set beyond the test), so this also shows that it reconnects.

#![cfg(postgres_tests)]

use std::process::Command;
use std::time::Duration;

use ee_proto::convert::timestamp;
use ee_proto::v1::{
    Draw, RecordDrawRequest, RoundKind, RoundType, SubscribeDrawsRequest, SubscribeDrawsResponse,
};
use ee_tests::{Backend, TestApp, authorized};
use tokio_stream::StreamExt;
use tonic::Streaming;

const PATIENCE: Duration = Duration::from_secs(60);

fn no_backstop(s: &mut ee_server::Settings) {
    s.event_backstop_interval = Duration::from_secs(3600);
}

fn round(number: &str) -> Draw {
    Draw {
        number: number.into(),
        held_at: Some(timestamp("2026-09-01T12:00:00Z".parse().expect("time"))),
        round_type: Some(RoundType {
            kind: RoundKind::General as i32,
            ..Default::default()
        }),
        invitations: 1000,
        minimum_crs: 480,
        ..Default::default()
    }
}

/// Records a round, retrying while the database comes back.
async fn record(app: &TestApp, number: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let result = app
            .draws()
            .await
            .record_draw(authorized(RecordDrawRequest {
                draw: Some(round(number)),
            }))
            .await;
        match result {
            Ok(_) => return,
            Err(s) if tokio::time::Instant::now() < deadline => {
                eprintln!(
                    "RecordDraw {number} while PostgreSQL restarts: {:?} {}",
                    s.code(),
                    s.message()
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(s) => panic!("PostgreSQL did not come back: {s:?}"),
        }
    }
}

async fn numbers(stream: &mut Streaming<SubscribeDrawsResponse>, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        let e = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .expect("an event within the patience bound")
            .expect("open")
            .expect("an event")
            .event
            .expect("event");
        out.push(e.draw.expect("draw").number);
    }
    out
}

fn restart_postgres() {
    let versions =
        std::fs::read_dir("/etc/postgresql").expect("/etc/postgresql: a Debian PostgreSQL cluster");
    let version = versions
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .max()
        .expect("a PostgreSQL version");
    let status = Command::new("pg_ctlcluster")
        .args([
            "--skip-systemctl-redirect",
            "--mode",
            "fast",
            &version,
            "main",
            "restart",
        ])
        .status()
        .expect("run pg_ctlcluster");
    assert!(status.success(), "pg_ctlcluster restart failed: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rounds_recorded_after_a_postgres_restart_reach_every_subscriber() {
    let a = TestApp::spawn_with(Backend::Postgres, no_backstop).await;
    let b = a.replica(no_backstop).await;
    let subscribe = |app: &TestApp| {
        let endpoint = app.endpoint();
        async move {
            let channel = tonic::transport::Channel::from_shared(endpoint)
                .expect("endpoint")
                .connect()
                .await
                .expect("connect");
            ee_proto::v1::draw_service_client::DrawServiceClient::new(channel)
                .subscribe_draws(SubscribeDrawsRequest::default())
                .await
                .expect("subscribe")
                .into_inner()
        }
    };
    let mut on_a = subscribe(&a).await;
    let mut on_b = subscribe(&b).await;
    record(&a, "435").await;
    assert_eq!(numbers(&mut on_a, 1).await, ["435"]);
    assert_eq!(numbers(&mut on_b, 1).await, ["435"]);

    tokio::task::spawn_blocking(restart_postgres)
        .await
        .expect("restart");

    record(&a, "436").await;
    record(&b, "437").await;
    record(&a, "438").await;
    assert_eq!(numbers(&mut on_a, 3).await, ["436", "437", "438"]);
    assert_eq!(numbers(&mut on_b, 3).await, ["436", "437", "438"]);
    for stream in [&mut on_a, &mut on_b] {
        if let Ok(extra) = tokio::time::timeout(Duration::from_millis(500), stream.next()).await {
            panic!("no event twice: {extra:?}");
        }
    }
}
