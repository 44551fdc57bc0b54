//! Rounds of invitations and their round types.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::model::category_id::CategoryId;
use crate::model::error::{FieldViolation, InvalidInput};
pub use crate::model::program::Program;
use crate::rules::categories::Catalog;

/// The highest CRS score there is.
pub const CRS_MAX: u32 = 1200;

/// The highest version of a category's list a round may name (IRCC is at 3).
pub const MAX_CATEGORY_VERSION: u32 = 999;

/// The most characters of a round type's name (IRCC's longest label has 58), so that a stored round and its events
/// stay small.
pub const MAX_NAME_CHARS: usize = 200;

/// The CRS ranges IRCC publishes a pool distribution in, highest first; a distribution uses these and no others.
pub const PUBLISHED_CRS_RANGES: [(u32, u32); 15] = [
    (601, 1200),
    (501, 600),
    (491, 500),
    (481, 490),
    (471, 480),
    (461, 470),
    (451, 460),
    (441, 450),
    (431, 440),
    (421, 430),
    (411, 420),
    (401, 410),
    (351, 400),
    (301, 350),
    (0, 300),
];

/// A round number: digits, optionally followed by one lower-case letter (IRCC has "91a" and "91b").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DrawNumber {
    sequence: u32,
    suffix: Option<u8>,
}

impl DrawNumber {
    const SEQUENCE_MAX: u32 = 999_999;

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let invalid = || {
            format!(
                "{s:?} is not a round number (digits with an optional letter, like \"252\" or \"91a\")"
            )
        };
        let (digits, suffix) = match t.as_bytes().last() {
            Some(b) if b.is_ascii_alphabetic() => (&t[..t.len() - 1], Some(b.to_ascii_lowercase())),
            _ => (t, None),
        };
        if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let sequence: u32 = digits.parse().map_err(|_| invalid())?;
        if sequence == 0 || sequence > Self::SEQUENCE_MAX {
            return Err(invalid());
        }
        Ok(Self { sequence, suffix })
    }

    pub fn sequence(&self) -> u32 {
        self.sequence
    }

    /// A number that orders rounds as IRCC numbers them: 91 < 91a < 91b < 92.
    pub fn sort_key(&self) -> i64 {
        i64::from(self.sequence) * 32 + self.suffix.map_or(0, |b| i64::from(b - b'a') + 1)
    }
}

impl fmt::Display for DrawNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sequence)?;
        if let Some(b) = self.suffix {
            write!(f, "{}", b as char)?;
        }
        Ok(())
    }
}

/// What a round selected on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RoundKind {
    General,
    Program,
    Category,
}

impl RoundKind {
    pub fn code(self) -> &'static str {
        match self {
            RoundKind::General => "general",
            RoundKind::Program => "program",
            RoundKind::Category => "category",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [RoundKind::General, RoundKind::Program, RoundKind::Category]
            .into_iter()
            .find(|k| k.code() == s)
    }
}

/// A category and the version of its occupation list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CategoryRef {
    pub id: CategoryId,
    pub version: u32,
}

/// Who a round selected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Selection {
    General,
    Program(Program),
    Category(CategoryRef),
}

impl Selection {
    pub fn kind(&self) -> RoundKind {
        match self {
            Selection::General => RoundKind::General,
            Selection::Program(_) => RoundKind::Program,
            Selection::Category(_) => RoundKind::Category,
        }
    }

    /// The programs whose candidates such a round can invite, when IRCC did not say.
    pub fn default_programs(&self) -> Vec<Program> {
        match self {
            Selection::General => Program::ALL.to_vec(),
            Selection::Program(p) => vec![*p],
            Selection::Category(_) => vec![Program::Cec, Program::Fsw, Program::Fst],
        }
    }

    /// A name for the round type when none was published.
    pub fn default_name(&self, catalog: &Catalog) -> String {
        match self {
            Selection::General => "General".to_owned(),
            Selection::Program(p) => p.name().to_owned(),
            Selection::Category(c) => catalog
                .get(&c.id, c.version)
                .map(|v| v.label())
                .unwrap_or_else(|| format!("{} (Version {})", c.id, c.version)),
        }
    }
}

/// The type of a round, and the label IRCC published for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundType {
    pub selection: Selection,
    pub name: String,
    /// The label names a round type this build's catalogue does not know (a category IRCC invented after the
    /// release, or a version of a category not yet in the catalogue). The selection is what the label reads as:
    /// a category id derived from the label and the version it carries, or General when it does not read as a
    /// category. Such a round is kept and served; its rules are unknown, so invitations in it cannot be judged.
    pub uncatalogued: bool,
}

