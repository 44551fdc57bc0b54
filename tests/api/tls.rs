//! TLS on the gRPC port: both services over TLS, client certificates required when a client CA is given, a
//! rotated certificate served without a restart, and the plaintext health port beside TLS.

use std::path::PathBuf;
use std::time::Duration;

use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::eligibility_service_client::EligibilityServiceClient;
use ee_proto::v1::{GetLatestDrawRequest, ListCategoriesRequest, ListDrawsRequest};
use ee_test_support::streams::PATIENCE;
use ee_test_support::tls::{TestCa, TlsPaths, served_certificate, tls_channel, tls_connect};
use ee_test_support::{Backend, TestApp, on_both_backends};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A directory of its own for each test's TLS files.
fn tls_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("tls")
        .join(format!("{test}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("TLS dir");
    dir
}

async fn both_services_over_tls_with_client_certificates(backend: Backend) {
    let ca = TestCa::new("ee test CA");
    let clients = TestCa::new("ee test client CA");
    let paths = TlsPaths::write(
        &tls_dir("mtls"),
        &ca.server("ee-test-server"),
        Some(&clients),
    );
    let app = TestApp::spawn_with(backend, |s| paths.apply(s)).await;
    let client = clients.client("operator");

    let channel = tls_channel(app.addr, &ca, Some(&client))
        .await
        .expect("TLS connection");
    let page = DrawServiceClient::new(channel.clone())
        .list_draws(ListDrawsRequest {
            page_size: 5,
            ..Default::default()
        })
        .await
        .expect("ListDraws over TLS")
        .into_inner();
    assert_eq!(page.draws.len(), 5);
    assert_eq!(page.total_size, 435);
    let categories = EligibilityServiceClient::new(channel)
        .list_categories(ListCategoriesRequest {
            as_of: None,
            include_history: true,
        })
        .await
        .expect("ListCategories over TLS")
        .into_inner();
    assert!(!categories.categories.is_empty());

    // Without a client certificate: refused, at the handshake or at the first call.
    let refused = match tls_channel(app.addr, &ca, None).await {
        Err(_) => None,
        Ok(channel) => Some(
            DrawServiceClient::new(channel)
                .get_latest_draw(GetLatestDrawRequest::default())
                .await
                .expect_err("a call without a client certificate is refused"),
        ),
    };
    if let Some(status) = refused {
        assert_ne!(status.code(), Code::Ok);
    }
    // A certificate from a CA the server does not trust: refused too.
    let stranger = TestCa::new("someone else").client("intruder");
    if let Ok(channel) = tls_channel(app.addr, &ca, Some(&stranger)).await {
        DrawServiceClient::new(channel)
            .get_latest_draw(GetLatestDrawRequest::default())
            .await
            .expect_err("a call with an untrusted client certificate is refused");
    }
    // Plaintext on the TLS port: no call gets through.
    if let Ok(channel) = tonic::transport::Channel::from_shared(app.endpoint())
        .expect("endpoint")
        .connect()
        .await
    {
        DrawServiceClient::new(channel)
            .get_latest_draw(GetLatestDrawRequest::default())
            .await
            .expect_err("plaintext is refused on the TLS port");
    }
    // And the refusals did not disturb the server: a good client still gets through.
    let channel = tls_channel(app.addr, &ca, Some(&client))
        .await
        .expect("TLS connection");
    DrawServiceClient::new(channel)
        .get_latest_draw(GetLatestDrawRequest::default())
        .await
        .expect("GetLatestDraw over TLS");
}

/// Waits until the server presents `expected` to a new connection.
async fn until_served(app: &TestApp, ca: &TestCa, expected: &[u8]) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let served = served_certificate(app.addr, ca, None)
            .await
            .expect("TLS handshake");
        if served.as_ref() == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the rotated certificate was not served within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_rotated_certificate_is_served_without_a_restart(backend: Backend) {
    let ca = TestCa::new("ee test CA");
    let first = ca.server("first");
    let paths = TlsPaths::write(&tls_dir("rotate"), &first, None);
    let app = TestApp::spawn_with(backend, |s| {
        paths.apply(s);
        s.tls_reload_interval = Duration::from_millis(100);
    })
    .await;
    assert_eq!(
        served_certificate(app.addr, &ca, None)
            .await
            .expect("TLS handshake")
            .as_ref(),
        first.der().as_ref()
    );
    let open = tls_channel(app.addr, &ca, None)
        .await
        .expect("TLS connection");

    let second = ca.server("second");
    paths.rotate(&second);
    until_served(&app, &ca, second.der().as_ref()).await;

    // A rotation that fails (a key that is not the certificate's) keeps the certificate in force.
    let third = ca.server("third");
    std::fs::write(&paths.cert, &third.cert).expect("write the certificate alone");
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let served = served_certificate(app.addr, &ca, None)
            .await
            .expect("still serving TLS");
        assert_eq!(
            served.as_ref(),
            second.der().as_ref(),
            "a bad pair must not be served"
        );
    }
    // Its key arrives: now it is served.
    std::fs::write(&paths.key, &third.key).expect("write the key");
    until_served(&app, &ca, third.der().as_ref()).await;

    // Calls work on connections made before and after the rotations.
    for channel in [
        open,
        tls_channel(app.addr, &ca, None)
            .await
            .expect("TLS connection"),
    ] {
        DrawServiceClient::new(channel)
            .get_latest_draw(GetLatestDrawRequest::default())
            .await
            .expect("GetLatestDraw over TLS");
    }
}

