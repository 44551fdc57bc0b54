//! `ee draws list|show|latest|stats`: the history of rounds.

use clap::{Args, Subcommand, ValueEnum};
use ee_proto::v1::{
    self, Draw, GetDrawRequest, GetDrawStatsRequest, GetLatestDrawRequest, ListDrawsRequest,
};

use crate::client::ConnectArgs;
use crate::error::from_status;
// The filter flags are shared with `ee draws watch` and `ee invitation-history`; they live in `crate::filter`.
pub use crate::filter::{FilterArgs, Kind, ProgramArg};
use crate::output::{self, DRAW_CSV, Format, Out, bar, draw_csv, pool_chart, thousands};

#[derive(Subcommand)]
pub enum DrawsCommand {
    /// List rounds, newest first: number, date, round type, invitations, minimum CRS, tie-break.
    #[command(alias = "ls")]
    List(ListArgs),
    /// Show one round, with the pool's CRS distribution as a bar chart.
    #[command(alias = "get")]
    Show(ShowArgs),
    /// Show the latest round matching the filters.
    Latest(LatestArgs),
    /// Figures over the rounds matching the filters, by year (with a chart of the minimum CRS) and by round type.
    Stats(StatsArgs),
    /// Follow new and corrected rounds as they are recorded, resuming where it stopped.
    Watch(crate::watch::WatchArgs),
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// At most this many rounds (the newest).
    #[arg(long, short = 'n', default_value_t = 20, value_parser = at_least_one, conflicts_with = "all")]
    pub limit: u32,
    /// Every matching round.
    #[arg(long)]
    pub all: bool,
}

/// `--limit 0` once printed the server's default page; it is refused instead, naming the flag that lists all.
fn at_least_one(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(0) => Err("give 1 or more; --all lists every matching round".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The round number, for example 252 or 91a.
    pub number: String,
}

#[derive(Args, Debug)]
pub struct LatestArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Year,
    RoundType,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Only this breakdown (both by default).
    #[arg(long, value_enum)]
    pub by: Option<By>,
}

pub async fn run(
    command: DrawsCommand,
    connect: &ConnectArgs,
    out: &mut Out,
) -> anyhow::Result<()> {
    match command {
        DrawsCommand::List(a) => list(a, connect, out).await,
        DrawsCommand::Show(a) => {
            let mut client = connect.draws().await?;
            let draw = client
                .get_draw(GetDrawRequest {
                    number: a.number.trim().to_owned(),
                })
                .await
                .map_err(|s| from_status(&s, "`ee draws list` shows the rounds there are"))?
                .into_inner()
                .draw
                .unwrap_or_default();
            show(&draw, out)
        }
        DrawsCommand::Latest(a) => {
            let mut client = connect.draws().await?;
            let draw = client
                .get_latest_draw(GetLatestDrawRequest {
                    filter: Some(a.filter.to_proto()),
                })
                .await
                .map_err(|s| from_status(&s, "loosen the filters"))?
                .into_inner()
                .draw
                .unwrap_or_default();
            show(&draw, out)
        }
        DrawsCommand::Stats(a) => stats(a, connect, out).await,
        DrawsCommand::Watch(a) => crate::watch::run(a, connect, out).await,
    }
}

const LIST_HEADER: &[&str] = &[
    "round",
    "date",
    "invitations",
    "min CRS",
    "tie-break (UTC)",
    "round type",
];
const LIST_RIGHT: &[bool] = &[true, false, true, true, false, false];

fn list_row(d: &Draw) -> Vec<String> {
    vec![
        d.number.clone(),
        output::day(&d.held_at),
        thousands(d.invitations.into()),
        d.minimum_crs.to_string(),
        output::time(&d.tie_break_at),
        output::round_type(&d.round_type),
    ]
}

