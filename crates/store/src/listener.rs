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
    let (client, mut connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(ListenerError::Connect)?;
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
