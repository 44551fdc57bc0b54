//! What the benchmark sends: the RPCs under test, the candidate profile, the shipped feed and the synthetic rounds
//! that grow the history.

use anyhow::Context;
use ee_proto::encoded::Encoded;
use ee_proto::v1::{
    CalculateCrsRequest, CalculateCrsResponse, CanadianEducation, CandidateProfile,
    CheckEligibilityRequest, CheckEligibilityResponse, CheckInvitationRequest,
    CheckInvitationResponse, Date, Draw, EducationLevel, GetDrawRequest, GetDrawResponse,
    GetDrawStatsRequest, GetDrawStatsResponse, GetInvitationOutlookRequest,
    GetInvitationOutlookResponse, GetLatestDrawRequest, GetLatestDrawResponse,
    GetPoolPositionRequest, GetPoolPositionResponse, LanguageResult, LanguageScores, LanguageTest,
    ListDrawsRequest, ListDrawsResponse, MaritalStatus, RoundKind, RoundType, Spouse,
    WorkExperience, get_pool_position_request,
};
use prost::Message;
use tonic::transport::Channel;
use tonic::{Request, Status};

pub use crate::baseline::MAX_MESSAGE;
use crate::baseline::pb::baseline_service_client::BaselineServiceClient;
use crate::baseline::pb::{EchoRequest, KeepRequest};
use crate::process::OPERATOR_TOKEN;

/// IRCC's feed as the server ships it (crates/ircc-feed/snapshots): 435 rounds.
pub const FEED: &[u8] =
    include_bytes!("../../ircc-feed/snapshots/ee_rounds_123_en.2026-08-07.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
pub enum Rpc {
    GetDraw,
    GetLatestDraw,
    ListDraws,
    GetDrawStats,
    CheckInvitation,
    CalculateCrs,
    CheckEligibility,
    GetPoolPosition,
    GetInvitationOutlook,
}

impl Rpc {
    pub const ALL: [Rpc; 9] = [
        Rpc::GetDraw,
        Rpc::GetLatestDraw,
        Rpc::ListDraws,
        Rpc::GetDrawStats,
        Rpc::CheckInvitation,
        Rpc::CalculateCrs,
        Rpc::CheckEligibility,
        Rpc::GetPoolPosition,
        Rpc::GetInvitationOutlook,
    ];
    /// The reads that come from the history, measured again as it grows.
    pub const READS: [Rpc; 5] = [
        Rpc::GetDraw,
        Rpc::GetLatestDraw,
        Rpc::ListDraws,
        Rpc::GetDrawStats,
        Rpc::CheckInvitation,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Rpc::GetDraw => "GetDraw",
            Rpc::GetLatestDraw => "GetLatestDraw",
            Rpc::ListDraws => "ListDraws(50)",
            Rpc::GetDrawStats => "GetDrawStats",
            Rpc::CheckInvitation => "CheckInvitation",
            Rpc::CalculateCrs => "CalculateCrs",
            Rpc::CheckEligibility => "CheckEligibility",
            Rpc::GetPoolPosition => "GetPoolPosition",
            Rpc::GetInvitationOutlook => "GetInvitationOutlook",
        }
    }

    /// Decodes `payload` as this RPC's answer, as its client does: what the client of the baseline does with the
    /// subject's answer that the baseline sends back.
    pub fn decode(self, payload: bytes::Bytes) -> Result<(), prost::DecodeError> {
        match self {
            Rpc::GetDraw => GetDrawResponse::decode(payload).map(drop),
            Rpc::GetLatestDraw => GetLatestDrawResponse::decode(payload).map(drop),
            Rpc::ListDraws => ListDrawsResponse::decode(payload).map(drop),
            Rpc::GetDrawStats => GetDrawStatsResponse::decode(payload).map(drop),
            Rpc::CheckInvitation => CheckInvitationResponse::decode(payload).map(drop),
            Rpc::CalculateCrs => CalculateCrsResponse::decode(payload).map(drop),
            Rpc::CheckEligibility => CheckEligibilityResponse::decode(payload).map(drop),
            Rpc::GetPoolPosition => GetPoolPositionResponse::decode(payload).map(drop),
            Rpc::GetInvitationOutlook => GetInvitationOutlookResponse::decode(payload).map(drop),
        }
    }

    /// The target for subject/baseline at 64 concurrent requests.
    pub fn target_ratio(self) -> f64 {
        match self {
            Rpc::GetDrawStats => 0.5,
            Rpc::CalculateCrs => 0.8,
            _ => 0.7,
        }
    }
}

