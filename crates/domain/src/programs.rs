//! Federal Skilled Worker, Federal Skilled Trades and Canadian Experience Class minimums (`data/programs.json`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::draw::Program;
use crate::experience::{self, Window};
use crate::language::{AbilityLevels, LanguageResult};
use crate::profile::{CanadianEducation, NocCode, Profile, WorkEntry};

#[derive(Deserialize)]
struct FswGrid {
    first_language_per_ability: BTreeMap<String, u32>,
    second_language_all_clb5: u32,
    education: Vec<u32>,
    experience_years: Vec<u32>,
    age: FswAge,
    arranged_employment: u32,
    adaptability: BTreeMap<String, u32>,
}

#[derive(Deserialize)]
struct FswAge {
    from: i32,
    points_18_to_35: u32,
    after_35: Vec<u32>,
}

#[derive(Deserialize)]
struct Fswp {
    experience_hours: f64,
    experience_window_years: u32,
    language_min_clb: u8,
    pass_mark: u32,
    grid: FswGrid,
}

#[derive(Deserialize)]
struct Trades {
    prefixes: Vec<String>,
    excluded_prefixes: Vec<String>,
}

#[derive(Deserialize)]
struct Fstp {
    experience_hours: f64,
    experience_window_years: u32,
    language_min_clb: BTreeMap<String, u8>,
    trades: Trades,
}

#[derive(Deserialize)]
struct Cec {
    experience_hours: f64,
    experience_window_years: u32,
    language_min_clb_teer_0_1: u8,
    language_min_clb_teer_2_3: u8,
}

#[derive(Deserialize)]
pub(crate) struct ProgramRules {
    fswp: Fswp,
    fstp: Fstp,
    cec: Cec,
    pub(crate) crs_experience_window_years: u32,
}

pub(crate) static RULES: LazyLock<ProgramRules> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../data/programs.json"))
        .unwrap_or_else(|e| panic!("the built-in data/programs.json is invalid: {e}"))
});

/// Why a requirement is not met: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: &'static str,
    pub message: String,
}

