//! Official-language results and their conversion from test scores to CLB/NCLC levels (`data/language-tests.json`).

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{Months, NaiveDate};
use serde::Deserialize;

use crate::error::FieldViolation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    English,
    French,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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

/// CLB (or NCLC) per ability; 0 means below CLB 4 when converted from a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AbilityLevels {
    pub reading: u8,
    pub writing: u8,
    pub listening: u8,
    pub speaking: u8,
}

impl AbilityLevels {
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
}

impl LanguageResult {
    /// Valid from the test date for the validity period; a result with no date is taken as valid.
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        match self.test_date {
            None => true,
            Some(taken) => {
                let years = TABLES.validity_years;
                taken <= date
                    && taken
                        .checked_add_months(Months::new(12 * years))
                        .is_some_and(|until| date <= until)
            }
        }
    }
}

#[derive(Deserialize)]
struct TestTable {
    language: Language,
    range: [f64; 2],
    #[serde(default)]
    writing_speaking_range: Option<[f64; 2]>,
    step: f64,
    /// [level, reading, writing, listening, speaking] minimum scores, highest level first.
    levels: Vec<[f64; 5]>,
    #[serde(default)]
    before: Option<OlderTable>,
}

#[derive(Deserialize)]
struct OlderTable {
    date: NaiveDate,
    levels: Vec<[f64; 5]>,
}

#[derive(Deserialize)]
struct Tables {
    validity_years: u32,
    tests: HashMap<LanguageTest, TestTable>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../data/language-tests.json"))
        .unwrap_or_else(|e| panic!("the built-in data/language-tests.json is invalid: {e}"))
});

fn level_of(levels: &[[f64; 5]], ability: usize, score: f64) -> u8 {
    levels
        .iter()
        .find(|row| score >= row[ability + 1])
        .map_or(0, |row| row[0] as u8)
}

