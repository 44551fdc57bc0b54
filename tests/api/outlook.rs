//! GetPoolPosition and GetInvitationOutlook over real gRPC: positions against a hand computation from the feed,
//! periods oldest first, an outlook that later rounds do not change, each stream's figures against ListDraws with
//! the stream's own filter, and bad input.

use chrono::NaiveDate;
use ee_proto::convert::{date, timestamp};
use ee_proto::v1::eligibility_service_client::EligibilityServiceClient;
use ee_proto::v1::get_pool_position_request::{Score, When};
use ee_proto::v1::{
    CandidateProfile, DatePeriod, EducationLevel, GetInvitationOutlookRequest,
    GetPoolPositionRequest, GetPoolPositionResponse, LanguageResult, LanguageScores, LanguageTest,
    ListDrawsRequest, RecordDrawRequest, RoundKind, RoundType, WorkExperience,
};
use ee_test_support::fixtures::{after_the_history, round, time};
use ee_test_support::status::{expect_code, expect_invalid};
use ee_test_support::{Backend, TestApp, authorized, on_both_backends};
use tonic::Code;
use tonic::transport::Channel;

fn on(y: i32, m: u32, d: u32) -> Option<ee_proto::v1::Date> {
    Some(date(NaiveDate::from_ymd_opt(y, m, d).expect("date")))
}

/// A software developer working in Canada since 2019 (CEC, general rounds, STEM while the code is listed).
fn developer() -> CandidateProfile {
    CandidateProfile {
        date_of_birth: on(1995, 2, 1),
        education: EducationLevel::Masters as i32,
        education_assessed: true,
        first_language: Some(LanguageResult {
            test: LanguageTest::Clb as i32,
            scores: Some(LanguageScores {
                reading: 9.0,
                writing: 9.0,
                listening: 9.0,
                speaking: 9.0,
            }),
            test_date: None,
        }),
        work_history: vec![WorkExperience {
            noc_code: "21231".into(),
            start: on(2019, 9, 1),
            hours_per_week: 40.0,
            in_canada: true,
            ..Default::default()
        }],
        proof_of_funds: true,
        profile_submitted_at: Some(timestamp(time("2024-07-01T12:00:00Z"))),
        ..Default::default()
    }
}

async fn position(
    client: &mut EligibilityServiceClient<Channel>,
    score: u32,
    when: When,
) -> GetPoolPositionResponse {
    client
        .get_pool_position(GetPoolPositionRequest {
            score: Some(Score::CrsScore(score)),
            when: Some(when),
        })
        .await
        .unwrap_or_else(|s| panic!("GetPoolPosition {score}: {s:?}"))
        .into_inner()
}

