//! Would a candidate have been invited in a round: the round's rules on its date, its minimum CRS and tie-break.

use super::crs::{self, CrsScore};
use super::eligibility;
use super::programs;
use crate::model::profile::Profile;
use crate::model::program::Program;
use crate::model::reason::{Reason, ReasonCode};
use crate::rounds::draw::{Draw, Selection};
use crate::rules::Rules;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Invited,
    NotInvited,
    /// At the minimum score in a round that published no tie-break, or at or above the minimum in a round whose
    /// type this release's catalogue does not know.
    Undetermined,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationCheck {
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    pub crs: CrsScore,
    /// The candidate met the round's selection: in the pool, and eligible for its programs or category version.
    /// False for a round whose type the catalogue does not know.
    pub eligible: bool,
}

/// Checks a candidate against a round, by the rules in force on the round's date.
pub fn check(profile: &Profile, draw: &Draw, rules: &Rules) -> InvitationCheck {
    let date = draw.held_at.date_naive();
    let crs = crs::score(profile, date, rules);
    let mut reasons = Vec::new();
    if profile.submitted_at.is_some_and(|t| t > draw.held_at) {
        reasons.push(Reason::new(
            ReasonCode::NotInPool,
            format!(
                "the profile was submitted after round {} was held",
                draw.number
            ),
        ));
    }
    if draw.round_type.uncatalogued {
        return uncatalogued(draw, crs, reasons);
    }
    reasons.extend(selection_reasons(profile, draw, rules));
    let eligible = reasons.is_empty();
    let outcome = if eligible {
        score_outcome(profile, draw, &crs, &mut reasons)
    } else {
        Outcome::NotInvited
    };
    InvitationCheck {
        outcome,
        reasons,
        crs,
        eligible,
    }
}

/// What the round's selection asks that the candidate does not meet on the round's date.
fn selection_reasons(profile: &Profile, draw: &Draw, rules: &Rules) -> Vec<Reason> {
    let date = draw.held_at.date_naive();
    let mut reasons = Vec::new();
    let program_results = programs::check_programs(profile, date, &rules.programs);
    let eligible_for = |p: Program| match p {
        Program::Pnp => profile.provincial_nomination && program_results.iter().any(|r| r.eligible),
        other => program_results
            .iter()
            .any(|r| r.program == other && r.eligible),
    };
    match &draw.round_type.selection {
        Selection::Category(c) => match rules.catalog.get(&c.id, c.version) {
            Some(version) => {
                // Only the programs the round was open to count towards its federal-program requirement.
                let open_to: Vec<_> = program_results
                    .iter()
                    .filter(|r| draw.eligible_programs.contains(&r.program))
                    .cloned()
                    .collect();
                let result = eligibility::check_category(profile, version, date, &open_to, rules);
                if !result.eligible {
                    reasons.push(Reason::new(
                        ReasonCode::CategoryMismatch,
                        format!(
                            "round {} invited {} version {} only",
                            draw.number, c.id, c.version
                        ),
                    ));
                    reasons.extend(result.reasons);
                }
            }
            None => reasons.push(Reason::new(
                ReasonCode::CategoryUnknown,
                format!("the catalogue has no version {} of {}", c.version, c.id),
            )),
        },
        Selection::Program(p) => {
            if !eligible_for(*p) {
                reasons.push(Reason::new(
                    ReasonCode::ProgramMismatch,
                    format!("round {} invited {} candidates only, and the candidate is not one on {date}", draw.number, p.code()),
                ));
                if *p != Program::Pnp {
                    reasons.extend(
                        program_results
                            .iter()
                            .filter(|r| r.program == *p)
                            .flat_map(|r| r.reasons.clone()),
                    );
                }
            }
        }
        Selection::General => {
            if !draw.eligible_programs.iter().any(|p| eligible_for(*p)) {
                reasons.push(Reason::new(
                    ReasonCode::NoEligibleProgram,
                    format!("the candidate meets none of the round's programs on {date}"),
                ));
                reasons.extend(program_results.iter().flat_map(|r| r.reasons.clone()));
            }
        }
    }
    reasons
}

