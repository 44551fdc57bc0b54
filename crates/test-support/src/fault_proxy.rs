//! A TCP proxy between the server and its database that a test can cut, stall and restore (crates.io's
//! `chaosproxy` is the model): the faults a network or a database crash causes, without touching the shared
//! database server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forwards every byte.
    Pass,
    /// Holds every byte (connections stay open, nothing moves).
    Stall,
    /// Closes every connection, and each new one at once.
    Cut,
}

/// A proxy on `127.0.0.1:0` to a target address.
pub struct FaultProxy {
    pub addr: SocketAddr,
    mode: watch::Sender<Mode>,
    to_target: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (mode, _) = watch::channel(Mode::Pass);
        let to_target = Arc::new(AtomicU64::new(0));
        let (modes, counter) = (mode.clone(), to_target.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let rx = modes.subscribe();
                if *rx.borrow() == Mode::Cut {
                    continue;
                }
                let counter = counter.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(target).await {
                        relay(client, server, rx, counter).await;
                    }
                });
            }
        });
        Self {
            addr,
            mode,
            to_target,
            task,
        }
    }

    /// A proxy to the PostgreSQL server of the tests (`EE_TEST_POSTGRES_URL`).
    pub async fn to_postgres() -> Self {
        let admin = crate::db::postgres_admin_url();
        let rest = admin.split_once("://").map_or(admin.as_str(), |(_, r)| r);
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host_port = if host_port.contains(':') {
            host_port.to_owned()
        } else {
            format!("{host_port}:5432")
        };
        let target = tokio::net::lookup_host(&host_port)
            .await
            .ok()
            .and_then(|mut a| a.next())
            .unwrap_or_else(|| panic!("cannot resolve the PostgreSQL server {host_port}"));
        Self::start(target).await
    }

    /// `url` (a PostgreSQL URL) with its host and port replaced by the proxy's.
    pub fn url_through(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let user = authority
            .rsplit_once('@')
            .map(|(u, _)| format!("{u}@"))
            .unwrap_or_default();
        format!("{scheme}://{user}{}{path}", self.addr)
    }

    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    /// Bytes forwarded to the target so far.
    pub fn bytes_to_target(&self) -> u64 {
        self.to_target.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.mode.send_replace(Mode::Cut);
    }
}

/// Copies both ways until either side closes or the mode turns to Cut; holds the bytes while it is Stall.
async fn relay(
    client: TcpStream,
    server: TcpStream,
    mode: watch::Receiver<Mode>,
    to_target: Arc<AtomicU64>,
) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pipe(client_read, server_write, mode.clone(), Some(to_target));
    let down = pipe(server_read, client_write, mode, None);
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
    counter: Option<Arc<AtomicU64>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            _ = mode.wait_for(|m| *m == Mode::Cut) => return,
        };
        // While stalled, the bytes wait here; a cut drops them with the connection.
        let Ok(now) = mode.wait_for(|m| *m != Mode::Stall).await.map(|m| *m) else {
            return;
        };
        if now == Mode::Cut || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
        if let Some(c) = &counter {
            c.fetch_add(n as u64, Ordering::SeqCst);
        }
    }
}
