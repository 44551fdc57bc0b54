//! What the tests record and import: rounds, IRCC's feed snapshots, and the times they are held at.

use chrono::{DateTime, Utc};
use ee_proto::convert::timestamp;
use ee_proto::v1::{Draw, RoundKind, RoundType};

/// IRCC's feed as published on 2024-03-26: rounds #1 to #291, with #91a and #91b (292 rounds).
pub const SNAPSHOT_2024: &str = "ee_rounds_123_en.2024-03-26.json";
/// IRCC's feed as published on 2026-08-07, the one the server ships: rounds #1 to #434 (435 rounds). Against
/// [`SNAPSHOT_2024`] it has 143 new rounds and corrects 28.
pub const SNAPSHOT_2026: &str = "ee_rounds_123_en.2026-08-07.json";

/// The bytes of a feed snapshot from the ircc-feed crate's `snapshots/`, such as [`SNAPSHOT_2024`].
pub fn snapshot(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../ircc-feed/snapshots/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A round as a test records it: `number`, of `round_type`, held at `held_at`, 1,000 invitations at CRS 480.
/// Change the rest with struct update syntax: `Draw { minimum_crs: 470, ..round(..) }`.
pub fn round(number: impl Into<String>, round_type: RoundType, held_at: DateTime<Utc>) -> Draw {
    Draw {
        number: number.into(),
        held_at: Some(timestamp(held_at)),
        round_type: Some(round_type),
        invitations: 1000,
        minimum_crs: 480,
        ..Default::default()
    }
}

/// A general round (all programs).
pub fn general() -> RoundType {
    RoundType {
        kind: RoundKind::General as i32,
        ..Default::default()
    }
}

/// A round of the category `id` ("healthcare", "stem", ...), in the version in force when it is held.
pub fn category(id: &str) -> RoundType {
    RoundType {
        kind: RoundKind::Category as i32,
        category_id: id.into(),
        ..Default::default()
    }
}

/// The `n`th minute after 2027-01-15T08:00:00Z: later than every shipped round, so that a test's rounds are the
/// newest, each at a time of its own.
pub fn after_the_history(n: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + i64::from(n) * 60, 0).expect("a valid time")
}

/// The time written in RFC 3339, such as `"2026-08-20T14:00:00Z"`.
pub fn time(rfc3339: &str) -> DateTime<Utc> {
    rfc3339
        .parse()
        .unwrap_or_else(|e| panic!("{rfc3339:?} is not an RFC 3339 time: {e}"))
}

/// The time written in RFC 3339, as a message field holds it.
pub fn at(rfc3339: &str) -> Option<prost_types::Timestamp> {
    Some(timestamp(time(rfc3339)))
}
