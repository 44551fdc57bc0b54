//! `ee outlook PROFILE`: the chance of at least one invitation within a horizon (GetInvitationOutlook), with the
//! streams it comes from, the points that would raise it, and the score changes the horizon already holds.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Args;
use ee_proto::v1::{GetInvitationOutlookRequest, GetInvitationOutlookResponse, OutlookStream};

use crate::candidate::{read_profile, refused_profile_or_flags};
use crate::client::ConnectArgs;
use crate::error::from_status;
use crate::output::{self, Format, Out, thousands};

/// The request fields of GetInvitationOutlook that come from flags, and the flag each comes from.
const OUTLOOK_FLAGS: &[(&str, &str)] = &[("as_of", "--as-of"), ("horizon_days", "--horizon")];

/// `ee outlook --help`: how the chance is reached.
pub const LONG_ABOUT: &str = "The chance of at least one invitation within a horizon (90 days by default), from the \
    rounds the profile can be invited in.\n\n\
    Your streams are the kinds of round you can be invited in on the day: general rounds, the rounds of each \
    program you meet (CEC, FSW, FST; PNP with a nomination) and of each category you are eligible for. Your \
    reference cut-off is the lowest latest cut-off of your streams that held a round in the last 180 days. For \
    every day of the three years before the day asked whose next horizon days are history (a day counting half as \
    much for every 180 days further back), the method asks: standing as far from that day's reference cut-off as \
    you stand from today's, would a round of your streams in the next horizon days have invited you? That share is \
    the drop estimate; the own-score estimate is the share of days after which a round of your streams had a \
    cut-off at or below your score. The chance is 0.8 of the first plus 0.2 of the second. Only rounds held before \
    the day asked are used. It is an estimate from the past, not a promise: IRCC decides each round.";

#[derive(Args, Debug)]
pub struct OutlookArgs {
    /// The profile: a JSON or YAML file (see crates/cli/examples/profiles/).
    pub profile: PathBuf,
    /// Days ahead, the day asked included: 1 to 365 (the server's default: 90).
    #[arg(long, value_name = "DAYS", value_parser = at_least_one_day)]
    pub horizon: Option<u32>,
    /// The day of the outlook (YYYY-MM-DD, UTC): only rounds held before it are used; today by default.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
}

/// 0 would ask the server for its default; it is refused instead. The upper bound is the server's to say.
fn at_least_one_day(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(0) => Err("give 1 to 365 days".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e}; give 1 to 365 days")),
    }
}

pub async fn run(a: OutlookArgs, connect: &ConnectArgs, out: &mut Out) -> anyhow::Result<()> {
    let profile = read_profile(&a.profile)?;
    let mut client = connect.eligibility().await?;
    let r = client
        .get_invitation_outlook(GetInvitationOutlookRequest {
            profile: Some(profile),
            as_of: a.as_of.map(ee_proto::convert::date),
            horizon_days: a.horizon.unwrap_or(0),
        })
        .await
        .map_err(|s| match s.code() {
            // No history before the day asked: there is no round to look up, only a later day to ask.
            tonic::Code::NotFound => from_status(&s, "give a later --as-of").into(),
            _ => refused_profile_or_flags(&a.profile, &s, OUTLOOK_FLAGS),
        })?
        .into_inner();
    match out.format {
        Format::Json => out.message(&r, "GetInvitationOutlookResponse"),
        Format::Csv => csv(&r, out),
        Format::Table => table(&r, out),
    }
}

/// A chance as a whole percentage; not 0% or 100% when it is neither.
pub fn chance(p: f64) -> String {
    if p > 0.0 && p < 0.005 {
        "<1%".to_owned()
    } else if p < 1.0 && p > 0.995 {
        ">99%".to_owned()
    } else {
        format!("{:.0}%", p * 100.0)
    }
}

