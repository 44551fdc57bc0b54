//! The `ee-server` binary as an operator runs it: a real process on loopback, with JSON logs read from its output.
//! Metrics scraped after calls and a subscription; SIGTERM with a subscription open; SIGHUP reloading TLS; and
//! starts that must fail with one clear message and a non-zero exit.

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::{
    GetDrawRequest, ImportFeedRequest, ListDrawsRequest, RecordDrawRequest, SubscribeDrawsRequest,
};
use ee_test_support::fixtures::{after_the_history, general, round};
use ee_test_support::streams::PATIENCE;
use ee_test_support::tls::{TestCa, TlsPaths, served_certificate};
use ee_test_support::{Backend, OPERATOR_TOKEN, TestDb, authorized, on_both_backends};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// What the process printed, line by line (stdout and stderr).
type Lines = Arc<Mutex<Vec<String>>>;

fn command(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ee-server"));
    // A developer's EE_* variables must not reach the server under test.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("EE_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("RUST_LOG", "info")
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--database-url", &db.url, "--database-pool-size", "4"])
        .args(["--operator-token", OPERATOR_TOKEN])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn spawn(cmd: &mut Command) -> (Child, Lines) {
    let mut child = cmd.spawn().expect("start ee-server");
    let lines: Lines = Arc::default();
    let out = child
        .stdout
        .take()
        .map(|o| Box::new(o) as Box<dyn std::io::Read + Send>);
    let err = child
        .stderr
        .take()
        .map(|e| Box::new(e) as Box<dyn std::io::Read + Send>);
    for pipe in [out, err].into_iter().flatten() {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().expect("lines").push(line);
            }
        });
    }
    (child, lines)
}

fn json(line: &str) -> Option<serde_json::Value> {
    serde_json::from_str(line).ok()
}

fn message(v: &serde_json::Value) -> &str {
    v["message"].as_str().unwrap_or_default()
}

fn dump(lines: &Lines) -> String {
    lines.lock().expect("lines").join("\n")
}

/// Waits for a log line with this message and returns it; panics if the process exits first.
async fn log_line(child: &mut Child, lines: &Lines, wanted: &str) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let found = lines
            .lock()
            .expect("lines")
            .iter()
            .filter_map(|l| json(l))
            .find(|v| message(v) == wanted);
        if let Some(v) = found {
            return v;
        }
        if let Ok(Some(status)) = child.try_wait() {
            // The readers may still be collecting the last lines.
            tokio::time::sleep(Duration::from_millis(200)).await;
            panic!(
                "ee-server exited ({status}) before logging {wanted:?}:\n{}",
                dump(lines)
            );
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {wanted:?} within {PATIENCE:?}:\n{}",
            dump(lines)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn addr_of(v: &serde_json::Value) -> SocketAddr {
    v["addr"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("an addr in {v}"))
}

/// A running `ee-server`, killed if the test ends first.
struct Server {
    child: Child,
    lines: Lines,
    addr: SocketAddr,
}

impl Server {
    async fn start(cmd: &mut Command) -> Self {
        let (mut child, lines) = spawn(cmd);
        let serving = log_line(&mut child, &lines, "serving gRPC").await;
        let addr = addr_of(&serving);
        Self { child, lines, addr }
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .expect("endpoint")
            .connect()
            .await
            .expect("connect to ee-server")
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name}");
    }

    /// Waits for the process to exit, at most `bound`.
    async fn exit_within(&mut self, bound: Duration) -> ExitStatus {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for ee-server") {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "ee-server did not exit within {bound:?}:\n{}",
                dump(&self.lines)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a start that must fail: its exit status and every line it printed.
async fn failed_start(cmd: &mut Command) -> (ExitStatus, Vec<String>) {
    let (mut child, lines) = spawn(cmd);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if tokio::time::Instant::now() >= deadline {
            let _ = child.kill();
            panic!("ee-server kept running:\n{}", dump(&lines));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Let the readers reach the end of the pipes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let lines = lines.lock().expect("lines").clone();
    (status, lines)
}

/// The start failed with exit status 1, said `expected` in exactly one line, and never served.
fn assert_one_clear_message(status: ExitStatus, lines: &[String], expected: &str) {
    let all = lines.join("\n");
    assert_eq!(status.code(), Some(1), "exit status:\n{all}");
    let saying: Vec<&String> = lines.iter().filter(|l| l.contains(expected)).collect();
    assert_eq!(saying.len(), 1, "one line saying {expected:?}:\n{all}");
    let v = json(saying[0]).unwrap_or_else(|| panic!("a JSON log line: {}", saying[0]));
    assert_eq!(v["level"], "ERROR", "{all}");
    assert!(!all.contains("serving gRPC"), "it never serves:\n{all}");
    assert!(!all.contains("panicked"), "{all}");
}

// ---- metrics ----

async fn scrape(addr: SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the metrics port");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: ee\r\nConnection: close\r\n\r\n")
        .await
        .expect("send the scrape");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("read the scrape");
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    body.to_owned()
}

/// Scrapes until `ready` holds, within [`PATIENCE`].
async fn scrape_until(addr: SocketAddr, ready: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let text = scrape(addr).await;
        if ready(&text) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {PATIENCE:?}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The sum of the samples of `name` whose labels include every one of `labels` (`key="value"`); `None` when there
/// is no such sample.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
        if metric != name || !labels.iter().all(|l| rest.contains(l)) {
            continue;
        }
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("a number in {line}"));
        *found.get_or_insert(0.0) += value;
    }
    found
}

