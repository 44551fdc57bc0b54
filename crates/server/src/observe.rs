//! A tower layer on the router that observes every call: a span (service, method, peer) that the handler and its
//! blocking database work run in (`Store::run` carries the current span), one log line at info when the call ends
//! (service, method, peer, code, latency; in JSON too), and the request metrics (count by code, latency histogram,
//! calls in flight).
//!
//! The code is read where the transport writes it: the `grpc-status` header of a trailers-only response (errors
//! from the handler and from tonic itself, such as UNIMPLEMENTED), else the trailers at the end of the body. A
//! call whose body is dropped before its status (the client went away, the connection closed) ends as CANCELLED.
//! Service and method labels are those of the services served; any other path counts as `unknown`, so a client
//! cannot grow the label set.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use prost::Message;
use tonic::transport::server::TcpConnectInfo;
use tower::{Layer, Service};

use crate::metrics::{CALLS_IN_FLIGHT, REQUEST_DURATION, REQUESTS};

/// The layer to put on the router.
#[derive(Debug, Clone, Copy, Default)]
pub struct ObserveLayer;

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Observe { inner }
    }
}

#[derive(Debug, Clone)]
pub struct Observe<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Observe<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Body,
{
    type Response = Response<ObservedBody<ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let (service, method) = known_method(request.uri().path());
        let peer = request
            .extensions()
            .get::<TcpConnectInfo>()
            .and_then(TcpConnectInfo::remote_addr);
        let span = tracing::info_span!(
            "grpc",
            service,
            method,
            peer = peer.map(tracing::field::display)
        );
        let call = Call::begin(service, method, peer, span.clone());
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(tracing::Instrument::instrument(
            async move {
                match future.await {
                    Ok(response) => {
                        let mut call = call;
                        call.code = grpc_status(response.headers());
                        // A trailers-only response (an error) is complete: counted before the client can see it.
                        if call.code.is_some() && response.body().is_end_stream() {
                            call.end(None);
                        }
                        Ok(response.map(|inner| ObservedBody { inner, call }))
                    }
                    Err(e) => {
                        let mut call = call;
                        call.end(Some("UNKNOWN"));
                        Err(e)
                    }
                }
            },
            span,
        ))
    }
}

/// A call under way: ended (logged and counted) once, at the latest when dropped: a call whose response or body is
/// dropped before its status (the client reset the stream, the connection closed) ends as CANCELLED.
struct Call {
    service: &'static str,
    method: &'static str,
    peer: Option<SocketAddr>,
    span: tracing::Span,
    started: Instant,
    /// From a trailers-only response's headers, or the trailers.
    code: Option<&'static str>,
    ended: bool,
}

impl Call {
    fn begin(
        service: &'static str,
        method: &'static str,
        peer: Option<SocketAddr>,
        span: tracing::Span,
    ) -> Self {
        metrics::gauge!(CALLS_IN_FLIGHT, "service" => service, "method" => method).increment(1.0);
        Self {
            service,
            method,
            peer,
            span,
            started: Instant::now(),
            code: None,
            ended: false,
        }
    }

    /// Ends the call with `code`, else the code already seen, else CANCELLED.
    fn end(&mut self, code: Option<&'static str>) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        let (service, method) = (self.service, self.method);
        let code = code.or(self.code).unwrap_or("CANCELLED");
        let latency = self.started.elapsed();
        metrics::gauge!(CALLS_IN_FLIGHT, "service" => service, "method" => method).decrement(1.0);
        metrics::counter!(REQUESTS, "service" => service, "method" => method, "code" => code)
            .increment(1);
        metrics::histogram!(REQUEST_DURATION, "service" => service, "method" => method)
            .record(latency.as_secs_f64());
        // Outside the call's span, whose fields it repeats: one self-contained line.
        tracing::info!(
            parent: None,
            service,
            method,
            peer = self.peer.map(tracing::field::display),
            code,
            latency_ms = latency.as_secs_f64() * 1000.0,
            "request"
        );
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.end(None);
    }
}

pin_project! {
    /// The response body, watched for the status in its trailers and for its end.
    pub struct ObservedBody<B> {
        #[pin]
        inner: B,
        call: Call,
    }
}

impl<B: Body> Body for ObservedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let call = this.call;
        let polled = call.span.in_scope(|| this.inner.poll_frame(cx));
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                // The trailers end a gRPC response: counted before they are sent.
                if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                    call.end(Some(code));
                }
            }
            Poll::Ready(Some(Err(_))) => call.end(Some("INTERNAL")),
            // A body that ends without any status is a transport fault, as a client reads it.
            Poll::Ready(None) => call.end(Some(call.code.unwrap_or("UNKNOWN"))),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<&'static str> {
    let code: i32 = headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(code_name(tonic::Code::from_i32(code)))
}

