//! `Store::run` carries the caller's tracing span onto the blocking thread, so that what the database work logs is
//! attributed to the call (the server opens a span per gRPC call).

use ee_store::Store;
use tracing::Instrument;

#[tokio::test]
async fn blocking_work_runs_in_the_callers_span() {
    // Global: the work runs on another thread, which a thread-local default would not reach.
    tracing::subscriber::set_global_default(tracing_subscriber::registry())
        .expect("the only subscriber of this test binary");
    let store = Store::connect(":memory:", 1).expect("an in-memory store");
    let span = tracing::info_span!("grpc", method = "ListDraws");
    let seen = store
        .run(|_| {
            let current = tracing::Span::current();
            Ok((current.id(), current.metadata().map(|m| m.name())))
        })
        .instrument(span.clone())
        .await
        .expect("the work runs");
    assert_eq!(seen, (span.id(), Some("grpc")));
    assert!(seen.0.is_some());
    // Outside any span, the work runs outside any span.
    let outside = store
        .run(|_| Ok(tracing::Span::current().id()))
        .await
        .expect("the work runs");
    assert_eq!(outside, None);
}
