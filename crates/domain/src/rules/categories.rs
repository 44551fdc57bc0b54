//! The catalogue of category-based selection categories and their versions, read from `data/categories.json`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

use super::toolkit::{self, Dated, EffectiveFrom, RulesError};
use crate::model::category_id::CategoryId;
use crate::model::error::InvalidInput;
use crate::model::language::MAX_CLB;
use crate::model::noc::NocCode;

/// An occupation on a category's list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Occupation {
    pub noc: NocCode,
    pub title: String,
    pub teer: u8,
    /// The code could not be confirmed on canada.ca.
    #[serde(default)]
    pub unverified: bool,
}

/// What a category asks of a candidate beyond a federal program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Recent experience in a listed occupation.
    Occupation,
    /// French at NCLC `french_nclc_min` or more in all four abilities.
    FrenchLanguage,
    /// An offer from the Canadian Armed Forces.
    ArmedForcesOffer,
}

/// One version of a category, in force from `effective_from` until the day before `effective_until`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryVersion {
    pub id: CategoryId,
    pub version: u32,
    pub name: String,
    pub effective_from: NaiveDate,
    /// Exclusive; `None` while the version is in force.
    pub effective_until: Option<NaiveDate>,
    pub requirement: Requirement,
    #[serde(default)]
    pub occupations: Vec<Occupation>,
    /// The experience must have been gained in Canada.
    #[serde(default)]
    pub in_canada_only: bool,
    /// The NCLC level a French-language category asks in all four abilities; required for such a category.
    #[serde(default)]
    pub french_nclc_min: Option<u8>,
    /// The list or rule could not be confirmed on canada.ca; it is the best available reading.
    #[serde(default)]
    pub unverified: bool,
    #[serde(default)]
    pub notes: Option<String>,
    /// Where the version's list, dates and rules come from.
    #[serde(default)]
    pub source: Option<String>,
    /// An experience rule of this version's own, in place of the dated rule of every occupation category.
    #[serde(default)]
    pub experience: Option<OwnExperience>,
}

/// A category version's own experience rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnExperience {
    pub min_months: u32,
    pub continuous: bool,
    pub window_years: u32,
    #[serde(default)]
    pub note: String,
}

/// How much recent experience in a listed occupation a category asks, by date.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperienceRule {
    pub effective_from: NaiveDate,
    pub min_months: u32,
    pub continuous: bool,
    pub window_years: u32,
    #[serde(default)]
    pub note: String,
}

impl CategoryVersion {
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        date >= self.effective_from && self.effective_until.is_none_or(|until| date < until)
    }

    /// The label used where a round type needs a name, for example "Healthcare occupations (Version 1)".
    pub fn label(&self) -> String {
        format!("{} (Version {})", self.name, self.version)
    }
}

impl EffectiveFrom for ExperienceRule {
    fn effective_from(&self) -> NaiveDate {
        self.effective_from
    }
}

const FILE: &str = "categories.json";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    categories: Vec<CategoryVersion>,
    experience_rules: Dated<ExperienceRule>,
}

/// Every category and version, ordered by id then version.
#[derive(Debug, Clone)]
pub struct Catalog {
    by_id: BTreeMap<CategoryId, Vec<CategoryVersion>>,
    experience_rules: Dated<ExperienceRule>,
}

impl Catalog {
    /// Reads a catalogue and checks it: occupation lists agree with their codes' TEER, versions of a category are
    /// numbered 1, 2, ... with no gap, their periods do not overlap, and the experience rules are in date order.
    pub fn from_json(json: &str) -> Result<Self, RulesError> {
        let file: CatalogFile = toolkit::parse(FILE, json)?;
        file.experience_rules
            .validate_order(FILE, "experience_rules")?;
        for (i, rule) in file.experience_rules.iter().enumerate() {
            let at = |field: &str| format!("experience_rules[{i}].{field}");
            toolkit::validate_range(FILE, at("window_years"), rule.window_years, 1..=50)?;
            toolkit::validate_range(
                FILE,
                at("min_months"),
                rule.min_months,
                1..=12 * rule.window_years,
            )?;
        }
        let mut by_id: BTreeMap<CategoryId, Vec<(usize, CategoryVersion)>> = BTreeMap::new();
        for (i, v) in file.categories.into_iter().enumerate() {
            validate_version(i, &v)?;
            by_id.entry(v.id.clone()).or_default().push((i, v));
        }
        for versions in by_id.values_mut() {
            versions.sort_by_key(|(_, v)| v.version);
            validate_periods(versions)?;
        }
        Ok(Self {
            by_id: by_id
                .into_iter()
                .map(|(id, versions)| (id, versions.into_iter().map(|(_, v)| v).collect()))
                .collect(),
            experience_rules: file.experience_rules,
        })
    }

