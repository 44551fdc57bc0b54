//! The published CRS examples, the tables' edges and caps, the dated rule changes, program and category rules.

use std::sync::OnceLock;

use chrono::NaiveDate;
use ee_domain::assessments::crs;
use ee_domain::assessments::crs::CrsScore;
use ee_domain::assessments::{eligibility, programs};
use ee_domain::model::language::{LanguageResult, LanguageTest, Scores};
use ee_domain::model::profile::{
    CanadianEducation, EducationLevel, JobOffer, MaritalStatus, NocCode, Profile, Spouse, WorkEntry,
};
use ee_domain::rules::language;
use ee_domain::{CategoryId, FieldViolation, ReasonCode, Rules};

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().expect("the built-in rules are valid"))
}

fn score(p: &Profile, as_of: NaiveDate) -> CrsScore {
    crs::score(p, as_of, rules())
}

fn convert(
    test: LanguageTest,
    scores: Scores,
    test_date: Option<NaiveDate>,
) -> Result<LanguageResult, Vec<FieldViolation>> {
    language::convert(test, scores, test_date, &rules().language)
}

fn clb(level: f64) -> Option<LanguageResult> {
    Some(
        convert(
            LanguageTest::Clb,
            Scores {
                reading: level,
                writing: level,
                listening: level,
                speaking: level,
            },
            None,
        )
        .expect("clb"),
    )
}

fn nclc(level: f64) -> Option<LanguageResult> {
    Some(
        convert(
            LanguageTest::Nclc,
            Scores {
                reading: level,
                writing: level,
                listening: level,
                speaking: level,
            },
            None,
        )
        .expect("nclc"),
    )
}

fn job(noc: &str, start: &str, end: Option<&str>, in_canada: bool) -> WorkEntry {
    WorkEntry {
        noc: NocCode::parse(noc).expect("noc"),
        start: d(start),
        end: end.map(d),
        hours_per_week: 40.0,
        in_canada,
        self_employed: false,
        full_time_student: false,
    }
}

const AS_OF: &str = "2024-06-01";

/// Single, born so as to be `age` on AS_OF, nothing else.
fn single(age: i32) -> Profile {
    Profile {
        date_of_birth: NaiveDate::from_ymd_opt(2024 - age, 1, 1).expect("dob"),
        marital_status: MaritalStatus::Single,
        spouse: None,
        education: None,
        education_assessed: true,
        canadian_education: CanadianEducation::None,
        first_language: None,
        second_language: None,
        work_history: vec![],
        certificate_of_qualification: false,
        job_offer: None,
        provincial_nomination: false,
        sibling_in_canada: false,
        submitted_at: None,
        proof_of_funds: true,
        authorized_to_work_in_canada: false,
        armed_forces_offer: false,
        ..Profile::default()
    }
}

fn years_abroad(years: i32) -> Vec<WorkEntry> {
    vec![job(
        "21231",
        &format!("{}-06-01", 2024 - years),
        Some("2024-05-31"),
        false,
    )]
}

#[test]
fn published_example_469() {
    let p = Profile {
        education: Some(EducationLevel::Masters),
        first_language: clb(9.0),
        work_history: years_abroad(3),
        ..single(29)
    };
    let s = score(&p, d(AS_OF));
    assert_eq!(
        (s.core.points, s.transferability.points, s.total),
        (369, 100, 469)
    );
}

#[test]
fn published_example_428() {
    let p = Profile {
        marital_status: MaritalStatus::Married,
        spouse: Some(Spouse {
            accompanying: true,
            canadian_citizen_or_pr: false,
            education: Some(EducationLevel::Bachelors),
            language: clb(7.0),
            canadian_work_years: 0,
            studied_in_canada: false,
        }),
        education: Some(EducationLevel::Bachelors),
        first_language: clb(10.0),
        work_history: vec![job("21231", "2023-06-01", Some("2024-05-31"), true)],
        ..single(30)
    };
    let s = score(&p, d(AS_OF));
    assert_eq!(
        (s.core.points, s.spouse.points, s.transferability.points),
        (370, 20, 38)
    );
    assert_eq!(s.total, 428);
}

#[test]
fn published_example_476() {
    let p = Profile {
        education: Some(EducationLevel::Masters),
        first_language: clb(10.0),
        work_history: years_abroad(4),
        ..single(30)
    };
    assert_eq!(score(&p, d(AS_OF)).total, 476);
}

#[test]
fn published_example_110_spouse_who_is_a_citizen_scores_as_single() {
    let married = |citizen: bool, accompanying: bool| Profile {
        marital_status: MaritalStatus::Married,
        spouse: Some(Spouse {
            accompanying,
            canadian_citizen_or_pr: citizen,
            education: Some(EducationLevel::Doctoral),
            language: clb(10.0),
            canadian_work_years: 5,
            studied_in_canada: false,
        }),
        ..single(25)
    };
    let s = score(&married(true, true), d(AS_OF));
    assert_eq!((s.total, s.spouse.points), (110, 0));
    assert_eq!(
        score(&married(false, false), d(AS_OF)).total,
        110,
        "a spouse who stays home: as single"
    );
    let with = score(&married(false, true), d(AS_OF));
    assert_eq!(with.core.points, 100, "age 25 with a spouse");
    assert_eq!(with.spouse.points, 10 + 20 + 10);
}

