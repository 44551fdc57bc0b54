//! The Comprehensive Ranking System, with the rules in force on a date (`data/crs.json`).

use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::experience::{self, Window};
use crate::language::{Language, LanguageResult};
use crate::profile::{CanadianEducation, EducationLevel, Profile};

#[derive(Deserialize)]
struct Pair {
    with_spouse: Vec<u32>,
    without_spouse: Vec<u32>,
}

impl Pair {
    fn get(&self, with_spouse: bool, i: usize) -> u32 {
        let t = if with_spouse {
            &self.with_spouse
        } else {
            &self.without_spouse
        };
        t[i.min(t.len() - 1)]
    }
}

#[derive(Deserialize)]
struct SecondLanguage {
    points: Vec<u32>,
    cap_with_spouse: u32,
    cap_without_spouse: u32,
}

#[derive(Deserialize)]
struct SpouseTables {
    education: Vec<u32>,
    language_per_ability: Vec<u32>,
    language_cap: u32,
    canadian_work: Vec<u32>,
}

#[derive(Deserialize)]
struct Transferability {
    bundle_cap: u32,
    total_cap: u32,
    language_clb7: [u32; 3],
    language_clb9: [u32; 3],
    canadian_work_1_year: [u32; 3],
    canadian_work_2_years: [u32; 3],
    certificate_clb5: u32,
    certificate_clb7: u32,
    certificate_cap: u32,
}

/// The additional points in force from a date.
#[derive(Debug, Clone, Deserialize)]
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
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize)]
struct Rules {
    age: Pair,
    education: Pair,
    first_language: Pair,
    second_language: SecondLanguage,
    canadian_work: Pair,
    spouse: SpouseTables,
    transferability: Transferability,
    additional_cap: u32,
    total_cap: u32,
    additional_rules: Vec<AdditionalRules>,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    let mut r: Rules = serde_json::from_str(include_str!("../data/crs.json"))
        .unwrap_or_else(|e| panic!("the built-in data/crs.json is invalid: {e}"));
    r.additional_rules.sort_by_key(|a| a.effective_from);
    r
});

/// The additional-points rules in force on `date`.
pub fn additional_rules_on(date: NaiveDate) -> &'static AdditionalRules {
    let rules = &RULES.additional_rules;
    rules
        .iter()
        .rev()
        .find(|r| r.effective_from <= date)
        .unwrap_or(&rules[0])
}

/// One line of a section: a factor and its points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrsLine {
    pub code: &'static str,
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

    fn line(&mut self, code: &'static str, label: impl Into<String>, points: u32) {
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
    with_spouse: bool,
    age: i32,
    first: Option<&'a LanguageResult>,
    second: Option<&'a LanguageResult>,
    canadian_years: u32,
    foreign_years: u32,
    notes: Vec<String>,
}

