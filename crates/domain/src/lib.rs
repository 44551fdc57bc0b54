#![doc = include_str!("../README.md")]

pub mod assessments;
pub mod model;
pub mod rounds;
pub mod rules;

pub use model::category_id::CategoryId;
pub use model::error::{FieldViolation, InvalidInput};
pub use model::error_code::{ErrorCode, ServiceError, error_chain, panic_message};
pub use model::program::Program;
pub use model::reason::{Reason, ReasonCode};
pub use rounds::draw::{
    CategoryRef, CrsBucket, Draw, DrawDraft, DrawNumber, MAX_CATEGORY_VERSION, MAX_NAME_CHARS,
    PUBLISHED_CRS_RANGES, PoolDistribution, RoundKind, RoundType, Selection,
};
pub use rounds::event::{DrawChange, DrawEvent};
pub use rounds::filter::DrawFilter;
pub use rounds::history::{DrawLookup, History, SortKey};
pub use rounds::stats::{DrawStats, RoundTypeGroup, StatsReport};
pub use rules::categories::{Catalog, CategoryVersion, ExperienceRule, Occupation, Requirement};
pub use rules::{RuleSources, Rules, RulesError};