/// The code's name as gRPC spells it.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The (service, method) labels of a request path: those of a method served, else `unknown`.
fn known_method(path: &str) -> (&'static str, &'static str) {
    static KNOWN: OnceLock<HashMap<String, (&'static str, &'static str)>> = OnceLock::new();
    let known = KNOWN.get_or_init(served_methods);
    known.get(path).copied().unwrap_or(("unknown", "unknown"))
}

/// Every method of the services served by path, from their descriptors (a bounded set, leaked once per process).
fn served_methods() -> HashMap<String, (&'static str, &'static str)> {
    let sets = [
        ee_proto::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ];
    let mut methods = HashMap::new();
    for bytes in sets {
        let Ok(set) = prost_types::FileDescriptorSet::decode(bytes) else {
            continue;
        };
        for file in set.file {
            let package = file.package.unwrap_or_default();
            for service in file.service {
                let name = match package.as_str() {
                    "" => service.name().to_owned(),
                    p => format!("{p}.{}", service.name()),
                };
                let name: &'static str = Box::leak(name.into_boxed_str());
                for method in service.method {
                    let m: &'static str = Box::leak(method.name().to_owned().into_boxed_str());
                    methods.insert(format!("/{name}/{m}"), (name, m));
                }
            }
        }
    }
    methods
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    const LIST: &str = "/expressentry.v1.DrawService/ListDraws";

    /// The in-flight gauge and the request counters, as recorded since the last look (a snapshot drains them).
    fn recorded(recorder: &DebuggingRecorder) -> (Option<f64>, Vec<(String, u64)>) {
        let mut gauge = None;
        let mut counts = Vec::new();
        for (key, _, _, value) in recorder.snapshotter().snapshot().into_vec() {
            let key = key.key();
            let code = key
                .labels()
                .find(|l| l.key() == "code")
                .map(|l| l.value().to_owned());
            match (key.name(), value) {
                (CALLS_IN_FLIGHT, DebugValue::Gauge(g)) => gauge = Some(g.into_inner()),
                (REQUESTS, DebugValue::Counter(n)) => counts.push((code.unwrap_or_default(), n)),
                _ => {}
            }
        }
        (gauge, counts)
    }

    fn request() -> Request<()> {
        Request::builder().uri(LIST).body(()).expect("request")
    }

    #[test]
    fn a_call_dropped_before_its_response_ends_as_cancelled() {
        let recorder = DebuggingRecorder::new();
        metrics::with_local_recorder(&recorder, || {
            let mut service = ObserveLayer.layer(tower::service_fn(|_: Request<()>| {
                std::future::pending::<Result<Response<String>, std::convert::Infallible>>()
            }));
            let pending = service.call(request());
            assert_eq!(recorded(&recorder), (Some(1.0), vec![]));
            drop(pending);
            assert_eq!(
                recorded(&recorder),
                (Some(-1.0), vec![("CANCELLED".into(), 1)])
            );
        });
    }

    #[test]
    fn a_trailers_only_response_is_counted_with_its_code() {
        let recorder = DebuggingRecorder::new();
        metrics::with_local_recorder(&recorder, || {
            let mut service = ObserveLayer.layer(tower::service_fn(|_: Request<()>| async {
                let response = tonic::Status::not_found("no such round").into_http::<String>();
                Ok::<_, std::convert::Infallible>(response)
            }));
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            let response = runtime
                .block_on(service.call(request()))
                .expect("a response");
            // Counted once the response is made, before the client can see it, and once only.
            assert!(response.body().is_end_stream(), "trailers-only");
            assert_eq!(
                recorded(&recorder),
                (Some(0.0), vec![("NOT_FOUND".into(), 1)])
            );
            drop(response);
            assert_eq!(
                recorded(&recorder).1,
                vec![("NOT_FOUND".into(), 0)],
                "not again"
            );
        });
    }

    #[test]
    fn paths_of_served_methods_are_labelled_others_are_unknown() {
        assert_eq!(
            known_method("/expressentry.v1.DrawService/ListDraws"),
            ("expressentry.v1.DrawService", "ListDraws")
        );
        assert_eq!(
            known_method("/grpc.health.v1.Health/Check"),
            ("grpc.health.v1.Health", "Check")
        );
        assert_eq!(
            known_method("/expressentry.v1.DrawService/Nope"),
            ("unknown", "unknown")
        );
        assert_eq!(known_method("/x"), ("unknown", "unknown"));
    }
}
