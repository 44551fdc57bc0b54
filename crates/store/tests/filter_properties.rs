//! The SQL filter and `DrawFilter::matches` agree: random rounds are written to a real SQLite store (in memory) with
//! `apply`, and for random filters `list` answers exactly the rounds `matches` selects, newest first, `count` counts
//! them, and walking them in pages of a random size gives the same rounds.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use ee_domain::{
    CategoryId, CategoryRef, Draw, DrawFilter, DrawNumber, Program, RoundKind, RoundType, Rules,
    Selection,
};
use ee_store::{OnConflict, PageKey, Store};
use proptest::prelude::*;

/// Every catalogued (category, version), and a few the catalogue does not have (uncatalogued rounds).
fn categories() -> &'static [(String, u32, bool)] {
    static ALL: OnceLock<Vec<(String, u32, bool)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let rules = Rules::builtin().expect("the built-in rules");
        let mut all: Vec<(String, u32, bool)> = rules
            .catalog
            .all()
            .map(|v| (v.id.to_string(), v.version, false))
            .collect();
        all.extend([
            ("plumbers".to_owned(), 1, true),
            ("plumbers".to_owned(), 2, true),
            ("healthcare".to_owned(), 9, true),
        ]);
        all
    })
}

fn selection() -> impl Strategy<Value = (Selection, bool)> {
    prop_oneof![
        Just((Selection::General, false)),
        prop::sample::select(Program::ALL.to_vec()).prop_map(|p| (Selection::Program(p), false)),
        prop::sample::select(categories()).prop_map(|(id, version, uncatalogued)| {
            let id = CategoryId::parse(&id).expect("a category id");
            (
                Selection::Category(CategoryRef { id, version }),
                uncatalogued,
            )
        }),
    ]
}

/// A few moments the rounds are held at, so that rounds share times and filters fall on them.
fn moments() -> impl Strategy<Value = Vec<DateTime<Utc>>> {
    // 2015-01-01 to 2027-12-31.
    prop::collection::vec(1_420_070_400i64..1_830_297_600, 1..6).prop_map(|v| {
        v.into_iter()
            .map(|s| DateTime::from_timestamp(s, 0).expect("a time"))
            .collect()
    })
}

fn offset() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::zero()),
        Just(Duration::seconds(1)),
        Just(Duration::seconds(-1)),
        Just(Duration::days(1)),
        (-400 * 86_400i64..400 * 86_400).prop_map(Duration::seconds),
    ]
}

/// Rounds with distinct numbers, held at or near the moments.
fn rounds(moments: Vec<DateTime<Utc>>) -> impl Strategy<Value = Vec<Draw>> {
    let n = moments.len();
    prop::collection::vec(
        (
            1..=600u32,
            prop::option::of(b'a'..=b'c'),
            0..n,
            offset(),
            selection(),
        ),
        0..40,
    )
    .prop_map(move |specs| {
        let mut seen = std::collections::HashSet::new();
        specs
            .into_iter()
            .filter_map(
                |(sequence, suffix, moment, offset, (selection, uncatalogued))| {
                    let mut number = sequence.to_string();
                    if let Some(letter) = suffix {
                        number.push(char::from(letter));
                    }
                    let number = DrawNumber::parse(&number).expect("a round number");
                    seen.insert(number).then(|| Draw {
                        number,
                        held_at: moments[moment] + offset,
                        round_type: RoundType {
                            name: format!("round type of {number}"),
                            selection,
                            uncatalogued,
                        },
                        invitations: 1 + sequence,
                        minimum_crs: 300 + sequence % 300,
                        tie_break_at: None,
                        eligible_programs: vec![Program::Cec],
                        pool_distribution: None,
                    })
                },
            )
            .collect()
    })
}

/// A filter time: on a moment (or a second, or half a second, either side), or anywhere in years 1 to 9999.
fn filter_time(moments: Vec<DateTime<Utc>>) -> impl Strategy<Value = DateTime<Utc>> {
    let n = moments.len();
    prop_oneof![
        3 => (0..n, offset(), prop_oneof![Just(0i64), Just(500), Just(-500)]).prop_map(
            move |(i, offset, millis)| moments[i] + offset + Duration::milliseconds(millis)
        ),
        1 => (-62_135_596_800i64..=253_402_300_799)
            .prop_map(|s| DateTime::from_timestamp(s, 0).expect("a time")),
    ]
}

fn filter(moments: Vec<DateTime<Utc>>) -> impl Strategy<Value = DrawFilter> {
    let category = prop::sample::select(categories()).prop_map(|(id, _, _)| id);
    (
        prop::option::of(prop_oneof![
            Just(RoundKind::General),
            Just(RoundKind::Program),
            Just(RoundKind::Category)
        ]),
        prop::option::of(prop::sample::select(Program::ALL.to_vec())),
        prop::option::of(prop_oneof![category, Just("astronauts".to_owned())]),
        prop::option::of(prop_oneof![1..=3u32, Just(9), Just(u32::MAX)]),
        prop::option::of(filter_time(moments.clone())),
        prop::option::of(filter_time(moments)),
    )
        .prop_map(
            |(kind, program, category, category_version, held_after, held_before)| {
                let category = category.map(|c| CategoryId::parse(&c).expect("a category id"));
                DrawFilter {
                    kind,
                    program,
                    // A version without a category is refused before a filter reaches the store.
                    category_version: category_version.filter(|_| category.is_some()),
                    category,
                    held_after,
                    held_before,
                }
            },
        )
}

fn case() -> impl Strategy<Value = (Vec<Draw>, Vec<DrawFilter>, usize)> {
    moments().prop_flat_map(|m| {
        (
            rounds(m.clone()),
            prop::collection::vec(filter(m), 1..12),
            1..8usize,
        )
    })
}

/// Newest first, as the store lists rounds.
fn newest_first(mut draws: Vec<Draw>) -> Vec<Draw> {
    draws.sort_by_key(|d| std::cmp::Reverse((d.held_at, d.number.sort_key())));
    draws
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_sql_filter_selects_what_matches_selects((draws, filters, page_size) in case()) {
        let store = Store::connect(":memory:", 1).expect("an in-memory store");
        store.migrate().expect("migrations");
        store.apply(&draws, OnConflict::Reject).expect("the rounds are written");
        for filter in &filters {
            prop_assert!(filter.validate().is_ok() || filter.held_after > filter.held_before, "{:?}", filter);
            let want = newest_first(draws.iter().filter(|d| filter.matches(d)).cloned().collect());
            let got = store.list(filter, None, usize::MAX).expect("list");
            prop_assert_eq!(&got, &want, "filter {:?}", filter);
            prop_assert_eq!(store.count(filter).expect("count"), want.len() as u64, "filter {:?}", filter);

            let mut paged = Vec::new();
            let mut after = None;
            loop {
                let page = store.list(filter, after, page_size).expect("a page");
                prop_assert!(page.len() <= page_size);
                after = page.last().map(PageKey::of);
                let last = page.len() < page_size;
                paged.extend(page);
                if last || paged.len() > want.len() {
                    break;
                }
            }
            prop_assert_eq!(&paged, &want, "pages of {} for filter {:?}", page_size, filter);
        }
    }
}
