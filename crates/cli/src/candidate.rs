//! `ee crs`, `ee eligibility`, `ee invitation`: a profile file (the proto3 JSON mapping of CandidateProfile, or YAML
//! of it) checked by the server, printed with every line and every reason.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use ee_proto::v1::{
    self, CalculateCrsRequest, CandidateProfile, CheckEligibilityRequest,
    CheckInvitationHistoryRequest, CheckInvitationRequest, CrsBreakdown, CrsImprovementKind,
    ExploreCrsRequest, InvitationOutcome, Reason,
};
use tonic::Code;

use crate::client::ConnectArgs;
use crate::error::{Error, Exit, from_status};
use crate::filter::FilterArgs;
use crate::output::{self, Format, Out, thousands};

/// `ee crs PROFILE` scores a profile; `ee crs explore PROFILE` ranks what would raise the score. A profile file
/// named `explore` is given as `./explore`.
#[derive(Args, Debug)]
#[command(
    subcommand_negates_reqs = true,
    subcommand_help_heading = "Subcommands",
    override_usage = "ee crs [OPTIONS] <PROFILE>\n       ee crs explore [OPTIONS] <PROFILE>"
)]
pub struct CrsArgs {
    #[command(subcommand)]
    pub command: Option<CrsCommand>,
    /// The profile: a JSON or YAML file (see crates/cli/examples/profiles/).
    #[arg(required = true)]
    pub profile: Option<PathBuf>,
    /// Score on this day (YYYY-MM-DD) by the rules then in force; today by default.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
}

#[derive(Subcommand, Debug)]
pub enum CrsCommand {
    /// The points each single realistic improvement of the profile would add, most first, with the new total.
    Explore(ExploreArgs),
}

#[derive(Args, Debug)]
pub struct ExploreArgs {
    /// The profile: a JSON or YAML file (see crates/cli/examples/profiles/).
    pub profile: PathBuf,
    /// Explore on this day (YYYY-MM-DD) by the rules then in force; today by default.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
}

#[derive(Args, Debug)]
pub struct InvitationHistoryArgs {
    /// The profile: a JSON or YAML file (see crates/cli/examples/profiles/).
    pub profile: PathBuf,
    /// The rounds, as `ee draws list` takes them; --since and --until are the period (both days included; every
    /// round from the first to today by default).
    #[command(flatten)]
    pub filter: FilterArgs,
    /// How many closest misses of each kind (by points, by the tie-break) the summary lists, 1 to 50.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub closest: u32,
}

#[derive(Args, Debug)]
pub struct EligibilityArgs {
    /// The profile: a JSON or YAML file (see crates/cli/examples/profiles/).
    pub profile: PathBuf,
    /// Check on this day (YYYY-MM-DD) by the rules then in force; today by default.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
}

#[derive(Args, Debug)]
pub struct InvitationArgs {
    /// The profile: a JSON or YAML file (see crates/cli/examples/profiles/).
    pub profile: PathBuf,
    /// The round, for example 252 or 91a.
    #[arg(long, short = 'd', value_name = "NUMBER")]
    pub draw: String,
}

pub fn read_profile(path: &Path) -> anyhow::Result<CandidateProfile> {
    crate::messages::read_file(path, "CandidateProfile")
}

/// A refused profile is a file to fix; a missing round is a round to look up.
pub fn refused(path: &Path, s: &tonic::Status) -> anyhow::Error {
    refused_file(path, s, "profile")
}

/// A request built from a file and refused by the server: each field it names, as the file names it, with its line.
pub fn refused_file(path: &Path, s: &tonic::Status, what: &str) -> anyhow::Error {
    use tonic_types::StatusExt;
    if s.code() != Code::InvalidArgument {
        return from_status(s, "`ee draws list` shows the rounds there are").into();
    }
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let violations: Vec<String> = s
        .get_details_bad_request()
        .map(|b| b.field_violations)
        .unwrap_or_default()
        .iter()
        .map(|v| {
            let field = file_field(&v.field, what);
            let line = line_of(&text, &field).map_or_else(String::new, |l| format!("line {l}: "));
            format!("{line}{field}: {}", crate::error::one_line(&v.description))
        })
        .collect();
    let detail = if violations.is_empty() {
        crate::error::one_line(s.message())
    } else {
        violations.join("; ")
    };
    Error::new(
        Exit::Usage,
        format!(
            "{}: the server refused the {what}: {detail}; fix the file",
            path.display()
        ),
    )
    .into()
}

