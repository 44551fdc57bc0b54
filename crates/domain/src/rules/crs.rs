//! The Comprehensive Ranking System, with the rules in force on a date (`data/crs.json`).

use chrono::NaiveDate;
use serde::Deserialize;

use super::toolkit::{self, Dated, EffectiveFrom, RulesError, Tier};
use crate::model::language::{AbilityLevels, MAX_CLB};

const FILE: &str = "crs.json";

/// One value for a candidate scored with an accompanying spouse, one for a candidate scored without.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pair<T> {
    pub(crate) with_spouse: T,
    pub(crate) without_spouse: T,
}

impl<T> Pair<T> {
    pub(crate) fn pick(&self, with_spouse: bool) -> &T {
        if with_spouse {
            &self.with_spouse
        } else {
            &self.without_spouse
        }
    }
}

/// The entry for `i`; past the end of the table, the last entry ("5 years or more", "CLB 10 or more").
pub(crate) fn at<const N: usize>(table: &[u32; N], i: usize) -> u32 {
    table[i.min(N - 1)]
}

/// The sum over the four abilities of a per-CLB table.
pub(crate) fn per_ability<const N: usize>(table: &[u32; N], levels: &AbilityLevels) -> u32 {
    levels
        .all()
        .iter()
        .map(|l| at(table, usize::from(*l)))
        .sum()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgeTable {
    /// The age of the first entry; younger scores as this age.
    pub(crate) from: i32,
    pub(crate) with_spouse: [u32; 29],
    pub(crate) without_spouse: [u32; 29],
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecondLanguage {
    pub(crate) points: [u32; 11],
    pub(crate) cap_with_spouse: u32,
    pub(crate) cap_without_spouse: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpouseTables {
    pub(crate) cap: u32,
    pub(crate) education: [u32; 8],
    pub(crate) language_per_ability: [u32; 11],
    pub(crate) language_cap: u32,
    pub(crate) canadian_work: [u32; 6],
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Transferability {
    pub(crate) bundle_cap: u32,
    pub(crate) total_cap: u32,
    /// The class (0, 1 or 2) of each education level.
    pub(crate) education_class: [usize; 8],
    /// The class of 0, 1, 2 and 3 or more years of foreign work.
    pub(crate) foreign_work_class: [usize; 4],
    pub(crate) language: [Tier<[u32; 3]>; 2],
    pub(crate) canadian_work_1_year: [u32; 3],
    pub(crate) canadian_work_2_years: [u32; 3],
    pub(crate) certificate: [Tier<u32>; 2],
    pub(crate) certificate_cap: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FrenchBonus {
    pub(crate) french_min_nclc: u8,
    pub(crate) english_min_clb: u8,
}

/// The additional points in force from a date.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdditionalRules {
    pub effective_from: NaiveDate,
    pub job_offer_major_group_00: u32,
    pub job_offer_other: u32,
    pub canadian_study_1_2_years: u32,
    pub canadian_study_3_years: u32,
    pub french_with_english: u32,
    pub french_without_english: u32,
    pub sibling: u32,
    pub provincial_nomination: u32,
}

impl EffectiveFrom for AdditionalRules {
    fn effective_from(&self) -> NaiveDate {
        self.effective_from
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CrsTables {
    pub(crate) age: AgeTable,
    pub(crate) core_cap: Pair<u32>,
    pub(crate) experience_window_years: u32,
    pub(crate) education: Pair<[u32; 8]>,
    pub(crate) first_language: Pair<[u32; 11]>,
    pub(crate) second_language: SecondLanguage,
    pub(crate) canadian_work: Pair<[u32; 6]>,
    pub(crate) spouse: SpouseTables,
    pub(crate) transferability: Transferability,
    pub(crate) french_bonus: FrenchBonus,
    pub(crate) additional_cap: u32,
    pub(crate) total_cap: u32,
    pub(crate) additional_rules: Dated<AdditionalRules>,
}

/// The CRS grid and its dated additional points, checked (`data/crs.json`).
#[derive(Debug, Clone)]
pub struct CrsRules {
    pub(crate) t: CrsTables,
}

impl CrsRules {
    /// Reads and checks `crs.json`.
    pub fn from_json(json: &str) -> Result<Self, RulesError> {
        let t: CrsTables = toolkit::parse(FILE, json)?;
        t.validate()?;
        Ok(Self { t })
    }

    /// Years before the date scored over which work counts.
    pub fn experience_window_years(&self) -> u32 {
        self.t.experience_window_years
    }

    /// The additional-points rules in force on `date`.
    pub fn additional_rules_on(&self, date: NaiveDate) -> &AdditionalRules {
        self.t.additional_rules.on(date)
    }
}

impl CrsTables {
    fn validate(&self) -> Result<(), RulesError> {
        toolkit::validate_range(FILE, "age.from", self.age.from, 0..=100)?;
        let window = self.experience_window_years;
        toolkit::validate_range(FILE, "experience_window_years", window, 1..=50)?;
        self.validate_core()?;
        self.validate_spouse()?;
        self.validate_transferability()?;
        self.validate_additional()
    }

    /// Every entry of a core table within the core cap of its column.
    fn validate_core(&self) -> Result<(), RulesError> {
        for (column, ws) in [("with_spouse", true), ("without_spouse", false)] {
            let cap = *self.core_cap.pick(ws);
            toolkit::validate_range(FILE, format!("core_cap.{column}"), cap, 0..=self.total_cap)?;
            let age = if ws {
                &self.age.with_spouse
            } else {
                &self.age.without_spouse
            };
            for (table, points) in [
                ("age", &age[..]),
                ("education", &self.education.pick(ws)[..]),
                ("first_language", &self.first_language.pick(ws)[..]),
                ("canadian_work", &self.canadian_work.pick(ws)[..]),
            ] {
                toolkit::validate_at_most(FILE, &format!("{table}.{column}"), points, cap)?;
            }
        }
        Ok(())
    }

    fn validate_spouse(&self) -> Result<(), RulesError> {
        let s = &self.spouse;
        toolkit::validate_range(FILE, "spouse.cap", s.cap, 0..=self.total_cap)?;
        toolkit::validate_range(FILE, "spouse.language_cap", s.language_cap, 0..=s.cap)?;
        toolkit::validate_at_most(FILE, "spouse.education", &s.education, s.cap)?;
        toolkit::validate_at_most(
            FILE,
            "spouse.language_per_ability",
            &s.language_per_ability,
            s.language_cap,
        )?;
        toolkit::validate_at_most(FILE, "spouse.canadian_work", &s.canadian_work, s.cap)
    }

    fn validate_additional(&self) -> Result<(), RulesError> {
        let f = &self.french_bonus;
        let nclc = f.french_min_nclc;
        toolkit::validate_range(FILE, "french_bonus.french_min_nclc", nclc, 1..=MAX_CLB)?;
        let clb = f.english_min_clb;
        toolkit::validate_range(FILE, "french_bonus.english_min_clb", clb, 1..=MAX_CLB)?;
        let cap = self.additional_cap;
        toolkit::validate_range(FILE, "additional_cap", cap, 0..=self.total_cap)?;
        self.additional_rules
            .validate_order(FILE, "additional_rules")?;
        for (i, a) in self.additional_rules.iter().enumerate() {
            let points = [
                a.job_offer_major_group_00,
                a.job_offer_other,
                a.canadian_study_1_2_years,
                a.canadian_study_3_years,
                a.french_with_english,
                a.french_without_english,
                a.sibling,
                a.provincial_nomination,
            ];
            if points.iter().any(|p| *p > cap) {
                return Err(RulesError::new(
                    FILE,
                    format!("additional_rules[{i}]"),
                    format!("a value is more than additional_cap ({cap})"),
                ));
            }
        }
        Ok(())
    }

    fn validate_transferability(&self) -> Result<(), RulesError> {
        let t = &self.transferability;
        toolkit::validate_range(
            FILE,
            "transferability.bundle_cap",
            t.bundle_cap,
            0..=t.total_cap,
        )?;
        toolkit::validate_range(
            FILE,
            "transferability.certificate_cap",
            t.certificate_cap,
            0..=t.total_cap,
        )?;
        for (name, classes) in [
            ("education_class", &t.education_class[..]),
            ("foreign_work_class", &t.foreign_work_class[..]),
        ] {
            for (i, class) in classes.iter().enumerate() {
                toolkit::validate_range(
                    FILE,
                    format!("transferability.{name}[{i}]"),
                    *class,
                    0..=2,
                )?;
            }
        }
        toolkit::validate_tiers(FILE, "transferability.language", &t.language)?;
        toolkit::validate_tiers(FILE, "transferability.certificate", &t.certificate)
    }
}
