//! Opaque page tokens for `ListDraws`: where the next page starts, bound to the filter.
//!
//! Public so that the fuzz targets (`crates/fuzz`) can reach it; the service is its only caller.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike};
use ee_domain::SortKey as PageKey;
use ee_domain::{DrawFilter, InvalidInput};

const VERSION: &str = "p1";

/// FNV-1a: stable across builds, so a token made by one replica is read by another.
fn fingerprint(filter: &DrawFilter) -> u64 {
    filter
        .canonical()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// The token for the page that starts after `key`, bound to `filter`: `p1:<fingerprint>:<seconds>:<number key>`,
/// base64 (URL-safe, no padding).
pub fn encode(filter: &DrawFilter, key: PageKey) -> String {
    let text = format!(
        "{VERSION}:{:016x}:{}:{}",
        fingerprint(filter),
        key.held_at.timestamp(),
        key.number_key
    );
    URL_SAFE_NO_PAD.encode(text)
}

/// Where the page a token asks for starts: `None` for the empty token (the first page). A token that
/// [`encode`] did not make for this same filter, or that names a position no round can have, is an
/// `InvalidInput` on `page_token`; no token panics.
pub fn decode(token: &str, filter: &DrawFilter) -> Result<Option<PageKey>, InvalidInput> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = || InvalidInput::one("page_token", "is not a page token returned by ListDraws");
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let parts: Vec<&str> = text.split(':').collect();
    let [version, print, seconds, number_key] = parts[..] else {
        return Err(invalid());
    };
    if version != VERSION {
        return Err(invalid());
    }
    if print != format!("{:016x}", fingerprint(filter)) {
        return Err(InvalidInput::one(
            "page_token",
            "was made for another filter; send the same filter with every page",
        ));
    }
    // A forged token may carry any number: only a time of years 1 to 9999 and a key of a real round number are
    // positions a page can start after.
    let held_at = seconds
        .parse()
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .filter(|t| (1..=9999).contains(&t.year()))
        .ok_or_else(invalid)?;
    let number_key: i64 = number_key.parse().map_err(|_| invalid())?;
    if !(0..=i64::from(u32::MAX)).contains(&number_key) {
        return Err(invalid());
    }
    Ok(Some(PageKey {
        held_at,
        number_key,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let f = DrawFilter::default();
        let key = PageKey {
            held_at: DateTime::from_timestamp(1_700_000_000, 0).expect("time"),
            number_key: 252 * 32,
        };
        let t = encode(&f, key);
        assert_eq!(decode(&t, &f), Ok(Some(key)));
        assert_eq!(decode("", &f), Ok(None));
        let forged = |seconds: i64, key: i64| {
            URL_SAFE_NO_PAD.encode(format!(
                "{VERSION}:{:016x}:{seconds}:{key}",
                fingerprint(&f)
            ))
        };
        for bad in [
            "%%%",
            "bm9wZQ",
            &t[..t.len() - 2],
            &forged(8_000_000_000_000, 1),
            &forged(-80_000_000_000, 1),
            &forged(1_700_000_000, -1),
            &forged(1_700_000_000, i64::MAX),
        ] {
            assert!(decode(bad, &f).is_err(), "{bad}");
        }
        let other = DrawFilter {
            kind: Some(ee_domain::RoundKind::General),
            ..DrawFilter::default()
        };
        let err = decode(&t, &other).expect_err("other filter");
        assert!(err.violations[0].description.contains("another filter"));
    }
}