/// A candidate who meets the round's selection: the score, then the tie-break, decides.
fn score_outcome(
    profile: &Profile,
    draw: &Draw,
    crs: &CrsScore,
    reasons: &mut Vec<Reason>,
) -> Outcome {
    if crs.total > draw.minimum_crs {
        Outcome::Invited
    } else if crs.total < draw.minimum_crs {
        reasons.push(below_minimum(crs, draw));
        Outcome::NotInvited
    } else {
        match (draw.tie_break_at, profile.submitted_at) {
            (None, _) => {
                reasons.push(Reason::new(
                    ReasonCode::NoTieBreakPublished,
                    format!(
                        "CRS {} equals the minimum and round {} published no tie-breaking time",
                        crs.total, draw.number
                    ),
                ));
                Outcome::Undetermined
            }
            (Some(_), None) => {
                reasons.push(Reason::new(
                    ReasonCode::SubmissionTimeNeeded,
                    "CRS equals the minimum: the profile submission time decides, and none was given",
                ));
                Outcome::Undetermined
            }
            (Some(tie), Some(submitted)) if submitted <= tie => Outcome::Invited,
            (Some(tie), Some(_)) => {
                reasons.push(Reason::new(
                    ReasonCode::TieBreak,
                    format!("CRS equals the minimum, and the profile was submitted after the tie-breaking time {tie}"),
                ));
                Outcome::NotInvited
            }
        }
    }
}

/// A round whose type the catalogue does not know: its rules are unknown, so only what does not depend on them
/// decides (the profile was not in the pool, or the score is below the round's minimum).
fn uncatalogued(draw: &Draw, crs: CrsScore, mut reasons: Vec<Reason>) -> InvitationCheck {
    let outcome = if !reasons.is_empty() {
        Outcome::NotInvited
    } else if crs.total < draw.minimum_crs {
        reasons.push(below_minimum(&crs, draw));
        Outcome::NotInvited
    } else {
        reasons.push(Reason::new(
            ReasonCode::RoundTypeUnknown,
            format!(
                "round {} was a {:?} round: that category or round type is not in this release's catalogue, so its rules are not known",
                draw.number, draw.round_type.name
            ),
        ));
        Outcome::Undetermined
    };
    InvitationCheck {
        outcome,
        reasons,
        crs,
        eligible: false,
    }
}

