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

impl Cli {
    /// Reads the command line and the environment; `--help` lists the options grouped by heading. Options may come
    /// before or after the subcommand.
    pub fn parse_grouped() -> Self {
        use clap::FromArgMatches;
        let matches = Self::command_grouped().get_matches();
        Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }

    /// The command with each option under its heading, chosen by the option's name ([`heading`]), so that an
    /// option added later finds its group without an edit to each declaration.
    pub fn command_grouped() -> clap::Command {
        use clap::CommandFactory;
        Self::command().mut_args(|arg| match heading(arg.get_id().as_str()) {
            Some(heading) => arg.help_heading(heading),
            None => arg,
        })
    }
}

/// The `--help` heading of an option, by its name.
fn heading(id: &str) -> Option<&'static str> {
    let heading = match id {
        "help" | "version" => return None,
        _ if id.starts_with("database") || id == "migrate" || id == "load_snapshot" => "Database",
        _ if id.starts_with("ircc_feed") || id == "rules_dir" => "Feed and rules",
        _ if id.contains("subscri") || id.starts_with("event_") => "Live events",
        _ if id.starts_with("tls") => "TLS",
        _ if id.starts_with("metrics") || id.starts_with("log") || id.starts_with("trac") => {
            "Metrics and logs"
        }
        _ => "Server",
    };
    Some(heading)
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
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
        .filter(|d| d.as_secs() <= 10 * 365 * 24 * 3600)
        .ok_or_else(|| format!("{s:?} is not a number of seconds from 0 to ten years"))
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on for gRPC.
    #[arg(
        long,
        global = true,
        env = "EE_LISTEN_ADDR",
        default_value = "127.0.0.1:50051"
    )]
    pub listen: SocketAddr,

    /// Database URL: postgres://user@host/db for PostgreSQL, sqlite://PATH (or a plain path) for SQLite.
    #[arg(
        long,
        global = true,
        env = "EE_DATABASE_URL",
        default_value = "sqlite://expressentry.db"
    )]
    pub database_url: String,

    /// A file holding the database URL (a mounted Kubernetes secret, say), so that its password is in no
    /// environment variable; surrounding white space is ignored. Give the URL or the file, not both.
    #[arg(
        long,
        global = true,
        env = "EE_DATABASE_URL_FILE",
        conflicts_with = "database_url"
    )]
    pub database_url_file: Option<PathBuf>,

    /// Run the database migrations at start. With false, `serve` and `import` run none and refuse to start while
    /// the database is behind this release (run `ee-server migrate` first, as the Kubernetes Job does); `migrate`
    /// always migrates.
    #[arg(long, global = true, env = "EE_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate: bool,

    /// Seconds to wait for a database connection (opening one, or a free one from the pool) before a call fails
    /// with UNAVAILABLE; also the bound of the database checks behind readiness.
    #[arg(long, global = true, env = "EE_DATABASE_CONNECT_TIMEOUT", default_value = "2", value_parser = parse_seconds)]
    pub database_connect_timeout: Duration,

    /// Seconds between checks that the database answers; readiness is NOT_SERVING while it does not.
    #[arg(long, global = true, env = "EE_DATABASE_CHECK_INTERVAL", default_value = "5", value_parser = parse_seconds)]
    pub database_check_interval: Duration,

    /// Maximum database connections in the pool.
    #[arg(
        long,
        global = true,
        env = "EE_DATABASE_POOL_SIZE",
        default_value_t = 16
    )]
    pub database_pool_size: u32,

    /// Token that operators send as "authorization: Bearer <token>" to write (RecordDraw, ImportFeed).
    /// Without it, writes are refused.
    #[arg(long, global = true, env = "EE_OPERATOR_TOKEN", hide_env_values = true)]
    pub operator_token: Option<Secret>,

    /// A file holding the operator token (a mounted Kubernetes secret, say); surrounding white space is ignored.
    /// Give the token or the file, not both.
    #[arg(
        long,
        global = true,
        env = "EE_OPERATOR_TOKEN_FILE",
        conflicts_with = "operator_token"
    )]
    pub operator_token_file: Option<PathBuf>,

    /// Log format; the level comes from RUST_LOG (default "info").
    #[arg(
        long,
        global = true,
        env = "EE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// Load the feed snapshot shipped with the server into an empty database at start.
    #[arg(long, global = true, env = "EE_LOAD_SNAPSHOT", default_value_t = true, action = clap::ArgAction::Set)]
    pub load_snapshot: bool,

    /// Close client connections after this many seconds, so that clients spread over new replicas (0: never).
    #[arg(long, global = true, env = "EE_MAX_CONNECTION_AGE", default_value = "300", value_parser = parse_seconds)]
    pub max_connection_age: Duration,

    /// Seconds a client connection may stay open past its maximum age for the calls on it to finish.
    #[arg(long, global = true, env = "EE_MAX_CONNECTION_AGE_GRACE", default_value = "30", value_parser = parse_seconds)]
    pub max_connection_age_grace: Duration,

    /// Seconds between HTTP/2 pings on an idle connection, so that dead peers and half-open connections are found
    /// (0: no pings).
    #[arg(long, global = true, env = "EE_HTTP2_KEEPALIVE_INTERVAL", default_value = "30", value_parser = parse_seconds)]
    pub http2_keepalive_interval: Duration,

    /// Seconds to wait for the answer to a ping before the connection is closed.
    #[arg(long, global = true, env = "EE_HTTP2_KEEPALIVE_TIMEOUT", default_value = "10", value_parser = parse_seconds)]
    pub http2_keepalive_timeout: Duration,

    /// Seconds a unary call may take before it answers DEADLINE_EXCEEDED (0: no limit from the server; a client's
    /// own deadline still applies). Streams have no deadline.
    #[arg(long, global = true, env = "EE_CALL_TIMEOUT", default_value = "30", value_parser = parse_seconds)]
    pub call_timeout: Duration,

    /// Largest request message accepted, in bytes; a larger one is RESOURCE_EXHAUSTED. IRCC's whole feed is
    /// about 700 kB.
    #[arg(
        long,
        global = true,
        env = "EE_MAX_REQUEST_BYTES",
        default_value_t = 4 * 1024 * 1024,
        value_parser = clap::value_parser!(u32).range(1024..=(256 * 1024 * 1024))
    )]
    pub max_request_bytes: u32,

    /// Seconds a subscription ended by shutdown has to deliver its UNAVAILABLE status before its connection is
    /// closed: shutdown waits for unary calls in flight (up to --shutdown-timeout), then this long, not for streams
    /// whose client stopped reading.
    #[arg(long, global = true, env = "EE_STREAM_DRAIN_TIMEOUT", default_value = "0.5", value_parser = parse_seconds)]
    pub stream_drain_timeout: Duration,

    /// Seconds a new connection has to open HTTP/2 before it is closed (so that silent connections do not pile up).
    #[arg(long, global = true, env = "EE_HANDSHAKE_TIMEOUT", default_value = "5", value_parser = parse_seconds)]
    pub handshake_timeout: Duration,

    /// On SIGTERM or SIGINT, wait at most this many seconds for unary calls in flight before exiting (streams are
    /// ended at once with UNAVAILABLE and are not waited for).
    #[arg(long, global = true, env = "EE_SHUTDOWN_TIMEOUT", default_value = "10", value_parser = parse_seconds)]
    pub shutdown_timeout: Duration,

    /// Poll IRCC's rounds feed at this URL and record new and corrected rounds (off when unset), for example
    /// https://www.canada.ca/content/dam/ircc/documents/json/ee_rounds_123_en.json
    #[arg(long, global = true, env = "EE_IRCC_FEED_URL")]
    pub ircc_feed_url: Option<String>,

    /// Seconds between polls of IRCC's feed.
    #[arg(long, global = true, env = "EE_IRCC_FEED_INTERVAL", default_value = "1800", value_parser = parse_seconds)]
    pub ircc_feed_interval: Duration,

    /// Seconds one request for IRCC's feed may take.
    #[arg(long, global = true, env = "EE_IRCC_FEED_TIMEOUT", default_value = "30", value_parser = parse_seconds)]
    pub ircc_feed_timeout: Duration,

    /// Most SubscribeDraws streams this process serves at once; past it, RESOURCE_EXHAUSTED.
    #[arg(
        long,
        global = true,
        env = "EE_MAX_SUBSCRIBERS",
        default_value_t = 20_000
    )]
    pub max_subscribers: usize,

    /// Most SubscribeDraws streams on one client connection; past it, RESOURCE_EXHAUSTED.
    #[arg(
        long,
        global = true,
        env = "EE_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        default_value_t = 1_000
    )]
    pub max_subscriptions_per_connection: usize,

    /// A directory of rule data files (categories.json, crs.json, programs.json, language-tests.json,
    /// round-names.json) that replace the shipped ones; a file it lacks is taken from the shipped data. Every file
    /// is checked at start: a mistake stops the server, naming the file and the path in it.
    #[arg(long, global = true, env = "EE_RULES_DIR")]
    pub rules_dir: Option<PathBuf>,

    /// Serve Prometheus metrics at http://ADDR/metrics (off when unset), for example 0.0.0.0:9090.
    #[arg(long, global = true, env = "EE_METRICS_ADDR", help_heading = "Metrics")]
    pub metrics_addr: Option<SocketAddr>,

    /// Serve grpc.health.v1 alone, in plaintext, on this address too (off when unset): for probes that cannot
    /// speak TLS, such as the kubelet's gRPC probes. Same statuses as the main port.
    #[arg(long, global = true, env = "EE_HEALTH_ADDR")]
    pub health_addr: Option<SocketAddr>,

    /// Serve gRPC over TLS with this PEM certificate chain (with --tls-key); reloaded on SIGHUP and when it changes.
    #[arg(
        long,
        global = true,
        env = "EE_TLS_CERT",
        requires = "tls_key",
        help_heading = "TLS"
    )]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert.
    #[arg(
        long,
        global = true,
        env = "EE_TLS_KEY",
        requires = "tls_cert",
        help_heading = "TLS"
    )]
    pub tls_key: Option<PathBuf>,

    /// Require client certificates signed by a CA in this PEM file (needs --tls-cert).
    #[arg(
        long,
        global = true,
        env = "EE_TLS_CLIENT_CA",
        requires = "tls_cert",
        help_heading = "TLS"
    )]
    pub tls_client_ca: Option<PathBuf>,

    /// Seconds between checks of the TLS files for a change (a rotated Kubernetes secret).
    #[arg(long, global = true, env = "EE_TLS_RELOAD_INTERVAL", default_value = "10", value_parser = parse_seconds, help_heading = "TLS")]
    pub tls_reload_interval: Duration,

    /// Seconds between reads of the event log when nothing wakes it (a backstop for lost notifications).
    #[arg(long, global = true, env = "EE_EVENT_BACKSTOP_INTERVAL", default_value = "10", value_parser = parse_seconds)]
    pub event_backstop_interval: Duration,
}