impl Reason {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// The FSW selection grid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FswPoints {
    pub total: u32,
    pub pass_mark: u32,
    pub language: u32,
    pub education: u32,
    pub experience: u32,
    pub age: u32,
    pub arranged_employment: u32,
    pub adaptability: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramEligibility {
    pub program: Program,
    pub eligible: bool,
    pub reasons: Vec<Reason>,
    pub fsw_points: Option<FswPoints>,
}

impl ProgramEligibility {
    fn new(program: Program, reasons: Vec<Reason>, fsw_points: Option<FswPoints>) -> Self {
        Self {
            program,
            eligible: reasons.is_empty(),
            reasons,
            fsw_points,
        }
    }
}

/// The official-language results valid on the date: either may meet a minimum.
fn languages(profile: &Profile, as_of: NaiveDate) -> Vec<&LanguageResult> {
    let (a, b) = profile.languages_on(as_of);
    [a, b].into_iter().flatten().collect()
}

fn best_min(profile: &Profile, as_of: NaiveDate) -> u8 {
    languages(profile, as_of)
        .iter()
        .map(|l| l.levels.min())
        .max()
        .unwrap_or(0)
}

/// The most hours worked in any one occupation, as `count` counts a group of jobs.
fn most_in_one_occupation<'a>(
    entries: impl Iterator<Item = &'a WorkEntry>,
    count: impl Fn(&[&'a WorkEntry]) -> f64,
) -> f64 {
    let mut by_noc: BTreeMap<&NocCode, Vec<&WorkEntry>> = BTreeMap::new();
    for e in entries {
        by_noc.entry(&e.noc).or_default().push(e);
    }
    by_noc.values().map(|jobs| count(jobs)).fold(0.0, f64::max)
}

pub fn check_fswp(profile: &Profile, as_of: NaiveDate) -> ProgramEligibility {
    let r = &RULES.fswp;
    let mut reasons = Vec::new();
    let w = Window::years_before(as_of, r.experience_window_years);
    let skilled = profile.work_history.iter().filter(|e| e.noc.is_skilled());
    let best_continuous = most_in_one_occupation(skilled, |jobs| {
        experience::longest_continuous_hours(jobs.iter().copied(), w)
    });
    if best_continuous < r.experience_hours {
        reasons.push(Reason::new(
            "FSWP_EXPERIENCE",
            format!(
                "needs one year ({} hours) of continuous skilled work (TEER 0 to 3) in one occupation in the last {} years; the most found is {:.0} hours",
                r.experience_hours, r.experience_window_years, best_continuous
            ),
        ));
    }
    if best_min(profile, as_of) < r.language_min_clb {
        reasons.push(Reason::new(
            "FSWP_LANGUAGE",
            format!("needs CLB {} or more in all four abilities in English or French, from a test valid on {as_of}", r.language_min_clb),
        ));
    }
    match profile.education {
        None => reasons.push(Reason::new(
            "FSWP_EDUCATION",
            "needs a secondary or post-secondary credential",
        )),
        Some(_)
            if !profile.education_assessed
                && profile.canadian_education == CanadianEducation::None =>
        {
            reasons.push(Reason::new(
                "FSWP_EDUCATION_ASSESSMENT",
                "a foreign credential needs an Educational Credential Assessment",
            ))
        }
        Some(_) => {}
    }
    let funds_exempt = profile.job_offer.is_some() && profile.authorized_to_work_in_canada;
    if !(profile.proof_of_funds || funds_exempt) {
        reasons.push(Reason::new(
            "FSWP_PROOF_OF_FUNDS",
            "needs proof of settlement funds, unless authorized to work in Canada with a valid job offer",
        ));
    }
    let points = fsw_points(profile, as_of);
    if points.total < points.pass_mark {
        reasons.push(Reason::new(
            "FSWP_POINTS",
            format!(
                "scores {} on the selection grid; the pass mark is {}",
                points.total, points.pass_mark
            ),
        ));
    }
    ProgramEligibility::new(Program::Fsw, reasons, Some(points))
}

fn fsw_points(profile: &Profile, as_of: NaiveDate) -> FswPoints {
    let r = &RULES.fswp;
    let g = &r.grid;
    let (first, second) = profile.languages_on(as_of);
    let per = |key: &str| g.first_language_per_ability.get(key).copied().unwrap_or(0);
    let language_first: u32 = first.map_or(0, |l| {
        l.levels
            .all()
            .iter()
            .map(|c| match c {
                9.. => per("clb9"),
                8 => per("clb8"),
                7 => per("clb7"),
                _ => 0,
            })
            .sum()
    });
    let language_second = if second.is_some_and(|l| l.levels.all_at_least(5)) {
        g.second_language_all_clb5
    } else {
        0
    };
    let education = profile.education.map_or(0, |e| g.education[e.index()]);
    let w = Window::years_before(as_of, r.experience_window_years);
    let years = experience::whole_years(experience::hours(
        profile.work_history.iter().filter(|e| e.noc.is_skilled()),
        w,
    ));
    let experience = g.experience_years[(years as usize).min(g.experience_years.len() - 1)];
    let age_years = profile.age_on(as_of);
    let age = if age_years < g.age.from {
        0
    } else if age_years <= 35 {
        g.age.points_18_to_35
    } else {
        g.age
            .after_35
            .get(usize::try_from(age_years - 36).unwrap_or(0))
            .copied()
            .unwrap_or(0)
    };
    let arranged_employment = if profile.job_offer.is_some() {
        g.arranged_employment
    } else {
        0
    };
    let a = |key: &str| g.adaptability.get(key).copied().unwrap_or(0);
    let canada = Window::years_before(as_of, r.experience_window_years);
    let own_canadian_years = experience::whole_years(experience::hours(
        profile
            .work_history
            .iter()
            .filter(|e| e.noc.is_skilled() && e.in_canada),
        canada,
    ));
    let spouse = profile.spouse.as_ref().filter(|s| s.accompanying);
    let mut adaptability = 0;
    if own_canadian_years >= 1 {
        adaptability += a("own_canadian_work");
    }
    if spouse
        .and_then(|s| s.language.as_ref())
        .is_some_and(|l| l.levels.all_at_least(4))
    {
        adaptability += a("spouse_language_clb4");
    }
    if profile.canadian_education >= CanadianEducation::TwoYear {
        adaptability += a("own_study");
    }
    if spouse.is_some_and(|s| s.studied_in_canada) {
        adaptability += a("spouse_study");
    }
    if spouse.is_some_and(|s| s.canadian_work_years >= 1) {
        adaptability += a("spouse_work");
    }
    if profile.job_offer.is_some() {
        adaptability += a("arranged_employment");
    }
    if profile.sibling_in_canada {
        adaptability += a("relative");
    }
    let adaptability = adaptability.min(a("cap"));
    let language = language_first + language_second;
    FswPoints {
        total: language + education + experience + age + arranged_employment + adaptability,
        pass_mark: r.pass_mark,
        language,
        education,
        experience,
        age,
        arranged_employment,
        adaptability,
    }
}

/// Whether an occupation is a skilled trade for the FSTP.
pub fn is_trade(noc: &NocCode) -> bool {
    let t = &RULES.fstp.trades;
    t.prefixes.iter().any(|p| noc.starts_with(p))
        && !t.excluded_prefixes.iter().any(|p| noc.starts_with(p))
}

pub fn check_fstp(profile: &Profile, as_of: NaiveDate) -> ProgramEligibility {
    let r = &RULES.fstp;
    let mut reasons = Vec::new();
    let min = |k: &str| r.language_min_clb.get(k).copied().unwrap_or(0);
    let meets = |l: &AbilityLevels| {
        l.speaking >= min("speaking")
            && l.listening >= min("listening")
            && l.reading >= min("reading")
            && l.writing >= min("writing")
    };
    if !languages(profile, as_of).iter().any(|l| meets(&l.levels)) {
        reasons.push(Reason::new(
            "FSTP_LANGUAGE",
            format!(
                "needs CLB {} in speaking and listening and CLB {} in reading and writing, from a test valid on {as_of}",
                min("speaking"),
                min("reading")
            ),
        ));
    }
    let w = Window::years_before(as_of, r.experience_window_years);
    let trades = profile.work_history.iter().filter(|e| is_trade(&e.noc));
    let best = most_in_one_occupation(trades, |jobs| experience::hours(jobs.iter().copied(), w));
    if best < r.experience_hours {
        reasons.push(Reason::new(
            "FSTP_EXPERIENCE",
            format!(
                "needs two years ({} hours) of work in one skilled trade in the last {} years; the most found is {:.0} hours",
                r.experience_hours, r.experience_window_years, best
            ),
        ));
    }
    if profile.job_offer.is_none() && !profile.certificate_of_qualification {
        reasons.push(Reason::new(
            "FSTP_OFFER_OR_CERTIFICATE",
            "needs a job offer of at least one year or a Canadian certificate of qualification in the trade",
        ));
    }
    ProgramEligibility::new(Program::Fst, reasons, None)
}

pub fn check_cec(profile: &Profile, as_of: NaiveDate) -> ProgramEligibility {
    let r = &RULES.cec;
    let mut reasons = Vec::new();
    let w = Window::years_before(as_of, r.experience_window_years);
    let canadian: Vec<&WorkEntry> = profile
        .work_history
        .iter()
        .filter(|e| e.noc.is_skilled() && e.in_canada && !e.self_employed && !e.full_time_student)
        .collect();
    let all_hours = experience::hours(canadian.iter().copied(), w);
    let level = best_min(profile, as_of);
    let counted = if level >= r.language_min_clb_teer_0_1 {
        all_hours
    } else if level >= r.language_min_clb_teer_2_3 {
        experience::hours(canadian.iter().copied().filter(|e| e.noc.teer() >= 2), w)
    } else {
        0.0
    };
    if all_hours < r.experience_hours {
        reasons.push(Reason::new(
            "CEC_EXPERIENCE",
            format!(
                "needs one year ({} hours) of skilled Canadian work in the last {} years, not self-employed and not while a full-time student; found {:.0} hours",
                r.experience_hours, r.experience_window_years, all_hours
            ),
        ));
    } else if counted < r.experience_hours {
        reasons.push(Reason::new(
            "CEC_LANGUAGE",
            format!(
                "needs CLB {} in all four abilities for TEER 0 or 1 work, or CLB {} for TEER 2 or 3 work, from a test valid on {as_of}",
                r.language_min_clb_teer_0_1, r.language_min_clb_teer_2_3
            ),
        ));
    }
    ProgramEligibility::new(Program::Cec, reasons, None)
}

/// FSWP, FSTP and CEC on `as_of`.
pub fn check_programs(profile: &Profile, as_of: NaiveDate) -> Vec<ProgramEligibility> {
    vec![
        check_fswp(profile, as_of),
        check_fstp(profile, as_of),
        check_cec(profile, as_of),
    ]
}
