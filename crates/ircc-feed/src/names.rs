//! IRCC's round labels and program lists, normalised to round types (`data/round-names.json`).

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::NaiveDate;
use ee_domain::{Catalog, CategoryId, CategoryRef, Program, Selection};
use regex::Regex;
use serde::Deserialize;

#[derive(Deserialize)]
struct NamesFile {
    general: Vec<String>,
    programs: HashMap<String, Vec<String>>,
    categories: HashMap<String, Vec<String>>,
}

#[derive(Debug, Clone)]
enum Target {
    General,
    Program(Program),
    Category(CategoryId),
}

/// The table from labels to round types.
#[derive(Debug, Clone)]
pub struct RoundNames {
    labels: HashMap<String, Target>,
}

/// How a label gives its version.
enum VersionLabel {
    None,
    /// "(Version 2)", ", 2026-Version 3"
    Explicit(u32),
    /// "(2023-1)": the version in force on the round's date.
    Dated,
}

static VERSION_SUFFIXES: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    let re = |p: &str| Regex::new(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    [
        re(r"(?i)^(?P<base>.*?)\s*\(\s*version\s*(?P<v>\d+)\s*\)\s*$"),
        re(r"(?i)^(?P<base>.*?)[\s,]*\b\d{4}\s*-\s*version\s*(?P<v>\d+)\s*$"),
        re(r"(?i)^(?P<base>.*?)\s*\(\s*\d{4}\s*-\s*\d+\s*\)\s*$"),
    ]
});

static BUILTIN: LazyLock<RoundNames> = LazyLock::new(|| {
    RoundNames::from_json(include_str!("../data/round-names.json"))
        .unwrap_or_else(|e| panic!("the built-in data/round-names.json is invalid: {e}"))
});

