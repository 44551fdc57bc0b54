//! The server around the services: health, reflection, shutdown.

use std::time::Duration;

use ee_proto::v1::GetDrawRequest;
use ee_test_support::{Backend, TestApp, on_both_backends};
use tokio_stream::StreamExt;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

async fn health_reports_liveness_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut health = HealthClient::new(app.channel().await);
    for service in [
        "",
        "expressentry.v1.DrawService",
        "expressentry.v1.EligibilityService",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("Health.Check")
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving, "{service:?}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "no.such.Service".into(),
        })
        .await;
    assert_eq!(
        unknown.expect_err("unknown service").code(),
        tonic::Code::NotFound
    );
}

async fn reflection_lists_the_services_in_both_versions(backend: Backend) {
    use tonic_reflection::pb::{v1, v1alpha};
    let app = TestApp::spawn(backend).await;
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(app.channel().await);
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection v1")
        .into_inner();
    let names: Vec<String> = match responses
        .next()
        .await
        .expect("a response")
        .expect("ok")
        .message_response
    {
        Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(l)) => {
            l.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("{other:?}"),
    };
    for wanted in [
        "expressentry.v1.DrawService",
        "expressentry.v1.EligibilityService",
        "grpc.health.v1.Health",
    ] {
        assert!(names.iter().any(|n| n == wanted), "{wanted} in {names:?}");
    }

    let mut alpha =
        v1alpha::server_reflection_client::ServerReflectionClient::new(app.channel().await);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                "expressentry.v1.DrawService".into(),
            ),
        ),
    };
    // The error details too, so that a client such as grpcurl can show INVALID_ARGUMENT's fields.
    let details = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                "google.rpc.BadRequest".into(),
            ),
        ),
    };
    let mut responses = alpha
        .server_reflection_info(tokio_stream::iter([request, details]))
        .await
        .expect("reflection v1alpha")
        .into_inner();
    match responses
        .next()
        .await
        .expect("a response")
        .expect("ok")
        .message_response
    {
        Some(v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(f)) => {
            assert!(!f.file_descriptor_proto.is_empty())
        }
        other => panic!("{other:?}"),
    }
    match responses
        .next()
        .await
        .expect("a second response")
        .expect("ok")
        .message_response
    {
        Some(v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(f)) => {
            assert!(
                !f.file_descriptor_proto.is_empty(),
                "google.rpc.BadRequest is known"
            )
        }
        other => panic!("google.rpc.BadRequest: {other:?}"),
    }
}

async fn the_server_stops_on_request_with_clients_connected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    client
        .get_draw(GetDrawRequest { number: "1".into() })
        .await
        .expect("a call before stopping");
    // The bound only keeps a broken shutdown from hanging the suite; the server's own timeout is 5 s.
    tokio::time::timeout(Duration::from_secs(60), app.stop())
        .await
        .expect("the server exits")
        .expect("cleanly");
    let after = client.get_draw(GetDrawRequest { number: "1".into() }).await;
    assert_eq!(after.expect_err("stopped").code(), tonic::Code::Unavailable);
}

on_both_backends!(
    health_reports_liveness_and_readiness,
    reflection_lists_the_services_in_both_versions,
    the_server_stops_on_request_with_clients_connected,
);

/// A mistake in the rule data stops the server at start, naming the file and the path in it, before it serves or
/// touches the database.
#[tokio::test]
async fn a_broken_rule_file_stops_the_server_at_start_naming_it() {
    let dir = std::env::temp_dir().join(format!("ee-test-broken-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("rules dir");
    let crs: serde_json::Value =
        serde_json::from_str(ee_domain::rules::RuleSources::builtin().crs).expect("crs.json");
    let mut short = crs.clone();
    short["age"]["without_spouse"]
        .as_array_mut()
        .expect("age table")
        .pop();
    for (name, text, path) in [
        ("crs.json", short.to_string(), "age.without_spouse"),
        (
            "round-names.json",
            r#"{"general": [], "programs": {}, "categoriez": {}}"#.to_owned(),
            "categoriez",
        ),
    ] {
        for file in ee_server::rules::RULE_FILES {
            let _ = std::fs::remove_file(dir.join(file));
        }
        std::fs::write(dir.join(name), text).expect("write");
        let db = ee_test_support::TestDb::new(Backend::Sqlite);
        let mut settings = ee_server::Settings::without_environment();
        settings.listen = "127.0.0.1:0".parse().expect("address");
        settings.database_url = db.url.clone();
        settings.rules_dir = Some(dir.clone());
        let err = match ee_server::Application::build(settings).await {
            Ok(_) => panic!("the server started with a broken {name}"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains(name) && err.contains(path), "{name}: {err}");
        assert!(
            err.contains(&dir.display().to_string()),
            "names the directory: {err}"
        );
    }
    // A directory that cannot be read, or holds a file that is not a rule file (a misspelt name), is refused too:
    // the server must never run on other rules than the operator asked for.
    for file in ee_server::rules::RULE_FILES {
        let _ = std::fs::remove_file(dir.join(file));
    }
    std::fs::write(dir.join("categories.JSON"), "{}").expect("write");
    let missing = dir.join("no-such-dir");
    for (rules_dir, expected) in [
        (dir.clone(), "not a rule file"),
        (missing, "cannot be read"),
    ] {
        let db = ee_test_support::TestDb::new(Backend::Sqlite);
        let mut settings = ee_server::Settings::without_environment();
        settings.listen = "127.0.0.1:0".parse().expect("address");
        settings.database_url = db.url.clone();
        settings.rules_dir = Some(rules_dir);
        let err = match ee_server::Application::build(settings).await {
            Ok(_) => panic!("the server started without the rules it was given"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains(expected), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