impl Settings {
    /// The defaults, as if no flag and no variable were given.
    pub fn defaults() -> Self {
        Cli::parse_from(["ee-server"]).settings
    }

    /// The defaults, ignoring every `EE_*` variable: for tests, which must not pick up a developer's shell.
    pub fn without_environment() -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Cli::command()
            .mut_args(|arg| arg.env(None::<&str>))
            .try_get_matches_from(["ee-server"])
            .expect("the defaults parse");
        Cli::from_arg_matches(&matches)
            .expect("the defaults parse")
            .settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_help_groups_the_options_by_heading() {
        let mut command = Cli::command_grouped();
        command.build();
        let serve = command
            .find_subcommand_mut("serve")
            .expect("a serve subcommand");
        let help = serve.render_help().to_string();
        let at = |needle: &str| {
            help.find(needle)
                .unwrap_or_else(|| panic!("{needle:?} is not in serve --help:\n{help}"))
        };
        let server = at("\nServer:\n");
        let database = at("\nDatabase:\n");
        let feed = at("\nFeed and rules:\n");
        let live = at("\nLive events:\n");
        let logs = at("\nMetrics and logs:\n");
        let in_group = |option: &str, start: usize| {
            let position = at(option);
            let next = [server, database, feed, live, logs]
                .into_iter()
                .filter(|&h| h > start)
                .min()
                .unwrap_or(help.len());
            assert!(
                (start..next).contains(&position),
                "{option} is not under its heading:\n{help}"
            );
        };
        in_group("--listen", server);
        in_group("--shutdown-timeout", server);
        in_group("--database-url-file", database);
        in_group("--migrate", database);
        in_group("--ircc-feed-url", feed);
        in_group("--max-subscribers", live);
        in_group("--log-format", logs);
    }

