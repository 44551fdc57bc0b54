//! Calls as the transport sees them, in one tower layer on the router:
//! - unary calls in flight are counted, so that shutdown waits for them and not for streams (a subscriber that
//!   stopped reading must not hold the exit; its stream has already been ended with UNAVAILABLE);
//! - each unary call has a deadline (`--call-timeout`), past which it answers DEADLINE_EXCEEDED;
//! - the statuses tonic gives for requests it cannot decode say what to do: a request over `--max-request-bytes`
//!   is RESOURCE_EXHAUSTED naming the setting (tonic says OUT_OF_RANGE), and bytes that are not the method's
//!   message are INVALID_ARGUMENT (tonic says INTERNAL, as gRPC's table does; for us any bad input is the
//!   caller's to fix).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use tokio::sync::Notify;
use tonic::Status;
use tonic::body::Body;
use tower::{Layer, Service};

/// Methods whose answer is a stream: they are not counted as calls in flight and have no deadline.
/// A test checks that every streaming method of the contract is listed.
pub const STREAMING_METHODS: [&str; 4] = [
    "/expressentry.v1.DrawService/SubscribeDraws",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// The number of unary calls in flight, and a way to wait until there are none.
#[derive(Clone, Default)]
pub struct CallTracker {
    inner: Arc<TrackerInner>,
}

#[derive(Default)]
struct TrackerInner {
    in_flight: AtomicUsize,
    idle: Notify,
}

impl CallTracker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::SeqCst)
    }

    /// Completes once no unary call is in flight.
    pub async fn idle(&self) {
        loop {
            let notified = self.inner.idle.notified();
            tokio::pin!(notified);
            // Registered before the check, so a call ending in between is not missed.
            notified.as_mut().enable();
            if self.in_flight() == 0 {
                return;
            }
            notified.await;
        }
    }

    fn enter(&self) -> InFlight {
        self.inner.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight {
            inner: self.inner.clone(),
        }
    }
}

/// One unary call in flight, until its answer has been handed to the transport whole (or dropped).
struct InFlight {
    inner: Arc<TrackerInner>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.inner.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.inner.idle.notify_waiters();
        }
    }
}

/// The layer: see the module documentation.
#[derive(Clone)]
pub struct CallsLayer {
    tracker: CallTracker,
    call_timeout: Option<Duration>,
    max_request_bytes: usize,
}

impl CallsLayer {
    /// `call_timeout` zero means no deadline from the server.
    pub fn new(tracker: CallTracker, call_timeout: Duration, max_request_bytes: usize) -> Self {
        Self {
            tracker,
            call_timeout: (!call_timeout.is_zero()).then_some(call_timeout),
            max_request_bytes,
        }
    }
}

impl<S> Layer<S> for CallsLayer {
    type Service = Calls<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Calls {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Calls<S> {
    inner: S,
    layer: CallsLayer,
}

impl<S, B> Service<Request<B>> for Calls<S>
where
    S: Service<Request<B>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone is the one that was not made ready; call the ready one (tower's usual dance).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let streaming = STREAMING_METHODS.contains(&request.uri().path());
        let in_flight = (!streaming).then(|| self.layer.tracker.enter());
        let deadline = self.layer.call_timeout.filter(|_| !streaming);
        let max_request_bytes = self.layer.max_request_bytes;
        let answer = inner.call(request);
        Box::pin(async move {
            let response = match deadline {
                Some(deadline) => match tokio::time::timeout(deadline, answer).await {
                    Ok(response) => response?,
                    Err(_) => return Ok(deadline_exceeded(deadline)),
                },
                None => answer.await?,
            };
            let response = explain_transport_status(response, max_request_bytes);
            Ok(match in_flight {
                Some(in_flight) => response.map(|body| {
                    Body::new(Guarded {
                        body,
                        _in_flight: in_flight,
                    })
                }),
                None => response,
            })
        })
    }
}

fn deadline_exceeded(deadline: Duration) -> Response<Body> {
    Status::deadline_exceeded(format!(
        "the call did not finish within the server's limit of {} s (--call-timeout); retry later",
        deadline.as_secs_f64()
    ))
    .into_http()
}

/// tonic answers a request it cannot decode before our handlers run, with a trailers-only response.
fn explain_transport_status(response: Response<Body>, max_request_bytes: usize) -> Response<Body> {
    let Some(status) = Status::from_header_map(response.headers()) else {
        return response;
    };
    match status.code() {
        tonic::Code::OutOfRange
            if status
                .message()
                .starts_with("Error, decoded message length too large") =>
        {
            Status::resource_exhausted(format!(
                "the request is larger than the {max_request_bytes} bytes this server accepts \
                 (--max-request-bytes, EE_MAX_REQUEST_BYTES)"
            ))
            .into_http()
        }
        tonic::Code::Internal if is_decode_error(status.message()) => {
            let mut detail = status.message().to_owned();
            if detail.len() > 200 {
                let mut cut = 200;
                while !detail.is_char_boundary(cut) {
                    cut -= 1;
                }
                detail.truncate(cut);
            }
            Status::invalid_argument(format!(
                "the request is not a valid message of this method ({detail})"
            ))
            .into_http()
        }
        _ => response,
    }
}

/// prost's decode errors, as tonic-prost passes them on, and tonic's framing errors on a request.
fn is_decode_error(message: &str) -> bool {
    message.starts_with("failed to decode Protobuf message")
        || message.starts_with("protocol error: received message with invalid compression flag")
}

/// A response body that holds its call's place among the calls in flight until it is sent (or dropped).
struct Guarded {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Guarded {
    type Data = bytes::Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use prost_types::FileDescriptorSet;

    #[test]
    fn every_streaming_method_of_the_contract_is_listed() {
        let sets = [
            ee_proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ];
        let mut streaming = Vec::new();
        for set in sets {
            let set = FileDescriptorSet::decode(set).expect("a descriptor set");
            for file in set.file {
                for service in &file.service {
                    for method in &service.method {
                        if method.server_streaming() || method.client_streaming() {
                            streaming.push(format!(
                                "/{}.{}/{}",
                                file.package(),
                                service.name(),
                                method.name()
                            ));
                        }
                    }
                }
            }
        }
        streaming.sort();
        let mut listed: Vec<String> = STREAMING_METHODS.iter().map(|s| s.to_string()).collect();
        listed.sort();
        assert_eq!(streaming, listed);
    }

    #[tokio::test]
    async fn idle_waits_for_the_last_call() {
        let tracker = CallTracker::new();
        tracker.idle().await;
        let first = tracker.enter();
        let second = tracker.enter();
        let waiting = tokio::spawn({
            let tracker = tracker.clone();
            async move { tracker.idle().await }
        });
        drop(first);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "one call is still in flight");
        drop(second);
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("idle once the last call ends")
            .expect("join");
        assert_eq!(tracker.in_flight(), 0);
    }
}
