//! NOC 2021 occupation codes.

use std::fmt;

use serde::Deserialize;

/// A NOC 2021 unit group: five digits; the second digit is the TEER.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct NocCode(String);

impl NocCode {
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_owned()))
        } else {
            Err(format!(
                "{s:?} is not a NOC 2021 code (five digits, for example \"31301\")"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Training, Education, Experience and Responsibilities: 0 to 5.
    pub fn teer(&self) -> u8 {
        self.0.as_bytes()[1] - b'0'
    }

    /// TEER 0, 1, 2 or 3: skilled work for Express Entry.
    pub fn is_skilled(&self) -> bool {
        self.teer() <= 3
    }

    pub fn starts_with(&self, prefix: &str) -> bool {
        self.0.starts_with(prefix)
    }
}

impl TryFrom<String> for NocCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl fmt::Display for NocCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
