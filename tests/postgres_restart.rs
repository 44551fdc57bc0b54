//! PostgreSQL restarted while subscribers are connected: rounds recorded after it comes back are delivered to
//! subscribers of both replicas, none lost and none twice. Only the listener can deliver across replicas here
//! (the backstop timer is set beyond the test), so this also shows that it reconnects.

#![cfg(postgres_tests)]

use std::process::Command;
use std::time::Duration;

use ee_proto::v1::RecordDrawRequest;
use ee_test_support::app::no_backstop;
use ee_test_support::fixtures::{after_the_history, general, round};
use ee_test_support::streams::{PATIENCE, events, number, quiet, subscribe};
use ee_test_support::{Backend, TestApp, authorized};

/// Records a general round, retrying while the database comes back.
async fn record(app: &TestApp, number: u32) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let result = app
            .draws()
            .await
            .record_draw(authorized(RecordDrawRequest {
                draw: Some(round(
                    number.to_string(),
                    general(),
                    after_the_history(number),
                )),
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

/// The numbers of the next `n` rounds the stream delivers.
async fn numbers(
    stream: &mut tonic::Streaming<ee_proto::v1::SubscribeDrawsResponse>,
    n: usize,
) -> Vec<String> {
    events(stream, n)
        .await
        .iter()
        .map(|e| number(e).to_owned())
        .collect()
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
    let mut on_a = subscribe(&a, None, None).await;
    let mut on_b = subscribe(&b, None, None).await;
    record(&a, 435).await;
    assert_eq!(numbers(&mut on_a, 1).await, ["435"]);
    assert_eq!(numbers(&mut on_b, 1).await, ["435"]);

    tokio::task::spawn_blocking(restart_postgres)
        .await
        .expect("restart");

    record(&a, 436).await;
    record(&b, 437).await;
    record(&a, 438).await;
    assert_eq!(numbers(&mut on_a, 3).await, ["436", "437", "438"]);
    assert_eq!(numbers(&mut on_b, 3).await, ["436", "437", "438"]);
    for stream in [&mut on_a, &mut on_b] {
        quiet(stream, Duration::from_millis(500)).await;
    }
}
