#![doc = include_str!("../README.md")]

use ee_proto::v1::eligibility_service_server::EligibilityService;
use ee_proto::v1::{
    CalculateCrsRequest, CalculateCrsResponse, CheckEligibilityRequest, CheckEligibilityResponse,
    CheckInvitationRequest, CheckInvitationResponse, GetCategoryRequest, GetCategoryResponse,
    ListCategoriesRequest, ListCategoriesResponse,
};
use tonic::{Request, Response, Status};

pub use ee_proto::v1::eligibility_service_server::EligibilityServiceServer;

/// EligibilityService. Not built yet: every call answers `UNIMPLEMENTED`.
#[derive(Debug, Clone, Default)]
pub struct Eligibility;

impl Eligibility {
    pub fn into_server(self) -> EligibilityServiceServer<Self> {
        EligibilityServiceServer::new(self)
    }
}

fn not_yet(rpc: &str) -> Status {
    Status::unimplemented(format!("EligibilityService.{rpc} is not available yet"))
}

#[tonic::async_trait]
impl EligibilityService for Eligibility {
    async fn list_categories(
        &self,
        _req: Request<ListCategoriesRequest>,
    ) -> Result<Response<ListCategoriesResponse>, Status> {
        Err(not_yet("ListCategories"))
    }

    async fn get_category(
        &self,
        _req: Request<GetCategoryRequest>,
    ) -> Result<Response<GetCategoryResponse>, Status> {
        Err(not_yet("GetCategory"))
    }

    async fn calculate_crs(
        &self,
        _req: Request<CalculateCrsRequest>,
    ) -> Result<Response<CalculateCrsResponse>, Status> {
        Err(not_yet("CalculateCrs"))
    }

    async fn check_eligibility(
        &self,
        _req: Request<CheckEligibilityRequest>,
    ) -> Result<Response<CheckEligibilityResponse>, Status> {
        Err(not_yet("CheckEligibility"))
    }

    async fn check_invitation(
        &self,
        _req: Request<CheckInvitationRequest>,
    ) -> Result<Response<CheckInvitationResponse>, Status> {
        Err(not_yet("CheckInvitation"))
    }
}
