//! What the fuzz targets share: the built-in rules and round names, the shipped feed (as JSON and as rounds), and
//! the checks every round read from a feed must pass.

use std::sync::OnceLock;

use ee_domain::rounds::draw::CRS_MAX;
use ee_domain::{Draw, Rules};
use ee_ircc_feed::{RoundNames, SHIPPED_SNAPSHOT, parse_feed};
use serde_json::Value;

/// The rules this build ships (`Rules::builtin()`), loaded once.
pub fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().expect("the built-in rules are valid"))
}

/// The round names this build ships, loaded once.
pub fn names() -> &'static RoundNames {
    static NAMES: OnceLock<RoundNames> = OnceLock::new();
    NAMES.get_or_init(|| RoundNames::builtin(&rules().catalog).expect("the built-in round names"))
}

/// The rounds of the shipped snapshot as IRCC wrote them (JSON objects), newest first.
pub fn shipped_round_objects() -> &'static [Value] {
    static ROUNDS: OnceLock<Vec<Value>> = OnceLock::new();
    ROUNDS.get_or_init(|| {
        let doc: Value =
            serde_json::from_slice(SHIPPED_SNAPSHOT).expect("the shipped snapshot is JSON");
        doc["rounds"].as_array().expect("a list of rounds").clone()
    })
}

/// The rounds of the shipped snapshot as read, in the same order as [`shipped_round_objects`].
pub fn shipped_draws() -> &'static [Draw] {
    static DRAWS: OnceLock<Vec<Draw>> = OnceLock::new();
    DRAWS.get_or_init(|| {
        parse_feed(SHIPPED_SNAPSHOT, &rules().catalog, names())
            .expect("the shipped snapshot reads")
            .draws
    })
}

/// What every round the feed reader returns must be: what `DrawDraft::complete` promises.
pub fn check_draw(d: &Draw) {
    assert!(d.invitations >= 1, "round {} invites nobody", d.number);
    assert!(
        d.minimum_crs <= CRS_MAX,
        "round {}: minimum CRS {} is over the maximum",
        d.number,
        d.minimum_crs
    );
    if let Some(t) = d.tie_break_at {
        assert!(
            t <= d.held_at,
            "round {}: tie-break after the round",
            d.number
        );
    }
    assert!(
        d.eligible_programs.windows(2).all(|w| w[0] < w[1]),
        "round {}: programs not sorted and unique: {:?}",
        d.number,
        d.eligible_programs
    );
    assert!(
        d.round_type.name.chars().count() <= ee_domain::MAX_NAME_CHARS,
        "round {}: name too long",
        d.number
    );
    assert!(
        !d.round_type.name.chars().any(char::is_control),
        "round {}: control characters in the name {:?}",
        d.number,
        d.round_type.name
    );
    // The round round-trips through its number's text.
    assert_eq!(
        ee_domain::DrawNumber::parse(&d.number.to_string()),
        Ok(d.number),
        "round number {} does not read back",
        d.number
    );
}
