//! The baseline: a bare tonic server (same tonic, same runtime defaults as ee-server) whose `Echo` takes a small
//! request and answers bytes kept beforehand with `Keep`. It does nothing else, so it is what gRPC over loopback
//! costs for that answer; the subject's figures are read against it. The bench keeps the subject's own answers
//! there and decodes the payload as the subject's message, so the client's work is the same in both runs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::RwLock;

use anyhow::Context;
use bytes::Bytes;
use tonic::{Request, Response, Status};

/// Room for the largest answer: GetDrawStats, a page of 50 rounds, a synthetic feed.
pub const MAX_MESSAGE: usize = 256 * 1024 * 1024;

pub mod pb {
    tonic::include_proto!("eebench.v1");
}

use pb::baseline_service_server::{BaselineService, BaselineServiceServer};
use pb::{EchoRequest, EchoResponse, KeepRequest, KeepResponse};

/// The payloads kept, by number.
#[derive(Default)]
struct Baseline {
    kept: RwLock<HashMap<u32, Bytes>>,
}

#[tonic::async_trait]
impl BaselineService for Baseline {
    async fn echo(&self, request: Request<EchoRequest>) -> Result<Response<EchoResponse>, Status> {
        let answer = request.into_inner().answer;
        let kept = self.kept.read().unwrap_or_else(|p| p.into_inner());
        let payload = kept
            .get(&answer)
            .cloned()
            .ok_or_else(|| Status::not_found(format!("no payload is kept under {answer}")))?;
        Ok(Response::new(EchoResponse { payload }))
    }

    async fn keep(&self, request: Request<KeepRequest>) -> Result<Response<KeepResponse>, Status> {
        let KeepRequest { answer, payload } = request.into_inner();
        self.kept
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(answer, payload);
        Ok(Response::new(KeepResponse {}))
    }
}

/// `ee-bench baseline-server --listen ADDR`: serves until killed.
pub fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async {
        let (reporter, health) = tonic_health::server::health_reporter();
        reporter
            .set_service_status("", tonic_health::ServingStatus::Serving)
            .await;
        tonic::transport::Server::builder()
            .add_service(health)
            .add_service(
                BaselineServiceServer::new(Baseline::default())
                    .max_decoding_message_size(MAX_MESSAGE)
                    .max_encoding_message_size(MAX_MESSAGE),
            )
            .serve(listen)
            .await
            .with_context(|| format!("the baseline server on {listen} failed"))
    })
}