/// Skilled work (TEER 0 to 3) counted for the CRS, in the window before `as_of`.
fn facts(profile: &Profile, as_of: NaiveDate, window_years: u32) -> Facts<'_> {
    let w = Window::years_before(as_of, window_years);
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
        if given.is_some() && valid.is_none() {
            notes.push(format!("the {name} official language result is not valid on {as_of} (tests are valid for two years) and scores nothing"));
        }
    }
    Facts {
        with_spouse: profile.scored_with_spouse(),
        age: profile.age_on(as_of),
        first,
        second,
        canadian_years: experience::whole_years(experience::hours(canadian, w)),
        foreign_years: experience::whole_years(experience::hours(foreign, w)),
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

fn clb(level: u8) -> usize {
    usize::from(level.min(10))
}

/// 0: secondary or less; 1: one credential of a year or more; 2: two or more, master's, doctoral.
fn education_class(e: Option<EducationLevel>) -> usize {
    match e {
        None | Some(EducationLevel::LessThanSecondary | EducationLevel::Secondary) => 0,
        Some(
            EducationLevel::OneYearPostSecondary
            | EducationLevel::TwoYearPostSecondary
            | EducationLevel::Bachelors,
        ) => 1,
        Some(_) => 2,
    }
}

/// The CRS score on `as_of`, by the rules in force that day; experience counts over the window of
/// `data/programs.json`.
pub fn score(profile: &Profile, as_of: NaiveDate) -> CrsScore {
    let r = &*RULES;
    let f = facts(
        profile,
        as_of,
        crate::programs::RULES.crs_experience_window_years,
    );
    let ws = f.with_spouse;

    let mut core = CrsSection::new(if ws { 460 } else { 500 });
    let age_index = usize::try_from(f.age.clamp(17, 45) - 17).unwrap_or(0);
    core.line("AGE", format!("age {}", f.age), r.age.get(ws, age_index));
    let edu = profile.education.map_or(0, EducationLevel::index);
    core.line(
        "EDUCATION",
        format!(
            "education: {}",
            profile
                .education
                .map_or("none given", EducationLevel::label)
        ),
        r.education.get(ws, edu),
    );
    if let Some(first) = f.first {
        let points: u32 = first
            .levels
            .all()
            .iter()
            .map(|l| r.first_language.get(ws, clb(*l)))
            .sum();
        core.line(
            "FIRST_LANGUAGE",
            format!("first official language, CLB {}", levels_text(first)),
            points,
        );
    }
    if let Some(second) = f.second {
        let cap = if ws {
            r.second_language.cap_with_spouse
        } else {
            r.second_language.cap_without_spouse
        };
        let points: u32 = second
            .levels
            .all()
            .iter()
            .map(|l| r.second_language.points[clb(*l)])
            .sum();
        core.line(
            "SECOND_LANGUAGE",
            format!(
                "second official language, CLB {} (at most {cap})",
                levels_text(second)
            ),
            points.min(cap),
        );
    }
    core.line(
        "CANADIAN_WORK",
        format!("{} year(s) of Canadian skilled work", f.canadian_years),
        r.canadian_work.get(ws, f.canadian_years as usize),
    );
    let core = core.close();

    let mut spouse = CrsSection::new(40);
    if let (true, Some(s)) = (ws, profile.spouse.as_ref()) {
        let t = &r.spouse;
        spouse.line(
            "SPOUSE_EDUCATION",
            format!(
                "spouse's education: {}",
                s.education.map_or("none given", EducationLevel::label)
            ),
            t.education[s.education.map_or(0, EducationLevel::index)],
        );
        let lang = s
            .language
            .as_ref()
            .filter(|l| l.valid_on(as_of))
            .map_or(0, |l| {
                l.levels
                    .all()
                    .iter()
                    .map(|x| t.language_per_ability[clb(*x)])
                    .sum::<u32>()
            })
            .min(t.language_cap);
        spouse.line("SPOUSE_LANGUAGE", "spouse's first official language", lang);
        let years = (s.canadian_work_years as usize).min(t.canadian_work.len() - 1);
        spouse.line(
            "SPOUSE_CANADIAN_WORK",
            format!("spouse's Canadian work, {} year(s)", s.canadian_work_years),
            t.canadian_work[years],
        );
    }
    let spouse = spouse.close();

    let t = &r.transferability;
    let levels = f.first.map(|l| l.levels).unwrap_or_default();
    let lang_points = |table: &[u32; 3], class: usize| {
        if levels.all_at_least(9) {
            t.language_clb9[class]
        } else if levels.all_at_least(7) {
            table[class]
        } else {
            0
        }
    };
    let work_points = |class: usize| match f.canadian_years {
        0 => 0,
        1 => t.canadian_work_1_year[class],
        _ => t.canadian_work_2_years[class],
    };
    let edu_class = education_class(profile.education);
    let foreign_class = match f.foreign_years {
        0 => 0,
        1 | 2 => 1,
        _ => 2,
    };
    let mut transferability = CrsSection::new(t.total_cap);
    let education_bundle =
        (lang_points(&t.language_clb7, edu_class) + work_points(edu_class)).min(t.bundle_cap);
    transferability.line(
        "EDUCATION_TRANSFERABILITY",
        "education with language and Canadian work (at most 50)",
        education_bundle,
    );
    let foreign_bundle = (lang_points(&t.language_clb7, foreign_class)
        + work_points(foreign_class))
    .min(t.bundle_cap);
    transferability.line(
        "FOREIGN_WORK_TRANSFERABILITY",
        format!(
            "{} year(s) of foreign skilled work with language and Canadian work (at most 50)",
            f.foreign_years
        ),
        foreign_bundle,
    );
    if profile.certificate_of_qualification {
        let points = if levels.all_at_least(7) {
            t.certificate_clb7
        } else if levels.all_at_least(5) {
            t.certificate_clb5
        } else {
            0
        };
        transferability.line(
            "CERTIFICATE_OF_QUALIFICATION",
            "certificate of qualification with language",
            points.min(t.certificate_cap),
        );
    }
    let transferability = transferability.close();

    let a = additional_rules_on(as_of);
    let mut additional = CrsSection::new(r.additional_cap);
    if profile.provincial_nomination {
        additional.line(
            "PROVINCIAL_NOMINATION",
            "provincial or territorial nomination",
            a.provincial_nomination,
        );
    }
    if let Some(noc) = &profile.job_offer {
        let points = if noc.starts_with("00") {
            a.job_offer_major_group_00
        } else if noc.is_skilled() {
            a.job_offer_other
        } else {
            0
        };
        let label = if points == 0 && a.job_offer_other == 0 {
            format!(
                "job offer ({noc}): no points under the rules in force from {}",
                a.effective_from
            )
        } else {
            format!("job offer ({noc})")
        };
        additional.line("ARRANGED_EMPLOYMENT", label, points);
    }
    let study = match profile.canadian_education {
        CanadianEducation::None => 0,
        CanadianEducation::OneYear | CanadianEducation::TwoYear => a.canadian_study_1_2_years,
        CanadianEducation::ThreeYearOrMore => a.canadian_study_3_years,
    };
    if study > 0 {
        additional.line(
            "CANADIAN_STUDY",
            "post-secondary education in Canada",
            study,
        );
    }
    if profile.sibling_in_canada && a.sibling > 0 {
        additional.line("SIBLING", "brother or sister in Canada", a.sibling);
    }
    let by_language = |lang: Language| {
        [f.first, f.second]
            .into_iter()
            .flatten()
            .find(|l| l.language == lang)
    };
    if let Some(french) = by_language(Language::French).filter(|l| l.levels.all_at_least(7)) {
        let english_ok = by_language(Language::English).is_some_and(|l| l.levels.all_at_least(5));
        let points = if english_ok {
            a.french_with_english
        } else {
            a.french_without_english
        };
        if points > 0 {
            let _ = french;
            additional.line(
                "FRENCH",
                if english_ok {
                    "NCLC 7+ in French and CLB 5+ in English"
                } else {
                    "NCLC 7+ in French, CLB 4 or less or no English"
                },
                points,
            );
        }
    }
    let additional = additional.close();

    let total =
        (core.points + spouse.points + transferability.points + additional.points).min(r.total_cap);
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
