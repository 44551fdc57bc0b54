//! A real server on `127.0.0.1:0` over a database of its own, with typed gRPC clients.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::eligibility_service_client::EligibilityServiceClient;
use ee_server::{Application, Settings};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use crate::auth::OPERATOR_TOKEN;
use crate::db::{Backend, TestDb};

/// A running server.
pub struct TestApp {
    pub addr: SocketAddr,
    /// The metrics port, when `metrics_addr` was set.
    pub metrics_addr: Option<SocketAddr>,
    /// The plaintext health port, when `health_addr` was set.
    pub health_addr: Option<SocketAddr>,
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
        // Not `Settings::defaults()`: an EE_IRCC_FEED_URL or EE_LOAD_SNAPSHOT in the shell must not reach the test.
        let mut settings = Settings::without_environment();
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
        let (metrics_addr, health_addr) = (app.metrics_addr(), app.health_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            metrics_addr,
            health_addr,
            backend,
            stop: Some(stop),
            task: Some(task),
            db,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A new connection to this server.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.endpoint())
            .expect("endpoint")
            .connect()
            .await
            .expect("connect to the test server")
    }

    /// A DrawService client on a new connection, allowed to receive the whole history in one message.
    pub async fn draws(&self) -> DrawServiceClient<Channel> {
        DrawServiceClient::new(self.channel().await).max_decoding_message_size(64 * 1024 * 1024)
    }

    /// An EligibilityService client on a new connection.
    pub async fn eligibility(&self) -> EligibilityServiceClient<Channel> {
        EligibilityServiceClient::new(self.channel().await)
    }

    /// Stops the server as SIGTERM would and waits for it to exit.
    pub async fn stop(mut self) -> anyhow::Result<()> {
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

/// Settings in which only the PostgreSQL listener delivers events across replicas: the backstop timer that reads
/// the event log when nothing wakes it is set far beyond any test.
pub fn no_backstop(settings: &mut Settings) {
    settings.event_backstop_interval = Duration::from_secs(3600);
}
