//! IRCC's round labels and program lists, normalised to round types (`data/round-names.json`).

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use ee_domain::{Catalog, CategoryId, CategoryRef, Program, Selection};
use regex::Regex;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NamesFile {
    #[serde(rename = "_comment", default)]
    _comment: String,
    general: Vec<String>,
    #[serde(deserialize_with = "unique_keys")]
    programs: Vec<(String, Vec<String>)>,
    #[serde(deserialize_with = "unique_keys")]
    categories: Vec<(String, Vec<String>)>,
}

/// A JSON object as its entries, refusing a key given twice (JSON readers keep the last silently).
fn unique_keys<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<(String, Vec<String>)>, D::Error> {
    struct Entries;
    impl<'de> serde::de::Visitor<'de> for Entries {
        type Value = Vec<(String, Vec<String>)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of lists of labels")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out: Vec<(String, Vec<String>)> = Vec::new();
            while let Some((key, labels)) = map.next_entry::<String, Vec<String>>()? {
                if out.iter().any(|(k, _)| *k == key) {
                    return Err(serde::de::Error::custom(format!("{key:?} is given twice")));
                }
                out.push((key, labels));
            }
            Ok(out)
        }
    }
    d.deserialize_map(Entries)
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VersionLabel {
    None,
    /// "(Version 2)", ", 2026-Version 3"
    Explicit(u32),
    /// "(2023-1)": the version in force on the round's date; the number is the year's list.
    Dated(u32),
}

impl VersionLabel {
    fn number(self) -> Option<u32> {
        match self {
            VersionLabel::None => None,
            VersionLabel::Explicit(n) | VersionLabel::Dated(n) => Some(n),
        }
    }
}

static VERSION_SUFFIXES: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    let re = |p: &str| Regex::new(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    [
        re(r"(?i)^(?P<base>.*?)\s*\(\s*version\s*(?P<v>[0-9]{1,3})\s*\)\s*$"),
        re(
            r"(?i)^(?P<base>.*?)[\s,]*\b[0-9]{4}\s*[-\u{2010}-\u{2015}]\s*version\s*(?P<v>[0-9]{1,3})\s*$",
        ),
        re(
            r"(?i)^(?P<base>.*?)\s*\(\s*(?P<year>[0-9]{4})\s*[-\u{2010}-\u{2015}]\s*(?P<dated>[0-9]{1,3})\s*\)\s*$",
        ),
    ]
});

/// A parenthesised aside in a program list, such as an abbreviation.
static PARENTHESES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\([^)]*\)").unwrap_or_else(|e| panic!("parentheses pattern: {e}"))
});

/// What separates the programs of a list: commas, semicolons, slashes, "&" and "and".
static PROGRAM_LIST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s*(?:[,;&/]|\band\b)\s*")
        .unwrap_or_else(|e| panic!("program list pattern: {e}"))
});

/// The round type a label reads as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledType {
    pub selection: Selection,
    /// The catalogue does not know this round type (see `ee_domain::RoundType::uncatalogued`).
    pub uncatalogued: bool,
}

impl LabelledType {
    fn known(selection: Selection) -> Self {
        Self {
            selection,
            uncatalogued: false,
        }
    }

    fn unknown(selection: Selection) -> Self {
        Self {
            selection,
            uncatalogued: true,
        }
    }
}

/// The stable id of a category the catalogue does not know, from its label: the lower-case words joined by hyphens,
/// without the version suffix (`"Skilled Crafts Occupations, 2027-Version 1"` is `skilled-crafts-occupations`).
/// `None` when the label has no letter or digit.
/// An id the catalogue already has gets `-uncatalogued` after it, so that the two are never mixed.
pub fn derived_category_id(base_label: &str, catalog: &Catalog) -> Option<CategoryId> {
    const MAX: usize = 50;
    let mut id = String::new();
    for word in base_label
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let separator = usize::from(!id.is_empty());
        if id.len() + separator + word.len() > MAX {
            if id.is_empty() {
                id.push_str(&word[..MAX]);
            }
            break;
        }
        if separator == 1 {
            id.push('-');
        }
        id.push_str(word);
    }
    let id = CategoryId::parse(&id).ok()?;
    if catalog.contains(&id) {
        CategoryId::parse(&format!("{id}-uncatalogued")).ok()
    } else {
        Some(id)
    }
}

/// Whether a label the table does not know reads as a category: it names occupations, or carries a version.
fn reads_as_category(base: &str, version: VersionLabel) -> bool {
    version != VersionLabel::None || normalise(base).split(' ').any(|w| w == "occupations")
}

