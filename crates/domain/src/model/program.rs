//! The Express Entry programs.

use serde::{Deserialize, Serialize};

/// An Express Entry program, ordered as in the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Program {
    Cec,
    Pnp,
    Fsw,
    Fst,
}

impl Program {
    pub const ALL: [Program; 4] = [Program::Cec, Program::Pnp, Program::Fsw, Program::Fst];

    pub fn code(self) -> &'static str {
        match self {
            Program::Cec => "CEC",
            Program::Pnp => "PNP",
            Program::Fsw => "FSW",
            Program::Fst => "FST",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            Program::Cec => "Canadian Experience Class",
            Program::Pnp => "Provincial Nominee Program",
            Program::Fsw => "Federal Skilled Worker",
            Program::Fst => "Federal Skilled Trades",
        }
    }
}