const DRAWS: &str = "service=\"expressentry.v1.DrawService\"";

async fn metrics_move_after_calls_and_a_subscription(backend: Backend) {
    let db = TestDb::new(backend);
    let mut server = Server::start(command(&db).args([
        "--metrics-addr",
        "127.0.0.1:0",
        "--max-request-bytes",
        "65536",
    ]))
    .await;
    let metrics = addr_of(
        &log_line(
            &mut server.child,
            &server.lines,
            "serving metrics at /metrics",
        )
        .await,
    );

    let before = scrape(metrics).await;
    // Counters are there from the start, at 0.
    for (name, labels) in [
        ("ee_db_pool_timeouts_total", &[][..]),
        ("ee_live_events_published_total", &[]),
        ("ee_live_events_delivered_total", &[]),
        ("ee_feed_polls_total", &["outcome=\"failed\""]),
        ("ee_rounds_written_total", &["change=\"updated\""]),
        ("ee_tls_reloads_total", &["outcome=\"failed\""]),
    ] {
        assert_eq!(
            sample(&before, name, labels),
            Some(0.0),
            "{name} {labels:?}:\n{before}"
        );
    }
    assert_eq!(
        sample(&before, "ee_live_subscribers", &[]),
        Some(0.0),
        "{before}"
    );
    // The history in memory holds the shipped snapshot; it has not fallen behind the log.
    assert_eq!(
        sample(&before, "ee_read_model_rounds", &[]),
        Some(435.0),
        "{before}"
    );
    assert_eq!(
        sample(&before, "ee_read_model_age_seconds", &[]),
        Some(0.0),
        "{before}"
    );
    // The shipped snapshot was loaded at start: 435 rounds created.
    assert_eq!(
        sample(&before, "ee_rounds_written_total", &["change=\"created\""]),
        Some(435.0)
    );
    assert_eq!(
        sample(&before, "ee_db_pool_max_connections", &[]),
        Some(4.0),
        "{before}"
    );
    assert!(
        sample(&before, "ee_db_pool_wait_seconds_count", &[]).is_some_and(|n| n > 0.0),
        "{before}"
    );
    assert_eq!(
        sample(&before, "ee_grpc_requests_total", &[DRAWS]),
        None,
        "{before}"
    );

    let channel = server.channel().await;
    let mut draws = DrawServiceClient::new(channel.clone());
    for _ in 0..3 {
        draws
            .list_draws(ListDrawsRequest {
                page_size: 10,
                ..Default::default()
            })
            .await
            .expect("ListDraws");
    }
    let missing = draws
        .get_draw(GetDrawRequest {
            number: "9999".into(),
        })
        .await
        .expect_err("no round 9999");
    assert_eq!(missing.code(), Code::NotFound);
    // A method no service has: tonic itself answers UNIMPLEMENTED, and it is counted under "unknown".
    let mut raw = tonic::client::Grpc::new(channel.clone());
    raw.ready().await.expect("ready");
    let unimplemented = raw
        .unary(
            tonic::Request::new(()),
            http::uri::PathAndQuery::from_static("/expressentry.v1.DrawService/NoSuchMethod"),
            tonic_prost::ProstCodec::<(), ()>::default(),
        )
        .await
        .expect_err("no such method");
    assert_eq!(unimplemented.code(), Code::Unimplemented);
    // A request over the size limit: the call layer answers, before the handler.
    let too_large = draws
        .import_feed(authorized(ImportFeedRequest {
            feed_json: vec![b' '; 100 * 1024],
        }))
        .await
        .expect_err("over the limit");
    assert_eq!(too_large.code(), Code::ResourceExhausted);

    let mut subscription = DrawServiceClient::new(server.channel().await)
        .subscribe_draws(SubscribeDrawsRequest::default())
        .await
        .expect("SubscribeDraws")
        .into_inner();
    let draw = round("500", general(), after_the_history(1));
    draws
        .record_draw(authorized(RecordDrawRequest { draw: Some(draw) }))
        .await
        .expect("RecordDraw");
    let event = tokio::time::timeout(PATIENCE, subscription.message())
        .await
        .expect("an event within the bound")
        .expect("the stream")
        .expect("an event");
    assert!(event.event.is_some());

    // The event reached the subscriber (from the log or the broadcast); the pump publishes it on its own time.
    let during = scrape_until(metrics, |text| {
        sample(text, "ee_live_events_published_total", &[]).is_some_and(|n| n >= 1.0)
            && sample(text, "ee_live_events_delivered_total", &[]) == Some(1.0)
    })
    .await;
    let list = ["method=\"ListDraws\"", DRAWS];
    assert_eq!(
        sample(
            &during,
            "ee_grpc_requests_total",
            &[&list[..], &["code=\"OK\""]].concat()
        ),
        Some(3.0),
        "{during}"
    );
    assert_eq!(
        sample(
            &during,
            "ee_grpc_requests_total",
            &[DRAWS, "method=\"GetDraw\"", "code=\"NOT_FOUND\""]
        ),
        Some(1.0),
        "{during}"
    );
    assert_eq!(
        sample(
            &during,
            "ee_grpc_requests_total",
            &["service=\"unknown\"", "code=\"UNIMPLEMENTED\""]
        ),
        Some(1.0),
        "{during}"
    );
    assert_eq!(
        sample(
            &during,
            "ee_grpc_requests_total",
            &[
                DRAWS,
                "method=\"ImportFeed\"",
                "code=\"RESOURCE_EXHAUSTED\""
            ]
        ),
        Some(1.0),
        "{during}"
    );
    assert_eq!(
        sample(&during, "ee_grpc_request_duration_seconds_count", &list),
        Some(3.0),
        "{during}"
    );
    assert_eq!(
        sample(
            &during,
            "ee_grpc_request_duration_seconds_bucket",
            &[&list[..], &["le=\"+Inf\""]].concat()
        ),
        Some(3.0),
        "{during}"
    );
    assert!(
        sample(&during, "ee_grpc_request_duration_seconds_sum", &list).is_some_and(|s| s > 0.0)
    );
    assert_eq!(
        sample(&during, "ee_live_subscribers", &[]),
        Some(1.0),
        "{during}"
    );
    assert_eq!(
        sample(
            &during,
            "ee_grpc_calls_in_flight",
            &[DRAWS, "method=\"SubscribeDraws\""]
        ),
        Some(1.0),
        "{during}"
    );
    assert_eq!(
        sample(&during, "ee_rounds_written_total", &["change=\"created\""]),
        Some(436.0)
    );
    // The recorded round is in the history in memory (RecordDraw returns once this replica shows it).
    assert_eq!(
        sample(&during, "ee_read_model_rounds", &[]),
        Some(436.0),
        "{during}"
    );
    assert!(
        sample(&during, "ee_read_model_event_id", &[])
            > sample(&before, "ee_read_model_event_id", &[]),
        "{during}"
    );
    assert!(
        sample(&during, "ee_live_events_published_total", &[]).is_some_and(|n| n >= 1.0),
        "{during}"
    );
    assert_eq!(
        sample(&during, "ee_live_events_delivered_total", &[]),
        Some(1.0),
        "{during}"
    );
    assert_eq!(
        sample(&during, "ee_live_subscriber_lag_events_count", &[]),
        Some(1.0),
        "{during}"
    );
    assert!(
        sample(&during, "ee_db_pool_connections", &["state=\"idle\""]).is_some(),
        "{during}"
    );

    // The subscription ends: the gauge goes back down, and the stream is counted (cancelled by the client).
    drop(subscription);
    let after = scrape_until(metrics, |text| {
        sample(text, "ee_live_subscribers", &[]) == Some(0.0)
            && sample(
                text,
                "ee_grpc_calls_in_flight",
                &[DRAWS, "method=\"SubscribeDraws\""],
            ) == Some(0.0)
    })
    .await;
    assert_eq!(
        sample(
            &after,
            "ee_grpc_requests_total",
            &[DRAWS, "method=\"SubscribeDraws\"", "code=\"CANCELLED\""]
        ),
        Some(1.0),
        "{after}"
    );

    // One info line per call, with what it was.
    let lines = server.lines.lock().expect("lines").clone();
    let requests: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|l| json(l))
        .filter(|v| message(v) == "request")
        .collect();
    let not_found = requests
        .iter()
        .find(|v| v["method"] == "GetDraw")
        .unwrap_or_else(|| panic!("a request line for GetDraw:\n{}", lines.join("\n")));
    assert_eq!(not_found["level"], "INFO");
    assert_eq!(not_found["service"], "expressentry.v1.DrawService");
    assert_eq!(not_found["code"], "NOT_FOUND");
    assert!(
        not_found["peer"]
            .as_str()
            .is_some_and(|p| p.starts_with("127.0.0.1:")),
        "{not_found}"
    );
    assert!(not_found["latency_ms"].as_f64().is_some(), "{not_found}");
    assert_eq!(
        requests
            .iter()
            .filter(|v| v["method"] == "ListDraws")
            .count(),
        3
    );
}