/// The label without its version suffix, and the version the suffix gives.
/// The year of a dated suffix ("(2023-1)" is 2023).
fn dated_year(label: &str) -> Option<i32> {
    VERSION_SUFFIXES[2]
        .captures(label)
        .and_then(|c| c.name("year"))
        .and_then(|y| y.as_str().parse().ok())
}

/// A version 0 or over 999 is no version a person would read: the suffix then stays part of the label.
fn split_version(label: &str) -> (String, VersionLabel) {
    VERSION_SUFFIXES
        .iter()
        .find_map(|re| {
            let c = re.captures(label)?;
            let number = |g: &str| c.name(g).and_then(|v| v.as_str().parse::<u32>().ok());
            let version = match (number("v"), number("dated")) {
                (Some(v), _) if v > 0 => VersionLabel::Explicit(v),
                (_, Some(n)) if n > 0 => VersionLabel::Dated(n),
                _ => return None,
            };
            Some((c["base"].to_owned(), version))
        })
        .unwrap_or((label.to_owned(), VersionLabel::None))
}

/// A label as compared: lower case, its words only (punctuation and dashes are spaces, zero-width characters
/// nothing).
fn normalise(label: &str) -> String {
    label
        .to_lowercase()
        .replace(['\u{200b}', '\u{200c}', '\u{200d}', '\u{feff}'], "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A label as stored: control characters removed and runs of white space made one space.
pub fn clean_label(label: &str) -> String {
    label
        .replace(
            |c: char| {
                c.is_control() || matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}')
            },
            " ",
        )
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The table shipped with this build.
pub const BUILTIN_ROUND_NAMES: &str = include_str!("../data/round-names.json");

impl RoundNames {
    /// The table shipped with this build (`data/round-names.json`), checked against the catalogue.
    pub fn builtin(catalog: &Catalog) -> Result<Self, String> {
        Self::from_json(BUILTIN_ROUND_NAMES, catalog).map_err(|e| format!("round-names.json: {e}"))
    }

    /// Reads a table: unknown keys, unknown programs and categories the catalogue does not have are errors.
    pub fn from_json(json: &str, catalog: &Catalog) -> Result<Self, String> {
        let file: NamesFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut labels = HashMap::new();
        let mut add = |path: String, label: &str, target: Target| {
            if split_version(label).1 != VersionLabel::None {
                return Err(format!(
                    "{path}: the label {label:?} carries a version; list labels without it (versions are read \
                     from the round's label)"
                ));
            }
            match labels.insert(normalise(label), target) {
                Some(_) => Err(format!("{path}: the label {label:?} is listed twice")),
                None => Ok(()),
            }
        };
        for l in &file.general {
            add("general".into(), l, Target::General)?;
        }
        for (code, ls) in &file.programs {
            let p = Program::from_code(code)
                .ok_or_else(|| format!("programs.{code}: unknown program"))?;
            for l in ls {
                add(format!("programs.{code}"), l, Target::Program(p))?;
            }
        }
        for (id, ls) in &file.categories {
            let id = CategoryId::parse(id).map_err(|e| format!("categories.{id}: {e}"))?;
            if !catalog.contains(&id) {
                return Err(format!(
                    "categories.{id}: the catalogue has no such category"
                ));
            }
            for l in ls {
                add(format!("categories.{id}"), l, Target::Category(id.clone()))?;
            }
        }
        Ok(Self { labels })
    }

    /// The round type of a label (`drawName`) for a round held on `date`. Never fails: a label the table or the
    /// catalogue does not know is an uncatalogued round type, a category (with an id derived from the label) when it
    /// reads as one, else General.
    pub fn round_type(&self, label: &str, date: NaiveDate, catalog: &Catalog) -> LabelledType {
        let (base, version) = split_version(label);
        // "(2023-1)" is a list of 2023: a year far from the round's is not a version a person would read.
        let (base, version) = match (version, dated_year(label)) {
            (VersionLabel::Dated(_), Some(y)) if (y - date.year()).abs() > 1 => {
                (label.to_owned(), VersionLabel::None)
            }
            other => (base, other.0),
        };
        let derived = || match derived_category_id(&base, catalog) {
            Some(id) if reads_as_category(&base, version) => {
                LabelledType::unknown(Selection::Category(CategoryRef {
                    id,
                    version: version.number().unwrap_or(1),
                }))
            }
            _ => LabelledType::unknown(Selection::General),
        };
        let Some(target) = self.labels.get(&normalise(&base)) else {
            return derived();
        };
        match (target, version) {
            (Target::General, VersionLabel::None) => LabelledType::known(Selection::General),
            (Target::Program(p), VersionLabel::None) => LabelledType::known(Selection::Program(*p)),
            (Target::Category(id), VersionLabel::Explicit(v)) => {
                let selection = Selection::Category(CategoryRef {
                    id: id.clone(),
                    version: v,
                });
                if catalog.get(id, v).is_some() {
                    LabelledType::known(selection)
                } else {
                    LabelledType::unknown(selection)
                }
            }
            (Target::Category(id), VersionLabel::Dated(_) | VersionLabel::None) => {
                match catalog.in_force(id, date) {
                    Some(cv) => LabelledType::known(Selection::Category(CategoryRef {
                        id: id.clone(),
                        version: cv.version,
                    })),
                    // A list IRCC introduced after the release: most likely the next version, and never one the
                    // catalogue already has (filters by version must not mix them).
                    None => LabelledType::unknown(Selection::Category(CategoryRef {
                        id: id.clone(),
                        version: catalog
                            .versions(id)
                            .iter()
                            .map(|v| v.version)
                            .max()
                            .unwrap_or(0)
                            + 1,
                    })),
                }
            }
            // A version on a general or program label: not a round type this table knows.
            _ => derived(),
        }
    }

    /// The programs of a list such as "Federal Skilled Worker, Canadian Experience Class and Federal Skilled
    /// Trades", sorted, and the parts that name no program this table knows (IRCC may add one).
    pub fn programs(&self, text: &str) -> (Vec<Program>, Vec<String>) {
        let mut out = Vec::new();
        let mut unknown = Vec::new();
        for part in PROGRAM_LIST.split(text) {
            // "Federal Skilled Worker Program (FSWP)", "the Canadian Experience Class": the name is what counts.
            let part = PARENTHESES.replace_all(part, " ");
            let part = part.trim();
            let part = part
                .strip_prefix("the ")
                .or_else(|| part.strip_prefix("The "))
                .unwrap_or(part)
                .trim();
            if part.is_empty() {
                continue;
            }
            match self.labels.get(&normalise(part)) {
                Some(Target::Program(p)) => out.push(*p),
                _ => unknown.push(part.to_owned()),
            }
        }
        out.sort();
        out.dedup();
        if out.is_empty() && unknown.is_empty() && !text.trim().is_empty() {
            unknown.push(text.trim().to_owned());
        }
        (out, unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        ee_domain::rules::Rules::builtin()
            .expect("the built-in rules")
            .catalog
    }

    fn labelled(label: &str, date: &str) -> LabelledType {
        let c = catalog();
        RoundNames::builtin(&c)
            .expect("table")
            .round_type(label, date.parse().expect("date"), &c)
    }

    fn sel(label: &str, date: &str) -> Result<Selection, String> {
        let t = labelled(label, date);
        if t.uncatalogued {
            Err(format!("{label:?} is uncatalogued: {:?}", t.selection))
        } else {
            Ok(t.selection)
        }
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
            (
                "Healthcare and Social Services Occupations, 2026\u{2013}Version 3",
                "2026-02-20",
                cat("healthcare", 3),
            ),
            (
                "Healthcare occupations.",
                "2023-06-28",
                cat("healthcare", 1),
            ),
            (
                "Health\u{200b}care occupations (2023-1)",
                "2023-06-28",
                cat("healthcare", 1),
            ),
        ] {
            assert_eq!(sel(label, date), Ok(want), "{label}");
        }
    }

    #[test]
    fn unknown_labels_and_versions_are_uncatalogued_types() {
        for (label, date, want) in [
            (
                "Plumbing occupations (Version 1)",
                "2024-01-01",
                cat("plumbing-occupations", 1),
            ),
            (
                "Skilled Crafts Occupations, 2027-Version 2",
                "2027-03-01",
                cat("skilled-crafts-occupations", 2),
            ),
            (
                "Plumbing and Heating Occupations (2027-1)",
                "2027-03-01",
                cat("plumbing-and-heating-occupations", 1),
            ),
            (
                "Arctic occupations",
                "2027-03-01",
                cat("arctic-occupations", 1),
            ),
            ("STEM occupations (Version 9)", "2024-01-01", cat("stem", 9)),
            (
                "Transport occupations (2025-1)",
                "2025-06-01",
                cat("transport", 3),
            ),
            ("General (Version 1)", "2024-01-01", cat("general", 1)),
            ("Astronaut Invitations", "2027-03-01", Selection::General),
            (
                "Healthcare occupations (Version 0)",
                "2026-03-01",
                cat("healthcare-occupations-version-0", 1),
            ),
            (
                "Healthcare occupations (Version 99999999999)",
                "2026-03-01",
                cat("healthcare-occupations-version-99999999999", 1),
            ),
            (
                "Healthcare (Version 1)",
                "2026-03-01",
                cat("healthcare-uncatalogued", 1),
            ),
            ("", "2027-03-01", Selection::General),
        ] {
            let t = labelled(label, date);
            assert!(t.uncatalogued, "{label}");
            assert_eq!(t.selection, want, "{label}");
        }
    }

    #[test]
    fn derived_ids_are_stable_words_joined_by_hyphens() {
        let c = catalog();
        let id = |s: &str| derived_category_id(s, &c).map(|i| i.to_string());
        assert_eq!(
            id("Skilled Crafts Occupations"),
            Some("skilled-crafts-occupations".into())
        );
        assert_eq!(
            id("  Skilled   crafts — Occupations "),
            Some("skilled-crafts-occupations".into())
        );
        assert_eq!(id("!!!"), None);
        let long = "word ".repeat(40);
        assert!(id(&long).is_some_and(|i| i.len() <= 50));
        assert_eq!(
            id(&"x".repeat(80)).map(|i| i.len()),
            Some(50),
            "a long first word is cut"
        );
        assert_eq!(
            id("Healthcare"),
            Some("healthcare-uncatalogued".into()),
            "never a catalogue id"
        );
    }

    #[test]
    fn program_lists() {
        let c = catalog();
        let n = RoundNames::builtin(&c).expect("table");
        assert_eq!(
            n.programs("Federal Skilled Worker, Canadian Experience Class, Federal Skilled Trades and Provincial Nominee Program"),
            (vec![Program::Cec, Program::Pnp, Program::Fsw, Program::Fst], vec![])
        );
        assert_eq!(
            n.programs("Federal Skilled Worker Program, Canadian Experience Class and Federal Skilled Trades Program"),
            (vec![Program::Cec, Program::Fsw, Program::Fst], vec![])
        );
        assert_eq!(
            n.programs("CEC, PNP & Federal Skilled Trades AND FSW"),
            (
                vec![Program::Cec, Program::Pnp, Program::Fsw, Program::Fst],
                vec![]
            )
        );
        assert_eq!(
            n.programs(
                "Federal Skilled Worker Program (FSWP), the Canadian Experience Class (CEC) / FSTP"
            ),
            (vec![Program::Cec, Program::Fsw, Program::Fst], vec![])
        );
        assert_eq!(n.programs(", and ;"), (vec![], vec![", and ;".to_owned()]));
        assert_eq!(
            n.programs("Canadian Experience Class and Federal Skilled Astronaut Program"),
            (
                vec![Program::Cec],
                vec!["Federal Skilled Astronaut Program".to_owned()]
            )
        );
    }

    #[test]
    fn a_table_naming_a_category_the_catalogue_lacks_is_refused() {
        let c = catalog();
        let json = r#"{"general": [], "programs": {}, "categories": {"plumbing": ["Plumbing"]}}"#;
        let err = RoundNames::from_json(json, &c).expect_err("unknown category");
        assert!(err.contains("categories.plumbing"), "{err}");
        let json = r#"{"general": [], "programs": {}, "categories": {}, "labels": []}"#;
        assert!(RoundNames::from_json(json, &c).is_err(), "unknown key");
        let json = r#"{"general": [], "programs": {}, "categories": {"healthcare": ["Care"], "stem": ["care"]}}"#;
        let err = RoundNames::from_json(json, &c).expect_err("one label, two categories");
        assert!(err.contains("listed twice"), "{err}");
        let json = r#"{"general": [], "programs": {}, "categories": {"transport": ["A"], "transport": ["B"]}}"#;
        let err = RoundNames::from_json(json, &c).expect_err("a key given twice");
        assert!(err.contains("given twice"), "{err}");
        let json = r#"{"general": [], "programs": {}, "categories": {"healthcare": ["Healthcare occupations (Version 2)"]}}"#;
        let err = RoundNames::from_json(json, &c).expect_err("a label with a version");
        assert!(err.contains("carries a version"), "{err}");
    }
}
