//! Whether a candidate meets the Federal Skilled Worker, Federal Skilled Trades and Canadian Experience Class
//! minimums on a date, and the FSW selection grid's points.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::experience::{self, Window};
use crate::model::language::{AbilityLevels, LanguageResult};
use crate::model::noc::NocCode;
use crate::model::profile::{Profile, WorkEntry};
use crate::model::program::Program;
pub use crate::model::reason::{Reason, ReasonCode};
use crate::rules::programs::{FswAge, ProgramRules};
use crate::rules::toolkit::tier_points;

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

/// The Federal Skilled Worker Program's minimums and selection grid on `as_of`.
pub fn check_fswp(
    profile: &Profile,
    as_of: NaiveDate,
    programs: &ProgramRules,
) -> ProgramEligibility {
    let p = &programs.t;
    let r = &p.fswp;
    let ft = &p.full_time;
    let mut reasons = Vec::new();
    let w = Window::years_before(as_of, r.experience_window_years);
    let skilled = profile.work_history.iter().filter(|e| e.noc.is_skilled());
    let best = most_in_one_occupation(skilled, |jobs| {
        if r.continuous {
            experience::longest_continuous_hours(jobs.iter().copied(), w, ft)
        } else {
            experience::hours(jobs.iter().copied(), w, ft)
        }
    });
    if best < r.experience_hours {
        reasons.push(Reason::new(
            ReasonCode::FswpExperience,
            format!(
                "needs one year ({} hours) of {}skilled work (TEER 0 to 3) in one occupation in the last {} years; the most found is {:.0} hours",
                r.experience_hours,
                if r.continuous { "continuous " } else { "" },
                r.experience_window_years,
                best
            ),
        ));
    }
    if best_min(profile, as_of) < r.language_min_clb {
        reasons.push(Reason::new(
            ReasonCode::FswpLanguage,
            format!("needs CLB {} or more in all four abilities in English or French, from a test valid on {as_of}", r.language_min_clb),
        ));
    }
    match profile.education {
        None => reasons.push(Reason::new(
            ReasonCode::FswpEducation,
            "needs a secondary or post-secondary credential",
        )),
        Some(_) if !programs.education_assessed_on(profile, as_of) => {
            reasons.push(Reason::new(
                ReasonCode::FswpEducationAssessment,
                match profile.eca_issued_on {
                    Some(issued) => format!(
                        "a foreign credential needs an Educational Credential Assessment valid on {as_of}; the one issued on {issued} counts for {} years",
                        programs.eca_validity_years()
                    ),
                    None => "a foreign credential needs an Educational Credential Assessment".to_owned(),
                },
            ))
        }
        Some(_) => {}
    }
    if let Some(why) = programs.funds_shortfall(profile, as_of) {
        reasons.push(Reason::new(ReasonCode::FswpProofOfFunds, why));
    }
    let points = fsw_points(profile, as_of, programs);
    if points.total < points.pass_mark {
        reasons.push(Reason::new(
            ReasonCode::FswpPoints,
            format!(
                "scores {} on the selection grid; the pass mark is {}",
                points.total, points.pass_mark
            ),
        ));
    }
    ProgramEligibility::new(Program::Fsw, reasons, Some(points))
}