// ---- shutdown ----

async fn sigterm_with_an_open_subscription(backend: Backend) {
    let db = TestDb::new(backend);
    let mut server = Server::start(command(&db).args([
        "--health-addr",
        "127.0.0.1:0",
        "--shutdown-timeout",
        "5",
    ]))
    .await;
    let health_addr = addr_of(
        &log_line(
            &mut server.child,
            &server.lines,
            "serving health checks in plaintext",
        )
        .await,
    );
    let health = Channel::from_shared(format!("http://{health_addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect to the health port");
    let mut readiness = HealthClient::new(health)
        .watch(HealthCheckRequest {
            service: ee_proto::DRAW_SERVICE_NAME.into(),
        })
        .await
        .expect("Health.Watch")
        .into_inner();
    let first = readiness
        .message()
        .await
        .expect("a status")
        .expect("a status");
    assert_eq!(first.status, ServingStatus::Serving as i32);
    let mut subscription = DrawServiceClient::new(server.channel().await)
        .subscribe_draws(SubscribeDrawsRequest {
            after_event_id: Some(0),
            filter: None,
        })
        .await
        .expect("SubscribeDraws")
        .into_inner();
    // The replay has begun: the stream is open on the server.
    subscription
        .message()
        .await
        .expect("the stream")
        .expect("an event");

    // Without TLS, SIGHUP has nothing to reload: it is logged and ignored, not the end of the process.
    server.signal("HUP");
    log_line(
        &mut server.child,
        &server.lines,
        "SIGHUP received: no TLS certificate to reload; ignored",
    )
    .await;
    assert!(
        server.child.try_wait().expect("the process").is_none(),
        "SIGHUP ended the server"
    );

    server.signal("TERM");
    let next = tokio::time::timeout(PATIENCE, readiness.message())
        .await
        .expect("a status within the bound")
        .expect("NOT_SERVING before the watch ends")
        .expect("a status");
    assert_eq!(next.status, ServingStatus::NotServing as i32);
    let ended = loop {
        match tokio::time::timeout(PATIENCE, subscription.message())
            .await
            .expect("the stream ends")
        {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the stream ended OK; it must end with UNAVAILABLE"),
            Err(status) => break status,
        }
    };
    assert_eq!(ended.code(), Code::Unavailable, "{ended:?}");
    // Its bound is the shutdown timeout; a second of slack for a loaded machine.
    let status = server.exit_within(Duration::from_secs(6)).await;
    assert!(status.success(), "{status}:\n{}", dump(&server.lines));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let all = dump(&server.lines);
    assert!(all.contains("\"SIGTERM received\""), "{all}");
    assert!(all.contains("\"stopped\""), "{all}");
    // The PostgreSQL listener stops with the hub: a clean shutdown, not a task that died.
    assert!(!all.contains("a background task died"), "{all}");
}

/// In a module, so that the test names read `process::sqlite::...` and `process::postgres::...`, as `.ci/run`
/// counts them.
mod process {
    use super::*;
    on_both_backends!(
        metrics_move_after_calls_and_a_subscription,
        sigterm_with_an_open_subscription
    );
}

// ---- TLS ----

fn tls_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ee-tls-{test}-{}", uuid_like()));
    std::fs::create_dir_all(&dir).expect("TLS dir");
    dir
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    )
}

