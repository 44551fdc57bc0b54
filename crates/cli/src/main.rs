//! `ee`: a command-line client for the Express Entry gRPC service.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::{
    Draw, DrawFilter, GetDrawRequest, GetDrawStatsRequest, GetLatestDrawRequest, ImportFeedRequest,
    ListDrawsRequest, Program, RoundKind,
};
use tonic::Request;
use tonic::transport::Channel;

#[derive(Parser)]
#[command(
    name = "ee",
    version,
    about = "Express Entry rounds of invitations, from an ee-server"
)]
struct Cli {
    /// The server's address.
    #[arg(
        long,
        env = "EE_SERVER",
        default_value = "http://127.0.0.1:50051",
        global = true
    )]
    server: String,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List rounds, newest first.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// At most this many rounds.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Show one round.
    Get { number: String },
    /// Show the latest round matching the filter.
    Latest {
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Statistics over the rounds matching the filter.
    Stats {
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Import an IRCC feed file (ee_rounds_123_en.json). Needs the operator token.
    Import {
        file: std::path::PathBuf,
        #[arg(long, env = "EE_OPERATOR_TOKEN", hide_env_values = true)]
        token: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    General,
    Program,
    Category,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProgramArg {
    Cec,
    Pnp,
    Fsw,
    Fst,
}

#[derive(Args)]
struct FilterArgs {
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    #[arg(long, value_enum)]
    program: Option<ProgramArg>,
    /// A category id such as healthcare, stem, french.
    #[arg(long)]
    category: Option<String>,
    /// A category version; needs --category.
    #[arg(long)]
    version: Option<u32>,
    /// Rounds held on or after this date (YYYY-MM-DD, UTC).
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Rounds held before this date (YYYY-MM-DD, UTC).
    #[arg(long)]
    until: Option<NaiveDate>,
}

impl FilterArgs {
    fn to_proto(&self) -> DrawFilter {
        let ts = |d: NaiveDate| {
            ee_proto::convert::timestamp(d.and_time(chrono::NaiveTime::MIN).and_utc())
        };
        DrawFilter {
            kind: self.kind.map_or(RoundKind::Unspecified, |k| match k {
                Kind::General => RoundKind::General,
                Kind::Program => RoundKind::Program,
                Kind::Category => RoundKind::Category,
            }) as i32,
            program: self.program.map_or(Program::Unspecified, |p| match p {
                ProgramArg::Cec => Program::Cec,
                ProgramArg::Pnp => Program::Pnp,
                ProgramArg::Fsw => Program::Fsw,
                ProgramArg::Fst => Program::Fst,
            }) as i32,
            category_id: self.category.clone().unwrap_or_default(),
            category_version: self.version.unwrap_or(0),
            held_after: self.from.map(ts),
            held_before: self.until.map(ts),
        }
    }
}

fn time(t: &Option<prost_types::Timestamp>) -> String {
    t.as_ref()
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, 0))
        .map_or_else(
            || "-".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
}

fn line(d: &Draw) -> String {
    let name = d.round_type.as_ref().map_or(String::new(), |t| {
        if t.uncatalogued {
            format!("{} [not in the server's catalogue]", t.name)
        } else {
            t.name.clone()
        }
    });
    format!(
        "{:>5}  {}  {:>6}  {:>4}  {:<19}  {}",
        d.number,
        time(&d.held_at),
        d.invitations,
        d.minimum_crs,
        time(&d.tie_break_at),
        name
    )
}

const HEADER: &str = "round  held at (UTC)        invit.   CRS  tie-break (UTC)      round type";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<tonic::Status>() {
                Some(s) => eprintln!("ee: {:?}: {}", s.code(), s.message()),
                None => eprintln!("ee: {e:#}"),
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let channel = Channel::from_shared(cli.server.clone())?
        .connect()
        .await
        .with_context(|| format!("cannot connect to {}", cli.server))?;
    let mut client = DrawServiceClient::new(channel);
    match cli.command {
        Cmd::List { filter, limit } => {
            let mut token = String::new();
            let mut shown = 0;
            loop {
                let page = client
                    .list_draws(ListDrawsRequest {
                        page_size: limit.saturating_sub(shown).min(500) as i32,
                        page_token: token,
                        filter: Some(filter.to_proto()),
                    })
                    .await?
                    .into_inner();
                if shown == 0 {
                    println!("{HEADER}");
                }
                for d in &page.draws {
                    println!("{}", line(d));
                }
                shown += page.draws.len();
                token = page.next_page_token;
                if token.is_empty() || shown >= limit {
                    println!("({shown} of {} matching rounds)", page.total_size);
                    break;
                }
            }
        }
        Cmd::Get { number } => {
            let d = client
                .get_draw(GetDrawRequest { number })
                .await?
                .into_inner()
                .draw;
            println!("{HEADER}\n{}", line(&d.context("no draw in the response")?));
        }
        Cmd::Latest { filter } => {
            let d = client
                .get_latest_draw(GetLatestDrawRequest {
                    filter: Some(filter.to_proto()),
                })
                .await?
                .into_inner()
                .draw;
            println!("{HEADER}\n{}", line(&d.context("no draw in the response")?));
        }
        Cmd::Stats { filter } => {
            let s = client
                .get_draw_stats(GetDrawStatsRequest {
                    filter: Some(filter.to_proto()),
                })
                .await?
                .into_inner();
            println!(
                "{} rounds, {} invitations, minimum CRS {}..{} (mean {:.1})",
                s.draw_count,
                s.invitations_total,
                s.minimum_crs_lowest,
                s.minimum_crs_highest,
                s.minimum_crs_mean
            );
            println!("\nyear  rounds  invitations  CRS low  high   mean");
            for y in &s.by_year {
                let st = y.stats.unwrap_or_default();
                println!(
                    "{}  {:>6}  {:>11}  {:>7}  {:>4}  {:>5.1}",
                    y.year,
                    st.draw_count,
                    st.invitations_total,
                    st.minimum_crs_lowest,
                    st.minimum_crs_highest,
                    st.minimum_crs_mean
                );
            }
            println!("\nrounds  invitations  CRS low  high   mean  round type");
            for g in &s.by_round_type {
                let st = g.stats.unwrap_or_default();
                println!(
                    "{:>6}  {:>11}  {:>7}  {:>4}  {:>5.1}  {}",
                    st.draw_count,
                    st.invitations_total,
                    st.minimum_crs_lowest,
                    st.minimum_crs_highest,
                    st.minimum_crs_mean,
                    g.round_type.as_ref().map_or("", |t| t.name.as_str())
                );
            }
        }
        Cmd::Import { file, token } => {
            let feed_json =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mut req = Request::new(ImportFeedRequest { feed_json });
            req.metadata_mut()
                .insert("authorization", format!("Bearer {token}").parse()?);
            let r = client.import_feed(req).await?.into_inner();
            println!(
                "{} created, {} updated, {} unchanged, {} of a type the server's catalogue does not know, {} duplicates dropped",
                r.created, r.updated, r.unchanged, r.uncatalogued, r.duplicates_dropped
            );
        }
    }
    Ok(())
}
