//! The flags: scenarios and sizes, the backends, the output.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::workload::Rpc;

#[derive(Debug, Parser)]
#[command(
    name = "ee-bench",
    version,
    about = "Benchmarks the release ee-server over real gRPC, against a bare tonic server answering as many bytes",
    long_about = "Starts the ee-server binary built next to this one (cargo build --release -p ee-server -p ee-bench) \
on loopback over a temporary SQLite file, and over PostgreSQL when --postgres-url (or EE_TEST_POSTGRES_URL) is \
given, loads it over several gRPC connections and prints a table (or JSON with --json)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The baseline server: a bare tonic server (run by ee-bench itself as a child process).
    #[command(hide = true)]
    BaselineServer {
        #[arg(long)]
        listen: SocketAddr,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Unary reads and rules at each concurrency, against the baseline.
    Unary,
    /// SubscribeDraws subscribers: delivery latency and memory per idle subscriber.
    Fanout,
    /// Two servers on one PostgreSQL database: write on one, receipt on the other (PostgreSQL only).
    Replica,
    /// ImportFeed of the full feed into an empty store, then again unchanged.
    Import,
    /// The reads, memory and fan-out with the history at --growth times its size.
    Growth,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Scenarios to run, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "unary,fanout,replica,import,growth"
    )]
    pub scenario: Vec<Scenario>,

    /// Concurrent requests of the unary scenario, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: Vec<u32>,

    /// Unary RPCs to measure (and, of them, the reads the growth scenario measures), comma-separated; all when
    /// not given.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub rpc: Vec<Rpc>,

    /// Connections the unary requests are spread over (at most one a request).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub connections: u32,

    /// Seconds each unary measurement lasts (after a warm-up of a fifth of it).
    #[arg(long, default_value = "0.5", value_parser = parse_seconds)]
    pub duration: Duration,

    /// Repeats of each measurement; the figures are the medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeats: u32,

    /// Subscriber counts of the fan-out scenario, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000", value_parser = clap::value_parser!(u32).range(1..=200_000))]
    pub subscribers: Vec<u32>,

    /// Rounds recorded in each fan-out measurement.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rounds: u32,

    /// History sizes of the growth scenario, as multiples of the shipped history, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10,100", value_parser = clap::value_parser!(u32).range(2..=200))]
    pub growth: Vec<u32>,

    /// Subscriber counts of the growth scenario's fan-out, over the largest history, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,20000", value_parser = clap::value_parser!(u32).range(1..=200_000))]
    pub growth_subscribers: Vec<u32>,

    /// Writes of the cross-replica scenario.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replica_writes: u32,

    /// Also run on PostgreSQL: a server URL (postgres://user@host:port/db) on which ee-bench creates a database of
    /// its own, ee_bench_<time>_<pid>, and drops it afterwards.
    #[arg(long, env = "EE_TEST_POSTGRES_URL")]
    pub postgres_url: Option<String>,

    /// Do not run on SQLite (only with --postgres-url).
    #[arg(long, requires = "postgres_url")]
    pub no_sqlite: bool,

    /// The ee-server binary (default: the one next to this executable).
    #[arg(long, env = "EE_BENCH_SERVER")]
    pub server: Option<PathBuf>,

    /// RUST_LOG of the servers under test: the default, info, logs every call as a deployed server does.
    #[arg(long, default_value = "info")]
    pub server_log: String,

    /// Print the figures as JSON on standard output instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json_file: Option<PathBuf>,

    /// Every scenario tiny (a second or less each, small counts): fails on any RPC error or missed delivery,
    /// never on speed. Overrides the sizes.
    #[arg(long)]
    pub smoke: bool,
}

impl RunArgs {
    /// The sizes `--smoke` runs with.
    pub fn smoke_sized(mut self) -> Self {
        self.concurrency = vec![1, 4];
        self.connections = 2;
        self.duration = Duration::from_millis(150);
        self.repeats = 1;
        self.subscribers = vec![50];
        self.rounds = 2;
        self.growth = vec![2];
        self.growth_subscribers = vec![50];
        self.replica_writes = 3;
        self
    }
}

/// A number of seconds, fractions allowed, from a millisecond to an hour.
fn parse_seconds(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| (0.001..=3600.0).contains(v))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{s:?} is not a number of seconds from 0.001 to 3600"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The command line alone, whatever the environment (EE_TEST_POSTGRES_URL) holds.
    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Cli::command()
            .mut_args(|arg| arg.env(None::<&str>))
            .try_get_matches_from(args)?;
        Cli::from_arg_matches(&matches)
    }

    #[test]
    fn bad_flags_are_clap_errors() {
        for args in [
            vec!["ee-bench", "--scenario", "nope"],
            vec!["ee-bench", "--concurrency", "0"],
            vec!["ee-bench", "--concurrency", "1,x"],
            vec!["ee-bench", "--duration", "-1"],
            vec!["ee-bench", "--duration", "NaN"],
            vec!["ee-bench", "--growth", "1"],
            vec!["ee-bench", "--no-sqlite"],
            vec!["ee-bench", "--rpc", "GetEverything"],
        ] {
            assert!(parse(&args).is_err(), "{args:?} parsed");
        }
    }

    #[test]
    fn the_defaults_parse() {
        let cli = parse(&["ee-bench", "--scenario", "unary,import"]).expect("parse");
        assert_eq!(cli.run.scenario, [Scenario::Unary, Scenario::Import]);
        assert_eq!(cli.run.concurrency, [1, 16, 64]);
        assert_eq!(cli.run.duration, Duration::from_millis(500));
        assert!(cli.run.rpc.is_empty(), "every RPC");
        let cli = parse(&["ee-bench", "--rpc", "get-draw,list-draws"]).expect("parse");
        assert_eq!(cli.run.rpc, [Rpc::GetDraw, Rpc::ListDraws]);
    }
}