/// The number of candidates in the pool with a CRS score in `min_score..=max_score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrsBucket {
    pub min_score: u32,
    pub max_score: u32,
    pub candidates: u64,
}

/// The pool's CRS distribution published with a round: non-overlapping buckets, highest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolDistribution {
    pub as_of: NaiveDate,
    pub buckets: Vec<CrsBucket>,
    pub total_candidates: u64,
}

impl PoolDistribution {
    fn violations(&self) -> Vec<FieldViolation> {
        let mut out = Vec::new();
        let mut seen = Vec::new();
        for (i, b) in self
            .buckets
            .iter()
            .enumerate()
            .take(PUBLISHED_CRS_RANGES.len() + 1)
        {
            let range = (b.min_score, b.max_score);
            if !PUBLISHED_CRS_RANGES.contains(&range) {
                out.push(FieldViolation::new(
                    format!("buckets[{i}]"),
                    format!(
                        "{}-{} is not a range IRCC publishes (601-1200, 501-600, 491-500 ... 401-410, 351-400, \
                         301-350, 0-300)",
                        b.min_score, b.max_score
                    ),
                ));
            } else if seen.contains(&range) {
                out.push(FieldViolation::new(
                    format!("buckets[{i}]"),
                    format!("{}-{} is given twice", b.min_score, b.max_score),
                ));
            }
            seen.push(range);
        }
        if self.buckets.len() > PUBLISHED_CRS_RANGES.len() {
            out.push(FieldViolation::new(
                "buckets",
                format!(
                    "has {} ranges; IRCC publishes {}",
                    self.buckets.len(),
                    PUBLISHED_CRS_RANGES.len()
                ),
            ));
        }
        out
    }
}

/// A round of invitations. Once held, it is valid: build one with [`DrawDraft::complete`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draw {
    pub number: DrawNumber,
    pub held_at: DateTime<Utc>,
    pub round_type: RoundType,
    pub invitations: u32,
    pub minimum_crs: u32,
    pub tie_break_at: Option<DateTime<Utc>>,
    /// Sorted and without duplicates.
    pub eligible_programs: Vec<Program>,
    pub pool_distribution: Option<PoolDistribution>,
}

/// A round as given by a caller or read from a feed, before it is checked and completed.
#[derive(Debug, Clone, Default)]
pub struct DrawDraft {
    pub number: String,
    pub held_at: Option<DateTime<Utc>>,
    pub kind: Option<RoundKind>,
    pub program: Option<Program>,
    /// Empty when not given.
    pub category_id: String,
    /// 0: the version in force on `held_at`.
    pub category_version: u32,
    /// Empty: a name is made from the round type.
    pub name: String,
    pub invitations: u32,
    pub minimum_crs: u32,
    pub tie_break_at: Option<DateTime<Utc>>,
    /// `None`: the programs of the round's kind. `Some` is taken as given, even empty (a round whose published
    /// programs are all unknown to this release invites none of the programs a profile can name).
    pub eligible_programs: Option<Vec<Program>>,
    pub pool_distribution: Option<PoolDistribution>,
    /// The round type is not in the catalogue (see [`RoundType::uncatalogued`]): a category round's id and version
    /// are taken as given (the version must be given) instead of being checked against the catalogue.
    pub uncatalogued: bool,
}

