//! EligibilityService over real gRPC: the published CRS examples, program and category eligibility, categories,
//! "would I have been invited" against the shipped rounds, and bad input.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use ee_proto::convert::{date, timestamp};
use ee_proto::v1::eligibility_service_client::EligibilityServiceClient;
use ee_proto::v1::{
    CalculateCrsRequest, CandidateProfile, CheckEligibilityRequest, CheckInvitationRequest, Date,
    EducationLevel, GetCategoryRequest, InvitationOutcome, LanguageResult, LanguageScores,
    LanguageTest, ListCategoriesRequest, ListDrawsRequest, MaritalStatus, Program, Spouse,
    WorkExperience,
};
use ee_test_support::status::{bad_fields, expect_code, expect_invalid, get};
use ee_test_support::{Backend, TestApp, on_both_backends};
use tonic::Code;
use tonic::transport::Channel;

fn ymd(y: i32, m: u32, d: u32) -> Option<Date> {
    Some(date(NaiveDate::from_ymd_opt(y, m, d).expect("date")))
}

fn on(d: NaiveDate) -> Option<Date> {
    Some(date(d))
}

fn clb(level: f64) -> Option<LanguageResult> {
    Some(LanguageResult {
        test: LanguageTest::Clb as i32,
        scores: Some(LanguageScores {
            reading: level,
            writing: level,
            listening: level,
            speaking: level,
        }),
        test_date: None,
    })
}

fn job(noc: &str, start: NaiveDate, end: NaiveDate, in_canada: bool) -> WorkExperience {
    WorkExperience {
        noc_code: noc.into(),
        start: on(start),
        end: on(end),
        hours_per_week: 40.0,
        in_canada,
        ..Default::default()
    }
}

/// Born so as to be `age` on `at`.
fn born(age: i32, at: NaiveDate) -> Option<Date> {
    on(NaiveDate::from_ymd_opt(at.year() - age, 1, 1).expect("dob"))
}

async fn crs(
    client: &mut EligibilityServiceClient<Channel>,
    profile: CandidateProfile,
    at: NaiveDate,
) -> u32 {
    client
        .calculate_crs(CalculateCrsRequest {
            profile: Some(profile),
            as_of: on(at),
        })
        .await
        .expect("CalculateCrs")
        .into_inner()
        .crs
        .expect("crs")
        .total
}

