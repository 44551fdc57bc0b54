//! Conversions between the wire types of `expressentry.v1` and the domain. Reading from the wire checks every
//! field and names the wrong ones, relative to the message being read.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use ee_domain::{
    Catalog, CategoryId, CrsBucket, Draw, DrawChange, DrawDraft, DrawEvent, DrawFilter, DrawStats,
    FieldViolation, InvalidInput, PoolDistribution, Program, RoundKind, Selection, StatsReport,
};
use prost_types::Timestamp;

use crate::v1;

/// Collects the violations found while reading a message.
#[derive(Default)]
pub(crate) struct Violations(Vec<FieldViolation>);

impl Violations {
    pub(crate) fn ok<T>(&mut self, r: Result<T, FieldViolation>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    pub(crate) fn push(&mut self, v: FieldViolation) {
        self.0.push(v);
    }

    pub(crate) fn extend_within(&mut self, prefix: &str, violations: Vec<FieldViolation>) {
        self.0
            .extend(violations.into_iter().map(|v| v.within(prefix)));
    }

    pub(crate) fn finish(self) -> Result<(), InvalidInput> {
        InvalidInput::check(self.0)
    }
}

pub fn timestamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

pub fn from_timestamp(field: &str, t: &Timestamp) -> Result<DateTime<Utc>, FieldViolation> {
    u32::try_from(t.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos))
        .filter(|d| (1..=9999).contains(&d.year()))
        .ok_or_else(|| {
            FieldViolation::new(field, "is not a valid timestamp between years 1 and 9999")
        })
}