/// The server names a field as the .proto does, under the request (`profile.work_history[1].noc_code`); the file
/// names it in lowerCamelCase (`workHistory[1].nocCode`).
pub fn file_field(server_field: &str, what: &str) -> String {
    let field = server_field
        .strip_prefix(what)
        .and_then(|f| f.strip_prefix('.'))
        .unwrap_or(server_field);
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// The line of the file where `field` (`workHistory[1].nocCode`) is written, found by its keys in order: for an
/// index, the key after it is counted that many times over. None when the field is not written (a required one
/// left out).
pub fn line_of(text: &str, field: &str) -> Option<usize> {
    let mut pos = 0;
    let mut skip = 0;
    for segment in field.split('.') {
        let (key, index) = match segment.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        for _ in 0..=skip {
            pos = find_key(text, key, pos)? + key.len();
        }
        skip = index.unwrap_or(0);
    }
    Some(text[..pos].matches('\n').count() + 1)
}

/// The byte offset of `key` written as a key (a whole word, followed by `"` or `:`) at or after `from`.
fn find_key(text: &str, key: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = text.get(at..)?.find(key) {
        let start = at + i;
        let end = start + key.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !word(before) && matches!(after, Some('"') | Some(':') | Some('\'')) {
            return Some(start);
        }
        at = end;
    }
    None
}

fn date(d: Option<NaiveDate>) -> Option<v1::Date> {
    d.map(ee_proto::convert::date)
}

pub async fn crs(a: CrsArgs, connect: &ConnectArgs, out: &mut Out) -> anyhow::Result<()> {
    let path = match (a.command, a.profile) {
        // `ee crs --as-of DATE explore PROFILE` reads as `ee crs explore PROFILE --as-of DATE`.
        (Some(CrsCommand::Explore(mut e)), None) => {
            e.as_of = e.as_of.or(a.as_of);
            return explore(e, connect, out).await;
        }
        (Some(CrsCommand::Explore(e)), Some(p)) => {
            return Err(Error::usage(format!(
                "ee crs takes a profile or `explore PROFILE`, not both ({} and {}); \
                 ee crs explore {} scores what would raise it",
                p.display(),
                e.profile.display(),
                e.profile.display()
            )));
        }
        (None, Some(path)) => path,
        // clap requires the profile when there is no subcommand.
        (None, None) => return Err(Error::usage("ee crs needs a profile file: ee crs PROFILE")),
    };
    let profile = read_profile(&path)?;
    let mut client = connect.eligibility().await?;
    let r = client
        .calculate_crs(CalculateCrsRequest {
            profile: Some(profile),
            as_of: date(a.as_of),
        })
        .await
        .map_err(|s| refused_profile_or_flags(&path, &s, AS_OF_FLAG))?
        .into_inner();
    match out.format {
        Format::Json => out.message(&r, "CalculateCrsResponse"),
        Format::Csv => crs_csv(&r.crs.unwrap_or_default(), out),
        Format::Table => {
            let crs = r.crs.unwrap_or_default();
            let s = out.style;
            out.line(format!(
                "{} {}  (on {}, by the rules in force from {})",
                s.bold("CRS"),
                s.bold(&crs.total.to_string()),
                output::date(&crs.as_of),
                output::date(&crs.rules_effective_from)
            ))?;
            crs_table(&crs, out)
        }
    }
}

const CRS_CSV: &[&str] = &["section", "code", "label", "points", "max_points"];

fn sections(crs: &CrsBreakdown) -> [(&'static str, &'static str, v1::CrsSection); 4] {
    [
        (
            "core",
            "Core / human capital",
            crs.core.clone().unwrap_or_default(),
        ),
        (
            "spouse",
            "Spouse or partner",
            crs.spouse.clone().unwrap_or_default(),
        ),
        (
            "transferability",
            "Skill transferability",
            crs.transferability.clone().unwrap_or_default(),
        ),
        (
            "additional",
            "Additional points",
            crs.additional.clone().unwrap_or_default(),
        ),
    ]
}

fn crs_csv(crs: &CrsBreakdown, out: &mut Out) -> anyhow::Result<()> {
    for (id, _, section) in sections(crs) {
        for l in &section.lines {
            out.csv_row(CRS_CSV, &[id, &l.code, &l.label, &l.points.to_string(), ""])?;
        }
        out.csv_row(
            CRS_CSV,
            &[
                id,
                "SECTION_TOTAL",
                "",
                &section.points.to_string(),
                &section.max_points.to_string(),
            ],
        )?;
    }
    out.csv_row(
        CRS_CSV,
        &["total", "TOTAL", "", &crs.total.to_string(), "1200"],
    )
}

/// Every section with every line, then the notes.
fn crs_table(crs: &CrsBreakdown, out: &mut Out) -> anyhow::Result<()> {
    let s = out.style;
    // Labels are the server's sentences: the column is as wide as the longest.
    let width = sections(crs)
        .iter()
        .flat_map(|(_, _, sec)| sec.lines.iter().map(|l| l.label.chars().count()))
        .max()
        .unwrap_or(0)
        .max(30);
    for (_, title, section) in sections(crs) {
        out.line("")?;
        let head = format!("{title:<w$}", w = width + 2);
        out.line(format!(
            "{}  {:>4} of {}",
            s.bold(&head),
            section.points,
            section.max_points
        ))?;
        if section.lines.is_empty() {
            out.line(format!("  {}", s.dim("(nothing scored)")))?;
        }
        for l in &section.lines {
            out.line(format!("  {:<width$}  {:>4}", l.label, l.points))?;
        }
    }
    out.line("")?;
    let head = format!("{:<w$}", "Total", w = width + 2);
    out.line(format!("{}  {:>4} of 1200", s.bold(&head), crs.total))?;
    if !crs.notes.is_empty() {
        out.line("")?;
        out.line(s.bold("Notes"))?;
        for n in &crs.notes {
            out.line(format!("  - {n}"))?;
        }
    }
    Ok(())
}

pub async fn eligibility(
    a: EligibilityArgs,
    connect: &ConnectArgs,
    out: &mut Out,
) -> anyhow::Result<()> {
    let profile = read_profile(&a.profile)?;
    let mut client = connect.eligibility().await?;
    let r = client
        .check_eligibility(CheckEligibilityRequest {
            profile: Some(profile),
            as_of: date(a.as_of),
        })
        .await
        .map_err(|s| refused_profile_or_flags(&a.profile, &s, AS_OF_FLAG))?
        .into_inner();
    const HEADER: &[&str] = &[
        "kind",
        "id",
        "version",
        "name",
        "eligible",
        "reason_code",
        "reason",
    ];
    match out.format {
        Format::Json => return out.message(&r, "CheckEligibilityResponse"),
        Format::Csv => {
            for p in &r.programs {
                let id = output::program(p.program);
                rows_with_reasons(
                    out,
                    HEADER,
                    &["program", id, "", id],
                    p.eligible,
                    &p.reasons,
                )?;
            }
            for c in &r.categories {
                let version = c.category_version.to_string();
                rows_with_reasons(
                    out,
                    HEADER,
                    &["category", &c.category_id, &version, &c.name],
                    c.eligible,
                    &c.reasons,
                )?;
            }
            return Ok(());
        }
        Format::Table => {}
    }
    let s = out.style;
    let verdict = |eligible: bool| {
        if eligible {
            s.green("eligible")
        } else {
            s.red("not eligible")
        }
    };
    out.line(s.bold(&format!("Eligibility on {}", output::date(&r.as_of))))?;
    out.line("")?;
    out.line(s.bold("Programs"))?;
    for p in &r.programs {
        let mut line = format!(
            "  {:<4} {}",
            output::program(p.program),
            verdict(p.eligible)
        );
        if let Some(f) = &p.fsw_points {
            line.push_str(&format!(
                "  (selection grid {} of 100, pass mark {}: language {}, education {}, experience {}, age {}, \
                 arranged employment {}, adaptability {})",
                f.total,
                f.pass_mark,
                f.language,
                f.education,
                f.experience,
                f.age,
                f.arranged_employment,
                f.adaptability
            ));
        }
        out.line(line)?;
        reasons(out, &p.reasons, "       ")?;
    }
    out.line("")?;
    out.line(s.bold("Categories in force"))?;
    for c in &r.categories {
        let mut line = format!(
            "  {} v{}  {}  {}",
            c.category_id,
            c.category_version,
            c.name,
            verdict(c.eligible)
        );
        if !c.qualifying_noc_code.is_empty() {
            line.push_str(&format!(" (through NOC {})", c.qualifying_noc_code));
        }
        out.line(line)?;
        reasons(out, &c.reasons, "       ")?;
    }
    Ok(())
}

fn rows_with_reasons(
    out: &mut Out,
    header: &[&str],
    lead: &[&str],
    eligible: bool,
    reasons: &[Reason],
) -> anyhow::Result<()> {
    let row = |code: &str, message: &str| {
        let mut r: Vec<String> = lead.iter().map(|s| (*s).to_owned()).collect();
        r.push(eligible.to_string());
        r.push(code.to_owned());
        r.push(message.to_owned());
        r
    };
    if reasons.is_empty() {
        return out.csv_row(header, &row("", ""));
    }
    for reason in reasons {
        out.csv_row(header, &row(&reason.code, &reason.message))?;
    }
    Ok(())
}

fn reasons(out: &mut Out, reasons: &[Reason], indent: &str) -> anyhow::Result<()> {
    let s = out.style;
    for r in reasons {
        out.line(format!(
            "{indent}- {} {}",
            s.dim(&format!("{}:", r.code)),
            r.message
        ))?;
    }
    Ok(())
}

pub async fn invitation(
    a: InvitationArgs,
    connect: &ConnectArgs,
    out: &mut Out,
) -> anyhow::Result<()> {
    let profile = read_profile(&a.profile)?;
    let mut client = connect.eligibility().await?;
    let r = client
        .check_invitation(CheckInvitationRequest {
            profile: Some(profile),
            draw_number: a.draw.trim().to_owned(),
        })
        .await
        .map_err(|s| refused_profile_or_flags(&a.profile, &s, DRAW_FLAG))?
        .into_inner();
    let outcome = match InvitationOutcome::try_from(r.outcome) {
        Ok(InvitationOutcome::Invited) => "invited",
        Ok(InvitationOutcome::NotInvited) => "not invited",
        Ok(InvitationOutcome::Undetermined) => "undetermined",
        _ => "unknown",
    };
    let draw = r.draw.clone().unwrap_or_default();
    let crs = r.crs.clone().unwrap_or_default();
    match out.format {
        Format::Json => return out.message(&r, "CheckInvitationResponse"),
        Format::Csv => {
            const HEADER: &[&str] = &[
                "draw_number",
                "outcome",
                "crs",
                "minimum_crs",
                "reason_code",
                "reason",
            ];
            let lead = [
                draw.number.clone(),
                outcome.to_owned(),
                crs.total.to_string(),
                draw.minimum_crs.to_string(),
            ];
            if r.reasons.is_empty() {
                let mut row = lead.to_vec();
                row.extend([String::new(), String::new()]);
                return out.csv_row(HEADER, &row);
            }
            for reason in &r.reasons {
                let mut row = lead.to_vec();
                row.extend([reason.code.clone(), reason.message.clone()]);
                out.csv_row(HEADER, &row)?;
            }
            return Ok(());
        }
        Format::Table => {}
    }
    let s = out.style;
    let verdict = match outcome {
        "invited" => s.green("INVITED"),
        "not invited" => s.red("NOT INVITED"),
        other => s.yellow(&other.to_uppercase()),
    };
    out.line(format!(
        "Round {} on {} ({}): {}",
        draw.number,
        output::day(&draw.held_at),
        output::round_type(&draw.round_type),
        verdict
    ))?;
    out.line(format!(
        "  minimum CRS {}, tie-break {}, {} invitations; this profile's CRS then: {}",
        draw.minimum_crs,
        if draw.tie_break_at.is_some() {
            format!("{} UTC", output::time(&draw.tie_break_at))
        } else {
            "none published".to_owned()
        },
        thousands(draw.invitations.into()),
        s.bold(&crs.total.to_string())
    ))?;
    if !r.reasons.is_empty() {
        out.line("")?;
        out.line(s.bold("Why"))?;
        reasons(out, &r.reasons, "  ")?;
    }
    out.line("")?;
    out.line(format!(
        "{} {} (on {}, by the rules in force from {})",
        s.bold("CRS"),
        s.bold(&crs.total.to_string()),
        output::date(&crs.as_of),
        output::date(&crs.rules_effective_from)
    ))?;
    crs_table(&crs, out)
}

/// `as_of`, which comes from `--as-of` (CalculateCrs, CheckEligibility, ExploreCrs).
const AS_OF_FLAG: &[(&str, &str)] = &[("as_of", "--as-of")];
/// CheckInvitation's round, which comes from `--draw`.
const DRAW_FLAG: &[(&str, &str)] = &[("draw_number", "--draw")];

/// The request fields of CheckInvitationHistory that come from flags, and the flag each comes from.
const HISTORY_FLAGS: &[(&str, &str)] = &[
    ("start_date", "--since"),
    ("end_date", "--until"),
    ("filter.category_id", "--category"),
    ("filter.category_version", "--category-version"),
    ("filter.kind", "--kind"),
    ("filter.program", "--program"),
    ("closest_misses", "--closest"),
];

/// A request built from a profile file and flags, refused by the server: each field it names, as the file names it
/// (with its line) or as the flag that set it (with the request's field, as the .proto names it). Exit status 2.
pub fn refused_profile_or_flags(
    path: &Path,
    s: &tonic::Status,
    flags: &[(&str, &str)],
) -> anyhow::Error {
    use tonic_types::StatusExt;
    if s.code() != Code::InvalidArgument {
        return refused(path, s);
    }
    let violations = s
        .get_details_bad_request()
        .map(|b| b.field_violations)
        .unwrap_or_default();
    let flag_of = |field: &str| {
        flags.iter().find_map(|(name, flag)| {
            (field == *name || field.starts_with(&format!("{name}."))).then_some(*flag)
        })
    };
    let (by_flag, by_file): (Vec<_>, Vec<_>) =
        violations.iter().partition(|v| flag_of(&v.field).is_some());
    if by_flag.is_empty() {
        return refused(path, s);
    }
    let mut parts: Vec<String> = by_flag
        .iter()
        .map(|v| {
            format!(
                "{} ({}): {}",
                flag_of(&v.field).unwrap_or_default(),
                v.field,
                crate::error::one_line(&v.description)
            )
        })
        .collect();
    let text = if by_file.is_empty() {
        String::new()
    } else {
        std::fs::read_to_string(path).unwrap_or_default()
    };
    for v in &by_file {
        let field = file_field(&v.field, "profile");
        let line = line_of(&text, &field).map_or_else(String::new, |l| format!("line {l}: "));
        parts.push(format!(
            "{}: {line}{field}: {}",
            path.display(),
            crate::error::one_line(&v.description)
        ));
    }
    let fix = if by_file.is_empty() {
        "fix the flag"
    } else {
        "fix the flags and the file"
    };
    Error::new(
        Exit::Usage,
        format!("the server refused {}; {fix}", parts.join("; ")),
    )
    .into()
}

fn outcome_word(outcome: i32) -> &'static str {
    match InvitationOutcome::try_from(outcome) {
        Ok(InvitationOutcome::Invited) => "invited",
        Ok(InvitationOutcome::NotInvited) => "not invited",
        Ok(InvitationOutcome::Undetermined) => "undetermined",
        _ => "unknown",
    }
}

