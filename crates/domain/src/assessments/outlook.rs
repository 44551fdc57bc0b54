//! The chance of an invitation within a horizon, from the rounds this candidate could have been invited in, learned
//! walk-forward from the history before the date asked.
//!
//! # The method, in a paragraph
//!
//! Your *streams* are the kinds of round you can be invited in on the date asked: general rounds and the rounds of
//! each program you meet (CEC, FSW, FST; PNP with a nomination), and the rounds of each category you are eligible
//! for. Your *reference cut-off* is the lowest of your streams' latest cut-offs, over the streams that held a round
//! in the last 180 days, and your *margin* is your score minus it. We then take every day of the three years before
//! the date asked whose next `H` days are already history, a day counting half as much for every 180 days it lies
//! further back, and ask of each: had you stood that day as far above (or below) that day's reference cut-off as you
//! stand today, would a round of your streams in the next `H` days have invited you? The share of days where it
//! would is the *drop* estimate. The *own-score* estimate is the share of those days after which a round of your
//! streams had a cut-off at or below your score. The chance is 80% of the first and 20% of the second, and never
//! less than the chance from any one of your streams alone, worked out the same way. Because it
//! asks about whole windows of `H` days, rounds that move together (cut-offs rise and fall in runs, pauses last
//! months) are counted as they happened, not as independent draws.
//!
//! Nothing held on or after the date asked is used, so the outlook for a date never changes when later rounds are
//! recorded. How accurate it would have been is measured by `ee-backtest` (`crates/backtest`).

use std::sync::Arc;

use chrono::{Days, Months, NaiveDate};

use super::crs::{self, CrsLineCode, CrsScore};
use super::eligibility;
use crate::model::category_id::CategoryId;
use crate::model::profile::Profile;
use crate::model::program::Program;
use crate::rounds::draw::{Draw, Selection};
use crate::rules::Rules;

/// The horizon when none is asked, and its bounds, in days.
pub const DEFAULT_HORIZON_DAYS: u32 = 90;
pub const MAX_HORIZON_DAYS: u32 = 365;

/// The days before the date asked whose windows the method learns from.
pub const LOOKBACK_DAYS: u32 = 1095;
/// A day's weight halves for every this many days it lies further back.
pub const HALF_LIFE_DAYS: f64 = 180.0;
/// A stream that held a round in this many days (the day itself included) sets the reference cut-off.
pub const ACTIVE_DAYS: u32 = 180;
/// The own-score estimate's part of the chance.
pub const OWN_SCORE_WEIGHT: f64 = 0.2;
/// The days before the date asked over which each stream's rounds and cut-offs are described.
pub const STREAM_WINDOW_DAYS: u32 = 365;

/// A kind of round a candidate can be invited in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stream {
    General,
    Program(Program),
    Category(CategoryId),
}

impl Stream {
    /// Whether `draw` is a round of this stream (a category's rounds of every version).
    pub fn holds(&self, draw: &Draw) -> bool {
        match (self, &draw.round_type.selection) {
            (Stream::General, Selection::General) => true,
            (Stream::Program(p), Selection::Program(q)) => p == q,
            (Stream::Category(id), Selection::Category(c)) => *id == c.id,
            _ => false,
        }
    }
}

/// The cut-offs of a stream's rounds in its window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cutoffs {
    pub last: u32,
    pub lower_quartile: f64,
    pub median: f64,
    pub upper_quartile: f64,
}

/// One stream: what its rounds in the window were, and the chance from it alone.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamOutlook {
    pub stream: Stream,
    pub name: String,
    /// The window described, `window_start` included, `window_end` (the date asked) excluded.
    pub window_start: NaiveDate,
    pub window_end: NaiveDate,
    pub rounds: u32,
    /// The window's rate, as rounds expected in the horizon.
    pub expected_rounds: f64,
    pub cutoffs: Option<Cutoffs>,
    /// The share of the window's rounds the score would have been invited in (a score equal to the cut-off only
    /// when the profile was submitted by the round's tie-breaking time).
    pub share_cleared: f64,
    /// Points to reach the median and the upper quartile of the cut-offs (0 when already there).
    pub points_to_median: Option<u32>,
    pub points_to_upper_quartile: Option<u32>,
    /// The method's chance with this stream alone.
    pub probability: f64,
}