/// Connections to the subject, each shared by the requests sent on it.
#[derive(Clone)]
pub struct Clients {
    channels: Vec<Channel>,
}

impl Clients {
    pub fn new(channels: &[Channel]) -> Self {
        Self {
            channels: channels.to_vec(),
        }
    }

    /// Sends `request`, encoded beforehand, to `path` on the connection of `worker`, and decodes the answer as a
    /// `T`: what the generated client does, less building and encoding the request for every call (as h2load sends
    /// the same bytes each time), so that the load generator's own work is the same as for the baseline.
    async fn unary<R, T>(
        &self,
        worker: usize,
        path: &'static str,
        request: &Encoded<R>,
    ) -> Result<T, Status>
    where
        R: Message + Default + Send + 'static,
        T: Message + Default + Send + 'static,
    {
        let mut grpc =
            tonic::client::Grpc::new(self.channels[worker % self.channels.len()].clone())
                .max_decoding_message_size(MAX_MESSAGE);
        grpc.ready()
            .await
            .map_err(|e| Status::unavailable(format!("the connection is not ready: {e}")))?;
        let codec = tonic_prost::ProstCodec::<Encoded<R>, T>::default();
        grpc.unary(
            Request::new(request.clone()),
            http::uri::PathAndQuery::from_static(path),
            codec,
        )
        .await
        .map(tonic::Response::into_inner)
    }
}

/// The requests of the calls, each encoded once.
pub struct Inputs {
    /// GetDraw of each round number, in turn.
    get_draw: Vec<Encoded<GetDrawRequest>>,
    /// CheckInvitation of the candidate in each round, in turn.
    check_invitation: Vec<Encoded<CheckInvitationRequest>>,
    list_draws: Encoded<ListDrawsRequest>,
    get_latest_draw: Encoded<GetLatestDrawRequest>,
    get_draw_stats: Encoded<GetDrawStatsRequest>,
    calculate_crs: Encoded<CalculateCrsRequest>,
    check_eligibility: Encoded<CheckEligibilityRequest>,
    /// The profile's place in the latest distribution on a date.
    get_pool_position: Encoded<GetPoolPositionRequest>,
    /// The profile's outlook over the whole history, 90 days ahead.
    get_invitation_outlook: Encoded<GetInvitationOutlookRequest>,
}

impl Inputs {
    /// GetDraw and CheckInvitation cycle over `numbers`; the eligibility calls send `profile`.
    pub fn new(numbers: &[String], profile: &CandidateProfile) -> Self {
        Self {
            get_draw: numbers
                .iter()
                .map(|n| Encoded::new(&GetDrawRequest { number: n.clone() }))
                .collect(),
            check_invitation: numbers
                .iter()
                .map(|n| {
                    Encoded::new(&CheckInvitationRequest {
                        profile: Some(profile.clone()),
                        draw_number: n.clone(),
                    })
                })
                .collect(),
            list_draws: Encoded::new(&ListDrawsRequest {
                page_size: 50,
                ..Default::default()
            }),
            get_latest_draw: Encoded::new(&GetLatestDrawRequest { filter: None }),
            get_draw_stats: Encoded::new(&GetDrawStatsRequest { filter: None }),
            calculate_crs: Encoded::new(&CalculateCrsRequest {
                profile: Some(profile.clone()),
                as_of: Some(date(2026, 6, 1)),
            }),
            check_eligibility: Encoded::new(&CheckEligibilityRequest {
                profile: Some(profile.clone()),
                as_of: Some(date(2026, 6, 1)),
            }),
            get_pool_position: Encoded::new(&GetPoolPositionRequest {
                score: Some(get_pool_position_request::Score::Profile(profile.clone())),
                when: Some(get_pool_position_request::When::AsOf(date(2026, 6, 1))),
            }),
            get_invitation_outlook: Encoded::new(&GetInvitationOutlookRequest {
                profile: Some(profile.clone()),
                as_of: Some(date(2026, 6, 1)),
                horizon_days: 90,
            }),
        }
    }

