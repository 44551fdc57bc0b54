//! Configuration from flags and environment variables: Kubernetes sets the environment, a person types flags.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "ee-server",
    version,
    about = "Express Entry rounds of invitations and eligibility, over gRPC"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve gRPC (the default).
    Serve,
    /// Run the database migrations and exit.
    Migrate,
    /// Import an IRCC rounds feed file (ee_rounds_123_en.json) into the database and exit.
    Import {
        /// The feed file.
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

/// A secret from the command line or environment; it never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A number of seconds, fractions allowed.
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{s:?} is not a number of seconds"))
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on for gRPC.
    #[arg(long, env = "EE_LISTEN_ADDR", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,

    /// Database URL: postgres://user@host/db for PostgreSQL, sqlite://PATH (or a plain path) for SQLite.
    #[arg(
        long,
        env = "EE_DATABASE_URL",
        default_value = "sqlite://expressentry.db"
    )]
    pub database_url: String,

    /// Maximum database connections in the pool.
    #[arg(long, env = "EE_DATABASE_POOL_SIZE", default_value_t = 16)]
    pub database_pool_size: u32,

    /// Token that operators send as "authorization: Bearer <token>" to write (RecordDraw, ImportFeed).
    /// Without it, writes are refused.
    #[arg(long, env = "EE_OPERATOR_TOKEN", hide_env_values = true)]
    pub operator_token: Option<Secret>,

    /// Log format; the level comes from RUST_LOG (default "info").
    #[arg(long, env = "EE_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Load the feed snapshot shipped with the server into an empty database at start.
    #[arg(long, env = "EE_LOAD_SNAPSHOT", default_value_t = true, action = clap::ArgAction::Set)]
    pub load_snapshot: bool,

    /// Close client connections after this many seconds, so that clients spread over new replicas (0: never).
    #[arg(long, env = "EE_MAX_CONNECTION_AGE", default_value = "300", value_parser = parse_seconds)]
    pub max_connection_age: Duration,

    /// On SIGTERM or SIGINT, wait at most this many seconds for calls in flight before exiting.
    #[arg(long, env = "EE_SHUTDOWN_TIMEOUT", default_value = "10", value_parser = parse_seconds)]
    pub shutdown_timeout: Duration,

    /// Poll IRCC's rounds feed at this URL and record new and corrected rounds (off when unset), for example
    /// https://www.canada.ca/content/dam/ircc/documents/json/ee_rounds_123_en.json
    #[arg(long, env = "EE_IRCC_FEED_URL")]
    pub ircc_feed_url: Option<String>,

    /// Seconds between polls of IRCC's feed.
    #[arg(long, env = "EE_IRCC_FEED_INTERVAL", default_value = "1800", value_parser = parse_seconds)]
    pub ircc_feed_interval: Duration,

    /// Seconds one request for IRCC's feed may take.
    #[arg(long, env = "EE_IRCC_FEED_TIMEOUT", default_value = "30", value_parser = parse_seconds)]
    pub ircc_feed_timeout: Duration,

    /// Most SubscribeDraws streams this process serves at once; past it, RESOURCE_EXHAUSTED.
    #[arg(long, env = "EE_MAX_SUBSCRIBERS", default_value_t = 20_000)]
    pub max_subscribers: usize,

    /// Most SubscribeDraws streams on one client connection; past it, RESOURCE_EXHAUSTED.
    #[arg(
        long,
        env = "EE_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        default_value_t = 1_000
    )]
    pub max_subscriptions_per_connection: usize,

    /// Seconds between reads of the event log when nothing wakes it (a backstop for lost notifications).
    #[arg(long, env = "EE_EVENT_BACKSTOP_INTERVAL", default_value = "10", value_parser = parse_seconds)]
    pub event_backstop_interval: Duration,
}

impl Settings {
    /// The defaults, as if no flag and no variable were given.
    pub fn defaults() -> Self {
        Cli::parse_from(["ee-server"]).settings
    }
}
