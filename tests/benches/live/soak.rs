//! The soak: a server process under mixed load for `EE_SOAK_SECONDS` (180 by default). 1,000 subscribers — 700
//! live readers, 100 slow readers, 100 that drop their stream every few events and resume with `after_event_id`,
//! 100 replays that are never read — while 8 callers loop over the read and compute RPCs and a writer records a
//! burst of 10 rounds every 5 s. At the end every reading subscriber must have received every round recorded, once
//! and in order; the figures are the calls made, the rounds recorded, the errors, and the server's memory over time.

use std::sync::atomic::AtomicU64;

use ee_proto::v1::eligibility_service_client::EligibilityServiceClient;
use ee_proto::v1::{
    CalculateCrsRequest, CandidateProfile, CheckEligibilityRequest, CheckInvitationRequest,
    DrawFilter, EducationLevel, GetDrawRequest, GetDrawStatsRequest, GetLatestDrawRequest,
    LanguageResult, LanguageScores, LanguageTest, ListDrawsRequest, WorkExperience,
};
use tokio::sync::watch;

use super::*;

/// Soak rounds are numbered from here, apart from the shipped history and the other measurements.
const FIRST: u32 = 5_000;
/// The shipped history is logged as events 1 to 435; every subscriber starts after it.
const SEEDED_EVENTS: u64 = 435;
const BURST: u32 = 10;
const BURST_EVERY: Duration = Duration::from_secs(5);
const CALLERS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Live,
    Slow,
    Resuming,
}

/// What one reading subscriber saw.
#[derive(Default)]
struct Seen {
    rounds: Vec<u32>,
    stream_errors: u64,
    resumptions: u64,
}

fn candidate() -> CandidateProfile {
    let d = |y, m, day| {
        Some(ee_proto::convert::date(
            chrono::NaiveDate::from_ymd_opt(y, m, day).expect("date"),
        ))
    };
    CandidateProfile {
        date_of_birth: d(1993, 6, 2),
        education: EducationLevel::Masters as i32,
        education_assessed: true,
        first_language: Some(LanguageResult {
            test: LanguageTest::IeltsGeneral as i32,
            scores: Some(LanguageScores {
                reading: 8.0,
                writing: 7.0,
                listening: 8.5,
                speaking: 7.5,
            }),
            test_date: d(2025, 9, 1),
        }),
        work_history: vec![WorkExperience {
            noc_code: "31301".into(),
            start: d(2019, 1, 7),
            hours_per_week: 37.5,
            in_canada: true,
            ..Default::default()
        }],
        proof_of_funds: true,
        ..Default::default()
    }
}

