//! A candidate profile from the wire, with arbitrary fields (mostly plausible, sometimes anything the wire can
//! carry), read as EligibilityService reads it and then scored, checked for eligibility and against a real round.
//! Nothing panics; the CRS total is at most 1,200 and is the sum of its capped sections; an invitation needs a
//! score at or above the round's minimum.
#![no_main]

use arbitrary::Arbitrary;
use chrono::NaiveDate;
use ee_domain::assessments::crs;
use ee_domain::assessments::crs::{CrsScore, CrsSection};
use ee_domain::assessments::{eligibility, explore, invitation, invitation_history};
use ee_domain::rounds::draw::CRS_MAX;
use ee_fuzz::{rules, shipped_draws};
use ee_proto::candidate;
use ee_proto::v1;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Date {
    /// 1940 to 2039, any month and day (some of them impossible, such as February 30).
    Plausible {
        year: u8,
        month: u8,
        day: u8,
    },
    /// 2010 to 2041, any month and day: around the days asked about.
    Recent {
        year: u8,
        month: u8,
        day: u8,
    },
    Raw {
        year: i32,
        month: i32,
        day: i32,
    },
}

impl Date {
    fn wire(&self) -> v1::Date {
        match *self {
            Date::Plausible { year, month, day } => v1::Date {
                year: 1940 + i32::from(year % 100),
                month: 1 + i32::from(month % 12),
                day: 1 + i32::from(day % 31),
            },
            Date::Recent { year, month, day } => v1::Date {
                year: 2010 + i32::from(year % 32),
                month: 1 + i32::from(month % 12),
                day: 1 + i32::from(day % 31),
            },
            Date::Raw { year, month, day } => v1::Date { year, month, day },
        }
    }
}

/// The wire's language tests: 1 to 7 are IELTS, CELPIP, PTE Core, TEF, TCF, CLB and NCLC.
#[derive(Debug, Arbitrary)]
enum Test {
    Known(u8),
    Raw(i32),
}

#[derive(Debug, Arbitrary)]
enum Scores {
    /// Scores on the test's own scale (each modulo its range).
    OnScale([u16; 4]),
    Raw([f64; 4]),
}

/// A score on the scale of `test` for ability `i` (reading, writing, listening, speaking).
fn on_scale(test: i32, i: usize, n: u16) -> f64 {
    let n = f64::from(n);
    match test {
        1 => (n % 19.0) / 2.0,
        2 => n % 13.0,
        3 => 10.0 + n % 81.0,
        4 => n % 700.0,
        5 if i % 2 == 1 => n % 21.0,
        5 => n % 700.0,
        _ => n % 13.0,
    }
}

#[derive(Debug, Arbitrary)]
struct Language {
    test: Test,
    scores: Option<Scores>,
    test_date: Option<Date>,
}

