//! The gRPC server: its transport settings and the services it serves (health, reflection, DrawService,
//! EligibilityService). Layers that apply to every call (TLS, metrics) belong here.

use ee_draw_service::DrawServiceImpl;
use ee_eligibility_service::EligibilityServiceImpl;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic_health::pb::health_server::{Health, HealthServer};
use tower::layer::util::{Identity, Stack};

use crate::calls::{CallTracker, CallsLayer};
use crate::config::Settings;
use crate::observe::ObserveLayer;

/// The services whose readiness is reported by name.
pub const READINESS: [&str; 2] = [
    ee_proto::DRAW_SERVICE_NAME,
    ee_proto::ELIGIBILITY_SERVICE_NAME,
];

/// The layers every call of the main port goes through, the first named innermost: observed (span, log line,
/// metrics) outermost, so that the codes the calls layer answers with are counted too.
pub type Layers = Stack<CallsLayer, Stack<ObserveLayer, Identity>>;

/// A server builder with this deployment's transport settings and the layers every call goes through.
pub fn server(settings: &Settings, calls: CallTracker) -> Server<Layers> {
    transport(settings)
        .layer(ObserveLayer)
        .layer(CallsLayer::new(
            calls,
            settings.call_timeout,
            settings.max_request_bytes as usize,
        ))
}

/// The transport settings alone (the plaintext health port has no layers: probes are not requests worth a log
/// line).
pub fn transport(settings: &Settings) -> Server {
    // Room for the subscriptions allowed on a connection, plus unary calls beside them.
    let streams_per_connection = u32::try_from(
        settings
            .max_subscriptions_per_connection
            .saturating_add(100),
    )
    .unwrap_or(u32::MAX);
    let keepalive =
        (!settings.http2_keepalive_interval.is_zero()).then_some(settings.http2_keepalive_interval);
    let mut builder = Server::builder()
        .http2_keepalive_interval(keepalive)
        .http2_keepalive_timeout(Some(settings.http2_keepalive_timeout))
        .max_concurrent_streams(streams_per_connection);
    if !settings.max_connection_age.is_zero() {
        builder = builder
            .max_connection_age(settings.max_connection_age)
            .max_connection_age_grace(settings.max_connection_age_grace);
    }
    builder
}

/// Every service served.
pub fn routes(
    settings: &Settings,
    health: HealthServer<impl Health>,
    draws: DrawServiceImpl,
    eligibility: EligibilityServiceImpl,
) -> anyhow::Result<Routes> {
    let max_request = settings.max_request_bytes as usize;
    let mut routes = Routes::builder();
    routes
        .add_service(health)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?)
        .add_service(draws.into_server().max_decoding_message_size(max_request))
        .add_service(
            eligibility
                .into_server()
                .max_decoding_message_size(max_request),
        );
    Ok(routes.routes())
}

/// Reflection over every service served, and the error details they answer with, whichever reflection version a
/// client speaks.
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .include_reflection_service(false)
        .register_encoded_file_descriptor_set(ee_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        // google.rpc.BadRequest and the other error details, so that clients can read INVALID_ARGUMENT's fields.
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
}
