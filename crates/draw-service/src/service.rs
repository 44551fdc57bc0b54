//! `expressentry.v1.DrawService` over the history in memory (reads, [`crate::ReadModel`]) and the [`DrawRecorder`]
//! (writes).

use std::pin::Pin;

use ee_domain::rounds::history::check_filter_category;
use ee_domain::rules::Rules;
use ee_domain::{DrawFilter, DrawNumber, SortKey};
use ee_proto::convert;
use ee_proto::encoded::{self, Encoded};
use ee_proto::error::ApiError;
use ee_proto::v1::draw_service_server::{DrawService, DrawServiceServer};
use ee_proto::v1::{
    GetDrawRequest, GetDrawResponse, GetDrawStatsRequest, GetDrawStatsResponse,
    GetLatestDrawRequest, GetLatestDrawResponse, ImportFeedRequest, ImportFeedResponse,
    ListDrawsRequest, ListDrawsResponse, RecordDrawRequest, RecordDrawResponse,
    SubscribeDrawsRequest, SubscribeDrawsResponse,
};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::auth::Authorizer;
use crate::live::EventHub;
use crate::page_token;
use crate::read_model::Snapshot;
use crate::recorder::DrawRecorder;

/// The default and the largest page of `ListDraws`.
pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 500;

/// The gRPC DrawService. Cheap to clone.
#[derive(Clone)]
pub struct DrawServiceImpl {
    recorder: DrawRecorder,
    auth: Authorizer,
    hub: EventHub,
}

impl DrawServiceImpl {
    /// Reads come from the recorder's store; writes go through the recorder, which must wake `hub`.
    pub fn new(recorder: DrawRecorder, auth: Authorizer, hub: EventHub) -> Self {
        Self {
            recorder,
            auth,
            hub,
        }
    }

    fn rules(&self) -> &Rules {
        self.recorder.rules()
    }

    pub fn into_server(self) -> DrawServiceServer<Self> {
        DrawServiceServer::new(self)
    }

    /// A filter from the wire, whose category is one a filter may name ([`check_filter_category`]).
    fn filter(
        &self,
        f: Option<&ee_proto::v1::DrawFilter>,
        snapshot: &Snapshot,
    ) -> Result<DrawFilter, ApiError> {
        let filter = convert::draw_filter(f).map_err(|e| e.within("filter"))?;
        if let Some(id) = &filter.category {
            check_filter_category(id, &self.rules().catalog, &snapshot.history)
                .map_err(|e| ApiError::invalid("filter.category_id", e))?;
        }
        Ok(filter)
    }

    /// The round is the answer's field 1, encoded once per snapshot.
    fn get_draw(&self, req: GetDrawRequest) -> Result<Encoded<GetDrawResponse>, ApiError> {
        let number = DrawNumber::parse(&req.number).map_err(|e| ApiError::invalid("number", e))?;
        let snapshot = self.hub.model().snapshot();
        let draw = snapshot
            .history
            .get(&number)
            .ok_or_else(|| ApiError::NotFound(format!("there is no round {number}")))?;
        Ok(Encoded::from_encoding(snapshot.draw_field(draw)))
    }