/// A round's type in a few words: `general`, `program CEC`, `category healthcare v3`.
pub fn round_kind(t: &Option<v1::RoundType>) -> String {
    let Some(t) = t else {
        return "-".to_owned();
    };
    match v1::RoundKind::try_from(t.kind) {
        Ok(v1::RoundKind::Program) => format!("program {}", output::program(t.program)),
        Ok(v1::RoundKind::Category) if t.category_version > 0 => {
            format!("category {} v{}", t.category_id, t.category_version)
        }
        Ok(v1::RoundKind::Category) => format!("category {}", t.category_id),
        _ => output::kind(t.kind).to_owned(),
    }
}

/// A duration in seconds as days, hours, minutes and seconds, the two largest units that are not zero.
pub fn duration(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let units = [
        (s / 86_400, "d"),
        (s / 3_600 % 24, "h"),
        (s / 60 % 60, "m"),
        (s % 60, "s"),
    ];
    let shown: Vec<String> = units
        .iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    let text = if shown.is_empty() {
        "0s".to_owned()
    } else {
        shown.join(" ")
    };
    if seconds < 0 {
        format!("-{text}")
    } else {
        text
    }
}

pub async fn invitation_history(
    a: InvitationHistoryArgs,
    connect: &ConnectArgs,
    out: &mut Out,
) -> anyhow::Result<()> {
    let profile = read_profile(&a.profile)?;
    let mut client = connect.eligibility().await?;
    let r = client
        .check_invitation_history(CheckInvitationHistoryRequest {
            profile: Some(profile),
            start_date: date(a.filter.since),
            end_date: date(a.filter.until),
            filter: Some(a.filter.round_type()),
            closest_misses: a.closest,
        })
        .await
        .map_err(|s| refused_profile_or_flags(&a.profile, &s, HISTORY_FLAGS))?
        .into_inner();
    match out.format {
        Format::Json => return out.message(&r, "CheckInvitationHistoryResponse"),
        Format::Csv => {
            const HEADER: &[&str] = &[
                "draw_number",
                "held_at",
                "kind",
                "program",
                "category_id",
                "category_version",
                "round_type",
                "minimum_crs",
                "tie_break_at",
                "crs",
                "eligible",
                "outcome",
                "reason_code",
                "reason",
            ];
            if r.rounds.is_empty() {
                return out.csv_header_only(HEADER);
            }
            for round in &r.rounds {
                let t = round.round_type.clone().unwrap_or_default();
                let main = round.reasons.first().cloned().unwrap_or_default();
                let program = if t.program == 0 {
                    ""
                } else {
                    output::program(t.program)
                };
                let version = if t.category_version == 0 {
                    String::new()
                } else {
                    t.category_version.to_string()
                };
                out.csv_row(
                    HEADER,
                    &[
                        round.draw_number.clone(),
                        output::rfc3339(&round.held_at),
                        output::kind(t.kind).to_owned(),
                        program.to_owned(),
                        t.category_id.clone(),
                        version,
                        t.name.clone(),
                        round.minimum_crs.to_string(),
                        output::rfc3339(&round.tie_break_at),
                        round.crs.to_string(),
                        round.eligible.to_string(),
                        outcome_word(round.outcome).to_owned(),
                        main.code,
                        main.message,
                    ],
                )?;
            }
            return Ok(());
        }
        Format::Table => {}
    }
    let s = out.style;
    let summary = r.summary.clone().unwrap_or_default();
    if r.rounds.is_empty() {
        out.line("No round matches the period and the filters.")?;
    } else {
        let rows: Vec<Vec<String>> = r
            .rounds
            .iter()
            .map(|round| {
                // No colour in a cell: the columns are aligned by characters.
                let verdict = outcome_word(round.outcome).to_owned();
                let reason = match round.reasons.as_slice() {
                    [] => "-".to_owned(),
                    [one] => format!("{}: {}", one.code, one.message),
                    [first, rest @ ..] => {
                        format!("{}: {} (+{} more)", first.code, first.message, rest.len())
                    }
                };
                vec![
                    round.draw_number.clone(),
                    output::day(&round.held_at),
                    round_kind(&round.round_type),
                    round.minimum_crs.to_string(),
                    round.crs.to_string(),
                    if round.eligible { "yes" } else { "no" }.to_owned(),
                    verdict,
                    reason,
                ]
            })
            .collect();
        out.table(
            &[
                "round",
                "date",
                "round type",
                "min CRS",
                "CRS",
                "eligible",
                "outcome",
                "main reason",
            ],
            &[true, false, false, true, true, false, false, false],
            &rows,
        )?;
    }
    out.line("")?;
    out.line(format!(
        "{}: {} eligible, {} invited, {} not invited, {} undetermined",
        s.bold(&format!("{} rounds", thousands(summary.rounds.into()))),
        thousands(summary.eligible.into()),
        thousands(summary.invited.into()),
        thousands(summary.not_invited.into()),
        thousands(summary.undetermined.into()),
    ))?;
    misses(
        out,
        "Closest misses by points",
        &summary.closest_by_points,
        |m| format!("{} point(s) short", m.points_short),
    )?;
    misses(
        out,
        "Closest misses by the tie-break",
        &summary.closest_by_tie_break,
        |m| {
            format!(
                "at the minimum CRS, submitted {} after the tie-break",
                duration(m.seconds_after_tie_break)
            )
        },
    )
}

