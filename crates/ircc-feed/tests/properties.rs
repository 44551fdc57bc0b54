//! Rendering rounds as IRCC's JSON feed and reading the feed gives the rounds back. The renderer here writes what
//! IRCC writes: the number, `drawDate` as ISO and `drawDateFull` spelled out, `drawDateTime` and `drawCutOff` in
//! IRCC's spellings ("June 28, 2023 at 14:04:34 UTC", and the older "June 28, 2023 14:04:34 UTC"), the label,
//! sizes and pool counts with thousands separators, the program list in words, and the pool's subtotals.
//!
//! The rounds are real rounds of the shipped snapshot (their label and round type, on their day) with every other
//! field random.

use std::sync::OnceLock;

use chrono::{DateTime, Days, NaiveDate, Utc};
use ee_domain::rounds::draw::CRS_MAX;
use ee_domain::{CrsBucket, Draw, DrawNumber, PUBLISHED_CRS_RANGES, PoolDistribution, Program};
use ee_ircc_feed::{RoundNames, SHIPPED_SNAPSHOT, parse_feed};
use proptest::prelude::*;
use serde_json::{Value, json};

struct Fixture {
    rules: ee_domain::Rules,
    names: RoundNames,
    shipped: Vec<Draw>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rules = ee_domain::Rules::builtin().expect("the built-in rules");
        let names = RoundNames::builtin(&rules.catalog).expect("the built-in round names");
        let shipped = parse_feed(SHIPPED_SNAPSHOT, &rules.catalog, &names)
            .expect("the shipped snapshot reads")
            .draws;
        Fixture {
            rules,
            names,
            shipped,
        }
    })
}

/// "1,234,567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How IRCC has written a time: with "at" (since 2023) or without, the day zero-padded or not.
#[derive(Debug, Clone, Copy)]
enum Spelling {
    At,
    AtPaddedDay,
    NoAt,
}

fn spelled(t: DateTime<Utc>, s: Spelling) -> String {
    match s {
        Spelling::At => t.format("%B %-d, %Y at %H:%M:%S UTC"),
        Spelling::AtPaddedDay => t.format("%B %d, %Y at %H:%M:%S UTC"),
        Spelling::NoAt => t.format("%B %-d, %Y %H:%M:%S UTC"),
    }
    .to_string()
}

fn program_list(programs: &[Program]) -> String {
    let names: Vec<&str> = programs
        .iter()
        .map(|p| match p {
            // IRCC's spellings, with and without "Program".
            Program::Fsw => "Federal Skilled Worker Program",
            Program::Fst => "Federal Skilled Trades",
            other => other.name(),
        })
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A round as IRCC's feed writes it; `programs_given` is false when IRCC left `drawText2` empty.
fn render(d: &Draw, programs_given: bool, spelling: Spelling) -> Value {
    let mut r = json!({
        "drawNumber": d.number.to_string(),
        "drawNumberURL": format!("<a href='/invitations.html?q={n}'>{n}</a>", n = d.number),
        "drawDate": d.held_at.format("%Y-%m-%d").to_string(),
        "drawDateFull": d.held_at.format("%B %-d, %Y").to_string(),
        "drawName": d.round_type.name,
        "drawSize": thousands(u64::from(d.invitations)),
        "drawCRS": d.minimum_crs.to_string(),
        "mitext": format!("Invitations to apply for permanent residence under the Express Entry system #{}", d.number),
        "DrawText1": "See full text of Ministerial Instruction",
        "drawText2": if programs_given { program_list(&d.eligible_programs) } else { String::new() },
        "drawDateTime": spelled(d.held_at, spelling),
        "drawCutOff": d.tie_break_at.map(|t| spelled(t, spelling)).unwrap_or_default(),
        "drawDistributionAsOn": "",
    });
    for i in 1..=18 {
        r[format!("dd{i}")] = json!("");
    }
    if let Some(p) = &d.pool_distribution {
        r["drawDistributionAsOn"] = json!(p.as_of.format("%B %-d, %Y").to_string());
        // The leaves in IRCC's order (dd3 and dd9 are the subtotals of 451-600 and 401-450), then the total.
        let leaves = [1, 2, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17];
        let mut values = [0u64; 19];
        for (field, b) in leaves.iter().zip(&p.buckets) {
            values[*field] = b.candidates;
        }
        values[3] = values[4..=8].iter().sum();
        values[9] = values[10..=14].iter().sum();
        values[18] = p.total_candidates;
        for (i, v) in values.iter().enumerate().skip(1) {
            r[format!("dd{i}")] = json!(thousands(*v));
        }
    }
    r
}

fn feed(rounds: &[Value]) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({"classes": "wb-tables", "rounds": rounds})).expect("JSON")
}

