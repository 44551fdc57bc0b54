//! Figures for live rounds, not pass/fail (release build, loopback):
//! - delivery latency from RecordDraw returning to receipt, p50 and p99, for 1,000 and 10,000 concurrent
//!   subscribers spread over 100 connections;
//! - server memory per idle subscriber (resident memory of the server process, before and after);
//! - server memory per stalled subscriber: 2,000 streams replaying the whole log from event 0 and never read, and
//!   the memory once they have ended;
//! - the time from SIGTERM to the server's exit with 2,000 streams open (some stalled) and a health watch;
//! - replica-to-replica delivery through PostgreSQL (two server processes on one database), p50 and p99;
//! - with `soak` named (it is not in the default run): the soak of `live/soak.rs`, `EE_SOAK_SECONDS` long.
//!
//! Run: `cargo bench -p ee-tests --bench live` (`-- stalled shutdown` for only the measurements whose names contain
//! those words); PostgreSQL figures when EE_TEST_POSTGRES_URL is set. The servers
//! run in child processes (this binary re-executed with `--serve`); the subscribers run here. Both share the
//! machine's cores.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::{Draw, RecordDrawRequest, SubscribeDrawsRequest, SubscribeDrawsResponse};
use ee_test_support::fixtures::{after_the_history, general, round};
use ee_test_support::{Backend, OPERATOR_TOKEN, TestDb, authorized};
use tokio::sync::Mutex;
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic::{Code, Streaming};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

#[path = "live/soak.rs"]
mod soak;

const CONNECTIONS: usize = 100;
const ROUNDS: usize = 30;
/// Streams that replay the log and are never read, 100 on each connection, so that the client's flow-control
/// windows (2 MiB a stream, 5 MiB a connection) fill long before the log is sent.
const STALLED: usize = 2_000;
const STALLED_PER_CONNECTION: usize = 100;

/// A server in a child process.
struct ServerProcess {
    child: Child,
    endpoint: String,
}

impl ServerProcess {
    fn start(database_url: &str) -> Self {
        let mut child = Command::new(std::env::current_exe().expect("this binary"))
            .args(["--serve", database_url])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server process");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the server prints its address");
        Self {
            child,
            endpoint: format!("http://{}", line.trim()),
        }
    }

    /// Sends SIGTERM and returns the time until the process has exited.
    fn terminate(&mut self) -> Duration {
        let pid = self.child.id().to_string();
        let started = Instant::now();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        assert!(sent.success(), "SIGTERM sent");
        self.child.wait().expect("the server exits");
        started.elapsed()
    }

    /// Resident memory, from /proc.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `--serve URL`: run a server on 127.0.0.1:0 over that database and print its address.
fn serve(database_url: &str) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut settings = ee_server::Settings::without_environment();
        settings.listen = "127.0.0.1:0".parse().expect("address");
        settings.database_url = database_url.to_owned();
        settings.operator_token = Some(OPERATOR_TOKEN.parse().expect("token"));
        settings.max_subscribers = 50_000;
        settings.max_subscriptions_per_connection = 1_000;
        settings.event_backstop_interval = Duration::from_secs(3600);
        let app = ee_server::Application::build(settings)
            .await
            .expect("server");
        println!("{}", app.local_addr().expect("address"));
        app.run_until(ee_server::shutdown_signal())
            .await
            .expect("serve");
    });
}

async fn connect(endpoint: &str) -> DrawServiceClient<Channel> {
    let channel = Channel::from_shared(endpoint.to_owned())
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    DrawServiceClient::new(channel)
}

/// The `k`th round of a measurement: numbered from 1000, so that it is told apart from the shipped history.
fn measured_round(k: usize) -> Draw {
    let k = u32::try_from(k).expect("a few rounds");
    round((1000 + k).to_string(), general(), after_the_history(k))
}

