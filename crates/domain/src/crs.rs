//! The Comprehensive Ranking System, with the rules in force on a date (`data/crs.json`).

use chrono::NaiveDate;
use serde::Deserialize;

use crate::experience::{self, Window};
use crate::language::{AbilityLevels, Language, LanguageResult, MAX_CLB};
use crate::profile::{CanadianEducation, EducationLevel, Profile};
use crate::reason::wire_codes;
use crate::rules::{self, Dated, EffectiveFrom, Rules, RulesError, Tier, tier_points};

const FILE: &str = "crs.json";

/// One value for a candidate scored with an accompanying spouse, one for a candidate scored without.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pair<T> {
    with_spouse: T,
    without_spouse: T,
}

impl<T> Pair<T> {
    fn pick(&self, with_spouse: bool) -> &T {
        if with_spouse {
            &self.with_spouse
        } else {
            &self.without_spouse
        }
    }
}

/// The entry for `i`; past the end of the table, the last entry ("5 years or more", "CLB 10 or more").
fn at<const N: usize>(table: &[u32; N], i: usize) -> u32 {
    table[i.min(N - 1)]
}

/// The sum over the four abilities of a per-CLB table.
fn per_ability<const N: usize>(table: &[u32; N], levels: &AbilityLevels) -> u32 {
    levels
        .all()
        .iter()
        .map(|l| at(table, usize::from(*l)))
        .sum()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgeTable {
    /// The age of the first entry; younger scores as this age.
    from: i32,
    with_spouse: [u32; 29],
    without_spouse: [u32; 29],
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecondLanguage {
    points: [u32; 11],
    cap_with_spouse: u32,
    cap_without_spouse: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpouseTables {
    cap: u32,
    education: [u32; 8],
    language_per_ability: [u32; 11],
    language_cap: u32,
    canadian_work: [u32; 6],
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Transferability {
    bundle_cap: u32,
    total_cap: u32,
    /// The class (0, 1 or 2) of each education level.
    education_class: [usize; 8],
    /// The class of 0, 1, 2 and 3 or more years of foreign work.
    foreign_work_class: [usize; 4],
    language: [Tier<[u32; 3]>; 2],
    canadian_work_1_year: [u32; 3],
    canadian_work_2_years: [u32; 3],
    certificate: [Tier<u32>; 2],
    certificate_cap: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrenchBonus {
    french_min_nclc: u8,
    english_min_clb: u8,
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
struct CrsTables {
    age: AgeTable,
    core_cap: Pair<u32>,
    experience_window_years: u32,
    education: Pair<[u32; 8]>,
    first_language: Pair<[u32; 11]>,
    second_language: SecondLanguage,
    canadian_work: Pair<[u32; 6]>,
    spouse: SpouseTables,
    transferability: Transferability,
    french_bonus: FrenchBonus,
    additional_cap: u32,
    total_cap: u32,
    additional_rules: Dated<AdditionalRules>,
}

/// The CRS grid and its dated additional points, checked (`data/crs.json`).
#[derive(Debug, Clone)]
pub struct CrsRules {
    t: CrsTables,
}

impl CrsRules {
    /// Reads and checks `crs.json`.
    pub fn from_json(json: &str) -> Result<Self, RulesError> {
        let t: CrsTables = rules::parse(FILE, json)?;
        t.check()?;
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
    fn check(&self) -> Result<(), RulesError> {
        rules::check_range(FILE, "age.from", self.age.from, 0..=100)?;
        let window = self.experience_window_years;
        rules::check_range(FILE, "experience_window_years", window, 1..=50)?;
        self.check_core()?;
        self.check_spouse()?;
        self.check_transferability()?;
        self.check_additional()
    }

    /// Every entry of a core table within the core cap of its column.
    fn check_core(&self) -> Result<(), RulesError> {
        for (column, ws) in [("with_spouse", true), ("without_spouse", false)] {
            let cap = *self.core_cap.pick(ws);
            rules::check_range(FILE, format!("core_cap.{column}"), cap, 0..=self.total_cap)?;
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
                rules::check_table_at_most(FILE, &format!("{table}.{column}"), points, cap)?;
            }
        }
        Ok(())
    }

    fn check_spouse(&self) -> Result<(), RulesError> {
        let s = &self.spouse;
        rules::check_range(FILE, "spouse.cap", s.cap, 0..=self.total_cap)?;
        rules::check_range(FILE, "spouse.language_cap", s.language_cap, 0..=s.cap)?;
        rules::check_table_at_most(FILE, "spouse.education", &s.education, s.cap)?;
        rules::check_table_at_most(
            FILE,
            "spouse.language_per_ability",
            &s.language_per_ability,
            s.language_cap,
        )?;
        rules::check_table_at_most(FILE, "spouse.canadian_work", &s.canadian_work, s.cap)
    }

    fn check_additional(&self) -> Result<(), RulesError> {
        let f = &self.french_bonus;
        let nclc = f.french_min_nclc;
        rules::check_range(FILE, "french_bonus.french_min_nclc", nclc, 1..=MAX_CLB)?;
        let clb = f.english_min_clb;
        rules::check_range(FILE, "french_bonus.english_min_clb", clb, 1..=MAX_CLB)?;
        let cap = self.additional_cap;
        rules::check_range(FILE, "additional_cap", cap, 0..=self.total_cap)?;
        self.additional_rules
            .check_order(FILE, "additional_rules")?;
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

    fn check_transferability(&self) -> Result<(), RulesError> {
        let t = &self.transferability;
        rules::check_range(
            FILE,
            "transferability.bundle_cap",
            t.bundle_cap,
            0..=t.total_cap,
        )?;
        rules::check_range(
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
                rules::check_range(FILE, format!("transferability.{name}[{i}]"), *class, 0..=2)?;
            }
        }
        rules::check_tiers(FILE, "transferability.language", &t.language)?;
        rules::check_tiers(FILE, "transferability.certificate", &t.certificate)
    }
}

wire_codes! {
    /// The factor a line of the score is for.
    pub enum CrsLineCode {
        Age => "AGE",
        Education => "EDUCATION",
        FirstLanguage => "FIRST_LANGUAGE",
        SecondLanguage => "SECOND_LANGUAGE",
        CanadianWork => "CANADIAN_WORK",
        SpouseEducation => "SPOUSE_EDUCATION",
        SpouseLanguage => "SPOUSE_LANGUAGE",
        SpouseCanadianWork => "SPOUSE_CANADIAN_WORK",
        EducationTransferability => "EDUCATION_TRANSFERABILITY",
        ForeignWorkTransferability => "FOREIGN_WORK_TRANSFERABILITY",
        CertificateOfQualification => "CERTIFICATE_OF_QUALIFICATION",
        ProvincialNomination => "PROVINCIAL_NOMINATION",
        ArrangedEmployment => "ARRANGED_EMPLOYMENT",
        CanadianStudy => "CANADIAN_STUDY",
        Sibling => "SIBLING",
        French => "FRENCH",
    }
}

/// One line of a section: a factor and its points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrsLine {
    pub code: CrsLineCode,
    pub label: String,
    pub points: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CrsSection {
    pub points: u32,
    pub max_points: u32,
    pub lines: Vec<CrsLine>,
}

impl CrsSection {
    fn new(max_points: u32) -> Self {
        Self {
            max_points,
            ..Self::default()
        }
    }

    fn line(&mut self, code: CrsLineCode, label: impl Into<String>, points: u32) {
        self.lines.push(CrsLine {
            code,
            label: label.into(),
            points,
        });
    }

    fn close(mut self) -> Self {
        let sum: u32 = self.lines.iter().map(|l| l.points).sum();
        self.points = sum.min(self.max_points);
        self
    }
}

/// A CRS score with every line that makes it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrsScore {
    pub total: u32,
    pub core: CrsSection,
    pub spouse: CrsSection,
    pub transferability: CrsSection,
    pub additional: CrsSection,
    pub as_of: NaiveDate,
    /// The date the additional-points rules applied came into force.
    pub rules_from: NaiveDate,
    pub notes: Vec<String>,
}

/// The facts about a candidate that the CRS uses, on a date.
struct Facts<'a> {
    as_of: NaiveDate,
    with_spouse: bool,
    age: i32,
    first: Option<&'a LanguageResult>,
    second: Option<&'a LanguageResult>,
    canadian_years: u32,
    foreign_years: u32,
    notes: Vec<String>,
}

impl Facts<'_> {
    /// The first official language's levels, or none.
    fn first_levels(&self) -> AbilityLevels {
        self.first.map(|l| l.levels).unwrap_or_default()
    }

    /// The valid result in `language`, first or second official language.
    fn in_language(&self, language: Language) -> Option<&LanguageResult> {
        [self.first, self.second]
            .into_iter()
            .flatten()
            .find(|l| l.language == language)
    }
}

/// Skilled work (TEER 0 to 3) counted for the CRS, in the window before `as_of`.
fn facts<'p>(profile: &'p Profile, as_of: NaiveDate, rules: &Rules) -> Facts<'p> {
    let ft = rules.programs.full_time();
    let w = Window::years_before(as_of, rules.crs.t.experience_window_years);
    let canadian = profile
        .work_history
        .iter()
        .filter(|e| e.noc.is_skilled() && e.in_canada && !e.self_employed && !e.full_time_student);
    let foreign = profile
        .work_history
        .iter()
        .filter(|e| e.noc.is_skilled() && !e.in_canada);
    let (first, second) = profile.languages_on(as_of);
    let mut notes = Vec::new();
    for (name, given, valid) in [
        ("first", &profile.first_language, first),
        ("second", &profile.second_language, second),
    ] {
        if let (Some(result), None) = (given, valid)
            && let Some(why) = result.why_not_valid(as_of, &rules.language)
        {
            notes.push(format!(
                "the {name} official language result scores nothing on {as_of}: {why}"
            ));
        }
    }
    Facts {
        as_of,
        with_spouse: profile.scored_with_spouse(),
        age: profile.age_on(as_of),
        first,
        second,
        canadian_years: ft.whole_years(experience::hours(canadian, w, ft)),
        foreign_years: ft.whole_years(experience::hours(foreign, w, ft)),
        notes,
    }
}

/// "R 9, W 10, L 9, S 7".
fn levels_text(l: &LanguageResult) -> String {
    let a = l.levels;
    format!(
        "R {}, W {}, L {}, S {}",
        a.reading, a.writing, a.listening, a.speaking
    )
}

fn years_index(years: u32) -> usize {
    usize::try_from(years).unwrap_or(usize::MAX)
}

impl CrsTables {
    /// Section A: age, education, official languages and Canadian work.
    fn core(&self, profile: &Profile, f: &Facts<'_>) -> CrsSection {
        let ws = f.with_spouse;
        let mut core = CrsSection::new(*self.core_cap.pick(ws));
        let age = if ws {
            &self.age.with_spouse
        } else {
            &self.age.without_spouse
        };
        let age_index = usize::try_from(f.age - self.age.from).unwrap_or(0);
        core.line(
            CrsLineCode::Age,
            format!("age {}", f.age),
            at(age, age_index),
        );
        core.line(
            CrsLineCode::Education,
            format!(
                "education: {}",
                profile
                    .education
                    .map_or("none given", EducationLevel::label)
            ),
            at(
                self.education.pick(ws),
                profile.education.map_or(0, EducationLevel::index),
            ),
        );
        if let Some(first) = f.first {
            core.line(
                CrsLineCode::FirstLanguage,
                format!("first official language, CLB {}", levels_text(first)),
                per_ability(self.first_language.pick(ws), &first.levels),
            );
        }
        if let Some(second) = f.second {
            let s = &self.second_language;
            let cap = if ws {
                s.cap_with_spouse
            } else {
                s.cap_without_spouse
            };
            core.line(
                CrsLineCode::SecondLanguage,
                format!(
                    "second official language, CLB {} (at most {cap})",
                    levels_text(second)
                ),
                per_ability(&s.points, &second.levels).min(cap),
            );
        }
        core.line(
            CrsLineCode::CanadianWork,
            format!("{} year(s) of Canadian skilled work", f.canadian_years),
            at(self.canadian_work.pick(ws), years_index(f.canadian_years)),
        );
        core.close()
    }

    /// Section B: the accompanying spouse's education, language and Canadian work.
    fn spouse(&self, profile: &Profile, f: &Facts<'_>) -> CrsSection {
        let t = &self.spouse;
        let mut section = CrsSection::new(t.cap);
        let Some(s) = profile.spouse.as_ref().filter(|_| f.with_spouse) else {
            return section.close();
        };
        section.line(
            CrsLineCode::SpouseEducation,
            format!(
                "spouse's education: {}",
                s.education.map_or("none given", EducationLevel::label)
            ),
            at(&t.education, s.education.map_or(0, EducationLevel::index)),
        );
        let language = s
            .language
            .as_ref()
            .filter(|l| l.valid_on(f.as_of))
            .map_or(0, |l| per_ability(&t.language_per_ability, &l.levels))
            .min(t.language_cap);
        section.line(
            CrsLineCode::SpouseLanguage,
            "spouse's first official language",
            language,
        );
        section.line(
            CrsLineCode::SpouseCanadianWork,
            format!("spouse's Canadian work, {} year(s)", s.canadian_work_years),
            at(&t.canadian_work, years_index(s.canadian_work_years)),
        );
        section.close()
    }

    /// Section C: education and foreign work, each with language or Canadian work, and a trade certificate.
    fn transferability(&self, profile: &Profile, f: &Facts<'_>) -> CrsSection {
        let t = &self.transferability;
        let levels = f.first_levels();
        let bundle = |class: usize| {
            let of_class = |points: &[u32; 3]| points.get(class).copied().unwrap_or(0);
            let language = of_class(&tier_points(&t.language, levels.min()));
            let work = match f.canadian_years {
                0 => 0,
                1 => of_class(&t.canadian_work_1_year),
                _ => of_class(&t.canadian_work_2_years),
            };
            (language + work).min(t.bundle_cap)
        };
        let education_class = t.education_class[profile.education.map_or(0, EducationLevel::index)];
        let foreign_class =
            t.foreign_work_class[years_index(f.foreign_years).min(t.foreign_work_class.len() - 1)];
        let mut section = CrsSection::new(t.total_cap);
        section.line(
            CrsLineCode::EducationTransferability,
            format!(
                "education with language and Canadian work (at most {})",
                t.bundle_cap
            ),
            bundle(education_class),
        );
        section.line(
            CrsLineCode::ForeignWorkTransferability,
            format!(
                "{} year(s) of foreign skilled work with language and Canadian work (at most {})",
                f.foreign_years, t.bundle_cap
            ),
            bundle(foreign_class),
        );
        if profile.certificate_of_qualification {
            section.line(
                CrsLineCode::CertificateOfQualification,
                "certificate of qualification with language",
                tier_points(&t.certificate, levels.min()).min(t.certificate_cap),
            );
        }
        section.close()
    }

    /// Section D: nomination, job offer, study in Canada, sibling and French, by the rules in force.
    fn additional(
        &self,
        profile: &Profile,
        f: &Facts<'_>,
        a: &AdditionalRules,
        rules: &Rules,
    ) -> CrsSection {
        let mut section = CrsSection::new(self.additional_cap);
        if profile.provincial_nomination {
            section.line(
                CrsLineCode::ProvincialNomination,
                "provincial or territorial nomination",
                a.provincial_nomination,
            );
        }
        if let Some(offer) = &profile.job_offer {
            let noc = &offer.noc;
            let shortfall = rules.programs.offer_shortfall(offer);
            let points = if shortfall.is_some() {
                0
            } else if noc.starts_with("00") {
                a.job_offer_major_group_00
            } else if noc.is_skilled() {
                a.job_offer_other
            } else {
                0
            };
            let label = match shortfall {
                Some(why) => format!("job offer ({noc}): not a qualifying offer, it {why}"),
                None if points == 0 && a.job_offer_other == 0 => format!(
                    "job offer ({noc}): no points under the rules in force from {}",
                    a.effective_from
                ),
                None => format!("job offer ({noc})"),
            };
            section.line(CrsLineCode::ArrangedEmployment, label, points);
        }
        let study = match profile.canadian_study().crs_class {
            CanadianEducation::None => 0,
            CanadianEducation::OneYear | CanadianEducation::TwoYear => a.canadian_study_1_2_years,
            CanadianEducation::ThreeYearOrMore => a.canadian_study_3_years,
        };
        if study > 0 {
            section.line(
                CrsLineCode::CanadianStudy,
                "post-secondary education in Canada",
                study,
            );
        }
        if profile.sibling_in_canada() && a.sibling > 0 {
            section.line(
                CrsLineCode::Sibling,
                "brother or sister in Canada",
                a.sibling,
            );
        }
        self.french_line(&mut section, f, a);
        section.close()
    }

    /// French at the bonus level, with or without English at its level.
    fn french_line(&self, section: &mut CrsSection, f: &Facts<'_>, a: &AdditionalRules) {
        let b = &self.french_bonus;
        let french = f
            .in_language(Language::French)
            .is_some_and(|l| l.levels.all_at_least(b.french_min_nclc));
        if !french {
            return;
        }
        let english = f
            .in_language(Language::English)
            .is_some_and(|l| l.levels.all_at_least(b.english_min_clb));
        let (points, label) = if english {
            (
                a.french_with_english,
                format!(
                    "NCLC {}+ in French and CLB {}+ in English",
                    b.french_min_nclc, b.english_min_clb
                ),
            )
        } else {
            (
                a.french_without_english,
                format!(
                    "NCLC {}+ in French, CLB {} or less or no English",
                    b.french_min_nclc,
                    b.english_min_clb - 1
                ),
            )
        };
        if points > 0 {
            section.line(CrsLineCode::French, label, points);
        }
    }
}

/// The CRS score on `as_of`, by the rules in force that day.
pub fn score(profile: &Profile, as_of: NaiveDate, rules: &Rules) -> CrsScore {
    let t = &rules.crs.t;
    let f = facts(profile, as_of, rules);
    let a = rules.crs.additional_rules_on(as_of);
    let core = t.core(profile, &f);
    let spouse = t.spouse(profile, &f);
    let transferability = t.transferability(profile, &f);
    let additional = t.additional(profile, &f, a, rules);
    let total =
        (core.points + spouse.points + transferability.points + additional.points).min(t.total_cap);
    CrsScore {
        total,
        core,
        spouse,
        transferability,
        additional,
        as_of,
        rules_from: a.effective_from,
        notes: f.notes,
    }
}
