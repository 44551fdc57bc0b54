//! The rule data the server runs on: the data shipped in the binary, or the files of `--rules-dir` (a change by IRCC
//! is a data change: drop the corrected file in the directory and restart). Every file is read and checked at start;
//! a mistake stops the server with the file, the path in it and what is wrong.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use ee_domain::rules::{RuleSources, Rules};
use ee_ircc_feed::{BUILTIN_ROUND_NAMES, RoundNames};

/// The rules and the table of IRCC's round labels, checked against each other.
pub struct RuleData {
    pub rules: Arc<Rules>,
    pub round_names: Arc<RoundNames>,
}

/// The file names in a rules directory; a file missing from it is taken from the shipped data.
pub const RULE_FILES: [&str; 5] = [
    "categories.json",
    "crs.json",
    "programs.json",
    "language-tests.json",
    "round-names.json",
];

pub fn load(dir: Option<&Path>) -> anyhow::Result<RuleData> {
    let builtin = RuleSources::builtin();
    let present = match dir {
        Some(dir) => files_in(dir)?,
        None => Vec::new(),
    };
    let read = |name: &str, shipped: &'static str| -> anyhow::Result<String> {
        match dir.filter(|_| present.iter().any(|p| p == name)) {
            Some(dir) => {
                let path = dir.join(name);
                std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read the rule file {}", path.display()))
            }
            None => Ok(shipped.to_owned()),
        }
    };
    let categories = read(RULE_FILES[0], builtin.categories)?;
    let crs = read(RULE_FILES[1], builtin.crs)?;
    let programs = read(RULE_FILES[2], builtin.programs)?;
    let language_tests = read(RULE_FILES[3], builtin.language_tests)?;
    let round_names = read(RULE_FILES[4], BUILTIN_ROUND_NAMES)?;
    let where_from = dir.map_or_else(
        || "the shipped rule data".to_owned(),
        |d| format!("the rule data in {}", d.display()),
    );
    let rules = Rules::load(&RuleSources {
        categories: &categories,
        crs: &crs,
        programs: &programs,
        language_tests: &language_tests,
    })
    .with_context(|| format!("{where_from} is invalid"))?;
    let round_names = RoundNames::from_json(&round_names, &rules.catalog)
        .map_err(|e| anyhow::anyhow!("round-names.json: {e}"))
        .with_context(|| format!("{where_from} is invalid"))?;
    match dir {
        None => tracing::info!("rule data: the shipped files"),
        Some(d) => tracing::info!(
            dir = %d.display(),
            from_dir = %present.join(", "),
            "rule data: the files of the rules directory, the shipped ones for the others"
        ),
    }
    Ok(RuleData {
        rules: Arc::new(rules),
        round_names: Arc::new(round_names),
    })
}

/// The rule files a rules directory holds. A directory that cannot be read, or that holds a file that is not a
/// rule file (a misspelt name would otherwise be ignored), is an error.
fn files_in(dir: &Path) -> anyhow::Result<Vec<String>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("the rules directory {} cannot be read", dir.display()))?;
    let mut present = Vec::new();
    for entry in entries {
        let entry = entry
            .with_context(|| format!("the rules directory {} cannot be read", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if !RULE_FILES.contains(&name.as_str()) {
            anyhow::bail!(
                "the rules directory {} holds {name:?}, which is not a rule file; rule files are {}",
                dir.display(),
                RULE_FILES.join(", ")
            );
        }
        present.push(name);
    }
    present.sort();
    Ok(present)
}
