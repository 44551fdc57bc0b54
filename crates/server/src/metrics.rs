//! Metrics: a Prometheus recorder behind the `metrics` facade, and `/metrics` in Prometheus text format on a port
//! of its own (`--metrics-addr`; off when unset). The crates record where each fact is known; the metric names and
//! what they mean are listed in this crate's README.
//!
//! The recorder is global to the process (the facade has one); a second server in the same process (tests) shares
//! it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Counter, by `service`, `method` and `code`: gRPC calls ended (the code tonic or the handler answered with;
/// `CANCELLED` when the client went away first).
pub const REQUESTS: &str = "ee_grpc_requests_total";
/// Histogram, by `service` and `method`: seconds from a call's request headers to its status (for a stream, its
/// whole life).
pub const REQUEST_DURATION: &str = "ee_grpc_request_duration_seconds";
/// Gauge, by `service` and `method`: calls begun and not yet ended.
pub const CALLS_IN_FLIGHT: &str = "ee_grpc_calls_in_flight";
/// Gauge: the Unix time at which the served TLS certificate expires.
pub const TLS_CERT_EXPIRY: &str = "ee_tls_certificate_expiry_timestamp_seconds";
/// Counter, by `outcome` (`reloaded`, `failed`): reloads of the TLS certificate files.
pub const TLS_RELOADS: &str = "ee_tls_reloads_total";

/// Latency buckets, in seconds: from a read served from memory to a slow import.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Lag buckets, in events.
const LAG_BUCKETS: [f64; 10] = [0.0, 1.0, 2.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// How often the latencies recorded are folded into the histograms when nobody scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Installs the process's recorder (once) and describes every metric, exporting the counters at 0.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)?
        .set_buckets_for_metric(
            Matcher::Full(ee_draw_service::metrics_names::SUBSCRIBER_LAG.into()),
            &LAG_BUCKETS,
        )?
        .build_recorder();
    let handle = recorder.handle();
    match metrics::set_global_recorder(recorder) {
        Ok(()) => {}
        // Another server of this process installed it between the check and here.
        Err(_) if HANDLE.get().is_some() => {}
        Err(e) => return Err(anyhow::anyhow!("cannot install the metrics recorder: {e}")),
    }
    let handle = HANDLE.get_or_init(|| handle).clone();
    describe();
    Ok(handle)
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        REQUESTS,
        "gRPC calls ended, by service, method and status code"
    );
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "gRPC call latency (for streams, their duration)"
    );
    describe_gauge!(CALLS_IN_FLIGHT, "gRPC calls begun and not yet ended");
    describe_gauge!(
        TLS_CERT_EXPIRY,
        Unit::Seconds,
        "Unix time at which the served TLS certificate expires"
    );
    describe_counter!(
        TLS_RELOADS,
        "Reloads of the TLS certificate files, by outcome"
    );
    for outcome in ["reloaded", "failed"] {
        metrics::counter!(TLS_RELOADS, "outcome" => outcome).absolute(0);
    }
    ee_draw_service::metrics_names::describe();
    ee_store::metrics_names::describe();
}

/// What runs just before each scrape, to sample gauges that are states rather than events (the database pool).
pub type Sampler = Arc<dyn Fn() + Send + Sync>;

/// The metrics port, bound.
pub struct MetricsEndpoint {
    listener: TcpListener,
    handle: PrometheusHandle,
}

impl MetricsEndpoint {
    /// Binds `addr` and installs the recorder; an address in use is an error naming it.
    pub async fn bind(addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!("cannot serve metrics on {addr} (--metrics-addr, EE_METRICS_ADDR)")
        })?;
        Ok(Self {
            listener,
            handle: install()?,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves `GET /metrics` (HTTP/1.1) until `stop` turns true.
    pub async fn serve(self, sampler: Sampler, mut stop: watch::Receiver<bool>) {
        let addr = self
            .listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        tracing::info!(%addr, "serving metrics at /metrics");
        // The recorder keeps every latency recorded since the last upkeep (a scrape runs one): without this, a port
        // nobody scrapes would hold 8 bytes a call for ever.
        let mut upkeep = tokio::time::interval(UPKEEP_INTERVAL);
        upkeep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let accepted = tokio::select! {
                a = self.listener.accept() => a,
                _ = upkeep.tick() => {
                    self.handle.run_upkeep();
                    continue;
                }
                _ = stop.wait_for(|s| *s) => return,
            };
            let Ok((stream, _)) = accepted else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let handle = self.handle.clone();
            let sampler = sampler.clone();
            let service = hyper::service::service_fn(move |req| {
                let response = answer(&req, &handle, &sampler);
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(async move {
                // A scraper that sends nothing is dropped: the headers must arrive within the bound.
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(5))
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }
}

fn answer(
    req: &Request<Incoming>,
    handle: &PrometheusHandle,
    sampler: &Sampler,
) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, body: String| {
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        response
    };
    if req.uri().path() != "/metrics" {
        return reply(StatusCode::NOT_FOUND, "metrics are at /metrics\n".into());
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n".into());
    }
    sampler();
    handle.run_upkeep();
    let mut response = reply(StatusCode::OK, handle.render());
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
