//! The program tables (`data/programs.json`): what full-time work is, qualifying job offers, settlement funds, the
//! Federal Skilled Worker, Federal Skilled Trades and Canadian Experience Class minimums and the FSW grid.

use chrono::NaiveDate;
use serde::Deserialize;

use super::toolkit::{self, Dated, EffectiveFrom, RulesError, Tier};
use crate::model::language::MAX_CLB;
use crate::model::noc::NocCode;
use crate::model::profile::{CanadianEducation, JobOffer, OfferBasis, Profile};

const FILE: &str = "programs.json";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FswGrid {
    pub(crate) first_language_per_ability: [Tier<u32>; 3],
    pub(crate) second_language: Tier<u32>,
    pub(crate) education: [u32; 8],
    pub(crate) experience_years: [u32; 7],
    pub(crate) age: FswAge,
    pub(crate) arranged_employment: u32,
    pub(crate) adaptability: Adaptability,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FswAge {
    pub(crate) from: i32,
    pub(crate) full_points: u32,
    pub(crate) full_points_until: i32,
    /// Points for each year after `full_points_until`; older than the last entry scores 0.
    pub(crate) after: [u32; 12],
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Adaptability {
    pub(crate) own_canadian_work: u32,
    pub(crate) spouse_language_min_clb: u8,
    pub(crate) spouse_language: u32,
    pub(crate) own_study: u32,
    pub(crate) spouse_study: u32,
    pub(crate) spouse_work: u32,
    pub(crate) arranged_employment: u32,
    pub(crate) relative: u32,
    pub(crate) cap: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fswp {
    pub(crate) experience_hours: f64,
    pub(crate) experience_window_years: u32,
    /// The year of work must be unbroken.
    pub(crate) continuous: bool,
    pub(crate) language_min_clb: u8,
    pub(crate) pass_mark: u32,
    pub(crate) grid: FswGrid,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Trades {
    pub(crate) prefixes: Vec<String>,
    pub(crate) excluded_prefixes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AbilityMinimums {
    pub(crate) speaking: u8,
    pub(crate) listening: u8,
    pub(crate) reading: u8,
    pub(crate) writing: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fstp {
    pub(crate) experience_hours: f64,
    pub(crate) experience_window_years: u32,
    pub(crate) language_min_clb: AbilityMinimums,
    pub(crate) trades: Trades,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Cec {
    pub(crate) experience_hours: f64,
    pub(crate) experience_window_years: u32,
    pub(crate) language_min_clb_teer_0_1: u8,
    pub(crate) language_min_clb_teer_2_3: u8,
}

/// What a qualifying offer of arranged employment must be.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobOfferRules {
    pub(crate) min_hours_per_week: f64,
    pub(crate) min_duration_months: u32,
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
pub(crate) struct ProgramTables {
    pub(crate) full_time: FullTime,
    pub(crate) job_offer: JobOfferRules,
    pub(crate) eca_validity_years: u32,
    pub(crate) settlement_funds: Dated<FundsTable>,
    pub(crate) fswp: Fswp,
    pub(crate) fstp: Fstp,
    pub(crate) cec: Cec,
}

/// The program minimums, the FSW grid and what full-time work is, checked (`data/programs.json`).
#[derive(Debug, Clone)]
pub struct ProgramRules {
    pub(crate) t: ProgramTables,
}

impl ProgramRules {
    /// Reads and checks `programs.json`.
    pub fn from_json(json: &str) -> Result<Self, RulesError> {
        let t: ProgramTables = toolkit::parse(FILE, json)?;
        t.validate()?;
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
            || profile.canadian_education != CanadianEducation::None
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
    fn validate(&self) -> Result<(), RulesError> {
        self.validate_experience()?;
        let offer = &self.job_offer;
        let week = self.full_time.hours_per_week;
        toolkit::validate_range(
            FILE,
            "job_offer.min_hours_per_week",
            offer.min_hours_per_week,
            1.0..=week,
        )?;
        toolkit::validate_range(
            FILE,
            "job_offer.min_duration_months",
            offer.min_duration_months,
            1..=120,
        )?;
        toolkit::validate_range(FILE, "eca_validity_years", self.eca_validity_years, 1..=20)?;
        self.settlement_funds
            .validate_order(FILE, "settlement_funds")?;
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
        self.validate_fswp()?;
        self.validate_fstp()?;
        let cec = &self.cec;
        let (high, low) = (cec.language_min_clb_teer_0_1, cec.language_min_clb_teer_2_3);
        toolkit::validate_range(FILE, "cec.language_min_clb_teer_0_1", high, 0..=MAX_CLB)?;
        toolkit::validate_range(FILE, "cec.language_min_clb_teer_2_3", low, 0..=MAX_CLB)
    }

    /// Full time is 52 weeks of a full-time week; each program asks some hours of work in a window of years.
    fn validate_experience(&self) -> Result<(), RulesError> {
        let ft = &self.full_time;
        let week = ft.hours_per_week;
        toolkit::validate_range(FILE, "full_time.hours_per_week", week, 1.0..=168.0)?;
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
            toolkit::validate_range(FILE, window, years, 1..=50)?;
            let most = f64::from(years) * ft.hours_per_year;
            toolkit::validate_range(
                FILE,
                format!("{program}.experience_hours"),
                hours,
                1.0..=most,
            )?;
        }
        Ok(())
    }

    fn validate_fstp(&self) -> Result<(), RulesError> {
        let m = &self.fstp.language_min_clb;
        for (ability, level) in [
            ("speaking", m.speaking),
            ("listening", m.listening),
            ("reading", m.reading),
            ("writing", m.writing),
        ] {
            let path = format!("fstp.language_min_clb.{ability}");
            toolkit::validate_range(FILE, path, level, 0..=MAX_CLB)?;
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

    fn validate_fswp(&self) -> Result<(), RulesError> {
        let r = &self.fswp;
        let g = &r.grid;
        toolkit::validate_range(
            FILE,
            "fswp.language_min_clb",
            r.language_min_clb,
            0..=MAX_CLB,
        )?;
        toolkit::validate_range(FILE, "fswp.pass_mark", r.pass_mark, 0..=100)?;
        toolkit::validate_tiers(
            FILE,
            "fswp.grid.first_language_per_ability",
            &g.first_language_per_ability,
        )?;
        toolkit::validate_range(
            FILE,
            "fswp.grid.second_language.min_clb",
            g.second_language.min_clb,
            1..=MAX_CLB,
        )?;
        toolkit::validate_range(
            FILE,
            "fswp.grid.age.full_points_until",
            g.age.full_points_until,
            g.age.from..=100,
        )?;
        toolkit::validate_range(
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

/// What full-time work is (`data/programs.json`): the hours of a week that count (more in a week does not) and
/// the hours of a year of full-time work.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FullTime {
    pub hours_per_week: f64,
    pub hours_per_year: f64,
}

impl FullTime {
    /// Hours in a month of full-time work.
    pub fn hours_per_month(&self) -> f64 {
        self.hours_per_year / 12.0
    }

    /// Whole years of full-time work.
    pub fn whole_years(&self, hours: f64) -> u32 {
        // A small tolerance: 52 weeks of 30 hours fall a day short of a calendar year.
        ((hours + 0.5) / self.hours_per_year).floor() as u32
    }
}