async fn the_plaintext_health_port_reports_the_same_statuses_beside_tls(backend: Backend) {
    let ca = TestCa::new("ee test CA");
    let paths = TlsPaths::write(&tls_dir("health"), &ca.server("server"), None);
    let app = TestApp::spawn_with(backend, |s| {
        paths.apply(s);
        s.health_addr = Some("127.0.0.1:0".parse().expect("address"));
    })
    .await;
    let health_addr = app.health_addr.expect("a health port");
    let plain = tonic::transport::Channel::from_shared(format!("http://{health_addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect to the health port");
    let tls = tls_channel(app.addr, &ca, None)
        .await
        .expect("TLS connection");
    for service in [
        "",
        ee_proto::DRAW_SERVICE_NAME,
        ee_proto::ELIGIBILITY_SERVICE_NAME,
    ] {
        for channel in [plain.clone(), tls.clone()] {
            let status = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .expect("Health.Check")
                .into_inner()
                .status;
            assert_eq!(status, ServingStatus::Serving as i32, "service {service:?}");
        }
    }
    // The health port serves health alone.
    let status = DrawServiceClient::new(plain)
        .get_latest_draw(GetLatestDrawRequest::default())
        .await
        .expect_err("no DrawService on the health port");
    assert_eq!(status.code(), Code::Unimplemented);
}

/// A connection that finishes TLS but never opens HTTP/2 is closed after the handshake timeout, as a plaintext one
/// is: silent connections do not pile up behind TLS either.
async fn a_silent_connection_after_tls_is_closed(backend: Backend) {
    let ca = TestCa::new("ee test CA");
    let paths = TlsPaths::write(&tls_dir("silent"), &ca.server("server"), None);
    let app = TestApp::spawn_with(backend, |s| {
        paths.apply(s);
        s.handshake_timeout = Duration::from_millis(300);
    })
    .await;
    let mut silent = tls_connect(app.addr, &ca, None)
        .await
        .expect("TLS handshake");
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(
        PATIENCE,
        tokio::io::AsyncReadExt::read(&mut silent, &mut buf),
    )
    .await
    .expect("closed by the server within the bound");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // A client that speaks gets through.
    let channel = tls_channel(app.addr, &ca, None)
        .await
        .expect("TLS connection");
    DrawServiceClient::new(channel)
        .get_latest_draw(GetLatestDrawRequest::default())
        .await
        .expect("GetLatestDraw over TLS");
}

on_both_backends!(
    a_silent_connection_after_tls_is_closed,
    both_services_over_tls_with_client_certificates,
    a_rotated_certificate_is_served_without_a_restart,
    the_plaintext_health_port_reports_the_same_statuses_beside_tls,
);