async fn list(a: ListArgs, connect: &ConnectArgs, out: &mut Out) -> anyhow::Result<()> {
    let mut client = connect.draws().await?;
    let limit = if a.all { usize::MAX } else { a.limit as usize };
    let filter = a.filter.to_proto();
    let mut draws: Vec<Draw> = Vec::new();
    let mut token = String::new();
    let total = loop {
        let page = client
            .list_draws(ListDrawsRequest {
                page_size: (limit - draws.len()).min(500) as i32,
                page_token: token,
                filter: Some(filter.clone()),
            })
            .await
            .map_err(|s| from_status(&s, ""))?
            .into_inner();
        // Rows go out as pages arrive, so `--all | head` starts at once.
        for d in &page.draws {
            match out.format {
                Format::Json => out.message(d, "Draw")?,
                Format::Csv => out.csv_row(DRAW_CSV, &draw_csv(d))?,
                Format::Table => {}
            }
        }
        draws.extend(page.draws);
        token = page.next_page_token;
        if token.is_empty() || draws.len() >= limit {
            break page.total_size;
        }
    };
    match out.format {
        Format::Csv if draws.is_empty() => out.csv_header_only(DRAW_CSV)?,
        Format::Table => {
            let rows: Vec<Vec<String>> = draws.iter().map(list_row).collect();
            if !rows.is_empty() {
                out.table(LIST_HEADER, LIST_RIGHT, &rows)?;
            }
            let more = if (draws.len() as i64) < i64::from(total) {
                "; --limit N or --all for more"
            } else {
                ""
            };
            let note = format!("{} of {total} matching rounds{more}", draws.len());
            let style = out.style;
            out.line(style.dim(&note))?;
        }
        _ => {}
    }
    Ok(())
}

/// One round: its figures, then the pool's distribution as a chart.
pub fn show(d: &Draw, out: &mut Out) -> anyhow::Result<()> {
    match out.format {
        Format::Json => return out.message(d, "Draw"),
        Format::Csv => return out.csv_row(DRAW_CSV, &draw_csv(d)),
        Format::Table => {}
    }
    let s = out.style;
    out.line(s.bold(&format!("Round {}", d.number)))?;
    let t = d.round_type.clone().unwrap_or_default();
    let rows = [
        ("held at", format!("{} UTC", output::time(&d.held_at))),
        ("round type", output::round_type(&d.round_type)),
        ("kind", output::kind(t.kind).to_owned()),
        ("invitations", thousands(d.invitations.into())),
        ("minimum CRS", d.minimum_crs.to_string()),
        (
            "tie-break",
            if d.tie_break_at.is_some() {
                format!("{} UTC", output::time(&d.tie_break_at))
            } else {
                "none published".to_owned()
            },
        ),
        ("programs", output::programs(&d.eligible_programs)),
    ];
    for (k, v) in rows {
        out.line(format!("  {:<12} {v}", s.dim(k)))?;
    }
    if t.uncatalogued {
        out.line(format!(
            "  {}",
            s.yellow("This round's type is not in the server's catalogue: its rules are unknown.")
        ))?;
    }
    match &d.pool_distribution {
        Some(p) => {
            out.line("")?;
            out.line(s.bold(&format!(
                "Pool on {}: {} profiles",
                output::date(&p.as_of),
                thousands(p.total_candidates)
            )))?;
            pool_chart(out, &p.buckets, d.minimum_crs, " < minimum CRS")?;
        }
        None => out.line(s.dim("  (IRCC published no pool distribution with this round)"))?,
    }
    Ok(())
}

const STATS_CSV: &[&str] = &[
    "group_by",
    "group",
    "draw_count",
    "invitations_total",
    "minimum_crs_lowest",
    "minimum_crs_highest",
    "minimum_crs_mean",
];

fn stats_row(by: &str, group: &str, s: &v1::DrawStats) -> Vec<String> {
    vec![
        by.to_owned(),
        group.to_owned(),
        s.draw_count.to_string(),
        s.invitations_total.to_string(),
        s.minimum_crs_lowest.to_string(),
        s.minimum_crs_highest.to_string(),
        format!("{:.1}", s.minimum_crs_mean),
    ]
}

