#![doc = include_str!("../README.md")]

use chrono::{NaiveDate, Utc};
use ee_domain::{Catalog, CategoryId, DrawNumber, crs, eligibility, invitation};
use ee_proto::candidate;
use ee_proto::convert::{self, from_date};
use ee_proto::error::ApiError;
use ee_proto::v1::eligibility_service_server::EligibilityService;
use ee_proto::v1::{
    CalculateCrsRequest, CalculateCrsResponse, CandidateProfile, CheckEligibilityRequest,
    CheckEligibilityResponse, CheckInvitationRequest, CheckInvitationResponse, Date,
    GetCategoryRequest, GetCategoryResponse, InvitationOutcome, ListCategoriesRequest,
    ListCategoriesResponse,
};
use ee_store::Store;
use tonic::{Request, Response, Status};

pub use ee_proto::v1::eligibility_service_server::EligibilityServiceServer;

/// EligibilityService over the category catalogue and the store's rounds.
#[derive(Clone)]
pub struct Eligibility {
    store: Store,
    catalog: &'static Catalog,
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn as_of(d: Option<&Date>) -> Result<NaiveDate, ApiError> {
    match d {
        None => Ok(today()),
        Some(d) => Ok(from_date("as_of", d).map_err(|v| ee_domain::InvalidInput {
            violations: vec![v],
        })?),
    }
}

fn profile(p: Option<&CandidateProfile>) -> Result<ee_domain::profile::Profile, ApiError> {
    let p = p.ok_or_else(|| ApiError::invalid("profile", "is required"))?;
    Ok(candidate::profile(p, today()).map_err(|e| e.within("profile"))?)
}

impl Eligibility {
    pub fn new(store: Store, catalog: &'static Catalog) -> Self {
        Self { store, catalog }
    }

    pub fn into_server(self) -> EligibilityServiceServer<Self> {
        EligibilityServiceServer::new(self)
    }

    fn list_categories(
        &self,
        req: &ListCategoriesRequest,
    ) -> Result<ListCategoriesResponse, ApiError> {
        let date = as_of(req.as_of.as_ref())?;
        let rule = self.catalog.experience_rule(date);
        let categories = if req.include_history {
            self.catalog
                .all()
                .map(|c| candidate::category(c, rule))
                .collect()
        } else {
            self.catalog
                .in_force_on(date)
                .map(|c| candidate::category(c, rule))
                .collect()
        };
        Ok(ListCategoriesResponse { categories })
    }

    fn get_category(&self, req: &GetCategoryRequest) -> Result<GetCategoryResponse, ApiError> {
        let date = as_of(req.as_of.as_ref())?;
        let id = CategoryId::parse(&req.id).map_err(|e| ApiError::invalid("id", e))?;
        if !self.catalog.contains(&id) {
            return Err(ApiError::NotFound(format!("there is no category {id}")));
        }
        let version = if req.version == 0 {
            self.catalog.in_force(&id, date).ok_or_else(|| {
                ApiError::NotFound(format!("no version of {id} is in force on {date}"))
            })?
        } else {
            self.catalog
                .get(&id, req.version)
                .ok_or_else(|| ApiError::NotFound(format!("{id} has no version {}", req.version)))?
        };
        Ok(GetCategoryResponse {
            category: Some(candidate::category(
                version,
                self.catalog.experience_rule(date),
            )),
        })
    }

    fn calculate_crs(&self, req: &CalculateCrsRequest) -> Result<CalculateCrsResponse, ApiError> {
        let p = profile(req.profile.as_ref())?;
        let date = as_of(req.as_of.as_ref())?;
        Ok(CalculateCrsResponse {
            crs: Some(candidate::crs(&crs::score(&p, date))),
        })
    }

    fn check_eligibility(
        &self,
        req: &CheckEligibilityRequest,
    ) -> Result<CheckEligibilityResponse, ApiError> {
        let p = profile(req.profile.as_ref())?;
        let date = as_of(req.as_of.as_ref())?;
        Ok(candidate::eligibility(&eligibility::check(
            &p,
            date,
            self.catalog,
        )))
    }

    async fn check_invitation(
        &self,
        req: CheckInvitationRequest,
    ) -> Result<CheckInvitationResponse, ApiError> {
        let number =
            DrawNumber::parse(&req.draw_number).map_err(|e| ApiError::invalid("draw_number", e))?;
        let p = profile(req.profile.as_ref())?;
        let store = self.store.clone();
        let draw = tokio::task::spawn_blocking(move || store.get(&number))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| {
                if e.is_unavailable() {
                    tracing::warn!(error = %e, "database unavailable");
                    ApiError::Unavailable("the database is unavailable; retry later".into())
                } else {
                    ApiError::internal(e)
                }
            })?
            .ok_or_else(|| ApiError::NotFound(format!("there is no round {number}")))?;
        let check = invitation::check(&p, &draw, self.catalog);
        Ok(CheckInvitationResponse {
            outcome: match check.outcome {
                invitation::Outcome::Invited => InvitationOutcome::Invited,
                invitation::Outcome::NotInvited => InvitationOutcome::NotInvited,
                invitation::Outcome::Undetermined => InvitationOutcome::Undetermined,
            } as i32,
            reasons: candidate::reasons(&check.reasons),
            crs: Some(candidate::crs(&check.crs)),
            draw: Some(convert::draw(&draw)),
        })
    }
}

#[tonic::async_trait]
impl EligibilityService for Eligibility {
    async fn list_categories(
        &self,
        req: Request<ListCategoriesRequest>,
    ) -> Result<Response<ListCategoriesResponse>, Status> {
        Ok(Response::new(Eligibility::list_categories(
            self,
            req.get_ref(),
        )?))
    }

    async fn get_category(
        &self,
        req: Request<GetCategoryRequest>,
    ) -> Result<Response<GetCategoryResponse>, Status> {
        Ok(Response::new(Eligibility::get_category(
            self,
            req.get_ref(),
        )?))
    }

    async fn calculate_crs(
        &self,
        req: Request<CalculateCrsRequest>,
    ) -> Result<Response<CalculateCrsResponse>, Status> {
        Ok(Response::new(Eligibility::calculate_crs(
            self,
            req.get_ref(),
        )?))
    }

    async fn check_eligibility(
        &self,
        req: Request<CheckEligibilityRequest>,
    ) -> Result<Response<CheckEligibilityResponse>, Status> {
        Ok(Response::new(Eligibility::check_eligibility(
            self,
            req.get_ref(),
        )?))
    }

    async fn check_invitation(
        &self,
        req: Request<CheckInvitationRequest>,
    ) -> Result<Response<CheckInvitationResponse>, Status> {
        Ok(Response::new(
            Eligibility::check_invitation(self, req.into_inner()).await?,
        ))
    }
}
