//! The baseline: a bare tonic server (same tonic, same runtime defaults as ee-server) whose one RPC takes a small
//! request and answers a payload of the size asked for. It does nothing else, so it is what gRPC over loopback
//! costs for an answer of that size; the subject's figures are read against it.

use std::net::SocketAddr;

use anyhow::Context;
use tonic::{Request, Response, Status};

pub mod pb {
    tonic::include_proto!("eebench.v1");
}

use pb::baseline_service_server::{BaselineService, BaselineServiceServer};
use pb::{EchoRequest, EchoResponse};

/// The largest payload the baseline answers (the largest subject answer is a few tens of KiB).
const MAX_SIZE: u32 = 4 * 1024 * 1024;

struct Baseline;

#[tonic::async_trait]
impl BaselineService for Baseline {
    async fn echo(&self, request: Request<EchoRequest>) -> Result<Response<EchoResponse>, Status> {
        let size = request.into_inner().size;
        if size > MAX_SIZE {
            return Err(Status::invalid_argument(format!(
                "size {size} is over {MAX_SIZE}"
            )));
        }
        // Built for each answer, as the subject builds each of its answers.
        let payload = vec![b'x'; size as usize];
        Ok(Response::new(EchoResponse {
            payload: payload.into(),
        }))
    }
}

/// The payload size whose answer encodes to `encoded` bytes (field tag and length included).
pub fn payload_for(encoded: usize) -> u32 {
    let mut size = encoded;
    while size > 0
        && prost::Message::encoded_len(&EchoResponse {
            payload: vec![0; size].into(),
        }) > encoded
    {
        size -= 1;
    }
    u32::try_from(size).unwrap_or(MAX_SIZE)
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
            .add_service(BaselineServiceServer::new(Baseline))
            .serve(listen)
            .await
            .with_context(|| format!("the baseline server on {listen} failed"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_matches_the_answer_size() {
        for encoded in [3, 100, 127, 128, 130, 5_000, 40_000] {
            let size = payload_for(encoded);
            let len = prost::Message::encoded_len(&EchoResponse {
                payload: vec![0; size as usize].into(),
            });
            assert!(len <= encoded && len + 2 >= encoded, "{encoded}: {len}");
        }
    }
}