async fn stats(a: StatsArgs, connect: &ConnectArgs, out: &mut Out) -> anyhow::Result<()> {
    let mut client = connect.draws().await?;
    let r = client
        .get_draw_stats(GetDrawStatsRequest {
            filter: Some(a.filter.to_proto()),
        })
        .await
        .map_err(|s| from_status(&s, ""))?
        .into_inner();
    let years = a.by.is_none_or(|b| b == By::Year);
    let types = a.by.is_none_or(|b| b == By::RoundType);
    let all = v1::DrawStats {
        draw_count: r.draw_count,
        invitations_total: r.invitations_total,
        minimum_crs_lowest: r.minimum_crs_lowest,
        minimum_crs_highest: r.minimum_crs_highest,
        minimum_crs_mean: r.minimum_crs_mean,
    };
    match out.format {
        Format::Json => {
            let mut r = r;
            if !years {
                r.by_year.clear();
            }
            if !types {
                r.by_round_type.clear();
            }
            return out.message(&r, "GetDrawStatsResponse");
        }
        Format::Csv => {
            out.csv_row(STATS_CSV, &stats_row("all", "", &all))?;
            if years {
                for y in &r.by_year {
                    let st = y.stats.unwrap_or_default();
                    out.csv_row(STATS_CSV, &stats_row("year", &y.year.to_string(), &st))?;
                }
            }
            if types {
                for g in &r.by_round_type {
                    let st = g.stats.unwrap_or_default();
                    let name = output::round_type(&g.round_type);
                    out.csv_row(STATS_CSV, &stats_row("round-type", &name, &st))?;
                }
            }
            return Ok(());
        }
        Format::Table => {}
    }
    let s = out.style;
    out.line(format!(
        "{} rounds, {} invitations; minimum CRS {} to {}, mean {:.1}",
        s.bold(&r.draw_count.to_string()),
        s.bold(&thousands(r.invitations_total)),
        r.minimum_crs_lowest,
        r.minimum_crs_highest,
        r.minimum_crs_mean
    ))?;
    let header = ["rounds", "invitations", "CRS low", "high", "mean"];
    let cells = |st: &v1::DrawStats| {
        vec![
            st.draw_count.to_string(),
            thousands(st.invitations_total),
            st.minimum_crs_lowest.to_string(),
            st.minimum_crs_highest.to_string(),
            format!("{:.1}", st.minimum_crs_mean),
        ]
    };
    if years && !r.by_year.is_empty() {
        out.line("")?;
        // The chart shows the mean minimum CRS from a floor just below the lowest year, where the differences
        // between years show; from 0 every bar would look the same.
        let means: Vec<f64> = r
            .by_year
            .iter()
            .map(|y| y.stats.unwrap_or_default().minimum_crs_mean)
            .collect();
        let lowest = means.iter().copied().fold(f64::INFINITY, f64::min);
        let highest = means.iter().copied().fold(0.0, f64::max);
        let floor = ((lowest / 50.0).floor() * 50.0 - 50.0).max(0.0);
        let mut h = vec!["year"];
        h.extend(header);
        h.push("mean minimum CRS");
        let rows: Vec<Vec<String>> = r
            .by_year
            .iter()
            .map(|y| {
                let st = y.stats.unwrap_or_default();
                let mut row = vec![y.year.to_string()];
                row.extend(cells(&st));
                row.push(bar(st.minimum_crs_mean - floor, highest - floor, 30));
                row
            })
            .collect();
        out.table(&h, &[false, true, true, true, true, true, false], &rows)?;
        out.line(s.dim(&format!("(bars start at a CRS of {floor})")))?;
    }
    if types && !r.by_round_type.is_empty() {
        out.line("")?;
        let mut h = header.to_vec();
        h.push("round type");
        let rows: Vec<Vec<String>> = r
            .by_round_type
            .iter()
            .map(|g| {
                let mut row = cells(&g.stats.unwrap_or_default());
                row.push(output::round_type(&g.round_type));
                row
            })
            .collect();
        out.table(&h, &[true, true, true, true, true, false], &rows)?;
    }
    Ok(())
}