/// A change of the score within the horizon that the rules already imply (an age band, a test that expires, a year
/// of work that completes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreChange {
    pub on: NaiveDate,
    pub crs_before: u32,
    pub crs_after: u32,
    /// The lines whose points change: (line, before, after).
    pub lines: Vec<(CrsLineCode, u32, u32)>,
}

/// The points to add for the chance to reach a target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointsFor {
    pub probability: f64,
    /// `None` when no score up to the maximum reaches it.
    pub points: Option<u32>,
}

/// The outlook of a candidate on a date.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlook {
    pub as_of: NaiveDate,
    pub horizon_days: u32,
    pub crs: CrsScore,
    /// Empty when the candidate meets no program (not in the pool).
    pub streams: Vec<StreamOutlook>,
    pub probability: f64,
    pub expected_rounds: f64,
    /// The method's parts: the reference cut-off today (none when no stream held a round in the last 180 days),
    /// the drop and own-score estimates, and the windows they were learned from.
    pub reference_cutoff: Option<u32>,
    pub drop_estimate: f64,
    pub own_score_estimate: f64,
    pub windows_learned: u32,
    pub score_changes: Vec<ScoreChange>,
    pub points_for: Vec<PointsFor>,
    pub notes: Vec<String>,
}

/// Why an outlook cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutlookError {
    #[error(
        "no round was held at least {horizon_days} days before {as_of}: the outlook learns from windows of the \
         horizon's length that ended before the date asked"
    )]
    NoHistory { as_of: NaiveDate, horizon_days: u32 },
}

/// The streams a candidate can be invited in on `as_of`, named.
pub fn streams(profile: &Profile, as_of: NaiveDate, rules: &Rules) -> Vec<(Stream, String)> {
    let e = eligibility::check(profile, as_of, rules);
    let met: Vec<Program> = e
        .programs
        .iter()
        .filter(|p| p.eligible)
        .map(|p| p.program)
        .collect();
    if met.is_empty() {
        return Vec::new();
    }
    let mut out = vec![(Stream::General, "General rounds".to_owned())];
    if profile.provincial_nomination {
        out.push((
            Stream::Program(Program::Pnp),
            Program::Pnp.name().to_owned(),
        ));
    }
    for p in [Program::Cec, Program::Fsw, Program::Fst] {
        if met.contains(&p) {
            out.push((Stream::Program(p), p.name().to_owned()));
        }
    }
    for c in e.categories.iter().filter(|c| c.eligible) {
        out.push((
            Stream::Category(c.category.id.clone()),
            c.category.name.clone(),
        ));
    }
    out
}

/// The outlook on `as_of` for `horizon_days` (1 to [`MAX_HORIZON_DAYS`]), from the rounds of `draws` held before
/// `as_of` (later ones are ignored).
pub fn outlook(
    profile: &Profile,
    as_of: NaiveDate,
    horizon_days: u32,
    draws: &[Arc<Draw>],
    rules: &Rules,
) -> Result<Outlook, OutlookError> {
    let horizon = horizon_days.clamp(1, MAX_HORIZON_DAYS);
    let crs = crs::score(profile, as_of, rules);
    let score = crs.total;
    let named = streams(profile, as_of, rules);
    let timeline = Timeline::new(draws, as_of, horizon);
    // Some round must be old enough for a window after it to have closed; a date long after the last round is
    // answered (its windows hold no round: no chance is counted), a date before the history is not.
    let learnable = as_of
        .checked_sub_days(Days::new(u64::from(horizon) + 1))
        .is_some_and(|latest| draws.iter().any(|d| d.held_at.date_naive() <= latest));
    if !learnable {
        return Err(OutlookError::NoHistory {
            as_of,
            horizon_days: horizon,
        });
    }
    let all: Vec<&Stream> = named.iter().map(|(s, _)| s).collect();
    let series = timeline.series(&all);
    let estimate = series.estimate(score);
    let window_start = as_of
        .checked_sub_days(Days::new(u64::from(STREAM_WINDOW_DAYS)))
        .unwrap_or(NaiveDate::MIN);
    let streams: Vec<StreamOutlook> = named
        .iter()
        .map(|(stream, name)| {
            let alone = timeline.series(&[stream]).estimate(score);
            describe(
                stream,
                name,
                profile,
                score,
                draws,
                window_start,
                as_of,
                horizon,
                alone.probability,
            )
        })
        .collect();
    let mut notes = Vec::new();
    if named.is_empty() {
        notes.push(format!(
            "not in the pool on {as_of}: the profile meets none of FSWP, FSTP and CEC, so no round can invite it"
        ));
    }
    for s in streams.iter().filter(|s| s.rounds == 0) {
        notes.push(format!(
            "{}: no round from {} to {}, so no chance is counted from it",
            s.name, s.window_start, as_of
        ));
    }
    let points_for = [0.5, 0.9]
        .into_iter()
        .map(|target| PointsFor {
            probability: target,
            points: (!named.is_empty())
                .then(|| series.points_for(score, target))
                .flatten(),
        })
        .collect();
    Ok(Outlook {
        as_of,
        horizon_days: horizon,
        expected_rounds: streams.iter().map(|s| s.expected_rounds).sum(),
        // More streams can only add chances: never less than the best stream alone.
        probability: if named.is_empty() {
            0.0
        } else {
            streams
                .iter()
                .map(|s| s.probability)
                .fold(estimate.probability, f64::max)
        },
        reference_cutoff: series.reference_now(),
        drop_estimate: estimate.drop,
        own_score_estimate: estimate.own,
        windows_learned: series.windows(),
        score_changes: score_changes(profile, &crs, as_of, horizon, rules),
        points_for,
        notes,
        crs,
        streams,
    })
}

