//! Figures, not pass/fail: cold import of the full feed into SQLite and PostgreSQL; requests per second of
//! GetDraw and ListDraws (page of 50) with 64 concurrent requests on loopback; CalculateCrs and CheckEligibility per
//! call in process and over gRPC.
//!
//! Run: `cargo bench -p ee-tests` (release build). PostgreSQL is measured when EE_TEST_POSTGRES_URL is set.
//! The load generator runs in this process on its own runtime; server and client share the machine's cores.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::eligibility_service_client::EligibilityServiceClient;
use ee_proto::v1::{
    CalculateCrsRequest, CanadianEducation, CandidateProfile, CheckEligibilityRequest,
    EducationLevel, GetDrawRequest, LanguageResult, LanguageScores, LanguageTest, ListDrawsRequest,
    MaritalStatus, Spouse, WorkExperience,
};
use ee_store::{OnConflict, Store};
use ee_test_support::{Backend, TestApp, TestDb};

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
    let rules = ee_domain::Rules::builtin().expect("rules");
    let names = ee_ircc_feed::RoundNames::builtin(&rules.catalog).expect("round names");
    let mut parse = Vec::new();
    let mut write = Vec::new();
    let mut total = Vec::new();
    for _ in 0..7 {
        let db = TestDb::new(backend);
        let store = Store::connect(&db.url, 4).expect("connect");
        store.migrate().expect("migrate");
        let t0 = Instant::now();
        let draws = ee_ircc_feed::parse_feed(feed, &rules.catalog, &names)
            .expect("parse")
            .draws;
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

async fn load<C, F, Fut>(clients: &[C], call: F) -> (f64, Duration)
where
    C: Clone + Send + 'static,
    F: Fn(C, u64) -> Fut + Send + Sync + Copy + 'static,
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

/// A realistic profile: married with an accompanying spouse, two languages, three jobs.
fn candidate() -> CandidateProfile {
    let d = |y, m, day| {
        Some(ee_proto::convert::date(
            chrono::NaiveDate::from_ymd_opt(y, m, day).expect("date"),
        ))
    };
    let lang = |test: LanguageTest, r, w, l, s| {
        Some(LanguageResult {
            test: test as i32,
            scores: Some(LanguageScores {
                reading: r,
                writing: w,
                listening: l,
                speaking: s,
            }),
            test_date: d(2025, 3, 1),
        })
    };
    let job = |noc: &str, start, end, in_canada| WorkExperience {
        noc_code: noc.into(),
        start,
        end,
        hours_per_week: 37.5,
        in_canada,
        ..Default::default()
    };
    CandidateProfile {
        date_of_birth: d(1992, 4, 12),
        marital_status: MaritalStatus::Married as i32,
        spouse: Some(Spouse {
            accompanying: true,
            education: EducationLevel::Bachelors as i32,
            language: lang(LanguageTest::CelpipGeneral, 8.0, 7.0, 9.0, 8.0),
            canadian_work_years: 1,
            ..Default::default()
        }),
        education: EducationLevel::Masters as i32,
        education_assessed: true,
        canadian_education: CanadianEducation::TwoYear as i32,
        first_language: lang(LanguageTest::IeltsGeneral, 8.0, 7.5, 8.5, 7.0),
        second_language: lang(LanguageTest::TefCanada, 450.0, 430.0, 440.0, 460.0),
        work_history: vec![
            job("31301", d(2016, 1, 1), d(2019, 12, 31), false),
            job("31301", d(2020, 3, 1), d(2023, 6, 30), true),
            job("32101", d(2023, 7, 1), None, true),
        ],
        sibling_in_canada: true,
        proof_of_funds: true,
        ..Default::default()
    }
}

fn per_call(label: &str, iterations: u32, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f();
    }
    let t = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let ns = t.elapsed().as_nanos() as f64 / f64::from(iterations);
    println!(
        "{label}: {:.2} µs per call in process ({iterations} calls)",
        ns / 1e3
    );
}

fn eligibility_figures() {
    let wire = candidate();
    let today = chrono::Utc::now().date_naive();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let rules = ee_domain::Rules::builtin().expect("rules");
    let profile = ee_proto::candidate::profile(&wire, today, &rules).expect("profile");
    per_call("CalculateCrs (domain)", 200_000, || {
        std::hint::black_box(ee_domain::assessments::crs::score(
            std::hint::black_box(&profile),
            as_of,
            &rules,
        ));
    });
    per_call(
        "CalculateCrs (profile from the wire + domain + breakdown to the wire)",
        100_000,
        || {
            let p = ee_proto::candidate::profile(std::hint::black_box(&wire), today, &rules)
                .expect("profile");
            std::hint::black_box(ee_proto::candidate::crs(
                &ee_domain::assessments::crs::score(&p, as_of, &rules),
            ));
        },
    );
    per_call(
        "CheckEligibility (domain: 3 programs, every category in force)",
        50_000,
        || {
            std::hint::black_box(ee_domain::assessments::eligibility::check(
                std::hint::black_box(&profile),
                as_of,
                &rules,
            ));
        },
    );
    per_call(
        "CheckEligibility (profile from the wire + domain + answer to the wire)",
        50_000,
        || {
            let p = ee_proto::candidate::profile(std::hint::black_box(&wire), today, &rules)
                .expect("profile");
            std::hint::black_box(ee_proto::candidate::eligibility(
                &ee_domain::assessments::eligibility::check(&p, as_of, &rules),
            ));
        },
    );

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app = server_rt.block_on(TestApp::spawn(Backend::Sqlite));
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    client_rt.block_on(async {
        let mut clients = Vec::new();
        for _ in 0..CONNECTIONS {
            clients.push(EligibilityServiceClient::new(app.channel().await));
        }
        let (rps, p99) = load(&clients, |mut c, _| async move {
            c.calculate_crs(CalculateCrsRequest { profile: Some(candidate()), as_of: None })
                .await
                .expect("CalculateCrs");
        })
        .await;
        println!("CalculateCrs over gRPC: {rps:.0} requests/s, p99 {:.2} ms ({CONCURRENCY} concurrent, {CONNECTIONS} connections)", p99.as_secs_f64() * 1e3);
        let (rps, p99) = load(&clients, |mut c, _| async move {
            c.check_eligibility(CheckEligibilityRequest { profile: Some(candidate()), as_of: None })
                .await
                .expect("CheckEligibility");
        })
        .await;
        println!("CheckEligibility over gRPC: {rps:.0} requests/s, p99 {:.2} ms ({CONCURRENCY} concurrent, {CONNECTIONS} connections)", p99.as_secs_f64() * 1e3);
    });
    drop(app);
    drop(server_rt);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if std::env::args().any(|a| a == "eligibility") {
        eligibility_figures();
        return;
    }
    eligibility_figures();
    for backend in backends() {
        import_figures(backend);
    }
    for backend in backends() {
        rps_figures(backend);
    }
}
