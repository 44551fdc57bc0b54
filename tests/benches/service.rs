//! Figures, not pass/fail: cold import of the full feed into SQLite and PostgreSQL, and requests per second of
//! GetDraw and ListDraws (page of 50) with 64 concurrent requests on loopback.
//!
//! Run: `cargo bench -p ee-tests` (release build). PostgreSQL is measured when EE_TEST_POSTGRES_URL is set.
//! The load generator runs in this process on its own runtime; server and client share the machine's cores.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ee_domain::Catalog;
use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::{GetDrawRequest, ListDrawsRequest};
use ee_store::{OnConflict, Store};
use ee_tests::{Backend, TestApp, TestDb};
use tonic::transport::Channel;

const CONCURRENCY: usize = 64;
const CONNECTIONS: usize = 4;
const RUN: Duration = Duration::from_secs(5);

fn backends() -> Vec<Backend> {
    let mut b = vec![Backend::Sqlite];
    if std::env::var("EE_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        b.push(Backend::Postgres);
    } else {
        println!("(set EE_TEST_POSTGRES_URL to measure PostgreSQL too)");
    }
    b
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn import_figures(backend: Backend) {
    let feed = ee_ircc_feed::SHIPPED_SNAPSHOT;
    let mut parse = Vec::new();
    let mut write = Vec::new();
    let mut total = Vec::new();
    for _ in 0..7 {
        let db = TestDb::new(backend);
        let store = Store::connect(&db.url, 4).expect("connect");
        store.migrate().expect("migrate");
        let t0 = Instant::now();
        let draws = ee_ircc_feed::parse_feed(feed, Catalog::builtin()).expect("parse");
        let t1 = Instant::now();
        let applied = store.apply(&draws, OnConflict::Update).expect("import");
        let t2 = Instant::now();
        assert_eq!(applied.created.len(), 435);
        parse.push(t1 - t0);
        write.push(t2 - t1);
        total.push(t2 - t0);
    }
    println!(
        "cold import, {backend:?}: 435 rounds in {:.1} ms median (parse {:.1} ms + write {:.1} ms; best {:.1} ms) over 7 fresh databases",
        median(total.clone()).as_secs_f64() * 1e3,
        median(parse).as_secs_f64() * 1e3,
        median(write).as_secs_f64() * 1e3,
        total.iter().min().expect("runs").as_secs_f64() * 1e3,
    );
}

async fn load<F, Fut>(clients: &[DrawServiceClient<Channel>], call: F) -> (f64, Duration)
where
    F: Fn(DrawServiceClient<Channel>, u64) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let start = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|i| {
            let client = clients[i % clients.len()].clone();
            let (done, stop, latencies) = (done.clone(), stop.clone(), latencies.clone());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                let mut n = i as u64;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    call(client.clone(), n).await;
                    mine.push(t.elapsed());
                    n += CONCURRENCY as u64;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                latencies.lock().expect("lock").extend(mine);
            })
        })
        .collect();
    tokio::time::sleep(RUN).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("task");
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut l = latencies.lock().expect("lock").clone();
    l.sort();
    let p99 = l[(l.len() * 99 / 100).min(l.len() - 1)];
    (done.load(Ordering::Relaxed) as f64 / elapsed, p99)
}

fn rps_figures(backend: Backend) {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app = server_rt.block_on(TestApp::spawn(backend));
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    client_rt.block_on(async {
        let mut clients = Vec::new();
        for _ in 0..CONNECTIONS {
            clients.push(DrawServiceClient::new(app.channel().await));
        }
        // Warm up the connections and the database.
        load(&clients[..1], |mut c, _| async move {
            c.get_draw(GetDrawRequest { number: "252".into() }).await.expect("GetDraw");
        })
        .await;
        let (rps, p99) = load(&clients, |mut c, n| async move {
            // Every round: there is no plain "91", only "91a" and "91b".
            let number = match n % 434 + 1 {
                91 => "91a".to_owned(),
                k => k.to_string(),
            };
            c.get_draw(GetDrawRequest { number }).await.expect("GetDraw");
        })
        .await;
        println!("GetDraw, {backend:?}: {rps:.0} requests/s, p99 {:.2} ms ({CONCURRENCY} concurrent, {CONNECTIONS} connections)", p99.as_secs_f64() * 1e3);
        let (rps, p99) = load(&clients, |mut c, n| async move {
            let r = c
                .list_draws(ListDrawsRequest {
                    page_size: 50,
                    page_token: String::new(),
                    filter: (n % 2 == 1).then(|| ee_proto::v1::DrawFilter {
                        kind: ee_proto::v1::RoundKind::General as i32,
                        ..Default::default()
                    }),
                })
                .await
                .expect("ListDraws");
            assert_eq!(r.into_inner().draws.len(), 50);
        })
        .await;
        println!("ListDraws(50), {backend:?}: {rps:.0} requests/s, p99 {:.2} ms ({CONCURRENCY} concurrent, {CONNECTIONS} connections)", p99.as_secs_f64() * 1e3);
    });
    drop(app);
    drop(server_rt);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    for backend in backends() {
        import_figures(backend);
    }
    for backend in backends() {
        rps_figures(backend);
    }
}
