//! `ee pool SCORE|PROFILE`: where a CRS score (or a profile's score) stands in the pool IRCC published with a round
//! (GetPoolPosition): the profiles above it, with exact bounds and an estimate, on a day, for a round, or for every
//! distribution of a period.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::Args;
use ee_proto::v1::{
    self, DatePeriod, GetDrawRequest, GetPoolPositionRequest, GetPoolPositionResponse,
    PoolPosition, get_pool_position_request,
};
use tonic::{Code, Status};

use crate::candidate::{read_profile, refused_profile_or_flags};
use crate::client::ConnectArgs;
use crate::error::{Error, Exit, from_status, one_line};
use crate::output::{self, Format, Out, pool_chart, thousands};

/// The highest CRS score.
pub const CRS_MAX: u32 = 1200;

/// What a NOT_FOUND of GetPoolPosition (an unknown round, one without a distribution, a day before the first
/// distribution) asks the user to do.
const NOT_FOUND_HINT: &str = "`ee draws list` shows the rounds there are";

/// The request fields of GetPoolPosition that come from the command line, and where each comes from.
const POOL_FLAGS: &[(&str, &str)] = &[
    ("crs_score", "<SCORE|PROFILE>"),
    ("as_of", "--as-of"),
    ("draw_number", "--draw"),
    ("period.start_date", "--since"),
    ("period.end_date", "--until"),
];

#[derive(Args, Debug)]
pub struct PoolArgs {
    /// A CRS score (0 to 1200), or a profile file (JSON or YAML, as `ee crs` reads it), scored on the day of each
    /// distribution's round. Digits are a score: a profile file named by digits is given as ./480.
    #[arg(value_name = "SCORE|PROFILE", value_parser = score_or_profile)]
    pub score: ScoreOrProfile,
    /// The latest distribution published by a round held on or before this day (YYYY-MM-DD, UTC); today by
    /// default.
    #[arg(long, value_name = "DATE", conflicts_with_all = ["draw", "since", "until"])]
    pub as_of: Option<NaiveDate>,
    /// The distribution published with this round, for example 364.
    #[arg(long, short = 'd', value_name = "NUMBER", conflicts_with_all = ["since", "until"])]
    pub draw: Option<String>,
    /// A period: every distribution published by a round held from this day (YYYY-MM-DD, UTC), one row each,
    /// oldest first.
    #[arg(long, alias = "from", value_name = "DATE")]
    pub since: Option<NaiveDate>,
    /// The period's last day (YYYY-MM-DD, UTC), included; today by default (given alone: from the first round).
    #[arg(long, value_name = "DATE")]
    pub until: Option<NaiveDate>,
}

/// The first argument of `ee pool`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScoreOrProfile {
    Score(u32),
    Profile(PathBuf),
}

/// Digits are a CRS score, 0 to 1200; anything else is a profile file.
pub fn score_or_profile(s: &str) -> Result<ScoreOrProfile, String> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<u32>() {
            Ok(n) if n <= CRS_MAX => Ok(ScoreOrProfile::Score(n)),
            _ => Err(format!(
                "a CRS score is 0 to {CRS_MAX}; a profile file named by digits is given as ./{s}"
            )),
        };
    }
    Ok(ScoreOrProfile::Profile(PathBuf::from(s)))
}

impl PoolArgs {
    fn when(&self) -> Option<get_pool_position_request::When> {
        use get_pool_position_request::When;
        let date = |d: NaiveDate| ee_proto::convert::date(d);
        if let Some(n) = &self.draw {
            Some(When::DrawNumber(n.trim().to_owned()))
        } else if self.since.is_some() || self.until.is_some() {
            Some(When::Period(DatePeriod {
                start_date: self.since.map(date),
                end_date: self.until.map(date),
            }))
        } else {
            self.as_of.map(|d| When::AsOf(date(d)))
        }
    }
}

/// A refusal of a request made from flags alone (no file): each field as the flag that set it.
fn refused_flags(s: &Status, flags: &[(&str, &str)]) -> anyhow::Error {
    use tonic_types::StatusExt;
    let violations = s
        .get_details_bad_request()
        .map(|b| b.field_violations)
        .unwrap_or_default();
    let flag_of = |field: &str| {
        flags
            .iter()
            .find_map(|(name, flag)| (field == *name).then_some(*flag))
    };
    if s.code() != Code::InvalidArgument
        || violations.is_empty()
        || violations.iter().any(|v| flag_of(&v.field).is_none())
    {
        return from_status(s, NOT_FOUND_HINT).into();
    }
    let parts: Vec<String> = violations
        .iter()
        .map(|v| {
            format!(
                "{} ({}): {}",
                flag_of(&v.field).unwrap_or_default(),
                v.field,
                one_line(&v.description)
            )
        })
        .collect();
    Error::new(
        Exit::Usage,
        format!("the server refused {}; fix the flag", parts.join("; ")),
    )
    .into()
}

