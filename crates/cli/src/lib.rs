#![doc = include_str!("../README.md")]

pub mod candidate;
pub mod categories;
pub mod client;
pub mod draws;
pub mod error;
pub mod filter;
pub mod import;
pub mod messages;
pub mod outlook;
pub mod output;
pub mod pool;
pub mod watch;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::client::ConnectArgs;
pub use crate::error::{Error, Exit};
use crate::output::{Format, Out};

/// Exit statuses: 0 success, 1 error, 2 usage (a bad flag, argument or file name), 3 not found (an unknown round,
/// category or version).
#[derive(Parser)]
#[command(
    name = "ee",
    version,
    about = "Express Entry rounds of invitations and candidate checks, from an ee-server",
    long_about = "Express Entry rounds of invitations and candidate checks, from an ee-server.\n\n\
        Exit status: 0 success, 1 error, 2 usage (a bad flag, argument or file), 3 not found (an unknown round, \
        category or version).",
    after_help = "Run `ee COMMAND --help` for a command's flags. `ee completions bash|zsh|fish` prints shell \
        completions and `ee man` the manual page."
)]
pub struct Cli {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// How to print data: a table for people, json (the proto3 JSON mapping, one object per line) or csv (with a
    /// header row).
    #[arg(
        long,
        short = 'o',
        value_enum,
        default_value_t = Format::Table,
        global = true,
        env = "EE_OUTPUT"
    )]
    pub output: Format,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Rounds of invitations: list, show, latest, stats, watch.
    #[command(subcommand)]
    Draws(draws::DrawsCommand),
    /// A profile's CRS score, line by line; `ee crs explore PROFILE`: what would raise it, most points first.
    Crs(candidate::CrsArgs),
    /// A profile's eligibility for FSWP, FSTP, CEC and every category in force, with every reason.
    Eligibility(candidate::EligibilityArgs),
    /// Whether a profile would have been invited in a past round, and why not.
    Invitation(candidate::InvitationArgs),
    /// Whether a profile would have been invited in each round of a period, with a summary and the closest misses.
    InvitationHistory(candidate::InvitationHistoryArgs),
    /// Where a CRS score or a profile stands in the pool IRCC published with a round: the profiles above it.
    Pool(pool::PoolArgs),
    /// The chance of at least one invitation in the next days, from the rounds the profile can be invited in.
    #[command(long_about = outlook::LONG_ABOUT)]
    Outlook(outlook::OutlookArgs),
    /// Category-based selection categories and their occupation lists.
    #[command(subcommand)]
    Categories(categories::CategoriesCommand),
    /// Import IRCC's rounds feed (ee_rounds_123_en.json). Needs the operator token.
    Import(import::ImportArgs),
    /// Record one round from a file (the proto3 JSON mapping of Draw, or YAML of it). Needs the operator token.
    Record(import::RecordArgs),
    /// Print shell completions: `ee completions bash > /etc/bash_completion.d/ee`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `ee man > ee.1; man ./ee.1`.
    Man,
    /// Same as `ee draws list`.
    #[command(hide = true, alias = "ls")]
    List(draws::ListArgs),
    /// Same as `ee draws show`.
    #[command(hide = true)]
    Get(draws::ShowArgs),
    /// Same as `ee draws latest`.
    #[command(hide = true)]
    Latest(draws::LatestArgs),
    /// Same as `ee draws stats`.
    #[command(hide = true)]
    Stats(draws::StatsArgs),
    /// Same as `ee draws watch`.
    #[command(hide = true)]
    Watch(watch::WatchArgs),
}

/// Runs `ee` with the process's arguments and returns its exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(Exit::Usage as u8)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ee: cannot start: {e}");
            return ExitCode::from(Exit::Error as u8);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let e = Error::from_anyhow(e);
            eprintln!("ee: {}", e.message);
            ExitCode::from(e.exit as u8)
        }
    }
}

/// Runs one parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut out = Out::stdout(cli.output);
    let connect = &cli.connect;
    match cli.command {
        Command::Draws(c) => draws::run(c, connect, &mut out).await,
        Command::List(a) => draws::run(draws::DrawsCommand::List(a), connect, &mut out).await,
        Command::Get(a) => draws::run(draws::DrawsCommand::Show(a), connect, &mut out).await,
        Command::Latest(a) => draws::run(draws::DrawsCommand::Latest(a), connect, &mut out).await,
        Command::Stats(a) => draws::run(draws::DrawsCommand::Stats(a), connect, &mut out).await,
        Command::Watch(a) => watch::run(a, connect, &mut out).await,
        Command::Crs(a) => candidate::crs(a, connect, &mut out).await,
        Command::Eligibility(a) => candidate::eligibility(a, connect, &mut out).await,
        Command::Invitation(a) => candidate::invitation(a, connect, &mut out).await,
        Command::InvitationHistory(a) => candidate::invitation_history(a, connect, &mut out).await,
        Command::Pool(a) => pool::run(a, connect, &mut out).await,
        Command::Outlook(a) => outlook::run(a, connect, &mut out).await,
        Command::Categories(c) => categories::run(c, connect, &mut out).await,
        Command::Import(a) => import::import(a, connect, &mut out).await,
        Command::Record(a) => import::record(a, connect, &mut out).await,
        // Both are generated whole, then written as any output is (`ee man | head` is no failure).
        Command::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ee", &mut text);
            out.raw(&text)
        }
        Command::Man => {
            let mut text = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut text)?;
            out.raw(&text)
        }
    }
}