    /// The experience rule of occupation categories in force on `date` (the first one before it began).
    pub fn experience_rule(&self, date: NaiveDate) -> &ExperienceRule {
        self.experience_rules.on(date)
    }

    /// The experience rule a version applies on `date`: its own, or the rule of every occupation category then.
    pub fn experience_rule_for(&self, v: &CategoryVersion, date: NaiveDate) -> ExperienceRule {
        match &v.experience {
            Some(own) => ExperienceRule {
                effective_from: v.effective_from,
                min_months: own.min_months,
                continuous: own.continuous,
                window_years: own.window_years,
                note: own.note.clone(),
            },
            None => self.experience_rule(date).clone(),
        }
    }

    /// Every version in force on `date`.
    pub fn in_force_on(&self, date: NaiveDate) -> impl Iterator<Item = &CategoryVersion> {
        self.all().filter(move |v| v.in_force_on(date))
    }

    /// Every category id, in order.
    pub fn ids(&self) -> impl Iterator<Item = &CategoryId> {
        self.by_id.keys()
    }

    pub fn contains(&self, id: &CategoryId) -> bool {
        self.by_id.contains_key(id)
    }

    pub fn versions(&self, id: &CategoryId) -> &[CategoryVersion] {
        self.by_id.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn get(&self, id: &CategoryId, version: u32) -> Option<&CategoryVersion> {
        self.versions(id).iter().find(|v| v.version == version)
    }

    pub fn in_force(&self, id: &CategoryId, date: NaiveDate) -> Option<&CategoryVersion> {
        self.versions(id).iter().find(|v| v.in_force_on(date))
    }

    pub fn all(&self) -> impl Iterator<Item = &CategoryVersion> {
        self.by_id.values().flatten()
    }

    /// Parses a category id and checks that the catalogue knows it.
    pub fn resolve_id(&self, field: &str, s: &str) -> Result<CategoryId, InvalidInput> {
        let id = CategoryId::parse(s).map_err(|e| InvalidInput::one(field, e))?;
        if self.contains(&id) {
            Ok(id)
        } else {
            let known: Vec<&str> = self.by_id.keys().map(CategoryId::as_str).collect();
            Err(InvalidInput::one(
                field,
                format!(
                    "unknown category {s:?}; known categories: {}",
                    known.join(", ")
                ),
            ))
        }
    }
}

#[cfg(test)]
impl Catalog {
    /// The catalogue shipped with this build, for unit tests.
    pub(crate) fn for_tests() -> Catalog {
        Catalog::from_json(super::RuleSources::builtin().categories)
            .expect("the built-in catalogue is valid")
    }
}

/// What one version, `categories[i]`, must hold on its own.
fn validate_version(i: usize, v: &CategoryVersion) -> Result<(), RulesError> {
    let at = |field: &str| format!("categories[{i}].{field}");
    if v.version == 0 {
        return Err(RulesError::new(
            FILE,
            at("version"),
            "versions are numbered from 1",
        ));
    }
    if let Some(own) = &v.experience {
        toolkit::validate_range(
            FILE,
            at("experience.window_years"),
            own.window_years,
            1..=50,
        )?;
        toolkit::validate_range(
            FILE,
            at("experience.min_months"),
            own.min_months,
            1..=12 * own.window_years,
        )?;
    }
    if v.requirement == Requirement::Occupation && v.occupations.is_empty() {
        return Err(RulesError::new(
            FILE,
            at("occupations"),
            format!(
                "{} v{}: an occupation category needs occupations",
                v.id, v.version
            ),
        ));
    }
    if let Some((j, o)) = v
        .occupations
        .iter()
        .enumerate()
        .find(|(_, o)| o.noc.teer() != o.teer)
    {
        return Err(RulesError::new(
            FILE,
            format!("categories[{i}].occupations[{j}].teer"),
            format!(
                "{} v{}: {} is TEER {}, not {}",
                v.id,
                v.version,
                o.noc,
                o.noc.teer(),
                o.teer
            ),
        ));
    }
    match (v.requirement, v.french_nclc_min) {
        (Requirement::FrenchLanguage, None) => Err(RulesError::new(
            FILE,
            at("french_nclc_min"),
            format!(
                "{} v{}: a French-language category needs its minimum NCLC",
                v.id, v.version
            ),
        )),
        (_, Some(level)) => {
            toolkit::validate_range(FILE, at("french_nclc_min"), level, 1..=MAX_CLB)
        }
        (_, None) => Ok(()),
    }
}

/// The versions of one category, by version with their index in the file: numbered 1, 2, ... and one after the
/// other in time.
fn validate_periods(versions: &[(usize, CategoryVersion)]) -> Result<(), RulesError> {
    for (n, (i, v)) in versions.iter().enumerate() {
        if v.version as usize != n + 1 {
            return Err(RulesError::new(
                FILE,
                format!("categories[{i}].version"),
                format!(
                    "{}: versions must be numbered 1, 2, ... without gaps; found {}",
                    v.id,
                    versions
                        .iter()
                        .map(|(_, v)| v.version.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if v.effective_until.is_some_and(|u| u <= v.effective_from) {
            return Err(RulesError::new(
                FILE,
                format!("categories[{i}].effective_until"),
                format!(
                    "{} v{}: effective_until is not after effective_from",
                    v.id, v.version
                ),
            ));
        }
    }
    for pair in versions.windows(2) {
        let ((_, earlier), (j, later)) = (&pair[0], &pair[1]);
        if earlier
            .effective_until
            .is_none_or(|until| until > later.effective_from)
        {
            return Err(RulesError::new(
                FILE,
                format!("categories[{j}].effective_from"),
                format!(
                    "{} v{} must end on or before v{} starts",
                    earlier.id, earlier.version, later.version
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> CategoryId {
        CategoryId::parse(s).expect("valid id")
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("valid date")
    }

    fn builtin() -> Catalog {
        Catalog::for_tests()
    }

    #[test]
    fn builtin_catalogue_is_valid_and_has_every_category() {
        let c = builtin();
        for (cat, versions) in [
            ("healthcare", 3),
            ("stem", 2),
            ("trade", 3),
            ("transport", 2),
            ("agriculture", 2),
            ("french", 2),
            ("education", 1),
            ("physicians", 1),
            ("senior_managers", 1),
            ("researchers", 1),
            ("military_recruits", 1),
        ] {
            assert_eq!(c.versions(&id(cat)).len(), versions, "{cat}");
        }
    }

    #[test]
    fn version_in_force_follows_effective_dates() {
        let c = builtin();
        let h = id("healthcare");
        assert_eq!(
            c.in_force(&h, date("2023-06-28")).map(|v| v.version),
            Some(1)
        );
        assert_eq!(
            c.in_force(&h, date("2025-02-26")).map(|v| v.version),
            Some(1)
        );
        assert_eq!(
            c.in_force(&h, date("2025-02-27")).map(|v| v.version),
            Some(2)
        );
        assert_eq!(
            c.in_force(&h, date("2026-02-18")).map(|v| v.version),
            Some(3)
        );
        assert_eq!(c.in_force(&h, date("2023-01-01")), None);
        assert_eq!(c.in_force(&id("transport"), date("2025-06-01")), None);
    }

    #[test]
    fn lists_have_their_published_sizes() {
        let c = builtin();
        let size = |id: &str, v| {
            c.get(&CategoryId::parse(id).expect("id"), v)
                .map(|v| v.occupations.len())
        };
        assert_eq!(size("healthcare", 1), Some(35));
        assert_eq!(size("healthcare", 2), Some(37));
        assert_eq!(size("stem", 1), Some(24));
        assert_eq!(size("stem", 2), Some(11));
        assert_eq!(size("trade", 1), Some(10));
        assert_eq!(size("trade", 2), Some(25));
        assert_eq!(size("transport", 2), Some(4));
        assert_eq!(size("education", 1), Some(5));
        assert_eq!(size("french", 1), Some(0));
        assert!(c.get(&id("trade"), 1).is_some_and(|v| v.unverified));
        assert!(c.get(&id("healthcare"), 1).is_some_and(|v| !v.unverified));
    }

    #[test]
    fn experience_rule_changes_on_2026_02_18() {
        let c = builtin();
        let before = c.experience_rule(date("2026-02-17"));
        assert_eq!((before.min_months, before.continuous), (6, true));
        let after = c.experience_rule(date("2026-02-18"));
        assert_eq!((after.min_months, after.continuous), (12, false));
    }

    #[test]
    fn overlapping_versions_are_rejected() {
        let json = r#"{"experience_rules": [{"effective_from": "2023-01-01", "min_months": 6, "continuous": true, "window_years": 3}],
            "categories": [
            {"id": "x", "version": 1, "name": "X", "effective_from": "2023-01-01", "effective_until": "2024-06-01", "requirement": "french_language", "french_nclc_min": 7},
            {"id": "x", "version": 2, "name": "X", "effective_from": "2024-01-01", "effective_until": null, "requirement": "french_language", "french_nclc_min": 7}]}"#;
        let err = Catalog::from_json(json).expect_err("overlap");
        assert_eq!(
            (err.file.as_str(), err.path.as_str()),
            ("categories.json", "categories[1].effective_from")
        );
        assert!(
            err.message.contains("x v1 must end on or before v2 starts"),
            "{err}"
        );
    }

    #[test]
    fn unknown_category_names_the_field() {
        let err = builtin()
            .resolve_id("filter.category_id", "plumbing")
            .expect_err("unknown");
        assert_eq!(err.violations[0].field, "filter.category_id");
        assert!(err.violations[0].description.contains("healthcare"));
        assert!(builtin().resolve_id("f", "Health Care").is_err());
    }
}
