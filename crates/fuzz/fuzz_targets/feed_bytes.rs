//! IRCC's feed reader on arbitrary bytes: it answers (rounds or an error), never panics, and every round it returns
//! is a valid round.
#![no_main]

use ee_fuzz::{check_draw, names, rules};
use ee_ircc_feed::{FeedError, parse_feed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_feed(data, &rules().catalog, names()) {
        Ok(feed) => feed.draws.iter().for_each(check_draw),
        Err(FeedError::Rounds { first, count }) => {
            assert!(count >= 2 && !first.is_empty() && first.len() <= count);
        }
        Err(_) => {}
    }
});
