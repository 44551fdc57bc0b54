//! Properties of the CRS over random profiles: the total is the sum of its sections and at most 1,200, each section
//! is the sum of its lines capped at its maximum, and more work experience or a higher language level never lowers
//! a score.

use std::sync::OnceLock;

use chrono::{Days, NaiveDate};
use ee_domain::Rules;
use ee_domain::assessments::crs;
use ee_domain::assessments::crs::{CrsScore, CrsSection};
use ee_domain::model::language::{LanguageResult, LanguageTest, MAX_CLB, Scores};
use ee_domain::model::profile::{
    CanadianEducation, EducationLevel, JobOffer, MaritalStatus, NocCode, Profile, Spouse, WorkEntry,
};
use ee_domain::rounds::draw::CRS_MAX;
use ee_domain::rules::language;
use proptest::prelude::*;

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().expect("the built-in rules are valid"))
}

/// A day from `from` to `from + days`.
fn day(from: (i32, u32, u32), days: u64) -> impl Strategy<Value = NaiveDate> + Clone {
    let start = NaiveDate::from_ymd_opt(from.0, from.1, from.2).expect("a date");
    (0..=days).prop_map(move |n| start + Days::new(n))
}

fn education() -> impl Strategy<Value = EducationLevel> {
    prop_oneof![
        Just(EducationLevel::LessThanSecondary),
        Just(EducationLevel::Secondary),
        Just(EducationLevel::OneYearPostSecondary),
        Just(EducationLevel::TwoYearPostSecondary),
        Just(EducationLevel::Bachelors),
        Just(EducationLevel::TwoOrMoreCredentials),
        Just(EducationLevel::Masters),
        Just(EducationLevel::Doctoral),
    ]
}

/// A result given as levels (CLB in English, NCLC in French), or an IELTS or TEF result on its scale; taken
/// recently, long ago (expired) or without a date.
fn language_result() -> impl Strategy<Value = LanguageResult> {
    let levels = prop::array::uniform4(0..=MAX_CLB);
    let taken = prop::option::of(day((2010, 1, 1), 20 * 365));
    prop_oneof![
        (levels, any::<bool>(), taken.clone()).prop_map(|(l, french, taken)| {
            let test = if french {
                LanguageTest::Nclc
            } else {
                LanguageTest::Clb
            };
            convert(test, l.map(f64::from), taken)
        }),
        (prop::array::uniform4(0..=18u8), taken.clone()).prop_map(|(s, taken)| convert(
            LanguageTest::IeltsGeneral,
            s.map(|x| f64::from(x) / 2.0),
            taken
        )),
        (prop::array::uniform4(0..=699u32), taken).prop_map(|(s, taken)| convert(
            LanguageTest::TefCanada,
            s.map(f64::from),
            taken
        )),
    ]
}

fn convert(test: LanguageTest, s: [f64; 4], taken: Option<NaiveDate>) -> LanguageResult {
    let scores = Scores {
        reading: s[0],
        writing: s[1],
        listening: s[2],
        speaking: s[3],
    };
    language::convert(test, scores, taken, &rules().language)
        .unwrap_or_else(|e| panic!("{test:?} {s:?}: {e:?}"))
}

/// NOC codes of every TEER, abroad or in Canada.
const NOCS: [&str; 10] = [
    "00011", "10010", "21231", "31301", "33102", "62010", "72010", "73300", "84120", "95100",
];

fn job() -> impl Strategy<Value = WorkEntry> {
    (
        prop::sample::select(&NOCS[..]),
        day((2008, 1, 1), 20 * 365),
        prop::option::of(0..=3000u64),
        prop_oneof![Just(30.0), Just(40.0), 5.0..=60.0f64],
        any::<bool>(),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(noc, start, days, hours, in_canada, self_employed, student)| WorkEntry {
                noc: NocCode::parse(noc).expect("a NOC code"),
                start,
                end: days.map(|d| start + Days::new(d)),
                hours_per_week: hours,
                in_canada,
                self_employed,
                full_time_student: student,
            },
        )
}

fn spouse() -> impl Strategy<Value = Spouse> {
    (
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.2),
        prop::option::of(education()),
        prop::option::of(language_result()),
        0..=8u32,
        any::<bool>(),
    )
        .prop_map(
            |(accompanying, citizen, education, language, years, studied)| Spouse {
                accompanying,
                canadian_citizen_or_pr: citizen,
                education,
                language,
                canadian_work_years: years,
                studied_in_canada: studied,
            },
        )
}

fn marital_status() -> impl Strategy<Value = MaritalStatus> {
    prop_oneof![
        3 => Just(MaritalStatus::Single),
        3 => Just(MaritalStatus::Married),
        2 => Just(MaritalStatus::CommonLaw),
        1 => Just(MaritalStatus::Separated),
        1 => Just(MaritalStatus::Divorced),
        1 => Just(MaritalStatus::Widowed),
        1 => Just(MaritalStatus::Annulled),
    ]
}

fn canadian_education() -> impl Strategy<Value = CanadianEducation> {
    prop_oneof![
        Just(CanadianEducation::None),
        Just(CanadianEducation::OneYear),
        Just(CanadianEducation::TwoYear),
        Just(CanadianEducation::ThreeYearOrMore),
    ]
}

