//! "What single change would raise my score most?": each realistic improvement of a profile applied on its own and
//! scored by the rules in force on the date, so caps, transferability and dated points all apply.

use chrono::{Days, NaiveDate};

use super::crs::{self, CrsScore};
use super::experience::Window;
use crate::model::language::{Ability, AbilityLevels, Language, LanguageResult, LanguageTest};
use crate::model::noc::NocCode;
use crate::model::profile::{EducationLevel, Profile, WorkEntry};
use crate::rules::Rules;

/// The highest level the CRS tables tell apart.
const TOP_SCORED_LEVEL: u8 = 10;
/// The level of the second official language suggested.
const SECOND_LANGUAGE_LEVEL: u8 = 7;
/// Days of full-time work that always make one more whole year (52 weeks of 30 hours fall a day short of a
/// calendar year; a leap year needs one more day).
const YEAR_OF_WORK_DAYS: u64 = 366;

/// One change to a profile.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// One ability of the first official language to `to_level`; `to_score` is the test's score for it.
    FirstLanguage {
        ability: Ability,
        to_level: u8,
        to_score: f64,
    },
    /// A second official language, as this result.
    SecondLanguage {
        result: LanguageResult,
    },
    /// One more year of skilled work in Canada: these jobs added.
    CanadianWork {
        added: Vec<WorkEntry>,
    },
    /// One more year of skilled work abroad: these jobs added.
    ForeignWork {
        added: Vec<WorkEntry>,
    },
    Education {
        to: EducationLevel,
    },
    ProvincialNomination,
    /// One ability of the spouse's result to `to_level`.
    SpouseLanguageAbility {
        ability: Ability,
        to_level: u8,
        to_score: f64,
    },
    /// A spouse's result where there was none.
    SpouseLanguage {
        result: LanguageResult,
    },
    SpouseEducation {
        to: EducationLevel,
    },
}

