#![doc = include_str!("../README.md")]

use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use ee_domain::assessments::outlook::{DEFAULT_HORIZON_DAYS, MAX_HORIZON_DAYS};
use ee_domain::assessments::{
    crs, eligibility, explore, invitation, invitation_history, outlook, pool,
};
use ee_domain::rounds::history::check_filter_category;
use ee_domain::{CategoryId, DrawFilter, DrawLookup, DrawNumber, Rules};
use ee_proto::candidate;
use ee_proto::convert::{self, from_date};
use ee_proto::error::ApiError;
use ee_proto::v1::eligibility_service_server::EligibilityService;
use ee_proto::v1::{
    CalculateCrsRequest, CalculateCrsResponse, CandidateProfile, CheckEligibilityRequest,
    CheckEligibilityResponse, CheckInvitationHistoryRequest, CheckInvitationHistoryResponse,
    CheckInvitationRequest, CheckInvitationResponse, Date, ExploreCrsRequest, ExploreCrsResponse,
    GetCategoryRequest, GetCategoryResponse, GetInvitationOutlookRequest,
    GetInvitationOutlookResponse, GetPoolPositionRequest, GetPoolPositionResponse,
    InvitationOutcome, ListCategoriesRequest, ListCategoriesResponse, get_pool_position_request,
};
use tonic::{Request, Response, Status};

pub use ee_proto::v1::eligibility_service_server::EligibilityServiceServer;

/// EligibilityService over the rules of this release (the category catalogue among them) and the rounds of the
/// history in memory (through [`DrawLookup`]).
#[derive(Clone)]
pub struct EligibilityServiceImpl {
    draws: Arc<dyn DrawLookup>,
    rules: Arc<Rules>,
}

/// The closest misses listed of each kind when the request says 0, and the most it may ask.
const DEFAULT_CLOSEST_MISSES: usize = 5;
const MAX_CLOSEST_MISSES: usize = 50;

fn optional_date(field: &str, d: Option<&Date>) -> Result<Option<NaiveDate>, ApiError> {
    d.map(|d| from_date(field, d)).transpose().map_err(|v| {
        ApiError::InvalidArgument(ee_domain::InvalidInput {
            violations: vec![v],
        })
    })
}

