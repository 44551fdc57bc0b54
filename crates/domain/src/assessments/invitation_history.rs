//! "In which of these rounds would I have been invited, and why not the others?": the invitation rule over many
//! rounds, with a summary. Where the rounds come from (the store, a read model) is the caller's business.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use super::invitation::{self, InvitationCheck, Outcome};
use crate::model::profile::Profile;
use crate::model::reason::ReasonCode;
use crate::rounds::draw::{Draw, DrawNumber};
use crate::rounds::filter::DrawFilter;
use crate::rules::Rules;

/// The filter for the days `from` to `to` (both included, UTC) within `filter`'s own period.
pub fn within_period(
    mut filter: DrawFilter,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> DrawFilter {
    let start = from
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    let end = to
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    filter.held_after = filter.held_after.max(start);
    filter.held_before = match (filter.held_before, end) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    filter
}

/// One round and the candidate's outcome in it.
#[derive(Debug, Clone)]
pub struct RoundResult {
    pub draw: Arc<Draw>,
    pub check: InvitationCheck,
}

/// A round the candidate was eligible for and missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    pub number: DrawNumber,
    pub held_at: DateTime<Utc>,
    pub points_short: u32,
    /// For a miss by the tie-break: seconds from the tie-breaking time to the submission.
    pub seconds_after_tie_break: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub rounds: u32,
    pub eligible: u32,
    pub invited: u32,
    pub not_invited: u32,
    pub undetermined: u32,
    pub closest_by_points: Vec<Miss>,
    pub closest_by_tie_break: Vec<Miss>,
}

#[derive(Debug, Clone)]
pub struct InvitationHistory {
    /// Newest first.
    pub rounds: Vec<RoundResult>,
    pub summary: Summary,
}

/// The candidate's outcome in each round (as [`invitation::check`] answers it), newest first, and a summary listing
/// up to `closest` misses of each kind.
pub fn check_rounds(
    profile: &Profile,
    draws: impl IntoIterator<Item = impl Into<Arc<Draw>>>,
    rules: &Rules,
    closest: usize,
) -> InvitationHistory {
    let mut draws: Vec<Arc<Draw>> = draws.into_iter().map(Into::into).collect();
    draws.sort_by_key(|d| std::cmp::Reverse((d.held_at, d.number.sort_key())));
    let rounds: Vec<RoundResult> = draws
        .into_iter()
        .map(|draw| RoundResult {
            check: invitation::check(profile, &draw, rules),
            draw,
        })
        .collect();
    let summary = summarise(profile, &rounds, closest);
    InvitationHistory { rounds, summary }
}

fn summarise(profile: &Profile, rounds: &[RoundResult], closest: usize) -> Summary {
    let mut s = Summary {
        rounds: u32::try_from(rounds.len()).unwrap_or(u32::MAX),
        ..Summary::default()
    };
    let mut by_points = Vec::new();
    let mut by_tie_break = Vec::new();
    for r in rounds {
        let c = &r.check;
        s.eligible += u32::from(c.eligible);
        match c.outcome {
            Outcome::Invited => s.invited += 1,
            Outcome::NotInvited => s.not_invited += 1,
            Outcome::Undetermined => s.undetermined += 1,
        }
        if !c.eligible || c.outcome != Outcome::NotInvited {
            continue;
        }
        let miss = |points_short, seconds_after_tie_break| Miss {
            number: r.draw.number,
            held_at: r.draw.held_at,
            points_short,
            seconds_after_tie_break,
        };
        if c.reasons
            .iter()
            .any(|x| x.code == ReasonCode::CrsBelowMinimum)
        {
            by_points.push(miss(r.draw.minimum_crs.saturating_sub(c.crs.total), 0));
        } else if c.reasons.iter().any(|x| x.code == ReasonCode::TieBreak)
            && let (Some(tie), Some(submitted)) = (r.draw.tie_break_at, profile.submitted_at)
        {
            by_tie_break.push(miss(0, (submitted - tie).num_seconds()));
        }
    }
    // Rounds are newest first, and the sorts are stable: among equal misses the newest comes first.
    by_points.sort_by_key(|m| m.points_short);
    by_tie_break.sort_by_key(|m| m.seconds_after_tie_break);
    by_points.truncate(closest);
    by_tie_break.truncate(closest);
    s.closest_by_points = by_points;
    s.closest_by_tie_break = by_tie_break;
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    #[test]
    fn a_period_is_whole_days_within_the_filters_own_period() {
        let f = within_period(
            DrawFilter::default(),
            Some(d("2024-01-01")),
            Some(d("2024-01-31")),
        );
        assert_eq!(f.held_after, Some(t("2024-01-01T00:00:00Z")));
        assert_eq!(
            f.held_before,
            Some(t("2024-02-01T00:00:00Z")),
            "the last day is included"
        );
        let narrower = DrawFilter {
            held_after: Some(t("2024-01-10T12:00:00Z")),
            held_before: Some(t("2024-03-01T00:00:00Z")),
            ..DrawFilter::default()
        };
        let f = within_period(narrower, Some(d("2024-01-01")), Some(d("2024-01-31")));
        assert_eq!(
            (f.held_after, f.held_before),
            (
                Some(t("2024-01-10T12:00:00Z")),
                Some(t("2024-02-01T00:00:00Z"))
            ),
            "both apply"
        );
        let open = within_period(DrawFilter::default(), None, None);
        assert_eq!((open.held_after, open.held_before), (None, None));
    }
}
