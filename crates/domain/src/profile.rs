//! A candidate's Express Entry profile.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Deserialize;

use crate::language::LanguageResult;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaritalStatus {
    Single,
    Married,
    CommonLaw,
    Separated,
    Divorced,
    Widowed,
    Annulled,
}

/// Highest level of education, in the order of the CRS tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EducationLevel {
    LessThanSecondary,
    Secondary,
    OneYearPostSecondary,
    TwoYearPostSecondary,
    /// A bachelor's degree or a program of three years or more.
    Bachelors,
    /// Two or more credentials, one of them of three years or more.
    TwoOrMoreCredentials,
    /// A master's degree or an entry-to-practice professional degree.
    Masters,
    Doctoral,
}

impl EducationLevel {
    /// The row of the points tables.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            EducationLevel::LessThanSecondary => "less than secondary school",
            EducationLevel::Secondary => "secondary diploma",
            EducationLevel::OneYearPostSecondary => "one-year post-secondary program",
            EducationLevel::TwoYearPostSecondary => "two-year post-secondary program",
            EducationLevel::Bachelors => "bachelor's degree or program of three years or more",
            EducationLevel::TwoOrMoreCredentials => {
                "two or more credentials, one of three years or more"
            }
            EducationLevel::Masters => "master's or entry-to-practice professional degree",
            EducationLevel::Doctoral => "doctoral degree",
        }
    }
}

/// Post-secondary education completed in Canada.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum CanadianEducation {
    #[default]
    None,
    OneYear,
    TwoYear,
    ThreeYearOrMore,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Spouse {
    pub accompanying: bool,
    pub canadian_citizen_or_pr: bool,
    pub education: Option<EducationLevel>,
    pub language: Option<LanguageResult>,
    pub canadian_work_years: u32,
    pub studied_in_canada: bool,
}

/// One job: `end` is inclusive, `None` while it goes on.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkEntry {
    pub noc: NocCode,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub hours_per_week: f64,
    pub in_canada: bool,
    pub self_employed: bool,
    pub full_time_student: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub date_of_birth: NaiveDate,
    pub marital_status: MaritalStatus,
    pub spouse: Option<Spouse>,
    pub education: Option<EducationLevel>,
    /// The education is Canadian or has an Educational Credential Assessment.
    pub education_assessed: bool,
    pub canadian_education: CanadianEducation,
    pub first_language: Option<LanguageResult>,
    pub second_language: Option<LanguageResult>,
    pub work_history: Vec<WorkEntry>,
    pub certificate_of_qualification: bool,
    /// The NOC code of a qualifying job offer.
    pub job_offer: Option<NocCode>,
    pub provincial_nomination: bool,
    pub sibling_in_canada: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub proof_of_funds: bool,
    pub authorized_to_work_in_canada: bool,
    pub armed_forces_offer: bool,
}

impl Profile {
    /// Age in whole years on `date`.
    pub fn age_on(&self, date: NaiveDate) -> i32 {
        let mut age = date.year() - self.date_of_birth.year();
        if (date.month(), date.day()) < (self.date_of_birth.month(), self.date_of_birth.day()) {
            age -= 1;
        }
        age.max(0)
    }

    /// Scored "with a spouse": a spouse or common-law partner who comes to Canada and is not a citizen or PR.
    pub fn scored_with_spouse(&self) -> bool {
        matches!(
            self.marital_status,
            MaritalStatus::Married | MaritalStatus::CommonLaw
        ) && self
            .spouse
            .as_ref()
            .is_some_and(|s| s.accompanying && !s.canadian_citizen_or_pr)
    }

    /// The language results that are valid on `date` (for the validity period of the tables), first official first.
    pub fn languages_on(
        &self,
        date: NaiveDate,
    ) -> (Option<&LanguageResult>, Option<&LanguageResult>) {
        let valid = |r: &&LanguageResult| r.valid_on(date);
        (
            self.first_language.as_ref().filter(valid),
            self.second_language.as_ref().filter(valid),
        )
    }
}
