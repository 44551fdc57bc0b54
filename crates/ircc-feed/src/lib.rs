#![doc = include_str!("../README.md")]

mod names;
mod raw;
mod timestamp;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use ee_domain::{
    Catalog, CrsBucket, Draw, DrawDraft, ErrorCode, FieldViolation, MAX_NAME_CHARS,
    PUBLISHED_CRS_RANGES, PoolDistribution, Selection, ServiceError,
};

pub use names::{BUILTIN_ROUND_NAMES, LabelledType, RoundNames, clean_label, derived_category_id};

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
    #[error("the feed is not shaped like IRCC's (an object with a list of rounds): {0}")]
    Shape(String),
    #[error("{} rounds cannot be read: {}", .count, .first.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Rounds {
        /// The first [`MAX_REPORTED_ROUNDS`] of them.
        first: Vec<FeedError>,
        count: usize,
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

impl ServiceError for FeedError {
    fn error_code(&self) -> ErrorCode {
        ErrorCode::InvalidArgument
    }

    /// Feeds arrive as `ImportFeedRequest.feed_json`; each unreadable round is a violation of its own.
    fn field_violations(&self) -> Vec<FieldViolation> {
        match self {
            FeedError::Rounds { first, count } => {
                let mut out: Vec<FieldViolation> = first
                    .iter()
                    .map(|e| FieldViolation::new("feed_json", e.to_string()))
                    .collect();
                if *count > first.len() {
                    out.push(FieldViolation::new(
                        "feed_json",
                        format!("and {} more rounds", count - first.len()),
                    ));
                }
                out
            }
            other => vec![FieldViolation::new("feed_json", other.to_string())],
        }
    }
}

/// The unreadable rounds an error names; the others are counted.
pub const MAX_REPORTED_ROUNDS: usize = 10;

/// A feed as read: its rounds in the order the document lists them (duplicates included: the caller decides),
/// and what the reader could not place although it kept the round (program names it does not know).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFeed {
    pub draws: Vec<Draw>,
    pub notes: Vec<String>,
}

/// Reads a whole feed. A round of a type the catalogue does not know is kept (see
/// `ee_domain::RoundType::uncatalogued`); a round that cannot be read at all (no number, no date, no size, no
/// minimum CRS, an unreadable time) refuses the feed, naming the round and the field.
pub fn parse_feed(
    bytes: &[u8],
    catalog: &Catalog,
    names: &RoundNames,
) -> Result<ParsedFeed, FeedError> {
    let feed = raw::Feed::read(bytes)?;
    let mut parsed = ParsedFeed::default();
    let mut unreadable = Vec::new();
    for (i, r) in feed.rounds.iter().enumerate() {
        match read_round(r, i, catalog, names, &mut parsed.notes) {
            Ok(draw) => parsed.draws.push(draw),
            Err(e) => unreadable.push(e),
        }
    }
    match unreadable.len() {
        0 => Ok(parsed),
        1 => Err(unreadable.remove(0)),
        count => Err(FeedError::Rounds {
            first: unreadable.into_iter().take(MAX_REPORTED_ROUNDS).collect(),
            count,
        }),
    }
}

/// The `ddN` field of each of IRCC's published CRS ranges, in the order of `PUBLISHED_CRS_RANGES` (dd3 and dd9 are
/// subtotals: 451-600 and 401-450).
const LEAF_FIELDS: [usize; 15] = [1, 2, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17];
const TOTAL_BUCKET: usize = 18;

