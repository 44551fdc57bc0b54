//! Accepting connections: a connection must open HTTP/2 (send the client preface) within the handshake timeout, or
//! it is closed; so connections that never speak (a port scanner, a half-open socket, a client that stalls) do not
//! pile up, even when connections have no maximum age. Accepted connections have TCP_NODELAY set. With TLS the
//! handshake must complete within the same bound.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::tls::{Conn, ReloadingTls};

/// The first bytes of every HTTP/2 connection (RFC 9113, section 3.4).
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The connections of `listener` that open HTTP/2 (after TLS, with `tls`) within `handshake`.
pub fn http2_connections(
    listener: TcpListener,
    handshake: Duration,
    tls: Option<Arc<ReloadingTls>>,
) -> ReceiverStream<std::io::Result<Conn>> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                () = tx.closed() => return,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let tx = tx.clone();
            if let Some(tls) = &tls {
                let acceptor = tls.acceptor();
                tokio::spawn(async move {
                    let peer = stream.peer_addr().ok();
                    match tokio::time::timeout(handshake, opens_http2_over_tls(acceptor, stream))
                        .await
                    {
                        Ok(Ok(conn)) => {
                            let _ = tx.send(Ok(conn)).await;
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(peer = ?peer, error = %e, "closed a connection that did not open TLS and HTTP/2")
                        }
                        Err(_) => {
                            tracing::debug!(peer = ?peer, ?handshake, "closed a connection that did not open TLS and HTTP/2 in time")
                        }
                    }
                });
                continue;
            }
            tokio::spawn(async move {
                match tokio::time::timeout(handshake, opens_http2(&stream)).await {
                    Ok(true) => {
                        let _ = tx.send(Ok(Conn::Plain(stream))).await;
                    }
                    Ok(false) => {
                        tracing::debug!(peer = ?stream.peer_addr().ok(), "closed a connection that does not speak HTTP/2")
                    }
                    Err(_) => {
                        tracing::debug!(peer = ?stream.peer_addr().ok(), ?handshake, "closed a connection that did not open HTTP/2 in time")
                    }
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

/// The TLS handshake, then the HTTP/2 preface: read (TLS cannot peek) and handed on again by the connection.
async fn opens_http2_over_tls(
    acceptor: tokio_rustls::TlsAcceptor,
    stream: TcpStream,
) -> std::io::Result<Conn> {
    let mut tls = acceptor.accept(stream).await?;
    let mut preface = vec![0u8; PREFACE.len()];
    tokio::io::AsyncReadExt::read_exact(&mut tls, &mut preface).await?;
    if preface != PREFACE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not HTTP/2 after TLS",
        ));
    }
    Ok(Conn::tls(tls, preface))
}

/// Whether the peer's first bytes are the HTTP/2 preface; they are peeked, not consumed.
async fn opens_http2(stream: &TcpStream) -> bool {
    let mut buf = [0u8; PREFACE.len()];
    loop {
        match stream.peek(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) if buf[..n] != PREFACE[..n] => return false,
            Ok(n) if n == PREFACE.len() => return true,
            // Part of the preface so far: wait for the rest.
            Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio_stream::StreamExt;

    #[tokio::test]
    async fn only_connections_that_open_http2_in_time_are_served() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut incoming = http2_connections(listener, Duration::from_millis(300), None);
        let silent = TcpStream::connect(addr).await.expect("connect");
        let mut http1 = TcpStream::connect(addr).await.expect("connect");
        http1
            .write_all(b"GET / HTTP/1.1\r\n\r\n")
            .await
            .expect("write");
        let mut slow = TcpStream::connect(addr).await.expect("connect");
        slow.write_all(&PREFACE[..10]).await.expect("write");
        let mut good = TcpStream::connect(addr).await.expect("connect");
        good.write_all(PREFACE).await.expect("write");
        let served = tokio::time::timeout(Duration::from_secs(10), incoming.next())
            .await
            .expect("one connection served")
            .expect("open")
            .expect("a connection");
        let Conn::Plain(served) = served else {
            panic!("a plain connection")
        };
        assert_eq!(served.peer_addr().ok(), good.local_addr().ok());
        // The others are closed by the server: reading from them ends.
        for mut closed in [silent, http1, slow] {
            let mut buf = [0u8; 1];
            let read = tokio::time::timeout(
                Duration::from_secs(10),
                tokio::io::AsyncReadExt::read(&mut closed, &mut buf),
            )
            .await
            .expect("closed within the bound");
            assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
        }
        assert!(
            tokio::time::timeout(Duration::from_millis(500), incoming.next())
                .await
                .is_err(),
            "nothing else is served"
        );
    }
}
