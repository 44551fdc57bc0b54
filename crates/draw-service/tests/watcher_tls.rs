//! The feed watcher's HTTP client speaks TLS through rustls on the ring provider (no OpenSSL, no process-wide
//! provider to install first): an https feed URL opens with a TLS ClientHello naming the host, and a server that
//! does not complete the handshake is a failed poll (UNAVAILABLE, retried later), not a panic.

use std::io::Read;
use std::time::Duration;

use ee_domain::{ErrorCode, ServiceError};
use ee_draw_service::{DrawRecorder, FeedWatchConfig, FeedWatcher};
use ee_test_support::{Backend, TestDb};

/// A TLS record of type handshake (22) whose first message is a ClientHello (1).
const HANDSHAKE_RECORD: u8 = 22;
const CLIENT_HELLO: u8 = 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_feed_is_fetched_over_tls_and_a_failed_handshake_is_a_failed_poll() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    // Reads the client's first TLS record, then hangs up: the handshake cannot complete.
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().expect("the watcher connects");
        let mut header = [0u8; 5];
        socket.read_exact(&mut header).expect("a record header");
        let length = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let mut body = vec![0u8; length];
        socket.read_exact(&mut body).expect("the record");
        (header, body)
    });

    let db = TestDb::new(Backend::Sqlite);
    let store = ee_store::Store::open(&db.url, 2, ee_store::DEFAULT_CONNECT_TIMEOUT)
        .await
        .expect("store");
    store.run(|s| s.migrate()).await.expect("migrate");
    let rules = std::sync::Arc::new(
        ee_domain::rules::Rules::load(&ee_domain::rules::RuleSources::builtin()).expect("rules"),
    );
    let names = std::sync::Arc::new(
        ee_ircc_feed::RoundNames::from_json(ee_ircc_feed::BUILTIN_ROUND_NAMES, &rules.catalog)
            .expect("round names"),
    );
    let config = FeedWatchConfig {
        url: format!("https://localhost:{port}/ee_rounds_123_en.json"),
        interval: Duration::from_secs(60),
        timeout: Duration::from_secs(30),
    };
    let mut watcher =
        FeedWatcher::new(config, DrawRecorder::new(store, rules, names)).expect("a TLS client");
    let err = watcher.poll().await.expect_err("the handshake failed");
    assert_eq!(err.error_code(), ErrorCode::Unavailable, "{err:?}");

    let (header, body) = server.join().expect("the server thread");
    assert_eq!(
        header[0], HANDSHAKE_RECORD,
        "not a TLS handshake: {header:?}"
    );
    assert_eq!(body[0], CLIENT_HELLO, "not a ClientHello");
    assert!(
        body.windows(b"localhost".len()).any(|w| w == b"localhost"),
        "the ClientHello does not name the host (SNI)"
    );
}
