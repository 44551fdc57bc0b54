//! Event payloads checked into the repository decode with this build: the first release's (the JSON of its
//! `draws` row) and today's versioned `draw.v1`. A change that breaks one of these breaks every subscriber that
//! resumes from an older event.

use ee_domain::{Program, RoundKind, Selection};
use ee_store::payload;

fn read(name: &str) -> String {
    let path = format!("{}/tests/payloads/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_first_releases_payloads_decode() {
    let d = payload::decode(&read("legacy-category-252.json")).expect("legacy 252");
    assert_eq!(d.number.to_string(), "252");
    assert_eq!(d.held_at.to_rfc3339(), "2023-06-28T14:04:34+00:00");
    assert_eq!(d.round_type.name, "Healthcare occupations (Version 1)");
    assert!(!d.round_type.uncatalogued);
    match &d.round_type.selection {
        Selection::Category(c) => assert_eq!((c.id.as_str(), c.version), ("healthcare", 1)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        d.eligible_programs,
        [Program::Cec, Program::Fsw, Program::Fst]
    );
    let pool = d.pool_distribution.as_ref().expect("pool");
    assert_eq!(
        (pool.buckets[0].candidates, pool.total_candidates),
        (500, 250_000)
    );

    let g = payload::decode(&read("legacy-general-91a.json")).expect("legacy 91a");
    assert_eq!(g.number.to_string(), "91a");
    assert_eq!(g.kind(), RoundKind::General);
    assert_eq!(g.eligible_programs.len(), 4);
    assert!(g.pool_distribution.is_none());
}

#[test]
fn the_current_format_decodes_and_is_written_as_checked_in() {
    for name in ["v1-category-252.json", "v1-uncatalogued-435.json"] {
        let text = read(name);
        let d = payload::decode(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = payload::encode(&d).expect("encode");
        let as_value = |s: &str| serde_json::from_str::<serde_json::Value>(s).expect("json");
        assert_eq!(
            as_value(&written),
            as_value(&text),
            "{name}: the format changed"
        );
    }
    let u = payload::decode(&read("v1-uncatalogued-435.json")).expect("435");
    assert!(u.round_type.uncatalogued);
    // The legacy and current payloads of the same round are the same round.
    let legacy = payload::decode(&read("legacy-category-252.json")).expect("legacy");
    let current = payload::decode(&read("v1-category-252.json")).expect("current");
    assert_eq!(legacy, current);
}

#[test]
fn unknown_formats_and_garbage_are_errors_not_panics() {
    for bad in [
        r#"{"format":"draw.v9","number":"1"}"#,
        r#"{"format":"draw.v1"}"#,
        r#"{"number":"1"}"#,
        "not json",
        r#"{"format":"draw.v1","number":"x","held_at":"2023-01-01T00:00:00Z","round_type":{"kind":"general","name":"General"},"invitations":1,"minimum_crs":1,"eligible_programs":[]}"#,
    ] {
        assert!(payload::decode(bad).is_err(), "{bad}");
    }
    // Fields a newer release adds are ignored.
    let newer = read("v1-category-252.json").replacen('{', r#"{"added_later":true,"#, 1);
    assert!(payload::decode(&newer).is_ok());
}
