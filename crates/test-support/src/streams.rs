//! SubscribeDraws streams: open one, take its events, and show that nothing more arrives.

use std::time::Duration;

use ee_proto::v1::{DrawEvent, DrawFilter, SubscribeDrawsRequest, SubscribeDrawsResponse};
use tokio_stream::{Stream, StreamExt};
use tonic::transport::Endpoint;
use tonic::{Status, Streaming};

use crate::app::TestApp;

/// How long a test waits for an event before it fails. A bound against hanging when an event is missing, not a
/// speed target: events normally arrive within milliseconds, and a loaded machine or a restarting PostgreSQL may
/// take seconds.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A subscription on a new connection to `app`: after the event id `after` (`None`: live events only), of the
/// rounds `filter` selects.
pub async fn subscribe(
    app: &TestApp,
    after: Option<u64>,
    filter: Option<DrawFilter>,
) -> Streaming<SubscribeDrawsResponse> {
    open(app.draws().await, after, filter).await
}

async fn open(
    mut client: ee_proto::v1::draw_service_client::DrawServiceClient<tonic::transport::Channel>,
    after: Option<u64>,
    filter: Option<DrawFilter>,
) -> Streaming<SubscribeDrawsResponse> {
    client
        .subscribe_draws(SubscribeDrawsRequest {
            after_event_id: after,
            filter,
        })
        .await
        .expect("SubscribeDraws")
        .into_inner()
}

/// The HTTP/2 stream window of [`subscribe_stalled`]: a few dozen events fill it.
pub const SMALL_WINDOW: u32 = 16 * 1024;

/// Like [`subscribe`], on a new connection whose client takes at most [`SMALL_WINDOW`] bytes of the stream
/// before it is read (the default is 2 MiB, more than the whole history): left unread, it fills at once and the
/// server's buffers for it fill behind it, as for a client that has stopped reading.
pub async fn subscribe_stalled(
    app: &TestApp,
    after: Option<u64>,
    filter: Option<DrawFilter>,
) -> Streaming<SubscribeDrawsResponse> {
    let channel = Endpoint::from_shared(app.endpoint())
        .expect("endpoint")
        .initial_stream_window_size(SMALL_WINDOW)
        .initial_connection_window_size(SMALL_WINDOW.max(65_535))
        .connect()
        .await
        .expect("connect to the test server");
    open(
        ee_proto::v1::draw_service_client::DrawServiceClient::new(channel),
        after,
        filter,
    )
    .await
}

/// Every event until the stream ends, and the status it ends with (`None`: a normal end, OK). Each item must
/// arrive within [`PATIENCE`].
pub async fn until_end<S>(stream: &mut S) -> (Vec<DrawEvent>, Option<Status>)
where
    S: Stream<Item = Result<SubscribeDrawsResponse, Status>> + Unpin,
{
    let mut got = Vec::new();
    loop {
        let item = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .expect("an event or the end within the patience bound");
        match item {
            None => return (got, None),
            Some(Err(status)) => return (got, Some(status)),
            Some(Ok(message)) => got.push(message.event.expect("event set")),
        }
    }
}

/// The next event, which must arrive within [`PATIENCE`].
pub async fn next_event<S>(stream: &mut S) -> DrawEvent
where
    S: Stream<Item = Result<SubscribeDrawsResponse, Status>> + Unpin,
{
    tokio::time::timeout(PATIENCE, stream.next())
        .await
        .expect("an event within the patience bound")
        .expect("the stream is open")
        .expect("an event, not an error")
        .event
        .expect("event set")
}

/// The next `n` events.
pub async fn events<S>(stream: &mut S, n: usize) -> Vec<DrawEvent>
where
    S: Stream<Item = Result<SubscribeDrawsResponse, Status>> + Unpin,
{
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(next_event(stream).await);
    }
    out
}

/// Nothing more arrives for `wait`: after the last expected event, this shows there is no duplicate.
pub async fn quiet<S>(stream: &mut S, wait: Duration)
where
    S: Stream<Item = Result<SubscribeDrawsResponse, Status>> + Unpin,
{
    if let Ok(extra) = tokio::time::timeout(wait, stream.next()).await {
        panic!("expected no more events, got {extra:?}");
    }
}

/// The number of the round an event carries.
pub fn number(event: &DrawEvent) -> &str {
    &event.draw.as_ref().expect("draw").number
}
