//! Figures, not pass/fail: CheckInvitationHistory over the whole shipped history (435 rounds) for one profile, in
//! process (the domain alone, and with the answer put on the wire) and over gRPC on loopback (the rounds read from
//! the store); ExploreCrs per call.
//!
//! Run: `cargo bench -p ee-tests --bench history` (release build). PostgreSQL is measured when EE_TEST_POSTGRES_URL
//! is set.

use std::time::{Duration, Instant};

use ee_proto::v1::{
    CandidateProfile, CheckInvitationHistoryRequest, EducationLevel, ExploreCrsRequest,
    LanguageResult, LanguageScores, LanguageTest, MaritalStatus, Spouse, WorkExperience,
};
use ee_test_support::{Backend, TestApp};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Times `f` `runs` times after a few warm-up runs; the median and the fastest.
fn time(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    for _ in 0..runs.div_ceil(10) {
        f();
    }
    let samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    let fastest = samples.iter().min().copied().unwrap_or_default();
    (median(samples), fastest)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Married with an accompanying spouse, two languages with test dates, three jobs, submitted in 2022.
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
            test_date: d(2024, 3, 1),
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
        first_language: lang(LanguageTest::IeltsGeneral, 8.0, 7.5, 8.5, 7.0),
        second_language: lang(LanguageTest::TefCanada, 450.0, 430.0, 440.0, 460.0),
        work_history: vec![
            job("31301", d(2012, 1, 1), d(2019, 12, 31), false),
            job("31301", d(2020, 3, 1), d(2023, 6, 30), true),
            job("32101", d(2023, 7, 1), None, true),
        ],
        sibling_in_canada: true,
        proof_of_funds: true,
        profile_submitted_at: Some(prost_types::Timestamp {
            seconds: 1_650_000_000,
            nanos: 0,
        }),
        ..Default::default()
    }
}

fn in_process(wire: &CandidateProfile) {
    let rules = ee_domain::Rules::builtin().expect("rules");
    let names = ee_ircc_feed::RoundNames::builtin(&rules.catalog).expect("round names");
    let draws = ee_ircc_feed::parse_feed(ee_ircc_feed::SHIPPED_SNAPSHOT, &rules.catalog, &names)
        .expect("the shipped feed")
        .draws;
    let today = chrono::Utc::now().date_naive();
    let profile = ee_proto::candidate::profile(wire, today, &rules).expect("profile");
    let (median, fastest) = time(200, || {
        std::hint::black_box(ee_domain::assessments::invitation_history::check_rounds(
            &profile,
            draws.clone(),
            &rules,
            5,
        ));
    });
    println!(
        "CheckInvitationHistory, {} rounds, domain only: median {}, fastest {}",
        draws.len(),
        ms(median),
        ms(fastest)
    );
    let (median, fastest) = time(200, || {
        let p = ee_proto::candidate::profile(wire, today, &rules).expect("profile");
        let h =
            ee_domain::assessments::invitation_history::check_rounds(&p, draws.clone(), &rules, 5);
        std::hint::black_box(ee_proto::candidate::invitation_history(&h, |_| 1));
    });
    println!(
        "CheckInvitationHistory, profile from the wire + domain + answer to the wire: median {}, fastest {}",
        ms(median),
        ms(fastest)
    );
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let (median, fastest) = time(2000, || {
        std::hint::black_box(ee_domain::assessments::explore::explore(
            &profile, as_of, &rules,
        ));
    });
    println!(
        "ExploreCrs, domain only: median {}, fastest {}",
        ms(median),
        ms(fastest)
    );
}

fn over_grpc(backend: Backend, wire: &CandidateProfile) {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("server runtime");
    let app = server_rt.block_on(TestApp::spawn(backend));
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let mut client = client_rt.block_on(app.eligibility());
    let request = CheckInvitationHistoryRequest {
        profile: Some(wire.clone()),
        ..Default::default()
    };
    let mut bytes = 0;
    let (median, fastest) = time(100, || {
        let r = client_rt
            .block_on(client.check_invitation_history(request.clone()))
            .expect("CheckInvitationHistory")
            .into_inner();
        bytes = prost::Message::encoded_len(&r);
        assert_eq!(r.rounds.len(), 435);
    });
    println!(
        "CheckInvitationHistory over gRPC ({backend:?}, rounds from the history in memory, answer {bytes} bytes): median {}, fastest {}",
        ms(median),
        ms(fastest)
    );
    let explore = ExploreCrsRequest {
        profile: Some(wire.clone()),
        as_of: Some(ee_proto::convert::date(
            chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date"),
        )),
    };
    let (median, fastest) = time(500, || {
        client_rt
            .block_on(client.explore_crs(explore.clone()))
            .expect("ExploreCrs");
    });
    println!(
        "ExploreCrs over gRPC ({backend:?}): median {}, fastest {}",
        ms(median),
        ms(fastest)
    );
    drop(client);
    drop(client_rt);
    drop(app);
    drop(server_rt);
}

fn main() {
    let wire = candidate();
    in_process(&wire);
    over_grpc(Backend::Sqlite, &wire);
    if std::env::var("EE_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        over_grpc(Backend::Postgres, &wire);
    } else {
        println!("(set EE_TEST_POSTGRES_URL to measure PostgreSQL too)");
    }
}