    /// How many rounds GetDraw and CheckInvitation cycle over.
    pub fn rounds(&self) -> usize {
        self.get_draw.len()
    }
}

/// An answer of the subject, as its client decoded it.
pub enum Answer {
    Draw(GetDrawResponse),
    Latest(GetLatestDrawResponse),
    Page(ListDrawsResponse),
    Stats(GetDrawStatsResponse),
    Invitation(CheckInvitationResponse),
    Crs(CalculateCrsResponse),
    Eligibility(CheckEligibilityResponse),
    Pool(GetPoolPositionResponse),
    Outlook(GetInvitationOutlookResponse),
}

impl Answer {
    /// The answer encoded again: the bytes the server sent (prost encodes fields in number order, as the server).
    pub fn encode_to_vec(&self) -> Vec<u8> {
        match self {
            Answer::Draw(m) => m.encode_to_vec(),
            Answer::Latest(m) => m.encode_to_vec(),
            Answer::Page(m) => m.encode_to_vec(),
            Answer::Stats(m) => m.encode_to_vec(),
            Answer::Invitation(m) => m.encode_to_vec(),
            Answer::Crs(m) => m.encode_to_vec(),
            Answer::Eligibility(m) => m.encode_to_vec(),
            Answer::Pool(m) => m.encode_to_vec(),
            Answer::Outlook(m) => m.encode_to_vec(),
        }
    }
}

/// Sends the `n`th request of `rpc` on the connection of `worker`.
pub async fn call(
    rpc: Rpc,
    clients: &Clients,
    inputs: &Inputs,
    worker: usize,
    n: u64,
) -> Result<Answer, Status> {
    let round = (n % inputs.rounds() as u64) as usize;
    Ok(match rpc {
        Rpc::GetDraw => Answer::Draw(
            clients
                .unary(
                    worker,
                    "/expressentry.v1.DrawService/GetDraw",
                    &inputs.get_draw[round],
                )
                .await?,
        ),
        Rpc::GetLatestDraw => Answer::Latest(
            clients
                .unary(
                    worker,
                    "/expressentry.v1.DrawService/GetLatestDraw",
                    &inputs.get_latest_draw,
                )
                .await?,
        ),
        Rpc::ListDraws => {
            let page: ListDrawsResponse = clients
                .unary(
                    worker,
                    "/expressentry.v1.DrawService/ListDraws",
                    &inputs.list_draws,
                )
                .await?;
            if page.draws.len() != 50 {
                return Err(Status::data_loss(format!(
                    "ListDraws answered {} rounds, not 50",
                    page.draws.len()
                )));
            }
            Answer::Page(page)
        }
        Rpc::GetDrawStats => Answer::Stats(
            clients
                .unary(
                    worker,
                    "/expressentry.v1.DrawService/GetDrawStats",
                    &inputs.get_draw_stats,
                )
                .await?,
        ),
        Rpc::CheckInvitation => Answer::Invitation(
            clients
                .unary(
                    worker,
                    "/expressentry.v1.EligibilityService/CheckInvitation",
                    &inputs.check_invitation[round],
                )
                .await?,
        ),
        Rpc::CalculateCrs => Answer::Crs(
            clients
                .unary(
                    worker,
                    "/expressentry.v1.EligibilityService/CalculateCrs",
                    &inputs.calculate_crs,
                )
                .await?,
        ),
        Rpc::CheckEligibility => Answer::Eligibility(
            clients
                .unary(
                    worker,
                    "/expressentry.v1.EligibilityService/CheckEligibility",
                    &inputs.check_eligibility,
                )
                .await?,
        ),
        Rpc::GetPoolPosition => Answer::Pool(
            clients
                .unary(
                    worker,
                    "/expressentry.v1.EligibilityService/GetPoolPosition",
                    &inputs.get_pool_position,
                )
                .await?,
        ),
        Rpc::GetInvitationOutlook => Answer::Outlook(
            clients
                .unary(
                    worker,
                    "/expressentry.v1.EligibilityService/GetInvitationOutlook",
                    &inputs.get_invitation_outlook,
                )
                .await?,
        ),
    })
}

