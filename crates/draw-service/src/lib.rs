#![doc = include_str!("../README.md")]

mod auth;
mod live;
mod page_token;
mod watcher;

use std::pin::Pin;

use ee_domain::{Catalog, Draw, DrawFilter, DrawNumber, InvalidInput, StatsReport};
use ee_ircc_feed::FeedError;
use ee_proto::convert;
use ee_proto::error::ApiError;
use ee_proto::v1::draw_service_server::DrawService;
use ee_proto::v1::{
    GetDrawRequest, GetDrawResponse, GetDrawStatsRequest, GetDrawStatsResponse,
    GetLatestDrawRequest, GetLatestDrawResponse, ImportFeedRequest, ImportFeedResponse,
    ListDrawsRequest, ListDrawsResponse, RecordDrawRequest, RecordDrawResponse,
    SubscribeDrawsRequest, SubscribeDrawsResponse,
};
use ee_store::{Applied, OnConflict, PageKey, Store, StoreError};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

pub use auth::{Authorizer, OperatorToken};
pub use ee_proto::v1::draw_service_server::DrawServiceServer;
pub use live::{EventHub, LiveConfig};
pub use watcher::{FeedWatchConfig, PollOutcome, spawn_feed_watcher};

/// The default and the largest page of `ListDraws`.
pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 500;

/// DrawService over a store.
#[derive(Clone)]
pub struct Draws {
    store: Store,
    catalog: &'static Catalog,
    auth: Authorizer,
    hub: EventHub,
}

impl Draws {
    pub fn new(store: Store, catalog: &'static Catalog, auth: Authorizer, hub: EventHub) -> Self {
        Self {
            store,
            catalog,
            auth,
            hub,
        }
    }

    pub fn into_server(self) -> DrawServiceServer<Self> {
        DrawServiceServer::new(self)
    }

