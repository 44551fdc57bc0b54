//! Each correction of the rule data (issue 12), pinned by a candidate in the corrected situation on both sides of
//! the corrected date, and the profile facts added with them.

use std::sync::OnceLock;

use chrono::NaiveDate;
use ee_domain::assessments::crs;
use ee_domain::assessments::crs::CrsLineCode;
use ee_domain::assessments::{eligibility, programs};
use ee_domain::model::language::{LanguageResult, LanguageTest, Scores};
use ee_domain::model::profile::{
    CanadianCredential, EducationLevel, JobOffer, MaritalStatus, NocCode, OfferBasis, Profile,
    Relative, RelativeKind, SettlementFunds, Spouse, WorkEntry,
};
use ee_domain::rules::language;
use ee_domain::{CategoryId, ReasonCode, Rules};

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().expect("the built-in rules are valid"))
}

fn result(test: LanguageTest, score: f64, taken: Option<&str>) -> LanguageResult {
    language::convert(
        test,
        Scores {
            reading: score,
            writing: score,
            listening: score,
            speaking: score,
        },
        taken.map(d),
        &rules().language,
    )
    .expect("a valid result")
}

fn clb(level: f64) -> Option<LanguageResult> {
    Some(result(LanguageTest::Clb, level, None))
}

fn noc(code: &str) -> NocCode {
    NocCode::parse(code).expect("noc")
}

fn job(code: &str, start: &str, end: Option<&str>, in_canada: bool) -> WorkEntry {
    WorkEntry {
        noc: noc(code),
        start: d(start),
        end: end.map(d),
        hours_per_week: 40.0,
        in_canada,
        self_employed: false,
        full_time_student: false,
    }
}

/// Single, 30 in 2024, a master's with an assessment, CLB 9, funds: meets FSWP with three years of work.
fn candidate(work: Vec<WorkEntry>) -> Profile {
    Profile {
        date_of_birth: d("1994-01-01"),
        education: Some(EducationLevel::Masters),
        education_assessed: true,
        first_language: clb(9.0),
        work_history: work,
        proof_of_funds: true,
        ..Profile::default()
    }
}

fn category_codes(p: &Profile, id: &str, on: &str) -> Option<Vec<ReasonCode>> {
    let e = eligibility::check(p, d(on), rules());
    e.categories
        .iter()
        .find(|c| c.category.id.as_str() == id)
        .map(|c| c.reasons.iter().map(|r| r.code).collect())
}

#[test]
fn skilled_military_recruits_need_a_listed_offer_and_foreign_service() {
    let abroad = vec![job("21231", "2020-01-01", None, false)];
    let offer_only = Profile {
        armed_forces_offer: true,
        ..candidate(abroad)
    };
    assert_eq!(
        category_codes(&offer_only, "military_recruits", "2026-02-17"),
        None,
        "not in force before 2026-02-18"
    );
    assert_eq!(
        category_codes(&offer_only, "military_recruits", "2026-07-23"),
        Some(vec![ReasonCode::CategoryArmedForcesOffer]),
        "an offer alone no longer qualifies (round #430's day)"
    );
    let recruit = Profile {
        armed_forces_offer_noc: Some(noc("42102")),
        serving_in_foreign_military: true,
        ..offer_only.clone()
    };
    assert_eq!(
        category_codes(&recruit, "military_recruits", "2026-02-18"),
        Some(vec![])
    );
    let unlisted = Profile {
        armed_forces_offer_noc: Some(noc("21231")),
        ..recruit.clone()
    };
    let e = eligibility::check(&unlisted, d("2026-07-23"), rules());
    let military = e
        .categories
        .iter()
        .find(|c| c.category.id.as_str() == "military_recruits")
        .expect("in force");
    assert!(!military.eligible);
    assert!(
        military.reasons[0].message.contains("40042, 42102, 43204"),
        "{}",
        military.reasons[0].message
    );
    let not_serving = Profile {
        serving_in_foreign_military: false,
        ..recruit
    };
    assert_eq!(
        category_codes(&not_serving, "military_recruits", "2026-07-23"),
        Some(vec![ReasonCode::CategoryArmedForcesOffer])
    );
}

#[test]
fn french_version_2_is_in_force_from_its_first_round() {
    let french = CategoryId::parse("french").expect("id");
    let version = |on: &str| rules().catalog.in_force(&french, d(on)).map(|v| v.version);
    assert_eq!(version("2025-12-17"), Some(1), "round #388 used Version 1");
    assert_eq!(version("2026-02-05"), Some(1));
    assert_eq!(version("2026-02-06"), Some(2), "round #394 used Version 2");
    let francophone = Profile {
        second_language: Some(result(LanguageTest::Nclc, 8.0, None)),
        ..candidate(vec![job("21231", "2020-01-01", None, false)])
    };
    let e = eligibility::check(&francophone, d("2026-02-06"), rules());
    let f = e
        .categories
        .iter()
        .find(|c| c.category.id == french)
        .expect("french in force");
    assert_eq!((f.category.version, f.eligible), (2, true));
    assert!(
        f.category
            .source
            .as_deref()
            .is_some_and(|s| s.contains("#394"))
    );
}