impl DrawDraft {
    /// Checks every field and fills in the defaults; reports every violation at once.
    pub fn complete(mut self, catalog: &Catalog) -> Result<Draw, InvalidInput> {
        // IRCC publishes times to the second; finer parts would only make equal rounds compare unequal.
        self.held_at = self.held_at.map(to_second);
        self.tie_break_at = self.tie_break_at.map(to_second);
        let mut v = Vec::new();
        let number = DrawNumber::parse(&self.number)
            .map_err(|e| v.push(FieldViolation::new("number", e)))
            .ok();
        if self.held_at.is_none() {
            v.push(FieldViolation::new("held_at", "is required"));
        }
        if self.invitations == 0 {
            v.push(FieldViolation::new("invitations", "must be at least 1"));
        }
        if self.minimum_crs > CRS_MAX {
            v.push(FieldViolation::new(
                "minimum_crs",
                format!("{} is over the CRS maximum of {CRS_MAX}", self.minimum_crs),
            ));
        }
        if let (Some(held), Some(tie)) = (self.held_at, self.tie_break_at)
            && tie > held
        {
            v.push(FieldViolation::new(
                    "tie_break_at",
                    "must not be later than held_at: it is the profile submission time of the last candidate invited",
                ));
        }
        if self.name.chars().any(char::is_control) {
            v.push(FieldViolation::new(
                "round_type.name",
                "must not contain control characters",
            ));
        }
        // Names are stored as written, but with runs of white space made one space.
        self.name = self.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if self.name.chars().count() > MAX_NAME_CHARS {
            v.push(FieldViolation::new(
                "round_type.name",
                format!(
                    "has {} characters; at most {MAX_NAME_CHARS}",
                    self.name.chars().count()
                ),
            ));
        }
        if let Some(pool) = &self.pool_distribution {
            v.extend(
                pool.violations()
                    .into_iter()
                    .map(|e| e.within("pool_distribution")),
            );
        }
        let selection = self.selection(catalog, &mut v);
        match (number, self.held_at, selection) {
            (Some(number), Some(held_at), Some(selection)) if v.is_empty() => {
                let mut eligible_programs = self
                    .eligible_programs
                    .unwrap_or_else(|| selection.default_programs());
                eligible_programs.sort();
                eligible_programs.dedup();
                // An uncatalogued round keeps the label IRCC published, even none: a name made up from the type
                // would read as a catalogued type later.
                let name = if self.name.trim().is_empty() && !self.uncatalogued {
                    selection.default_name(catalog)
                } else {
                    self.name.trim().to_owned()
                };
                Ok(Draw {
                    number,
                    held_at,
                    round_type: RoundType {
                        selection,
                        name,
                        uncatalogued: self.uncatalogued,
                    },
                    invitations: self.invitations,
                    minimum_crs: self.minimum_crs,
                    tie_break_at: self.tie_break_at,
                    eligible_programs,
                    pool_distribution: self.pool_distribution,
                })
            }
            _ => Err(InvalidInput { violations: v }),
        }
    }

    fn selection(&self, catalog: &Catalog, v: &mut Vec<FieldViolation>) -> Option<Selection> {
        let Some(kind) = self.kind else {
            v.push(FieldViolation::new(
                "round_type.kind",
                "is required: GENERAL, PROGRAM or CATEGORY",
            ));
            return None;
        };
        if kind != RoundKind::Program && self.program.is_some() {
            v.push(FieldViolation::new(
                "round_type.program",
                "is only for PROGRAM rounds",
            ));
        }
        if kind != RoundKind::Category
            && (!self.category_id.is_empty() || self.category_version != 0)
        {
            v.push(FieldViolation::new(
                "round_type.category_id",
                "category_id and category_version are only for CATEGORY rounds",
            ));
        }
        match kind {
            RoundKind::General => Some(Selection::General),
            RoundKind::Program => match self.program {
                Some(p) => Some(Selection::Program(p)),
                None => {
                    v.push(FieldViolation::new(
                        "round_type.program",
                        "is required for a PROGRAM round",
                    ));
                    None
                }
            },
            RoundKind::Category => {
                if self.category_id.is_empty() {
                    v.push(FieldViolation::new(
                        "round_type.category_id",
                        "is required for a CATEGORY round",
                    ));
                    return None;
                }
                if self.uncatalogued {
                    let id = CategoryId::parse(&self.category_id)
                        .map_err(|e| v.push(FieldViolation::new("round_type.category_id", e)))
                        .ok()?;
                    if self.category_version == 0 || self.category_version > MAX_CATEGORY_VERSION {
                        v.push(FieldViolation::new(
                            "round_type.category_version",
                            format!(
                                "is required for a category the catalogue does not know, from 1 to \
                                 {MAX_CATEGORY_VERSION}"
                            ),
                        ));
                        return None;
                    }
                    if catalog.get(&id, self.category_version).is_some() {
                        v.push(FieldViolation::new(
                            "round_type.uncatalogued",
                            format!(
                                "the catalogue knows {id} version {}: leave uncatalogued unset",
                                self.category_version
                            ),
                        ));
                        return None;
                    }
                    return Some(Selection::Category(CategoryRef {
                        id,
                        version: self.category_version,
                    }));
                }
                let id = catalog
                    .resolve_id("round_type.category_id", &self.category_id)
                    .map_err(|e| v.extend(e.violations))
                    .ok()?;
                let version = if self.category_version == 0 {
                    let date = self.held_at?.date_naive();
                    match catalog.in_force(&id, date) {
                        Some(cv) => cv.version,
                        None => {
                            v.push(FieldViolation::new(
                                "round_type.category_version",
                                format!(
                                    "no version of {id} was in force on {date}; give the version"
                                ),
                            ));
                            return None;
                        }
                    }
                } else if catalog.get(&id, self.category_version).is_some() {
                    self.category_version
                } else {
                    v.push(FieldViolation::new(
                        "round_type.category_version",
                        format!(
                            "{id} has no version {}; it has versions 1 to {}",
                            self.category_version,
                            catalog.versions(&id).len()
                        ),
                    ));
                    return None;
                };
                Some(Selection::Category(CategoryRef { id, version }))
            }
        }
    }
}