/// Subscribers spread over `CONNECTIONS` connections; each logs when it receives each round.
struct Subscribers {
    received: Arc<Mutex<Vec<Vec<Instant>>>>,
    counts: Arc<Vec<AtomicUsize>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Subscribers {
    async fn open(endpoint: &str, n: usize) -> Self {
        let mut clients = Vec::new();
        for _ in 0..CONNECTIONS.min(n) {
            clients.push(connect(endpoint).await);
        }
        let received = Arc::new(Mutex::new(
            (0..ROUNDS)
                .map(|_| Vec::with_capacity(n))
                .collect::<Vec<_>>(),
        ));
        let counts: Arc<Vec<AtomicUsize>> =
            Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
        let mut tasks = Vec::new();
        for i in 0..n {
            let mut client = clients[i % clients.len()].clone();
            let stream = client
                .subscribe_draws(SubscribeDrawsRequest::default())
                .await
                .expect("subscribe");
            let mut stream = stream.into_inner();
            let (received, counts) = (received.clone(), counts.clone());
            tasks.push(tokio::spawn(async move {
                while let Some(Ok(msg)) = stream.next().await {
                    let at = Instant::now();
                    let number: usize = msg
                        .event
                        .and_then(|e| e.draw)
                        .map_or(0, |d| d.number.parse().unwrap_or(0));
                    if let Some(k) = number.checked_sub(1000).filter(|k| *k < ROUNDS) {
                        received.lock().await[k].push(at);
                        counts[k].fetch_add(1, Ordering::SeqCst);
                    }
                }
            }));
        }
        Self {
            received,
            counts,
            tasks,
        }
    }

    /// Records each round through `writer` and returns the delivery latencies over every subscriber.
    async fn measure(&self, writer: &mut DrawServiceClient<Channel>, n: usize) -> Vec<Duration> {
        let mut latencies = Vec::with_capacity(n * ROUNDS);
        for k in 0..ROUNDS {
            writer
                .record_draw(authorized(RecordDrawRequest {
                    draw: Some(measured_round(k)),
                }))
                .await
                .expect("RecordDraw");
            let returned = Instant::now();
            let deadline = returned + Duration::from_secs(60);
            while self.counts[k].load(Ordering::SeqCst) < n {
                assert!(
                    Instant::now() < deadline,
                    "round {k}: only {} of {n} delivered",
                    self.counts[k].load(Ordering::SeqCst)
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let got = self.received.lock().await;
            latencies.extend(got[k].iter().map(|t| t.saturating_duration_since(returned)));
        }
        latencies
    }
}

impl Drop for Subscribers {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn percentiles(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let at = |p: usize| v[(v.len() * p / 100).min(v.len() - 1)].as_secs_f64() * 1e3;
    (at(50), at(99))
}

async fn fan_out(backend: Backend, n: usize) {
    let db = TestDb::new(backend);
    let server = ServerProcess::start(&db.url);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = server.rss_kib();
    let subscribers = Subscribers::open(&server.endpoint, n).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = server.rss_kib();
    let mut writer = connect(&server.endpoint).await;
    let latencies = subscribers.measure(&mut writer, n).await;
    let (p50, p99) = percentiles(latencies);
    println!(
        "{backend:?}, {n} subscribers over {} connections: delivery after RecordDraw returns p50 {p50:.1} ms, p99 {p99:.1} ms ({ROUNDS} rounds); server memory {:.1} KiB per idle subscriber ({before} KiB -> {after} KiB)",
        CONNECTIONS.min(n),
        (after.saturating_sub(before)) as f64 / n as f64,
    );
}

/// `n` subscriptions replaying the whole log from event 0 over `connections` connections, never read.
async fn stalled_replays(
    endpoint: &str,
    n: usize,
    connections: usize,
) -> Vec<Streaming<SubscribeDrawsResponse>> {
    let mut clients = Vec::new();
    for _ in 0..connections {
        clients.push(connect(endpoint).await);
    }
    let mut streams = Vec::with_capacity(n);
    for i in 0..n {
        let k = i % connections;
        let stream = clients[k]
            .subscribe_draws(SubscribeDrawsRequest {
                after_event_id: Some(0),
                filter: None,
            })
            .await
            .expect("subscribe");
        streams.push(stream.into_inner());
    }
    streams
}

/// Resident memory of the server once it has settled: read until two readings a second apart agree within 1%.
async fn settled_rss_kib(server: &ServerProcess) -> u64 {
    let mut last = server.rss_kib();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = server.rss_kib();
        if now.abs_diff(last) * 100 <= last {
            return now;
        }
        last = now;
    }
    last
}

/// Twice over, so that memory the allocator keeps for reuse is told apart from memory that is never freed: a leak
/// grows with each round, kept memory is taken again by the next.
async fn stalled_memory(backend: Backend, n: usize) {
    let connections = n.div_ceil(STALLED_PER_CONNECTION);
    let db = TestDb::new(backend);
    let server = ServerProcess::start(&db.url);
    let before = settled_rss_kib(&server).await;
    let mut figures = Vec::new();
    for _ in 0..2 {
        let streams = stalled_replays(&server.endpoint, n, connections).await;
        let during = settled_rss_kib(&server).await;
        drop(streams);
        let after = settled_rss_kib(&server).await;
        figures.push((during, after));
    }
    // The threads that ran the database reads exit after 10 s idle, and their stacks go with them.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let idle = server.rss_kib();
    let [(during, after), (again, after_again)] = figures[..] else {
        unreachable!("two rounds")
    };
    println!(
        "{backend:?}, {n} streams replaying the log from event 0, never read, over {connections} connections: server memory {before} KiB -> {during} KiB, {:.1} KiB per stream; {after} KiB once they ended; a second round: {again} KiB, then {after_again} KiB; {idle} KiB once the idle blocking threads have exited",
        during.saturating_sub(before) as f64 / n as f64,
    );
}

/// How the live readers' streams ended.
#[derive(Default, Debug)]
struct Endings {
    unavailable_with_hint: AtomicUsize,
    other: AtomicUsize,
}

/// `n` live subscribers over `CONNECTIONS` connections, each reading until its stream ends and counting how.
async fn live_readers(
    endpoint: &str,
    n: usize,
    endings: &Arc<Endings>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut clients = Vec::new();
    for _ in 0..CONNECTIONS {
        clients.push(connect(endpoint).await);
    }
    let mut readers = Vec::with_capacity(n);
    for i in 0..n {
        let mut stream = clients[i % CONNECTIONS]
            .subscribe_draws(SubscribeDrawsRequest::default())
            .await
            .expect("subscribe")
            .into_inner();
        let endings = endings.clone();
        readers.push(tokio::spawn(async move {
            let end = loop {
                match stream.next().await {
                    Some(Ok(_)) => {}
                    other => break other,
                }
            };
            let counter = match end {
                Some(Err(s))
                    if s.code() == Code::Unavailable && s.message().contains("after_event_id") =>
                {
                    &endings.unavailable_with_hint
                }
                _ => &endings.other,
            };
            counter.fetch_add(1, Ordering::SeqCst);
        }));
    }
    readers
}

/// A Health.Watch of readiness that is read until it ends.
async fn health_watch(endpoint: &str) -> tokio::task::JoinHandle<()> {
    let channel = Channel::from_shared(endpoint.to_owned())
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let mut watch = HealthClient::new(channel)
        .watch(HealthCheckRequest {
            service: ee_proto::DRAW_SERVICE_NAME.into(),
        })
        .await
        .expect("Health.Watch")
        .into_inner();
    tokio::spawn(async move { while let Some(Ok(_)) = watch.next().await {} })
}

/// The time from SIGTERM to exit with `STALLED` streams open, `stalled` of them replays that are never read (the
/// rest live readers), and a Health.Watch.
async fn shutdown_time(backend: Backend, stalled: usize) {
    let db = TestDb::new(backend);
    let mut server = ServerProcess::start(&db.url);
    let readers_n = STALLED - stalled;
    let stalled_connections = stalled.div_ceil(100);
    let unread = stalled_replays(&server.endpoint, stalled, stalled_connections).await;
    let endings = Arc::new(Endings::default());
    let readers = live_readers(&server.endpoint, readers_n, &endings).await;
    let watcher = health_watch(&server.endpoint).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let exit = server.terminate();
    for reader in readers {
        let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
    }
    let watch_ended = tokio::time::timeout(Duration::from_secs(5), watcher)
        .await
        .is_ok();
    drop(unread);
    println!(
        "{backend:?}, SIGTERM to exit with {STALLED} streams open ({stalled} replays never read over {stalled_connections} connections, {readers_n} live readers over {CONNECTIONS}) and a Health.Watch: {:.0} ms (shutdown timeout {} s); readers that ended with UNAVAILABLE and the resume hint: {}, otherwise: {}; the watch ended: {watch_ended}",
        exit.as_secs_f64() * 1e3,
        ee_server::Settings::without_environment()
            .shutdown_timeout
            .as_secs(),
        endings.unavailable_with_hint.load(Ordering::SeqCst),
        endings.other.load(Ordering::SeqCst),
    );
}

async fn replica_to_replica() {
    let db = TestDb::new(Backend::Postgres);
    let a = ServerProcess::start(&db.url);
    let b = ServerProcess::start(&db.url);
    let n = 100;
    let subscribers = Subscribers::open(&b.endpoint, n).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut writer = connect(&a.endpoint).await;
    let (p50, p99) = percentiles(subscribers.measure(&mut writer, n).await);
    println!(
        "Postgres, replica to replica: {n} subscribers on B, rounds recorded on A: p50 {p50:.1} ms, p99 {p99:.1} ms ({ROUNDS} rounds)"
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        serve(&args[i + 1]);
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    // `cargo bench -p ee-tests --bench live -- stalled shutdown`: only the measurements whose names contain a word.
    let only: Vec<&str> = args[1..]
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|w| name.contains(w));
    let postgres = std::env::var("EE_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut backends = vec![Backend::Sqlite];
        if postgres {
            backends.push(Backend::Postgres);
        } else {
            println!("(set EE_TEST_POSTGRES_URL for the PostgreSQL figures)");
        }
        for backend in backends {
            if wanted("fan_out") {
                let sizes: &[usize] = match backend {
                    Backend::Sqlite => &[1_000, 10_000],
                    Backend::Postgres => &[10_000],
                };
                for &n in sizes {
                    fan_out(backend, n).await;
                }
            }
            if wanted("stalled_memory") {
                stalled_memory(backend, STALLED).await;
                stalled_memory(backend, 10 * STALLED).await;
            }
            if wanted("shutdown_time") {
                shutdown_time(backend, 0).await;
                shutdown_time(backend, STALLED / 4).await;
            }
        }
        if postgres && wanted("replica_to_replica") {
            replica_to_replica().await;
        }
        if only.contains(&"soak") {
            let seconds = std::env::var("EE_SOAK_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(180);
            soak::soak(Backend::Sqlite, seconds).await;
            if postgres {
                soak::soak(Backend::Postgres, seconds).await;
            }
        }
    });
}
