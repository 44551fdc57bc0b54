//! IRCC's feed on loopback, for the feed watcher.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

/// Serves a body over HTTP/1.1 on loopback, which the test can change while it runs.
pub struct FeedServer {
    pub url: String,
    response: Arc<Mutex<(u16, Vec<u8>)>>,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl FeedServer {
    /// Starts answering every request with `status` and `body`.
    pub async fn start(status: u16, body: Vec<u8>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!(
            "http://{}/ee_rounds_123_en.json",
            listener.local_addr().expect("addr")
        );
        let response = Arc::new(Mutex::new((status, body)));
        let requests = Arc::new(AtomicUsize::new(0));
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
                    n.fetch_add(1, Ordering::SeqCst);
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

    /// Answers the next requests with `status` and `body`.
    pub fn serve(&self, status: u16, body: Vec<u8>) {
        *self.response.lock().expect("lock") = (status, body);
    }

    /// The requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
