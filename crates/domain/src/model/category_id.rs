//! Category identifiers.

use std::fmt;

use serde::Deserialize;

/// A category identifier such as `healthcare` or `senior_managers`: lower-case ASCII letters, digits, `_` and `-`.
/// The catalogue's ids use `_`; ids derived from a label the catalogue does not know use `-`
/// (`"Skilled Crafts Occupations, 2027-Version 1"` is `skilled-crafts-occupations`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CategoryId(String);

impl CategoryId {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
            // Hyphens join words: none first, last or doubled.
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "{s:?} is not a category id (lower-case letters, digits, '_' and '-', for example \"healthcare\")"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CategoryId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<CategoryId> for String {
    fn from(id: CategoryId) -> String {
        id.0
    }
}

impl fmt::Display for CategoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
