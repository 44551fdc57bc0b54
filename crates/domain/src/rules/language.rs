//! The language-test tables: test scores to CLB/NCLC levels, and how long a result is valid (`data/language-tests.json`).

use chrono::{Months, NaiveDate};
use serde::Deserialize;

use super::toolkit::{self, RulesError};
use crate::model::error::FieldViolation;
use crate::model::language::{
    AbilityLevels, Language, LanguageResult, LanguageTest, MAX_CLB, NeverCounts, Scores,
};

const FILE: &str = "language-tests.json";

/// `[level, reading, writing, listening, speaking]` minimum scores for levels 10 down to 4.
type LevelRows = [[f64; 5]; 7];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestTable {
    language: Language,
    range: [f64; 2],
    #[serde(default)]
    writing_speaking_range: Option<[f64; 2]>,
    step: f64,
    levels: LevelRows,
    /// The first test date IRCC accepts this test for; an earlier result does not count.
    #[serde(default)]
    accepted_from: Option<NaiveDate>,
    /// Older tables, oldest first; the current table applies to tests taken after the last one's `until`.
    #[serde(default)]
    before: Vec<OlderTable>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OlderTable {
    /// Tests taken from this day to `until` (both included) use these levels.
    from: NaiveDate,
    until: NaiveDate,
    levels: LevelRows,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct TestTables {
    ielts_general: TestTable,
    celpip_general: TestTable,
    pte_core: TestTable,
    tef_canada: TestTable,
    tcf_canada: TestTable,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguageTables {
    validity_years: u32,
    tests: TestTables,
}

/// The conversion tables of every test and how long a result is valid, checked (`data/language-tests.json`).
#[derive(Debug, Clone)]
pub struct LanguageRules {
    t: LanguageTables,
}

impl LanguageRules {
    /// Reads and checks `language-tests.json`.
    pub fn from_json(json: &str) -> Result<Self, RulesError> {
        let t: LanguageTables = toolkit::parse(FILE, json)?;
        toolkit::validate_range(FILE, "validity_years", t.validity_years, 1..=10)?;
        for (name, table) in t.tests.all() {
            table.validate(&format!("tests.{name}"))?;
        }
        Ok(Self { t })
    }

    /// Years a result is valid after the test date.
    pub fn validity_years(&self) -> u32 {
        self.t.validity_years
    }

    /// "tests are valid for two years".
    pub fn validity_text(&self) -> String {
        const WORDS: [&str; 11] = [
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        ];
        let years = self.t.validity_years;
        let number = usize::try_from(years)
            .ok()
            .and_then(|i| WORDS.get(i))
            .map_or_else(|| years.to_string(), |w| (*w).to_owned());
        let unit = if years == 1 { "year" } else { "years" };
        format!("tests are valid for {number} {unit}")
    }

    fn table(&self, test: LanguageTest) -> Option<&TestTable> {
        let t = &self.t.tests;
        match test {
            LanguageTest::IeltsGeneral => Some(&t.ielts_general),
            LanguageTest::CelpipGeneral => Some(&t.celpip_general),
            LanguageTest::PteCore => Some(&t.pte_core),
            LanguageTest::TefCanada => Some(&t.tef_canada),
            LanguageTest::TcfCanada => Some(&t.tcf_canada),
            LanguageTest::Clb | LanguageTest::Nclc => None,
        }
    }

    /// The lowest score of `test` (taken on `taken`) that reaches `level` in an ability (0 reading, 1 writing,
    /// 2 listening, 3 speaking): the level itself for CLB and NCLC; `None` past the table or with no table.
    pub fn min_score(
        &self,
        test: LanguageTest,
        ability: usize,
        level: u8,
        taken: Option<NaiveDate>,
    ) -> Option<f64> {
        let Some(table) = self.table(test) else {
            return (level <= MAX_CLB).then_some(f64::from(level));
        };
        let rows = table.levels_for(taken).ok()?;
        rows.iter()
            .find(|row| row[0] == f64::from(level))
            .and_then(|row| row.get(ability + 1).copied())
    }

    /// The last day a result of a test taken on `taken` is valid.
    fn valid_until(&self, taken: NaiveDate) -> Option<NaiveDate> {
        taken.checked_add_months(Months::new(12 * self.t.validity_years))
    }
}

impl TestTables {
    fn all(&self) -> [(&'static str, &TestTable); 5] {
        [
            ("IELTS_GENERAL", &self.ielts_general),
            ("CELPIP_GENERAL", &self.celpip_general),
            ("PTE_CORE", &self.pte_core),
            ("TEF_CANADA", &self.tef_canada),
            ("TCF_CANADA", &self.tcf_canada),
        ]
    }
}

impl TestTable {
    /// The score range of an ability (0 reading, 1 writing, 2 listening, 3 speaking).
    fn range_of(&self, ability: usize) -> [f64; 2] {
        match (ability, self.writing_speaking_range) {
            (1 | 3, Some(range)) => range,
            _ => self.range,
        }
    }

    /// The levels for a test taken on `date` (undated: the current table); `Err` with the first recorded day when
    /// the test was taken before every recorded table.
    fn levels_for(&self, date: Option<NaiveDate>) -> Result<&LevelRows, NaiveDate> {
        let Some(d) = date else {
            return Ok(&self.levels);
        };
        match self.before.first() {
            Some(first) if d < first.from => Err(first.from),
            _ => Ok(self
                .before
                .iter()
                .find(|older| older.from <= d && d <= older.until)
                .map_or(&self.levels, |older| &older.levels)),
        }
    }

    fn validate(&self, path: &str) -> Result<(), RulesError> {
        let positive = self.step.is_finite() && self.step > 0.0;
        if !positive {
            return Err(RulesError::new(
                FILE,
                format!("{path}.step"),
                "must be more than 0",
            ));
        }
        for (name, range) in [
            ("range", Some(self.range)),
            ("writing_speaking_range", self.writing_speaking_range),
        ] {
            if let Some([lo, hi]) = range
                && !(lo.is_finite() && hi.is_finite() && lo < hi)
            {
                return Err(RulesError::new(
                    FILE,
                    format!("{path}.{name}"),
                    format!("[{lo}, {hi}] is not a range from low to high"),
                ));
            }
        }
        self.validate_rows(&format!("{path}.levels"), &self.levels)?;
        let mut previous: Option<NaiveDate> = None;
        for (i, older) in self.before.iter().enumerate() {
            if older.until < older.from {
                return Err(RulesError::new(
                    FILE,
                    format!("{path}.before[{i}].until"),
                    format!("{} is before its from, {}", older.until, older.from),
                ));
            }
            if let Some(p) = previous
                && older.from.pred_opt() != Some(p)
            {
                return Err(RulesError::new(
                    FILE,
                    format!("{path}.before[{i}].from"),
                    format!(
                        "{} does not follow the entry before it (until {p}): older tables must be in date order, with no gap",
                        older.from
                    ),
                ));
            }
            previous = Some(older.until);
            self.validate_rows(&format!("{path}.before[{i}].levels"), &older.levels)?;
        }
        Ok(())
    }

    /// Levels 10 down to 4, each ability's minimum on its scale and no higher than the level above's.
    fn validate_rows(&self, path: &str, rows: &LevelRows) -> Result<(), RulesError> {
        for (i, row) in rows.iter().enumerate() {
            let level = 10.0 - i as f64;
            if row[0] != level {
                return Err(RulesError::new(
                    FILE,
                    format!("{path}[{i}][0]"),
                    format!(
                        "{} is not level {level}: rows are levels 10 down to 4",
                        row[0]
                    ),
                ));
            }
            for ability in 0..4 {
                let [lo, hi] = self.range_of(ability);
                let score = row[ability + 1];
                let at = format!("{path}[{i}][{}]", ability + 1);
                toolkit::validate_range(FILE, at.as_str(), score, lo..=hi)?;
                if i > 0 && score > rows[i - 1][ability + 1] {
                    return Err(RulesError::new(
                        FILE,
                        at,
                        format!("{score} is more than the minimum of the level above"),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn level_of(levels: &LevelRows, ability: usize, score: f64) -> u8 {
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
    rules: &LanguageRules,
) -> Result<LanguageResult, Vec<FieldViolation>> {
    let named = [
        ("scores.reading", scores.reading),
        ("scores.writing", scores.writing),
        ("scores.listening", scores.listening),
        ("scores.speaking", scores.speaking),
    ];
    let valid_until = test_date.and_then(|d| rules.valid_until(d));
    let Some(table) = rules.table(test) else {
        return direct_levels(test, named, test_date, valid_until);
    };
    let mut violations = Vec::new();
    for (i, (field, v)) in named.into_iter().enumerate() {
        let [lo, hi] = table.range_of(i);
        let on_scale = v.is_finite() && (v / table.step).fract() == 0.0;
        if !(lo..=hi).contains(&v) || !on_scale {
            violations.push(FieldViolation::new(
                field,
                format!(
                    "{v} is not a score of {}: {lo} to {hi} in steps of {}",
                    test.label(),
                    table.step
                ),
            ));
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    let not_accepted = table
        .accepted_from
        .filter(|from| test_date.is_some_and(|d| d < *from))
        .map(NeverCounts::NotAcceptedBefore);
    let (levels, never_counts) = match table.levels_for(test_date) {
        Ok(rows) => (
            AbilityLevels {
                reading: level_of(rows, 0, scores.reading),
                writing: level_of(rows, 1, scores.writing),
                listening: level_of(rows, 2, scores.listening),
                speaking: level_of(rows, 3, scores.speaking),
            },
            not_accepted,
        ),
        // No table to read the scores with: no level, and the result never counts.
        Err(first) => (
            AbilityLevels::default(),
            Some(NeverCounts::NoTableBefore(first)),
        ),
    };
    Ok(LanguageResult {
        test,
        language: table.language,
        levels,
        test_date,
        valid_until,
        never_counts,
    })
}

/// Levels given directly as CLB (English) or NCLC (French).
fn direct_levels(
    test: LanguageTest,
    named: [(&str, f64); 4],
    test_date: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
) -> Result<LanguageResult, Vec<FieldViolation>> {
    let max = f64::from(MAX_CLB);
    let violations: Vec<FieldViolation> = named
        .iter()
        .filter(|(_, v)| !(0.0..=max).contains(v) || v.fract() != 0.0)
        .map(|(field, v)| {
            FieldViolation::new(*field, format!("{v} is not a level from 0 to {MAX_CLB}"))
        })
        .collect();
    if !violations.is_empty() {
        return Err(violations);
    }
    let [r, w, l, s] = named.map(|(_, v)| v as u8);
    Ok(LanguageResult {
        test,
        language: if test == LanguageTest::Nclc {
            Language::French
        } else {
            Language::English
        },
        levels: AbilityLevels {
            reading: r,
            writing: w,
            listening: l,
            speaking: s,
        },
        test_date,
        valid_until,
        never_counts: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> LanguageRules {
        LanguageRules::from_json(include_str!("../../data/language-tests.json"))
            .expect("valid tables")
    }

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
            &rules(),
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
            &rules(),
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
            &rules(),
        )
        .expect_err("off scale");
        let fields: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["scores.reading", "scores.writing"]);
        assert_eq!(
            err[0].description,
            "7.25 is not a score of IELTS General Training: 0 to 9 in steps of 0.5"
        );
        assert!(
            convert(
                LanguageTest::Clb,
                Scores {
                    reading: 13.0,
                    ..Scores::default()
                },
                None,
                &rules(),
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
                None,
                &rules(),
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
            &rules(),
        )
        .expect("valid");
        assert!(r.valid_on(d("2024-03-01")));
        assert!(!r.valid_on(d("2024-03-02")));
        assert!(!r.valid_on(d("2022-02-28")), "not before the test");
        assert_eq!(r.valid_until, Some(d("2024-03-01")));
        assert_eq!(rules().validity_text(), "tests are valid for two years");
    }

    #[test]
    fn older_tables_apply_before_their_date() {
        let tef = |date: &str| {
            convert(
                LanguageTest::TefCanada,
                Scores {
                    reading: 450.0,
                    writing: 450.0,
                    listening: 450.0,
                    speaking: 450.0,
                },
                Some(date.parse().expect("date")),
                &rules(),
            )
            .expect("valid")
            .levels
            .all()
        };
        assert_eq!(tef("2023-12-09"), [7, 7, 7, 7], "the older table");
        assert_eq!(
            tef("2023-12-10"),
            [7, 7, 7, 7],
            "a test taken on 2023-12-10 still uses the older table"
        );
        assert_eq!(
            tef("2023-12-11"),
            [7, 7, 7, 6],
            "the current table for tests after 2023-12-10"
        );
    }
}