/// A period of whole days from `{prefix}start_date` to `{prefix}end_date` (today when unset), both included; an end
/// before the start is refused naming the end.
fn period(
    prefix: &str,
    start: Option<&Date>,
    end: Option<&Date>,
) -> Result<(Option<NaiveDate>, NaiveDate), ApiError> {
    let (start_field, end_field) = (format!("{prefix}start_date"), format!("{prefix}end_date"));
    let (start, end) = ApiError::join(
        optional_date(&start_field, start),
        optional_date(&end_field, end),
    )?;
    match (start, end) {
        (Some(s), Some(e)) if e < s => Err(ApiError::invalid(
            end_field,
            format!("{e} is before {start_field} {s}"),
        )),
        _ => Ok((start, end.unwrap_or_else(today))),
    }
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

fn profile(
    p: Option<&CandidateProfile>,
    rules: &Rules,
) -> Result<ee_domain::model::profile::Profile, ApiError> {
    let p = p.ok_or_else(|| ApiError::invalid("profile", "is required"))?;
    Ok(candidate::profile(p, today(), rules).map_err(|e| e.within("profile"))?)
}

/// The profile and the day it is judged on (`as_of`, today by default), which cannot be before the candidate was
/// born.
fn profile_on(
    p: Option<&CandidateProfile>,
    d: Option<&Date>,
    rules: &Rules,
) -> Result<(ee_domain::model::profile::Profile, NaiveDate), ApiError> {
    let (p, date) = ApiError::join(profile(p, rules), as_of(d))?;
    if date < p.date_of_birth {
        return Err(ApiError::invalid(
            "as_of",
            format!("{date} is before profile.date_of_birth {}", p.date_of_birth),
        ));
    }
    Ok((p, date))
}

impl EligibilityServiceImpl {
    pub fn new(draws: Arc<dyn DrawLookup>, rules: Arc<Rules>) -> Self {
        Self { draws, rules }
    }

    pub fn into_server(self) -> EligibilityServiceServer<Self> {
        EligibilityServiceServer::new(self)
    }

    fn list_categories(
        &self,
        req: &ListCategoriesRequest,
    ) -> Result<ListCategoriesResponse, ApiError> {
        let date = as_of(req.as_of.as_ref())?;
        let categories = if req.include_history {
            self.rules
                .catalog
                .all()
                .map(|c| candidate::category(c, &self.rules.catalog.experience_rule_for(c, date)))
                .collect()
        } else {
            self.rules
                .catalog
                .in_force_on(date)
                .map(|c| candidate::category(c, &self.rules.catalog.experience_rule_for(c, date)))
                .collect()
        };
        Ok(ListCategoriesResponse { categories })
    }

    fn get_category(&self, req: &GetCategoryRequest) -> Result<GetCategoryResponse, ApiError> {
        let date = as_of(req.as_of.as_ref())?;
        let id = CategoryId::parse(&req.id).map_err(|e| ApiError::invalid("id", e))?;
        if !self.rules.catalog.contains(&id) {
            return Err(ApiError::NotFound(format!("there is no category {id}")));
        }
        let version = if req.version == 0 {
            self.rules.catalog.in_force(&id, date).ok_or_else(|| {
                ApiError::NotFound(format!("no version of {id} is in force on {date}"))
            })?
        } else {
            self.rules
                .catalog
                .get(&id, req.version)
                .ok_or_else(|| ApiError::NotFound(format!("{id} has no version {}", req.version)))?
        };
        Ok(GetCategoryResponse {
            category: Some(candidate::category(
                version,
                &self.rules.catalog.experience_rule_for(version, date),
            )),
        })
    }

    fn calculate_crs(&self, req: &CalculateCrsRequest) -> Result<CalculateCrsResponse, ApiError> {
        let (p, date) = profile_on(req.profile.as_ref(), req.as_of.as_ref(), &self.rules)?;
        Ok(CalculateCrsResponse {
            crs: Some(candidate::crs(&crs::score(&p, date, &self.rules))),
        })
    }

    fn check_eligibility(
        &self,
        req: &CheckEligibilityRequest,
    ) -> Result<CheckEligibilityResponse, ApiError> {
        let (p, date) = profile_on(req.profile.as_ref(), req.as_of.as_ref(), &self.rules)?;
        Ok(candidate::eligibility(&eligibility::check(
            &p,
            date,
            &self.rules,
        )))
    }

    async fn check_invitation(
        &self,
        req: CheckInvitationRequest,
    ) -> Result<CheckInvitationResponse, ApiError> {
        let (number, p) = ApiError::join(
            DrawNumber::parse(&req.draw_number).map_err(|e| ApiError::invalid("draw_number", e)),
            profile(req.profile.as_ref(), &self.rules),
        )?;
        let draw = self
            .draws
            .draw(&number)
            .ok_or_else(|| ApiError::NotFound(format!("there is no round {number}")))?;
        let check = invitation::check(&p, &draw, &self.rules);
        Ok(CheckInvitationResponse {
            outcome: outcome(check.outcome) as i32,
            reasons: candidate::reasons(&check.reasons),
            crs: Some(candidate::crs(&check.crs)),
            draw: Some(convert::draw(&draw)),
        })
    }

    async fn check_invitation_history(
        &self,
        req: CheckInvitationHistoryRequest,
    ) -> Result<CheckInvitationHistoryResponse, ApiError> {
        let period = period("", req.start_date.as_ref(), req.end_date.as_ref());
        let filter = convert::draw_filter(req.filter.as_ref())
            .map_err(|e| ApiError::from(e.within("filter")));
        let ((p, (start, end)), filter) = ApiError::join(
            ApiError::join(profile(req.profile.as_ref(), &self.rules), period),
            filter,
        )?;
        let closest = match req.closest_misses as usize {
            0 => DEFAULT_CLOSEST_MISSES,
            n => n.min(MAX_CLOSEST_MISSES),
        };
        let category = filter.category.clone();
        let draws = self
            .draws
            .draws(&invitation_history::within_period(filter, start, Some(end)));
        // A filter that selects no round may name a category no round has: refused as ListDraws refuses it.
        if draws.is_empty()
            && let Some(id) = &category
        {
            check_filter_category(id, &self.rules.catalog, self.draws.as_ref())
                .map_err(|e| ApiError::invalid("filter.category_id", e))?;
        }
        let h = invitation_history::check_rounds(&p, draws, &self.rules, closest);
        Ok(candidate::invitation_history(&h, |o| outcome(o) as i32))
    }

    fn explore_crs(&self, req: &ExploreCrsRequest) -> Result<ExploreCrsResponse, ApiError> {
        let (p, date) = profile_on(req.profile.as_ref(), req.as_of.as_ref(), &self.rules)?;
        let (now, improvements) = explore::explore(&p, date, &self.rules);
        Ok(candidate::explore_response(&now, &improvements))
    }

    fn get_pool_position(
        &self,
        req: &GetPoolPositionRequest,
    ) -> Result<GetPoolPositionResponse, ApiError> {
        use get_pool_position_request::{Score, When};
        let score = match &req.score {
            None => Err(ApiError::invalid(
                "score",
                "is required: crs_score (0 to 1200) or profile",
            )),
            Some(Score::CrsScore(s)) if *s > ee_domain::rounds::draw::CRS_MAX => {
                Err(ApiError::invalid(
                    "crs_score",
                    format!(
                        "{s} is over the CRS maximum of {}",
                        ee_domain::rounds::draw::CRS_MAX
                    ),
                ))
            }
            Some(Score::CrsScore(s)) => Ok((*s, None)),
            Some(Score::Profile(p)) => profile(Some(p), &self.rules).map(|p| (0, Some(p))),
        };
        // Which distributions, read once.
        enum Which {
            On(NaiveDate),
            Round(DrawNumber),
            Period(NaiveDate, NaiveDate),
        }
        let which = match &req.when {
            None => Ok(Which::On(today())),
            Some(When::AsOf(d)) => as_of(Some(d)).map(Which::On),
            Some(When::DrawNumber(n)) => DrawNumber::parse(n)
                .map(Which::Round)
                .map_err(|e| ApiError::invalid("draw_number", e)),
            Some(When::Period(p)) => period("period.", p.start_date.as_ref(), p.end_date.as_ref())
                .map(|(start, end)| Which::Period(start.unwrap_or(NaiveDate::MIN), end)),
        };
        let ((fixed, profile), which) = ApiError::join(score, which)?;
        let score_on = |day: NaiveDate| match &profile {
            Some(p) => crs::score(p, day, &self.rules).total,
            None => fixed,
        };
        let all = self.draws.draws(&DrawFilter::default());
        let (positions, without) = match which {
            Which::On(day) => {
                let draw =
                    pool::latest_on(all.iter().map(AsRef::as_ref), day).ok_or_else(|| {
                        ApiError::NotFound(format!(
                            "no round held on or before {day} published a pool distribution{}",
                            first_distribution(&all)
                        ))
                    })?;
                let score = score_on(draw.held_at.date_naive());
                (pool::position(score, draw).into_iter().collect(), 0)
            }
            Which::Round(number) => {
                let draw = self
                    .draws
                    .draw(&number)
                    .ok_or_else(|| ApiError::NotFound(format!("there is no round {number}")))?;
                let score = score_on(draw.held_at.date_naive());
                let position = pool::position(score, &draw).ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "round {number} published no pool distribution{}",
                        first_distribution(&all)
                    ))
                })?;
                (vec![position], 0)
            }
            Which::Period(start, end) => {
                pool::over_period(score_on, all.iter().map(AsRef::as_ref), start, end)
            }
        };
        let crs = profile.as_ref().map(|p| {
            let day = positions.last().map_or_else(today, |pos| pos.round_held_on);
            crs::score(p, day, &self.rules)
        });
        Ok(ee_proto::outlook::pool_response(
            &positions,
            without,
            crs.as_ref(),
        ))
    }

    fn get_invitation_outlook(
        &self,
        req: &GetInvitationOutlookRequest,
    ) -> Result<GetInvitationOutlookResponse, ApiError> {
        let horizon = match req.horizon_days {
            0 => Ok(DEFAULT_HORIZON_DAYS),
            h if h > MAX_HORIZON_DAYS => Err(ApiError::invalid(
                "horizon_days",
                format!("{h} is not between 1 and {MAX_HORIZON_DAYS} days"),
            )),
            h => Ok(h),
        };
        let ((p, date), horizon) = ApiError::join(
            profile_on(req.profile.as_ref(), req.as_of.as_ref(), &self.rules),
            horizon,
        )?;
        let all = self.draws.draws(&DrawFilter::default());
        let o = outlook::outlook(&p, date, horizon, &all, &self.rules)
            .map_err(|e| ApiError::NotFound(e.to_string()))?;
        Ok(ee_proto::outlook::outlook_response(&o))
    }
}