async fn reader(
    endpoint: String,
    kind: Kind,
    seed: u64,
    mut stop: watch::Receiver<bool>,
    expected: Arc<AtomicU64>,
) -> Seen {
    let mut seen = Seen::default();
    let mut client = connect(&endpoint).await;
    let mut after = SEEDED_EVENTS;
    let mut rng = seed;
    loop {
        let mut stream = match client
            .subscribe_draws(SubscribeDrawsRequest {
                after_event_id: Some(after),
                filter: None,
            })
            .await
        {
            Ok(s) => s.into_inner(),
            Err(_) => {
                seen.stream_errors += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // A resuming subscriber drops its stream after 1 to 8 events.
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let mut budget = 1 + (rng >> 33) % 8;
        loop {
            let done =
                *stop.borrow() && seen.rounds.len() as u64 >= expected.load(Ordering::SeqCst);
            if done {
                return seen;
            }
            let next = tokio::select! {
                n = stream.next() => n,
                _ = stop.changed() => continue,
                () = tokio::time::sleep(Duration::from_millis(500)) => continue,
            };
            match next {
                Some(Ok(msg)) => {
                    let event = msg.event.expect("an event");
                    after = event.event_id;
                    let number: u32 = event
                        .draw
                        .as_ref()
                        .and_then(|d| d.number.parse().ok())
                        .unwrap_or(0);
                    if number >= FIRST {
                        seen.rounds.push(number);
                    }
                    if kind == Kind::Slow {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    if kind == Kind::Resuming {
                        budget -= 1;
                        if budget == 0 {
                            seen.resumptions += 1;
                            break;
                        }
                    }
                }
                _ => {
                    seen.stream_errors += 1;
                    break;
                }
            }
        }
    }
}

#[derive(Default)]
struct CallCounts {
    ok: AtomicU64,
    errors: AtomicU64,
}

async fn caller(endpoint: String, i: usize, stop: watch::Receiver<bool>, counts: Arc<CallCounts>) {
    let channel = Channel::from_shared(endpoint)
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let mut draws = DrawServiceClient::new(channel.clone());
    let mut eligibility = EligibilityServiceClient::new(channel);
    let numbers = ["1", "91a", "252", "284", "350", "434"];
    let mut k = i;
    while !*stop.borrow() {
        k += 1;
        let number = numbers[k % numbers.len()].to_owned();
        let ok = match k % 7 {
            0 => draws.get_draw(GetDrawRequest { number }).await.is_ok(),
            1 => draws
                .list_draws(ListDrawsRequest {
                    page_size: 50,
                    ..Default::default()
                })
                .await
                .is_ok(),
            2 => draws
                .get_latest_draw(GetLatestDrawRequest::default())
                .await
                .is_ok(),
            3 => draws
                .get_draw_stats(GetDrawStatsRequest {
                    filter: Some(DrawFilter {
                        category_id: "healthcare".into(),
                        ..Default::default()
                    }),
                })
                .await
                .is_ok(),
            4 => eligibility
                .calculate_crs(CalculateCrsRequest {
                    profile: Some(candidate()),
                    ..Default::default()
                })
                .await
                .is_ok(),
            5 => eligibility
                .check_eligibility(CheckEligibilityRequest {
                    profile: Some(candidate()),
                    ..Default::default()
                })
                .await
                .is_ok(),
            _ => eligibility
                .check_invitation(CheckInvitationRequest {
                    profile: Some(candidate()),
                    draw_number: number,
                })
                .await
                .is_ok(),
        };
        let counter = if ok { &counts.ok } else { &counts.errors };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

pub async fn soak(backend: Backend, seconds: u64) {
    let db = TestDb::new(backend);
    let server = ServerProcess::start(&db.url);
    let endpoint = server.endpoint.clone();
    let start_kib = settled_rss_kib(&server).await;
    let (stop_tx, stop) = watch::channel(false);
    let expected = Arc::new(AtomicU64::new(0));

    let mut readers = Vec::new();
    for i in 0..900u64 {
        let kind = match i {
            0..700 => Kind::Live,
            700..800 => Kind::Slow,
            _ => Kind::Resuming,
        };
        readers.push((
            kind,
            tokio::spawn(reader(
                endpoint.clone(),
                kind,
                i,
                stop.clone(),
                expected.clone(),
            )),
        ));
    }
    let stalled = stalled_replays(&endpoint, 100, 1).await;
    let counts = Arc::new(CallCounts::default());
    let callers: Vec<_> = (0..CALLERS)
        .map(|i| tokio::spawn(caller(endpoint.clone(), i, stop.clone(), counts.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let started = Instant::now();
    let mut writer = connect(&endpoint).await;
    let mut recorded = 0u32;
    let mut write_errors = 0u64;
    let mut memory = vec![(0u64, server.rss_kib())];
    while started.elapsed() < Duration::from_secs(seconds) {
        for _ in 0..BURST {
            let k = recorded;
            let draw = round((FIRST + k).to_string(), general(), after_the_history(k));
            match writer
                .record_draw(authorized(RecordDrawRequest { draw: Some(draw) }))
                .await
            {
                Ok(_) => {
                    recorded += 1;
                    expected.store(u64::from(recorded), Ordering::SeqCst);
                }
                Err(_) => write_errors += 1,
            }
        }
        tokio::time::sleep(BURST_EVERY).await;
        let at = started.elapsed().as_secs();
        if memory.last().is_some_and(|(t, _)| at >= t + 30) {
            memory.push((at, server.rss_kib()));
        }
    }
    let elapsed = started.elapsed();
    stop_tx.send_replace(true);
    for c in callers {
        let _ = c.await;
    }
    let want: Vec<u32> = (0..recorded).map(|k| FIRST + k).collect();
    let (mut complete, mut incomplete, mut stream_errors, mut resumptions) = (0, 0, 0, 0);
    let mut by_kind = std::collections::BTreeMap::new();
    for (kind, task) in readers {
        let seen = match tokio::time::timeout(Duration::from_secs(60), task).await {
            Ok(Ok(seen)) => seen,
            _ => {
                incomplete += 1;
                continue;
            }
        };
        stream_errors += seen.stream_errors;
        resumptions += seen.resumptions;
        let entry = by_kind.entry(format!("{kind:?}")).or_insert((0, 0));
        if seen.rounds == want {
            complete += 1;
            entry.0 += 1;
        } else {
            incomplete += 1;
            entry.1 += 1;
        }
    }
    drop(stalled);
    let end_kib = settled_rss_kib(&server).await;
    memory.push((elapsed.as_secs(), end_kib));
    let calls = counts.ok.load(Ordering::Relaxed);
    let call_errors = counts.errors.load(Ordering::Relaxed);
    println!(
        "{backend:?}, soak of {:.0} s: {calls} unary calls ({:.0}/s), {call_errors} call errors; {recorded} rounds recorded, {write_errors} write errors; reading subscribers with every round once and in order: {complete} of 900 ({incomplete} not; by kind {by_kind:?}); {resumptions} resumptions; {stream_errors} streams ended by an error; server memory {start_kib} KiB at start, {} KiB at the end (samples, s: KiB: {memory:?})",
        elapsed.as_secs_f64(),
        calls as f64 / elapsed.as_secs_f64(),
        end_kib,
    );
}