/// Round 364 (2025-09-03) published, from the top: 601-1200 246, 501-600 25,123, 491-500 12,443, 481-490 12,443
/// (two equal neighbouring ranges), ..., 0-300 8,053; 254,672 in all.
async fn pool_position_matches_a_hand_computation_from_the_feed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    // (score, range, its count, at least above, at most above, estimate)
    type Case = (u32, (u32, u32), u64, u64, u64, f64);
    let cases: [Case; 7] = [
        (1200, (601, 1200), 246, 0, 246, 0.0),
        // 246 × (1200 − 601) / 600
        (601, (601, 1200), 246, 0, 246, 246.0 * 599.0 / 600.0),
        (600, (501, 600), 25_123, 246, 25_369, 246.0),
        // 246 + 25,123 above; 12,443 × 9 / 10 of 491-500 above 491
        (
            491,
            (491, 500),
            12_443,
            25_369,
            37_812,
            25_369.0 + 12_443.0 * 0.9,
        ),
        (490, (481, 490), 12_443, 37_812, 50_255, 37_812.0),
        (
            481,
            (481, 490),
            12_443,
            37_812,
            50_255,
            37_812.0 + 12_443.0 * 0.9,
        ),
        // every range but 0-300 is above; 8,053 × 300 / 301 of it
        (
            0,
            (0, 300),
            8_053,
            246_619,
            254_672,
            246_619.0 + 8_053.0 * 300.0 / 301.0,
        ),
    ];
    for (score, (lo, hi), n, least, most, estimate) in cases {
        let answer = position(&mut client, score, When::DrawNumber("364".into())).await;
        assert_eq!(answer.positions.len(), 1);
        let p = &answer.positions[0];
        assert_eq!(p.draw_number, "364");
        assert_eq!(p.draw_date, on(2025, 9, 3));
        assert_eq!(p.pool_date, on(2025, 9, 1));
        assert_eq!(p.total_candidates, 254_672);
        assert_eq!((p.score, p.range_min, p.range_max), (score, lo, hi));
        assert_eq!(
            (p.range_candidates, p.above_at_least, p.above_at_most),
            (n, least, most),
            "{score}"
        );
        assert!(
            (p.above_estimate - estimate).abs() < 1e-6,
            "{score}: {}",
            p.above_estimate
        );
        assert!(
            (p.share_above - estimate / 254_672.0).abs() < 1e-12,
            "{score}"
        );
    }
    // On the day of #364 (before #365 the next day), the latest distribution is #364's.
    let on_the_day = position(
        &mut client,
        491,
        When::AsOf(date(NaiveDate::from_ymd_opt(2025, 9, 3).expect("d"))),
    )
    .await;
    assert_eq!(on_the_day.positions[0].draw_number, "364");
    let next_day = position(
        &mut client,
        491,
        When::AsOf(date(NaiveDate::from_ymd_opt(2025, 9, 4).expect("d"))),
    )
    .await;
    assert_eq!(next_day.positions[0].draw_number, "365");
}

async fn a_period_lists_every_distribution_oldest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let period = DatePeriod {
        start_date: on(2025, 9, 1),
        end_date: on(2025, 9, 30),
    };
    let answer = position(&mut client, 500, When::Period(period)).await;
    let numbers: Vec<&str> = answer
        .positions
        .iter()
        .map(|p| p.draw_number.as_str())
        .collect();
    assert_eq!(numbers, ["363", "364", "365", "366", "367", "368", "369"]);
    assert_eq!(answer.rounds_without_distribution, 0);
    // A round recorded without a distribution is counted, not listed, and asked for alone it is NOT_FOUND.
    let mut draws = app.draws().await;
    let held = time("2025-09-30T15:00:00Z");
    draws
        .record_draw(authorized(RecordDrawRequest {
            draw: Some(round(
                "900",
                RoundType {
                    kind: RoundKind::General as i32,
                    ..Default::default()
                },
                held,
            )),
        }))
        .await
        .expect("RecordDraw");
    let answer = position(
        &mut client,
        500,
        When::Period(DatePeriod {
            start_date: on(2025, 9, 1),
            end_date: on(2025, 9, 30),
        }),
    )
    .await;
    assert_eq!(answer.positions.len(), 7);
    assert_eq!(answer.rounds_without_distribution, 1);
    let s = expect_code(
        client
            .get_pool_position(GetPoolPositionRequest {
                score: Some(Score::CrsScore(500)),
                when: Some(When::DrawNumber("900".into())),
            })
            .await,
        Code::NotFound,
    );
    assert!(
        s.message().contains("published no pool distribution"),
        "{s:?}"
    );
    // A profile is scored on each round's day.
    let answer = client
        .get_pool_position(GetPoolPositionRequest {
            score: Some(Score::Profile(developer())),
            when: Some(When::DrawNumber("364".into())),
        })
        .await
        .expect("GetPoolPosition")
        .into_inner();
    let crs = answer.crs.expect("the profile's CRS").total;
    assert_eq!(answer.positions[0].score, crs);
}