fn below_minimum(crs: &CrsScore, draw: &Draw) -> Reason {
    Reason::new(
        ReasonCode::CrsBelowMinimum,
        format!(
            "CRS {} on {} is below the round's minimum of {}",
            crs.total,
            draw.held_at.date_naive(),
            draw.minimum_crs
        ),
    )
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};

    use super::*;
    use crate::model::language::{LanguageTest, Scores};
    use crate::model::profile::{
        CanadianEducation, EducationLevel, MaritalStatus, NocCode, WorkEntry,
    };
    use crate::rounds::draw::{DrawDraft, RoundKind};
    use crate::rules::language::convert;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    /// A nurse with three years abroad, a master's and CLB 9: CRS 469 in 2027.
    fn nurse(rules: &Rules) -> Profile {
        let clb9 = Scores {
            reading: 9.0,
            writing: 9.0,
            listening: 9.0,
            speaking: 9.0,
        };
        Profile {
            date_of_birth: d("1998-01-01"),
            marital_status: MaritalStatus::Single,
            spouse: None,
            education: Some(EducationLevel::Masters),
            education_assessed: true,
            canadian_education: CanadianEducation::None,
            first_language: convert(LanguageTest::Clb, clb9, None, &rules.language).ok(),
            second_language: None,
            work_history: vec![WorkEntry {
                noc: NocCode::parse("31301").expect("noc"),
                start: d("2024-01-01"),
                end: None,
                hours_per_week: 40.0,
                in_canada: false,
                self_employed: false,
                full_time_student: false,
            }],
            certificate_of_qualification: false,
            job_offer: None,
            provincial_nomination: false,
            sibling_in_canada: false,
            submitted_at: Some(at("2027-01-05T10:00:00Z")),
            proof_of_funds: true,
            authorized_to_work_in_canada: false,
            armed_forces_offer: false,
            ..Profile::default()
        }
    }

    /// Round 440 of a category this release does not know.
    fn crafts_round(rules: &Rules, minimum_crs: u32) -> Draw {
        DrawDraft {
            number: "440".into(),
            held_at: Some(at("2027-03-04T14:00:00Z")),
            kind: Some(RoundKind::Category),
            category_id: "skilled-crafts-occupations".into(),
            category_version: 1,
            name: "Skilled Crafts Occupations, 2027-Version 1".into(),
            invitations: 1000,
            minimum_crs,
            uncatalogued: true,
            ..DrawDraft::default()
        }
        .complete(&rules.catalog)
        .expect("an uncatalogued round")
    }

    #[test]
    fn a_round_type_not_in_the_catalogue_is_undetermined_with_the_crs() {
        let rules = Rules::builtin().expect("rules");
        let p = nurse(&rules);
        let check = check(&p, &crafts_round(&rules, 450), &rules);
        assert_eq!(check.outcome, Outcome::Undetermined);
        assert_eq!(check.crs.total, 469, "the CRS is still computed");
        let codes: Vec<ReasonCode> = check.reasons.iter().map(|r| r.code).collect();
        assert_eq!(codes, [ReasonCode::RoundTypeUnknown]);
        let message = &check.reasons[0].message;
        assert!(
            message.contains("\"Skilled Crafts Occupations, 2027-Version 1\"")
                && message.contains("not in this release's catalogue"),
            "{message}"
        );
    }

    #[test]
    fn a_round_type_not_in_the_catalogue_still_rules_out_what_does_not_need_its_rules() {
        let rules = Rules::builtin().expect("rules");
        let p = nurse(&rules);
        let below = check(&p, &crafts_round(&rules, 500), &rules);
        assert_eq!(below.outcome, Outcome::NotInvited);
        assert_eq!(below.reasons[0].code, ReasonCode::CrsBelowMinimum);
        let late = Profile {
            submitted_at: Some(at("2027-03-05T00:00:00Z")),
            ..p
        };
        let not_in_pool = check(&late, &crafts_round(&rules, 450), &rules);
        assert_eq!(not_in_pool.outcome, Outcome::NotInvited);
        assert_eq!(not_in_pool.reasons[0].code, ReasonCode::NotInPool);
    }

    #[test]
    fn a_category_round_counts_only_the_programs_it_was_open_to() {
        let rules = Rules::builtin().expect("rules");
        let p = nurse(&rules);
        let healthcare = |programs: Option<Vec<Program>>| {
            DrawDraft {
                number: "441".into(),
                held_at: Some(at("2027-03-04T14:00:00Z")),
                kind: Some(RoundKind::Category),
                category_id: "healthcare".into(),
                invitations: 1000,
                minimum_crs: 450,
                eligible_programs: programs,
                ..DrawDraft::default()
            }
            .complete(&rules.catalog)
            .expect("a healthcare round")
        };
        assert_eq!(
            check(&p, &healthcare(None), &rules).outcome,
            Outcome::Invited
        );
        let trades_only = check(&p, &healthcare(Some(vec![Program::Fst])), &rules);
        assert_eq!(
            trades_only.outcome,
            Outcome::NotInvited,
            "an FSW candidate in an FST-only round"
        );
        let codes: Vec<ReasonCode> = trades_only.reasons.iter().map(|r| r.code).collect();
        assert!(codes.contains(&ReasonCode::NoFederalProgram), "{codes:?}");
    }
}