pub async fn run(a: PoolArgs, connect: &ConnectArgs, out: &mut Out) -> anyhow::Result<()> {
    use get_pool_position_request::Score;
    let (score, path) = match &a.score {
        ScoreOrProfile::Score(n) => (Score::CrsScore(*n), None),
        ScoreOrProfile::Profile(path) => (Score::Profile(read_profile(path)?), Some(path.clone())),
    };
    let period = a.since.is_some() || a.until.is_some();
    let mut client = connect.eligibility().await?;
    let r = client
        .get_pool_position(GetPoolPositionRequest {
            score: Some(score),
            when: a.when(),
        })
        .await
        .map_err(|s| match &path {
            Some(path) => refused_profile_or_flags(path, &s, POOL_FLAGS),
            None => refused_flags(&s, POOL_FLAGS),
        })?
        .into_inner();
    match out.format {
        Format::Json => out.message(&r, "GetPoolPositionResponse"),
        Format::Csv => csv(&r, out),
        Format::Table if period => period_table(&r, path.as_deref(), out),
        Format::Table => match r.positions.last() {
            Some(p) => {
                let buckets = distribution(p, connect).await?;
                position_table(&r, p, &buckets, path.as_deref(), out)
            }
            // The server answers a day or a round with one position, or NOT_FOUND.
            None => out.line("No distribution."),
        },
    }
}

/// The distribution a position is in (GetDraw of its round), its ranges highest first, the position's range
/// among them even when the distribution leaves it out.
async fn distribution(
    p: &PoolPosition,
    connect: &ConnectArgs,
) -> anyhow::Result<Vec<v1::CrsBucket>> {
    let draw = connect
        .draws()
        .await?
        .get_draw(GetDrawRequest {
            number: p.draw_number.clone(),
        })
        .await
        .map_err(|s| from_status(&s, NOT_FOUND_HINT))?
        .into_inner()
        .draw
        .unwrap_or_default();
    let mut buckets = draw
        .pool_distribution
        .map(|d| d.buckets)
        .unwrap_or_default();
    if !buckets
        .iter()
        .any(|b| b.min_score == p.range_min && b.max_score == p.range_max)
    {
        buckets.push(v1::CrsBucket {
            min_score: p.range_min,
            max_score: p.range_max,
            candidates: 0,
        });
    }
    buckets.sort_by_key(|b| std::cmp::Reverse(b.min_score));
    Ok(buckets)
}

/// A share as a percentage with one decimal: `19.7%`.
fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// The even-spread estimate, to the profile.
fn about(estimate: f64) -> String {
    thousands(estimate.max(0.0).round() as u64)
}

/// One position: the distribution as a chart with the score's range marked, then the figures.
fn position_table(
    r: &GetPoolPositionResponse,
    p: &PoolPosition,
    buckets: &[v1::CrsBucket],
    profile: Option<&Path>,
    out: &mut Out,
) -> anyhow::Result<()> {
    let s = out.style;
    out.line(s.bold(&format!(
        "Pool on {}: {} profiles",
        output::date(&p.pool_date),
        thousands(p.total_candidates)
    )))?;
    pool_chart(out, buckets, p.score, &format!(" ◀ you: {}", p.score))?;
    out.line("")?;
    out.line(format!(
        "Round {} on {}, pool counted on {}: {} profiles",
        p.draw_number,
        output::date(&p.draw_date),
        output::date(&p.pool_date),
        thousands(p.total_candidates)
    ))?;
    let who = match (profile, &r.crs) {
        (Some(_), Some(crs)) => format!(
            "Your CRS on {}: {} (by the rules in force from {})",
            output::date(&crs.as_of),
            s.bold(&p.score.to_string()),
            output::date(&crs.rules_effective_from)
        ),
        _ => format!("Your score: {}", s.bold(&p.score.to_string())),
    };
    out.line(format!(
        "{who}, in {}-{} ({} profiles)",
        p.range_min,
        p.range_max,
        thousands(p.range_candidates)
    ))?;
    out.line(format!(
        "About {} profiles above you (between {} and {}), top {}",
        s.bold(&about(p.above_estimate)),
        thousands(p.above_at_least),
        thousands(p.above_at_most),
        s.bold(&percent(p.share_above))
    ))?;
    out.line(s.dim(
        "(the ranges wholly above you, and your range's profiles spread evenly over its scores)",
    ))
}

