//! A candidate's Express Entry profile.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::language::LanguageResult;
pub use super::noc::NocCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaritalStatus {
    #[default]
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

/// A relative living in Canada who is a citizen or permanent resident, 18 or older (FSW adaptability; a sibling
/// also earns CRS points).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelativeKind {
    Parent,
    Grandparent,
    Child,
    Grandchild,
    Sibling,
    AuntOrUncle,
    NieceOrNephew,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relative {
    pub kind: RelativeKind,
    /// A relative of the spouse or common-law partner rather than of the candidate.
    pub of_spouse: bool,
}

/// A post-secondary credential completed in Canada: its level and the length of the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanadianCredential {
    pub level: EducationLevel,
    /// Full-time years of the program, 1 to [`CanadianCredential::MAX_YEARS`].
    pub length_years: u32,
}

impl CanadianCredential {
    pub const MAX_YEARS: u32 = 10;
}

/// What a job offer rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferBasis {
    /// Supported by a positive Labour Market Impact Assessment.
    Lmia,
    /// Exempt from an LMIA (a work permit under an international agreement, a provincial arrangement, ...).
    LmiaExempt,
    /// Neither: not a qualifying offer of arranged employment.
    Neither,
}

/// An offer of arranged employment. A fact not given is not held against the offer (older profiles give only the
/// occupation).
#[derive(Debug, Clone, PartialEq)]
pub struct JobOffer {
    pub noc: NocCode,
    pub basis: Option<OfferBasis>,
    /// Paid hours a week.
    pub hours_per_week: Option<f64>,
    /// Months of employment offered; non-seasonal.
    pub duration_months: Option<u32>,
}

impl JobOffer {
    /// An offer of the occupation only, every other fact unknown.
    pub fn of(noc: NocCode) -> Self {
        Self {
            noc,
            basis: None,
            hours_per_week: None,
            duration_months: None,
        }
    }
}

/// Settlement funds: the amount available and the size of the family it must support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlementFunds {
    /// Canadian dollars.
    pub amount_cad: u64,
    /// The candidate, the spouse and the dependent children, whether or not they come.
    pub family_members: u32,
}

impl SettlementFunds {
    pub const MAX_FAMILY_MEMBERS: u32 = 30;
}

#[derive(Debug, Clone, PartialEq, Default)]
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
    pub job_offer: Option<JobOffer>,
    pub provincial_nomination: bool,
    pub sibling_in_canada: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub proof_of_funds: bool,
    pub authorized_to_work_in_canada: bool,
    pub armed_forces_offer: bool,
    /// Relatives in Canada beyond `sibling_in_canada`, which stays a sibling of the candidate.
    pub relatives_in_canada: Vec<Relative>,
    /// The Canadian credential; when given it decides the Canadian-study points instead of `canadian_education`.
    pub canadian_credential: Option<CanadianCredential>,
    /// The day an Educational Credential Assessment was issued; when given it decides, by its validity, instead of
    /// `education_assessed`.
    pub eca_issued_on: Option<NaiveDate>,
    /// When given, checked against the minimum in force instead of `proof_of_funds`.
    pub settlement_funds: Option<SettlementFunds>,
    /// Serves (or served) in a recognised foreign military (skilled military recruits).
    pub serving_in_foreign_military: bool,
    /// The occupation of the Canadian Armed Forces offer.
    pub armed_forces_offer_noc: Option<NocCode>,
}

/// What the candidate's study in Canada earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanadianStudy {
    /// The class of the CRS Canadian-study points.
    pub crs_class: CanadianEducation,
    /// Two or more years of full-time post-secondary study in Canada (FSW adaptability).
    pub two_years_or_more: bool,
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

    /// A brother or sister in Canada, of the candidate or of the spouse or common-law partner.
    pub fn sibling_in_canada(&self) -> bool {
        self.sibling_in_canada
            || self
                .relatives_in_canada
                .iter()
                .any(|r| r.kind == RelativeKind::Sibling && (!r.of_spouse || self.has_spouse()))
    }

    /// Any relative in Canada of the candidate, or of an accompanying spouse (FSW adaptability).
    pub fn relative_in_canada(&self) -> bool {
        let accompanying = self.spouse.as_ref().is_some_and(|s| s.accompanying);
        self.sibling_in_canada
            || self
                .relatives_in_canada
                .iter()
                .any(|r| !r.of_spouse || (self.has_spouse() && accompanying))
    }

    fn has_spouse(&self) -> bool {
        matches!(
            self.marital_status,
            MaritalStatus::Married | MaritalStatus::CommonLaw
        ) && self.spouse.is_some()
    }

    /// The Canadian study, from the credential when given (a master's or doctorate of any length, or a program of
    /// three years or more, is the top class; a one- or two-year program the lower one; below post-secondary none),
    /// otherwise from `canadian_education`.
    pub fn canadian_study(&self) -> CanadianStudy {
        match self.canadian_credential {
            Some(c) if c.level < EducationLevel::OneYearPostSecondary => CanadianStudy {
                crs_class: CanadianEducation::None,
                two_years_or_more: false,
            },
            Some(c) => CanadianStudy {
                crs_class: if c.level >= EducationLevel::Masters || c.length_years >= 3 {
                    CanadianEducation::ThreeYearOrMore
                } else if c.length_years == 2 {
                    CanadianEducation::TwoYear
                } else {
                    CanadianEducation::OneYear
                },
                two_years_or_more: c.length_years >= 2,
            },
            None => CanadianStudy {
                crs_class: self.canadian_education,
                two_years_or_more: self.canadian_education >= CanadianEducation::TwoYear,
            },
        }
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
