//! Calls as the transport sees them: shutdown waits for unary calls in flight but not for streams whose client
//! stopped reading; a unary call has a deadline; a request over the size limit, or bytes that are not the method's
//! message, get a status that says what to do.

use std::time::Duration;

use ee_proto::v1::{GetDrawResponse, ImportFeedRequest};
use ee_test_support::streams::{PATIENCE, next_event, subscribe, subscribe_stalled};
use ee_test_support::{Backend, TestApp, authorized, on_both_backends};
use http::uri::PathAndQuery;
use tonic::Code;

/// Long enough that a server which waited for it would fail the bound below.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the server may take to exit once nothing it must wait for is left: a bound against waiting for the
/// shutdown timeout, with room for a loaded machine; not a speed target.
const EXIT_BOUND: Duration = Duration::from_secs(20);

async fn subscribers_that_never_read_again_do_not_hold_the_exit(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.shutdown_timeout = SHUTDOWN_TIMEOUT).await;
    // Replays of the whole history that are never read: each fills its connection's window and the server's
    // buffers behind it, so the server cannot even send them their final status.
    let mut stalled = Vec::new();
    for _ in 0..8 {
        let mut stream = subscribe_stalled(&app, Some(0), None).await;
        next_event(&mut stream).await;
        stalled.push(stream);
    }
    let mut reader = subscribe(&app, None, None).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let stopping = tokio::spawn(app.stop());
    // The reader is told to resume elsewhere.
    let end = tokio::time::timeout(PATIENCE, reader.message())
        .await
        .expect("the reader's stream ends");
    let status = end.expect_err("UNAVAILABLE, not a normal end");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    tokio::time::timeout(EXIT_BOUND, stopping)
        .await
        .expect("the server exits without waiting for streams nobody reads")
        .expect("join")
        .expect("clean exit");
    drop(stalled);
}

async fn a_request_over_the_size_limit_is_resource_exhausted_naming_the_setting(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.max_request_bytes = 64 * 1024).await;
    let mut client = app.draws().await;
    let status = client
        .import_feed(authorized(ImportFeedRequest {
            feed_json: vec![b' '; 100 * 1024],
        }))
        .await
        .expect_err("over the limit");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status.message().contains("--max-request-bytes") && status.message().contains("65536"),
        "{status:?}"
    );
    // Under the limit, the same call reaches the service (which reads the feed and finds it empty).
    let status = client
        .import_feed(authorized(ImportFeedRequest {
            feed_json: vec![b' '; 1024],
        }))
        .await
        .expect_err("not a feed");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
}

async fn bytes_that_are_not_the_methods_message_are_invalid_argument(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // ImportFeedRequest's field 1 is bytes, GetDrawRequest's is a string: these bytes are not UTF-8, so they are
    // not a GetDrawRequest.
    let mut grpc = tonic::client::Grpc::new(app.channel().await);
    grpc.ready().await.expect("ready");
    let status = grpc
        .unary::<ImportFeedRequest, GetDrawResponse, _>(
            tonic::Request::new(ImportFeedRequest {
                feed_json: vec![0xff, 0xfe, 0xfd],
            }),
            PathAndQuery::from_static("/expressentry.v1.DrawService/GetDraw"),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .expect_err("not a GetDrawRequest");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("not a valid message"),
        "{status:?}"
    );
}

on_both_backends!(
    subscribers_that_never_read_again_do_not_hold_the_exit,
    a_request_over_the_size_limit_is_resource_exhausted_naming_the_setting,
    bytes_that_are_not_the_methods_message_are_invalid_argument,
);

/// A write whose database stalls (through a fault proxy) is a unary call in flight.
#[cfg(postgres_tests)]
mod through_a_fault_proxy {
    use std::time::Duration;

    use ee_proto::v1::RecordDrawRequest;
    use ee_test_support::fault_proxy::{FaultProxy, Mode};
    use ee_test_support::fixtures::{after_the_history, general, round};
    use ee_test_support::streams::{PATIENCE, next_event, subscribe_stalled};
    use ee_test_support::{Backend, TestApp, authorized};
    use tonic::Code;

    use super::{EXIT_BOUND, SHUTDOWN_TIMEOUT};

    fn record(n: u32) -> tonic::Request<RecordDrawRequest> {
        authorized(RecordDrawRequest {
            draw: Some(round(n.to_string(), general(), after_the_history(n))),
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_waits_for_a_unary_call_in_flight_but_not_for_a_stalled_stream() {
        let proxy = FaultProxy::to_postgres().await;
        let app = TestApp::spawn_with(Backend::Postgres, |s| {
            s.database_url = proxy.url_through(&s.database_url);
            s.shutdown_timeout = SHUTDOWN_TIMEOUT;
            s.call_timeout = Duration::ZERO;
            // The write must stay in flight while the database stalls: a connection checkout that gave up after
            // the default 2 s would end it (UNAVAILABLE) before the shutdown it is meant to hold.
            s.database_connect_timeout = PATIENCE;
        })
        .await;
        let mut stalled = subscribe_stalled(&app, Some(0), None).await;
        next_event(&mut stalled).await;
        let mut client = app.draws().await;

        proxy.set(Mode::Stall);
        let write = tokio::spawn(async move { client.record_draw(record(9001)).await });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(
            !write.is_finished(),
            "the write waits on the stalled database"
        );
        let stopping = tokio::spawn(app.stop());
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(
            !stopping.is_finished(),
            "the server waits for the write in flight"
        );

        proxy.set(Mode::Pass);
        let written = tokio::time::timeout(PATIENCE, write)
            .await
            .expect("the write finishes once the database answers")
            .expect("join");
        let written = written.expect("the write in flight at shutdown succeeds");
        assert!(written.into_inner().created);
        tokio::time::timeout(EXIT_BOUND, stopping)
            .await
            .expect("then the server exits, without waiting for the stalled stream")
            .expect("join")
            .expect("clean exit");
        drop(stalled);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_call_stuck_on_the_database_ends_with_deadline_exceeded() {
        let proxy = FaultProxy::to_postgres().await;
        let app = TestApp::spawn_with(Backend::Postgres, |s| {
            s.database_url = proxy.url_through(&s.database_url);
            s.call_timeout = Duration::from_secs(1);
        })
        .await;
        let mut client = app.draws().await;
        proxy.set(Mode::Stall);
        let status = tokio::time::timeout(PATIENCE, client.record_draw(record(9002)))
            .await
            .expect("an answer within the patience bound")
            .expect_err("the database does not answer");
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
        assert!(status.message().contains("--call-timeout"), "{status:?}");
        proxy.set(Mode::Pass);
    }
}