#[test]
fn french_points_rose_on_2020_10_20() {
    let p = Profile {
        first_language: Some(result(LanguageTest::Nclc, 7.0, None)),
        second_language: clb(5.0),
        ..candidate(vec![])
    };
    let french = |on: &str| {
        crs::score(&p, d(on), rules())
            .additional
            .lines
            .iter()
            .find(|l| l.code == CrsLineCode::French)
            .map(|l| l.points)
    };
    assert_eq!(french("2020-10-19"), Some(30));
    assert_eq!(french("2020-10-20"), Some(50));
    assert_eq!(french("2020-10-27"), Some(50));
    let alone = Profile {
        second_language: None,
        ..p.clone()
    };
    assert_eq!(
        crs::score(&alone, d("2020-10-19"), rules())
            .additional
            .points,
        15
    );
    assert_eq!(
        crs::score(&alone, d("2020-10-20"), rules())
            .additional
            .points,
        25
    );
}

#[test]
fn physicians_need_a_year_of_canadian_work_from_the_start() {
    // Eight months as a family physician in Canada: enough under the general six-month rule, not for physicians.
    let eight_months = candidate(vec![
        job("31102", "2020-01-01", Some("2025-04-30"), false),
        job("31102", "2025-05-01", None, true),
    ]);
    assert_eq!(
        category_codes(&eight_months, "physicians", "2025-12-07"),
        None,
        "not in force before 2025-12-08"
    );
    assert_eq!(
        category_codes(&eight_months, "physicians", "2026-01-15"),
        Some(vec![ReasonCode::CategoryExperience])
    );
    assert_eq!(
        category_codes(&eight_months, "physicians", "2026-02-19"),
        Some(vec![ReasonCode::CategoryExperience])
    );
    let thirteen_months = candidate(vec![
        job("31102", "2020-01-01", Some("2024-11-30"), false),
        job("31102", "2024-12-01", None, true),
    ]);
    assert_eq!(
        category_codes(&thirteen_months, "physicians", "2026-01-15"),
        Some(vec![])
    );
    // The same eight months qualified for healthcare then, under the general rule.
    assert_eq!(
        category_codes(&eight_months, "healthcare", "2026-01-15"),
        Some(vec![])
    );
    let abroad = candidate(vec![job("31102", "2020-01-01", None, false)]);
    assert_eq!(
        category_codes(&abroad, "physicians", "2026-01-15"),
        Some(vec![ReasonCode::CategoryExperience]),
        "work abroad does not count"
    );
}

#[test]
fn a_tef_test_of_2023_12_10_uses_the_older_table() {
    // 450 in speaking: NCLC 7 under the older table, NCLC 6 under the current one (456 for 7).
    let speaking = |taken: &str| {
        result(LanguageTest::TefCanada, 450.0, Some(taken))
            .levels
            .speaking
    };
    assert_eq!(speaking("2019-10-01"), 7);
    assert_eq!(speaking("2023-12-10"), 7);
    assert_eq!(speaking("2023-12-11"), 6);
    let before_any_table = result(LanguageTest::TefCanada, 600.0, Some("2019-09-30"));
    let p = Profile {
        first_language: Some(before_any_table),
        ..candidate(vec![])
    };
    let s = crs::score(&p, d("2020-06-01"), rules());
    assert!(
        s.core
            .lines
            .iter()
            .all(|l| l.code != CrsLineCode::FirstLanguage),
        "a result with no recorded table scores nothing"
    );
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("no TefCanada conversion table") && n.contains("2019-10-01")),
        "{:?}",
        s.notes
    );
}

#[test]
fn pte_core_counts_only_from_2024_01_30() {
    let language = |taken: &str| {
        let p = Profile {
            first_language: Some(result(LanguageTest::PteCore, 80.0, Some(taken))),
            ..candidate(vec![])
        };
        let s = crs::score(&p, d("2024-06-01"), rules());
        let points = s
            .core
            .lines
            .iter()
            .find(|l| l.code == CrsLineCode::FirstLanguage)
            .map(|l| l.points);
        (points, s.notes)
    };
    let (before, notes) = language("2024-01-29");
    assert_eq!(before, None);
    assert!(
        notes.iter().any(|n| n.contains("from 2024-01-30")),
        "{notes:?}"
    );
    let (from, notes) = language("2024-01-30");
    assert!(from.is_some_and(|p| p > 0) && notes.is_empty());
    let early = Profile {
        first_language: Some(result(LanguageTest::PteCore, 80.0, Some("2024-01-29"))),
        ..candidate(vec![job("21231", "2020-01-01", None, false)])
    };
    assert_eq!(
        programs::check_fswp(&early, d("2024-06-01"), &rules().programs).reasons[0].code,
        ReasonCode::FswpLanguage
    );
}

