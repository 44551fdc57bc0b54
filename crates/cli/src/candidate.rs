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
fn refused(path: &Path, s: &tonic::Status) -> anyhow::Error {
    let e = from_status(s, "`ee draws list` shows the rounds there are");
    if s.code() == Code::InvalidArgument {
        let detail = e
            .message
            .trim_start_matches("the server refused the request: ")
            .trim_end_matches("; fix the named field and retry");
        return Error::new(
            Exit::Usage,
            format!(
                "{}: the server refused the profile: {detail}; fix the profile",
                path.display()
            ),
        )
        .into();
    }
    e.into()
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