/// Converts a test's scores to levels, checking each score against the test's scale. Field paths are relative
/// to the language result (`scores.reading`, ...).
pub fn convert(
    test: LanguageTest,
    scores: Scores,
    test_date: Option<NaiveDate>,
) -> Result<LanguageResult, Vec<FieldViolation>> {
    let named = [
        ("scores.reading", scores.reading),
        ("scores.writing", scores.writing),
        ("scores.listening", scores.listening),
        ("scores.speaking", scores.speaking),
    ];
    let mut violations = Vec::new();
    if matches!(test, LanguageTest::Clb | LanguageTest::Nclc) {
        for (field, v) in named {
            if !(0.0..=12.0).contains(&v) || v.fract() != 0.0 {
                violations.push(FieldViolation::new(
                    field,
                    format!("{v} is not a level from 0 to 12"),
                ));
            }
        }
        if !violations.is_empty() {
            return Err(violations);
        }
        let l = |v: f64| v as u8;
        return Ok(LanguageResult {
            test,
            language: if test == LanguageTest::Clb {
                Language::English
            } else {
                Language::French
            },
            levels: AbilityLevels {
                reading: l(scores.reading),
                writing: l(scores.writing),
                listening: l(scores.listening),
                speaking: l(scores.speaking),
            },
            test_date,
        });
    }
    let table = TABLES
        .tests
        .get(&test)
        .ok_or_else(|| vec![FieldViolation::new("test", "has no conversion table")])?;
    for (i, (field, v)) in named.into_iter().enumerate() {
        let [lo, hi] = match (i, table.writing_speaking_range) {
            (1 | 3, Some(range)) => range,
            _ => table.range,
        };
        let on_scale = v.is_finite() && (v / table.step).fract() == 0.0;
        if !(lo..=hi).contains(&v) || !on_scale {
            violations.push(FieldViolation::new(
                field,
                format!(
                    "{v} is not a {test:?} score: {lo} to {hi} in steps of {}",
                    table.step
                ),
            ));
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    let levels = match (&table.before, test_date) {
        (Some(older), Some(date)) if date < older.date => &older.levels,
        _ => &table.levels,
    };
    Ok(LanguageResult {
        test,
        language: table.language,
        levels: AbilityLevels {
            reading: level_of(levels, 0, scores.reading),
            writing: level_of(levels, 1, scores.writing),
            listening: level_of(levels, 2, scores.listening),
            speaking: level_of(levels, 3, scores.speaking),
        },
        test_date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(test: LanguageTest, r: f64, w: f64, l: f64, s: f64) -> AbilityLevels {
        convert(
            test,
            Scores {
                reading: r,
                writing: w,
                listening: l,
                speaking: s,
            },
            None,
        )
        .expect("valid")
        .levels
    }

    #[test]
    fn the_published_conversions() {
        // IELTS: listening 8 -> 9, reading 7 -> 9, writing 7.5 -> 10, speaking 6 -> 7, listening 4 -> below 4.
        let l = one(LanguageTest::IeltsGeneral, 7.0, 7.5, 8.0, 6.0);
        assert_eq!(
            (l.reading, l.writing, l.listening, l.speaking),
            (9, 10, 9, 7)
        );
        assert_eq!(
            one(LanguageTest::IeltsGeneral, 7.0, 7.5, 4.0, 6.0).listening,
            0
        );
        assert_eq!(
            one(LanguageTest::CelpipGeneral, 12.0, 12.0, 12.0, 12.0).reading,
            10
        );
        let tcf = one(LanguageTest::TcfCanada, 500.0, 14.0, 500.0, 10.0);
        assert_eq!((tcf.reading, tcf.writing), (8, 9));
    }

    #[test]
    fn table_edges() {
        assert_eq!(
            one(LanguageTest::IeltsGeneral, 3.5, 4.0, 4.5, 4.0).all(),
            [4, 4, 4, 4]
        );
        assert_eq!(
            one(LanguageTest::IeltsGeneral, 3.0, 3.5, 4.0, 3.5).all(),
            [0, 0, 0, 0]
        );
        assert_eq!(
            one(LanguageTest::PteCore, 90.0, 89.0, 88.0, 84.0).all(),
            [10, 9, 9, 9]
        );
        assert_eq!(
            one(LanguageTest::TefCanada, 546.0, 557.0, 545.0, 556.0).all(),
            [10, 9, 9, 10]
        );
        let old = convert(
            LanguageTest::TefCanada,
            Scores {
                reading: 566.0,
                writing: 565.0,
                listening: 566.0,
                speaking: 566.0,
            },
            Some(NaiveDate::from_ymd_opt(2022, 1, 1).expect("date")),
        )
        .expect("valid");
        assert_eq!(old.levels.all(), [10, 9, 10, 10], "the older TEF table");
    }

    #[test]
    fn scores_off_the_scale_name_the_ability() {
        let err = convert(
            LanguageTest::IeltsGeneral,
            Scores {
                reading: 7.25,
                writing: 9.5,
                listening: 8.0,
                speaking: 6.0,
            },
            None,
        )
        .expect_err("off scale");
        let fields: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["scores.reading", "scores.writing"]);
        assert!(
            convert(
                LanguageTest::Clb,
                Scores {
                    reading: 13.0,
                    ..Scores::default()
                },
                None
            )
            .is_err()
        );
        assert!(
            convert(
                LanguageTest::TcfCanada,
                Scores {
                    reading: 500.0,
                    writing: 21.0,
                    listening: 500.0,
                    speaking: 10.0
                },
                None
            )
            .is_err()
        );
    }

    #[test]
    fn results_are_valid_for_two_years() {
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        let r = convert(
            LanguageTest::Clb,
            Scores {
                reading: 9.0,
                writing: 9.0,
                listening: 9.0,
                speaking: 9.0,
            },
            Some(d("2022-03-01")),
        )
        .expect("valid");
        assert!(r.valid_on(d("2024-03-01")));
        assert!(!r.valid_on(d("2024-03-02")));
        assert!(!r.valid_on(d("2022-02-28")), "not before the test");
    }
}