fn fsw_points(profile: &Profile, as_of: NaiveDate, programs: &ProgramRules) -> FswPoints {
    let p = &programs.t;
    let r = &p.fswp;
    let g = &r.grid;
    let (first, second) = profile.languages_on(as_of);
    let language_first: u32 = first.map_or(0, |l| {
        l.levels
            .all()
            .iter()
            .map(|level| tier_points(&g.first_language_per_ability, *level))
            .sum()
    });
    let language_second = second.map_or(0, |l| {
        tier_points(std::slice::from_ref(&g.second_language), l.levels.min())
    });
    let language = language_first + language_second;
    let education = profile.education.map_or(0, |e| g.education[e.index()]);
    let w = Window::years_before(as_of, r.experience_window_years);
    let years = p.full_time.whole_years(experience::hours(
        profile.work_history.iter().filter(|e| e.noc.is_skilled()),
        w,
        &p.full_time,
    ));
    let experience = g.experience_years[usize::try_from(years)
        .unwrap_or(usize::MAX)
        .min(g.experience_years.len() - 1)];
    let age = fsw_age_points(&g.age, profile.age_on(as_of));
    let arranged_employment = if programs.skilled_offer(profile).is_some() {
        g.arranged_employment
    } else {
        0
    };
    let adaptability = fsw_adaptability(profile, as_of, programs);
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

fn fsw_age_points(a: &FswAge, age: i32) -> u32 {
    if age < a.from {
        0
    } else if age <= a.full_points_until {
        a.full_points
    } else {
        usize::try_from(age - a.full_points_until - 1)
            .ok()
            .and_then(|i| a.after.get(i))
            .copied()
            .unwrap_or(0)
    }
}

fn fsw_adaptability(profile: &Profile, as_of: NaiveDate, programs: &ProgramRules) -> u32 {
    let p = &programs.t;
    let a = &p.fswp.grid.adaptability;
    let canada = Window::years_before(as_of, p.fswp.experience_window_years);
    let own_canadian_years = p.full_time.whole_years(experience::hours(
        profile
            .work_history
            .iter()
            .filter(|e| e.noc.is_skilled() && e.in_canada),
        canada,
        &p.full_time,
    ));
    let spouse = profile.spouse.as_ref().filter(|s| s.accompanying);
    let spouse_language = spouse
        .and_then(|s| s.language.as_ref())
        .filter(|l| l.valid_on(as_of))
        .is_some_and(|l| l.levels.all_at_least(a.spouse_language_min_clb));
    [
        (own_canadian_years >= 1, a.own_canadian_work),
        (spouse_language, a.spouse_language),
        (profile.canadian_study().two_years_or_more, a.own_study),
        (spouse.is_some_and(|s| s.studied_in_canada), a.spouse_study),
        (
            spouse.is_some_and(|s| s.canadian_work_years >= 1),
            a.spouse_work,
        ),
        (
            programs.skilled_offer(profile).is_some(),
            a.arranged_employment,
        ),
        (profile.relative_in_canada(), a.relative),
    ]
    .into_iter()
    .filter_map(|(met, points)| met.then_some(points))
    .sum::<u32>()
    .min(a.cap)
}

/// The Federal Skilled Trades Program's minimums on `as_of`.
pub fn check_fstp(
    profile: &Profile,
    as_of: NaiveDate,
    programs: &ProgramRules,
) -> ProgramEligibility {
    let p = programs;
    let r = &p.t.fstp;
    let mut reasons = Vec::new();
    let min = &r.language_min_clb;
    let meets = |l: &AbilityLevels| {
        l.speaking >= min.speaking
            && l.listening >= min.listening
            && l.reading >= min.reading
            && l.writing >= min.writing
    };
    if !languages(profile, as_of).iter().any(|l| meets(&l.levels)) {
        reasons.push(Reason::new(
            ReasonCode::FstpLanguage,
            format!(
                "needs CLB {} in speaking and listening and CLB {} in reading and writing, from a test valid on {as_of}",
                min.speaking, min.reading
            ),
        ));
    }
    let w = Window::years_before(as_of, r.experience_window_years);
    let trades = profile.work_history.iter().filter(|e| p.is_trade(&e.noc));
    let best = most_in_one_occupation(trades, |jobs| {
        experience::hours(jobs.iter().copied(), w, &p.t.full_time)
    });
    if best < r.experience_hours {
        reasons.push(Reason::new(
            ReasonCode::FstpExperience,
            format!(
                "needs two years ({} hours) of work in one skilled trade in the last {} years; the most found is {:.0} hours",
                r.experience_hours, r.experience_window_years, best
            ),
        ));
    }
    let trade_offer = profile
        .job_offer
        .as_ref()
        .filter(|o| p.is_trade(&o.noc) && p.offer_shortfall(o).is_none());
    if trade_offer.is_none() && !profile.certificate_of_qualification {
        let offer = match &profile.job_offer {
            Some(o) if !p.is_trade(&o.noc) => {
                format!("; the offer ({}) is not in a skilled trade", o.noc)
            }
            Some(o) => p
                .offer_shortfall(o)
                .map_or_else(String::new, |why| format!("; the offer {why}")),
            None => String::new(),
        };
        reasons.push(Reason::new(
            ReasonCode::FstpOfferOrCertificate,
            format!("needs a full-time job offer of at least one year in the trade or a Canadian certificate of qualification in it{offer}"),
        ));
    }
    if let Some(why) = p.funds_shortfall(profile, as_of) {
        reasons.push(Reason::new(ReasonCode::FstpProofOfFunds, why));
    }
    ProgramEligibility::new(Program::Fst, reasons, None)
}

/// The Canadian Experience Class's minimums on `as_of`.
pub fn check_cec(
    profile: &Profile,
    as_of: NaiveDate,
    programs: &ProgramRules,
) -> ProgramEligibility {
    let r = &programs.t.cec;
    let ft = programs.full_time();
    let mut reasons = Vec::new();
    let w = Window::years_before(as_of, r.experience_window_years);
    let canadian: Vec<&WorkEntry> = profile
        .work_history
        .iter()
        .filter(|e| e.noc.is_skilled() && e.in_canada && !e.self_employed && !e.full_time_student)
        .collect();
    let all_hours = experience::hours(canadian.iter().copied(), w, ft);
    let level = best_min(profile, as_of);
    let counted = if level >= r.language_min_clb_teer_0_1 {
        all_hours
    } else if level >= r.language_min_clb_teer_2_3 {
        experience::hours(
            canadian.iter().copied().filter(|e| e.noc.teer() >= 2),
            w,
            ft,
        )
    } else {
        0.0
    };
    if all_hours < r.experience_hours {
        reasons.push(Reason::new(
            ReasonCode::CecExperience,
            format!(
                "needs one year ({} hours) of skilled Canadian work in the last {} years, not self-employed and not while a full-time student; found {:.0} hours",
                r.experience_hours, r.experience_window_years, all_hours
            ),
        ));
    } else if counted < r.experience_hours {
        reasons.push(Reason::new(
            ReasonCode::CecLanguage,
            format!(
                "needs CLB {} in all four abilities for TEER 0 or 1 work, or CLB {} for TEER 2 or 3 work, from a test valid on {as_of}",
                r.language_min_clb_teer_0_1, r.language_min_clb_teer_2_3
            ),
        ));
    }
    ProgramEligibility::new(Program::Cec, reasons, None)
}

/// FSWP, FSTP and CEC on `as_of`.
pub fn check_programs(
    profile: &Profile,
    as_of: NaiveDate,
    programs: &ProgramRules,
) -> Vec<ProgramEligibility> {
    vec![
        check_fswp(profile, as_of, programs),
        check_fstp(profile, as_of, programs),
        check_cec(profile, as_of, programs),
    ]
}