fn read_round(
    r: &raw::Round,
    index: usize,
    catalog: &Catalog,
    names: &RoundNames,
    notes: &mut Vec<String>,
) -> Result<Draw, FeedError> {
    let number = r.draw_number.trim();
    let round = if number.is_empty() {
        format!("#{} in the feed", index + 1)
    } else if number.chars().count() > 12 || number.chars().any(char::is_control) {
        // A long or garbled "number" is named by a readable excerpt and its place.
        let head: String = number
            .chars()
            .filter(|c| !c.is_control())
            .take(12)
            .collect();
        format!("{head:?}… (#{} in the feed)", index + 1)
    } else {
        number.to_owned()
    };
    let err = |field: &str, message: String| FeedError::Round {
        round: round.clone(),
        field: field.to_owned(),
        message,
    };
    let (draw_date, held_at) =
        when_held(&r.draw_date, &r.draw_date_time).map_err(|(f, m)| err(f, m))?;
    let tie_break_at = if r.draw_cut_off.trim().is_empty() {
        None
    } else {
        Some(tie_break(&r.draw_cut_off, held_at).map_err(|m| err("drawCutOff", m))?)
    };
    // A label longer than any IRCC has written is cut, not refused: the round is kept.
    let label: String = clean_label(&r.draw_name)
        .chars()
        .take(MAX_NAME_CHARS)
        .collect();
    let labelled = names.round_type(&label, draw_date, catalog);
    let eligible_programs = if r.draw_text2.trim().is_empty() {
        None
    } else {
        let (programs, unknown) = names.programs(&r.draw_text2);
        if !unknown.is_empty() {
            notes.push(format!(
                "round {round}: drawText2 names programs this release does not know ({}); the round is kept with \
                 the programs it does know ({})",
                unknown.join(", "),
                if programs.is_empty() { "none".to_owned() } else {
                    programs.iter().map(|p| p.code()).collect::<Vec<_>>().join(", ")
                }
            ));
        }
        Some(programs)
    };
    let invitations = count(&r.draw_size).map_err(|m| err("drawSize", m))?;
    let minimum_crs = count(&r.draw_crs).map_err(|m| err("drawCRS", m))?;
    let pool_distribution = pool(r).map_err(|(field, m)| err(&field, m))?;
    let (category_id, category_version) = match &labelled.selection {
        Selection::Category(c) => (c.id.to_string(), c.version),
        _ => (String::new(), 0),
    };
    let draft = DrawDraft {
        number: r.draw_number.clone(),
        held_at: Some(held_at),
        kind: Some(labelled.selection.kind()),
        program: match &labelled.selection {
            Selection::Program(p) => Some(*p),
            _ => None,
        },
        category_id,
        category_version,
        name: label,
        invitations: u32::try_from(invitations).map_err(|_| err("drawSize", "too large".into()))?,
        minimum_crs: u32::try_from(minimum_crs).map_err(|_| err("drawCRS", "too large".into()))?,
        tie_break_at,
        eligible_programs,
        pool_distribution,
        uncatalogued: labelled.uncatalogued,
    };
    draft.complete(catalog).map_err(|e| {
        let v = &e.violations[0];
        err(feed_field(&v.field), v.description.clone())
    })
}

