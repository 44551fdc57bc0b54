//! `ee crs`, `ee eligibility`, `ee invitation`: a profile file (the proto3 JSON mapping of CandidateProfile, or YAML
//! of it) checked by the server, printed with every line and every reason.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::Args;
use ee_proto::v1::{
    self, CalculateCrsRequest, CandidateProfile, CheckEligibilityRequest, CheckInvitationRequest,
    CrsBreakdown, InvitationOutcome, Reason,
};
use tonic::Code;

use crate::client::ConnectArgs;
use crate::error::{Error, Exit, from_status};
use crate::output::{self, Format, Out, thousands};

#[derive(Args, Debug)]
pub struct CrsArgs {
    /// The profile: a JSON or YAML file (see crates/cli/examples/profiles/).
    pub profile: PathBuf,
    /// Score on this day (YYYY-MM-DD) by the rules then in force; today by default.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
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
    let profile = read_profile(&a.profile)?;
    let mut client = connect.eligibility().await?;
    let r = client
        .calculate_crs(CalculateCrsRequest {
            profile: Some(profile),
            as_of: date(a.as_of),
        })
        .await
        .map_err(|s| refused(&a.profile, &s))?
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
        .map_err(|s| refused(&a.profile, &s))?
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
        .map_err(|s| refused(&a.profile, &s))?
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
}
