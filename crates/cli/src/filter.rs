//! The round filter flags every command over rounds takes (`--kind`, `--program`, `--category`,
//! `--category-version`, `--since`, `--until`), and the `DrawFilter` of ListDraws they stand for. Shared by `ee draws
//! list|latest|stats|watch` and `ee invitation-history`.

use chrono::{Days, NaiveDate};
use clap::{Args, ValueEnum};
use ee_proto::v1::{self, DrawFilter};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    General,
    Program,
    Category,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramArg {
    /// Canadian Experience Class.
    Cec,
    /// Provincial Nominee Program.
    Pnp,
    /// Federal Skilled Worker Program.
    Fsw,
    /// Federal Skilled Trades Program.
    Fst,
}

/// Which rounds; every filter given must hold.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Rounds of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// Program rounds of this program.
    #[arg(long, value_enum)]
    pub program: Option<ProgramArg>,
    /// Category rounds of this category, such as healthcare, stem, french, trade, transport, agriculture
    /// (`ee categories list` shows them).
    #[arg(long, value_name = "ID")]
    pub category: Option<String>,
    /// Category rounds of this version of the category's list; needs --category.
    #[arg(long, alias = "version", requires = "category", value_name = "N")]
    pub category_version: Option<u32>,
    /// Rounds held on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, alias = "from", value_name = "DATE")]
    pub since: Option<NaiveDate>,
    /// Rounds held on or before this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub until: Option<NaiveDate>,
}

impl FilterArgs {
    /// The whole filter, the days as `held_after` and `held_before` (ListDraws, GetLatestDraw, GetDrawStats,
    /// SubscribeDraws).
    pub fn to_proto(&self) -> DrawFilter {
        let start = |d: NaiveDate| {
            ee_proto::convert::timestamp(d.and_time(chrono::NaiveTime::MIN).and_utc())
        };
        DrawFilter {
            held_after: self.since.map(start),
            // The day given is included: the bound is the start of the next day.
            held_before: self
                .until
                .map(|d| start(d.checked_add_days(Days::new(1)).unwrap_or(d))),
            ..self.round_type()
        }
    }

    /// The filter without the days, for a request that takes the period apart (CheckInvitationHistory's
    /// `start_date` and `end_date`, from [`FilterArgs::since`] and [`FilterArgs::until`]).
    pub fn round_type(&self) -> DrawFilter {
        DrawFilter {
            kind: self.kind.map_or(v1::RoundKind::Unspecified, |k| match k {
                Kind::General => v1::RoundKind::General,
                Kind::Program => v1::RoundKind::Program,
                Kind::Category => v1::RoundKind::Category,
            }) as i32,
            program: self.program.map_or(v1::Program::Unspecified, |p| match p {
                ProgramArg::Cec => v1::Program::Cec,
                ProgramArg::Pnp => v1::Program::Pnp,
                ProgramArg::Fsw => v1::Program::Fsw,
                ProgramArg::Fst => v1::Program::Fst,
            }) as i32,
            category_id: self.category.clone().unwrap_or_default(),
            category_version: self.category_version.unwrap_or(0),
            held_after: None,
            held_before: None,
        }
    }
}