/// Keeps `payload` in the baseline under `answer`, for [`call_baseline`] to ask for.
pub async fn keep_in_baseline(
    client: &BaselineServiceClient<Channel>,
    answer: u32,
    payload: Vec<u8>,
) -> Result<(), Status> {
    client
        .clone()
        .keep(KeepRequest {
            answer,
            payload: payload.into(),
        })
        .await
        .map(drop)
}

/// The baseline's call: a small request answered by the payload kept under `answer`, which the client decodes as
/// `rpc`'s answer.
pub async fn call_baseline(
    clients: &[BaselineServiceClient<Channel>],
    worker: usize,
    rpc: Rpc,
    answer: u32,
) -> Result<(), Status> {
    let payload = clients[worker % clients.len()]
        .clone()
        .echo(EchoRequest { answer })
        .await?
        .into_inner()
        .payload;
    rpc.decode(payload).map_err(|e| {
        Status::data_loss(format!(
            "the baseline's payload is not {rpc:?}'s answer: {e}"
        ))
    })
}

/// `message` with the operator's token, for RecordDraw and ImportFeed.
pub fn authorized<T>(message: T) -> Result<Request<T>, Status> {
    let mut request = Request::new(message);
    let value = format!("Bearer {OPERATOR_TOKEN}")
        .parse()
        .map_err(|_| Status::internal("the operator token is not a header value"))?;
    request.metadata_mut().insert("authorization", value);
    Ok(request)
}

fn date(year: i32, month: i32, day: i32) -> Date {
    Date { year, month, day }
}

/// A realistic candidate: married with an accompanying spouse, two languages, three jobs, a sibling in Canada.
pub fn candidate() -> CandidateProfile {
    let scores = |test: LanguageTest, reading, writing, listening, speaking| LanguageResult {
        test: test as i32,
        scores: Some(LanguageScores {
            reading,
            writing,
            listening,
            speaking,
        }),
        test_date: Some(date(2025, 3, 1)),
    };
    let job = |noc: &str, start: Date, end: Option<Date>, in_canada| WorkExperience {
        noc_code: noc.into(),
        start: Some(start),
        end,
        hours_per_week: 37.5,
        in_canada,
        ..Default::default()
    };
    CandidateProfile {
        date_of_birth: Some(date(1992, 4, 12)),
        marital_status: MaritalStatus::Married as i32,
        spouse: Some(Spouse {
            accompanying: true,
            education: EducationLevel::Bachelors as i32,
            language: Some(scores(LanguageTest::CelpipGeneral, 8.0, 7.0, 9.0, 8.0)),
            canadian_work_years: 1,
            ..Default::default()
        }),
        education: EducationLevel::Masters as i32,
        education_assessed: true,
        canadian_education: CanadianEducation::TwoYear as i32,
        first_language: Some(scores(LanguageTest::IeltsGeneral, 8.0, 7.5, 8.5, 7.0)),
        second_language: Some(scores(LanguageTest::TefCanada, 450.0, 430.0, 440.0, 460.0)),
        work_history: vec![
            job("31301", date(2016, 1, 1), Some(date(2019, 12, 31)), false),
            job("31301", date(2020, 3, 1), Some(date(2023, 6, 30)), true),
            job("32101", date(2023, 7, 1), None, true),
        ],
        sibling_in_canada: true,
        proof_of_funds: true,
        profile_submitted_at: Some(prost_types::Timestamp {
            seconds: 1_673_776_800,
            nanos: 0,
        }),
        ..Default::default()
    }
}

