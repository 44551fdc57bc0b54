#![doc = include_str!("../README.md")]

mod names;
mod raw;
mod timestamp;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use ee_domain::{Catalog, CrsBucket, Draw, DrawDraft, PoolDistribution};

pub use names::RoundNames;

/// The feed snapshot this build ships: IRCC's feed as published on 2026-08-07 (435 rounds, #1 to #434 and #91a/#91b).
/// The server loads it into an empty database.
pub const SHIPPED_SNAPSHOT: &[u8] = include_bytes!("../snapshots/ee_rounds_123_en.2026-08-07.json");

/// Where the shipped snapshot came from.
pub const SHIPPED_SNAPSHOT_NAME: &str = "ee_rounds_123_en.json as published on 2026-08-07";
pub use timestamp::{parse_date, parse_timestamp};

/// Why a feed could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("the feed is not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("round {round}: field {field}: {message}")]
    Round {
        /// The round's `drawNumber`, or its position (`#12 in the feed`) when that is missing.
        round: String,
        /// The feed's field name, for example `drawCutOff`.
        field: String,
        message: String,
    },
}

/// Reads a whole feed. Every round is read or the feed is refused.
pub fn parse_feed(bytes: &[u8], catalog: &Catalog) -> Result<Vec<Draw>, FeedError> {
    let feed: raw::Feed = serde_json::from_slice(bytes).map_err(|e| FeedError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let names = RoundNames::builtin();
    feed.rounds
        .iter()
        .enumerate()
        .map(|(i, r)| read_round(r, i, catalog, names))
        .collect()
}

const LEAF_BUCKETS: [(usize, u32, u32); 15] = [
    (1, 601, 1200),
    (2, 501, 600),
    (4, 491, 500),
    (5, 481, 490),
    (6, 471, 480),
    (7, 461, 470),
    (8, 451, 460),
    (10, 441, 450),
    (11, 431, 440),
    (12, 421, 430),
    (13, 411, 420),
    (14, 401, 410),
    (15, 351, 400),
    (16, 301, 350),
    (17, 0, 300),
];
const TOTAL_BUCKET: usize = 18;

fn read_round(
    r: &raw::Round,
    index: usize,
    catalog: &Catalog,
    names: &RoundNames,
) -> Result<Draw, FeedError> {
    let round = if r.draw_number.trim().is_empty() {
        format!("#{} in the feed", index + 1)
    } else {
        r.draw_number.trim().to_owned()
    };
    let err = |field: &str, message: String| FeedError::Round {
        round: round.clone(),
        field: field.to_owned(),
        message,
    };
    let draw_date: NaiveDate = r.draw_date.trim().parse().map_err(|_| {
        err(
            "drawDate",
            format!("{:?} is not a YYYY-MM-DD date", r.draw_date),
        )
    })?;
    let held_at = held_at(&r.draw_date_time, draw_date).map_err(|m| err("drawDateTime", m))?;
    let tie_break_at = if r.draw_cut_off.trim().is_empty() {
        None
    } else {
        Some(tie_break(&r.draw_cut_off, held_at).map_err(|m| err("drawCutOff", m))?)
    };
    let selection = names
        .selection(&r.draw_name, draw_date, catalog)
        .map_err(|m| err("drawName", m))?;
    let eligible_programs = if r.draw_text2.trim().is_empty() {
        Vec::new()
    } else {
        names
            .programs(&r.draw_text2)
            .map_err(|m| err("drawText2", m))?
    };
    let invitations = count(&r.draw_size).map_err(|m| err("drawSize", m))?;
    let minimum_crs = count(&r.draw_crs).map_err(|m| err("drawCRS", m))?;
    let pool_distribution = pool(r).map_err(|(field, m)| err(&field, m))?;
    let (category_id, category_version) = selection_category(&selection);
    let draft = DrawDraft {
        number: r.draw_number.clone(),
        held_at: Some(held_at),
        kind: Some(selection.kind()),
        program: match &selection {
            ee_domain::Selection::Program(p) => Some(*p),
            _ => None,
        },
        category_id,
        category_version,
        name: r.draw_name.clone(),
        invitations: u32::try_from(invitations).map_err(|_| err("drawSize", "too large".into()))?,
        minimum_crs: u32::try_from(minimum_crs).map_err(|_| err("drawCRS", "too large".into()))?,
        tie_break_at,
        eligible_programs,
        pool_distribution,
    };
    draft.complete(catalog).map_err(|e| {
        let v = &e.violations[0];
        err(feed_field(&v.field), v.description.clone())
    })
}

fn selection_category(s: &ee_domain::Selection) -> (String, u32) {
    match s {
        ee_domain::Selection::Category(c) => (c.id.to_string(), c.version),
        _ => (String::new(), 0),
    }
}

/// The feed's name for a field of a draft.
fn feed_field(field: &str) -> &'static str {
    match field.split('.').next().unwrap_or_default() {
        "number" => "drawNumber",
        "held_at" => "drawDateTime",
        "invitations" => "drawSize",
        "minimum_crs" => "drawCRS",
        "tie_break_at" => "drawCutOff",
        "pool_distribution" => "dd1..dd18",
        "round_type" => "drawName",
        _ => "round",
    }
}