#[allow(clippy::too_many_arguments)]
fn describe(
    stream: &Stream,
    name: &str,
    profile: &Profile,
    score: u32,
    draws: &[Arc<Draw>],
    window_start: NaiveDate,
    as_of: NaiveDate,
    horizon: u32,
    probability: f64,
) -> StreamOutlook {
    let mut rounds: Vec<&Draw> = draws
        .iter()
        .map(AsRef::as_ref)
        .filter(|d| stream.holds(d) && (window_start..as_of).contains(&d.held_at.date_naive()))
        .collect();
    rounds.sort_by_key(|d| (d.held_at, d.number.sort_key()));
    let cleared = rounds
        .iter()
        .filter(|d| {
            score > d.minimum_crs
                || (score == d.minimum_crs
                    && matches!((profile.submitted_at, d.tie_break_at), (Some(s), Some(t)) if s <= t))
        })
        .count();
    let mut values: Vec<f64> = rounds.iter().map(|d| f64::from(d.minimum_crs)).collect();
    values.sort_by(f64::total_cmp);
    let cutoffs = rounds.last().map(|last| Cutoffs {
        last: last.minimum_crs,
        lower_quartile: quantile(&values, 0.25),
        median: quantile(&values, 0.5),
        upper_quartile: quantile(&values, 0.75),
    });
    let days = (as_of - window_start).num_days().max(1) as f64;
    let to = |c: f64| (c - f64::from(score)).ceil().max(0.0) as u32;
    StreamOutlook {
        stream: stream.clone(),
        name: name.to_owned(),
        window_start,
        window_end: as_of,
        rounds: u32::try_from(rounds.len()).unwrap_or(u32::MAX),
        expected_rounds: rounds.len() as f64 * f64::from(horizon) / days,
        share_cleared: if rounds.is_empty() {
            0.0
        } else {
            cleared as f64 / rounds.len() as f64
        },
        points_to_median: cutoffs.map(|c| to(c.median)),
        points_to_upper_quartile: cutoffs.map(|c| to(c.upper_quartile)),
        cutoffs,
        probability,
    }
}

/// The `q` quantile of sorted values, interpolated linearly between ranks.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Rounds before the date asked, by day, over the days the method looks at.
struct Timeline<'d> {
    /// The first day with history (the day of the first round of all), as an index; 0 when earlier.
    start: usize,
    /// The last day of history (the day before the date asked), as an index.
    last: usize,
    horizon: usize,
    rounds: Vec<(usize, &'d Draw)>,
}

/// One set of streams on the timeline: the lowest cut-off held each day, and the reference cut-off each day.
struct Series {
    last: usize,
    /// The lowest cut-off of the rounds in the next `horizon` days after each day (`None`: no round).
    next_low: Vec<Option<u32>>,
    /// The reference cut-off of each day (`None`: no stream held a round in the last `ACTIVE_DAYS`).
    reference: Vec<Option<u32>>,
    /// The training days and their weights.
    training: Vec<(usize, f64)>,
}