/// One list of closest misses under its title: a line per round, with `why` it was missed.
fn misses(
    out: &mut Out,
    title: &str,
    list: &[v1::ClosestMiss],
    why: impl Fn(&v1::ClosestMiss) -> String,
) -> anyhow::Result<()> {
    let s = out.style;
    out.line("")?;
    out.line(s.bold(title))?;
    if list.is_empty() {
        out.line(format!("  {}", s.dim("(none)")))?;
    }
    for m in list {
        out.line(format!(
            "  round {:>4}  {}  {}",
            m.draw_number,
            output::day(&m.held_at),
            why(m)
        ))?;
    }
    Ok(())
}

fn improvement_kind(kind: i32) -> &'static str {
    match CrsImprovementKind::try_from(kind) {
        Ok(CrsImprovementKind::FirstLanguage) => "first language",
        Ok(CrsImprovementKind::SecondLanguage) => "second language",
        Ok(CrsImprovementKind::CanadianWork) => "Canadian work",
        Ok(CrsImprovementKind::ForeignWork) => "foreign work",
        Ok(CrsImprovementKind::Education) => "education",
        Ok(CrsImprovementKind::ProvincialNomination) => "provincial nomination",
        Ok(CrsImprovementKind::SpouseLanguage) => "spouse's language",
        Ok(CrsImprovementKind::SpouseEducation) => "spouse's education",
        _ => "other",
    }
}

