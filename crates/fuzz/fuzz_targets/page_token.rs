//! `ListDraws` page tokens. The input is a token (the bytes before the first NUL, as text) and then the makings of a
//! filter and a page position. A token, however forged, is read or refused, never a panic; what is read encodes back
//! to a token that reads the same; and every real position round-trips through a token for the same filter.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use chrono::{DateTime, Datelike};
use ee_domain::{CategoryId, DrawFilter, Program, RoundKind};
use ee_draw_service::page_token::{decode, encode};
use ee_store::PageKey;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Filter {
    kind: Option<u8>,
    program: Option<u8>,
    category: Option<String>,
    category_version: Option<u32>,
    held_after: Option<i64>,
    held_before: Option<i64>,
}

impl Filter {
    fn build(&self) -> DrawFilter {
        let at = |s: Option<i64>| s.and_then(|s| DateTime::from_timestamp(s, 0));
        DrawFilter {
            kind: self.kind.map(|k| {
                [RoundKind::General, RoundKind::Program, RoundKind::Category][usize::from(k % 3)]
            }),
            program: self.program.map(|p| Program::ALL[usize::from(p % 4)]),
            category: self
                .category
                .as_deref()
                .and_then(|c| CategoryId::parse(c).ok()),
            category_version: self.category_version,
            held_after: at(self.held_after),
            held_before: at(self.held_before),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (token, rest) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let token = String::from_utf8_lossy(token);
    let mut u = Unstructured::new(rest);
    let Ok(filter) = Filter::arbitrary(&mut u) else {
        return;
    };
    let filter = filter.build();
    let seconds = i64::arbitrary(&mut u).unwrap_or(0);
    let number_key = i64::arbitrary(&mut u).unwrap_or(0);

    if let Ok(Some(key)) = decode(&token, &filter) {
        assert!(
            (1..=9999).contains(&key.held_at.year()),
            "{token:?} gives {key:?}"
        );
        assert!(
            (0..=i64::from(u32::MAX)).contains(&key.number_key),
            "{token:?} gives {key:?}"
        );
        assert_eq!(
            decode(&encode(&filter, key), &filter),
            Ok(Some(key)),
            "{token:?}"
        );
    }
    if let Some(held_at) =
        DateTime::from_timestamp(seconds, 0).filter(|t| (1..=9999).contains(&t.year()))
        && (0..=i64::from(u32::MAX)).contains(&number_key)
    {
        let key = PageKey {
            held_at,
            number_key,
        };
        let made = encode(&filter, key);
        assert_eq!(
            decode(&made, &filter),
            Ok(Some(key)),
            "{made:?} for {filter:?}"
        );
    }
});
