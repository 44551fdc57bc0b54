//! Why a requirement is not met: a stable code (a string on the wire) and a sentence.

/// Declares a code enum with `ALL` (every variant, in order) and `as_str` (the code on the wire) from one list,
/// so the three cannot drift apart.
macro_rules! wire_codes {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident => $code:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            /// Every code.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The code on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_codes;

wire_codes! {
    /// The requirement a [`Reason`] is about.
    pub enum ReasonCode {
        FswpExperience => "FSWP_EXPERIENCE",
        FswpLanguage => "FSWP_LANGUAGE",
        FswpEducation => "FSWP_EDUCATION",
        FswpEducationAssessment => "FSWP_EDUCATION_ASSESSMENT",
        FswpProofOfFunds => "FSWP_PROOF_OF_FUNDS",
        FswpPoints => "FSWP_POINTS",
        FstpLanguage => "FSTP_LANGUAGE",
        FstpExperience => "FSTP_EXPERIENCE",
        FstpOfferOrCertificate => "FSTP_OFFER_OR_CERTIFICATE",
        FstpProofOfFunds => "FSTP_PROOF_OF_FUNDS",
        CecExperience => "CEC_EXPERIENCE",
        CecLanguage => "CEC_LANGUAGE",
        NoFederalProgram => "NO_FEDERAL_PROGRAM",
        CategoryOccupation => "CATEGORY_OCCUPATION",
        CategoryExperience => "CATEGORY_EXPERIENCE",
        CategoryFrench => "CATEGORY_FRENCH",
        CategoryArmedForcesOffer => "CATEGORY_ARMED_FORCES_OFFER",
        NotInPool => "NOT_IN_POOL",
        RoundTypeUnknown => "ROUND_TYPE_UNKNOWN",
        CategoryMismatch => "CATEGORY_MISMATCH",
        CategoryUnknown => "CATEGORY_UNKNOWN",
        ProgramMismatch => "PROGRAM_MISMATCH",
        NoEligibleProgram => "NO_ELIGIBLE_PROGRAM",
        CrsBelowMinimum => "CRS_BELOW_MINIMUM",
        NoTieBreakPublished => "NO_TIE_BREAK_PUBLISHED",
        SubmissionTimeNeeded => "SUBMISSION_TIME_NEEDED",
        TieBreak => "TIE_BREAK",
    }
}

/// Why a requirement is not met: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: ReasonCode,
    pub message: String,
}

impl Reason {
    pub fn new(code: ReasonCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessments::crs::CrsLineCode;
    use std::collections::HashSet;

    #[test]
    fn codes_are_distinct_screaming_snake_case() {
        let reasons: Vec<&str> = ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
        let lines: Vec<&str> = CrsLineCode::ALL.iter().map(|c| c.as_str()).collect();
        for codes in [&reasons, &lines] {
            assert_eq!(codes.iter().collect::<HashSet<_>>().len(), codes.len());
            assert!(
                codes
                    .iter()
                    .all(|c| c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
            );
        }
    }
}