pub async fn explore(a: ExploreArgs, connect: &ConnectArgs, out: &mut Out) -> anyhow::Result<()> {
    let profile = read_profile(&a.profile)?;
    let mut client = connect.eligibility().await?;
    let r = client
        .explore_crs(ExploreCrsRequest {
            profile: Some(profile),
            as_of: date(a.as_of),
        })
        .await
        .map_err(|s| refused_profile_or_flags(&a.profile, &s, AS_OF_FLAG))?
        .into_inner();
    if out.format == Format::Json {
        return out.message(&r, "ExploreCrsResponse");
    }
    let crs = r.crs.clone().unwrap_or_default();
    // Most points first, as the server sends them (a stable sort, so the server's order among equals is kept).
    let mut improvements = r.improvements.clone();
    improvements.sort_by_key(|i| std::cmp::Reverse(i.points_added));
    match out.format {
        Format::Json => Ok(()),
        Format::Csv => {
            const HEADER: &[&str] = &["kind", "change", "points_added", "new_total"];
            if improvements.is_empty() {
                return out.csv_header_only(HEADER);
            }
            for i in &improvements {
                out.csv_row(
                    HEADER,
                    &[
                        improvement_kind(i.kind).to_owned(),
                        i.description.clone(),
                        i.points_added.to_string(),
                        i.new_total.to_string(),
                    ],
                )?;
            }
            Ok(())
        }
        Format::Table => {
            let s = out.style;
            out.line(format!(
                "{} {}  (on {}, by the rules in force from {})",
                s.bold("CRS"),
                s.bold(&crs.total.to_string()),
                output::date(&crs.as_of),
                output::date(&crs.rules_effective_from)
            ))?;
            out.line("")?;
            if improvements.is_empty() {
                out.line("No single change to the profile would add points.")?;
                return Ok(());
            }
            let rows: Vec<Vec<String>> = improvements
                .iter()
                .map(|i| {
                    vec![
                        format!("+{}", i.points_added),
                        i.new_total.to_string(),
                        improvement_kind(i.kind).to_owned(),
                        i.description.clone(),
                    ]
                })
                .collect();
            out.table(
                &["points", "new total", "kind", "change"],
                &[true, true, false, false],
                &rows,
            )?;
            out.line("")?;
            out.line(s.dim(
                "Each change alone, applied to the profile as it is; `ee crs explore -o json` gives the fields to set.",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_fields_are_found_in_the_file() {
        assert_eq!(
            file_field("profile.date_of_birth", "profile"),
            "dateOfBirth"
        );
        assert_eq!(
            file_field("profile.work_history[1].noc_code", "profile"),
            "workHistory[1].nocCode"
        );
        let yaml = "dateOfBirth: {year: 1990}\nworkHistory:\n  - nocCode: \"1\"\n    start: x\n  - nocCode: \"2\"\n";
        assert_eq!(line_of(yaml, "dateOfBirth"), Some(1));
        assert_eq!(line_of(yaml, "workHistory[0].nocCode"), Some(3));
        assert_eq!(line_of(yaml, "workHistory[1].nocCode"), Some(5));
        assert_eq!(line_of(yaml, "spouse.education"), None);
        let json = "{\n  \"education\": 1,\n  \"spouse\": {\n    \"education\": 2\n  }\n}";
        assert_eq!(line_of(json, "spouse.education"), Some(4));
        assert_eq!(line_of(json, "education"), Some(2));
    }

    #[test]
    fn refused_flags_are_named_as_flags_and_profile_fields_as_the_file_names_them() {
        use tonic_types::{ErrorDetails, FieldViolation, StatusExt};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.yaml");
        std::fs::write(&path, "education: X\ndateOfBirth: {year: 1990}\n").expect("write");
        let status = |fields: &[(&str, &str)]| {
            tonic::Status::with_error_details(
                Code::InvalidArgument,
                "invalid input",
                ErrorDetails::with_bad_request(
                    fields
                        .iter()
                        .map(|(f, d)| FieldViolation::new(*f, *d))
                        .collect::<Vec<_>>(),
                ),
            )
        };
        let message = |s: tonic::Status| {
            Error::from_anyhow(refused_profile_or_flags(&path, &s, HISTORY_FLAGS))
        };
        let e = message(status(&[(
            "end_date",
            "2026-01-01 is before start_date 2026-02-01",
        )]));
        assert_eq!(e.exit, Exit::Usage);
        assert_eq!(
            e.message,
            "the server refused --until (end_date): 2026-01-01 is before start_date 2026-02-01; fix the flag"
        );
        let e = message(status(&[
            ("profile.date_of_birth", "bad day"),
            ("filter.category_id", "unknown category \"x\""),
        ]));
        assert!(
            e.message
                .contains("--category (filter.category_id): unknown category \"x\"")
                && e.message.contains("p.yaml: line 2: dateOfBirth: bad day")
                && e.message.ends_with("fix the flags and the file"),
            "{}",
            e.message
        );
        // Only profile fields: as `ee crs` reports them.
        let e = message(status(&[("profile.education", "unknown")]));
        assert!(
            e.message.ends_with(
                "the server refused the profile: line 1: education: unknown; fix the file"
            ),
            "{}",
            e.message
        );
        // Not INVALID_ARGUMENT: the status's own class.
        let e = message(tonic::Status::unavailable("down"));
        assert_eq!(e.exit, Exit::Error);
    }

    #[test]
    fn round_kinds_in_a_few_words() {
        let t = |kind: v1::RoundKind, program: v1::Program, id: &str, version: u32| {
            round_kind(&Some(v1::RoundType {
                kind: kind as i32,
                program: program as i32,
                category_id: id.into(),
                category_version: version,
                ..v1::RoundType::default()
            }))
        };
        assert_eq!(
            t(v1::RoundKind::General, v1::Program::Unspecified, "", 0),
            "general"
        );
        assert_eq!(
            t(v1::RoundKind::Program, v1::Program::Cec, "", 0),
            "program CEC"
        );
        assert_eq!(
            t(v1::RoundKind::Category, v1::Program::Unspecified, "stem", 2),
            "category stem v2"
        );
        assert_eq!(round_kind(&None), "-");
    }

    #[test]
    fn durations_read_in_two_units() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(59), "59s");
        assert_eq!(duration(3_600), "1h");
        assert_eq!(duration(3_725), "1h 2m");
        assert_eq!(duration(90_061), "1d 1h");
        assert_eq!(duration(-61), "-1m 1s");
        assert!(duration(i64::MIN).starts_with('-'));
    }
}
