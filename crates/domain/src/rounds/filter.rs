//! Selecting rounds.

use chrono::{DateTime, Utc};

use super::draw::{Draw, RoundKind, Selection};
use crate::model::category_id::CategoryId;
use crate::model::error::{FieldViolation, InvalidInput};
use crate::model::program::Program;

/// Selects rounds; every part is optional and the parts combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DrawFilter {
    pub kind: Option<RoundKind>,
    /// Program rounds of this program.
    pub program: Option<Program>,
    /// Category rounds of this category.
    pub category: Option<CategoryId>,
    /// Category rounds of this version; only with `category`.
    pub category_version: Option<u32>,
    /// Inclusive.
    pub held_after: Option<DateTime<Utc>>,
    /// Exclusive.
    pub held_before: Option<DateTime<Utc>>,
}

impl DrawFilter {
    /// Checks the parts that only make sense together.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        let mut v = Vec::new();
        if let (Some(after), Some(before)) = (self.held_after, self.held_before)
            && after > before
        {
            v.push(FieldViolation::new(
                "held_after",
                format!("{after} is later than held_before {before}"),
            ));
        }
        if self.category_version.is_some() && self.category.is_none() {
            v.push(FieldViolation::new(
                "category_version",
                "requires category_id",
            ));
        }
        InvalidInput::check(v)
    }

    pub fn matches(&self, draw: &Draw) -> bool {
        let selection = &draw.round_type.selection;
        self.kind.is_none_or(|k| k == draw.kind())
            && self
                .program
                .is_none_or(|p| matches!(selection, Selection::Program(q) if *q == p))
            && self.category.as_ref().is_none_or(|id| {
                matches!(selection, Selection::Category(c) if &c.id == id
                    && self.category_version.is_none_or(|v| v == c.version))
            })
            && self.held_after.is_none_or(|t| draw.held_at >= t)
            && self.held_before.is_none_or(|t| draw.held_at < t)
    }

    /// A stable text form of the filter, used to tie a page token to the filter it was made for.
    pub fn canonical(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}",
            self.kind.map_or("", RoundKind::code),
            self.program.map_or("", Program::code),
            self.category.as_ref().map_or("", CategoryId::as_str),
            self.category_version.unwrap_or(0),
            self.held_after.map_or(0, |t| t.timestamp_micros()),
            self.held_before.map_or(0, |t| t.timestamp_micros()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reversed_period_names_held_after() {
        let f = DrawFilter {
            held_after: Some("2024-01-01T00:00:00Z".parse().expect("t")),
            held_before: Some("2023-01-01T00:00:00Z".parse().expect("t")),
            ..DrawFilter::default()
        };
        let err = f.validate().expect_err("reversed");
        assert_eq!(err.violations[0].field, "held_after");
    }

    #[test]
    fn version_without_category_is_rejected() {
        let f = DrawFilter {
            category_version: Some(2),
            ..DrawFilter::default()
        };
        assert_eq!(
            f.validate().expect_err("no category").violations[0].field,
            "category_version"
        );
    }
}
