//! Test helpers: a real server on `127.0.0.1:0` over its own database (a SQLite file, or a PostgreSQL database
//! created for the test), with typed gRPC clients.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use diesel::{Connection, RunQueryDsl, pg::PgConnection};
use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::eligibility_service_client::EligibilityServiceClient;
use ee_server::{Application, Settings};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::Request;
use tonic::transport::Channel;

/// The operator token the test servers are started with.
pub const OPERATOR_TOKEN: &str = "test-operator-token";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

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

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("ee-test-{id}.db"));
                Self {
                    url: format!("sqlite://{}", path.display()),
                    cleanup: Cleanup::SqliteFile(path),
                }
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let name = format!("ee_test_{id}");
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin_url}: {e}"));
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
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin);
                }
            }
        }
    }
}

/// A running server.
pub struct TestApp {
    pub addr: SocketAddr,
    pub backend: Backend,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    db: Arc<TestDb>,
}

impl TestApp {
    /// A server with the shipped history loaded and the operator token [`OPERATOR_TOKEN`].
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// A server whose settings `configure` may change from the test defaults.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_on(backend, Arc::new(TestDb::new(backend)), configure).await
    }

    /// Another replica on this server's database.
    pub async fn replica(&self, configure: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_on(self.backend, self.db.clone(), configure).await
    }

    /// The database this server uses.
    pub fn database_url(&self) -> &str {
        &self.db.url
    }

    async fn spawn_on(
        backend: Backend,
        db: Arc<TestDb>,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        if std::env::var_os("EE_TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_env("EE_TEST_LOG"))
                .with_test_writer()
                .try_init();
        }
        let mut settings = Settings::defaults();
        settings.listen = "127.0.0.1:0".parse().expect("address");
        settings.database_url = db.url.clone();
        settings.database_pool_size = 4;
        settings.operator_token = Some(OPERATOR_TOKEN.parse().expect("token"));
        settings.shutdown_timeout = Duration::from_secs(5);
        configure(&mut settings);
        let app = Application::build(settings)
            .await
            .expect("the server starts");
        let addr = app.local_addr().expect("bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            backend,
            stop: Some(stop),
            task: Some(task),
            db,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.endpoint())
            .expect("endpoint")
            .connect()
            .await
            .expect("connect to the test server")
    }

    pub async fn draws(&self) -> DrawServiceClient<Channel> {
        DrawServiceClient::new(self.channel().await).max_decoding_message_size(64 * 1024 * 1024)
    }

    pub async fn eligibility(&self) -> EligibilityServiceClient<Channel> {
        EligibilityServiceClient::new(self.channel().await)
    }

    /// Stops the server as SIGTERM would and waits for it to exit.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown().await
    }

    async fn shutdown(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A request carrying the operator token.
pub fn authorized<T>(message: T) -> Request<T> {
    with_token(message, OPERATOR_TOKEN)
}

pub fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut r = Request::new(message);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header value"),
    );
    r
}

/// A feed snapshot from the ircc-feed crate's `snapshots/`.
pub fn snapshot(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../crates/ircc-feed/snapshots/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub const SNAPSHOT_2024: &str = "ee_rounds_123_en.2024-03-26.json";
pub const SNAPSHOT_2026: &str = "ee_rounds_123_en.2026-08-07.json";

/// Serves a body over HTTP/1.1 on loopback, which the test can change while it runs: IRCC's feed, for the watcher.
pub struct FeedServer {
    pub url: String,
    response: Arc<std::sync::Mutex<(u16, Vec<u8>)>>,
    requests: Arc<std::sync::atomic::AtomicUsize>,
    task: JoinHandle<()>,
}

impl FeedServer {
    pub async fn start(status: u16, body: Vec<u8>) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!(
            "http://{}/ee_rounds_123_en.json",
            listener.local_addr().expect("addr")
        );
        let response = Arc::new(std::sync::Mutex::new((status, body)));
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (r, n) = (response.clone(), requests.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (r, n) = (r.clone(), n.clone());
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => request.extend_from_slice(&buf[..k]),
                        }
                    }
                    n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let (status, body) = r.lock().expect("lock").clone();
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(&body).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self {
            url,
            response,
            requests,
            task,
        }
    }

    pub fn serve(&self, status: u16, body: Vec<u8>) {
        *self.response.lock().expect("lock") = (status, body);
    }

    pub fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        self.task.abort();
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
}