/// The day and time of the round, with the feed field a mistake is in. The day is `drawDate`, in any spelling a
/// date is written in; when IRCC left it empty, the date of `drawDateTime` (which must then carry its year).
fn when_held(
    date: &str,
    date_time: &str,
) -> Result<(NaiveDate, DateTime<Utc>), (&'static str, String)> {
    if date.trim().is_empty() {
        let at = parse_timestamp(date_time, None).map_err(|m| ("drawDateTime", m))?;
        return Ok((at.date_naive(), at));
    }
    let day = parse_date(date).map_err(|m| ("drawDate", m))?;
    let at = held_at(date_time, day).map_err(|m| ("drawDateTime", m))?;
    Ok((day, at))
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

/// The time of a round held on `draw_date`; a text without its year takes the year that puts it nearest that day.
fn held_at(text: &str, draw_date: NaiveDate) -> Result<DateTime<Utc>, String> {
    let year = draw_date.year();
    let at = if timestamp::has_year(text) {
        parse_timestamp(text, None)?
    } else {
        let distance = |t: &DateTime<Utc>| (t.date_naive() - draw_date).num_days().abs();
        let same_year = parse_timestamp(text, Some(year));
        [year - 1, year + 1]
            .into_iter()
            .filter_map(|y| parse_timestamp(text, Some(y)).ok())
            .chain(same_year.clone().ok())
            .min_by_key(distance)
            .map_or(same_year, Ok)?
    };
    let gap = (at.date_naive() - draw_date).num_days().abs();
    if gap <= 1 {
        Ok(at)
    } else {
        Ok(draw_date.and_time(at.time()).and_utc())
    }
}

/// The cut-off is a profile submission time before the round; a missing year is the latest that keeps it so (a
/// 29 February without its year is in the last leap year).
fn tie_break(text: &str, held_at: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if timestamp::has_year(text) {
        return parse_timestamp(text, None);
    }
    let year = held_at.year();
    match parse_timestamp(text, Some(year)) {
        Ok(at) if at <= held_at => Ok(at),
        first => (1..=4)
            .find_map(|back| parse_timestamp(text, Some(year - back)).ok())
            .ok_or_else(|| {
                first
                    .err()
                    .unwrap_or_else(|| format!("{text:?} is not a timestamp"))
            }),
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
        buckets: LEAF_FIELDS
            .iter()
            .zip(PUBLISHED_CRS_RANGES)
            .map(|(&i, (min_score, max_score))| CrsBucket {
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

    fn catalog() -> Catalog {
        ee_domain::rules::Rules::builtin()
            .expect("the built-in rules")
            .catalog
    }

    fn parse(bytes: &[u8]) -> Result<ParsedFeed, FeedError> {
        let c = catalog();
        let names = RoundNames::builtin(&c).expect("table");
        parse_feed(bytes, &c, &names)
    }

    fn parse_one(overrides: &[(&str, &str)]) -> Result<Draw, FeedError> {
        parse(&round(overrides)).map(|mut f| f.draws.remove(0))
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
        let err = parse(b"{\"rounds\": [\n  {\"drawNumber\": }").expect_err("bad");
        assert!(matches!(err, FeedError::Json { line: 2, .. }), "{err:?}");
    }

    #[test]
    fn an_unreadable_round_names_the_round_and_field() {
        for (field, value) in [
            ("drawSize", "lots"),
            ("drawCRS", ""),
            ("drawDateTime", "sometime in June"),
            ("drawCutOff", "Smarch 3, 2023 at 10:00:00 UTC"),
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
        let err = parse_one(&[("drawDate", "28/06/2023"), ("drawDateTime", "14:04:34 UTC")])
            .expect_err("no date anywhere");
        assert!(
            matches!(err, FeedError::Round { ref field, .. } if field == "drawDate"),
            "{err:?}"
        );
        let err = parse_one(&[("drawNumber", "")]).expect_err("no number");
        assert!(
            matches!(err, FeedError::Round { ref round, ref field, .. } if round == "#1 in the feed" && field == "drawNumber"),
            "{err:?}"
        );
    }

    #[test]
    fn a_round_of_a_type_nobody_catalogued_is_kept() {
        let d = parse_one(&[
            ("drawName", "Plumbers (Version 1)"),
            ("drawDate", "2027-03-01"),
            ("drawDateTime", "March 1, 2027 at 14:00:00 UTC"),
        ])
        .expect("kept");
        assert!(d.round_type.uncatalogued);
        assert_eq!(d.round_type.name, "Plumbers (Version 1)");
        let c = d.category().expect("reads as a category: it has a version");
        assert_eq!((c.id.as_str(), c.version), ("plumbers", 1));
        assert_eq!(
            (d.invitations, d.minimum_crs),
            (500, 476),
            "the figures are kept"
        );

        let v7 = parse_one(&[("drawName", "Healthcare occupations (Version 7)")]).expect("kept");
        assert!(v7.round_type.uncatalogued);
        assert_eq!(
            v7.category().map(|c| (c.id.as_str(), c.version)),
            Some(("healthcare", 7))
        );

        let astronauts = parse_one(&[("drawName", "Astronaut Invitations")]).expect("kept");
        assert!(astronauts.round_type.uncatalogued);
        assert_eq!(astronauts.kind(), ee_domain::RoundKind::General);
    }

    #[test]
    fn unknown_programs_are_noted_and_the_round_kept() {
        let feed = parse(&round(&[(
            "drawText2",
            "Canadian Experience Class and Federal Skilled Astronaut Program",
        )]))
        .expect("kept");
        assert_eq!(feed.draws[0].eligible_programs, [ee_domain::Program::Cec]);
        assert_eq!(feed.notes.len(), 1);
        assert!(
            feed.notes[0].contains("Federal Skilled Astronaut Program"),
            "{:?}",
            feed.notes
        );
    }

    #[test]
    fn labels_lose_control_characters_and_extra_spaces() {
        let d = parse_one(&[("drawName", "Healthcare\u{0}  occupations\t(2023-1)\u{200b}")])
            .expect("read");
        assert_eq!(d.round_type.name, "Healthcare occupations (2023-1)");
        assert!(!d.round_type.uncatalogued);
    }

    #[test]
    fn hostile_dates_are_refused_not_panics() {
        for (date, time) in [
            ("+262142-12-31", "December 31 at 23:00 -10:00"),
            ("-262143-01-01", "January 1 at 00:00 +10:00"),
            ("garbage", "March 1, 2027 at 14:00:00 UTC"),
            ("2027-02-30", "March 1, 2027 at 14:00:00 UTC"),
        ] {
            let err = parse_one(&[("drawDate", date), ("drawDateTime", time)]).expect_err(date);
            assert!(
                matches!(err, FeedError::Round { ref field, .. } if field == "drawDate"),
                "{err:?}"
            );
        }
        let err = parse_one(&[
            ("drawDate", ""),
            ("drawDateTime", "February 29, 2027 at 14:00 UTC"),
        ])
        .expect_err("not a date");
        assert!(
            matches!(err, FeedError::Round { ref field, .. } if field == "drawDateTime"),
            "{err:?}"
        );
    }

    #[test]
    fn numbers_and_nulls_where_strings_belong_are_read() {
        let mut doc: serde_json::Value = serde_json::from_slice(&round(&[])).expect("json");
        doc["rounds"][0]["drawSize"] = serde_json::json!(500);
        doc["rounds"][0]["dd18"] = serde_json::Value::Null;
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(serde_json::to_vec(&doc).expect("json"));
        let d = parse(&bytes).expect("read").draws.remove(0);
        assert_eq!(d.invitations, 500);
        assert!(matches!(
            parse(b"{\"rounds\": 3}"),
            Err(FeedError::Shape(_))
        ));
    }

    #[test]
    fn a_year_is_inferred_around_the_round() {
        let d = parse_one(&[
            ("drawDate", "2024-01-01"),
            ("drawDateTime", "December 31 at 23:00:00 UTC"),
            ("drawCutOff", "December 1 at 10:00:00 UTC"),
        ])
        .expect("read");
        assert_eq!(d.held_at.to_rfc3339(), "2023-12-31T23:00:00+00:00");
        let d = parse_one(&[
            ("drawDate", "2025-03-05"),
            ("drawDateTime", "March 5, 2025 at 14:00:00 UTC"),
            ("drawCutOff", "February 29 at 10:00:00 UTC"),
        ])
        .expect("read");
        assert_eq!(
            d.tie_break_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2024-02-29T10:00:00+00:00")
        );
    }

    #[test]
    fn a_draw_date_in_another_spelling_or_missing_is_read() {
        let d = parse_one(&[("drawDate", "June 28, 2023")]).expect("spelled out");
        assert_eq!(d.held_at.to_rfc3339(), "2023-06-28T14:04:34+00:00");
        let d = parse_one(&[("drawDate", "")]).expect("from drawDateTime");
        assert_eq!(d.held_at.to_rfc3339(), "2023-06-28T14:04:34+00:00");
        let d = parse_one(&[("drawDateTime", "2023-06-28T14:04:34Z")]).expect("ISO 8601");
        assert_eq!(d.held_at.to_rfc3339(), "2023-06-28T14:04:34+00:00");
    }

    #[test]
    fn every_unreadable_round_is_named_up_to_a_cap() {
        let bad = |n: usize| {
            serde_json::json!({"drawNumber": n.to_string(), "drawDate": "2023-06-28", "drawName": "General",
                "drawSize": "lots", "drawCRS": "476", "drawDateTime": "June 28, 2023 14:04:34 UTC"})
        };
        let two: Vec<serde_json::Value> = (1..=2).map(bad).collect();
        let doc = serde_json::to_vec(&serde_json::json!({"rounds": two})).expect("json");
        let err = parse(&doc).expect_err("two bad rounds");
        assert!(
            matches!(err, FeedError::Rounds { count: 2, ref first } if first.len() == 2),
            "{err:?}"
        );
        assert_eq!(err.field_violations().len(), 2);
        let many: Vec<serde_json::Value> = (1..=25).map(bad).collect();
        let doc = serde_json::to_vec(&serde_json::json!({"rounds": many})).expect("json");
        let err = parse(&doc).expect_err("25 bad rounds");
        let v = err.field_violations();
        assert_eq!(v.len(), MAX_REPORTED_ROUNDS + 1);
        assert_eq!(v[MAX_REPORTED_ROUNDS].description, "and 15 more rounds");
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