#[test]
fn clb_4_scores_6_points_per_ability_and_below_scores_nothing() {
    let four = score(
        &Profile {
            first_language: clb(4.0),
            ..single(20)
        },
        d(AS_OF),
    );
    assert_eq!(four.core.points, 110 + 24);
    let three = score(
        &Profile {
            first_language: clb(3.0),
            ..single(20)
        },
        d(AS_OF),
    );
    assert_eq!(three.core.points, 110);
    let twelve = score(
        &Profile {
            first_language: clb(12.0),
            ..single(20)
        },
        d(AS_OF),
    );
    assert_eq!(twelve.core.points, 110 + 136, "CLB 11 and 12 score as 10");
}

#[test]
fn caps() {
    // Second language: 6 x 4 = 24 without a spouse, capped at 22 with one.
    let single_second = score(
        &Profile {
            second_language: nclc(10.0),
            ..single(20)
        },
        d(AS_OF),
    );
    assert_eq!(single_second.core.points, 110 + 24);
    let with_spouse = Profile {
        marital_status: MaritalStatus::CommonLaw,
        spouse: Some(Spouse {
            accompanying: true,
            canadian_citizen_or_pr: false,
            education: None,
            language: None,
            canadian_work_years: 0,
            studied_in_canada: false,
        }),
        second_language: nclc(10.0),
        ..single(20)
    };
    assert_eq!(score(&with_spouse, d(AS_OF)).core.points, 100 + 22);
    // Each transferability bundle caps at 50, the section at 100.
    let p = Profile {
        education: Some(EducationLevel::Doctoral),
        first_language: clb(10.0),
        work_history: vec![
            job("21231", "2014-06-05", Some("2019-06-04"), false),
            job("21231", "2019-06-05", Some("2024-05-31"), true),
        ],
        certificate_of_qualification: true,
        ..single(29)
    };
    let s = score(&p, d(AS_OF));
    let lines: Vec<u32> = s.transferability.lines.iter().map(|l| l.points).collect();
    assert_eq!(lines, [50, 50, 50]);
    assert_eq!(s.transferability.points, 100);
    // Additional points cap at 600; the total at 1,200.
    let max = Profile {
        provincial_nomination: true,
        sibling_in_canada: true,
        canadian_education: CanadianEducation::ThreeYearOrMore,
        second_language: nclc(10.0),
        ..p
    };
    let s = score(&max, d(AS_OF));
    assert_eq!(s.additional.points, 600);
    assert!(s.total <= 1200);
}

#[test]
fn job_offer_points_end_on_2025_03_25() {
    let p = Profile {
        job_offer: Some(JobOffer::of(NocCode::parse("00012").expect("noc"))),
        ..single(20)
    };
    assert_eq!(score(&p, d("2025-03-24")).additional.points, 200);
    assert_eq!(score(&p, d("2025-03-25")).additional.points, 0);
    let other = Profile {
        job_offer: Some(JobOffer::of(NocCode::parse("21231").expect("noc"))),
        ..single(20)
    };
    assert_eq!(score(&other, d("2024-01-01")).additional.points, 50);
    assert_eq!(
        score(&other, d("2016-01-01")).additional.points,
        600,
        "the 2015 rules"
    );
}

#[test]
fn french_bonus_depends_on_english() {
    let both = Profile {
        first_language: nclc(7.0),
        second_language: clb(5.0),
        ..single(20)
    };
    assert_eq!(score(&both, d(AS_OF)).additional.points, 50);
    let french_only = Profile {
        first_language: nclc(7.0),
        ..single(20)
    };
    assert_eq!(score(&french_only, d(AS_OF)).additional.points, 25);
    let weak_english = Profile {
        first_language: nclc(8.0),
        second_language: clb(4.0),
        ..single(20)
    };
    assert_eq!(score(&weak_english, d(AS_OF)).additional.points, 25);
    assert_eq!(
        score(&both, d("2019-01-01")).additional.points,
        30,
        "15/30 before October 2020"
    );
}

#[test]
fn expired_language_results_score_nothing() {
    let old = convert(
        LanguageTest::CelpipGeneral,
        Scores {
            reading: 9.0,
            writing: 9.0,
            listening: 9.0,
            speaking: 9.0,
        },
        Some(d("2021-01-01")),
    )
    .expect("valid");
    let p = Profile {
        first_language: Some(old),
        ..single(20)
    };
    let s = score(&p, d(AS_OF));
    assert_eq!(s.core.points, 110);
    assert!(!s.notes.is_empty());
}

