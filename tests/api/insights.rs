//! CheckInvitationHistory and ExploreCrs over real gRPC (issue 12): the history agrees with CheckInvitation round by
//! round over the whole shipped history and its summary with what CheckInvitation says; each suggestion of
//! ExploreCrs, applied to the profile, gives the total it predicted; the new profile facts end to end; bad input.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use ee_proto::convert::{date, timestamp};
use ee_proto::v1::eligibility_service_client::EligibilityServiceClient;
use ee_proto::v1::{
    CalculateCrsRequest, CanadianCredential, CandidateProfile, CheckEligibilityRequest,
    CheckInvitationHistoryRequest, CheckInvitationHistoryResponse, CheckInvitationRequest,
    CrsImprovement, CrsImprovementKind, DrawFilter, EducationLevel, ExploreCrsRequest,
    GetCategoryRequest, InvitationOutcome, JobOffer, LanguageAbility, LanguageResult,
    LanguageScores, LanguageTest, ListDrawsRequest, MaritalStatus, RecordDrawRequest,
    RelativeInCanada, RelativeKind, RoundKind, RoundType, SettlementFunds, Spouse, WorkExperience,
};
use ee_test_support::fixtures::{after_the_history, round};
use ee_test_support::status::expect_invalid;
use ee_test_support::{Backend, TestApp, authorized, on_both_backends};
use tonic::transport::Channel;