    /// Runs a store call off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(ApiError::internal)?
            .map_err(store_error)
    }

    /// Writes rounds and tells the live subscribers of what changed.
    async fn apply(&self, draws: Vec<Draw>, on_conflict: OnConflict) -> Result<Applied, ApiError> {
        let applied = self.blocking(move |s| s.apply(&draws, on_conflict)).await?;
        self.hub.announce(&applied);
        Ok(applied)
    }

    fn filter(&self, f: Option<&ee_proto::v1::DrawFilter>) -> Result<DrawFilter, ApiError> {
        Ok(convert::draw_filter(f, self.catalog).map_err(|e| e.within("filter"))?)
    }

    async fn get_draw(&self, req: GetDrawRequest) -> Result<GetDrawResponse, ApiError> {
        let number = DrawNumber::parse(&req.number).map_err(|e| ApiError::invalid("number", e))?;
        let draw = self
            .blocking(move |s| s.get(&number))
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("there is no round {number}")))?;
        Ok(GetDrawResponse {
            draw: Some(convert::draw(&draw)),
        })
    }

    async fn list_draws(&self, req: ListDrawsRequest) -> Result<ListDrawsResponse, ApiError> {
        let page_size = page_size(req.page_size)?;
        let filter = self.filter(req.filter.as_ref())?;
        let after = page_token::decode(&req.page_token, &filter)?;
        let (mut draws, total) = {
            let filter = filter.clone();
            self.blocking(move |s| Ok((s.list(&filter, after, page_size + 1)?, s.count(&filter)?)))
                .await?
        };
        let next_page_token = if draws.len() > page_size {
            draws.truncate(page_size);
            draws
                .last()
                .map(|d| page_token::encode(&filter, PageKey::of(d)))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ListDrawsResponse {
            draws: draws.iter().map(convert::draw).collect(),
            next_page_token,
            total_size: i32::try_from(total).unwrap_or(i32::MAX),
        })
    }

    async fn get_latest_draw(
        &self,
        req: GetLatestDrawRequest,
    ) -> Result<GetLatestDrawResponse, ApiError> {
        let filter = self.filter(req.filter.as_ref())?;
        let draw = self
            .blocking(move |s| s.list(&filter, None, 1))
            .await?
            .pop()
            .ok_or_else(|| ApiError::NotFound("no round matches the filter".into()))?;
        Ok(GetLatestDrawResponse {
            draw: Some(convert::draw(&draw)),
        })
    }

    async fn get_draw_stats(
        &self,
        req: GetDrawStatsRequest,
    ) -> Result<GetDrawStatsResponse, ApiError> {
        let filter = self.filter(req.filter.as_ref())?;
        let draws = self.blocking(move |s| s.all(&filter)).await?;
        Ok(convert::stats_response(
            &StatsReport::over(&draws),
            self.catalog,
        ))
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
        let draw = convert::draw_draft(&wire)
            .and_then(|d| d.complete(self.catalog))
            .map_err(|e| e.within("draw"))?;
        let number = draw.number;
        let applied = self.apply(vec![draw.clone()], OnConflict::Reject).await?;
        let created = !applied.created.is_empty();
        tracing::info!(round = %number, created, "recorded a round");
        Ok(RecordDrawResponse {
            draw: Some(convert::draw(&draw)),
            created,
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
        let draws = ee_ircc_feed::parse_feed(&feed, self.catalog).map_err(feed_error)?;
        let applied = self.apply(draws, OnConflict::Update).await?;
        let counts = ImportFeedResponse {
            created: applied.created.len() as u32,
            updated: applied.updated.len() as u32,
            unchanged: applied.unchanged.len() as u32,
        };
        tracing::info!(
            created = counts.created,
            updated = counts.updated,
            unchanged = counts.unchanged,
            "imported a feed"
        );
        Ok(counts)
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

fn feed_error(e: FeedError) -> ApiError {
    ApiError::InvalidArgument(InvalidInput::one("feed_json", e.to_string()))
}

pub(crate) fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(number) => ApiError::AlreadyExists(format!(
            "round {number} is already recorded with different content; IRCC's corrections arrive through ImportFeed"
        )),
        e if e.is_unavailable() => {
            tracing::warn!(error = %e, "database unavailable");
            ApiError::Unavailable("the database is unavailable; retry later".into())
        }
        other => ApiError::internal(other),
    }
}

type DrawEventStream = Pin<Box<dyn Stream<Item = Result<SubscribeDrawsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl DrawService for Draws {
    async fn get_draw(
        &self,
        req: Request<GetDrawRequest>,
    ) -> Result<Response<GetDrawResponse>, Status> {
        Ok(Response::new(
            Draws::get_draw(self, req.into_inner()).await?,
        ))
    }

    async fn list_draws(
        &self,
        req: Request<ListDrawsRequest>,
    ) -> Result<Response<ListDrawsResponse>, Status> {
        Ok(Response::new(
            Draws::list_draws(self, req.into_inner()).await?,
        ))
    }

    async fn get_latest_draw(
        &self,
        req: Request<GetLatestDrawRequest>,
    ) -> Result<Response<GetLatestDrawResponse>, Status> {
        Ok(Response::new(
            Draws::get_latest_draw(self, req.into_inner()).await?,
        ))
    }

    async fn get_draw_stats(
        &self,
        req: Request<GetDrawStatsRequest>,
    ) -> Result<Response<GetDrawStatsResponse>, Status> {
        Ok(Response::new(
            Draws::get_draw_stats(self, req.into_inner()).await?,
        ))
    }

    async fn record_draw(
        &self,
        req: Request<RecordDrawRequest>,
    ) -> Result<Response<RecordDrawResponse>, Status> {
        Ok(Response::new(Draws::record_draw(self, req).await?))
    }

    async fn import_feed(
        &self,
        req: Request<ImportFeedRequest>,
    ) -> Result<Response<ImportFeedResponse>, Status> {
        Ok(Response::new(Draws::import_feed(self, req).await?))
    }

    type SubscribeDrawsStream = DrawEventStream;

    async fn subscribe_draws(
        &self,
        req: Request<SubscribeDrawsRequest>,
    ) -> Result<Response<Self::SubscribeDrawsStream>, Status> {
        let peer = req.remote_addr();
        let req = req.into_inner();
        let filter = self.filter(req.filter.as_ref())?;
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