impl Language {
    fn wire(&self) -> v1::LanguageResult {
        let test = match self.test {
            Test::Known(t) => 1 + i32::from(t % 7),
            Test::Raw(t) => t,
        };
        v1::LanguageResult {
            test,
            scores: self.scores.as_ref().map(|s| {
                let [reading, writing, listening, speaking] = match s {
                    Scores::OnScale(n) => [0, 1, 2, 3].map(|i| on_scale(test, i, n[i])),
                    Scores::Raw(x) => *x,
                };
                v1::LanguageScores {
                    reading,
                    writing,
                    listening,
                    speaking,
                }
            }),
            test_date: self.test_date.as_ref().map(Date::wire),
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Noc {
    /// An occupation some category lists (modulo their number).
    Listed(u16),
    /// Five digits.
    Digits(u32),
    Raw(String),
}

impl Noc {
    fn wire(&self) -> String {
        match self {
            Noc::Listed(i) => {
                let nocs: Vec<&str> = rules()
                    .catalog
                    .all()
                    .flat_map(|v| v.occupations.iter().map(|o| o.noc.as_str()))
                    .collect();
                nocs.get(usize::from(*i) % nocs.len().max(1))
                    .copied()
                    .unwrap_or("31301")
                    .to_owned()
            }
            Noc::Digits(n) => format!("{:05}", n % 100_000),
            Noc::Raw(s) => s.clone(),
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Hours {
    Whole(u8),
    Raw(f64),
}

#[derive(Debug, Arbitrary)]
struct Job {
    noc: Noc,
    start: Option<Date>,
    end: Option<Date>,
    hours: Hours,
    in_canada: bool,
    self_employed: bool,
    full_time_student: bool,
}

#[derive(Debug, Arbitrary)]
struct Spouse {
    accompanying: bool,
    citizen: bool,
    education: i32,
    language: Option<Language>,
    canadian_work_years: u32,
    studied_in_canada: bool,
}

#[derive(Debug, Arbitrary)]
struct Profile {
    date_of_birth: Option<Date>,
    marital_status: i32,
    spouse: Option<Spouse>,
    education: i32,
    education_assessed: bool,
    canadian_education: i32,
    first_language: Option<Language>,
    second_language: Option<Language>,
    work_history: Vec<Job>,
    certificate_of_qualification: bool,
    job_offer: Option<Offer>,
    provincial_nomination: bool,
    sibling_in_canada: bool,
    submitted_at: Option<(i64, i32)>,
    proof_of_funds: bool,
    authorized_to_work_in_canada: bool,
    armed_forces_offer: bool,
    relatives: Vec<(i32, bool)>,
    canadian_credential: Option<(i32, u32)>,
    eca_issued_on: Option<Date>,
    settlement_funds: Option<(u64, u32)>,
    serving_in_foreign_military: bool,
    armed_forces_offer_noc: Option<Noc>,
}

#[derive(Debug, Arbitrary)]
struct Offer {
    noc: Noc,
    basis: i32,
    hours_per_week: f64,
    duration_months: u32,
}

/// Small enum values mostly (every value the contract names and a few it does not), any value sometimes.
fn enum_value(v: i32) -> i32 {
    if v.unsigned_abs() < 1 << 24 {
        v.rem_euclid(10)
    } else {
        v
    }
}

impl Profile {
    fn wire(&self) -> v1::CandidateProfile {
        v1::CandidateProfile {
            date_of_birth: self.date_of_birth.as_ref().map(Date::wire),
            marital_status: enum_value(self.marital_status),
            spouse: self.spouse.as_ref().map(|s| v1::Spouse {
                accompanying: s.accompanying,
                canadian_citizen_or_permanent_resident: s.citizen,
                education: enum_value(s.education),
                language: s.language.as_ref().map(Language::wire),
                canadian_work_years: s.canadian_work_years,
                studied_in_canada: s.studied_in_canada,
            }),
            education: enum_value(self.education),
            education_assessed: self.education_assessed,
            canadian_education: enum_value(self.canadian_education),
            first_language: self.first_language.as_ref().map(Language::wire),
            second_language: self.second_language.as_ref().map(Language::wire),
            work_history: self
                .work_history
                .iter()
                .map(|j| v1::WorkExperience {
                    noc_code: j.noc.wire(),
                    start: j.start.as_ref().map(Date::wire),
                    end: j.end.as_ref().map(Date::wire),
                    hours_per_week: match j.hours {
                        Hours::Whole(h) => f64::from(h),
                        Hours::Raw(x) => x,
                    },
                    in_canada: j.in_canada,
                    self_employed: j.self_employed,
                    full_time_student: j.full_time_student,
                })
                .collect(),
            certificate_of_qualification: self.certificate_of_qualification,
            job_offer: self.job_offer.as_ref().map(|o| v1::JobOffer {
                noc_code: o.noc.wire(),
                basis: enum_value(o.basis),
                hours_per_week: o.hours_per_week,
                duration_months: o.duration_months % 1000,
            }),
            provincial_nomination: self.provincial_nomination,
            sibling_in_canada: self.sibling_in_canada,
            profile_submitted_at: self
                .submitted_at
                .map(|(seconds, nanos)| prost_types::Timestamp { seconds, nanos }),
            proof_of_funds: self.proof_of_funds,
            authorized_to_work_in_canada: self.authorized_to_work_in_canada,
            armed_forces_offer: self.armed_forces_offer,
            relatives_in_canada: self
                .relatives
                .iter()
                .map(|(kind, of_spouse)| v1::RelativeInCanada {
                    kind: enum_value(*kind),
                    of_spouse: *of_spouse,
                })
                .collect(),
            canadian_credential: self.canadian_credential.map(|(level, years)| {
                v1::CanadianCredential {
                    level: enum_value(level),
                    length_years: years % 12,
                }
            }),
            eca_issued_on: self.eca_issued_on.as_ref().map(Date::wire),
            settlement_funds: self
                .settlement_funds
                .map(|(amount, members)| v1::SettlementFunds {
                    amount_cad: amount % 100_000,
                    family_members: members % 12,
                }),
            serving_in_foreign_military: self.serving_in_foreign_military,
            armed_forces_offer_noc_code: self
                .armed_forces_offer_noc
                .as_ref()
                .map(Noc::wire)
                .unwrap_or_default(),
        }
    }
}

/// A real day from 2015 to 2040 (the 1st to the 28th of a month).
#[derive(Debug, Arbitrary)]
struct Day {
    year: u8,
    month: u8,
    day: u8,
}

impl Day {
    fn date(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(
            2015 + i32::from(self.year % 26),
            1 + u32::from(self.month % 12),
            1 + u32::from(self.day % 28),
        )
        .expect("a real day")
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    profile: Profile,
    /// The day asked about (`as_of`), and the day the profile is read on (`today`: it bounds the date of birth).
    as_of: Day,
    today: Day,
    /// A round of the shipped history (modulo their number).
    round: u16,
}

fn check_section(name: &str, s: &CrsSection) {
    let sum: u32 = s.lines.iter().map(|l| l.points).sum();
    assert_eq!(s.points, sum.min(s.max_points), "{name}: {s:?}");
}

fn check_score(s: &CrsScore) {
    assert!(
        s.total <= CRS_MAX,
        "a CRS total of {} is over {CRS_MAX}: {s:?}",
        s.total
    );
    for (name, section) in [
        ("core", &s.core),
        ("spouse", &s.spouse),
        ("transferability", &s.transferability),
        ("additional", &s.additional),
    ] {
        check_section(name, section);
    }
    let sum = s.core.points + s.spouse.points + s.transferability.points + s.additional.points;
    assert_eq!(s.total, sum.min(CRS_MAX), "{s:?}");
}

fuzz_target!(|input: Input| {
    let rules = rules();
    let (as_of, today) = (input.as_of.date(), input.today.date());
    let Ok(profile) = candidate::profile(&input.profile.wire(), today, rules) else {
        return;
    };
    let score = crs::score(&profile, as_of, rules);
    check_score(&score);
    let _ = candidate::crs(&score);
    let e = eligibility::check(&profile, as_of, rules);
    let _ = candidate::eligibility(&e);
    let draws = shipped_draws();
    let draw = &draws[usize::from(input.round) % draws.len()];
    let check = invitation::check(&profile, draw, rules);
    check_score(&check.crs);
    if check.outcome == invitation::Outcome::Invited {
        assert!(
            check.crs.total >= draw.minimum_crs,
            "invited below the minimum: {check:?} in {draw:?}"
        );
        assert!(
            check.reasons.is_empty(),
            "invited with reasons: {:?}",
            check.reasons
        );
    }
    let _ = candidate::reasons(&check.reasons);
    // Every improvement explored adds what it says when applied.
    let (now, improvements) = explore::explore(&profile, as_of, rules);
    for i in &improvements {
        let applied = crs::score(&i.change.apply(&profile), as_of, rules);
        assert_eq!(applied.total, i.new_total, "{i:?}");
        assert_eq!(i.new_total, now.total + i.points_added, "{i:?}");
    }
    let _ = candidate::explore_response(&now, &improvements);
    let nearby = &draws[usize::from(input.round) % draws.len()..];
    let h = invitation_history::check_rounds(&profile, nearby.iter().take(8).cloned(), rules, 5);
    let _ = candidate::invitation_history(&h, |_| 0);
});
