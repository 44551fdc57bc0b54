//! The rounds an event carries, as stored in the event log: a versioned JSON document of its own, independent of
//! the `draws` table, so that a migration of that table never makes old events unreadable.
//!
//! - `{"format": "draw.v1", ...}`: written today (see [`DrawPayloadV1`]). Unknown fields are ignored, so that a
//!   replica of the previous release reads what a newer one writes during a rolling upgrade.
//! - No `format` key: the first release's payload, the JSON of its `draws` row (see [`LegacyDrawRow`]); read,
//!   never written.
//!
//! A new format gets a new tag and a new struct here, and the reader keeps every older one.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use ee_domain::{
    CategoryId, CategoryRef, CrsBucket, Draw, DrawNumber, PoolDistribution, Program, RoundKind,
    RoundType, Selection,
};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// The tag of the format written today.
pub const CURRENT_FORMAT: &str = "draw.v1";

#[derive(Debug, Serialize, Deserialize)]
struct RoundTypeV1 {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    program: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    category_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    category_version: Option<u32>,
    name: String,
    #[serde(default)]
    uncatalogued: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct BucketV1 {
    min_score: u32,
    max_score: u32,
    candidates: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct PoolV1 {
    as_of: NaiveDate,
    buckets: Vec<BucketV1>,
    total_candidates: u64,
}

impl PoolV1 {
    fn into_domain(self) -> PoolDistribution {
        PoolDistribution {
            as_of: self.as_of,
            buckets: self
                .buckets
                .into_iter()
                .map(|b| CrsBucket {
                    min_score: b.min_score,
                    max_score: b.max_score,
                    candidates: b.candidates,
                })
                .collect(),
            total_candidates: self.total_candidates,
        }
    }
}

/// A round in an event, format `draw.v1`. Times are RFC 3339 in UTC.
#[derive(Debug, Serialize, Deserialize)]
pub struct DrawPayloadV1 {
    format: String,
    number: String,
    held_at: DateTime<Utc>,
    round_type: RoundTypeV1,
    invitations: u32,
    minimum_crs: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tie_break_at: Option<DateTime<Utc>>,
    eligible_programs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pool_distribution: Option<PoolV1>,
}

impl DrawPayloadV1 {
    fn of(d: &Draw) -> Self {
        let (program, category_id, category_version) = match &d.round_type.selection {
            Selection::General => (None, None, None),
            Selection::Program(p) => (Some(p.code().to_owned()), None, None),
            Selection::Category(c) => (None, Some(c.id.to_string()), Some(c.version)),
        };
        Self {
            format: CURRENT_FORMAT.to_owned(),
            number: d.number.to_string(),
            held_at: d.held_at,
            round_type: RoundTypeV1 {
                kind: d.kind().code().to_owned(),
                program,
                category_id,
                category_version,
                name: d.round_type.name.clone(),
                uncatalogued: d.round_type.uncatalogued,
            },
            invitations: d.invitations,
            minimum_crs: d.minimum_crs,
            tie_break_at: d.tie_break_at,
            eligible_programs: d
                .eligible_programs
                .iter()
                .map(|p| p.code().to_owned())
                .collect(),
            pool_distribution: d.pool_distribution.as_ref().map(|p| PoolV1 {
                as_of: p.as_of,
                buckets: p
                    .buckets
                    .iter()
                    .map(|b| BucketV1 {
                        min_score: b.min_score,
                        max_score: b.max_score,
                        candidates: b.candidates,
                    })
                    .collect(),
                total_candidates: p.total_candidates,
            }),
        }
    }

    fn into_draw(self) -> Result<Draw, StoreError> {
        let number = self.number.clone();
        let corrupt =
            |what: String| StoreError::Corrupt(format!("event payload of round {number}: {what}"));
        let rt = self.round_type;
        let programs = |codes: &[String]| -> Result<Vec<Program>, StoreError> {
            codes
                .iter()
                .map(|c| Program::from_code(c).ok_or_else(|| corrupt(format!("program {c:?}"))))
                .collect()
        };
        let selection = selection(
            &rt.kind,
            rt.program.as_deref(),
            rt.category_id.as_deref(),
            rt.category_version,
        )
        .map_err(&corrupt)?;
        Ok(Draw {
            number: DrawNumber::parse(&self.number).map_err(&corrupt)?,
            held_at: self.held_at,
            round_type: RoundType {
                selection,
                name: rt.name,
                uncatalogued: rt.uncatalogued,
            },
            invitations: self.invitations,
            minimum_crs: self.minimum_crs,
            tie_break_at: self.tie_break_at,
            eligible_programs: programs(&self.eligible_programs)?,
            pool_distribution: self.pool_distribution.map(PoolV1::into_domain),
        })
    }
}

/// A round type from its stored parts.
pub(crate) fn selection(
    kind: &str,
    program: Option<&str>,
    category_id: Option<&str>,
    category_version: Option<u32>,
) -> Result<Selection, String> {
    match RoundKind::from_code(kind).ok_or_else(|| format!("round kind {kind:?}"))? {
        RoundKind::General => Ok(Selection::General),
        RoundKind::Program => program
            .and_then(Program::from_code)
            .map(Selection::Program)
            .ok_or_else(|| format!("program {program:?}")),
        RoundKind::Category => Ok(Selection::Category(CategoryRef {
            id: CategoryId::parse(category_id.unwrap_or_default())?,
            version: category_version
                .filter(|v| *v > 0)
                .ok_or_else(|| "category_version is missing".to_owned())?,
        })),
    }
}

/// The first release's payload: the JSON of its `draws` row, frozen here as it was.
#[derive(Debug, Deserialize)]
pub struct LegacyDrawRow {
    number: String,
    #[allow(dead_code)]
    number_key: i64,
    held_at: NaiveDateTime,
    round_kind: String,
    program: Option<String>,
    category_id: Option<String>,
    category_version: Option<i32>,
    round_name: String,
    invitations: i64,
    minimum_crs: i32,
    tie_break_at: Option<NaiveDateTime>,
    eligible_programs: String,
    pool_distribution: Option<String>,
    #[allow(dead_code)]
    recorded_at: NaiveDateTime,
    #[allow(dead_code)]
    updated_at: NaiveDateTime,
}

impl LegacyDrawRow {
    fn into_draw(self) -> Result<Draw, StoreError> {
        let number = self.number.clone();
        let corrupt = |what: String| {
            StoreError::Corrupt(format!("legacy event payload of round {number}: {what}"))
        };
        let selection = selection(
            &self.round_kind,
            self.program.as_deref(),
            self.category_id.as_deref(),
            self.category_version.and_then(|v| u32::try_from(v).ok()),
        )
        .map_err(&corrupt)?;
        let pool_distribution = self
            .pool_distribution
            .as_deref()
            .map(|json| serde_json::from_str::<PoolV1>(json).map(PoolV1::into_domain))
            .transpose()
            .map_err(|e| corrupt(e.to_string()))?;
        Ok(Draw {
            number: DrawNumber::parse(&self.number).map_err(&corrupt)?,
            held_at: self.held_at.and_utc(),
            round_type: RoundType {
                selection,
                name: self.round_name,
                uncatalogued: false,
            },
            invitations: u32::try_from(self.invitations)
                .map_err(|_| corrupt("invitations".into()))?,
            minimum_crs: u32::try_from(self.minimum_crs)
                .map_err(|_| corrupt("minimum_crs".into()))?,
            tie_break_at: self.tie_break_at.map(|t| t.and_utc()),
            eligible_programs: self
                .eligible_programs
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|c| Program::from_code(c).ok_or_else(|| corrupt(format!("program {c:?}"))))
                .collect::<Result<_, _>>()?,
            pool_distribution,
        })
    }
}

/// The payload of a round, in the current format.
pub fn encode(d: &Draw) -> Result<String, StoreError> {
    serde_json::to_string(&DrawPayloadV1::of(d)).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A round from a payload of any format this build knows.
pub fn decode(json: &str) -> Result<Draw, StoreError> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("event payload: {e}")))?;
    match value.get("format").and_then(serde_json::Value::as_str) {
        Some(CURRENT_FORMAT) => serde_json::from_value::<DrawPayloadV1>(value)
            .map_err(|e| StoreError::Corrupt(format!("event payload ({CURRENT_FORMAT}): {e}")))?
            .into_draw(),
        Some(other) => Err(StoreError::Corrupt(format!(
            "event payload in format {other:?}, which this build does not know (a newer release wrote it)"
        ))),
        None => serde_json::from_value::<LegacyDrawRow>(value)
            .map_err(|e| StoreError::Corrupt(format!("legacy event payload: {e}")))?
            .into_draw(),
    }
}
