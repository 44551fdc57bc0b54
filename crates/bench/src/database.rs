//! A database of its own for each server group: a SQLite file in a temporary directory, or a PostgreSQL database
//! `ee_bench_<unix seconds>_<pid>_<n>` created on the server the bench was given and dropped afterwards, so that
//! nothing of other users of that server (the shared `test` database) is touched.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use tokio_postgres::NoTls;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
}

const POSTGRES_PREFIX: &str = "ee_bench_";
/// A database of an earlier run older than this is a leftover (a run killed before it could drop it).
const STALE_AFTER: Duration = Duration::from_secs(6 * 3600);

pub enum Database {
    Sqlite {
        url: String,
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
        admin_url: String,
        name: String,
    },
}

impl Database {
    pub async fn create(backend: Backend, postgres_url: Option<&str>) -> anyhow::Result<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("ee-bench-")
                    .tempdir()
                    .context("cannot create a temporary directory")?;
                let path = dir.path().join("expressentry.db");
                Ok(Self::Sqlite {
                    url: format!("sqlite://{}", path.display()),
                    _dir: dir,
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_url.context("PostgreSQL needs --postgres-url")?;
                static N: AtomicU32 = AtomicU32::new(0);
                let name = format!(
                    "{POSTGRES_PREFIX}{}_{}_{}",
                    unix_seconds(),
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                );
                let admin = connect(admin_url).await?;
                sweep(&admin).await;
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .with_context(|| format!("cannot create the database {name} at {admin_url}"))?;
                Ok(Self::Postgres {
                    url: with_database(admin_url, &name)?,
                    admin_url: admin_url.to_owned(),
                    name,
                })
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } | Self::Postgres { url, .. } => url,
        }
    }

    /// Drops a PostgreSQL database (its servers must have been stopped or are cut off); a SQLite file goes with
    /// its directory.
    pub async fn remove(self) -> anyhow::Result<()> {
        if let Self::Postgres {
            admin_url, name, ..
        } = self
        {
            let admin = connect(&admin_url).await?;
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .with_context(|| format!("cannot drop the database {name}"))?;
        }
        Ok(())
    }
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .with_context(|| format!("cannot connect to PostgreSQL at {url}"))?;
    tokio::spawn(connection);
    Ok(client)
}

/// Drops the bench databases that runs killed halfway left behind; a failure is reported, not fatal.
async fn sweep(admin: &tokio_postgres::Client) {
    let rows = match admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'ee\\_bench\\_%'",
            &[],
        )
        .await
    {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("ee-bench: cannot list leftover bench databases: {e}");
            return;
        }
    };
    let now = unix_seconds();
    for row in rows {
        let name: String = row.get(0);
        let created = name
            .strip_prefix(POSTGRES_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|s| s.parse::<u64>().ok());
        let stale = created.is_some_and(|t| now.saturating_sub(t) > STALE_AFTER.as_secs());
        let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if stale
            && plain
            && let Err(e) = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
        {
            eprintln!("ee-bench: cannot drop the leftover database {name}: {e}");
        }
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `url` with its database name replaced by `name`, keeping any query string.
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let host_start = base
        .find("://")
        .map(|i| i + 3)
        .with_context(|| format!("{url:?} is not a postgres:// URL"))?;
    let base = match base[host_start..].find('/') {
        Some(slash) => &base[..host_start + slash],
        None => base,
    };
    Ok(match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced() {
        let url = |u| with_database(u, "ee_bench_1_2_3").expect("url");
        assert_eq!(
            url("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/ee_bench_1_2_3"
        );
        assert_eq!(
            url("postgres://u:p@h/test?sslmode=disable"),
            "postgres://u:p@h/ee_bench_1_2_3?sslmode=disable"
        );
        assert_eq!(url("postgres://h"), "postgres://h/ee_bench_1_2_3");
        assert!(with_database("nonsense", "x").is_err());
    }
}
