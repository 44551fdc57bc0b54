//! The answers of GetPoolPosition and GetInvitationOutlook, from their domain forms.

use chrono::{NaiveDate, NaiveTime};
use ee_domain::assessments::crs::CrsScore;
use ee_domain::assessments::outlook::{Outlook, Stream, StreamOutlook};
use ee_domain::assessments::pool::PoolPosition;

use crate::candidate;
use crate::convert::{date, program, timestamp};
use crate::v1;

pub fn pool_position(p: &PoolPosition) -> v1::PoolPosition {
    v1::PoolPosition {
        draw_number: p.round.to_string(),
        draw_date: Some(date(p.round_held_on)),
        pool_date: Some(date(p.pool_as_of)),
        total_candidates: p.total,
        score: p.score,
        range_min: p.range_min,
        range_max: p.range_max,
        range_candidates: p.range_count,
        above_at_least: p.above_at_least,
        above_at_most: p.above_at_most,
        above_estimate: p.above_estimate,
        share_above: p.share_above,
    }
}

pub fn pool_response(
    positions: &[PoolPosition],
    rounds_without_distribution: u32,
    crs: Option<&CrsScore>,
) -> v1::GetPoolPositionResponse {
    v1::GetPoolPositionResponse {
        positions: positions.iter().map(pool_position).collect(),
        rounds_without_distribution,
        crs: crs.map(candidate::crs),
    }
}

fn midnight(d: NaiveDate) -> prost_types::Timestamp {
    timestamp(d.and_time(NaiveTime::MIN).and_utc())
}

/// The ListDraws filter that selects a stream's rounds in its window.
fn stream_filter(s: &StreamOutlook) -> v1::DrawFilter {
    let mut f = v1::DrawFilter {
        held_after: Some(midnight(s.window_start)),
        held_before: Some(midnight(s.window_end)),
        ..v1::DrawFilter::default()
    };
    match &s.stream {
        Stream::General => f.kind = v1::RoundKind::General as i32,
        Stream::Program(p) => {
            f.kind = v1::RoundKind::Program as i32;
            f.program = program(*p) as i32;
        }
        Stream::Category(id) => {
            f.kind = v1::RoundKind::Category as i32;
            f.category_id = id.to_string();
        }
    }
    f
}

fn stream(s: &StreamOutlook) -> v1::OutlookStream {
    v1::OutlookStream {
        name: s.name.clone(),
        filter: Some(stream_filter(s)),
        rounds: s.rounds,
        expected_rounds: s.expected_rounds,
        last_cutoff: s.cutoffs.map(|c| c.last),
        lower_quartile_cutoff: s.cutoffs.map(|c| c.lower_quartile),
        median_cutoff: s.cutoffs.map(|c| c.median),
        upper_quartile_cutoff: s.cutoffs.map(|c| c.upper_quartile),
        share_cleared: s.share_cleared,
        points_to_median: s.points_to_median,
        points_to_upper_quartile: s.points_to_upper_quartile,
        probability: s.probability,
    }
}

pub fn outlook_response(o: &Outlook) -> v1::GetInvitationOutlookResponse {
    v1::GetInvitationOutlookResponse {
        as_of: Some(date(o.as_of)),
        horizon_days: o.horizon_days,
        crs: Some(candidate::crs(&o.crs)),
        probability: o.probability,
        expected_rounds: o.expected_rounds,
        streams: o.streams.iter().map(stream).collect(),
        method: Some(v1::OutlookMethod {
            reference_cutoff: o.reference_cutoff,
            drop_estimate: o.drop_estimate,
            own_score_estimate: o.own_score_estimate,
            windows_learned: o.windows_learned,
        }),
        score_changes: o
            .score_changes
            .iter()
            .map(|c| v1::ScoreChange {
                date: Some(date(c.on)),
                crs_before: c.crs_before,
                crs_after: c.crs_after,
                lines: c
                    .lines
                    .iter()
                    .map(|(code, before, after)| v1::CrsLineChange {
                        code: code.as_str().to_owned(),
                        points_before: *before,
                        points_after: *after,
                    })
                    .collect(),
            })
            .collect(),
        points_for: o
            .points_for
            .iter()
            .map(|p| v1::PointsForProbability {
                probability: p.probability,
                points: p.points,
            })
            .collect(),
        notes: o.notes.clone(),
    }
}