#[test]
fn fswp_grid_and_reasons() {
    let p = Profile {
        education: Some(EducationLevel::Masters),
        first_language: clb(9.0),
        work_history: years_abroad(3),
        ..single(29)
    };
    let fsw = programs::check_fswp(&p, d(AS_OF), &rules().programs);
    assert!(fsw.eligible, "{:?}", fsw.reasons);
    let points = fsw.fsw_points.expect("grid");
    assert_eq!(
        (
            points.language,
            points.education,
            points.experience,
            points.age
        ),
        (24, 23, 11, 12)
    );
    assert_eq!(points.total, 70);
    let weak = Profile {
        first_language: clb(6.0),
        proof_of_funds: false,
        education_assessed: false,
        ..p
    };
    let codes: Vec<&str> = programs::check_fswp(&weak, d(AS_OF), &rules().programs)
        .reasons
        .iter()
        .map(|r| r.code.as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "FSWP_LANGUAGE",
            "FSWP_EDUCATION_ASSESSMENT",
            "FSWP_PROOF_OF_FUNDS",
            "FSWP_POINTS"
        ]
    );
}

#[test]
fn cec_and_fstp() {
    let nurse_in_canada = Profile {
        first_language: clb(7.0),
        work_history: vec![job("31301", "2023-01-01", None, true)],
        ..single(30)
    };
    assert!(programs::check_cec(&nurse_in_canada, d(AS_OF), &rules().programs).eligible);
    let student = Profile {
        work_history: vec![WorkEntry {
            full_time_student: true,
            ..job("31301", "2023-01-01", None, true)
        }],
        ..nurse_in_canada.clone()
    };
    assert_eq!(
        programs::check_cec(&student, d(AS_OF), &rules().programs).reasons[0].code,
        ReasonCode::CecExperience
    );
    // TEER 1 work needs CLB 7; at CLB 5 it does not count.
    let clb5 = Profile {
        first_language: clb(5.0),
        ..nurse_in_canada.clone()
    };
    assert_eq!(
        programs::check_cec(&clb5, d(AS_OF), &rules().programs).reasons[0].code,
        ReasonCode::CecLanguage
    );
    let welder = Profile {
        first_language: clb(5.0),
        work_history: vec![job("72106", "2021-01-01", None, false)],
        certificate_of_qualification: true,
        ..single(30)
    };
    assert!(programs::check_fstp(&welder, d(AS_OF), &rules().programs).eligible);
    assert!(
        rules()
            .programs
            .is_trade(&NocCode::parse("63200").expect("noc"))
    );
    assert!(
        !rules()
            .programs
            .is_trade(&NocCode::parse("72600").expect("noc")),
        "726 is excluded"
    );
}

fn nurse_abroad(start: &str, end: &str, hours: f64) -> Profile {
    Profile {
        education: Some(EducationLevel::Masters),
        first_language: clb(9.0),
        work_history: vec![
            job("21231", "2015-01-01", Some("2019-12-31"), false),
            WorkEntry {
                hours_per_week: hours,
                ..job("31301", start, Some(end), false)
            },
        ],
        ..single(30)
    }
}

fn healthcare_on(p: &Profile, date: &str) -> eligibility::CategoryEligibility<'static> {
    let id = CategoryId::parse("healthcare").expect("id");
    let version = rules().catalog.in_force(&id, d(date)).expect("in force");
    let programs = programs::check_programs(p, d(date), &rules().programs);
    eligibility::check_category(p, version, d(date), &programs, rules())
}

#[test]
fn category_experience_six_months_continuous_until_2026_02_17() {
    let six_months = nurse_abroad("2025-07-01", "2025-12-31", 30.0);
    let r = healthcare_on(&six_months, "2026-02-17");
    assert!(r.eligible, "{:?}", r.reasons);
    assert_eq!(
        r.qualifying_noc.map(|n| n.to_string()).as_deref(),
        Some("31301")
    );
    // Two stretches of three months with a gap are not continuous.
    let mut broken = nurse_abroad("2025-01-01", "2025-03-31", 30.0);
    broken
        .work_history
        .push(job("31301", "2025-06-01", Some("2025-08-31"), false));
    assert!(!healthcare_on(&broken, "2026-02-17").eligible);
}

#[test]
fn category_experience_twelve_months_not_continuous_from_2026_02_18() {
    let six_months = nurse_abroad("2025-07-01", "2025-12-31", 30.0);
    let r = healthcare_on(&six_months, "2026-02-18");
    assert!(!r.eligible);
    assert_eq!(r.reasons[0].code, ReasonCode::CategoryExperience);
    // Two stretches of half a year (183 and 182 days) with a gap add up to twelve months (1,560 hours).
    let mut two_stretches = nurse_abroad("2024-01-01", "2024-07-01", 30.0);
    two_stretches
        .work_history
        .push(job("31301", "2025-01-01", Some("2025-07-01"), false));
    assert!(healthcare_on(&two_stretches, "2026-02-18").eligible);
}

#[test]
fn a_software_engineer_is_not_a_healthcare_candidate() {
    let p = Profile {
        education: Some(EducationLevel::Masters),
        first_language: clb(9.0),
        work_history: years_abroad(3),
        ..single(29)
    };
    let r = healthcare_on(&p, "2024-02-14");
    assert_eq!(r.reasons[0].code, ReasonCode::CategoryOccupation);
}
