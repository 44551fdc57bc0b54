//! Official-language results: the tests, the abilities, the CLB/NCLC levels a result converts to, and when it is valid.

use chrono::NaiveDate;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    English,
    French,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LanguageTest {
    IeltsGeneral,
    CelpipGeneral,
    PteCore,
    TefCanada,
    TcfCanada,
    /// English levels given directly as CLB.
    Clb,
    /// French levels given directly as NCLC.
    Nclc,
}

impl LanguageTest {
    /// The test's name as IRCC writes it.
    pub fn label(self) -> &'static str {
        match self {
            LanguageTest::IeltsGeneral => "IELTS General Training",
            LanguageTest::CelpipGeneral => "CELPIP-General",
            LanguageTest::PteCore => "PTE Core",
            LanguageTest::TefCanada => "TEF Canada",
            LanguageTest::TcfCanada => "TCF Canada",
            LanguageTest::Clb => "CLB",
            LanguageTest::Nclc => "NCLC",
        }
    }
}

/// CLB (or NCLC) per ability; 0 means below CLB 4 when converted from a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AbilityLevels {
    pub reading: u8,
    pub writing: u8,
    pub listening: u8,
    pub speaking: u8,
}

/// One of the four abilities, in the order reading, writing, listening, speaking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ability {
    Reading,
    Writing,
    Listening,
    Speaking,
}

impl Ability {
    pub const ALL: [Ability; 4] = [
        Ability::Reading,
        Ability::Writing,
        Ability::Listening,
        Ability::Speaking,
    ];

    /// 0 reading, 1 writing, 2 listening, 3 speaking.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Ability::Reading => "reading",
            Ability::Writing => "writing",
            Ability::Listening => "listening",
            Ability::Speaking => "speaking",
        }
    }
}

impl AbilityLevels {
    pub fn get(&self, a: Ability) -> u8 {
        self.all()[a.index()]
    }

    pub fn set(&mut self, a: Ability, level: u8) {
        match a {
            Ability::Reading => self.reading = level,
            Ability::Writing => self.writing = level,
            Ability::Listening => self.listening = level,
            Ability::Speaking => self.speaking = level,
        }
    }

    /// The same level in all four abilities.
    pub fn uniform(level: u8) -> Self {
        Self {
            reading: level,
            writing: level,
            listening: level,
            speaking: level,
        }
    }

    pub fn all(&self) -> [u8; 4] {
        [self.reading, self.writing, self.listening, self.speaking]
    }

    pub fn min(&self) -> u8 {
        self.all().into_iter().min().unwrap_or(0)
    }

    pub fn max(&self) -> u8 {
        self.all().into_iter().max().unwrap_or(0)
    }

    pub fn all_at_least(&self, level: u8) -> bool {
        self.min() >= level
    }
}

/// Raw scores as a test reports them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Scores {
    pub reading: f64,
    pub writing: f64,
    pub listening: f64,
    pub speaking: f64,
}

/// A language result: the test, the levels it converts to, and when it was taken.
#[derive(Debug, Clone, PartialEq)]
pub struct LanguageResult {
    pub test: LanguageTest,
    pub language: Language,
    pub levels: AbilityLevels,
    pub test_date: Option<NaiveDate>,
    /// The last day the result is valid (the validity period of `data/language-tests.json` from the test date);
    /// `None` with a test date means the period runs past the calendar.
    pub valid_until: Option<NaiveDate>,
    /// Set when the result never counts, whatever the date asked.
    pub never_counts: Option<NeverCounts>,
}

/// Why a result never counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeverCounts {
    /// The test was taken before IRCC accepted that test, on this day.
    NotAcceptedBefore(NaiveDate),
    /// The test was taken before the first day of every conversion table recorded for it.
    NoTableBefore(NaiveDate),
}

impl LanguageResult {
    /// Valid from the test date for the validity period; a result with no date is taken as valid; a result of a
    /// test taken before IRCC accepted it is never valid.
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        if self.never_counts.is_some() {
            return false;
        }
        match self.test_date {
            None => true,
            Some(taken) => taken <= date && self.valid_until.is_some_and(|until| date <= until),
        }
    }

    /// Why the result does not count on `date`, when it does not; `validity` says how long results are valid
    /// (`LanguageRules::validity_text`).
    pub fn why_not_valid(&self, date: NaiveDate, validity: &str) -> Option<String> {
        if self.valid_on(date) {
            return None;
        }
        let taken = self
            .test_date
            .map_or_else(String::new, |d| format!("; this one was taken on {d}"));
        Some(match self.never_counts {
            Some(NeverCounts::NotAcceptedBefore(from)) => format!(
                "{:?} results count only for tests taken from {from}{taken}",
                self.test
            ),
            Some(NeverCounts::NoTableBefore(from)) => format!(
                "no {:?} conversion table is recorded for tests taken before {from}{taken}; give the levels as CLB or NCLC",
                self.test
            ),
            None => format!("not valid on {date}: {validity}"),
        })
    }
}

/// The highest CLB or NCLC level.
pub const MAX_CLB: u8 = 12;
