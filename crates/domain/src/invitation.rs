//! Would a candidate have been invited in a round: the round's rules on its date, its minimum CRS and tie-break.

use crate::category::Catalog;
use crate::crs::{self, CrsScore};
use crate::draw::{Draw, Program, Selection};
use crate::eligibility;
use crate::programs::{self, Reason};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Invited,
    NotInvited,
    /// At the minimum score in a round that published no tie-break.
    Undetermined,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationCheck {
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    pub crs: CrsScore,
}

/// Checks a candidate against a round, by the rules in force on the round's date.
pub fn check(profile: &crate::profile::Profile, draw: &Draw, catalog: &Catalog) -> InvitationCheck {
    let date = draw.held_at.date_naive();
    let crs = crs::score(profile, date);
    let mut reasons = Vec::new();
    if profile.submitted_at.is_some_and(|t| t > draw.held_at) {
        reasons.push(Reason::new(
            "NOT_IN_POOL",
            format!(
                "the profile was submitted after round {} was held",
                draw.number
            ),
        ));
    }
    let program_results = programs::check_programs(profile, date);
    let eligible_for = |p: Program| match p {
        Program::Pnp => profile.provincial_nomination && program_results.iter().any(|r| r.eligible),
        other => program_results
            .iter()
            .any(|r| r.program == other && r.eligible),
    };
    match &draw.round_type.selection {
        Selection::Category(c) => match catalog.get(&c.id, c.version) {
            Some(version) => {
                let result =
                    eligibility::check_category(profile, version, date, &program_results, catalog);
                if !result.eligible {
                    reasons.push(Reason::new(
                        "CATEGORY_MISMATCH",
                        format!(
                            "round {} invited {} version {} only",
                            draw.number, c.id, c.version
                        ),
                    ));
                    reasons.extend(result.reasons);
                }
            }
            None => reasons.push(Reason::new(
                "CATEGORY_UNKNOWN",
                format!("the catalogue has no version {} of {}", c.version, c.id),
            )),
        },
        Selection::Program(p) => {
            if !eligible_for(*p) {
                reasons.push(Reason::new(
                    "PROGRAM_MISMATCH",
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
                    "NO_ELIGIBLE_PROGRAM",
                    format!("the candidate meets none of the round's programs on {date}"),
                ));
                reasons.extend(program_results.iter().flat_map(|r| r.reasons.clone()));
            }
        }
    }
    let outcome = if !reasons.is_empty() {
        Outcome::NotInvited
    } else if crs.total > draw.minimum_crs {
        Outcome::Invited
    } else if crs.total < draw.minimum_crs {
        reasons.push(Reason::new(
            "CRS_BELOW_MINIMUM",
            format!(
                "CRS {} on {date} is below the round's minimum of {}",
                crs.total, draw.minimum_crs
            ),
        ));
        Outcome::NotInvited
    } else {
        match (draw.tie_break_at, profile.submitted_at) {
            (None, _) => {
                reasons.push(Reason::new(
                    "NO_TIE_BREAK_PUBLISHED",
                    format!(
                        "CRS {} equals the minimum and round {} published no tie-breaking time",
                        crs.total, draw.number
                    ),
                ));
                Outcome::Undetermined
            }
            (Some(_), None) => {
                reasons.push(Reason::new(
                    "SUBMISSION_TIME_NEEDED",
                    "CRS equals the minimum: the profile submission time decides, and none was given",
                ));
                Outcome::Undetermined
            }
            (Some(tie), Some(submitted)) if submitted <= tie => Outcome::Invited,
            (Some(tie), Some(_)) => {
                reasons.push(Reason::new(
                    "TIE_BREAK",
                    format!("CRS equals the minimum, and the profile was submitted after the tie-breaking time {tie}"),
                ));
                Outcome::NotInvited
            }
        }
    };
    InvitationCheck {
        outcome,
        reasons,
        crs,
    }
}
