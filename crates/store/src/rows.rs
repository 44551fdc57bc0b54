//! Draws as rows, and back; events as rows with their payloads (see `payload`).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use ee_domain::{
    Draw, DrawChange, DrawEvent, DrawNumber, PoolDistribution, Program, RoundType, Selection,
};

use crate::StoreError;
use crate::payload;
use crate::schema::{draw_events, draws};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = draws)]
#[diesel(treat_none_as_null = true)]
pub struct DrawRow {
    pub number: String,
    pub number_key: i64,
    pub held_at: NaiveDateTime,
    pub round_kind: String,
    pub program: Option<String>,
    pub category_id: Option<String>,
    pub category_version: Option<i32>,
    pub round_name: String,
    pub invitations: i64,
    pub minimum_crs: i32,
    pub tie_break_at: Option<NaiveDateTime>,
    pub eligible_programs: String,
    pub pool_distribution: Option<String>,
    pub recorded_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub uncatalogued: bool,
}

impl DrawRow {
    pub fn new(d: &Draw, now: DateTime<Utc>) -> Result<Self, StoreError> {
        let (program, category_id, category_version) = match &d.round_type.selection {
            Selection::General => (None, None, None),
            Selection::Program(p) => (Some(p.code().to_owned()), None, None),
            Selection::Category(c) => (
                None,
                Some(c.id.to_string()),
                Some(
                    i32::try_from(c.version)
                        .map_err(|_| StoreError::Corrupt("category version too large".into()))?,
                ),
            ),
        };
        let pool_distribution = d
            .pool_distribution
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(Self {
            number: d.number.to_string(),
            number_key: d.number.sort_key(),
            held_at: d.held_at.naive_utc(),
            round_kind: d.kind().code().to_owned(),
            program,
            category_id,
            category_version,
            round_name: d.round_type.name.clone(),
            invitations: i64::from(d.invitations),
            minimum_crs: i32::try_from(d.minimum_crs)
                .map_err(|_| StoreError::Corrupt("CRS too large".into()))?,
            tie_break_at: d.tie_break_at.map(|t| t.naive_utc()),
            eligible_programs: d
                .eligible_programs
                .iter()
                .map(|p| p.code())
                .collect::<Vec<_>>()
                .join(","),
            pool_distribution,
            recorded_at: now.naive_utc(),
            updated_at: now.naive_utc(),
            uncatalogued: d.round_type.uncatalogued,
        })
    }

    pub fn into_draw(self) -> Result<Draw, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("round {}: {what}", self.number));
        let number = DrawNumber::parse(&self.number).map_err(|e| corrupt(&e))?;
        let selection = payload::selection(
            &self.round_kind,
            self.program.as_deref(),
            self.category_id.as_deref(),
            self.category_version.and_then(|v| u32::try_from(v).ok()),
        )
        .map_err(|e| corrupt(&e))?;
        let eligible_programs = self
            .eligible_programs
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| Program::from_code(s).ok_or_else(|| corrupt("eligible_programs")))
            .collect::<Result<Vec<_>, _>>()?;
        let pool_distribution: Option<PoolDistribution> = self
            .pool_distribution
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| corrupt(&e.to_string()))?;
        Ok(Draw {
            number,
            held_at: self.held_at.and_utc(),
            round_type: RoundType {
                selection,
                name: self.round_name,
                uncatalogued: self.uncatalogued,
            },
            invitations: u32::try_from(self.invitations).map_err(|_| corrupt("invitations"))?,
            minimum_crs: u32::try_from(self.minimum_crs).map_err(|_| corrupt("minimum_crs"))?,
            tie_break_at: self.tie_break_at.map(|t| t.and_utc()),
            eligible_programs,
            pool_distribution,
        })
    }
}

/// An entry of the event log; the rounds are versioned payloads (see `payload`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = draw_events)]
pub struct EventRow {
    pub event_id: i64,
    pub kind: String,
    /// Kept for people reading the table; the payload carries the number too.
    #[allow(dead_code)]
    pub number: String,
    pub draw: String,
    pub previous: Option<String>,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = draw_events)]
pub struct NewEventRow {
    pub kind: String,
    pub number: String,
    pub draw: String,
    pub previous: Option<String>,
    pub recorded_at: NaiveDateTime,
}

impl NewEventRow {
    pub fn new(
        change: DrawChange,
        draw: &Draw,
        previous: Option<&Draw>,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            kind: change.code().to_owned(),
            number: draw.number.to_string(),
            draw: payload::encode(draw)?,
            previous: previous.map(payload::encode).transpose()?,
            recorded_at: now.naive_utc(),
        })
    }
}

impl EventRow {
    pub fn into_event(self) -> Result<DrawEvent, StoreError> {
        Ok(DrawEvent {
            id: u64::try_from(self.event_id)
                .map_err(|_| StoreError::Corrupt("negative event id".into()))?,
            change: DrawChange::from_code(&self.kind).ok_or_else(|| {
                StoreError::Corrupt(format!("event {}: kind {:?}", self.event_id, self.kind))
            })?,
            draw: payload::decode(&self.draw)?,
            previous: self.previous.as_deref().map(payload::decode).transpose()?,
            recorded_at: self.recorded_at.and_utc(),
        })
    }
}
