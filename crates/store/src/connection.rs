//! One connection type over both backends, chosen by the database URL, and its pool.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};

use crate::StoreError;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    /// A file path, or `:memory:`.
    Sqlite(String),
}

impl DatabaseUrl {
    /// `postgres://` and `postgresql://` are PostgreSQL; `sqlite://PATH`, `sqlite:PATH` and a plain path (without '=')
    /// are SQLite.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            if let Some(mode) = ssl_mode(url).filter(|m| TLS_MODES.contains(m)) {
                return Err(StoreError::Config(format!(
                    "sslmode={mode} cannot be served by this build: its PostgreSQL pool uses libpq built in \
                     without TLS (so that the binary needs no system TLS library); reach the database over a \
                     private network with sslmode=disable or prefer (deploy/README.md, \"TLS\")"
                )));
            }
            return Ok(Self::Postgres(url.to_owned()));
        }
        let prefixed = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"));
        if prefixed.is_none() && url.contains('=') {
            // Not quoted back: a libpq key=value string may hold a password.
            return Err(StoreError::Config(
                "the database URL has no scheme and looks like a libpq key=value connection string: give                  postgres://USER@HOST:PORT/DATABASE, or sqlite://PATH for a SQLite file whose name has '='"
                    .into(),
            ));
        }
        let path = prefixed.unwrap_or(url);
        if path.is_empty() {
            return Err(StoreError::Config("the database URL is empty".into()));
        }
        if let Some((scheme, _)) = path.split_once("://") {
            return Err(StoreError::Config(format!(
                "unsupported database URL scheme {scheme:?}: use postgres://... or sqlite://PATH"
            )));
        }
        Ok(Self::Sqlite(path.to_owned()))
    }
}

/// The `sslmode` values that need TLS; libpq without TLS support cannot connect with them.
const TLS_MODES: [&str; 3] = ["require", "verify-ca", "verify-full"];

/// The `sslmode` a PostgreSQL URL asks for, if it names one.
fn ssl_mode(url: &str) -> Option<&str> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("sslmode="))
        .next_back()
}

/// A message about `url` with the URL's password, if it has one, replaced by `***` (in its written and its
/// percent-decoded forms), so that no log line carries it.
pub fn without_password(url: &str, message: &str) -> String {
    let Some(rest) = url.split_once("://").map(|(_, rest)| rest) else {
        return message.to_owned();
    };
    let userinfo = rest.split(['/', '?']).next().unwrap_or_default();
    let Some((_, password)) = userinfo
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
    else {
        return message.to_owned();
    };
    if password.is_empty() {
        return message.to_owned();
    }
    let mut decoded = Vec::new();
    let bytes = password.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                decoded.push(b);
                i += 3;
            }
            (b, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    let decoded = String::from_utf8_lossy(&decoded).into_owned();
    message.replace(password, "***").replace(&decoded, "***")
}

/// Opens connections of the backend the URL names; a connection error is reported as it is, without a password.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn establish(&self) -> Result<DbConnection, StoreError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                // libpq's messages run over several lines; a log line is one line.
                .map_err(|e| {
                    let message = e
                        .to_string()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    StoreError::Connect(without_password(url, &message))
                }),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)
                    .map_err(|e| StoreError::Connect(format!("{path}: {e}")))?;
                // WAL lets readers go on while one writer writes; the busy timeout waits out a writer.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                )
                .map_err(|e| StoreError::Connect(format!("{path}: {e}")))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<DbConnection, StoreError> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(|_| ())
            .map_err(StoreError::from)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// The URL with libpq's `connect_timeout` (whole seconds, at least 2) unless it names one already.
fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let seconds = timeout.as_secs().max(2);
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}connect_timeout={seconds}")
}

pub fn pool(
    url: DatabaseUrl,
    max_size: u32,
    connect_timeout: Duration,
) -> Result<Pool, StoreError> {
    let url = match url {
        DatabaseUrl::Postgres(u) => {
            DatabaseUrl::Postgres(with_connect_timeout(&u, connect_timeout))
        }
        sqlite => sqlite,
    };
    let max_size = if matches!(&url, DatabaseUrl::Sqlite(p) if p == ":memory:") {
        1
    } else {
        max_size.max(1)
    };
    let manager = Manager::new(url);
    // Connect once first, so that a wrong URL is reported with the database's own message.
    manager.establish()?;
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(connect_timeout.max(Duration::from_millis(100)))
        .build(manager)
        .map_err(|e| StoreError::Connect(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_asking_for_tls_are_refused_naming_the_limitation() {
        for mode in TLS_MODES {
            let url =
                format!("postgres://app:secret@db.internal/ee?connect_timeout=3&sslmode={mode}");
            let err = DatabaseUrl::parse(&url).expect_err(mode).to_string();
            assert!(
                err.contains(&format!("sslmode={mode}")) && err.contains("without TLS"),
                "{err}"
            );
            assert!(!err.contains("secret"), "{err}");
        }
        for url in [
            "postgres://db/ee?sslmode=disable",
            "postgres://db/ee?sslmode=prefer",
            "postgres://db/ee",
        ] {
            assert!(
                matches!(DatabaseUrl::parse(url), Ok(DatabaseUrl::Postgres(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn a_libpq_key_value_string_is_refused_without_being_quoted() {
        let err = DatabaseUrl::parse("host=127.0.0.1 port=5432 password=topsecret")
            .expect_err("no scheme")
            .to_string();
        assert!(err.contains("key=value"), "{err}");
        assert!(!err.contains("topsecret"), "{err}");
        assert!(matches!(
            DatabaseUrl::parse("sqlite://a=b.db"),
            Ok(DatabaseUrl::Sqlite(p)) if p == "a=b.db"
        ));
        assert!(matches!(
            DatabaseUrl::parse("data/ee.db"),
            Ok(DatabaseUrl::Sqlite(p)) if p == "data/ee.db"
        ));
    }

    #[test]
    fn passwords_are_taken_out_of_messages() {
        let url = "postgres://app:p%40ss@db.internal:5432/ee";
        let msg = format!("invalid connection string {url}; password p@ss rejected");
        let clean = without_password(url, &msg);
        assert!(
            !clean.contains("p%40ss") && !clean.contains("p@ss"),
            "{clean}"
        );
        assert_eq!(without_password("postgres://app@db/ee", "x"), "x");
        assert_eq!(without_password("sqlite://file.db", "x"), "x");
    }

    #[test]
    fn a_malformed_url_is_reported_without_its_password() {
        let err = match Manager::new(DatabaseUrl::Postgres(
            "postgres://app:hunter2@[::1/nope".into(),
        ))
        .establish()
        {
            Ok(_) => panic!("a malformed URL connected"),
            Err(e) => e.to_string(),
        };
        assert!(!err.contains("hunter2"), "{err}");
    }
}