fn to_second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

impl Draw {
    pub fn kind(&self) -> RoundKind {
        self.round_type.selection.kind()
    }

    pub fn category(&self) -> Option<&CategoryRef> {
        match &self.round_type.selection {
            Selection::Category(c) => Some(c),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> DrawDraft {
        DrawDraft {
            number: "252".into(),
            held_at: Some("2023-06-28T14:04:34Z".parse().expect("time")),
            kind: Some(RoundKind::Category),
            category_id: "healthcare".into(),
            invitations: 500,
            minimum_crs: 476,
            tie_break_at: Some("2022-11-12T12:47:27Z".parse().expect("time")),
            ..DrawDraft::default()
        }
    }

    #[test]
    fn numbers_parse_and_order_as_ircc_numbers_them() {
        let n = |s| DrawNumber::parse(s).expect(s);
        assert_eq!(n("91a").to_string(), "91a");
        assert_eq!(n(" 91B ").to_string(), "91b");
        assert!(n("91").sort_key() < n("91a").sort_key());
        assert!(n("91a").sort_key() < n("91b").sort_key());
        assert!(n("91b").sort_key() < n("92").sort_key());
        for bad in ["", "a", "0", "12ab", "-3", "1 2", "9999999", "٣"] {
            assert!(DrawNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_category_round_takes_the_version_in_force_and_defaults() {
        let d = draft().complete(&Catalog::for_tests()).expect("valid");
        assert_eq!(
            d.round_type.selection,
            Selection::Category(CategoryRef {
                id: CategoryId::parse("healthcare").expect("id"),
                version: 1
            })
        );
        assert_eq!(d.round_type.name, "Healthcare occupations (Version 1)");
        assert_eq!(
            d.eligible_programs,
            vec![Program::Cec, Program::Fsw, Program::Fst]
        );
    }

    #[test]
    fn every_violation_is_reported_with_its_field() {
        let bad = DrawDraft {
            held_at: None,
            invitations: 0,
            minimum_crs: 1201,
            category_id: "plumbing".into(),
            ..draft()
        };
        let err = bad.complete(&Catalog::for_tests()).expect_err("invalid");
        let fields: Vec<&str> = err.violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "held_at",
                "invitations",
                "minimum_crs",
                "round_type.category_id"
            ]
        );
    }

    #[test]
    fn unknown_version_and_late_tie_break_are_rejected() {
        let err = DrawDraft {
            category_version: 9,
            ..draft()
        }
        .complete(&Catalog::for_tests())
        .expect_err("no v9");
        assert_eq!(err.violations[0].field, "round_type.category_version");
        let err = DrawDraft {
            tie_break_at: Some("2023-06-29T00:00:00Z".parse().expect("time")),
            ..draft()
        }
        .complete(&Catalog::for_tests())
        .expect_err("late tie-break");
        assert_eq!(err.violations[0].field, "tie_break_at");
    }

    #[test]
    fn program_rounds_need_their_program() {
        let err = DrawDraft {
            kind: Some(RoundKind::Program),
            category_id: String::new(),
            ..draft()
        }
        .complete(&Catalog::for_tests())
        .expect_err("no program");
        assert_eq!(err.violations[0].field, "round_type.program");
    }

    #[test]
    fn an_uncatalogued_category_is_taken_as_given_within_bounds() {
        let c = Catalog::for_tests();
        let uncatalogued = |id: &str, version: u32| DrawDraft {
            category_id: id.into(),
            category_version: version,
            uncatalogued: true,
            name: String::new(),
            ..draft()
        };
        let d = uncatalogued("skilled-crafts", 1)
            .complete(&c)
            .expect("valid");
        assert!(d.round_type.uncatalogued);
        assert_eq!(d.round_type.name, "", "the published label, even none");
        for (id, version, field) in [
            ("skilled-crafts", 0, "round_type.category_version"),
            (
                "skilled-crafts",
                3_000_000_000,
                "round_type.category_version",
            ),
            ("healthcare", 1, "round_type.uncatalogued"),
            ("Skilled Crafts", 1, "round_type.category_id"),
        ] {
            let err = uncatalogued(id, version).complete(&c).expect_err(id);
            assert_eq!(err.violations[0].field, field, "{id} v{version}");
        }
        let err = DrawDraft {
            name: "Health\u{0}care".into(),
            ..draft()
        }
        .complete(&c)
        .expect_err("control character");
        assert_eq!(err.violations[0].field, "round_type.name");
    }
}
