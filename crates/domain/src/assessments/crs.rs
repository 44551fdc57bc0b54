//! The Comprehensive Ranking System score of a candidate on a date, by the rules in force that day, with every
//! line that makes it up.

use chrono::NaiveDate;

use super::experience::{self, Window};
use crate::model::language::{AbilityLevels, Language, LanguageResult};
use crate::model::profile::{CanadianEducation, EducationLevel, Profile};
use crate::model::reason::wire_codes;
use crate::rules::Rules;
use crate::rules::crs::{AdditionalRules, CrsTables, at, per_ability};
use crate::rules::toolkit::tier_points;

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
            && let Some(why) = result.why_not_valid(as_of, &rules.language.validity_text())
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
