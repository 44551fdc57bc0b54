//! A database of its own for each test: a SQLite file in the temporary directory, or a PostgreSQL database
//! created on the server that EE_TEST_POSTGRES_URL names. Both are removed when dropped, and the first one of a
//! process sweeps away those that earlier runs left behind.

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::{Connection, QueryableByName, RunQueryDsl, pg::PgConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A leftover older than this belongs to a run that is over: no test lasts an hour.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// Names of PostgreSQL test databases: `ee_test_<unix seconds>_<random>`.
const POSTGRES_PREFIX: &str = "ee_test_";
/// Names of SQLite test files: `ee-test-<unix seconds>-<random>.db`, with `-wal` and `-shm` beside them.
const SQLITE_PREFIX: &str = "ee-test-";
const SQLITE_SUFFIXES: [&str; 3] = [".db", ".db-wal", ".db-shm"];

/// The PostgreSQL server the tests may use: EE_TEST_POSTGRES_URL, for example postgres://postgres@127.0.0.1:5432/test.
pub fn postgres_admin_url() -> String {
    std::env::var("EE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or_else(|| option_env!("EE_TEST_POSTGRES_URL").map(str::to_owned))
        .expect("EE_TEST_POSTGRES_URL must name a PostgreSQL server for the PostgreSQL tests")
}

/// A database of its own for one test, removed when dropped.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        let now = unix_seconds(SystemTime::now());
        let random = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                static SWEEP: Once = Once::new();
                let dir = std::env::temp_dir();
                SWEEP.call_once(|| sweep_sqlite_files(&dir, now));
                let path = dir.join(format!("{SQLITE_PREFIX}{now}-{random}.db"));
                Self {
                    url: format!("sqlite://{}", path.display()),
                    cleanup: Cleanup::SqliteFile(path),
                }
            }
            Backend::Postgres => {
                static SWEEP: Once = Once::new();
                let admin_url = postgres_admin_url();
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin_url}: {e}"));
                SWEEP.call_once(|| sweep_postgres_databases(&mut admin, now));
                let name = format!("{POSTGRES_PREFIX}{now}_{random}");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create the test database");
                Self {
                    url: with_database(&admin_url, &name),
                    cleanup: Cleanup::PostgresDatabase { admin_url, name },
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = drop_database(&mut admin, name);
                }
            }
        }
    }
}

fn drop_database(admin: &mut PgConnection, name: &str) -> diesel::QueryResult<usize> {
    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(admin)
}

fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// When a test database or file was created, read from its name: `<prefix><unix seconds><separator><random>`.
/// `None` for any other name, including those from before the time was part of it.
fn created_at(name: &str, prefix: &str, separator: char) -> Option<u64> {
    let (seconds, random) = name.strip_prefix(prefix)?.split_once(separator)?;
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if !(plain(seconds) && plain(random)) {
        return None;
    }
    seconds.parse().ok()
}

/// Whether something created at `created` (unix seconds) is a leftover at `now`.
fn is_stale(created: u64, now: u64) -> bool {
    now.saturating_sub(created) > STALE_AFTER.as_secs()
}

/// Drops the test databases that earlier runs left; a failure is reported and does not fail the test.
fn sweep_postgres_databases(admin: &mut PgConnection, now: u64) {
    #[derive(QueryableByName)]
    struct Database {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let databases = match diesel::sql_query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'ee\\_test\\_%'",
    )
    .load::<Database>(admin)
    {
        Ok(databases) => databases,
        Err(e) => {
            eprintln!("ee-test-support: cannot list leftover test databases: {e}");
            return;
        }
    };
    for Database { datname } in databases {
        let stale = created_at(&datname, POSTGRES_PREFIX, '_').is_some_and(|t| is_stale(t, now));
        if stale && let Err(e) = drop_database(admin, &datname) {
            eprintln!("ee-test-support: cannot drop leftover test database {datname}: {e}");
        }
    }
}

/// Removes the test files (and their -wal and -shm) that earlier runs left in `dir`.
fn sweep_sqlite_files(dir: &Path, now: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = SQLITE_SUFFIXES
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
        else {
            continue;
        };
        if created_at(stem, SQLITE_PREFIX, '-').is_some_and(|t| is_stale(t, now))
            && let Err(e) = std::fs::remove_file(entry.path())
            && e.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!("ee-test-support: cannot remove leftover test file {name}: {e}");
        }
    }
}

/// `url` with its database name replaced by `name`, keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let host_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[host_end..].find('/') {
        Some(slash) => &base[..host_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }

    #[test]
    fn the_creation_time_is_read_from_the_name() {
        let pg = |n: &str| created_at(n, POSTGRES_PREFIX, '_');
        let file = |n: &str| created_at(n, SQLITE_PREFIX, '-');
        assert_eq!(pg("ee_test_1800000000_0f3a9c"), Some(1_800_000_000));
        assert_eq!(file("ee-test-1800000000-0f3a9c"), Some(1_800_000_000));
        // The names of the scheme before this one carry no time, and other names are not ours.
        assert_eq!(pg("ee_test_6f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"), None);
        assert_eq!(file("ee-test-6f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"), None);
        assert_eq!(pg("ee_test_1800000000_"), None);
        assert_eq!(pg("ee_test_18000x0000_0f3a9c"), None);
        assert_eq!(pg("ee_test_1800000000_0f3a9c_extra"), None);
        assert_eq!(pg("expressentry"), None);
        assert_eq!(file("ee_test_1800000000_0f3a9c"), None);
    }

    #[test]
    fn only_leftovers_older_than_an_hour_are_stale() {
        let now = 1_800_000_000;
        assert!(!is_stale(now, now));
        assert!(!is_stale(now - 3600, now), "an hour old is not yet stale");
        assert!(is_stale(now - 3601, now));
        assert!(is_stale(0, now));
        assert!(
            !is_stale(now + 60, now),
            "a clock behind another's is not a leftover"
        );
    }

    #[test]
    fn the_sweep_removes_old_sqlite_files_and_keeps_the_rest() {
        let dir = std::env::temp_dir().join(format!(
            "ee-support-sweep-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let now = 1_800_000_000;
        let old = now - 7200;
        let removed = [
            format!("ee-test-{old}-aa.db"),
            format!("ee-test-{old}-aa.db-wal"),
            format!("ee-test-{old}-bb.db-shm"),
        ];
        let kept = [
            format!("ee-test-{now}-cc.db"),
            format!("ee-test-{}-dd.db-wal", now - 60),
            "ee-test-6f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e.db".to_owned(),
            format!("ee-test-{old}-ee.txt"),
            "expressentry.db".to_owned(),
        ];
        for name in removed.iter().chain(&kept) {
            std::fs::write(dir.join(name), b"").expect("file");
        }
        sweep_sqlite_files(&dir, now);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
            .collect();
        left.sort();
        let mut expected = kept.to_vec();
        expected.sort();
        assert_eq!(left, expected);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