/// A cut-off as it is: quartiles are interpolated between ranks, so they fall on quarters (`474.25`, `434.5`).
fn cutoff(c: Option<f64>) -> String {
    match c {
        None => "-".to_owned(),
        Some(c) => {
            let text = format!("{c:.2}");
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
    }
}

/// A CrsLine code as words: `CANADIAN_WORK` reads `canadian work`.
fn line_name(code: &str) -> String {
    code.to_lowercase().replace('_', " ")
}

fn stream_row(st: &OutlookStream) -> Vec<String> {
    let with_round = st.rounds > 0;
    vec![
        st.name.clone(),
        st.rounds.to_string(),
        st.last_cutoff
            .map_or_else(|| "-".to_owned(), |c| c.to_string()),
        cutoff(st.median_cutoff),
        cutoff(st.upper_quartile_cutoff),
        if with_round {
            format!("{:.0}%", st.share_cleared * 100.0)
        } else {
            "-".to_owned()
        },
        match st.points_to_median {
            None => "-".to_owned(),
            Some(0) => "0".to_owned(),
            Some(p) => format!("+{p}"),
        },
        chance(st.probability),
    ]
}

fn table(r: &GetInvitationOutlookResponse, out: &mut Out) -> anyhow::Result<()> {
    let s = out.style;
    let crs = r.crs.clone().unwrap_or_default();
    out.line(format!(
        "{} of at least one invitation in the next {} days; about {:.1} rounds of your streams expected",
        s.bold(&format!("{} chance", chance(r.probability))),
        r.horizon_days,
        r.expected_rounds
    ))?;
    out.line(format!(
        "{} {} on {} (by the rules in force from {})",
        s.bold("CRS"),
        s.bold(&crs.total.to_string()),
        output::date(&r.as_of),
        output::date(&crs.rules_effective_from)
    ))?;
    out.line("")?;
    if r.streams.is_empty() {
        out.line("No stream: the profile meets none of FSWP, FSTP and CEC on the day.")?;
    } else {
        let rows: Vec<Vec<String>> = r.streams.iter().map(stream_row).collect();
        out.table(
            &[
                "stream",
                "rounds",
                "last",
                "median",
                "upper quartile",
                "cleared",
                "to median",
                "chance alone",
            ],
            &[false, true, true, true, true, true, true, true],
            &rows,
        )?;
        out.line(s.dim(&format!(
            "(rounds held in the 365 days before {} and their cut-offs; cleared: the share your CRS would have \
             been invited in)",
            output::date(&r.as_of)
        )))?;
    }
    if !r.points_for.is_empty() {
        out.line("")?;
        let parts: Vec<String> = r
            .points_for
            .iter()
            .map(|p| {
                let reach = match p.points {
                    None => "no score up to 1200 reaches it".to_owned(),
                    Some(0) => format!("already there (CRS {})", crs.total),
                    Some(n) => format!("+{n} points (CRS {})", crs.total + n),
                };
                format!("{}: {reach}", chance(p.probability))
            })
            .collect();
        out.line(format!("For a chance of {}", parts.join("; of ")))?;
    }
    out.line("")?;
    out.line(s.bold(&format!("Score changes within the {} days", r.horizon_days)))?;
    if r.score_changes.is_empty() {
        out.line(format!("  {}", s.dim("(none)")))?;
    }
    for c in &r.score_changes {
        let lines: Vec<String> = c
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{} {} → {}",
                    line_name(&l.code),
                    l.points_before,
                    l.points_after
                )
            })
            .collect();
        out.line(format!(
            "  {}  CRS {} → {}  {}",
            output::date(&c.date),
            c.crs_before,
            c.crs_after,
            lines.join(", ")
        ))?;
    }
    if !r.notes.is_empty() {
        out.line("")?;
        out.line(s.bold("Notes"))?;
        for n in &r.notes {
            out.line(format!("  - {n}"))?;
        }
    }
    let m = r.method.unwrap_or_default();
    out.line("")?;
    let reference = m.reference_cutoff.map_or_else(
        || "no reference cut-off (no stream held a round in the last 180 days)".to_owned(),
        |c| format!("reference cut-off {c}"),
    );
    out.line(s.dim(&format!(
        "Learned from {} windows of {} days; {reference}; drop estimate {}, own-score estimate {}; \
         `ee outlook --help` explains the method",
        thousands(m.windows_learned.into()),
        r.horizon_days,
        chance(m.drop_estimate),
        chance(m.own_score_estimate)
    )))
}

const CSV_HEADER: &[&str] = &[
    "stream",
    "kind",
    "program",
    "category_id",
    "rounds",
    "expected_rounds",
    "last_cutoff",
    "lower_quartile_cutoff",
    "median_cutoff",
    "upper_quartile_cutoff",
    "share_cleared",
    "points_to_median",
    "points_to_upper_quartile",
    "probability",
];

fn csv(r: &GetInvitationOutlookResponse, out: &mut Out) -> anyhow::Result<()> {
    if r.streams.is_empty() {
        return out.csv_header_only(CSV_HEADER);
    }
    let opt = |v: Option<String>| v.unwrap_or_default();
    for st in &r.streams {
        let f = st.filter.clone().unwrap_or_default();
        out.csv_row(
            CSV_HEADER,
            &[
                st.name.clone(),
                output::kind(f.kind).to_owned(),
                if f.program == 0 {
                    String::new()
                } else {
                    output::program(f.program).to_owned()
                },
                f.category_id.clone(),
                st.rounds.to_string(),
                st.expected_rounds.to_string(),
                opt(st.last_cutoff.map(|c| c.to_string())),
                opt(st.lower_quartile_cutoff.map(|c| c.to_string())),
                opt(st.median_cutoff.map(|c| c.to_string())),
                opt(st.upper_quartile_cutoff.map(|c| c.to_string())),
                st.share_cleared.to_string(),
                opt(st.points_to_median.map(|c| c.to_string())),
                opt(st.points_to_upper_quartile.map(|c| c.to_string())),
                st.probability.to_string(),
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chances_and_cutoffs_read_short() {
        assert_eq!(chance(0.0), "0%");
        assert_eq!(chance(0.004), "<1%");
        assert_eq!(chance(0.384), "38%");
        assert_eq!(chance(0.996), ">99%");
        assert_eq!(chance(1.0), "100%");
        assert_eq!(cutoff(Some(516.0)), "516");
        assert_eq!(cutoff(Some(516.25)), "516.25");
        assert_eq!(cutoff(Some(434.5)), "434.5");
        assert_eq!(cutoff(Some(500.0)), "500");
        assert_eq!(cutoff(None), "-");
        assert_eq!(line_name("CANADIAN_WORK"), "canadian work");
        assert!(at_least_one_day("0").is_err());
        assert_eq!(at_least_one_day("400"), Ok(400));
    }
}
