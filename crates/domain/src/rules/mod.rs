//! Every rule table of this release, read and checked by one loader: the category catalogue, the CRS grid, the
//! program minimums and the language-test tables (`data/*.json`).
//!
//! A rule file that does not load names itself and the path of the bad value (`crs.json: age.with_spouse: ...`).
//! Keys starting with `_` (`"_comment"`, `"_index"`) document the data and are skipped; any other key the types do
//! not declare is an error, so a renamed key cannot silently score 0. Tables whose length the rules fix are
//! fixed-size arrays, so a short table fails to load instead of failing a request.

pub mod categories;
pub mod crs;
pub mod language;
pub mod programs;
pub mod toolkit;

use categories::Catalog;
use crs::CrsRules;
use language::LanguageRules;
use programs::ProgramRules;
pub use toolkit::RulesError;

/// The text of the four rule files.
#[derive(Debug, Clone, Copy)]
pub struct RuleSources<'a> {
    pub categories: &'a str,
    pub crs: &'a str,
    pub programs: &'a str,
    pub language_tests: &'a str,
}

impl RuleSources<'static> {
    /// The rule files shipped with this build (`crates/domain/data/`).
    pub fn builtin() -> Self {
        Self {
            categories: include_str!("../../data/categories.json"),
            crs: include_str!("../../data/crs.json"),
            programs: include_str!("../../data/programs.json"),
            language_tests: include_str!("../../data/language-tests.json"),
        }
    }
}

/// Every rule this release knows, checked. Load it once at start and pass it to the rules that need it.
#[derive(Debug, Clone)]
pub struct Rules {
    pub catalog: Catalog,
    pub crs: CrsRules,
    pub programs: ProgramRules,
    pub language: LanguageRules,
}

impl Rules {
    /// Reads and checks the four rule files; the first problem found is the error.
    pub fn load(sources: &RuleSources<'_>) -> Result<Self, RulesError> {
        Ok(Self {
            catalog: Catalog::from_json(sources.categories)?,
            crs: CrsRules::from_json(sources.crs)?,
            programs: ProgramRules::from_json(sources.programs)?,
            language: LanguageRules::from_json(sources.language_tests)?,
        })
    }

    /// The rules shipped with this build.
    pub fn builtin() -> Result<Self, RulesError> {
        Self::load(&RuleSources::builtin())
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn the_builtin_rules_load() {
        let rules = Rules::builtin().expect("the built-in rules are valid");
        assert!(rules.catalog.all().count() >= 19);
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        assert_eq!(
            rules
                .crs
                .additional_rules_on(d("2025-03-25"))
                .effective_from,
            d("2025-03-25")
        );
        assert_eq!(
            rules
                .crs
                .additional_rules_on(d("2010-01-01"))
                .effective_from,
            d("2015-01-01"),
            "before the first rule set, the first"
        );
        assert_eq!(rules.programs.full_time().hours_per_year, 1560.0);
    }
}
