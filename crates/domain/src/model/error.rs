use std::fmt;

/// One thing wrong with one field of an input, named by its path (for example `draw.invitations`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }

    /// The same violation with `prefix.` put before the field path.
    pub fn within(mut self, prefix: &str) -> Self {
        if !prefix.is_empty() {
            self.field = format!("{prefix}.{}", self.field);
        }
        self
    }
}

/// Input that cannot be accepted, with every field that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidInput {
    pub violations: Vec<FieldViolation>,
}

impl InvalidInput {
    pub fn one(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            violations: vec![FieldViolation::new(field, description)],
        }
    }

    pub fn within(self, prefix: &str) -> Self {
        Self {
            violations: self
                .violations
                .into_iter()
                .map(|v| v.within(prefix))
                .collect(),
        }
    }

    /// `Ok(())` when `violations` is empty.
    pub fn check(violations: Vec<FieldViolation>) -> Result<(), Self> {
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Self { violations })
        }
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .violations
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect();
        write!(f, "invalid input: {}", parts.join("; "))
    }
}