    #[test]
    fn options_are_read_before_and_after_the_subcommand() {
        use clap::FromArgMatches;
        for args in [
            ["ee-server", "serve", "--listen", "127.0.0.1:50077"],
            ["ee-server", "--listen", "127.0.0.1:50077", "serve"],
        ] {
            let matches = Cli::command_grouped()
                .mut_args(|arg| arg.env(None::<&str>))
                .try_get_matches_from(args)
                .unwrap_or_else(|e| panic!("{args:?}: {e}"));
            let cli = Cli::from_arg_matches(&matches).expect("settings");
            assert!(matches!(cli.command, Some(Command::Serve)), "{args:?}");
            assert_eq!(
                cli.settings.listen,
                "127.0.0.1:50077".parse().expect("address")
            );
        }
    }

    #[test]
    fn the_database_url_and_its_file_are_not_taken_together() {
        let err = Cli::command_grouped()
            .mut_args(|arg| arg.env(None::<&str>))
            .try_get_matches_from([
                "ee-server",
                "--database-url",
                "sqlite://a.db",
                "--database-url-file",
                "/run/secrets/url",
            ])
            .expect_err("both given");
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    /// The check runs in a child process of this test binary, started with `EE_*` variables set: the variables of
    /// this process cannot be changed without unsafe code, which the workspace forbids.
    #[test]
    fn without_environment_ignores_ee_variables() {
        const CHILD: &str = "EE_SERVER_CONFIG_TEST_CHILD";
        const FEED: &str = "http://feed.invalid/ee_rounds_123_en.json";
        if std::env::var_os(CHILD).is_some() {
            let read = Settings::defaults();
            assert_eq!(
                read.ircc_feed_url.as_deref(),
                Some(FEED),
                "the variables reached the child"
            );
            assert!(!read.load_snapshot);
            let ignored = Settings::without_environment();
            assert_eq!(ignored.ircc_feed_url, None);
            assert!(ignored.load_snapshot);
            assert!(ignored.operator_token.is_none());
            assert_eq!(ignored.database_url, "sqlite://expressentry.db");
            assert_eq!(ignored.listen, "127.0.0.1:50051".parse().expect("address"));
            assert_eq!(ignored.max_subscribers, 20_000);
            assert_eq!(ignored.ircc_feed_interval, Duration::from_secs(1800));
            return;
        }
        let name = "config::tests::without_environment_ignores_ee_variables";
        let out = std::process::Command::new(std::env::current_exe().expect("this test binary"))
            .args(["--exact", name, "--test-threads=1"])
            .env(CHILD, "1")
            .env("EE_IRCC_FEED_URL", FEED)
            .env("EE_LOAD_SNAPSHOT", "false")
            .env("EE_OPERATOR_TOKEN", "from-the-shell")
            .env("EE_DATABASE_URL", "postgres://db.invalid/expressentry")
            .env("EE_LISTEN_ADDR", "0.0.0.0:1")
            .env("EE_MAX_SUBSCRIBERS", "7")
            .env("EE_IRCC_FEED_INTERVAL", "5")
            .output()
            .expect("run this test binary again");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("test result: ok. 1 passed"),
            "the child run of {name} failed or did not run it:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