async fn pool_position_refuses_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let ask = |score: Option<Score>, when: Option<When>| GetPoolPositionRequest { score, when };
    expect_invalid(
        client
            .get_pool_position(ask(Some(Score::CrsScore(1201)), None))
            .await,
        "crs_score",
    );
    expect_invalid(client.get_pool_position(ask(None, None)).await, "score");
    expect_invalid(
        client
            .get_pool_position(ask(
                Some(Score::CrsScore(400)),
                Some(When::Period(DatePeriod {
                    start_date: on(2025, 9, 2),
                    end_date: on(2025, 9, 1),
                })),
            ))
            .await,
        "period.end_date",
    );
    expect_invalid(
        client
            .get_pool_position(ask(
                Some(Score::CrsScore(400)),
                Some(When::DrawNumber("abc".into())),
            ))
            .await,
        "draw_number",
    );
    let s = expect_code(
        client
            .get_pool_position(ask(
                Some(Score::CrsScore(400)),
                Some(When::AsOf(date(
                    NaiveDate::from_ymd_opt(2015, 1, 1).expect("d"),
                ))),
            ))
            .await,
        Code::NotFound,
    );
    assert!(
        s.message()
            .contains("the first was published with round 214 on 2022-01-19"),
        "{s:?}"
    );
    // IRCC published distributions from round 214; round 100 has none.
    let s = expect_code(
        client
            .get_pool_position(ask(
                Some(Score::CrsScore(400)),
                Some(When::DrawNumber("100".into())),
            ))
            .await,
        Code::NotFound,
    );
    assert!(
        s.message()
            .contains("round 100 published no pool distribution"),
        "{s:?}"
    );
    expect_code(
        client
            .get_pool_position(ask(
                Some(Score::CrsScore(400)),
                Some(When::DrawNumber("9999".into())),
            ))
            .await,
        Code::NotFound,
    );
}

fn outlook_request(
    as_of: Option<ee_proto::v1::Date>,
    horizon_days: u32,
) -> GetInvitationOutlookRequest {
    GetInvitationOutlookRequest {
        profile: Some(developer()),
        as_of,
        horizon_days,
    }
}

async fn the_outlook_for_a_date_does_not_change_when_later_rounds_are_recorded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let before = client
        .get_invitation_outlook(outlook_request(on(2025, 6, 1), 0))
        .await
        .expect("GetInvitationOutlook")
        .into_inner();
    assert_eq!(before.horizon_days, 90);
    assert!(!before.streams.is_empty());
    assert!((0.0..=1.0).contains(&before.probability));
    // Rounds held on and after the date, one of them inviting everyone, one far after the history.
    let mut draws = app.draws().await;
    for (number, held, crs) in [
        ("901", time("2025-06-01T10:00:00Z"), 100),
        ("902", time("2025-06-20T10:00:00Z"), 100),
        ("903", after_the_history(1), 100),
    ] {
        let mut r = round(
            number,
            RoundType {
                kind: RoundKind::General as i32,
                ..Default::default()
            },
            held,
        );
        r.minimum_crs = crs;
        draws
            .record_draw(authorized(RecordDrawRequest { draw: Some(r) }))
            .await
            .expect("RecordDraw");
    }
    let after = client
        .get_invitation_outlook(outlook_request(on(2025, 6, 1), 0))
        .await
        .expect("GetInvitationOutlook")
        .into_inner();
    assert_eq!(
        before, after,
        "the outlook for 2025-06-01 uses rounds held before it only"
    );
    // The next day sees round 901 (a general round at 100).
    let next = client
        .get_invitation_outlook(outlook_request(on(2025, 6, 2), 0))
        .await
        .expect("GetInvitationOutlook")
        .into_inner();
    let general = next
        .streams
        .iter()
        .find(|s| s.name == "General rounds")
        .expect("general");
    assert_eq!(general.last_cutoff, Some(100));
}