async fn the_published_crs_examples(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let at = NaiveDate::from_ymd_opt(2024, 6, 1).expect("date");
    let abroad = |years: i32| {
        vec![job(
            "21231",
            at - Duration::days(365 * i64::from(years)),
            at,
            false,
        )]
    };
    let p469 = CandidateProfile {
        date_of_birth: born(29, at),
        education: EducationLevel::Masters as i32,
        first_language: clb(9.0),
        work_history: abroad(3),
        ..Default::default()
    };
    assert_eq!(crs(&mut client, p469, at).await, 469);
    let p428 = CandidateProfile {
        date_of_birth: born(30, at),
        marital_status: MaritalStatus::Married as i32,
        spouse: Some(Spouse {
            accompanying: true,
            education: EducationLevel::Bachelors as i32,
            language: clb(7.0),
            ..Default::default()
        }),
        education: EducationLevel::Bachelors as i32,
        first_language: clb(10.0),
        work_history: vec![job("21231", at - Duration::days(366), at, true)],
        ..Default::default()
    };
    assert_eq!(crs(&mut client, p428, at).await, 428);
    let p476 = CandidateProfile {
        date_of_birth: born(30, at),
        education: EducationLevel::Masters as i32,
        first_language: clb(10.0),
        work_history: abroad(4),
        ..Default::default()
    };
    assert_eq!(crs(&mut client, p476, at).await, 476);
    let p110 = CandidateProfile {
        date_of_birth: born(25, at),
        marital_status: MaritalStatus::Married as i32,
        spouse: Some(Spouse {
            accompanying: true,
            canadian_citizen_or_permanent_resident: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    let breakdown = client
        .calculate_crs(CalculateCrsRequest {
            profile: Some(p110),
            as_of: on(at),
        })
        .await
        .expect("CalculateCrs")
        .into_inner()
        .crs
        .expect("crs");
    assert_eq!(breakdown.total, 110);
    let core = breakdown.core.expect("core");
    assert_eq!(core.lines[0].code, "AGE");
    assert_eq!(
        (core.lines[0].points, core.max_points),
        (110, 500),
        "scored as single"
    );
    assert_eq!(breakdown.spouse.expect("spouse").points, 0);
}

/// A healthcare worker abroad (registered nurse) who meets FSWP on `at`, tuned by the search parameters.
fn nurse(
    at: NaiveDate,
    age: i32,
    education: EducationLevel,
    level: f64,
    years: i64,
    sibling: bool,
) -> CandidateProfile {
    CandidateProfile {
        date_of_birth: born(age, at),
        education: education as i32,
        education_assessed: true,
        first_language: clb(level),
        work_history: vec![job(
            "31301",
            at - Duration::days(365 * years + 1),
            at,
            false,
        )],
        sibling_in_canada: sibling,
        proof_of_funds: true,
        ..Default::default()
    }
}

/// Finds a healthcare candidate whose CRS on `at` is exactly `target` (searching in process, checking over gRPC).
async fn nurse_scoring(
    client: &mut EligibilityServiceClient<Channel>,
    at: NaiveDate,
    target: u32,
) -> CandidateProfile {
    match find_nurse_scoring(client, at, target).await {
        Some(p) => p,
        None => panic!("no nurse profile scores {target} on {at}"),
    }
}

async fn find_nurse_scoring(
    client: &mut EligibilityServiceClient<Channel>,
    at: NaiveDate,
    target: u32,
) -> Option<CandidateProfile> {
    let today = Utc::now().date_naive();
    let rules = ee_domain::Rules::builtin().expect("the built-in rules");
    for age in 20..=35 {
        for education in [
            EducationLevel::Bachelors,
            EducationLevel::TwoOrMoreCredentials,
            EducationLevel::Masters,
            EducationLevel::Doctoral,
        ] {
            for level in [9.0, 10.0] {
                for years in 1..=5 {
                    for sibling in [false, true] {
                        let candidate = nurse(at, age, education, level, years, sibling);
                        let p = ee_proto::candidate::profile(&candidate, today, &rules)
                            .expect("valid profile");
                        if ee_domain::assessments::crs::score(&p, at, &rules).total == target {
                            assert_eq!(
                                crs(client, candidate.clone(), at).await,
                                target,
                                "gRPC agrees"
                            );
                            return Some(candidate);
                        }
                    }
                }
            }
        }
    }
    None
}

fn to_utc(t: &Option<prost_types::Timestamp>) -> DateTime<Utc> {
    let t = t.as_ref().expect("timestamp");
    DateTime::from_timestamp(t.seconds, 0).expect("time")
}

async fn healthcare_candidates_at_the_minimum_are_decided_by_the_tie_break(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let mut draws = app.draws().await;
    for number in ["252", "255", "271", "284"] {
        let draw = get(&mut draws, number).await;
        let held = to_utc(&draw.held_at);
        let tie = to_utc(&draw.tie_break_at);
        let candidate = nurse_scoring(&mut client, held.date_naive(), draw.minimum_crs).await;
        let check = |submitted: DateTime<Utc>| {
            let mut c = client.clone();
            let profile = CandidateProfile {
                profile_submitted_at: Some(timestamp(submitted)),
                ..candidate.clone()
            };
            async move {
                c.check_invitation(CheckInvitationRequest {
                    profile: Some(profile),
                    draw_number: number.into(),
                })
                .await
                .expect("CheckInvitation")
                .into_inner()
            }
        };
        let before = check(tie - Duration::seconds(1)).await;
        assert_eq!(
            before.outcome(),
            InvitationOutcome::Invited,
            "{number}: {:?}",
            before.reasons
        );
        assert_eq!(before.crs.expect("crs").total, draw.minimum_crs);
        assert_eq!(
            check(tie).await.outcome(),
            InvitationOutcome::Invited,
            "{number}: at the tie-break itself"
        );
        let after = check(tie + Duration::seconds(1)).await;
        assert_eq!(after.outcome(), InvitationOutcome::NotInvited, "{number}");
        assert_eq!(after.reasons[0].code, "TIE_BREAK");
    }
}

async fn a_stem_candidate_is_not_invited_in_a_healthcare_round(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let held = NaiveDate::from_ymd_opt(2024, 2, 14).expect("date");
    // A software engineer in Canada for five years: CRS 600 on the day of round 284.
    let engineer = CandidateProfile {
        date_of_birth: born(29, held),
        education: EducationLevel::Doctoral as i32,
        education_assessed: true,
        first_language: clb(10.0),
        second_language: Some(LanguageResult {
            test: LanguageTest::Nclc as i32,
            ..clb(9.0).expect("x")
        }),
        work_history: vec![job("21231", held - Duration::days(365 * 5 + 2), held, true)],
        proof_of_funds: true,
        profile_submitted_at: Some(timestamp("2023-01-01T00:00:00Z".parse().expect("t"))),
        ..Default::default()
    };
    assert_eq!(crs(&mut client, engineer.clone(), held).await, 600);
    let r = client
        .check_invitation(CheckInvitationRequest {
            profile: Some(engineer.clone()),
            draw_number: "284".into(),
        })
        .await
        .expect("CheckInvitation")
        .into_inner();
    assert_eq!(r.outcome(), InvitationOutcome::NotInvited);
    assert_eq!(r.reasons[0].code, "CATEGORY_MISMATCH");
    assert!(r.reasons[0].message.contains("healthcare"));
    assert_eq!(r.draw.expect("draw").minimum_crs, 422);
    // The same candidate in a general round of that time with a lower minimum is invited.
    let general = client
        .check_invitation(CheckInvitationRequest {
            profile: Some(engineer),
            draw_number: "285".into(),
        })
        .await
        .expect("CheckInvitation")
        .into_inner();
    assert_ne!(general.outcome(), InvitationOutcome::Unspecified);
}

async fn every_round_of_the_shipped_feed_can_be_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let rounds = app
        .draws()
        .await
        .list_draws(ListDrawsRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("ListDraws")
        .into_inner()
        .draws;
    assert_eq!(rounds.len(), 435);
    let mut outcomes = std::collections::HashMap::new();
    for d in &rounds {
        let held = to_utc(&d.held_at).date_naive();
        let candidate = CandidateProfile {
            profile_submitted_at: Some(timestamp("2014-12-01T00:00:00Z".parse().expect("t"))),
            ..nurse(held, 30, EducationLevel::Masters, 10.0, 4, false)
        };
        let r = client
            .check_invitation(CheckInvitationRequest {
                profile: Some(candidate),
                draw_number: d.number.clone(),
            })
            .await
            .unwrap_or_else(|e| panic!("round {}: {e:?}", d.number))
            .into_inner();
        assert_ne!(r.outcome(), InvitationOutcome::Unspecified);
        assert!(
            r.reasons.iter().all(|r| r.code != "CATEGORY_UNKNOWN"),
            "round {}",
            d.number
        );
        *outcomes.entry(r.outcome().as_str_name()).or_insert(0) += 1;
    }
    // A 476-point nurse: invited in most general rounds since 2017, never in a PNP-only round.
    assert!(
        outcomes
            .get("INVITATION_OUTCOME_INVITED")
            .copied()
            .unwrap_or(0)
            > 50,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .get("INVITATION_OUTCOME_NOT_INVITED")
            .copied()
            .unwrap_or(0)
            > 100,
        "{outcomes:?}"
    );
}

async fn program_and_category_eligibility(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let at = NaiveDate::from_ymd_opt(2024, 2, 14).expect("date");
    let r = client
        .check_eligibility(CheckEligibilityRequest {
            profile: Some(nurse(at, 30, EducationLevel::Masters, 9.0, 3, false)),
            as_of: on(at),
        })
        .await
        .expect("CheckEligibility")
        .into_inner();
    let fsw = r
        .programs
        .iter()
        .find(|p| p.program() == Program::Fsw)
        .expect("FSW");
    assert!(fsw.eligible, "{:?}", fsw.reasons);
    let points = fsw.fsw_points.expect("grid");
    assert!(points.total >= points.pass_mark && points.pass_mark == 67);
    let cec = r
        .programs
        .iter()
        .find(|p| p.program() == Program::Cec)
        .expect("CEC");
    assert!(!cec.eligible && cec.reasons[0].code == "CEC_EXPERIENCE");
    let healthcare = r
        .categories
        .iter()
        .find(|c| c.category_id == "healthcare")
        .expect("in force");
    assert!(healthcare.eligible && healthcare.category_version == 1);
    assert_eq!(healthcare.qualifying_noc_code, "31301");
    let stem = r
        .categories
        .iter()
        .find(|c| c.category_id == "stem")
        .expect("in force");
    assert!(!stem.eligible && stem.reasons[0].code == "CATEGORY_OCCUPATION");
    assert!(
        r.categories.iter().all(|c| c.category_id != "education"),
        "education began in 2025"
    );
}

async fn categories_by_date_and_version(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let in_2024 = client
        .list_categories(ListCategoriesRequest {
            as_of: ymd(2024, 1, 1),
            include_history: false,
        })
        .await
        .expect("ListCategories")
        .into_inner()
        .categories;
    let ids: Vec<(String, u32)> = in_2024.iter().map(|c| (c.id.clone(), c.version)).collect();
    assert_eq!(ids.len(), 6, "{ids:?}");
    assert!(ids.contains(&("healthcare".into(), 1)) && ids.contains(&("french".into(), 1)));
    let all = client
        .list_categories(ListCategoriesRequest {
            as_of: None,
            include_history: true,
        })
        .await
        .expect("ListCategories")
        .into_inner()
        .categories;
    assert_eq!(all.len(), 19);
    let h = client
        .get_category(GetCategoryRequest {
            id: "healthcare".into(),
            version: 0,
            as_of: ymd(2023, 7, 1),
        })
        .await
        .expect("GetCategory")
        .into_inner()
        .category
        .expect("category");
    assert_eq!((h.version, h.occupations.len()), (1, 35));
    let rule = h.experience.expect("rule");
    assert_eq!(
        (rule.min_months, rule.continuous, rule.window_years),
        (6, true, 3)
    );
    let v2 = client
        .get_category(GetCategoryRequest {
            id: "healthcare".into(),
            version: 2,
            as_of: None,
        })
        .await
        .expect("GetCategory v2")
        .into_inner()
        .category
        .expect("category");
    assert_eq!(v2.occupations.len(), 37);
    assert!(
        v2.occupations.iter().any(|o| o.noc_code == "31120"),
        "pharmacists added in 2025"
    );
    expect_code(
        client
            .get_category(GetCategoryRequest {
                id: "astronauts".into(),
                version: 0,
                as_of: None,
            })
            .await,
        Code::NotFound,
    );
    expect_code(
        client
            .get_category(GetCategoryRequest {
                id: "stem".into(),
                version: 9,
                as_of: None,
            })
            .await,
        Code::NotFound,
    );
    expect_invalid(
        client
            .get_category(GetCategoryRequest {
                id: "Health Care".into(),
                version: 0,
                as_of: None,
            })
            .await,
        "id",
    );
}

async fn bad_profiles_name_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let at = NaiveDate::from_ymd_opt(2024, 6, 1).expect("date");
    let good = nurse(at, 30, EducationLevel::Masters, 9.0, 3, false);
    let bad_job = |w: WorkExperience| CandidateProfile {
        work_history: vec![w],
        ..good.clone()
    };
    let base_job = job("31301", at - Duration::days(400), at, false);
    let cases: Vec<(CandidateProfile, &str)> = vec![
        (
            bad_job(WorkExperience {
                noc_code: "3130".into(),
                ..base_job.clone()
            }),
            "profile.work_history[0].noc_code",
        ),
        (
            bad_job(WorkExperience {
                noc_code: "31A01".into(),
                ..base_job.clone()
            }),
            "profile.work_history[0].noc_code",
        ),
        (
            bad_job(WorkExperience {
                end: on(at - Duration::days(500)),
                ..base_job.clone()
            }),
            "profile.work_history[0].end",
        ),
        (
            bad_job(WorkExperience {
                hours_per_week: 169.0,
                ..base_job.clone()
            }),
            "profile.work_history[0].hours_per_week",
        ),
        (
            CandidateProfile {
                first_language: clb(13.0),
                ..good.clone()
            },
            "profile.first_language.scores.reading",
        ),
        (
            CandidateProfile {
                first_language: Some(LanguageResult {
                    test: LanguageTest::IeltsGeneral as i32,
                    scores: Some(LanguageScores {
                        reading: 7.25,
                        writing: 7.0,
                        listening: 8.0,
                        speaking: 7.0,
                    }),
                    test_date: None,
                }),
                ..good.clone()
            },
            "profile.first_language.scores.reading",
        ),
        (
            CandidateProfile {
                first_language: Some(LanguageResult {
                    test: 99,
                    ..clb(9.0).expect("x")
                }),
                ..good.clone()
            },
            "profile.first_language.test",
        ),
        (
            CandidateProfile {
                date_of_birth: ymd(2999, 1, 1),
                ..good.clone()
            },
            "profile.date_of_birth",
        ),
        (
            CandidateProfile {
                date_of_birth: None,
                ..good.clone()
            },
            "profile.date_of_birth",
        ),
        (
            CandidateProfile {
                work_history: vec![base_job.clone(); 101],
                ..good.clone()
            },
            "profile.work_history",
        ),
    ];
    for (profile, field) in cases {
        expect_invalid(
            client
                .calculate_crs(CalculateCrsRequest {
                    profile: Some(profile.clone()),
                    as_of: on(at),
                })
                .await,
            field,
        );
        expect_invalid(
            client
                .check_eligibility(CheckEligibilityRequest {
                    profile: Some(profile),
                    as_of: on(at),
                })
                .await,
            field,
        );
    }
    expect_invalid(
        client
            .calculate_crs(CalculateCrsRequest {
                profile: None,
                as_of: None,
            })
            .await,
        "profile",
    );
    // Every bad part of a request at once.
    let s = expect_invalid(
        client
            .calculate_crs(CalculateCrsRequest {
                profile: None,
                as_of: ymd(0, 1, 1),
            })
            .await,
        "profile",
    );
    assert_eq!(bad_fields(&s), ["profile", "as_of"]);
    let s = expect_invalid(
        client
            .check_invitation(CheckInvitationRequest {
                profile: None,
                draw_number: "x".into(),
            })
            .await,
        "draw_number",
    );
    assert_eq!(bad_fields(&s), ["draw_number", "profile"]);
    // Dates are years 1 to 9999, wherever they are.
    for (year, field) in [(10_000, "as_of"), (0, "as_of"), (-5, "as_of")] {
        expect_invalid(
            client
                .calculate_crs(CalculateCrsRequest {
                    profile: Some(good.clone()),
                    as_of: ymd(year, 1, 1),
                })
                .await,
            field,
        );
    }
    expect_invalid(
        client
            .calculate_crs(CalculateCrsRequest {
                profile: Some(CandidateProfile {
                    date_of_birth: ymd(0, 6, 1),
                    ..good.clone()
                }),
                as_of: None,
            })
            .await,
        "profile.date_of_birth",
    );
    let s = expect_code(
        client
            .check_invitation(CheckInvitationRequest {
                profile: Some(good.clone()),
                draw_number: "9999".into(),
            })
            .await,
        Code::NotFound,
    );
    assert!(s.message().contains("9999"));
    expect_invalid(
        client
            .check_invitation(CheckInvitationRequest {
                profile: Some(good.clone()),
                draw_number: "abc".into(),
            })
            .await,
        "draw_number",
    );
    // A day before the candidate was born is no day to judge them on.
    let born_1990 = CandidateProfile {
        date_of_birth: ymd(1990, 5, 5),
        ..good.clone()
    };
    expect_invalid(
        client
            .calculate_crs(CalculateCrsRequest {
                profile: Some(born_1990.clone()),
                as_of: ymd(1990, 5, 4),
            })
            .await,
        "as_of",
    );
    expect_invalid(
        client
            .check_eligibility(CheckEligibilityRequest {
                profile: Some(born_1990.clone()),
                as_of: ymd(1, 1, 1),
            })
            .await,
        "as_of",
    );
    // No second language and no spouse are not errors: they score nothing.
    let minimal = CandidateProfile {
        date_of_birth: ymd(1990, 5, 5),
        ..Default::default()
    };
    assert!(crs(&mut client, minimal, at).await > 0);
}

async fn rounds_before_tie_breaks_were_published_are_undetermined_at_the_minimum(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let mut draws = app.draws().await;
    let mut checked = 0;
    for n in 1..=76 {
        let draw = get(&mut draws, n.to_string()).await;
        assert!(
            draw.tie_break_at.is_none(),
            "round {n} published no tie-break"
        );
        let held = to_utc(&draw.held_at).date_naive();
        let general = draw
            .round_type
            .as_ref()
            .is_some_and(|t| t.kind() == ee_proto::v1::RoundKind::General);
        let Some(candidate) = (if general {
            find_nurse_scoring(&mut client, held, draw.minimum_crs).await
        } else {
            None
        }) else {
            continue;
        };
        let r = client
            .check_invitation(CheckInvitationRequest {
                profile: Some(candidate),
                draw_number: n.to_string(),
            })
            .await
            .expect("CheckInvitation")
            .into_inner();
        assert_eq!(
            r.outcome(),
            InvitationOutcome::Undetermined,
            "round {n}: {:?}",
            r.reasons
        );
        assert_eq!(r.reasons[0].code, "NO_TIE_BREAK_PUBLISHED");
        checked += 1;
    }
    assert!(
        checked >= 3,
        "only {checked} early rounds had a reachable minimum"
    );
}

on_both_backends!(
    the_published_crs_examples,
    healthcare_candidates_at_the_minimum_are_decided_by_the_tie_break,
    a_stem_candidate_is_not_invited_in_a_healthcare_round,
    every_round_of_the_shipped_feed_can_be_checked,
    program_and_category_eligibility,
    categories_by_date_and_version,
    bad_profiles_name_the_field,
    rounds_before_tie_breaks_were_published_are_undetermined_at_the_minimum,
);