/// A count as IRCC writes it: "1,500", "8017", " 300 ".
fn count(s: &str) -> Result<u64, String> {
    let digits: String = s.trim().chars().filter(|c| *c != ',').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{s:?} is not a number"));
    }
    digits.parse().map_err(|_| format!("{s:?} is too large"))
}

fn held_at(text: &str, draw_date: NaiveDate) -> Result<DateTime<Utc>, String> {
    let at = parse_timestamp(text, Some(draw_date.year()))?;
    let gap = (at.date_naive() - draw_date).num_days().abs();
    if gap <= 1 {
        Ok(at)
    } else {
        Ok(draw_date.and_time(at.time()).and_utc())
    }
}

/// The cut-off is a profile submission time before the round; a missing year is the latest that keeps it so.
fn tie_break(text: &str, held_at: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let year = held_at.year();
    let at = parse_timestamp(text, Some(year))?;
    if at > held_at && !timestamp::has_year(text) {
        parse_timestamp(text, Some(year - 1))
    } else {
        Ok(at)
    }
}

fn pool(r: &raw::Round) -> Result<Option<PoolDistribution>, (String, String)> {
    let mut values = [0u64; TOTAL_BUCKET + 1];
    for (i, slot) in values.iter_mut().enumerate().skip(1) {
        let text = r.dd(i);
        if !text.trim().is_empty() {
            *slot = count(text).map_err(|m| (format!("dd{i}"), m))?;
        }
    }
    if values.iter().all(|v| *v == 0) {
        return Ok(None);
    }
    let as_of = parse_date(&r.draw_distribution_as_on)
        .map_err(|m| ("drawDistributionAsOn".to_owned(), m))?;
    Ok(Some(PoolDistribution {
        as_of,
        buckets: LEAF_BUCKETS
            .iter()
            .map(|&(i, min_score, max_score)| CrsBucket {
                min_score,
                max_score,
                candidates: values[i],
            })
            .collect(),
        total_candidates: values[TOTAL_BUCKET],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(overrides: &[(&str, &str)]) -> Vec<u8> {
        let mut r = serde_json::json!({
            "drawNumber": "252", "drawDate": "2023-06-28", "drawDateFull": "June 28, 2023",
            "drawName": "Healthcare occupations (2023-1)", "drawSize": "500", "drawCRS": "476",
            "drawText2": "Federal Skilled Worker Program, Canadian Experience Class and Federal Skilled Trades Program",
            "drawDateTime": "June 28, 2023 14:04:34 UTC", "drawCutOff": "November 12, 2022 12:47:27 UTC",
            "drawDistributionAsOn": "June 28, 2023"
        });
        for (k, v) in overrides {
            r[*k] = serde_json::Value::String((*v).to_owned());
        }
        serde_json::to_vec(&serde_json::json!({"classes": "wb-tables", "rounds": [r]}))
            .expect("json")
    }

    fn parse_one(overrides: &[(&str, &str)]) -> Result<Draw, FeedError> {
        parse_feed(&round(overrides), Catalog::builtin()).map(|mut v| v.remove(0))
    }

    #[test]
    fn a_category_round_is_normalised() {
        let d = parse_one(&[]).expect("valid");
        assert_eq!(d.number.to_string(), "252");
        assert_eq!(d.held_at.to_rfc3339(), "2023-06-28T14:04:34+00:00");
        assert_eq!(
            d.tie_break_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2022-11-12T12:47:27+00:00")
        );
        let c = d.category().expect("category");
        assert_eq!((c.id.as_str(), c.version), ("healthcare", 1));
        assert_eq!(d.round_type.name, "Healthcare occupations (2023-1)");
        assert_eq!(d.pool_distribution, None);
    }

    #[test]
    fn malformed_json_gives_its_position() {
        let err = parse_feed(b"{\"rounds\": [\n  {\"drawNumber\": }", Catalog::builtin())
            .expect_err("bad");
        assert!(matches!(err, FeedError::Json { line: 2, .. }), "{err:?}");
    }

    #[test]
    fn an_unreadable_round_names_the_round_and_field() {
        for (field, value) in [
            ("drawSize", "lots"),
            ("drawCRS", ""),
            ("drawDateTime", "sometime in June"),
            ("drawCutOff", "Smarch 3, 2023 at 10:00:00 UTC"),
            ("drawName", "Plumbers (Version 1)"),
            ("drawText2", "Federal Skilled Astronaut Program"),
            ("drawDate", "28/06/2023"),
        ] {
            let err = parse_one(&[(field, value)]).expect_err(field);
            match err {
                FeedError::Round {
                    round, field: f, ..
                } => {
                    assert_eq!((round.as_str(), f.as_str()), ("252", field));
                }
                other => panic!("{other:?}"),
            }
        }
        let err = parse_one(&[("drawName", "Healthcare occupations (Version 7)")]).expect_err("v7");
        assert!(
            matches!(err, FeedError::Round { ref field, .. } if field == "drawName"),
            "{err:?}"
        );
    }

    #[test]
    fn a_cut_off_with_no_year_takes_the_latest_year_before_the_round() {
        let d = parse_one(&[
            ("drawDate", "2021-10-27"),
            ("drawDateTime", "October 27, 2021 at 13:32:26 UTC"),
            ("drawCutOff", "October 7 at 16:38:21 UTC"),
            ("drawName", "Provincial Nominee Program"),
            ("drawText2", "Provincial Nominee Program"),
        ])
        .expect("valid");
        assert_eq!(
            d.tie_break_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2021-10-07T16:38:21+00:00")
        );
        let d = parse_one(&[
            ("drawDate", "2022-01-05"),
            ("drawDateTime", "January 5, 2022 at 13:32:26 UTC"),
            ("drawCutOff", "December 20 at 16:38:21 UTC"),
            ("drawName", "No Program Specified"),
        ])
        .expect("valid");
        assert_eq!(
            d.tie_break_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2021-12-20T16:38:21+00:00")
        );
    }

    #[test]
    fn a_round_dated_far_from_its_timestamp_keeps_its_date() {
        let d = parse_one(&[("drawDate", "2023-07-08")]).expect("valid");
        assert_eq!(d.held_at.to_rfc3339(), "2023-07-08T14:04:34+00:00");
        let d = parse_one(&[("drawDate", "2023-06-27")]).expect("valid");
        assert_eq!(d.held_at.to_rfc3339(), "2023-06-28T14:04:34+00:00");
    }

    #[test]
    fn the_pool_distribution_keeps_leaf_buckets_and_total() {
        let d = parse_one(&[
            ("dd1", "500"),
            ("dd2", "19,705"),
            ("dd3", "73,099"),
            ("dd4", "12,939"),
            ("dd17", "8017"),
            ("dd9", ""),
            ("dd18", "250,000"),
        ])
        .expect("valid");
        let p = d.pool_distribution.expect("pool");
        assert_eq!(p.as_of.to_string(), "2023-06-28");
        assert_eq!(p.buckets.len(), 15);
        assert_eq!(
            (
                p.buckets[0].min_score,
                p.buckets[0].max_score,
                p.buckets[0].candidates
            ),
            (601, 1200, 500)
        );
        assert_eq!(p.buckets[2].candidates, 12_939);
        assert_eq!(
            (p.buckets[14].min_score, p.buckets[14].candidates),
            (0, 8017)
        );
        assert_eq!(p.total_candidates, 250_000);
    }
}