pub fn date(d: NaiveDate) -> v1::Date {
    v1::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

pub fn from_date(field: &str, d: &v1::Date) -> Result<NaiveDate, FieldViolation> {
    u32::try_from(d.month)
        .ok()
        .zip(u32::try_from(d.day).ok())
        .and_then(|(m, day)| NaiveDate::from_ymd_opt(d.year, m, day))
        .filter(|_| (1..=9999).contains(&d.year))
        .ok_or_else(|| {
            let why = if (1..=9999).contains(&d.year) {
                "is not a day of the calendar"
            } else {
                "is not a date between years 1 and 9999"
            };
            FieldViolation::new(field, format!("{}-{}-{} {why}", d.year, d.month, d.day))
        })
}

pub fn program(p: Program) -> v1::Program {
    match p {
        Program::Cec => v1::Program::Cec,
        Program::Pnp => v1::Program::Pnp,
        Program::Fsw => v1::Program::Fsw,
        Program::Fst => v1::Program::Fst,
    }
}

/// A program from the wire; `Ok(None)` for PROGRAM_UNSPECIFIED.
pub fn from_program(field: &str, value: i32) -> Result<Option<Program>, FieldViolation> {
    match v1::Program::try_from(value) {
        Ok(v1::Program::Unspecified) => Ok(None),
        Ok(v1::Program::Cec) => Ok(Some(Program::Cec)),
        Ok(v1::Program::Pnp) => Ok(Some(Program::Pnp)),
        Ok(v1::Program::Fsw) => Ok(Some(Program::Fsw)),
        Ok(v1::Program::Fst) => Ok(Some(Program::Fst)),
        Err(_) => Err(FieldViolation::new(
            field,
            format!("{value} is not a Program"),
        )),
    }
}

pub fn round_kind(k: RoundKind) -> v1::RoundKind {
    match k {
        RoundKind::General => v1::RoundKind::General,
        RoundKind::Program => v1::RoundKind::Program,
        RoundKind::Category => v1::RoundKind::Category,
    }
}

/// A round kind from the wire; `Ok(None)` for ROUND_KIND_UNSPECIFIED.
pub fn from_round_kind(field: &str, value: i32) -> Result<Option<RoundKind>, FieldViolation> {
    match v1::RoundKind::try_from(value) {
        Ok(v1::RoundKind::Unspecified) => Ok(None),
        Ok(v1::RoundKind::General) => Ok(Some(RoundKind::General)),
        Ok(v1::RoundKind::Program) => Ok(Some(RoundKind::Program)),
        Ok(v1::RoundKind::Category) => Ok(Some(RoundKind::Category)),
        Err(_) => Err(FieldViolation::new(
            field,
            format!("{value} is not a RoundKind"),
        )),
    }
}

pub fn round_type(selection: &Selection, name: String, uncatalogued: bool) -> v1::RoundType {
    let mut rt = v1::RoundType {
        kind: round_kind(selection.kind()) as i32,
        name,
        uncatalogued,
        ..Default::default()
    };
    match selection {
        Selection::General => {}
        Selection::Program(p) => rt.program = program(*p) as i32,
        Selection::Category(c) => {
            rt.category_id = c.id.to_string();
            rt.category_version = c.version;
        }
    }
    rt
}

pub fn draw(d: &Draw) -> v1::Draw {
    v1::Draw {
        number: d.number.to_string(),
        held_at: Some(timestamp(d.held_at)),
        round_type: Some(round_type(
            &d.round_type.selection,
            d.round_type.name.clone(),
            d.round_type.uncatalogued,
        )),
        invitations: d.invitations,
        minimum_crs: d.minimum_crs,
        tie_break_at: d.tie_break_at.map(timestamp),
        eligible_programs: d
            .eligible_programs
            .iter()
            .map(|p| program(*p) as i32)
            .collect(),
        pool_distribution: d.pool_distribution.as_ref().map(|p| v1::PoolDistribution {
            as_of: Some(date(p.as_of)),
            buckets: p
                .buckets
                .iter()
                .map(|b| v1::CrsBucket {
                    min_score: b.min_score,
                    max_score: b.max_score,
                    candidates: b.candidates,
                })
                .collect(),
            total_candidates: p.total_candidates,
        }),
    }
}

/// Reads and checks a round given by a caller, naming every wrong field at once; field paths are relative to the
/// `Draw` message.
pub fn draw_from_wire(d: &v1::Draw, catalog: &Catalog) -> Result<Draw, InvalidInput> {
    let (draft, read) = draw_draft(d);
    match draft.complete(catalog) {
        Ok(draw) if read.is_empty() => Ok(draw),
        Ok(_) => Err(InvalidInput { violations: read }),
        Err(checked) => {
            // A field the wire reading refused is left unset in the draft: its "is required" adds nothing.
            let mut violations = read;
            for v in checked.violations {
                if !violations.iter().any(|r| r.field == v.field) {
                    violations.push(v);
                }
            }
            Err(InvalidInput { violations })
        }
    }
}

/// A round as read from the wire, and what could not be read (those fields are left unset).
fn draw_draft(d: &v1::Draw) -> (DrawDraft, Vec<FieldViolation>) {
    let mut v = Violations::default();
    let held_at = d
        .held_at
        .as_ref()
        .and_then(|t| v.ok(from_timestamp("held_at", t)));
    let tie_break_at = d
        .tie_break_at
        .as_ref()
        .and_then(|t| v.ok(from_timestamp("tie_break_at", t)));
    let rt = d.round_type.clone().unwrap_or_default();
    let kind = v.ok(from_round_kind("round_type.kind", rt.kind)).flatten();
    let program = v
        .ok(from_program("round_type.program", rt.program))
        .flatten();
    let eligible_programs = d
        .eligible_programs
        .iter()
        .enumerate()
        .filter_map(
            |(i, p)| match from_program(&format!("eligible_programs[{i}]"), *p) {
                Ok(Some(p)) => Some(p),
                Ok(None) => {
                    v.push(FieldViolation::new(
                        format!("eligible_programs[{i}]"),
                        "is PROGRAM_UNSPECIFIED",
                    ));
                    None
                }
                Err(e) => {
                    v.push(e);
                    None
                }
            },
        )
        .collect::<Vec<_>>();
    // An empty list on the wire means the programs of the round's kind.
    let eligible_programs = (!eligible_programs.is_empty()).then_some(eligible_programs);
    let pool_distribution = match &d.pool_distribution {
        None => None,
        Some(p) => match &p.as_of {
            None => {
                v.push(FieldViolation::new(
                    "pool_distribution.as_of",
                    "is required",
                ));
                None
            }
            Some(as_of) => from_date("pool_distribution.as_of", as_of)
                .map_err(|e| v.push(e))
                .ok()
                .map(|as_of| PoolDistribution {
                    as_of,
                    buckets: p
                        .buckets
                        .iter()
                        .map(|b| CrsBucket {
                            min_score: b.min_score,
                            max_score: b.max_score,
                            candidates: b.candidates,
                        })
                        .collect(),
                    total_candidates: p.total_candidates,
                }),
        },
    };
    let draft = DrawDraft {
        number: d.number.clone(),
        held_at,
        kind,
        program,
        category_id: rt.category_id,
        category_version: rt.category_version,
        name: rt.name,
        invitations: d.invitations,
        minimum_crs: d.minimum_crs,
        tie_break_at,
        eligible_programs,
        pool_distribution,
        uncatalogued: rt.uncatalogued,
    };
    (draft, v.0)
}

/// Reads a filter; field paths are relative to the `DrawFilter` message. No filter selects every round. A category
/// id is checked for its form only: whether the catalogue or the stored rounds know it is the service's question.
pub fn draw_filter(f: Option<&v1::DrawFilter>) -> Result<DrawFilter, InvalidInput> {
    let Some(f) = f else {
        return Ok(DrawFilter::default());
    };
    let mut v = Violations::default();
    let filter = DrawFilter {
        kind: v.ok(from_round_kind("kind", f.kind)).flatten(),
        program: v.ok(from_program("program", f.program)).flatten(),
        category: if f.category_id.is_empty() {
            None
        } else {
            v.ok(CategoryId::parse(&f.category_id)
                .map_err(|e| FieldViolation::new("category_id", e)))
        },
        category_version: (f.category_version != 0).then_some(f.category_version),
        held_after: f
            .held_after
            .as_ref()
            .and_then(|t| v.ok(from_timestamp("held_after", t))),
        held_before: f
            .held_before
            .as_ref()
            .and_then(|t| v.ok(from_timestamp("held_before", t))),
    };
    v.finish()?;
    filter.validate()?;
    Ok(filter)
}

pub fn draw_stats(s: &DrawStats) -> v1::DrawStats {
    v1::DrawStats {
        draw_count: s.draw_count,
        invitations_total: s.invitations_total,
        minimum_crs_lowest: s.minimum_crs_lowest,
        minimum_crs_highest: s.minimum_crs_highest,
        minimum_crs_mean: s.minimum_crs_mean,
    }
}

pub fn stats_response(r: &StatsReport, catalog: &Catalog) -> v1::GetDrawStatsResponse {
    v1::GetDrawStatsResponse {
        draw_count: r.overall.draw_count,
        invitations_total: r.overall.invitations_total,
        minimum_crs_lowest: r.overall.minimum_crs_lowest,
        minimum_crs_highest: r.overall.minimum_crs_highest,
        minimum_crs_mean: r.overall.minimum_crs_mean,
        by_year: r
            .by_year
            .iter()
            .map(|(year, s)| v1::YearStats {
                year: *year,
                stats: Some(draw_stats(s)),
            })
            .collect(),
        by_round_type: r
            .by_round_type
            .iter()
            .map(|(group, s)| v1::RoundTypeStats {
                round_type: Some(round_type(
                    &group.selection,
                    group
                        .label
                        .clone()
                        .unwrap_or_else(|| group.selection.default_name(catalog)),
                    group.uncatalogued,
                )),
                stats: Some(draw_stats(s)),
            })
            .collect(),
    }
}

pub fn draw_event(e: &DrawEvent) -> v1::DrawEvent {
    v1::DrawEvent {
        event_id: e.id,
        kind: match e.change {
            DrawChange::Created => v1::DrawEventKind::Created,
            DrawChange::Updated => v1::DrawEventKind::Updated,
        } as i32,
        draw: Some(draw(&e.draw)),
        previous: e.previous.as_ref().map(draw),
        recorded_at: Some(timestamp(e.recorded_at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: i32, day: i32) -> v1::Date {
        v1::Date { year, month, day }
    }

    #[test]
    fn a_date_says_what_is_wrong_with_it() {
        let day = from_date("as_of", &date(2000, 2, 30)).expect_err("no 30 February");
        assert_eq!(day.description, "2000-2-30 is not a day of the calendar");
        let year = from_date("as_of", &date(10000, 1, 1)).expect_err("year 10000");
        assert_eq!(
            year.description,
            "10000-1-1 is not a date between years 1 and 9999"
        );
        assert_eq!(
            from_date("as_of", &date(2024, 2, 29)).ok(),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
    }
}
