//! Broken copies of each rule file fail to load, naming the file and the path of the bad value.

use ee_domain::{RuleSources, Rules, RulesError};
use serde_json::Value;

/// The four built-in files, with `file` replaced by the built-in one after `edit`.
fn load_with(file: &str, edit: impl FnOnce(&mut Value)) -> Result<Rules, RulesError> {
    let builtin = RuleSources::builtin();
    let text = match file {
        "categories.json" => builtin.categories,
        "crs.json" => builtin.crs,
        "programs.json" => builtin.programs,
        "language-tests.json" => builtin.language_tests,
        other => panic!("no rule file {other}"),
    };
    let mut value: Value = serde_json::from_str(text).expect("built-in JSON");
    edit(&mut value);
    let edited = value.to_string();
    let mut sources = builtin;
    match file {
        "categories.json" => sources.categories = &edited,
        "crs.json" => sources.crs = &edited,
        "programs.json" => sources.programs = &edited,
        _ => sources.language_tests = &edited,
    }
    Rules::load(&sources)
}

/// Loads `file` after `edit` and checks that the error names `file` and `path` and says `message`.
#[track_caller]
fn assert_broken(file: &str, path: &str, message: &str, edit: impl FnOnce(&mut Value)) {
    let err = load_with(file, edit).expect_err("a broken file must not load");
    assert_eq!(
        (err.file.as_str(), err.path.as_str()),
        (file, path),
        "{err}"
    );
    assert!(err.message.contains(message), "{err}");
    assert!(
        err.to_string().starts_with(&format!("{file}: {path}: ")),
        "{err}"
    );
}

fn at<'v>(value: &'v mut Value, pointer: &str) -> &'v mut Value {
    value
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer} in the built-in file"))
}

fn remove(value: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let removed = at(value, parent)
        .as_object_mut()
        .and_then(|o| o.remove(key));
    assert!(removed.is_some(), "{pointer}");
}

fn pop(value: &mut Value, pointer: &str) {
    let popped = at(value, pointer).as_array_mut().and_then(Vec::pop);
    assert!(popped.is_some(), "{pointer}");
}

fn insert(value: &mut Value, pointer: &str, key: &str, new: Value) {
    at(value, pointer)
        .as_object_mut()
        .expect("an object")
        .insert(key.to_owned(), new);
}

#[test]
fn the_builtin_files_load() {
    Rules::builtin().expect("the built-in rules are valid");
    load_with("crs.json", |_| {}).expect("a copy loads as the original");
}

#[test]
fn documentation_keys_are_allowed_anywhere() {
    load_with("crs.json", |v| {
        insert(v, "/spouse", "_why", "any documentation".into());
        insert(v, "/additional_rules/0", "_source", "a page".into());
    })
    .expect("keys starting with _ are documentation");
}

#[test]
fn a_missing_table_is_named() {
    assert_broken("crs.json", "age", "missing field", |v| remove(v, "/age"));
    assert_broken("crs.json", "spouse.cap", "missing field", |v| {
        remove(v, "/spouse/cap")
    });
    assert_broken("programs.json", "full_time", "missing field", |v| {
        remove(v, "/full_time")
    });
    assert_broken("programs.json", "fswp.continuous", "missing field", |v| {
        remove(v, "/fswp/continuous")
    });
    assert_broken(
        "language-tests.json",
        "tests.PTE_CORE",
        "missing field",
        |v| remove(v, "/tests/PTE_CORE"),
    );
    assert_broken(
        "categories.json",
        "experience_rules",
        "missing field",
        |v| remove(v, "/experience_rules"),
    );
    assert_broken(
        "categories.json",
        "categories[3].requirement",
        "missing field",
        |v| remove(v, "/categories/3/requirement"),
    );
}

#[test]
fn an_unknown_or_renamed_key_is_named() {
    assert_broken(
        "crs.json",
        "additional_rules[1].provincial_nominee",
        "unknown field",
        |v| {
            let rule = at(v, "/additional_rules/1")
                .as_object_mut()
                .expect("object");
            let points = rule.remove("provincial_nomination").expect("key");
            rule.insert("provincial_nominee".into(), points);
        },
    );
    assert_broken(
        "programs.json",
        "fswp.grid.adaptability.sibling",
        "unknown field",
        |v| insert(v, "/fswp/grid/adaptability", "sibling", 5.into()),
    );
    assert_broken("language-tests.json", "tests.TOEFL", "unknown field", |v| {
        let copy = at(v, "/tests/IELTS_GENERAL").clone();
        insert(v, "/tests", "TOEFL", copy)
    });
    assert_broken(
        "categories.json",
        "categories[0].nclc_min",
        "unknown field",
        |v| insert(v, "/categories/0", "nclc_min", 7.into()),
    );
}