fn with_tls(cmd: &mut Command, paths: &TlsPaths) {
    cmd.arg("--tls-cert")
        .arg(&paths.cert)
        .arg("--tls-key")
        .arg(&paths.key);
    if let Some(ca) = &paths.client_ca {
        cmd.arg("--tls-client-ca").arg(ca);
    }
}

#[tokio::test]
async fn sighup_reloads_the_certificate_and_a_failed_reload_keeps_it() {
    let db = TestDb::new(Backend::Sqlite);
    let ca = TestCa::new("ee test CA");
    let first = ca.server("first");
    let paths = TlsPaths::write(&tls_dir("sighup"), &first, None);
    let mut cmd = command(&db);
    with_tls(&mut cmd, &paths);
    // Files are not checked for changes during the test: only SIGHUP reloads them.
    cmd.args(["--tls-reload-interval", "3600"]);
    let mut server = Server::start(&mut cmd).await;
    assert_eq!(
        served_certificate(server.addr, &ca, None)
            .await
            .expect("TLS")
            .as_ref(),
        first.der().as_ref()
    );

    let second = ca.server("second");
    paths.rotate(&second);
    server.signal("HUP");
    log_line(
        &mut server.child,
        &server.lines,
        "reloaded the TLS certificate",
    )
    .await;
    assert_eq!(
        served_certificate(server.addr, &ca, None)
            .await
            .expect("TLS")
            .as_ref(),
        second.der().as_ref()
    );

    // A key that is not the certificate's: the reload fails, says why, and the certificate in force stays.
    std::fs::write(&paths.key, ca.server("third").key).expect("write another key");
    server.signal("HUP");
    let failed = log_line(
        &mut server.child,
        &server.lines,
        "cannot reload the TLS certificate; still serving the previous one",
    )
    .await;
    assert_eq!(failed["level"], "WARN");
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot be used together")),
        "{failed}"
    );
    assert_eq!(
        served_certificate(server.addr, &ca, None)
            .await
            .expect("TLS")
            .as_ref(),
        second.der().as_ref()
    );
}

