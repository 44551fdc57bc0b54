//! The servers under test, each a child process on loopback: the real `ee-server serve` over a database of its own,
//! and the baseline (`ee-bench baseline-server`).

use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The token the servers are started with for RecordDraw and ImportFeed.
pub const OPERATOR_TOKEN: &str = "ee-bench-operator-token";

/// How long a server may take to report SERVING (PostgreSQL migrations and the history load included).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The `ee-server` binary: `--server`, or the sibling of this executable in the same target profile directory.
pub fn server_binary(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        if !path.is_file() {
            bail!("--server {}: no such file", path.display());
        }
        return Ok(path.to_owned());
    }
    let me = std::env::current_exe().context("cannot find this executable")?;
    let dir = me.parent().context("this executable has no directory")?;
    let sibling = dir.join(format!("ee-server{}", std::env::consts::EXE_SUFFIX));
    if sibling.is_file() {
        return Ok(sibling);
    }
    // A test binary lives in deps/, one level below the binaries.
    if let Some(up) = dir
        .parent()
        .map(|d| d.join(sibling.file_name().unwrap_or_default()))
        && dir.file_name().is_some_and(|n| n == "deps")
        && up.is_file()
    {
        return Ok(up);
    }
    bail!(
        "no ee-server binary at {}: build it with `cargo build --release -p ee-server -p ee-bench` \
         (or give its path with --server)",
        sibling.display()
    )
}

/// A child process serving gRPC on loopback; killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    what: String,
    log: std::fs::File,
}

/// How to start a subject server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub database_url: String,
    pub load_snapshot: bool,
    /// Extra flags, such as `--max-subscribers`.
    pub extra: Vec<String>,
    pub rust_log: String,
}

impl ServerProcess {
    /// `ee-server serve` over `options.database_url`, waited for until its DrawService is SERVING.
    pub async fn subject(binary: &Path, options: &ServerOptions) -> anyhow::Result<Self> {
        let addr = free_port()?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .args(["--listen", &addr.to_string()])
            .args(["--database-url", &options.database_url])
            .args(["--operator-token", OPERATOR_TOKEN])
            .args([
                "--load-snapshot",
                if options.load_snapshot {
                    "true"
                } else {
                    "false"
                },
            ])
            .args(&options.extra)
            .env("RUST_LOG", &options.rust_log);
        Self::spawn(
            command,
            addr,
            format!("ee-server ({})", binary.display()),
            "expressentry.v1.DrawService",
        )
        .await
    }

    /// The baseline server: this executable with the hidden `baseline-server` subcommand.
    pub async fn baseline() -> anyhow::Result<Self> {
        let me = std::env::current_exe().context("cannot find this executable")?;
        let addr = free_port()?;
        let mut command = Command::new(me);
        command
            .arg("baseline-server")
            .args(["--listen", &addr.to_string()]);
        Self::spawn(command, addr, "the baseline server".into(), "").await
    }

    async fn spawn(
        mut command: Command,
        addr: SocketAddr,
        what: String,
        health_service: &str,
    ) -> anyhow::Result<Self> {
        // The servers must not pick up the settings of the shell that runs the benchmark.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("EE_") {
                command.env_remove(name);
            }
        }
        let log = tempfile::tempfile().context("cannot create a log file for the server")?;
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log.try_clone()?)
            .spawn()
            .with_context(|| format!("cannot start {what}"))?;
        let mut server = Self {
            child,
            addr,
            what,
            log,
        };
        server.wait_serving(health_service).await?;
        Ok(server)
    }

    async fn wait_serving(&mut self, service: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited with {status} before serving; its output:\n{}",
                    self.what,
                    self.log_tail()
                );
            }
            if let Ok(channel) = Endpoint::from_shared(self.endpoint())?.connect().await {
                let answer = HealthClient::new(channel)
                    .check(HealthCheckRequest {
                        service: service.to_owned(),
                    })
                    .await;
                if answer.is_ok_and(|a| a.into_inner().status == ServingStatus::Serving as i32) {
                    return Ok(());
                }
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "{} did not report SERVING within {} s; its output:\n{}",
                    self.what,
                    START_TIMEOUT.as_secs(),
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A new HTTP/2 connection to this server.
    pub async fn channel(&self) -> anyhow::Result<Channel> {
        Endpoint::from_shared(self.endpoint())?
            .connect()
            .await
            .with_context(|| format!("cannot connect to {} at {}", self.what, self.addr))
    }

    /// Resident memory (VmRSS) in KiB, from /proc.
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        let path = format!("/proc/{}/status", self.child.id());
        let status =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no VmRSS in {path}"))
    }

    /// Resident memory once it has settled: read until two readings 300 ms apart agree within 1%.
    pub async fn settled_rss_kib(&self) -> anyhow::Result<u64> {
        let mut last = self.rss_kib()?;
        for _ in 0..15 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let now = self.rss_kib()?;
            if now.abs_diff(last) * 100 <= last {
                return Ok(now);
            }
            last = now;
        }
        Ok(last)
    }

    /// Fails, with the end of the server's output, if it has exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited with {status}; its output:\n{}",
                self.what,
                self.log_tail()
            );
        }
        Ok(())
    }

    /// The last lines the server wrote.
    pub fn log_tail(&self) -> String {
        let mut log = &self.log;
        let len = log.seek(SeekFrom::End(0)).unwrap_or(0);
        let _ = log.seek(SeekFrom::Start(len.saturating_sub(4000)));
        let mut bytes = Vec::new();
        let _ = log.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback address with a port free at the moment: the servers take `--listen` and do not print their port.
fn free_port() -> anyhow::Result<SocketAddr> {
    let listener =
        TcpListener::bind("127.0.0.1:0").context("cannot find a free port on 127.0.0.1")?;
    Ok(listener.local_addr()?)
}
