//! The PostgreSQL notification listener: one dedicated connection per replica that LISTENs for committed events.
//! A notification carries only an event id; what to deliver is always read from the events table. After the
//! connection is lost and comes back, the callback is called once so that the caller reads what it missed.

use std::time::Duration;

use ee_domain::{ErrorCode, ServiceError, error_chain};
use futures::StreamExt;
use tokio::sync::watch;

use crate::EVENTS_CHANNEL;

/// Why the listener lost its connection; it reconnects after each.
#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    #[error("cannot connect to PostgreSQL to LISTEN")]
    Connect(#[source] tokio_postgres::Error),
    #[error("the LISTEN connection failed")]
    Connection(#[source] tokio_postgres::Error),
    #[error("the LISTEN connection ended")]
    Ended,
}

impl ServiceError for ListenerError {
    fn error_code(&self) -> ErrorCode {
        ErrorCode::Unavailable
    }
}

/// Listens on `url` until `stop` turns true, calling `wake` on every notification, on every (re)connection, and
/// after the connection is lost. Connection failures are logged and retried with backoff (100 ms to 5 s).
pub fn spawn_listener(
    url: String,
    wake: impl Fn() + Send + Sync + 'static,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            if *stop.borrow() {
                return;
            }
            match listen_once(&url, &wake, &mut stop).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %crate::connection::without_password(&url, &error_chain(&e)), retry_in = ?backoff, "event listener lost its PostgreSQL connection");
                    wake();
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stop.changed() => return,
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    })
}

/// One connection's life: `Ok` when stopped, `Err` when the connection failed or ended.
async fn listen_once(
    url: &str,
    wake: &(impl Fn() + Send + Sync),
    stop: &mut watch::Receiver<bool>,
) -> Result<(), ListenerError> {
    let config: tokio_postgres::Config = url.parse().map_err(ListenerError::Connect)?;
    // TLS (rustls, ring) when the URL asks for sslmode=require; plain text otherwise (prefer, the default, is plain
    // text, as it is for the pool's libpq, which is built without TLS).
    if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        let (client, connection) = config
            .connect(tls::require())
            .await
            .map_err(ListenerError::Connect)?;
        listen_on(client, connection, wake, stop).await
    } else {
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(ListenerError::Connect)?;
        listen_on(client, connection, wake, stop).await
    }
}

async fn listen_on<T>(
    client: tokio_postgres::Client,
    mut connection: tokio_postgres::Connection<tokio_postgres::Socket, T>,
    wake: &(impl Fn() + Send + Sync),
    stop: &mut watch::Receiver<bool>,
) -> Result<(), ListenerError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (tx, mut messages) = futures::channel::mpsc::unbounded();
    let driver = tokio::spawn(async move {
        let mut stream = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = stream.next().await {
            let end = message.is_err();
            if tx.unbounded_send(message).is_err() || end {
                break;
            }
        }
    });
    let result = async {
        client
            .batch_execute(&format!("LISTEN {EVENTS_CHANNEL}"))
            .await
            .map_err(ListenerError::Connection)?;
        tracing::info!("event listener connected");
        // Whatever was committed while this replica was not listening is read now.
        wake();
        loop {
            tokio::select! {
                message = messages.next() => match message {
                    Some(Ok(tokio_postgres::AsyncMessage::Notification(_))) => wake(),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(ListenerError::Connection(e)),
                    // The connection ended without an error; the caller reconnects.
                    None => return Err(ListenerError::Ended),
                },
                _ = stop.changed() => return Ok(()),
            }
        }
    }
    .await;
    driver.abort();
    result
}

/// TLS for `sslmode=require`, with libpq's meaning of it: the connection is encrypted, and the server's certificate
/// is not checked (managed PostgreSQL services sign theirs with their own CAs). The handshake's signatures are still
/// verified, so the session's keys belong to whoever holds the certificate's key.
mod tls {
    use std::sync::Arc;

    use rustls::DigitallySignedStruct;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::WebPkiSupportedAlgorithms;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use tokio_postgres_rustls::MakeRustlsConnect;

    pub fn require() -> MakeRustlsConnect {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = EncryptOnly(provider.signature_verification_algorithms);
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        MakeRustlsConnect::new(config)
    }

    #[derive(Debug)]
    struct EncryptOnly(WebPkiSupportedAlgorithms);

    impl ServerCertVerifier for EncryptOnly {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.supported_schemes()
        }
    }
}

#[cfg(all(test, postgres_tests))]
mod tests {
    use super::*;

    /// The test server (EE_TEST_POSTGRES_URL) has TLS on: the connection is checked from the server's side, in
    /// pg_stat_ssl, and a notification must still arrive over it.
    #[tokio::test]
    async fn the_listen_connection_is_encrypted_when_the_url_asks_for_sslmode_require() {
        let base = std::env::var("EE_TEST_POSTGRES_URL")
            .ok()
            .or_else(|| option_env!("EE_TEST_POSTGRES_URL").map(str::to_owned))
            .expect("EE_TEST_POSTGRES_URL");
        let (observer, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
            .await
            .expect("connect to the test server");
        tokio::spawn(connection);
        for (mode, encrypted) in [("require", true), ("disable", false)] {
            let name = format!("ee-listener-test-{}-{mode}", std::process::id());
            let separator = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{separator}sslmode={mode}&application_name={name}");
            let (stop, stopped) = watch::channel(false);
            let (woke, mut wakes) = tokio::sync::mpsc::unbounded_channel();
            let listener = spawn_listener(
                url,
                move || {
                    let _ = woke.send(());
                },
                stopped,
            );
            wakes
                .recv()
                .await
                .expect("the listener wakes once connected");
            let row = observer
                .query_one(
                    "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                     WHERE a.application_name = $1",
                    &[&name],
                )
                .await
                .unwrap_or_else(|e| {
                    panic!("no LISTEN connection named {name} (sslmode={mode}): {e}")
                });
            assert_eq!(row.get::<_, bool>(0), encrypted, "sslmode={mode}");
            observer
                .batch_execute(&format!("NOTIFY {EVENTS_CHANNEL}, '0'"))
                .await
                .expect("NOTIFY");
            wakes
                .recv()
                .await
                .expect("a notification wakes the listener");
            stop.send(true).expect("the listener is running");
            listener.await.expect("the listener stops");
        }
    }
}