#[tokio::test]
async fn a_certificate_that_expires_soon_is_warned_about() {
    let db = TestDb::new(Backend::Sqlite);
    let ca = TestCa::new("ee test CA");
    let soon = chrono::Utc::now().date_naive() + chrono::Days::new(3);
    let paths = TlsPaths::write(&tls_dir("expiring"), &ca.server_until("soon", soon), None);
    let mut cmd = command(&db);
    with_tls(&mut cmd, &paths);
    let mut server = Server::start(&mut cmd).await;
    let warning = log_line(
        &mut server.child,
        &server.lines,
        "the TLS certificate expires within 7 days",
    )
    .await;
    assert_eq!(warning["level"], "WARN");
    assert!(
        warning["expires"]
            .as_str()
            .is_some_and(|e| e.starts_with(&soon.to_string())),
        "{warning}"
    );
}

// ---- bad starts ----

#[tokio::test]
async fn a_missing_certificate_stops_the_server() {
    let db = TestDb::new(Backend::Sqlite);
    let dir = tls_dir("missing");
    let paths = TlsPaths {
        cert: dir.join("absent.crt"),
        key: dir.join("absent.key"),
        client_ca: None,
    };
    let mut cmd = command(&db);
    with_tls(&mut cmd, &paths);
    let (status, lines) = failed_start(&mut cmd).await;
    assert_one_clear_message(status, &lines, "cannot read the TLS certificate");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("absent.crt") && l.contains("--tls-cert")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_key_that_does_not_match_the_certificate_stops_the_server() {
    let db = TestDb::new(Backend::Sqlite);
    let ca = TestCa::new("ee test CA");
    let paths = TlsPaths::write(&tls_dir("mismatch"), &ca.server("one"), None);
    std::fs::write(&paths.key, ca.server("two").key).expect("write another key");
    let mut cmd = command(&db);
    with_tls(&mut cmd, &paths);
    let (status, lines) = failed_start(&mut cmd).await;
    assert_one_clear_message(status, &lines, "cannot be used together");
}

#[tokio::test]
async fn a_key_file_without_a_key_stops_the_server() {
    let db = TestDb::new(Backend::Sqlite);
    let ca = TestCa::new("ee test CA");
    let paths = TlsPaths::write(&tls_dir("nokey"), &ca.server("one"), None);
    std::fs::write(&paths.key, "not a key\n").expect("write a bad key file");
    let mut cmd = command(&db);
    with_tls(&mut cmd, &paths);
    let (status, lines) = failed_start(&mut cmd).await;
    assert_one_clear_message(status, &lines, "holds no usable PEM private key");
}

#[tokio::test]
async fn a_metrics_address_in_use_stops_the_server() {
    let db = TestDb::new(Backend::Sqlite);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let (status, lines) = failed_start(command(&db).args(["--metrics-addr", &addr])).await;
    assert_one_clear_message(status, &lines, &format!("cannot serve metrics on {addr}"));
    drop(taken);
}

#[tokio::test]
async fn a_health_address_in_use_stops_the_server() {
    let db = TestDb::new(Backend::Sqlite);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let (status, lines) = failed_start(command(&db).args(["--health-addr", &addr])).await;
    assert_one_clear_message(
        status,
        &lines,
        &format!("cannot serve health checks on {addr}"),
    );
    drop(taken);
}