async fn each_stream_is_what_list_draws_gives_with_its_filter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let mut draws = app.draws().await;
    let o = client
        .get_invitation_outlook(outlook_request(on(2024, 1, 1), 120))
        .await
        .expect("GetInvitationOutlook")
        .into_inner();
    let crs = o.crs.as_ref().expect("crs").total;
    let names: Vec<&str> = o.streams.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"General rounds") && names.contains(&"Canadian Experience Class"),
        "{names:?}"
    );
    let mut expected_rounds = 0.0;
    for s in &o.streams {
        let listed = draws
            .list_draws(ListDrawsRequest {
                page_size: 500,
                filter: s.filter.clone(),
                ..Default::default()
            })
            .await
            .expect("ListDraws")
            .into_inner()
            .draws;
        assert_eq!(s.rounds as usize, listed.len(), "{}", s.name);
        expected_rounds += s.expected_rounds;
        assert!(
            (s.expected_rounds - listed.len() as f64 * 120.0 / 365.0).abs() < 1e-9,
            "{}",
            s.name
        );
        let mut cutoffs: Vec<f64> = listed.iter().map(|d| f64::from(d.minimum_crs)).collect();
        if listed.is_empty() {
            assert_eq!(
                (s.last_cutoff, s.median_cutoff, s.share_cleared),
                (None, None, 0.0)
            );
            continue;
        }
        // ListDraws is newest first.
        assert_eq!(s.last_cutoff, Some(listed[0].minimum_crs), "{}", s.name);
        cutoffs.sort_by(f64::total_cmp);
        let median = {
            let pos = 0.5 * (cutoffs.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            cutoffs[lo] + (cutoffs[hi] - cutoffs[lo]) * (pos - lo as f64)
        };
        assert_eq!(s.median_cutoff, Some(median), "{}", s.name);
        let cleared = listed.iter().filter(|d| crs > d.minimum_crs).count() as f64;
        let equal = listed.iter().filter(|d| crs == d.minimum_crs).count() as f64;
        assert!(
            s.share_cleared >= cleared / listed.len() as f64 - 1e-12
                && s.share_cleared <= (cleared + equal) / listed.len() as f64 + 1e-12,
            "{}: {}",
            s.name,
            s.share_cleared
        );
        assert_eq!(
            s.points_to_median,
            Some((median - f64::from(crs)).ceil().max(0.0) as u32),
            "{}",
            s.name
        );
    }
    assert!((o.expected_rounds - expected_rounds).abs() < 1e-9);
}

async fn the_outlook_refuses_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    expect_invalid(
        client
            .get_invitation_outlook(outlook_request(None, 366))
            .await,
        "horizon_days",
    );
    expect_invalid(
        client
            .get_invitation_outlook(GetInvitationOutlookRequest {
                profile: None,
                ..outlook_request(None, 0)
            })
            .await,
        "profile",
    );
    expect_invalid(
        client
            .get_invitation_outlook(outlook_request(on(1990, 1, 1), 0))
            .await,
        "as_of",
    );
    // The developer was born in 1995; in February 2015 there were no windows of history to learn from.
    let mut early = outlook_request(on(2015, 2, 15), 0);
    early.profile.as_mut().expect("profile").work_history[0].start = on(2012, 1, 1);
    let s = expect_code(client.get_invitation_outlook(early).await, Code::NotFound);
    assert!(s.message().contains("no round was held"), "{s:?}");
    // Long after the last round, the windows hold no round: answered, with no chance counted, and said so.
    let late = client
        .get_invitation_outlook(outlook_request(on(2100, 1, 1), 0))
        .await
        .expect("an outlook long after the history")
        .into_inner();
    assert_eq!(late.probability, 0.0);
    assert!(
        late.notes.iter().any(|n| n.contains("no round from")),
        "{:?}",
        late.notes
    );
}

on_both_backends!(
    pool_position_matches_a_hand_computation_from_the_feed,
    a_period_lists_every_distribution_oldest_first,
    pool_position_refuses_bad_input,
    the_outlook_for_a_date_does_not_change_when_later_rounds_are_recorded,
    each_stream_is_what_list_draws_gives_with_its_filter,
    the_outlook_refuses_bad_input,
);
