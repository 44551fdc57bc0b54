//! Category-based selection: whether a candidate qualifies for a category version on a date.

use chrono::NaiveDate;

use super::experience::{self, Window};
use super::programs::{self, ProgramEligibility};
use crate::model::language::Language;
use crate::model::noc::NocCode;
use crate::model::profile::Profile;
use crate::model::reason::{Reason, ReasonCode};
use crate::rules::Rules;
use crate::rules::categories::{CategoryVersion, Requirement};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryEligibility<'c> {
    /// The version judged, from the catalogue.
    pub category: &'c CategoryVersion,
    pub eligible: bool,
    pub reasons: Vec<Reason>,
    /// The listed occupation the candidate's experience is in, for occupation categories.
    pub qualifying_noc: Option<NocCode>,
}

/// Every program, and every category version in force, on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility<'c> {
    pub as_of: NaiveDate,
    pub programs: Vec<ProgramEligibility>,
    pub categories: Vec<CategoryEligibility<'c>>,
}

fn federal_program_reason(programs: &[ProgramEligibility]) -> Option<Reason> {
    (!programs.iter().any(|p| p.eligible)).then(|| {
        Reason::new(
            ReasonCode::NoFederalProgram,
            "a category round needs eligibility for FSWP, FSTP or CEC, and none is met",
        )
    })
}

/// Whether the candidate qualifies for one category version on `as_of`, given their program results that day.
pub fn check_category<'c>(
    profile: &Profile,
    category: &'c CategoryVersion,
    as_of: NaiveDate,
    programs: &[ProgramEligibility],
    rules: &Rules,
) -> CategoryEligibility<'c> {
    let mut reasons: Vec<Reason> = federal_program_reason(programs).into_iter().collect();
    let mut qualifying_noc = None;
    match category.requirement {
        Requirement::Occupation => {
            let rule = rules.catalog.experience_rule_for(category, as_of);
            let ft = rules.programs.full_time();
            let w = Window::years_before(as_of, rule.window_years);
            let needed = f64::from(rule.min_months) * ft.hours_per_month();
            let listed = |noc: &NocCode| category.occupations.iter().any(|o| &o.noc == noc);
            let mut best: Option<(&NocCode, f64)> = None;
            for o in &category.occupations {
                let jobs = profile
                    .work_history
                    .iter()
                    .filter(|e| e.noc == o.noc && (e.in_canada || !category.in_canada_only));
                let h = if rule.continuous {
                    experience::longest_continuous_hours(jobs, w, ft)
                } else {
                    experience::hours(jobs, w, ft)
                };
                if best.is_none_or(|(_, b)| h > b) {
                    best = Some((&o.noc, h));
                }
            }
            match best {
                Some((noc, h)) if h + 0.5 >= needed => qualifying_noc = Some(noc.clone()),
                _ => {
                    let any_listed = profile.work_history.iter().any(|e| listed(&e.noc));
                    reasons.push(Reason::new(
                        if any_listed { ReasonCode::CategoryExperience } else { ReasonCode::CategoryOccupation },
                        format!(
                            "needs {} months of {}work{} within {} years in one occupation of {} version {}{}",
                            rule.min_months,
                            if rule.continuous { "full-time continuous (or equal part-time) " } else { "" },
                            if category.in_canada_only { " in Canada" } else { "" },
                            rule.window_years,
                            category.id,
                            category.version,
                            if any_listed { "; the experience found falls short" } else { "; no experience is in a listed occupation" },
                        ),
                    ));
                }
            }
        }
        Requirement::FrenchLanguage => {
            // The catalogue does not load a French-language category without its minimum.
            let min = category.french_nclc_min.unwrap_or_default();
            let (a, b) = profile.languages_on(as_of);
            let french = [a, b]
                .into_iter()
                .flatten()
                .find(|l| l.language == Language::French);
            if !french.is_some_and(|l| l.levels.all_at_least(min)) {
                reasons.push(Reason::new(
                    ReasonCode::CategoryFrench,
                    format!("needs NCLC {min} or more in all four French abilities, from a test valid on {as_of}"),
                ));
            }
        }
        Requirement::ArmedForcesOffer => {
            let listed = |noc: &NocCode| category.occupations.iter().any(|o| &o.noc == noc);
            let missing: Vec<String> = [
                (!profile.armed_forces_offer)
                    .then(|| "an offer from the Canadian Armed Forces".to_owned()),
                (profile.armed_forces_offer
                    && !category.occupations.is_empty()
                    && !profile.armed_forces_offer_noc.as_ref().is_some_and(listed))
                .then(|| {
                    let codes: Vec<&str> = category
                        .occupations
                        .iter()
                        .map(|o| o.noc.as_str())
                        .collect();
                    match &profile.armed_forces_offer_noc {
                        Some(noc) => format!(
                            "the offer's occupation ({noc}) to be one of {}",
                            codes.join(", ")
                        ),
                        None => format!("the offer's occupation, one of {}", codes.join(", ")),
                    }
                }),
                (!profile.serving_in_foreign_military)
                    .then(|| "service in a recognised foreign military".to_owned()),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !missing.is_empty() {
                reasons.push(Reason::new(
                    ReasonCode::CategoryArmedForcesOffer,
                    format!(
                        "{} version {} needs {}",
                        category.id,
                        category.version,
                        missing.join(", and ")
                    ),
                ));
            }
        }
    }
    CategoryEligibility {
        category,
        eligible: reasons.is_empty(),
        reasons,
        qualifying_noc,
    }
}

/// The programs and every category version in force on `as_of`.
pub fn check<'c>(profile: &Profile, as_of: NaiveDate, rules: &'c Rules) -> Eligibility<'c> {
    let programs = programs::check_programs(profile, as_of, &rules.programs);
    let categories = rules
        .catalog
        .in_force_on(as_of)
        .map(|c| check_category(profile, c, as_of, &programs, rules))
        .collect();
    Eligibility {
        as_of,
        programs,
        categories,
    }
}
