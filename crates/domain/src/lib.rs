#![doc = include_str!("../README.md")]

pub mod category;
pub mod draw;
pub mod error;
pub mod event;
pub mod filter;
pub mod stats;

pub use category::{Catalog, CategoryId, CategoryVersion};
pub use draw::{
    CategoryRef, CrsBucket, Draw, DrawDraft, DrawNumber, PoolDistribution, Program, RoundKind,
    RoundType, Selection,
};
pub use error::{FieldViolation, InvalidInput};
pub use event::{DrawChange, DrawEvent};
pub use filter::DrawFilter;
pub use stats::{DrawStats, StatsReport};