/// "; the first was published with round N on D", to say where distributions begin.
fn first_distribution(all: &[Arc<ee_domain::Draw>]) -> String {
    all.iter()
        .filter(|d| d.pool_distribution.is_some())
        .min_by_key(|d| (d.held_at, d.number.sort_key()))
        .map_or_else(String::new, |d| {
            format!(
                "; the first was published with round {} on {}",
                d.number,
                d.held_at.date_naive()
            )
        })
}

fn outcome(o: invitation::Outcome) -> InvitationOutcome {
    match o {
        invitation::Outcome::Invited => InvitationOutcome::Invited,
        invitation::Outcome::NotInvited => InvitationOutcome::NotInvited,
        invitation::Outcome::Undetermined => InvitationOutcome::Undetermined,
    }
}

#[tonic::async_trait]
impl EligibilityService for EligibilityServiceImpl {
    async fn list_categories(
        &self,
        req: Request<ListCategoriesRequest>,
    ) -> Result<Response<ListCategoriesResponse>, Status> {
        Ok(Response::new(EligibilityServiceImpl::list_categories(
            self,
            req.get_ref(),
        )?))
    }

    async fn get_category(
        &self,
        req: Request<GetCategoryRequest>,
    ) -> Result<Response<GetCategoryResponse>, Status> {
        Ok(Response::new(EligibilityServiceImpl::get_category(
            self,
            req.get_ref(),
        )?))
    }

