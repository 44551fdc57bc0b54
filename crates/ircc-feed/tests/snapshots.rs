//! Both real snapshots of IRCC's feed are read whole, with no round dropped.

use std::collections::HashMap;

use ee_domain::{Draw, Program, RoundKind};
use ee_ircc_feed::{RoundNames, SHIPPED_SNAPSHOT, parse_feed};

/// Every round of a feed; none may be uncatalogued, and no program may be unknown.
fn read(bytes: &[u8]) -> Vec<Draw> {
    let rules = ee_domain::rules::Rules::builtin().expect("the built-in rules");
    let names = RoundNames::builtin(&rules.catalog).expect("round names");
    let feed = parse_feed(bytes, &rules.catalog, &names).expect("the feed reads");
    assert!(feed.notes.is_empty(), "{:?}", feed.notes);
    let unknown: Vec<String> = feed
        .draws
        .iter()
        .filter(|d| d.round_type.uncatalogued)
        .map(|d| format!("{} {:?}", d.number, d.round_type.name))
        .collect();
    assert!(
        unknown.is_empty(),
        "every label of IRCC's feeds is catalogued: {unknown:?}"
    );
    feed.draws
}

fn snapshot(name: &str) -> Vec<Draw> {
    let path = format!("{}/snapshots/{name}", env!("CARGO_MANIFEST_DIR"));
    read(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
}

fn by_number(draws: &[Draw]) -> HashMap<String, &Draw> {
    draws.iter().map(|d| (d.number.to_string(), d)).collect()
}

#[test]
fn the_2026_snapshot_reads_every_round() {
    let draws = read(SHIPPED_SNAPSHOT);
    assert_eq!(draws.len(), 435);
    let all = by_number(&draws);
    assert_eq!(all.len(), 435, "round numbers are unique");
    assert!(all.contains_key("91a") && all.contains_key("91b"));
    assert_eq!(
        draws.iter().map(|d| u64::from(d.invitations)).sum::<u64>(),
        1_030_671
    );
    assert_eq!(
        draws.iter().filter(|d| d.tie_break_at.is_none()).count(),
        76
    );
    assert_eq!(
        draws
            .iter()
            .filter(|d| d.pool_distribution.is_some())
            .count(),
        217
    );
    let kinds = |k| draws.iter().filter(|d| d.kind() == k).count();
    assert_eq!(kinds(RoundKind::General), 167 + 11);
    assert_eq!(kinds(RoundKind::Program), 110 + 66 + 7 + 1);
    assert_eq!(kinds(RoundKind::Category), 435 - 178 - 184);

    let d = all["252"];
    assert_eq!(d.held_at.to_rfc3339(), "2023-06-28T14:04:34+00:00");
    assert_eq!((d.invitations, d.minimum_crs), (500, 476));
    assert_eq!(
        d.tie_break_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2022-11-12T12:47:27+00:00")
    );
    let c = d.category().expect("category");
    assert_eq!((c.id.as_str(), c.version), ("healthcare", 1));
    assert_eq!(
        d.eligible_programs,
        [Program::Cec, Program::Fsw, Program::Fst]
    );

    let d = all["434"];
    let c = d.category().expect("category");
    assert_eq!((c.id.as_str(), c.version), ("transport", 2));
    let pool = d.pool_distribution.as_ref().expect("pool");
    assert_eq!(pool.as_of.to_string(), "2026-08-03");
    assert_eq!(pool.buckets[0].candidates, 500);

    assert_eq!(
        all["208"].tie_break_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2021-10-07T16:38:21+00:00")
    );
    assert_eq!(
        all["210"].tie_break_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2021-06-22T20:19:59+00:00")
    );
    assert_eq!(all["357"].held_at.to_rfc3339(), "2025-07-22T16:27:45+00:00");
    assert_eq!(all["7"].held_at.to_rfc3339(), "2015-04-11T00:00:01+00:00");
    assert_eq!(all["397"].minimum_crs, 169);
    assert_eq!(all["430"].invitations, 4);
}

#[test]
fn the_2024_snapshot_reads_every_round_and_differs_where_ircc_corrected() {
    let old = snapshot("ee_rounds_123_en.2024-03-26.json");
    let new = snapshot("ee_rounds_123_en.2026-08-07.json");
    assert_eq!(old.len(), 292);
    let (old, new) = (by_number(&old), by_number(&new));
    assert_eq!(
        old["262"].tie_break_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2023-08-01T12:59:52+00:00")
    );
    assert_eq!(
        new["262"].tie_break_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2023-07-04T19:36:18+00:00")
    );
    assert_eq!(
        old["252"].category(),
        new["252"].category(),
        "renamed, same category version"
    );
    assert_ne!(old["252"].round_type.name, new["252"].round_type.name);
    assert!(old["223"].pool_distribution.is_some() && new["223"].pool_distribution.is_none());
}