/// Every distribution of a period: a row each, oldest first, then the rounds left out.
fn period_table(
    r: &GetPoolPositionResponse,
    profile: Option<&Path>,
    out: &mut Out,
) -> anyhow::Result<()> {
    let s = out.style;
    if r.positions.is_empty() {
        out.line("No round of the period published a distribution.")?;
    } else {
        let rows: Vec<Vec<String>> = r
            .positions
            .iter()
            .map(|p| {
                vec![
                    output::date(&p.draw_date),
                    p.draw_number.clone(),
                    p.score.to_string(),
                    about(p.above_estimate),
                    format!(
                        "{}-{}",
                        thousands(p.above_at_least),
                        thousands(p.above_at_most)
                    ),
                    thousands(p.total_candidates),
                    percent(p.share_above),
                ]
            })
            .collect();
        out.table(
            &[
                "date",
                "round",
                "score",
                "above (about)",
                "between",
                "pool",
                "share above",
            ],
            &[false, true, true, true, true, true, true],
            &rows,
        )?;
    }
    out.line("")?;
    out.line(format!(
        "{} {}; {} {} in the period published no distribution",
        s.bold(&thousands(r.positions.len() as u64)),
        if r.positions.len() == 1 {
            "distribution"
        } else {
            "distributions"
        },
        thousands(r.rounds_without_distribution.into()),
        if r.rounds_without_distribution == 1 {
            "round"
        } else {
            "rounds"
        },
    ))?;
    if profile.is_some() {
        out.line(s.dim("(the profile's CRS on each round's day, by the rules then in force)"))?;
    }
    Ok(())
}

const CSV_HEADER: &[&str] = &[
    "draw_number",
    "draw_date",
    "pool_date",
    "total_candidates",
    "score",
    "range_min",
    "range_max",
    "range_candidates",
    "above_at_least",
    "above_at_most",
    "above_estimate",
    "share_above",
];

fn csv(r: &GetPoolPositionResponse, out: &mut Out) -> anyhow::Result<()> {
    if r.positions.is_empty() {
        return out.csv_header_only(CSV_HEADER);
    }
    for p in &r.positions {
        out.csv_row(
            CSV_HEADER,
            &[
                p.draw_number.clone(),
                output::date_or_empty(&p.draw_date),
                output::date_or_empty(&p.pool_date),
                p.total_candidates.to_string(),
                p.score.to_string(),
                p.range_min.to_string(),
                p.range_max.to_string(),
                p.range_candidates.to_string(),
                p.above_at_least.to_string(),
                p.above_at_most.to_string(),
                p.above_estimate.to_string(),
                p.share_above.to_string(),
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_a_score_and_anything_else_a_profile() {
        assert_eq!(score_or_profile("480"), Ok(ScoreOrProfile::Score(480)));
        assert_eq!(score_or_profile("0"), Ok(ScoreOrProfile::Score(0)));
        assert_eq!(score_or_profile("1200"), Ok(ScoreOrProfile::Score(1200)));
        assert!(score_or_profile("1201").is_err());
        assert!(score_or_profile("99999999999999").is_err());
        assert_eq!(
            score_or_profile("./480"),
            Ok(ScoreOrProfile::Profile(PathBuf::from("./480")))
        );
        assert_eq!(
            score_or_profile("me.yaml"),
            Ok(ScoreOrProfile::Profile(PathBuf::from("me.yaml")))
        );
    }

    #[test]
    fn refused_flags_are_named_as_flags() {
        use tonic_types::{ErrorDetails, FieldViolation, StatusExt};
        let status = Status::with_error_details(
            Code::InvalidArgument,
            "invalid input",
            ErrorDetails::with_bad_request(vec![FieldViolation::new(
                "period.end_date",
                "2026-01-01 is before period.start_date 2026-02-01",
            )]),
        );
        let e = Error::from_anyhow(refused_flags(&status, POOL_FLAGS));
        assert_eq!(e.exit, Exit::Usage);
        assert_eq!(
            e.message,
            "the server refused --until (period.end_date): 2026-01-01 is before period.start_date 2026-02-01; \
             fix the flag"
        );
        let e = Error::from_anyhow(refused_flags(&Status::not_found("no round 9"), POOL_FLAGS));
        assert_eq!(e.exit, Exit::NotFound);
        assert!(e.message.starts_with("no round 9; "), "{}", e.message);
    }
}