fn welder() -> Profile {
    Profile {
        first_language: clb(5.0),
        work_history: vec![job("72106", "2021-01-01", None, false)],
        certificate_of_qualification: true,
        proof_of_funds: false,
        ..candidate(vec![])
    }
}

fn fstp_codes(p: &Profile, on: &str) -> Vec<ReasonCode> {
    programs::check_fstp(p, d(on), &rules().programs)
        .reasons
        .iter()
        .map(|r| r.code)
        .collect()
}

#[test]
fn fstp_checks_settlement_funds() {
    assert_eq!(
        fstp_codes(&welder(), "2024-06-01"),
        [ReasonCode::FstpProofOfFunds]
    );
    let with_funds = Profile {
        proof_of_funds: true,
        ..welder()
    };
    assert!(fstp_codes(&with_funds, "2024-06-01").is_empty());
    let exempt = Profile {
        authorized_to_work_in_canada: true,
        job_offer: Some(JobOffer::of(noc("72106"))),
        ..welder()
    };
    assert!(fstp_codes(&exempt, "2024-06-01").is_empty());
}

#[test]
fn settlement_funds_are_checked_against_the_table_in_force() {
    let funds = |amount, members| Profile {
        settlement_funds: Some(SettlementFunds {
            amount_cad: amount,
            family_members: members,
        }),
        proof_of_funds: false,
        ..welder()
    };
    // $15,000 for one: enough under the 2024 table ($14,690), not from 2025-07-07 ($15,263).
    assert!(fstp_codes(&funds(15_000, 1), "2025-07-06").is_empty());
    assert_eq!(
        fstp_codes(&funds(15_000, 1), "2025-07-07"),
        [ReasonCode::FstpProofOfFunds]
    );
    assert!(fstp_codes(&funds(15_263, 1), "2025-07-07").is_empty());
    // The 2022 table ($13,310 for one) until 2023-04-24; the first recorded table before it.
    assert!(fstp_codes(&funds(13_400, 1), "2023-04-24").is_empty());
    assert_eq!(
        fstp_codes(&funds(13_400, 1), "2023-04-25"),
        [ReasonCode::FstpProofOfFunds]
    );
    assert_eq!(
        rules().programs.funds_table(d("2019-01-01")).effective_from,
        d("2022-06-09")
    );
    // A family of 9: the table for 7 and two more members.
    assert_eq!(
        rules().programs.funds_table(d("2025-08-01")).minimum(9),
        40_392 + 2 * 4_112
    );
    assert!(fstp_codes(&funds(48_616, 9), "2025-08-01").is_empty());
    assert_eq!(
        fstp_codes(&funds(48_615, 9), "2025-08-01"),
        [ReasonCode::FstpProofOfFunds]
    );
    let fsw = programs::check_fswp(
        &Profile {
            work_history: vec![job("21231", "2020-01-01", None, false)],
            first_language: clb(9.0),
            ..funds(14_000, 1)
        },
        d("2024-06-01"),
        &rules().programs,
    );
    let reason = fsw
        .reasons
        .iter()
        .find(|r| r.code == ReasonCode::FswpProofOfFunds)
        .expect("short of the 2024 minimum");
    assert!(
        reason.message.contains("$14690") && reason.message.contains("2024-05-28"),
        "{}",
        reason.message
    );
}

#[test]
fn relatives_in_canada() {
    let abroad = vec![job("21231", "2020-01-01", None, false)];
    let base = candidate(abroad);
    let adaptability = |p: &Profile| {
        programs::check_fswp(p, d("2024-06-01"), &rules().programs)
            .fsw_points
            .expect("grid")
            .adaptability
    };
    assert_eq!(adaptability(&base), 0);
    let aunt = Profile {
        relatives_in_canada: vec![Relative {
            kind: RelativeKind::AuntOrUncle,
            of_spouse: false,
        }],
        ..base.clone()
    };
    assert_eq!(adaptability(&aunt), 5);
    let sibling_points = |p: &Profile| {
        crs::score(p, d("2024-06-01"), rules())
            .additional
            .lines
            .iter()
            .any(|l| l.code == CrsLineCode::Sibling)
    };
    assert!(!sibling_points(&aunt), "an aunt is not a sibling");
    let spouse_sibling = Profile {
        marital_status: MaritalStatus::Married,
        spouse: Some(Spouse {
            accompanying: true,
            canadian_citizen_or_pr: false,
            education: None,
            language: None,
            canadian_work_years: 0,
            studied_in_canada: false,
        }),
        relatives_in_canada: vec![Relative {
            kind: RelativeKind::Sibling,
            of_spouse: true,
        }],
        ..base.clone()
    };
    assert!(sibling_points(&spouse_sibling));
    assert_eq!(adaptability(&spouse_sibling), 5);
    let single_with_spouse_relative = Profile {
        relatives_in_canada: vec![Relative {
            kind: RelativeKind::Sibling,
            of_spouse: true,
        }],
        ..base
    };
    assert!(
        !sibling_points(&single_with_spouse_relative),
        "no spouse, no spouse's sibling"
    );
}

