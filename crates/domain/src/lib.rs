#![doc = include_str!("../README.md")]

pub mod category;
pub mod crs;
pub mod draw;
pub mod eligibility;
pub mod error;
pub mod error_code;
pub mod event;
pub mod experience;
pub mod explore;
pub mod filter;
pub mod history;
pub mod invitation;
pub mod invitation_history;
pub mod language;
pub mod profile;
pub mod programs;
pub mod reason;
pub mod rules;
pub mod stats;

pub use category::{Catalog, CategoryId, CategoryVersion, ExperienceRule, Occupation, Requirement};
pub use draw::{
    CategoryRef, CrsBucket, Draw, DrawDraft, DrawNumber, MAX_CATEGORY_VERSION, MAX_NAME_CHARS,
    PUBLISHED_CRS_RANGES, PoolDistribution, Program, RoundKind, RoundType, Selection,
};
pub use error::{FieldViolation, InvalidInput};
pub use error_code::{ErrorCode, ServiceError, error_chain, panic_message};
pub use event::{DrawChange, DrawEvent};
pub use filter::DrawFilter;
pub use history::{DrawLookup, History, SortKey};
pub use reason::{Reason, ReasonCode};
pub use rules::{RuleSources, Rules, RulesError};
pub use stats::{DrawStats, RoundTypeGroup, StatsReport};
