//! The timestamp and date readers on arbitrary text: they answer, never panic, keep to years 1 to 9999, and what
//! they read reads back the same from IRCC's own spelling and from ISO 8601.
#![no_main]

use chrono::Datelike;
use ee_ircc_feed::{parse_date, parse_timestamp};
use libfuzzer_sys::fuzz_target;

/// Default years: none, an ordinary one, the ends of the range, and the extremes callers could pass.
const DEFAULT_YEARS: [Option<i32>; 8] = [
    None,
    Some(2023),
    Some(1),
    Some(9999),
    Some(0),
    Some(262_143),
    Some(i32::MAX),
    Some(i32::MIN),
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for year in DEFAULT_YEARS {
        if let Ok(t) = parse_timestamp(text, year) {
            assert!((1..=9999).contains(&t.year()), "{text:?} read as {t}");
            let ircc = t.format("%B %-d, %Y at %H:%M:%S UTC").to_string();
            assert_eq!(
                parse_timestamp(&ircc, None),
                Ok(t),
                "{text:?} read as {t}; {ircc:?} does not read back"
            );
            let iso = t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            assert_eq!(
                parse_timestamp(&iso, None),
                Ok(t),
                "{text:?} read as {t}; {iso:?} does not read back"
            );
        }
    }
    if let Ok(d) = parse_date(text) {
        let ircc = d.format("%B %-d, %Y").to_string();
        assert_eq!(
            parse_date(&ircc),
            Ok(d),
            "{text:?} read as {d}; {ircc:?} does not read back"
        );
        let iso = d.format("%Y-%m-%d").to_string();
        assert_eq!(
            parse_date(&iso),
            Ok(d),
            "{text:?} read as {d}; {iso:?} does not read back"
        );
    }
});