fn on(d: NaiveDate) -> Option<ee_proto::v1::Date> {
    Some(date(d))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn levels(
    test: LanguageTest,
    r: f64,
    w: f64,
    l: f64,
    s: f64,
    taken: Option<NaiveDate>,
) -> LanguageResult {
    LanguageResult {
        test: test as i32,
        scores: Some(LanguageScores {
            reading: r,
            writing: w,
            listening: l,
            speaking: s,
        }),
        test_date: taken.and_then(on),
    }
}

fn clb(level: f64) -> Option<LanguageResult> {
    Some(levels(LanguageTest::Clb, level, level, level, level, None))
}

fn job(noc: &str, start: NaiveDate, end: Option<NaiveDate>, in_canada: bool) -> WorkExperience {
    WorkExperience {
        noc_code: noc.into(),
        start: on(start),
        end: end.and_then(on),
        hours_per_week: 40.0,
        in_canada,
        ..Default::default()
    }
}

fn submitted(rfc3339: &str) -> Option<prost_types::Timestamp> {
    Some(timestamp(rfc3339.parse().expect("time")))
}

/// Several kinds of candidate, each in the pool from early on: a nurse abroad (healthcare rounds, general
/// rounds), a software developer in Canada (CEC rounds), a francophone (French rounds) and a provincial nominee.
fn profiles() -> Vec<(&'static str, CandidateProfile)> {
    vec![
        (
            "nurse abroad",
            CandidateProfile {
                date_of_birth: on(day(1990, 5, 1)),
                education: EducationLevel::Masters as i32,
                education_assessed: true,
                first_language: clb(10.0),
                work_history: vec![job("31301", day(2010, 1, 1), None, false)],
                proof_of_funds: true,
                profile_submitted_at: submitted("2014-12-01T00:00:00Z"),
                ..Default::default()
            },
        ),
        (
            "developer in Canada",
            CandidateProfile {
                date_of_birth: on(day(1995, 2, 1)),
                education: EducationLevel::Bachelors as i32,
                canadian_credential: Some(CanadianCredential {
                    level: EducationLevel::Masters as i32,
                    length_years: 1,
                }),
                first_language: Some(levels(
                    LanguageTest::CelpipGeneral,
                    9.0,
                    9.0,
                    10.0,
                    9.0,
                    Some(day(2024, 6, 1)),
                )),
                work_history: vec![job("21232", day(2019, 9, 1), None, true)],
                settlement_funds: Some(SettlementFunds {
                    amount_cad: 20_000,
                    family_members: 1,
                }),
                profile_submitted_at: submitted("2024-07-01T12:00:00Z"),
                ..Default::default()
            },
        ),
        (
            "francophone",
            CandidateProfile {
                date_of_birth: on(day(1988, 8, 8)),
                marital_status: MaritalStatus::Married as i32,
                spouse: Some(Spouse {
                    accompanying: true,
                    education: EducationLevel::Bachelors as i32,
                    language: clb(6.0),
                    ..Default::default()
                }),
                education: EducationLevel::Bachelors as i32,
                education_assessed: true,
                first_language: Some(levels(
                    LanguageTest::TefCanada,
                    500.0,
                    480.0,
                    520.0,
                    500.0,
                    Some(day(2025, 1, 10)),
                )),
                second_language: clb(6.0),
                work_history: vec![job("41220", day(2015, 1, 1), None, false)],
                relatives_in_canada: vec![RelativeInCanada {
                    kind: RelativeKind::AuntOrUncle as i32,
                    of_spouse: false,
                }],
                proof_of_funds: true,
                profile_submitted_at: submitted("2020-01-15T08:00:00Z"),
                ..Default::default()
            },
        ),
        (
            "provincial nominee",
            CandidateProfile {
                date_of_birth: on(day(1985, 3, 3)),
                education: EducationLevel::TwoYearPostSecondary as i32,
                education_assessed: true,
                first_language: clb(7.0),
                work_history: vec![job("72106", day(2012, 1, 1), None, false)],
                certificate_of_qualification: true,
                provincial_nomination: true,
                proof_of_funds: true,
                profile_submitted_at: submitted("2016-06-01T00:00:00Z"),
                ..Default::default()
            },
        ),
    ]
}

async fn history(
    client: &mut EligibilityServiceClient<Channel>,
    request: CheckInvitationHistoryRequest,
) -> CheckInvitationHistoryResponse {
    client
        .check_invitation_history(request)
        .await
        .expect("CheckInvitationHistory")
        .into_inner()
}

fn seconds(t: &Option<prost_types::Timestamp>) -> i64 {
    t.as_ref().expect("timestamp").seconds
}

/// The reasons of a round the candidate met the selection of (CheckInvitation does not say so directly: its
/// reasons are then only about the score, the tie-break or the missing submission time).
fn only_score_reasons(codes: &[String]) -> bool {
    codes.iter().all(|c| {
        matches!(
            c.as_str(),
            "CRS_BELOW_MINIMUM" | "TIE_BREAK" | "NO_TIE_BREAK_PUBLISHED" | "SUBMISSION_TIME_NEEDED"
        )
    })
}

async fn the_history_agrees_with_check_invitation_round_by_round(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let total = app
        .draws()
        .await
        .list_draws(ListDrawsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("ListDraws")
        .into_inner()
        .total_size;
    assert_eq!(total, 435);
    let mut invited_somewhere = 0;
    for (name, profile) in profiles() {
        let h = history(
            &mut client,
            CheckInvitationHistoryRequest {
                profile: Some(profile.clone()),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(h.rounds.len(), 435, "{name}: every shipped round");
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        let mut eligible = 0;
        let mut by_points = Vec::new();
        let mut by_tie_break = Vec::new();
        for (i, r) in h.rounds.iter().enumerate() {
            if i > 0 {
                assert!(
                    seconds(&r.held_at) <= seconds(&h.rounds[i - 1].held_at),
                    "{name}: newest first"
                );
            }
            let one = client
                .check_invitation(CheckInvitationRequest {
                    profile: Some(profile.clone()),
                    draw_number: r.draw_number.clone(),
                })
                .await
                .expect("CheckInvitation")
                .into_inner();
            let round = format!("{name}, round {}", r.draw_number);
            assert_eq!(r.outcome, one.outcome, "{round}");
            let reasons = |rs: &[ee_proto::v1::Reason]| -> Vec<(String, String)> {
                rs.iter()
                    .map(|x| (x.code.clone(), x.message.clone()))
                    .collect()
            };
            assert_eq!(reasons(&r.reasons), reasons(&one.reasons), "{round}");
            assert_eq!(r.crs, one.crs.as_ref().expect("crs").total, "{round}");
            let draw = one.draw.clone().expect("draw");
            assert_eq!(
                (r.minimum_crs, &r.round_type, &r.tie_break_at, &r.held_at),
                (
                    draw.minimum_crs,
                    &draw.round_type,
                    &draw.tie_break_at,
                    &draw.held_at
                ),
                "{round}"
            );
            *counts.entry(one.outcome().as_str_name()).or_default() += 1;
            let codes: Vec<String> = one.reasons.iter().map(|x| x.code.clone()).collect();
            let met = only_score_reasons(&codes);
            assert_eq!(r.eligible, met, "{round}: {codes:?}");
            eligible += u32::from(met);
            if met && codes.iter().any(|c| c == "CRS_BELOW_MINIMUM") {
                by_points.push((draw.minimum_crs - r.crs, r.draw_number.clone()));
            }
            if met && codes == ["TIE_BREAK"] {
                let late = seconds(&profile.profile_submitted_at) - seconds(&draw.tie_break_at);
                by_tie_break.push((late, r.draw_number.clone()));
            }
        }
        let s = h.summary.expect("summary");
        assert_eq!(s.rounds, 435, "{name}");
        assert_eq!(s.eligible, eligible, "{name}");
        let count = |o: InvitationOutcome| counts.get(o.as_str_name()).copied().unwrap_or(0);
        assert_eq!(
            (s.invited, s.not_invited, s.undetermined),
            (
                count(InvitationOutcome::Invited),
                count(InvitationOutcome::NotInvited),
                count(InvitationOutcome::Undetermined)
            ),
            "{name}"
        );
        // Stable sorts of newest-first rounds: fewest points (or seconds) first, then the newest.
        by_points.sort_by_key(|(short, _)| *short);
        by_tie_break.sort_by_key(|(late, _)| *late);
        let listed: Vec<(u32, String)> = s
            .closest_by_points
            .iter()
            .map(|m| (m.points_short, m.draw_number.clone()))
            .collect();
        assert_eq!(
            listed,
            by_points.into_iter().take(5).collect::<Vec<_>>(),
            "{name}"
        );
        let listed: Vec<(i64, String)> = s
            .closest_by_tie_break
            .iter()
            .map(|m| (m.seconds_after_tie_break, m.draw_number.clone()))
            .collect();
        assert_eq!(
            listed,
            by_tie_break.into_iter().take(5).collect::<Vec<_>>(),
            "{name}"
        );
        assert!(s.eligible > 0, "{name}: {s:?}");
        invited_somewhere += s.invited;
    }
    assert!(invited_somewhere > 0);
}

/// A nurse whose CRS on round 284's day (healthcare, minimum 422) equals the minimum, submitted a minute after the
/// tie-breaking time: missed by the tie-break, by 60 seconds.
async fn the_summary_lists_misses_by_the_tie_break_and_by_points(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let mut draws = app.draws().await;
    let draw = ee_test_support::status::get(&mut draws, "284").await;
    let held = DateTime::from_timestamp(seconds(&draw.held_at), 0)
        .expect("time")
        .date_naive();
    let tie = DateTime::from_timestamp(seconds(&draw.tie_break_at), 0).expect("time");
    let rules = ee_domain::Rules::builtin().expect("rules");
    let today = Utc::now().date_naive();
    let mut candidates = Vec::new();
    for age in 20..=40 {
        for education in [
            EducationLevel::Bachelors,
            EducationLevel::TwoOrMoreCredentials,
            EducationLevel::Masters,
            EducationLevel::Doctoral,
        ] {
            for level in [8.0, 9.0, 10.0] {
                for years in 1..=5 {
                    for sibling in [false, true] {
                        candidates.push(CandidateProfile {
                            date_of_birth: on(day(held.year() - age, 1, 1)),
                            education: education as i32,
                            education_assessed: true,
                            first_language: clb(level),
                            work_history: vec![job(
                                "31301",
                                held - Duration::days(365 * years + 1),
                                Some(held),
                                false,
                            )],
                            sibling_in_canada: sibling,
                            proof_of_funds: true,
                            profile_submitted_at: Some(timestamp(tie + Duration::seconds(60))),
                            ..Default::default()
                        });
                    }
                }
            }
        }
    }
    let nurse = candidates
        .into_iter()
        .find(|c| {
            let p = ee_proto::candidate::profile(c, today, &rules).expect("profile");
            ee_domain::assessments::crs::score(&p, held, &rules).total == draw.minimum_crs
        })
        .expect("a nurse at round 284's minimum");
    let h = history(
        &mut client,
        CheckInvitationHistoryRequest {
            profile: Some(nurse),
            start_date: on(held),
            end_date: on(held),
            filter: None,
            closest_misses: 3,
        },
    )
    .await;
    let numbers: Vec<&str> = h.rounds.iter().map(|r| r.draw_number.as_str()).collect();
    assert_eq!(numbers, ["284"], "the period is the one day");
    let s = h.summary.expect("summary");
    assert_eq!((s.rounds, s.eligible, s.not_invited), (1, 1, 1));
    assert_eq!(s.closest_by_tie_break.len(), 1);
    assert_eq!(s.closest_by_tie_break[0].seconds_after_tie_break, 60);
    assert!(s.closest_by_points.is_empty());
}

async fn the_period_and_the_filter_select_the_rounds(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let filter = DrawFilter {
        category_id: "healthcare".into(),
        ..Default::default()
    };
    let listed = app
        .draws()
        .await
        .list_draws(ListDrawsRequest {
            page_size: 500,
            filter: Some(DrawFilter {
                held_after: Some(timestamp(
                    day(2023, 1, 1).and_hms_opt(0, 0, 0).expect("t").and_utc(),
                )),
                held_before: Some(timestamp(
                    day(2025, 1, 1).and_hms_opt(0, 0, 0).expect("t").and_utc(),
                )),
                ..filter.clone()
            }),
            ..Default::default()
        })
        .await
        .expect("ListDraws")
        .into_inner()
        .draws;
    assert!(!listed.is_empty());
    let h = history(
        &mut client,
        CheckInvitationHistoryRequest {
            profile: Some(profiles()[0].1.clone()),
            start_date: on(day(2023, 1, 1)),
            end_date: on(day(2024, 12, 31)),
            filter: Some(filter),
            closest_misses: 0,
        },
    )
    .await;
    let numbers = |v: Vec<String>| v;
    assert_eq!(
        numbers(h.rounds.iter().map(|r| r.draw_number.clone()).collect()),
        numbers(listed.iter().map(|d| d.number.clone()).collect())
    );
    assert_eq!(h.summary.expect("summary").rounds as usize, listed.len());
}

async fn a_round_of_an_uncatalogued_category_is_undetermined_in_the_history(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut draws = app.draws().await;
    let crafts = RoundType {
        kind: RoundKind::Category as i32,
        category_id: "skilled-crafts-occupations".into(),
        category_version: 1,
        name: "Skilled Crafts Occupations, 2027-Version 1".into(),
        uncatalogued: true,
        ..Default::default()
    };
    draws
        .record_draw(authorized(RecordDrawRequest {
            draw: Some(ee_proto::v1::Draw {
                minimum_crs: 300,
                ..round("435", crafts, after_the_history(1))
            }),
        }))
        .await
        .expect("RecordDraw");
    let mut client = app.eligibility().await;
    let h = history(
        &mut client,
        CheckInvitationHistoryRequest {
            profile: Some(profiles()[0].1.clone()),
            start_date: on(day(2027, 1, 1)),
            end_date: on(day(2027, 12, 31)),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(h.rounds.len(), 1);
    let r = &h.rounds[0];
    assert_eq!(r.outcome(), InvitationOutcome::Undetermined);
    assert_eq!(r.reasons[0].code, "ROUND_TYPE_UNKNOWN");
    assert!(!r.eligible);
    assert!(r.round_type.as_ref().is_some_and(|t| t.uncatalogued));
    let s = h.summary.expect("summary");
    assert_eq!((s.rounds, s.undetermined, s.eligible), (1, 1, 0));
}

/// The profile with one improvement applied, as a client applies it from the fields the answer gives.
fn apply(p: &CandidateProfile, i: &CrsImprovement) -> CandidateProfile {
    let mut p = p.clone();
    let set_score = |r: &mut LanguageResult| {
        let s = r.scores.as_mut().expect("scores");
        match i.ability() {
            LanguageAbility::Reading => s.reading = i.to_score,
            LanguageAbility::Writing => s.writing = i.to_score,
            LanguageAbility::Listening => s.listening = i.to_score,
            LanguageAbility::Speaking => s.speaking = i.to_score,
            LanguageAbility::Unspecified => panic!("a language change names its ability: {i:?}"),
        }
    };
    match i.kind() {
        CrsImprovementKind::FirstLanguage => set_score(p.first_language.as_mut().expect("first")),
        CrsImprovementKind::SecondLanguage => p.second_language = i.second_language,
        CrsImprovementKind::CanadianWork | CrsImprovementKind::ForeignWork => {
            assert!(!i.added_work.is_empty());
            p.work_history.extend(i.added_work.iter().cloned());
        }
        CrsImprovementKind::Education => p.education = i.to_education,
        CrsImprovementKind::ProvincialNomination => p.provincial_nomination = true,
        CrsImprovementKind::SpouseLanguage => {
            let spouse = p.spouse.as_mut().expect("spouse");
            match &i.spouse_language {
                Some(l) => spouse.language = Some(*l),
                None => set_score(spouse.language.as_mut().expect("spouse's language")),
            }
        }
        CrsImprovementKind::SpouseEducation => {
            p.spouse.as_mut().expect("spouse").education = i.to_education;
        }
        CrsImprovementKind::Unspecified => panic!("an improvement has a kind: {i:?}"),
    }
    p
}

async fn explore_crs_suggestions_give_the_totals_they_predict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let at = day(2026, 6, 1);
    let mut kinds = std::collections::BTreeSet::new();
    let mut tested = profiles();
    tested.push((
        "IELTS with a spouse, little work",
        CandidateProfile {
            date_of_birth: on(day(1996, 6, 1)),
            marital_status: MaritalStatus::CommonLaw as i32,
            spouse: Some(Spouse {
                accompanying: true,
                education: EducationLevel::Secondary as i32,
                ..Default::default()
            }),
            education: EducationLevel::OneYearPostSecondary as i32,
            first_language: Some(levels(
                LanguageTest::IeltsGeneral,
                6.0,
                6.5,
                7.0,
                6.0,
                Some(day(2025, 9, 1)),
            )),
            work_history: vec![
                job("62010", day(2024, 1, 1), Some(day(2024, 12, 31)), true),
                job("62010", day(2021, 1, 1), Some(day(2022, 6, 30)), false),
            ],
            ..Default::default()
        },
    ));
    for (name, profile) in tested {
        let r = client
            .explore_crs(ExploreCrsRequest {
                profile: Some(profile.clone()),
                as_of: on(at),
            })
            .await
            .expect("ExploreCrs")
            .into_inner();
        let now = r.crs.expect("crs").total;
        assert!(!r.improvements.is_empty(), "{name}");
        for (n, i) in r.improvements.iter().enumerate() {
            assert!(
                i.points_added > 0 && i.new_total == now + i.points_added,
                "{name}: {i:?}"
            );
            if n > 0 {
                assert!(
                    r.improvements[n - 1].points_added >= i.points_added,
                    "{name}: ranked"
                );
            }
            let total = client
                .calculate_crs(CalculateCrsRequest {
                    profile: Some(apply(&profile, i)),
                    as_of: on(at),
                })
                .await
                .expect("CalculateCrs")
                .into_inner()
                .crs
                .expect("crs")
                .total;
            assert_eq!(total, i.new_total, "{name}: {} ({i:?})", i.description);
            kinds.insert(i.kind().as_str_name());
        }
    }
    for kind in [
        "CRS_IMPROVEMENT_KIND_FIRST_LANGUAGE",
        "CRS_IMPROVEMENT_KIND_SECOND_LANGUAGE",
        "CRS_IMPROVEMENT_KIND_CANADIAN_WORK",
        "CRS_IMPROVEMENT_KIND_FOREIGN_WORK",
        "CRS_IMPROVEMENT_KIND_EDUCATION",
        "CRS_IMPROVEMENT_KIND_PROVINCIAL_NOMINATION",
        "CRS_IMPROVEMENT_KIND_SPOUSE_LANGUAGE",
        "CRS_IMPROVEMENT_KIND_SPOUSE_EDUCATION",
    ] {
        assert!(kinds.contains(kind), "no profile got {kind}: {kinds:?}");
    }
}

async fn corrections_end_to_end(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let recruit = CandidateProfile {
        date_of_birth: on(day(1994, 1, 1)),
        education: EducationLevel::Bachelors as i32,
        education_assessed: true,
        first_language: clb(9.0),
        work_history: vec![job("40042", day(2015, 1, 1), None, false)],
        proof_of_funds: true,
        armed_forces_offer: true,
        profile_submitted_at: submitted("2026-03-01T00:00:00Z"),
        ..Default::default()
    };
    let check = |p: CandidateProfile| {
        let mut c = client.clone();
        async move {
            c.check_invitation(CheckInvitationRequest {
                profile: Some(p),
                draw_number: "430".into(),
            })
            .await
            .expect("CheckInvitation")
            .into_inner()
        }
    };
    let offer_only = check(recruit.clone()).await;
    assert_eq!(offer_only.outcome(), InvitationOutcome::NotInvited);
    let codes: Vec<&str> = offer_only.reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["CATEGORY_MISMATCH", "CATEGORY_ARMED_FORCES_OFFER"]);
    let full = CandidateProfile {
        armed_forces_offer_noc_code: "40042".into(),
        serving_in_foreign_military: true,
        ..recruit
    };
    let invited = check(full).await;
    assert_eq!(
        invited.outcome(),
        InvitationOutcome::Invited,
        "{:?}",
        invited.reasons
    );
    // The French category's 2026 version is the one in force from its first round's day.
    let francophone = profiles()[2].1.clone();
    let e = client
        .check_eligibility(CheckEligibilityRequest {
            profile: Some(francophone),
            as_of: on(day(2026, 2, 6)),
        })
        .await
        .expect("CheckEligibility")
        .into_inner();
    let french = e
        .categories
        .iter()
        .find(|c| c.category_id == "french")
        .expect("in force");
    assert_eq!((french.category_version, french.eligible), (2, true));
    // Physicians have their own rule (a year of Canadian work), already before the general rule changed; every
    // category version names its source.
    let physicians = client
        .get_category(GetCategoryRequest {
            id: "physicians".into(),
            version: 1,
            as_of: on(day(2026, 1, 15)),
        })
        .await
        .expect("GetCategory")
        .into_inner()
        .category
        .expect("category");
    let rule = physicians.experience.expect("an occupation category");
    assert_eq!(
        (rule.min_months, rule.continuous, rule.in_canada_only),
        (12, false, true)
    );
    let military = client
        .get_category(GetCategoryRequest {
            id: "military_recruits".into(),
            version: 1,
            as_of: None,
        })
        .await
        .expect("GetCategory")
        .into_inner()
        .category
        .expect("category");
    let codes: Vec<&str> = military
        .occupations
        .iter()
        .map(|o| o.noc_code.as_str())
        .collect();
    assert_eq!(codes, ["40042", "42102", "43204"]);
    assert!(
        military.source.contains("secondary sources only"),
        "{}",
        military.source
    );
    // A one-year Canadian master's alone: scored as the education, and the top Canadian-study points.
    let crs = client
        .calculate_crs(CalculateCrsRequest {
            profile: Some(CandidateProfile {
                date_of_birth: on(day(1996, 1, 1)),
                canadian_credential: Some(CanadianCredential {
                    level: EducationLevel::Masters as i32,
                    length_years: 1,
                }),
                ..Default::default()
            }),
            as_of: on(day(2026, 6, 1)),
        })
        .await
        .expect("CalculateCrs")
        .into_inner()
        .crs
        .expect("crs");
    let points = |section: Option<ee_proto::v1::CrsSection>, code: &str| {
        section
            .expect("section")
            .lines
            .iter()
            .find(|l| l.code == code)
            .map(|l| l.points)
    };
    assert_eq!(points(crs.core, "EDUCATION"), Some(135));
    assert_eq!(points(crs.additional, "CANADIAN_STUDY"), Some(30));
}

async fn bad_facts_and_periods_name_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let good = profiles()[0].1.clone();
    let cases: Vec<(CandidateProfile, &str)> = vec![
        (
            CandidateProfile {
                settlement_funds: Some(SettlementFunds {
                    amount_cad: 20_000,
                    family_members: 0,
                }),
                ..good.clone()
            },
            "profile.settlement_funds.family_members",
        ),
        (
            CandidateProfile {
                relatives_in_canada: vec![RelativeInCanada {
                    kind: 42,
                    of_spouse: false,
                }],
                ..good.clone()
            },
            "profile.relatives_in_canada[0].kind",
        ),
        (
            CandidateProfile {
                relatives_in_canada: vec![
                    RelativeInCanada {
                        kind: RelativeKind::Parent as i32,
                        of_spouse: false,
                    },
                    RelativeInCanada::default(),
                ],
                ..good.clone()
            },
            "profile.relatives_in_canada[1].kind",
        ),
        (
            CandidateProfile {
                canadian_credential: Some(CanadianCredential {
                    level: EducationLevel::Masters as i32,
                    length_years: 0,
                }),
                ..good.clone()
            },
            "profile.canadian_credential.length_years",
        ),
        (
            CandidateProfile {
                canadian_credential: Some(CanadianCredential {
                    level: EducationLevel::Masters as i32,
                    length_years: 11,
                }),
                ..good.clone()
            },
            "profile.canadian_credential.length_years",
        ),
        (
            CandidateProfile {
                armed_forces_offer_noc_code: "4004".into(),
                ..good.clone()
            },
            "profile.armed_forces_offer_noc_code",
        ),
        (
            CandidateProfile {
                job_offer: Some(JobOffer {
                    noc_code: "21231".into(),
                    hours_per_week: f64::NAN,
                    ..Default::default()
                }),
                ..good.clone()
            },
            "profile.job_offer.hours_per_week",
        ),
        (
            CandidateProfile {
                job_offer: Some(JobOffer {
                    noc_code: "21231".into(),
                    duration_months: 601,
                    ..Default::default()
                }),
                ..good.clone()
            },
            "profile.job_offer.duration_months",
        ),
        (
            CandidateProfile {
                job_offer: Some(JobOffer {
                    noc_code: "21231".into(),
                    basis: 9,
                    ..Default::default()
                }),
                ..good.clone()
            },
            "profile.job_offer.basis",
        ),
        (
            CandidateProfile {
                eca_issued_on: on(day(2024, 1, 1)).map(|d| ee_proto::v1::Date { month: 13, ..d }),
                ..good.clone()
            },
            "profile.eca_issued_on",
        ),
        (
            CandidateProfile {
                canadian_credential: Some(CanadianCredential {
                    level: 0,
                    length_years: 2,
                }),
                ..good.clone()
            },
            "profile.canadian_credential.level",
        ),
    ];
    for (profile, field) in cases {
        expect_invalid(
            client
                .calculate_crs(CalculateCrsRequest {
                    profile: Some(profile.clone()),
                    as_of: None,
                })
                .await,
            field,
        );
        expect_invalid(
            client
                .explore_crs(ExploreCrsRequest {
                    profile: Some(profile.clone()),
                    as_of: None,
                })
                .await,
            field,
        );
        expect_invalid(
            client
                .check_invitation_history(CheckInvitationHistoryRequest {
                    profile: Some(profile),
                    ..Default::default()
                })
                .await,
            field,
        );
    }
    let s = expect_invalid(
        client
            .check_invitation_history(CheckInvitationHistoryRequest {
                profile: Some(good.clone()),
                start_date: on(day(2024, 1, 2)),
                end_date: on(day(2024, 1, 1)),
                ..Default::default()
            })
            .await,
        "end_date",
    );
    assert!(s.message().contains("2024-01-01") || format!("{s:?}").contains("start_date"));
    expect_invalid(
        client
            .check_invitation_history(CheckInvitationHistoryRequest {
                profile: Some(good.clone()),
                start_date: Some(ee_proto::v1::Date {
                    year: 0,
                    month: 1,
                    day: 1,
                }),
                ..Default::default()
            })
            .await,
        "start_date",
    );
    let s = expect_invalid(
        client
            .check_invitation_history(CheckInvitationHistoryRequest {
                profile: None,
                start_date: on(day(2024, 1, 2)),
                end_date: on(day(2024, 1, 1)),
                filter: Some(DrawFilter {
                    category_version: 2,
                    ..Default::default()
                }),
                closest_misses: 0,
            })
            .await,
        "profile",
    );
    assert_eq!(
        ee_test_support::status::bad_fields(&s),
        ["profile", "end_date", "filter.category_version"],
        "every bad part at once"
    );
    expect_invalid(
        client
            .check_invitation_history(CheckInvitationHistoryRequest {
                profile: Some(good.clone()),
                filter: Some(DrawFilter {
                    category_id: "plumbing".into(),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await,
        "filter.category_id",
    );
    // A profile without the optional facts is scored without them, never refused.
    let minimal = CandidateProfile {
        date_of_birth: on(day(1990, 5, 5)),
        ..Default::default()
    };
    let r = history(
        &mut client,
        CheckInvitationHistoryRequest {
            profile: Some(minimal.clone()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(r.rounds.len(), 435);
    client
        .explore_crs(ExploreCrsRequest {
            profile: Some(minimal),
            as_of: None,
        })
        .await
        .expect("ExploreCrs of a minimal profile");
}

on_both_backends!(
    the_history_agrees_with_check_invitation_round_by_round,
    the_summary_lists_misses_by_the_tie_break_and_by_points,
    the_period_and_the_filter_select_the_rounds,
    a_round_of_an_uncatalogued_category_is_undetermined_in_the_history,
    explore_crs_suggestions_give_the_totals_they_predict,
    corrections_end_to_end,
    bad_facts_and_periods_name_the_field,
);