impl Change {
    /// The profile with this change, and only it.
    pub fn apply(&self, profile: &Profile) -> Profile {
        let mut p = profile.clone();
        match self {
            Change::FirstLanguage {
                ability, to_level, ..
            } => {
                if let Some(l) = p.first_language.as_mut() {
                    l.levels.set(*ability, *to_level);
                }
            }
            Change::SecondLanguage { result } => p.second_language = Some(result.clone()),
            Change::CanadianWork { added } | Change::ForeignWork { added } => {
                p.work_history.extend(added.iter().cloned());
            }
            Change::Education { to } => p.education = Some(*to),
            Change::ProvincialNomination => p.provincial_nomination = true,
            Change::SpouseLanguageAbility {
                ability, to_level, ..
            } => {
                if let Some(l) = p.spouse.as_mut().and_then(|s| s.language.as_mut()) {
                    l.levels.set(*ability, *to_level);
                }
            }
            Change::SpouseLanguage { result } => {
                if let Some(s) = p.spouse.as_mut() {
                    s.language = Some(result.clone());
                }
            }
            Change::SpouseEducation { to } => {
                if let Some(s) = p.spouse.as_mut() {
                    s.education = Some(*to);
                }
            }
        }
        p
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Improvement {
    pub change: Change,
    pub description: String,
    pub points_added: u32,
    pub new_total: u32,
}

/// The score on `as_of` and every single improvement that adds points, most points first.
pub fn explore(profile: &Profile, as_of: NaiveDate, rules: &Rules) -> (CrsScore, Vec<Improvement>) {
    let now = crs::score(profile, as_of, rules);
    let mut found = Vec::new();
    let mut consider = |change: Change, description: String| {
        let total = crs::score(&change.apply(profile), as_of, rules).total;
        if total > now.total {
            found.push(Improvement {
                change,
                description,
                points_added: total - now.total,
                new_total: total,
            });
        }
    };
    let first = profile
        .first_language
        .as_ref()
        .filter(|l| l.valid_on(as_of));
    if let Some(first) = first {
        for ability in Ability::ALL {
            if let Some((to_level, to_score)) =
                next_scoring_level(profile, first, ability, as_of, rules, |p, level| {
                    if let Some(l) = p.first_language.as_mut() {
                        l.levels.set(ability, level);
                    }
                })
            {
                consider(
                    Change::FirstLanguage {
                        ability,
                        to_level,
                        to_score,
                    },
                    format!(
                        "first official language {}: from level {} to {to_level}",
                        ability.name(),
                        first.levels.get(ability)
                    ),
                );
            }
        }
        if profile.second_language.is_none() {
            let (test, language, name) = match first.language {
                Language::English => (LanguageTest::Nclc, Language::French, "French at NCLC"),
                Language::French => (LanguageTest::Clb, Language::English, "English at CLB"),
            };
            consider(
                Change::SecondLanguage {
                    result: direct(test, language, SECOND_LANGUAGE_LEVEL),
                },
                format!(
                    "a second official language: {name} {SECOND_LANGUAGE_LEVEL} in all four abilities"
                ),
            );
        }
    }
    for in_canada in [true, false] {
        if let Some(added) = one_more_year(profile, as_of, in_canada, rules) {
            let (change, place) = if in_canada {
                (Change::CanadianWork { added }, "in Canada")
            } else {
                (Change::ForeignWork { added }, "abroad")
            };
            consider(
                change,
                format!("one more year of full-time skilled work {place}"),
            );
        }
    }
    if let Some(to) = next_education(profile.education, |level| {
        crs::score(
            &Change::Education { to: level }.apply(profile),
            as_of,
            rules,
        )
        .total
            > now.total
    }) {
        consider(
            Change::Education { to },
            format!("education: {}", to.label()),
        );
    }
    if !profile.provincial_nomination {
        consider(
            Change::ProvincialNomination,
            "a provincial or territorial nomination".to_owned(),
        );
    }
    if profile.scored_with_spouse() {
        spouse_improvements(profile, as_of, rules, now.total, &mut consider);
    }
    // Stable: among equal gains, the order above (language first) stays.
    found.sort_by_key(|i| std::cmp::Reverse(i.points_added));
    (now, found)
}

fn spouse_improvements(
    profile: &Profile,
    as_of: NaiveDate,
    rules: &Rules,
    total: u32,
    consider: &mut impl FnMut(Change, String),
) {
    let Some(spouse) = profile.spouse.as_ref() else {
        return;
    };
    match spouse.language.as_ref() {
        Some(l) if l.valid_on(as_of) => {
            for ability in Ability::ALL {
                if let Some((to_level, to_score)) =
                    next_scoring_level(profile, l, ability, as_of, rules, |p, level| {
                        if let Some(l) = p.spouse.as_mut().and_then(|s| s.language.as_mut()) {
                            l.levels.set(ability, level);
                        }
                    })
                {
                    consider(
                        Change::SpouseLanguageAbility {
                            ability,
                            to_level,
                            to_score,
                        },
                        format!(
                            "spouse's language {}: from level {} to {to_level}",
                            ability.name(),
                            l.levels.get(ability)
                        ),
                    );
                }
            }
        }
        Some(_) => {}
        None => {
            // The first level in all four that scores anything.
            let first_scoring = (1..=TOP_SCORED_LEVEL).find(|level| {
                let mut p = profile.clone();
                if let Some(s) = p.spouse.as_mut() {
                    s.language = Some(direct(LanguageTest::Clb, Language::English, *level));
                }
                crs::score(&p, as_of, rules).total > total
            });
            if let Some(level) = first_scoring {
                consider(
                    Change::SpouseLanguage {
                        result: direct(LanguageTest::Clb, Language::English, level),
                    },
                    format!("a language result for the spouse: CLB {level} in all four abilities"),
                );
            }
        }
    }
    if let Some(to) = next_education(spouse.education, |level| {
        crs::score(
            &Change::SpouseEducation { to: level }.apply(profile),
            as_of,
            rules,
        )
        .total
            > total
    }) {
        consider(
            Change::SpouseEducation { to },
            format!("spouse's education: {}", to.label()),
        );
    }
}

/// The lowest level above the current one, up to the tables' top, at which the total rises (with `set` putting a
/// level into a copy of the profile), and the result's test score for it.
fn next_scoring_level(
    profile: &Profile,
    result: &LanguageResult,
    ability: Ability,
    as_of: NaiveDate,
    rules: &Rules,
    set: impl Fn(&mut Profile, u8),
) -> Option<(u8, f64)> {
    let total = crs::score(profile, as_of, rules).total;
    let from = result.levels.get(ability);
    (from.saturating_add(1)..=TOP_SCORED_LEVEL).find_map(|level| {
        let score =
            rules
                .language
                .min_score(result.test, ability.index(), level, result.test_date)?;
        let mut p = profile.clone();
        set(&mut p, level);
        (crs::score(&p, as_of, rules).total > total).then_some((level, score))
    })
}

/// The lowest level above `current` for which `scores_more` holds.
fn next_education(
    current: Option<EducationLevel>,
    scores_more: impl Fn(EducationLevel) -> bool,
) -> Option<EducationLevel> {
    const LEVELS: [EducationLevel; 8] = [
        EducationLevel::LessThanSecondary,
        EducationLevel::Secondary,
        EducationLevel::OneYearPostSecondary,
        EducationLevel::TwoYearPostSecondary,
        EducationLevel::Bachelors,
        EducationLevel::TwoOrMoreCredentials,
        EducationLevel::Masters,
        EducationLevel::Doctoral,
    ];
    LEVELS
        .into_iter()
        .filter(|l| current.is_none_or(|c| *l > c))
        .find(|l| scores_more(*l))
}

/// A result given as levels, undated.
fn direct(test: LanguageTest, language: Language, level: u8) -> LanguageResult {
    LanguageResult {
        test,
        language,
        levels: AbilityLevels::uniform(level),
        test_date: None,
        valid_until: None,
        never_counts: None,
    }
}

/// Full-time jobs, in the occupation of the latest skilled job, filling the latest free days of the CRS window
/// (days no job of the history covers) until they make a year; `None` when the window has no free year or no
/// skilled occupation is known.
fn one_more_year(
    profile: &Profile,
    as_of: NaiveDate,
    in_canada: bool,
    rules: &Rules,
) -> Option<Vec<WorkEntry>> {
    let noc: NocCode = profile
        .work_history
        .iter()
        .filter(|e| e.noc.is_skilled())
        .max_by_key(|e| (e.in_canada == in_canada, e.start))
        .map(|e| e.noc.clone())?;
    let window = Window::years_before(as_of, rules.crs.experience_window_years());
    let covered = |day: NaiveDate| {
        profile
            .work_history
            .iter()
            .any(|e| e.start <= day && e.end.is_none_or(|end| day <= end))
    };
    let mut added = Vec::new();
    let mut needed = YEAR_OF_WORK_DAYS;
    let mut day = as_of;
    let mut run_end: Option<NaiveDate> = None;
    let job = |start: NaiveDate, end: NaiveDate| WorkEntry {
        noc: noc.clone(),
        start,
        end: Some(end),
        hours_per_week: rules.programs.full_time().hours_per_week,
        in_canada,
        self_employed: false,
        full_time_student: false,
    };
    while needed > 0 && day >= window.from {
        if covered(day) {
            if let Some(end) = run_end.take() {
                added.push(job(day.checked_add_days(Days::new(1))?, end));
            }
        } else {
            run_end.get_or_insert(day);
            needed -= 1;
        }
        if needed == 0 {
            break;
        }
        day = day.pred_opt()?;
    }
    if needed > 0 {
        return None;
    }
    if let Some(end) = run_end {
        added.push(job(day, end));
    }
    added.reverse();
    Some(added)
}