    /// The page's rounds as they were encoded once per snapshot, end to end, then the page's own fields.
    fn list_draws(&self, req: ListDrawsRequest) -> Result<Encoded<ListDrawsResponse>, ApiError> {
        let snapshot = self.hub.model().snapshot();
        let (page_size, filter) = ApiError::join(
            page_size(req.page_size),
            self.filter(req.filter.as_ref(), &snapshot),
        )?;
        let after = page_token::decode(&req.page_token, &filter)?;
        let mut draws = snapshot.history.page(&filter, after, page_size + 1);
        let total = snapshot.history.count(&filter);
        let next_page_token = if draws.len() > page_size {
            draws.truncate(page_size);
            draws
                .last()
                .map(|d| page_token::encode(&filter, SortKey::of(d)))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let fields: Vec<_> = draws.iter().map(|d| snapshot.draw_field(d)).collect();
        let mut page = encoded::Builder::with_capacity(
            fields.iter().map(|f| f.len()).sum::<usize>() + next_page_token.len() + 16,
        );
        for field in &fields {
            page.put_encoded(field);
        }
        Ok(page.finish(&ListDrawsResponse {
            draws: Vec::new(),
            next_page_token,
            total_size: i32::try_from(total).unwrap_or(i32::MAX),
        }))
    }

    fn get_latest_draw(
        &self,
        req: GetLatestDrawRequest,
    ) -> Result<Encoded<GetLatestDrawResponse>, ApiError> {
        let snapshot = self.hub.model().snapshot();
        let filter = self.filter(req.filter.as_ref(), &snapshot)?;
        let draw = snapshot
            .history
            .latest(&filter)
            .ok_or_else(|| ApiError::NotFound("no round matches the filter".into()))?;
        Ok(Encoded::from_encoding(snapshot.draw_field(draw)))
    }

    fn get_draw_stats(
        &self,
        req: GetDrawStatsRequest,
    ) -> Result<Encoded<GetDrawStatsResponse>, ApiError> {
        let snapshot = self.hub.model().snapshot();
        let filter = self.filter(req.filter.as_ref(), &snapshot)?;
        Ok(snapshot.stats(&filter, self.rules()))
    }

    async fn record_draw(
        &self,
        req: Request<RecordDrawRequest>,
    ) -> Result<RecordDrawResponse, ApiError> {
        self.auth.authorize(req.metadata())?;
        let wire = req
            .into_inner()
            .draw
            .ok_or_else(|| ApiError::invalid("draw", "is required"))?;
        let draw =
            convert::draw_from_wire(&wire, &self.rules().catalog).map_err(|e| e.within("draw"))?;
        let applied = self.recorder.record(draw.clone()).await?;
        Ok(RecordDrawResponse {
            draw: Some(convert::draw(&draw)),
            created: !applied.created.is_empty(),
        })
    }

    async fn import_feed(
        &self,
        req: Request<ImportFeedRequest>,
    ) -> Result<ImportFeedResponse, ApiError> {
        self.auth.authorize(req.metadata())?;
        let feed = req.into_inner().feed_json;
        if feed.is_empty() {
            return Err(ApiError::invalid("feed_json", "is empty"));
        }
        let import = self.recorder.import_feed(feed).await?;
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(ImportFeedResponse {
            created: count(import.applied.created.len()),
            updated: count(import.applied.updated.len()),
            unchanged: count(import.applied.unchanged.len()),
            uncatalogued: count(import.uncatalogued),
            duplicates_dropped: count(import.duplicates_dropped),
        })
    }
}

/// 0 is the default; above the maximum is the maximum; negative is refused.
fn page_size(requested: i32) -> Result<usize, ApiError> {
    match usize::try_from(requested) {
        Err(_) => Err(ApiError::invalid("page_size", "must not be negative")),
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(n) => Ok(n.min(MAX_PAGE_SIZE)),
    }
}

type DrawEventStream =
    Pin<Box<dyn Stream<Item = Result<Encoded<SubscribeDrawsResponse>, Status>> + Send>>;

#[tonic::async_trait]
impl DrawService for DrawServiceImpl {
    async fn get_draw(
        &self,
        req: Request<GetDrawRequest>,
    ) -> Result<Response<Encoded<GetDrawResponse>>, Status> {
        Ok(Response::new(DrawServiceImpl::get_draw(
            self,
            req.into_inner(),
        )?))
    }

    async fn list_draws(
        &self,
        req: Request<ListDrawsRequest>,
    ) -> Result<Response<Encoded<ListDrawsResponse>>, Status> {
        Ok(Response::new(DrawServiceImpl::list_draws(
            self,
            req.into_inner(),
        )?))
    }

    async fn get_latest_draw(
        &self,
        req: Request<GetLatestDrawRequest>,
    ) -> Result<Response<Encoded<GetLatestDrawResponse>>, Status> {
        Ok(Response::new(DrawServiceImpl::get_latest_draw(
            self,
            req.into_inner(),
        )?))
    }

    async fn get_draw_stats(
        &self,
        req: Request<GetDrawStatsRequest>,
    ) -> Result<Response<Encoded<GetDrawStatsResponse>>, Status> {
        Ok(Response::new(DrawServiceImpl::get_draw_stats(
            self,
            req.into_inner(),
        )?))
    }

    async fn record_draw(
        &self,
        req: Request<RecordDrawRequest>,
    ) -> Result<Response<RecordDrawResponse>, Status> {
        Ok(Response::new(
            DrawServiceImpl::record_draw(self, req).await?,
        ))
    }

    async fn import_feed(
        &self,
        req: Request<ImportFeedRequest>,
    ) -> Result<Response<ImportFeedResponse>, Status> {
        Ok(Response::new(
            DrawServiceImpl::import_feed(self, req).await?,
        ))
    }

    type SubscribeDrawsStream = DrawEventStream;

    async fn subscribe_draws(
        &self,
        req: Request<SubscribeDrawsRequest>,
    ) -> Result<Response<Self::SubscribeDrawsStream>, Status> {
        let peer = req.remote_addr();
        let req = req.into_inner();
        let filter = self.filter(req.filter.as_ref(), &self.hub.model().snapshot())?;
        let stream = self.hub.subscribe(peer, filter, req.after_event_id).await?;
        Ok(Response::new(Box::pin(stream)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(0).ok(), Some(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(7).ok(), Some(7));
        assert_eq!(page_size(501).ok(), Some(MAX_PAGE_SIZE));
        assert_eq!(page_size(i32::MAX).ok(), Some(MAX_PAGE_SIZE));
        assert!(matches!(page_size(-1), Err(ApiError::InvalidArgument(_))));
    }
}