/// The shipped feed's rounds, as JSON objects.
fn feed_rounds() -> anyhow::Result<(serde_json::Value, Vec<serde_json::Value>)> {
    let mut feed: serde_json::Value =
        serde_json::from_slice(FEED).context("the shipped feed is not JSON")?;
    let rounds = feed
        .get_mut("rounds")
        .and_then(|r| r.as_array_mut())
        .map(std::mem::take)
        .context("the shipped feed has no rounds")?;
    Ok((feed, rounds))
}

/// The round numbers of the shipped feed.
pub fn feed_numbers() -> anyhow::Result<Vec<String>> {
    let (_, rounds) = feed_rounds()?;
    rounds
        .iter()
        .map(|r| {
            r.get("drawNumber")
                .and_then(|n| n.as_str())
                .map(str::to_owned)
                .context("a round of the shipped feed has no drawNumber")
        })
        .collect()
}

/// The shipped rounds' number `number` in copy `copy` (1, 2, ...): `copy * 1000 + number`, its letter kept, so
/// that every copy's rounds have numbers of their own (#252 is #5252 in copy 5).
pub fn copy_number(copy: u32, number: &str) -> anyhow::Result<String> {
    let digits_end = number
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(number.len());
    let (digits, letter) = number.split_at(digits_end);
    let n: u32 = digits
        .parse()
        .with_context(|| format!("{number:?} is not a round number"))?;
    anyhow::ensure!(n < 1000, "round {number} is beyond the copies' numbering");
    Ok(format!("{}{letter}", copy * 1000 + n))
}

/// A feed of the shipped rounds in copies `copies`, each renumbered ([`copy_number`]), with the same dates and
/// figures: a history as large, but not as old, as the copies make it.
pub fn synthetic_feed(copies: std::ops::Range<u32>) -> anyhow::Result<(Vec<u8>, Vec<String>)> {
    let (mut feed, rounds) = feed_rounds()?;
    let mut out = Vec::with_capacity(rounds.len() * copies.len());
    let mut numbers = Vec::with_capacity(out.capacity());
    for copy in copies {
        for round in &rounds {
            let mut round = round.clone();
            let number = round
                .get("drawNumber")
                .and_then(|n| n.as_str())
                .context("a round of the shipped feed has no drawNumber")?;
            let renumbered = copy_number(copy, number)?;
            round["drawNumber"] = serde_json::Value::String(renumbered.clone());
            numbers.push(renumbered);
            out.push(round);
        }
    }
    feed["rounds"] = serde_json::Value::Array(out);
    Ok((serde_json::to_vec(&feed)?, numbers))
}

/// A general round numbered `number`, held `k` minutes after 2027-01-15T08:00:00Z (after every shipped round).
pub fn new_round(number: u32, k: u32) -> Draw {
    Draw {
        number: number.to_string(),
        held_at: Some(prost_types::Timestamp {
            seconds: 1_800_000_000 + i64::from(k) * 60,
            nanos: 0,
        }),
        round_type: Some(RoundType {
            kind: RoundKind::General as i32,
            ..Default::default()
        }),
        invitations: 1000,
        minimum_crs: 480,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_renumbered() {
        assert_eq!(copy_number(5, "252").expect("n"), "5252");
        assert_eq!(copy_number(99, "91a").expect("n"), "99091a");
        assert!(copy_number(1, "x").is_err());
        let numbers = feed_numbers().expect("numbers");
        assert_eq!(numbers.len(), 435);
        let (bytes, copied) = synthetic_feed(1..3).expect("feed");
        assert_eq!(copied.len(), 870);
        assert!(copied.contains(&"2434".to_owned()));
        assert!(bytes.len() > 2 * FEED.len() / 2);
    }
}
