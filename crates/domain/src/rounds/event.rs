//! Changes to rounds, as the event log records them.

use chrono::{DateTime, Utc};

use super::draw::Draw;
use super::filter::DrawFilter;

/// What happened to a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrawChange {
    Created,
    Updated,
}

impl DrawChange {
    pub fn code(self) -> &'static str {
        match self {
            DrawChange::Created => "created",
            DrawChange::Updated => "updated",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "created" => Some(DrawChange::Created),
            "updated" => Some(DrawChange::Updated),
            _ => None,
        }
    }
}

/// One entry of the event log: ids increase in the order the changes were committed.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawEvent {
    pub id: u64,
    pub change: DrawChange,
    /// The round after the change.
    pub draw: Draw,
    /// The round before the change, for updates.
    pub previous: Option<Draw>,
    pub recorded_at: DateTime<Utc>,
}

impl DrawEvent {
    /// Whether a subscriber with this filter hears of the event: the round matches before or after the change,
    /// so that a round relabelled out of a category is heard of by that category's subscribers.
    pub fn matches(&self, filter: &DrawFilter) -> bool {
        filter.matches(&self.draw) || self.previous.as_ref().is_some_and(|p| filter.matches(p))
    }
}