struct Estimate {
    probability: f64,
    drop: f64,
    own: f64,
}

impl<'d> Timeline<'d> {
    fn new(draws: &'d [Arc<Draw>], as_of: NaiveDate, horizon: u32) -> Self {
        let span = u64::from(LOOKBACK_DAYS + horizon + ACTIVE_DAYS + 1);
        let first = as_of
            .checked_sub_days(Days::new(span))
            .unwrap_or(NaiveDate::MIN);
        let last = usize::try_from((as_of - first).num_days() - 1).unwrap_or(0);
        let start = draws
            .iter()
            .map(|d| d.held_at.date_naive())
            .min()
            .map_or(0, |d| usize::try_from((d - first).num_days()).unwrap_or(0));
        let rounds = draws
            .iter()
            .filter_map(|d| {
                let day = d.held_at.date_naive();
                (first..as_of).contains(&day).then(|| {
                    (
                        usize::try_from((day - first).num_days()).unwrap_or(0),
                        d.as_ref(),
                    )
                })
            })
            .collect();
        Self {
            start,
            last,
            horizon: horizon as usize,
            rounds,
        }
    }

    fn series(&self, streams: &[&Stream]) -> Series {
        let n = self.last + 1;
        let mut day_low: Vec<Option<u32>> = vec![None; n];
        // Per stream: its latest cut-off and day, as of each day.
        let mut per_stream: Vec<Vec<Option<u32>>> = vec![vec![None; n]; streams.len()];
        for (i, stream) in streams.iter().enumerate() {
            let mut low_that_day: Vec<Option<u32>> = vec![None; n];
            for (day, d) in self.rounds.iter().filter(|(_, d)| stream.holds(d)) {
                let low = &mut low_that_day[*day];
                *low = Some(low.map_or(d.minimum_crs, |l| l.min(d.minimum_crs)));
                let all = &mut day_low[*day];
                *all = Some(all.map_or(d.minimum_crs, |l| l.min(d.minimum_crs)));
            }
            // The latest cut-off while the stream is active (a round in the last ACTIVE_DAYS, the day included).
            let mut latest: Option<(usize, u32)> = None;
            for day in 0..n {
                if let Some(c) = low_that_day[day] {
                    latest = Some((day, c));
                }
                per_stream[i][day] = latest
                    .filter(|(held, _)| day - held <= ACTIVE_DAYS as usize)
                    .map(|(_, c)| c);
            }
        }
        let reference: Vec<Option<u32>> = (0..n)
            .map(|day| per_stream.iter().filter_map(|s| s[day]).min())
            .collect();
        // The lowest cut-off in (day, day + horizon], for days whose window has closed.
        let mut next_low: Vec<Option<u32>> = vec![None; n];
        for (day, slot) in next_low.iter_mut().enumerate() {
            if day + self.horizon > self.last {
                break;
            }
            *slot = day_low[day + 1..=day + self.horizon]
                .iter()
                .flatten()
                .min()
                .copied();
        }
        let newest = self.last.checked_sub(self.horizon);
        let training = match newest {
            Some(newest) if newest >= self.start => {
                // Days before the first round of all are not windows of Express Entry.
                let oldest = newest
                    .saturating_sub(LOOKBACK_DAYS as usize - 1)
                    .max(self.start);
                (oldest..=newest)
                    .map(|s| (s, 0.5f64.powf((newest - s) as f64 / HALF_LIFE_DAYS)))
                    .collect()
            }
            _ => Vec::new(),
        };
        Series {
            last: self.last,
            next_low,
            reference,
            training,
        }
    }
}

impl Series {
    fn reference_now(&self) -> Option<u32> {
        self.reference.get(self.last).copied().flatten()
    }

    fn windows(&self) -> u32 {
        u32::try_from(self.training.len()).unwrap_or(u32::MAX)
    }

