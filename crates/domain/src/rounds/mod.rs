//! Rounds of invitations: a round and its type, filters over rounds, the history in memory, statistics and the
//! event log's entries. Uses the model and the rules (a category round names a version of the catalogue).

pub mod draw;
pub mod event;
pub mod filter;
pub mod history;
pub mod stats;