#[test]
fn a_one_year_canadian_masters_earns_the_top_study_points_but_not_two_years_of_study() {
    let study = |level, years| {
        let p = Profile {
            canadian_credential: Some(CanadianCredential {
                level,
                length_years: years,
            }),
            ..candidate(vec![job("21231", "2020-01-01", None, false)])
        };
        let points = crs::score(&p, d("2024-06-01"), rules())
            .additional
            .lines
            .iter()
            .find(|l| l.code == CrsLineCode::CanadianStudy)
            .map_or(0, |l| l.points);
        let adaptability = programs::check_fswp(&p, d("2024-06-01"), &rules().programs)
            .fsw_points
            .expect("grid")
            .adaptability;
        (points, adaptability)
    };
    assert_eq!(study(EducationLevel::Masters, 1), (30, 0));
    assert_eq!(study(EducationLevel::OneYearPostSecondary, 1), (15, 0));
    assert_eq!(study(EducationLevel::TwoYearPostSecondary, 2), (15, 5));
    assert_eq!(study(EducationLevel::Bachelors, 3), (30, 5));
    assert_eq!(study(EducationLevel::Secondary, 3), (0, 0));
}

#[test]
fn an_assessment_counts_for_five_years() {
    let p = Profile {
        education_assessed: false,
        eca_issued_on: Some(d("2019-01-01")),
        ..candidate(vec![job("21231", "2016-01-01", None, false)])
    };
    let codes = |on: &str| -> Vec<ReasonCode> {
        programs::check_fswp(&p, d(on), &rules().programs)
            .reasons
            .iter()
            .map(|r| r.code)
            .collect()
    };
    assert!(
        codes("2018-12-31").contains(&ReasonCode::FswpEducationAssessment),
        "not yet issued"
    );
    assert!(codes("2023-12-31").is_empty());
    assert!(codes("2024-01-01").contains(&ReasonCode::FswpEducationAssessment));
}

#[test]
fn a_job_offer_qualifies_by_its_basis_hours_and_length() {
    let with_offer = |offer: JobOffer| Profile {
        job_offer: Some(offer),
        ..candidate(vec![job("21231", "2020-01-01", None, false)])
    };
    let points = |p: &Profile| {
        (
            crs::score(p, d("2024-06-01"), rules()).additional.points,
            programs::check_fswp(p, d("2024-06-01"), &rules().programs)
                .fsw_points
                .expect("grid")
                .arranged_employment,
        )
    };
    let lmia = JobOffer {
        basis: Some(OfferBasis::Lmia),
        hours_per_week: Some(37.5),
        duration_months: Some(24),
        ..JobOffer::of(noc("21231"))
    };
    assert_eq!(points(&with_offer(lmia.clone())), (50, 10));
    assert_eq!(
        points(&with_offer(JobOffer::of(noc("21231")))),
        (50, 10),
        "facts not given"
    );
    for weak in [
        JobOffer {
            hours_per_week: Some(20.0),
            ..lmia.clone()
        },
        JobOffer {
            duration_months: Some(6),
            ..lmia.clone()
        },
        JobOffer {
            basis: Some(OfferBasis::Neither),
            ..lmia.clone()
        },
        JobOffer {
            noc: noc("65100"),
            ..lmia.clone()
        },
    ] {
        assert_eq!(points(&with_offer(weak.clone())), (0, 0), "{weak:?}");
    }
    // The FSTP needs the offer in the trade.
    let welder_offer = |code: &str| Profile {
        certificate_of_qualification: false,
        proof_of_funds: true,
        job_offer: Some(JobOffer::of(noc(code))),
        ..welder()
    };
    assert!(fstp_codes(&welder_offer("72106"), "2024-06-01").is_empty());
    assert_eq!(
        fstp_codes(&welder_offer("21231"), "2024-06-01"),
        [ReasonCode::FstpOfferOrCertificate]
    );
}