/// One generated round: the draw, whether IRCC listed its programs, and how the times are spelled.
#[derive(Debug, Clone)]
struct Case {
    draw: Draw,
    programs_given: bool,
    spelling: Spelling,
}

prop_compose! {
    fn pool(day: NaiveDate)(
        counts in prop::array::uniform15(prop_oneof![Just(0u64), 0..=30_000u64, 0..=5_000_000u64]),
        extra in 0..=100_000u64,
        days_before in 0..=10u64,
    ) -> PoolDistribution {
        let buckets: Vec<CrsBucket> = PUBLISHED_CRS_RANGES
            .iter()
            .zip(counts)
            .map(|(&(min_score, max_score), candidates)| CrsBucket { min_score, max_score, candidates })
            .collect();
        PoolDistribution {
            as_of: day - Days::new(days_before),
            total_candidates: counts.iter().sum::<u64>() + extra + 1,
            buckets,
        }
    }
}

fn case() -> impl Strategy<Value = Case> {
    let templates = fixture().shipped.len();
    (0..templates)
        .prop_flat_map(|i| {
            let template = fixture().shipped[i].clone();
            let day = template.held_at.date_naive();
            (
                Just(template),
                (1..=999_999u32, prop::option::of(b'a'..=b'z')),
                0..86_400u32,
                prop_oneof![1..=10_000u32, 1..=u32::MAX],
                0..=CRS_MAX,
                prop::option::of(0..=3 * 365 * 86_400i64),
                prop::option::of(pool(day)),
                prop::option::of(prop::sample::subsequence(Program::ALL.to_vec(), 1..=4)),
                prop_oneof![
                    Just(Spelling::At),
                    Just(Spelling::AtPaddedDay),
                    Just(Spelling::NoAt)
                ],
            )
        })
        .prop_map(
            |(
                template,
                (sequence, suffix),
                second,
                invitations,
                minimum_crs,
                tie_back,
                pool,
                programs,
                spelling,
            )| {
                let mut number = sequence.to_string();
                if let Some(letter) = suffix {
                    number.push(char::from(letter));
                }
                let held_at = template
                    .held_at
                    .date_naive()
                    .and_hms_opt(second / 3600, second / 60 % 60, second % 60)
                    .expect("a time of day")
                    .and_utc();
                let draw = Draw {
                    number: DrawNumber::parse(&number).expect("a round number"),
                    held_at,
                    round_type: template.round_type.clone(),
                    invitations,
                    minimum_crs,
                    tie_break_at: tie_back.map(|s| held_at - chrono::Duration::seconds(s)),
                    eligible_programs: programs
                        .clone()
                        .unwrap_or_else(|| template.round_type.selection.default_programs()),
                    pool_distribution: pool,
                };
                Case {
                    draw,
                    programs_given: programs.is_some(),
                    spelling,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn a_rendered_feed_reads_back_as_its_rounds(cases in prop::collection::vec(case(), 1..6)) {
        let f = fixture();
        let rounds: Vec<Value> = cases.iter().map(|c| render(&c.draw, c.programs_given, c.spelling)).collect();
        let bytes = feed(&rounds);
        let parsed = parse_feed(&bytes, &f.rules.catalog, &f.names)
            .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&bytes)));
        prop_assert!(parsed.notes.is_empty(), "{:?}", parsed.notes);
        let want: Vec<&Draw> = cases.iter().map(|c| &c.draw).collect();
        let got: Vec<&Draw> = parsed.draws.iter().collect();
        prop_assert_eq!(got, want, "{}", String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn thousands_separators() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_500), "1,500");
    assert_eq!(thousands(229_100), "229,100");
    assert_eq!(thousands(4_294_967_295), "4,294,967,295");
}
