//! Figures for live rounds, not pass/fail (release build, loopback):
//! - delivery latency from RecordDraw returning to receipt, p50 and p99, for 1,000 and 10,000 concurrent
//!   subscribers spread over 100 connections;
//! - server memory per idle subscriber (resident memory of the server process, before and after);
//! - replica-to-replica delivery through PostgreSQL (two server processes on one database), p50 and p99.
//!
//! Run: `cargo bench -p ee-tests --bench live`; PostgreSQL figures when EE_TEST_POSTGRES_URL is set. The servers
//! run in child processes (this binary re-executed with `--serve`); the subscribers run here. Both share the
//! machine's cores.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::{Draw, RecordDrawRequest, SubscribeDrawsRequest};
use ee_test_support::fixtures::{after_the_history, general, round};
use ee_test_support::{Backend, OPERATOR_TOKEN, TestDb, authorized};
use tokio::sync::Mutex;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

const CONNECTIONS: usize = 100;
const ROUNDS: usize = 30;

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
        app.run_until(std::future::pending()).await.expect("serve");
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
    let postgres = std::env::var("EE_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        for n in [1_000, 10_000] {
            fan_out(Backend::Sqlite, n).await;
        }
        if postgres {
            fan_out(Backend::Postgres, 10_000).await;
            replica_to_replica().await;
        } else {
            println!("(set EE_TEST_POSTGRES_URL for the PostgreSQL figures)");
        }
    });
}