fn normalise(label: &str) -> String {
    label
        .to_lowercase()
        .replace(['-', '\u{2013}', '\u{2014}'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl RoundNames {
    pub fn builtin() -> &'static RoundNames {
        &BUILTIN
    }

    pub fn from_json(json: &str) -> Result<Self, String> {
        let file: NamesFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut labels = HashMap::new();
        for l in &file.general {
            labels.insert(normalise(l), Target::General);
        }
        for (code, ls) in &file.programs {
            let p = Program::from_code(code).ok_or_else(|| format!("unknown program {code}"))?;
            for l in ls {
                labels.insert(normalise(l), Target::Program(p));
            }
        }
        for (id, ls) in &file.categories {
            let id = CategoryId::parse(id)?;
            for l in ls {
                labels.insert(normalise(l), Target::Category(id.clone()));
            }
        }
        Ok(Self { labels })
    }

    /// The category ids the table can produce.
    pub fn category_ids(&self) -> impl Iterator<Item = &CategoryId> {
        self.labels.values().filter_map(|t| match t {
            Target::Category(id) => Some(id),
            _ => None,
        })
    }

    /// The round type of a label (`drawName`) for a round held on `date`.
    pub fn selection(
        &self,
        label: &str,
        date: NaiveDate,
        catalog: &Catalog,
    ) -> Result<Selection, String> {
        let (base, version) = VERSION_SUFFIXES
            .iter()
            .enumerate()
            .find_map(|(i, re)| {
                re.captures(label).map(|c| {
                    let v = match (i, c.name("v")) {
                        (_, Some(v)) => v
                            .as_str()
                            .parse()
                            .map_or(VersionLabel::None, VersionLabel::Explicit),
                        _ => VersionLabel::Dated,
                    };
                    (c["base"].to_owned(), v)
                })
            })
            .unwrap_or((label.to_owned(), VersionLabel::None));
        let target = self
            .labels
            .get(&normalise(&base))
            .ok_or_else(|| format!("{label:?} is not a known round type"))?;
        match (target, version) {
            (Target::General, VersionLabel::None) => Ok(Selection::General),
            (Target::Program(p), VersionLabel::None) => Ok(Selection::Program(*p)),
            (Target::Category(id), VersionLabel::Explicit(v)) => match catalog.get(id, v) {
                Some(_) => Ok(Selection::Category(CategoryRef {
                    id: id.clone(),
                    version: v,
                })),
                None => Err(format!(
                    "{label:?}: the catalogue has no version {v} of {id}"
                )),
            },
            (Target::Category(id), VersionLabel::Dated | VersionLabel::None) => catalog
                .in_force(id, date)
                .map(|cv| {
                    Selection::Category(CategoryRef {
                        id: id.clone(),
                        version: cv.version,
                    })
                })
                .ok_or_else(|| format!("{label:?}: no version of {id} was in force on {date}")),
            _ => Err(format!("{label:?}: only category rounds have versions")),
        }
    }

    /// The programs of a list such as "Federal Skilled Worker, Canadian Experience Class and Federal Skilled Trades".
    pub fn programs(&self, text: &str) -> Result<Vec<Program>, String> {
        let mut out = Vec::new();
        for part in text.split(',').flat_map(|p| p.split(" and ")) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            match self.labels.get(&normalise(part)) {
                Some(Target::Program(p)) => out.push(*p),
                _ => return Err(format!("{part:?} in {text:?} is not a known program")),
            }
        }
        if out.is_empty() {
            return Err(format!("{text:?} names no program"));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(label: &str, date: &str) -> Result<Selection, String> {
        RoundNames::builtin().selection(label, date.parse().expect("date"), Catalog::builtin())
    }

    fn cat(id: &str, version: u32) -> Selection {
        Selection::Category(CategoryRef {
            id: CategoryId::parse(id).expect("id"),
            version,
        })
    }

    #[test]
    fn every_label_style_normalises() {
        for (label, date, want) in [
            (
                "Healthcare occupations (2023-1)",
                "2023-06-28",
                cat("healthcare", 1),
            ),
            (
                "Healthcare occupations (Version 1)",
                "2023-06-28",
                cat("healthcare", 1),
            ),
            (
                "Healthcare and social services occupations (Version 2)",
                "2025-05-02",
                cat("healthcare", 2),
            ),
            (
                "Healthcare and Social Services Occupations, 2026-Version 3",
                "2026-02-20",
                cat("healthcare", 3),
            ),
            (
                "French-Language proficiency 2026-Version 2",
                "2026-02-06",
                cat("french", 2),
            ),
            (
                "French language proficiency (2024-1)",
                "2024-02-01",
                cat("french", 1),
            ),
            (
                "Transport occupations (2024-1)",
                "2024-03-13",
                cat("transport", 1),
            ),
            (
                "Trades Occupations, 2026-Version 3",
                "2026-04-02",
                cat("trade", 3),
            ),
            (
                "Senior managers with Canadian Work Experience, 2026-Version 1",
                "2026-03-05",
                cat("senior_managers", 1),
            ),
            (
                "Skilled Military Recruits, 2026-Version 1",
                "2026-07-23",
                cat("military_recruits", 1),
            ),
            (
                "Physicians with Canadian Work Experience, 2026-Version 1",
                "2026-02-19",
                cat("physicians", 1),
            ),
            ("No Program Specified", "2015-01-31", Selection::General),
            ("General", "2024-01-01", Selection::General),
            (
                "Provincial Nominee Program",
                "2024-01-01",
                Selection::Program(Program::Pnp),
            ),
            (
                "Federal Skilled Trades",
                "2024-01-01",
                Selection::Program(Program::Fst),
            ),
        ] {
            assert_eq!(sel(label, date), Ok(want), "{label}");
        }
    }

    #[test]
    fn unknown_labels_and_versions_are_errors() {
        assert!(sel("Plumbing occupations (Version 1)", "2024-01-01").is_err());
        assert!(sel("STEM occupations (Version 9)", "2024-01-01").is_err());
        assert!(sel("General (Version 1)", "2024-01-01").is_err());
        assert!(sel("Transport occupations (2025-1)", "2025-06-01").is_err());
    }

    #[test]
    fn program_lists() {
        let n = RoundNames::builtin();
        assert_eq!(
            n.programs("Federal Skilled Worker, Canadian Experience Class, Federal Skilled Trades and Provincial Nominee Program"),
            Ok(vec![Program::Cec, Program::Pnp, Program::Fsw, Program::Fst])
        );
        assert_eq!(
            n.programs("Federal Skilled Worker Program, Canadian Experience Class and Federal Skilled Trades Program"),
            Ok(vec![Program::Cec, Program::Fsw, Program::Fst])
        );
        assert!(n.programs("Federal Skilled Astronaut Program").is_err());
    }

    #[test]
    fn every_category_in_the_table_is_in_the_catalogue() {
        for id in RoundNames::builtin().category_ids() {
            assert!(Catalog::builtin().contains(id), "{id}");
        }
    }
}