    fn estimate(&self, score: u32) -> Estimate {
        let invited_at = |s: usize, bar: i64| self.next_low[s].is_some_and(|c| i64::from(c) <= bar);
        let share = |keep: &dyn Fn(usize) -> bool, hit: &dyn Fn(usize) -> bool| {
            let (mut all, mut hits) = (0.0, 0.0);
            for &(s, w) in self.training.iter().filter(|(s, _)| keep(*s)) {
                all += w;
                if hit(s) {
                    hits += w;
                }
            }
            (all > 0.0).then(|| hits / all)
        };
        let own = share(&|_| true, &|s| invited_at(s, i64::from(score))).unwrap_or(0.0);
        let drop = match self.reference_now() {
            Some(now) => {
                let margin = i64::from(score) - i64::from(now);
                share(&|s| self.reference[s].is_some(), &|s| {
                    let reference = self.reference[s].map_or(0, i64::from);
                    invited_at(s, reference + margin)
                })
            }
            None => share(&|s| self.reference[s].is_none(), &|s| {
                invited_at(s, i64::from(score))
            }),
        }
        .unwrap_or(own);
        Estimate {
            probability: (1.0 - OWN_SCORE_WEIGHT) * drop + OWN_SCORE_WEIGHT * own,
            drop,
            own,
        }
    }

    /// The fewest points to add for the chance to reach `target` (the chance never falls as the score rises).
    fn points_for(&self, score: u32, target: f64) -> Option<u32> {
        let reaches = |extra: u32| self.estimate(score + extra).probability >= target - 1e-12;
        let max_extra = crate::rounds::draw::CRS_MAX.saturating_sub(score);
        if !reaches(max_extra) {
            return None;
        }
        let (mut lo, mut hi) = (0u32, max_extra);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if reaches(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(lo)
    }
}

/// The days after `as_of` within the horizon on which the score changes, found among the anniversaries of the
/// profile's dates (birthday, test dates and expiries, the start and end of each job, the education assessment).
fn score_changes(
    profile: &Profile,
    now: &CrsScore,
    as_of: NaiveDate,
    horizon: u32,
    rules: &Rules,
) -> Vec<ScoreChange> {
    let end = as_of
        .checked_add_days(Days::new(u64::from(horizon)))
        .unwrap_or(NaiveDate::MAX);
    let mut anchors = vec![profile.date_of_birth];
    for l in [&profile.first_language, &profile.second_language]
        .into_iter()
        .flatten()
    {
        anchors.extend(l.test_date);
        anchors.extend(l.valid_until);
    }
    anchors.extend(profile.eca_issued_on);
    for w in &profile.work_history {
        anchors.push(w.start);
        anchors.extend(w.end);
    }
    let mut days: Vec<NaiveDate> = Vec::new();
    for anchor in anchors {
        for years in 0..=80u32 {
            let Some(d) = anchor.checked_add_months(Months::new(12 * years)) else {
                break;
            };
            if d > end {
                break;
            }
            for candidate in [Some(d), d.checked_add_days(Days::new(1))]
                .into_iter()
                .flatten()
            {
                if candidate > as_of && candidate < end {
                    days.push(candidate);
                }
            }
        }
    }
    days.sort_unstable();
    days.dedup();
    let mut before = now.clone();
    let mut out = Vec::new();
    for day in days {
        let after = crs::score(profile, day, rules);
        if after.total != before.total {
            out.push(ScoreChange {
                on: day,
                crs_before: before.total,
                crs_after: after.total,
                lines: changed_lines(&before, &after),
            });
        }
        before = after;
    }
    out
}

fn changed_lines(before: &CrsScore, after: &CrsScore) -> Vec<(CrsLineCode, u32, u32)> {
    let points = |s: &CrsScore, code: CrsLineCode| -> u32 {
        [&s.core, &s.spouse, &s.transferability, &s.additional]
            .iter()
            .flat_map(|sec| &sec.lines)
            .filter(|l| l.code == code)
            .map(|l| l.points)
            .sum()
    };
    CrsLineCode::ALL
        .iter()
        .map(|&code| (code, points(before, code), points(after, code)))
        .filter(|(_, b, a)| b != a)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_ranks() {
        let v = [400.0, 410.0, 420.0, 430.0, 500.0];
        assert_eq!(quantile(&v, 0.5), 420.0);
        assert_eq!(quantile(&v, 0.25), 410.0);
        assert_eq!(quantile(&v, 0.75), 430.0);
        assert_eq!(quantile(&[400.0, 500.0], 0.5), 450.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
