//! `ee categories list|show`: category-based selection categories and their occupation lists.

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use ee_proto::v1::{Category, CategoryRequirement, GetCategoryRequest, ListCategoriesRequest};

use crate::client::ConnectArgs;
use crate::error::from_status;
use crate::output::{self, Format, Out};

#[derive(Subcommand)]
pub enum CategoriesCommand {
    /// The categories in force (or every version with --history).
    #[command(alias = "ls")]
    List(ListArgs),
    /// One category version with its rules and occupation list.
    #[command(alias = "get")]
    Show(ShowArgs),
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Those in force on this day (YYYY-MM-DD); today by default.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
    /// Every version ever in force.
    #[arg(long)]
    pub history: bool,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The category, such as healthcare, stem, french, trade, transport, agriculture, education.
    pub id: String,
    /// This version of its list; by default the version in force on --as-of.
    #[arg(long, value_name = "N")]
    pub version: Option<u32>,
    /// The day whose version to show (YYYY-MM-DD); today by default.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
}

fn requirement(r: i32) -> &'static str {
    match CategoryRequirement::try_from(r) {
        Ok(CategoryRequirement::Occupation) => "occupation",
        Ok(CategoryRequirement::FrenchLanguage) => "French",
        Ok(CategoryRequirement::ArmedForcesOffer) => "armed forces offer",
        _ => "?",
    }
}

const LIST_CSV: &[&str] = &[
    "id",
    "version",
    "name",
    "effective_from",
    "effective_until",
    "requirement",
    "occupations",
    "unverified",
];

pub async fn run(
    command: CategoriesCommand,
    connect: &ConnectArgs,
    out: &mut Out,
) -> anyhow::Result<()> {
    let mut client = connect.eligibility().await?;
    match command {
        CategoriesCommand::List(a) => {
            let r = client
                .list_categories(ListCategoriesRequest {
                    as_of: a.as_of.map(ee_proto::convert::date),
                    include_history: a.history,
                })
                .await
                .map_err(|s| from_status(&s, ""))?
                .into_inner();
            match out.format {
                Format::Json => {
                    for c in &r.categories {
                        out.message(c, "Category")?;
                    }
                }
                Format::Csv => {
                    out.csv_header_only(LIST_CSV)?;
                    for c in &r.categories {
                        out.csv_row(
                            LIST_CSV,
                            &[
                                c.id.clone(),
                                c.version.to_string(),
                                c.name.clone(),
                                output::date_or_empty(&c.effective_from),
                                output::date_or_empty(&c.effective_until),
                                requirement(c.requirement).to_owned(),
                                c.occupations.len().to_string(),
                                c.unverified.to_string(),
                            ],
                        )?;
                    }
                }
                Format::Table => {
                    let rows: Vec<Vec<String>> = r
                        .categories
                        .iter()
                        .map(|c| {
                            vec![
                                c.id.clone(),
                                c.version.to_string(),
                                output::date(&c.effective_from),
                                c.effective_until.as_ref().map_or_else(
                                    || "in force".to_owned(),
                                    |_| output::date(&c.effective_until),
                                ),
                                requirement(c.requirement).to_owned(),
                                if c.occupations.is_empty() {
                                    String::new()
                                } else {
                                    c.occupations.len().to_string()
                                },
                                format!(
                                    "{}{}",
                                    c.name,
                                    if c.unverified { " (unverified)" } else { "" }
                                ),
                            ]
                        })
                        .collect();
                    out.table(
                        &[
                            "id",
                            "version",
                            "from",
                            "until",
                            "requirement",
                            "occupations",
                            "name",
                        ],
                        &[false, true, false, false, false, true, false],
                        &rows,
                    )?;
                }
            }
            Ok(())
        }
        CategoriesCommand::Show(a) => {
            let c = client
                .get_category(GetCategoryRequest {
                    id: a.id.trim().to_owned(),
                    version: a.version.unwrap_or(0),
                    as_of: a.as_of.map(ee_proto::convert::date),
                })
                .await
                .map_err(|s| {
                    from_status(
                        &s,
                        "`ee categories list --history` shows every category and version",
                    )
                })?
                .into_inner()
                .category
                .unwrap_or_default();
            show(&c, out)
        }
    }
}

fn show(c: &Category, out: &mut Out) -> anyhow::Result<()> {
    const CSV: &[&str] = &[
        "category_id",
        "version",
        "noc_code",
        "title",
        "teer",
        "unverified",
    ];
    match out.format {
        Format::Json => return out.message(c, "Category"),
        Format::Csv => {
            out.csv_header_only(CSV)?;
            for o in &c.occupations {
                out.csv_row(
                    CSV,
                    &[
                        c.id.clone(),
                        c.version.to_string(),
                        o.noc_code.clone(),
                        o.title.clone(),
                        o.teer.to_string(),
                        o.unverified.to_string(),
                    ],
                )?;
            }
            return Ok(());
        }
        Format::Table => {}
    }
    let s = out.style;
    out.line(s.bold(&format!("{} (version {} of {})", c.name, c.version, c.id)))?;
    let until = c.effective_until.as_ref().map_or_else(
        || "in force".to_owned(),
        |_| format!("until {}", output::date(&c.effective_until)),
    );
    out.line(format!(
        "  {:<12} {} {until}",
        s.dim("from"),
        output::date(&c.effective_from)
    ))?;
    out.line(format!(
        "  {:<12} {}",
        s.dim("requirement"),
        requirement(c.requirement)
    ))?;
    if let Some(e) = &c.experience {
        out.line(format!("  {:<12} {}", s.dim("experience"), e.description))?;
    }
    if c.french_nclc_min > 0 {
        out.line(format!(
            "  {:<12} NCLC {} in all four abilities",
            s.dim("French"),
            c.french_nclc_min
        ))?;
    }
    if c.unverified {
        out.line(format!(
            "  {}",
            s.yellow("Not confirmed on canada.ca: the best available reading.")
        ))?;
    }
    if !c.notes.is_empty() {
        out.line(format!("  {:<12} {}", s.dim("notes"), c.notes))?;
    }
    if !c.occupations.is_empty() {
        out.line("")?;
        let rows: Vec<Vec<String>> = c
            .occupations
            .iter()
            .map(|o| {
                vec![
                    o.noc_code.clone(),
                    o.teer.to_string(),
                    format!(
                        "{}{}",
                        o.title,
                        if o.unverified { " (unverified)" } else { "" }
                    ),
                ]
            })
            .collect();
        out.table(&["NOC", "TEER", "occupation"], &[false, true, false], &rows)?;
    }
    Ok(())
}