#[test]
fn a_short_table_is_named() {
    assert_broken("crs.json", "age.without_spouse", "invalid length 28", |v| {
        pop(v, "/age/without_spouse")
    });
    assert_broken(
        "crs.json",
        "first_language.with_spouse",
        "invalid length 10",
        |v| pop(v, "/first_language/with_spouse"),
    );
    assert_broken(
        "crs.json",
        "spouse.canadian_work",
        "invalid length 5",
        |v| pop(v, "/spouse/canadian_work"),
    );
    assert_broken(
        "programs.json",
        "fswp.grid.education",
        "invalid length 7",
        |v| pop(v, "/fswp/grid/education"),
    );
    assert_broken(
        "language-tests.json",
        "tests.IELTS_GENERAL.levels",
        "invalid length 6",
        |v| pop(v, "/tests/IELTS_GENERAL/levels"),
    );
    assert_broken(
        "categories.json",
        "experience_rules",
        "at least one entry",
        |v| {
            *at(v, "/experience_rules") = Value::Array(vec![]);
        },
    );
    assert_broken(
        "categories.json",
        "categories[0].occupations",
        "needs occupations",
        |v| {
            *at(v, "/categories/0/occupations") = Value::Array(vec![]);
        },
    );
}

#[test]
fn dates_out_of_order_are_named() {
    assert_broken(
        "crs.json",
        "additional_rules[3].effective_from",
        "date order",
        |v| *at(v, "/additional_rules/3/effective_from") = "2017-06-06".into(),
    );
    assert_broken(
        "categories.json",
        "experience_rules[1].effective_from",
        "date order",
        |v| *at(v, "/experience_rules/1/effective_from") = "2020-01-01".into(),
    );
    assert_broken(
        "categories.json",
        "categories[0].effective_until",
        "not after effective_from",
        |v| *at(v, "/categories/0/effective_until") = "2023-05-31".into(),
    );
    assert_broken(
        "language-tests.json",
        "tests.TEF_CANADA.before[1].from",
        "date order",
        |v| {
            let mut older = at(v, "/tests/TEF_CANADA/before/0").clone();
            older["from"] = "2019-10-01".into();
            at(v, "/tests/TEF_CANADA/before")
                .as_array_mut()
                .expect("array")
                .push(older);
        },
    );
    assert_broken(
        "programs.json",
        "settlement_funds[1].effective_from",
        "date order",
        |v| *at(v, "/settlement_funds/1/effective_from") = "2020-01-01".into(),
    );
    assert_broken(
        "programs.json",
        "settlement_funds[0].minimums",
        "larger family",
        |v| *at(v, "/settlement_funds/0/minimums/3") = 1.into(),
    );
    assert_broken(
        "categories.json",
        "categories[0].experience.min_months",
        "out of range",
        |v| {
            at(v, "/categories/0")
                .as_object_mut()
                .expect("object")
                .insert(
                    "experience".into(),
                    serde_json::json!({"min_months": 99, "continuous": false, "window_years": 3}),
                );
        },
    );
    assert_broken(
        "crs.json",
        "additional_rules[0].effective_from",
        "input is out of range",
        |v| *at(v, "/additional_rules/0/effective_from") = "2015-13-01".into(),
    );
}

#[test]
fn values_out_of_range_are_named() {
    assert_broken("programs.json", "fswp.pass_mark", "out of range", |v| {
        *at(v, "/fswp/pass_mark") = 101.into()
    });
    assert_broken(
        "programs.json",
        "full_time.hours_per_year",
        "52 weeks",
        |v| *at(v, "/full_time/hours_per_year") = 1600.into(),
    );
    assert_broken(
        "programs.json",
        "fstp.language_min_clb.reading",
        "out of range",
        |v| *at(v, "/fstp/language_min_clb/reading") = 13.into(),
    );
    assert_broken("crs.json", "core_cap.with_spouse", "out of range", |v| {
        *at(v, "/core_cap/with_spouse") = 1300.into()
    });
    assert_broken("crs.json", "age.with_spouse[3]", "more than the cap", |v| {
        *at(v, "/age/with_spouse/3") = 1000.into()
    });
    assert_broken(
        "crs.json",
        "transferability.language[1].min_clb",
        "highest level first",
        |v| *at(v, "/transferability/language/1/min_clb") = 10.into(),
    );
    assert_broken(
        "language-tests.json",
        "tests.CELPIP_GENERAL.levels[1][2]",
        "more than the minimum of the level above",
        |v| *at(v, "/tests/CELPIP_GENERAL/levels/1/2") = 11.into(),
    );
    assert_broken(
        "language-tests.json",
        "tests.PTE_CORE.levels[0][1]",
        "out of range",
        |v| *at(v, "/tests/PTE_CORE/levels/0/1") = 95.into(),
    );
    assert_broken(
        "categories.json",
        "categories[0].occupations[0].teer",
        "is TEER 1, not 2",
        |v| *at(v, "/categories/0/occupations/0/teer") = 2.into(),
    );
    assert_broken(
        "categories.json",
        "categories[2].version",
        "found 1, 2, 5",
        |v| *at(v, "/categories/2/version") = 5.into(),
    );
}

#[test]
fn a_value_of_the_wrong_type_is_named() {
    assert_broken("crs.json", "spouse.language_cap", "invalid type", |v| {
        *at(v, "/spouse/language_cap") = "20".into()
    });
    assert_broken(
        "language-tests.json",
        "tests.TCF_CANADA.language",
        "unknown variant",
        |v| *at(v, "/tests/TCF_CANADA/language") = "francais".into(),
    );
}

#[test]
fn text_that_is_not_json_is_named_by_file() {
    let mut sources = RuleSources::builtin();
    sources.programs = "{\"full_time\": ";
    let err = Rules::load(&sources).expect_err("not JSON");
    assert_eq!(
        (err.file.as_str(), err.path.as_str()),
        ("programs.json", ".")
    );
    assert!(err.message.contains("line 1"), "{err}");
}
