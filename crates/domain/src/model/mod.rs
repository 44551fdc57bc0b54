//! Value types: what a candidate, a round and an answer are made of. They depend on nothing else in the crate
//! except each other.

pub mod category_id;
pub mod error;
pub mod error_code;
pub mod language;
pub mod noc;
pub mod profile;
pub mod program;
pub mod reason;