prop_compose! {
    fn profile()(
        date_of_birth in day((1955, 1, 1), 55 * 365),
        marital_status in marital_status(),
        spouse in prop::option::of(spouse()),
        education in prop::option::of(education()),
        canadian_education in canadian_education(),
        first_language in prop::option::of(language_result()),
        second_language in prop::option::of(language_result()),
        work_history in prop::collection::vec(job(), 0..5),
        flags in prop::array::uniform8(any::<bool>()),
        job_offer in prop::option::of(prop::sample::select(&NOCS[..])),
    ) -> Profile {
        Profile {
            date_of_birth,
            marital_status,
            spouse,
            education,
            education_assessed: flags[0],
            canadian_education,
            first_language,
            second_language,
            work_history,
            certificate_of_qualification: flags[1],
            job_offer: job_offer.map(|n| JobOffer::of(NocCode::parse(n).expect("a NOC code"))),
            provincial_nomination: flags[2],
            sibling_in_canada: flags[3],
            submitted_at: None,
            proof_of_funds: flags[4],
            authorized_to_work_in_canada: flags[5],
            armed_forces_offer: flags[6],
            ..Profile::default()
        }
    }
}

/// A day the CRS is asked about: from Express Entry's start to past today, across every dated rule change.
fn as_of() -> impl Strategy<Value = NaiveDate> {
    day((2015, 1, 1), 15 * 365)
}

fn section_sum(s: &CrsSection) -> u32 {
    s.lines.iter().map(|l| l.points).sum()
}

fn sections(s: &CrsScore) -> [(&'static str, &CrsSection); 4] {
    [
        ("core", &s.core),
        ("spouse", &s.spouse),
        ("transferability", &s.transferability),
        ("additional", &s.additional),
    ]
}

/// Which language result of a profile a change raises.
#[derive(Debug, Clone, Copy)]
enum Whose {
    First,
    Second,
    Spouse,
}

fn language_of(p: &mut Profile, whose: Whose) -> Option<&mut LanguageResult> {
    match whose {
        Whose::First => p.first_language.as_mut(),
        Whose::Second => p.second_language.as_mut(),
        Whose::Spouse => p.spouse.as_mut().and_then(|s| s.language.as_mut()),
    }
}

/// More experience: another job, a job that ends later (or goes on), or more hours a week in a job.
#[derive(Debug, Clone)]
enum MoreWork {
    Add(WorkEntry),
    EndLater { job: usize, days: Option<u64> },
    MoreHours { job: usize, hours: f64 },
    SpouseYears(u32),
}

fn more_work() -> impl Strategy<Value = MoreWork> {
    prop_oneof![
        job().prop_map(MoreWork::Add),
        (any::<usize>(), prop::option::of(1..=2000u64))
            .prop_map(|(job, days)| MoreWork::EndLater { job, days }),
        (any::<usize>(), 0.5..=40.0f64).prop_map(|(job, hours)| MoreWork::MoreHours { job, hours }),
        (1..=5u32).prop_map(MoreWork::SpouseYears),
    ]
}

fn apply_more_work(p: &mut Profile, change: &MoreWork) {
    let n = p.work_history.len();
    match change {
        MoreWork::Add(job) => p.work_history.push(job.clone()),
        MoreWork::EndLater { job, days } if n > 0 => {
            let j = &mut p.work_history[job % n];
            j.end = match (j.end, days) {
                (Some(end), Some(days)) => Some(end + Days::new(*days)),
                _ => None,
            };
        }
        MoreWork::MoreHours { job, hours } if n > 0 => {
            p.work_history[job % n].hours_per_week += hours
        }
        MoreWork::SpouseYears(years) => {
            if let Some(s) = p.spouse.as_mut() {
                s.canadian_work_years += years;
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_total_is_the_sum_of_its_capped_sections(p in profile(), as_of in as_of()) {
        let s = crs::score(&p, as_of, rules());
        for (name, section) in sections(&s) {
            prop_assert_eq!(
                section.points,
                section_sum(section).min(section.max_points),
                "{} section: {:?}", name, section
            );
        }
        let sum: u32 = sections(&s).iter().map(|(_, section)| section.points).sum();
        prop_assert_eq!(s.total, sum, "{:?}", s);
        prop_assert!(s.total <= CRS_MAX, "{:?}", s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn more_experience_never_lowers_a_score(p in profile(), change in more_work(), as_of in as_of()) {
        let before = crs::score(&p, as_of, rules());
        let mut more = p.clone();
        apply_more_work(&mut more, &change);
        let after = crs::score(&more, as_of, rules());
        prop_assert!(
            after.total >= before.total,
            "{:?} lowers {} to {}:\nbefore {:?}\nafter {:?}", change, before.total, after.total, before, after
        );
    }

    #[test]
    fn a_higher_language_level_never_lowers_a_score(
        p in profile(),
        whose in prop_oneof![Just(Whose::First), Just(Whose::Second), Just(Whose::Spouse)],
        ability in 0..4usize,
        by in 1..=4u8,
        as_of in as_of(),
    ) {
        let before = crs::score(&p, as_of, rules());
        let mut higher = p.clone();
        if let Some(result) = language_of(&mut higher, whose) {
            let l = &mut result.levels;
            let level = match ability {
                0 => &mut l.reading,
                1 => &mut l.writing,
                2 => &mut l.listening,
                _ => &mut l.speaking,
            };
            *level = level.saturating_add(by).min(MAX_CLB);
        }
        let after = crs::score(&higher, as_of, rules());
        prop_assert!(
            after.total >= before.total,
            "raising {:?} ability {} by {} lowers {} to {}:\nbefore {:?}\nafter {:?}",
            whose, ability, by, before.total, after.total, before, after
        );
    }
}