    async fn calculate_crs(
        &self,
        req: Request<CalculateCrsRequest>,
    ) -> Result<Response<CalculateCrsResponse>, Status> {
        Ok(Response::new(EligibilityServiceImpl::calculate_crs(
            self,
            req.get_ref(),
        )?))
    }

    async fn check_eligibility(
        &self,
        req: Request<CheckEligibilityRequest>,
    ) -> Result<Response<CheckEligibilityResponse>, Status> {
        Ok(Response::new(EligibilityServiceImpl::check_eligibility(
            self,
            req.get_ref(),
        )?))
    }

    async fn check_invitation(
        &self,
        req: Request<CheckInvitationRequest>,
    ) -> Result<Response<CheckInvitationResponse>, Status> {
        Ok(Response::new(
            EligibilityServiceImpl::check_invitation(self, req.into_inner()).await?,
        ))
    }

    async fn check_invitation_history(
        &self,
        req: Request<CheckInvitationHistoryRequest>,
    ) -> Result<Response<CheckInvitationHistoryResponse>, Status> {
        Ok(Response::new(
            EligibilityServiceImpl::check_invitation_history(self, req.into_inner()).await?,
        ))
    }

    async fn get_pool_position(
        &self,
        req: Request<GetPoolPositionRequest>,
    ) -> Result<Response<GetPoolPositionResponse>, Status> {
        Ok(Response::new(EligibilityServiceImpl::get_pool_position(
            self,
            req.get_ref(),
        )?))
    }

    async fn get_invitation_outlook(
        &self,
        req: Request<GetInvitationOutlookRequest>,
    ) -> Result<Response<GetInvitationOutlookResponse>, Status> {
        Ok(Response::new(
            EligibilityServiceImpl::get_invitation_outlook(self, req.get_ref())?,
        ))
    }

    async fn explore_crs(
        &self,
        req: Request<ExploreCrsRequest>,
    ) -> Result<Response<ExploreCrsResponse>, Status> {
        Ok(Response::new(EligibilityServiceImpl::explore_crs(
            self,
            req.get_ref(),
        )?))
    }
}
