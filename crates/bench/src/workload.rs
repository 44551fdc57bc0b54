//! What the benchmark sends: the RPCs under test, the candidate profile, the shipped feed and the synthetic rounds
//! that grow the history.

use anyhow::Context;
use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::eligibility_service_client::EligibilityServiceClient;
use ee_proto::v1::{
    CalculateCrsRequest, CanadianEducation, CandidateProfile, CheckEligibilityRequest,
    CheckInvitationRequest, Date, Draw, EducationLevel, GetDrawRequest, GetDrawStatsRequest,
    GetLatestDrawRequest, LanguageResult, LanguageScores, LanguageTest, ListDrawsRequest,
    MaritalStatus, RoundKind, RoundType, Spouse, WorkExperience,
};
use prost::Message;
use tonic::transport::Channel;
use tonic::{Request, Status};

use crate::baseline::pb::EchoRequest;
use crate::baseline::pb::baseline_service_client::BaselineServiceClient;
use crate::process::OPERATOR_TOKEN;

/// IRCC's feed as the server ships it (crates/ircc-feed/snapshots): 435 rounds.
pub const FEED: &[u8] =
    include_bytes!("../../ircc-feed/snapshots/ee_rounds_123_en.2026-08-07.json");

/// Room for the largest answer: GetDrawStats, a page of 50 rounds, a synthetic feed.
pub const MAX_MESSAGE: usize = 256 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
pub enum Rpc {
    GetDraw,
    GetLatestDraw,
    ListDraws,
    GetDrawStats,
    CheckInvitation,
    CalculateCrs,
    CheckEligibility,
}

impl Rpc {
    pub const ALL: [Rpc; 7] = [
        Rpc::GetDraw,
        Rpc::GetLatestDraw,
        Rpc::ListDraws,
        Rpc::GetDrawStats,
        Rpc::CheckInvitation,
        Rpc::CalculateCrs,
        Rpc::CheckEligibility,
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

/// Clients over several connections, each shared by the requests sent on it.
#[derive(Clone)]
pub struct Clients {
    draws: Vec<DrawServiceClient<Channel>>,
    eligibility: Vec<EligibilityServiceClient<Channel>>,
}

impl Clients {
    pub fn new(channels: &[Channel]) -> Self {
        Self {
            draws: channels
                .iter()
                .map(|c| DrawServiceClient::new(c.clone()).max_decoding_message_size(MAX_MESSAGE))
                .collect(),
            eligibility: channels
                .iter()
                .map(|c| {
                    EligibilityServiceClient::new(c.clone()).max_decoding_message_size(MAX_MESSAGE)
                })
                .collect(),
        }
    }

    pub fn draws(&self, worker: usize) -> DrawServiceClient<Channel> {
        self.draws[worker % self.draws.len()].clone()
    }

    fn eligibility(&self, worker: usize) -> EligibilityServiceClient<Channel> {
        self.eligibility[worker % self.eligibility.len()].clone()
    }
}

/// The inputs of the calls.
pub struct Inputs {
    /// The round numbers GetDraw and CheckInvitation cycle over.
    pub numbers: Vec<String>,
    pub profile: CandidateProfile,
}

/// Sends the `n`th request of `rpc` on the connection of `worker`; answers the size of the encoded answer.
pub async fn call(
    rpc: Rpc,
    clients: &Clients,
    inputs: &Inputs,
    worker: usize,
    n: u64,
) -> Result<usize, Status> {
    let number = || inputs.numbers[(n % inputs.numbers.len() as u64) as usize].clone();
    Ok(match rpc {
        Rpc::GetDraw => clients
            .draws(worker)
            .get_draw(GetDrawRequest { number: number() })
            .await?
            .into_inner()
            .encoded_len(),
        Rpc::GetLatestDraw => clients
            .draws(worker)
            .get_latest_draw(GetLatestDrawRequest { filter: None })
            .await?
            .into_inner()
            .encoded_len(),
        Rpc::ListDraws => {
            let page = clients
                .draws(worker)
                .list_draws(ListDrawsRequest {
                    page_size: 50,
                    ..Default::default()
                })
                .await?
                .into_inner();
            if page.draws.len() != 50 {
                return Err(Status::data_loss(format!(
                    "ListDraws answered {} rounds, not 50",
                    page.draws.len()
                )));
            }
            page.encoded_len()
        }
        Rpc::GetDrawStats => clients
            .draws(worker)
            .get_draw_stats(GetDrawStatsRequest { filter: None })
            .await?
            .into_inner()
            .encoded_len(),
        Rpc::CheckInvitation => clients
            .eligibility(worker)
            .check_invitation(CheckInvitationRequest {
                profile: Some(inputs.profile.clone()),
                draw_number: number(),
            })
            .await?
            .into_inner()
            .encoded_len(),
        Rpc::CalculateCrs => clients
            .eligibility(worker)
            .calculate_crs(CalculateCrsRequest {
                profile: Some(inputs.profile.clone()),
                as_of: Some(date(2026, 6, 1)),
            })
            .await?
            .into_inner()
            .encoded_len(),
        Rpc::CheckEligibility => clients
            .eligibility(worker)
            .check_eligibility(CheckEligibilityRequest {
                profile: Some(inputs.profile.clone()),
                as_of: Some(date(2026, 6, 1)),
            })
            .await?
            .into_inner()
            .encoded_len(),
    })
}

/// The baseline's call: a small request answered by `size` bytes of payload.
pub async fn call_baseline(
    clients: &[BaselineServiceClient<Channel>],
    worker: usize,
    size: u32,
) -> Result<(), Status> {
    clients[worker % clients.len()]
        .clone()
        .echo(EchoRequest { size })
        .await
        .map(drop)
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
