//! Federal Skilled Worker, Federal Skilled Trades and Canadian Experience Class minimums (`data/programs.json`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::draw::Program;
use crate::experience::{self, FullTime, Window};
use crate::language::{AbilityLevels, LanguageResult, MAX_CLB};
use crate::profile::{JobOffer, NocCode, OfferBasis, Profile, WorkEntry};
pub use crate::reason::{Reason, ReasonCode};
use crate::rules::{self, Dated, EffectiveFrom, Rules, RulesError, Tier, tier_points};

const FILE: &str = "programs.json";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FswGrid {
    first_language_per_ability: [Tier<u32>; 3],
    second_language: Tier<u32>,
    education: [u32; 8],
    experience_years: [u32; 7],
    age: FswAge,
    arranged_employment: u32,
    adaptability: Adaptability,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FswAge {
    from: i32,
    full_points: u32,
    full_points_until: i32,
    /// Points for each year after `full_points_until`; older than the last entry scores 0.
    after: [u32; 12],
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Adaptability {
    own_canadian_work: u32,
    spouse_language_min_clb: u8,
    spouse_language: u32,
    own_study: u32,
    spouse_study: u32,
    spouse_work: u32,
    arranged_employment: u32,
    relative: u32,
    cap: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fswp {
    experience_hours: f64,
    experience_window_years: u32,
    /// The year of work must be unbroken.
    continuous: bool,
    language_min_clb: u8,
    pass_mark: u32,
    grid: FswGrid,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Trades {
    prefixes: Vec<String>,
    excluded_prefixes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AbilityMinimums {
    speaking: u8,
    listening: u8,
    reading: u8,
    writing: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fstp {
    experience_hours: f64,
    experience_window_years: u32,
    language_min_clb: AbilityMinimums,
    trades: Trades,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cec {
    experience_hours: f64,
    experience_window_years: u32,
    language_min_clb_teer_0_1: u8,
    language_min_clb_teer_2_3: u8,
}

/// What a qualifying offer of arranged employment must be.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobOfferRules {
    min_hours_per_week: f64,
    min_duration_months: u32,
}

/// The minimum settlement funds in force from a date.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundsTable {
    pub effective_from: NaiveDate,
    /// For a family of 1 to 7 members.
    pub minimums: [u64; 7],
    /// For every member past 7.
    pub each_additional: u64,
    pub source: String,
}

impl EffectiveFrom for FundsTable {
    fn effective_from(&self) -> NaiveDate {
        self.effective_from
    }
}

impl FundsTable {
    /// The minimum for a family of `members` (at least 1).
    pub fn minimum(&self, members: u32) -> u64 {
        let n = members.max(1) as usize;
        match self.minimums.get(n - 1) {
            Some(m) => *m,
            None => self.minimums[6] + self.each_additional * (n as u64 - 7),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgramTables {
    full_time: FullTime,
    job_offer: JobOfferRules,
    eca_validity_years: u32,
    settlement_funds: Dated<FundsTable>,
    fswp: Fswp,
    fstp: Fstp,
    cec: Cec,
}

/// The program minimums, the FSW grid and what full-time work is, checked (`data/programs.json`).
#[derive(Debug, Clone)]
pub struct ProgramRules {
    t: ProgramTables,
}

impl ProgramRules {
    /// Reads and checks `programs.json`.
    pub fn from_json(json: &str) -> Result<Self, RulesError> {
        let t: ProgramTables = rules::parse(FILE, json)?;
        t.check()?;
        Ok(Self { t })
    }

    /// What full-time work is: the weekly cap and the hours of a year.
    pub fn full_time(&self) -> &FullTime {
        &self.t.full_time
    }

    /// Why an offer is not a qualifying offer of arranged employment (full-time, a year or more, LMIA or exempt);
    /// `None` when it is. Facts the offer does not give are not held against it.
    pub fn offer_shortfall(&self, offer: &JobOffer) -> Option<String> {
        let r = &self.t.job_offer;
        if offer.basis == Some(OfferBasis::Neither) {
            return Some("is neither supported by an LMIA nor exempt from one".to_owned());
        }
        if let Some(h) = offer.hours_per_week.filter(|h| *h < r.min_hours_per_week) {
            return Some(format!(
                "is for {h} hours a week; full time is {} or more",
                r.min_hours_per_week
            ));
        }
        if let Some(m) = offer.duration_months.filter(|m| *m < r.min_duration_months) {
            return Some(format!(
                "is for {m} months; at least {} are needed",
                r.min_duration_months
            ));
        }
        None
    }

    /// A qualifying offer in a skilled occupation (TEER 0 to 3): what the FSW grid and the CRS count.
    pub fn skilled_offer<'p>(&self, profile: &'p Profile) -> Option<&'p JobOffer> {
        profile
            .job_offer
            .as_ref()
            .filter(|o| o.noc.is_skilled() && self.offer_shortfall(o).is_none())
    }

    /// The settlement-funds table in force on `date` (before the first recorded one, the first).
    pub fn funds_table(&self, date: NaiveDate) -> &FundsTable {
        self.t.settlement_funds.on(date)
    }

    /// Why the candidate does not meet the settlement-funds requirement on `date`, or `None`: exempt when authorised
    /// to work in Canada with a qualifying offer; the amount given is checked against the minimum in force, and
    /// without an amount the yes/no `proof_of_funds` decides.
    pub fn funds_shortfall(&self, profile: &Profile, date: NaiveDate) -> Option<String> {
        let exempt = profile.authorized_to_work_in_canada
            && profile
                .job_offer
                .as_ref()
                .is_some_and(|o| self.offer_shortfall(o).is_none());
        if exempt {
            return None;
        }
        match profile.settlement_funds {
            Some(f) => {
                let table = self.funds_table(date);
                let minimum = table.minimum(f.family_members);
                (f.amount_cad < minimum).then(|| {
                    format!(
                        "needs ${minimum} of settlement funds for a family of {} (the minimum in force from {}); ${} given, unless authorized to work in Canada with a qualifying job offer",
                        f.family_members, table.effective_from, f.amount_cad
                    )
                })
            }
            None => (!profile.proof_of_funds).then(|| {
                "needs proof of settlement funds, unless authorized to work in Canada with a qualifying job offer"
                    .to_owned()
            }),
        }
    }

    /// Whether the education is Canadian or assessed on `date`: an assessment with an issue date counts for
    /// `eca_validity_years` from it; without one, the yes/no `education_assessed` decides.
    pub fn education_assessed_on(&self, profile: &Profile, date: NaiveDate) -> bool {
        if profile.canadian_credential.is_some()
            || profile.canadian_education != crate::profile::CanadianEducation::None
        {
            return true;
        }
        match profile.eca_issued_on {
            Some(issued) => {
                issued <= date
                    && issued
                        .checked_add_months(chrono::Months::new(12 * self.t.eca_validity_years))
                        .is_none_or(|until| date < until)
            }
            None => profile.education_assessed,
        }
    }

    /// Years an Educational Credential Assessment counts.
    pub fn eca_validity_years(&self) -> u32 {
        self.t.eca_validity_years
    }

    /// Whether an occupation is a skilled trade for the FSTP.
    pub fn is_trade(&self, noc: &NocCode) -> bool {
        let t = &self.t.fstp.trades;
        t.prefixes.iter().any(|p| noc.starts_with(p))
            && !t.excluded_prefixes.iter().any(|p| noc.starts_with(p))
    }
}

impl ProgramTables {
    fn check(&self) -> Result<(), RulesError> {
        self.check_experience()?;
        let offer = &self.job_offer;
        let week = self.full_time.hours_per_week;
        rules::check_range(
            FILE,
            "job_offer.min_hours_per_week",
            offer.min_hours_per_week,
            1.0..=week,
        )?;
        rules::check_range(
            FILE,
            "job_offer.min_duration_months",
            offer.min_duration_months,
            1..=120,
        )?;
        rules::check_range(FILE, "eca_validity_years", self.eca_validity_years, 1..=20)?;
        self.settlement_funds
            .check_order(FILE, "settlement_funds")?;
        for (i, t) in self.settlement_funds.iter().enumerate() {
            if t.minimums.windows(2).any(|w| w[1] < w[0]) {
                return Err(RulesError::new(
                    FILE,
                    format!("settlement_funds[{i}].minimums"),
                    "a larger family cannot need less",
                ));
            }
            if t.source.trim().is_empty() {
                return Err(RulesError::new(
                    FILE,
                    format!("settlement_funds[{i}].source"),
                    "every table needs its source",
                ));
            }
        }
        self.check_fswp()?;
        self.check_fstp()?;
        let cec = &self.cec;
        let (high, low) = (cec.language_min_clb_teer_0_1, cec.language_min_clb_teer_2_3);
        rules::check_range(FILE, "cec.language_min_clb_teer_0_1", high, 0..=MAX_CLB)?;
        rules::check_range(FILE, "cec.language_min_clb_teer_2_3", low, 0..=MAX_CLB)
    }

    /// Full time is 52 weeks of a full-time week; each program asks some hours of work in a window of years.
    fn check_experience(&self) -> Result<(), RulesError> {
        let ft = &self.full_time;
        let week = ft.hours_per_week;
        rules::check_range(FILE, "full_time.hours_per_week", week, 1.0..=168.0)?;
        if ft.hours_per_year != 52.0 * week {
            return Err(RulesError::new(
                FILE,
                "full_time.hours_per_year",
                format!("{} is not 52 weeks of {week} hours", ft.hours_per_year),
            ));
        }
        for (program, hours, years) in [
            (
                "fswp",
                self.fswp.experience_hours,
                self.fswp.experience_window_years,
            ),
            (
                "fstp",
                self.fstp.experience_hours,
                self.fstp.experience_window_years,
            ),
            (
                "cec",
                self.cec.experience_hours,
                self.cec.experience_window_years,
            ),
        ] {
            let window = format!("{program}.experience_window_years");
            rules::check_range(FILE, window, years, 1..=50)?;
            let most = f64::from(years) * ft.hours_per_year;
            rules::check_range(
                FILE,
                format!("{program}.experience_hours"),
                hours,
                1.0..=most,
            )?;
        }
        Ok(())
    }

    fn check_fstp(&self) -> Result<(), RulesError> {
        let m = &self.fstp.language_min_clb;
        for (ability, level) in [
            ("speaking", m.speaking),
            ("listening", m.listening),
            ("reading", m.reading),
            ("writing", m.writing),
        ] {
            let path = format!("fstp.language_min_clb.{ability}");
            rules::check_range(FILE, path, level, 0..=MAX_CLB)?;
        }
        for (name, prefixes) in [
            ("prefixes", &self.fstp.trades.prefixes),
            ("excluded_prefixes", &self.fstp.trades.excluded_prefixes),
        ] {
            let not_a_prefix =
                |p: &String| p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit());
            if let Some((i, p)) = prefixes.iter().enumerate().find(|(_, p)| not_a_prefix(p)) {
                return Err(RulesError::new(
                    FILE,
                    format!("fstp.trades.{name}[{i}]"),
                    format!("{p:?} is not the start of a NOC code (1 to 5 digits)"),
                ));
            }
        }
        Ok(())
    }

    fn check_fswp(&self) -> Result<(), RulesError> {
        let r = &self.fswp;
        let g = &r.grid;
        rules::check_range(
            FILE,
            "fswp.language_min_clb",
            r.language_min_clb,
            0..=MAX_CLB,
        )?;
        rules::check_range(FILE, "fswp.pass_mark", r.pass_mark, 0..=100)?;
        rules::check_tiers(
            FILE,
            "fswp.grid.first_language_per_ability",
            &g.first_language_per_ability,
        )?;
        rules::check_range(
            FILE,
            "fswp.grid.second_language.min_clb",
            g.second_language.min_clb,
            1..=MAX_CLB,
        )?;
        rules::check_range(
            FILE,
            "fswp.grid.age.full_points_until",
            g.age.full_points_until,
            g.age.from..=100,
        )?;
        rules::check_range(
            FILE,
            "fswp.grid.adaptability.spouse_language_min_clb",
            g.adaptability.spouse_language_min_clb,
            0..=MAX_CLB,
        )?;
        let first = g
            .first_language_per_ability
            .iter()
            .map(|t| t.points)
            .max()
            .unwrap_or(0);
        let maximum = 4 * first
            + g.second_language.points
            + g.education.iter().max().copied().unwrap_or(0)
            + g.experience_years.iter().max().copied().unwrap_or(0)
            + g.age
                .after
                .iter()
                .copied()
                .chain([g.age.full_points])
                .max()
                .unwrap_or(0)
            + g.arranged_employment
            + g.adaptability.cap;
        if maximum > 100 {
            return Err(RulesError::new(
                FILE,
                "fswp.grid",
                format!("the grid's maximum is {maximum}; the grid is out of 100"),
            ));
        }
        Ok(())
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

/// The Federal Skilled Worker Program's minimums and selection grid on `as_of`.
pub fn check_fswp(profile: &Profile, as_of: NaiveDate, rules: &Rules) -> ProgramEligibility {
    let p = &rules.programs.t;
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
        Some(_) if !rules.programs.education_assessed_on(profile, as_of) => {
            reasons.push(Reason::new(
                ReasonCode::FswpEducationAssessment,
                match profile.eca_issued_on {
                    Some(issued) => format!(
                        "a foreign credential needs an Educational Credential Assessment valid on {as_of}; the one issued on {issued} counts for {} years",
                        rules.programs.eca_validity_years()
                    ),
                    None => "a foreign credential needs an Educational Credential Assessment".to_owned(),
                },
            ))
        }
        Some(_) => {}
    }
    if let Some(why) = rules.programs.funds_shortfall(profile, as_of) {
        reasons.push(Reason::new(ReasonCode::FswpProofOfFunds, why));
    }
    let points = fsw_points(profile, as_of, &rules.programs);
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
pub fn check_fstp(profile: &Profile, as_of: NaiveDate, rules: &Rules) -> ProgramEligibility {
    let p = &rules.programs;
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
pub fn check_cec(profile: &Profile, as_of: NaiveDate, rules: &Rules) -> ProgramEligibility {
    let r = &rules.programs.t.cec;
    let ft = rules.programs.full_time();
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
    rules: &Rules,
) -> Vec<ProgramEligibility> {
    vec![
        check_fswp(profile, as_of, rules),
        check_fstp(profile, as_of, rules),
        check_cec(profile, as_of, rules),
    ]
}
