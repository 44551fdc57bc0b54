//! Structured mutations of real rounds: rounds picked from the shipped snapshot, some of their fields replaced by
//! arbitrary text (or spliced, cut, given a number, a null, removed), written back as a feed and read. The reader
//! never panics, every round it returns is valid, an unreadable round is named with a field of the feed, and rounds
//! left untouched read as they do in the snapshot.
#![no_main]

use arbitrary::Arbitrary;
use ee_fuzz::{check_draw, names, rules, shipped_draws, shipped_round_objects};
use ee_ircc_feed::{FeedError, parse_feed};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

#[derive(Debug, Arbitrary)]
struct Input {
    rounds: Vec<Round>,
}

#[derive(Debug, Arbitrary)]
struct Round {
    /// Which shipped round (modulo their number).
    pick: u16,
    edits: Vec<Edit>,
}

#[derive(Debug, Arbitrary)]
struct Edit {
    field: Field,
    change: Change,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum Field {
    DrawNumber,
    DrawDate,
    DrawDateFull,
    DrawDateTime,
    DrawName,
    DrawSize,
    DrawCrs,
    DrawText2,
    DrawCutOff,
    DrawDistributionAsOn,
    /// dd1 to dd18 (modulo).
    Dd(u8),
}

impl Field {
    fn key(self) -> String {
        match self {
            Field::DrawNumber => "drawNumber".into(),
            Field::DrawDate => "drawDate".into(),
            Field::DrawDateFull => "drawDateFull".into(),
            Field::DrawDateTime => "drawDateTime".into(),
            Field::DrawName => "drawName".into(),
            Field::DrawSize => "drawSize".into(),
            Field::DrawCrs => "drawCRS".into(),
            Field::DrawText2 => "drawText2".into(),
            Field::DrawCutOff => "drawCutOff".into(),
            Field::DrawDistributionAsOn => "drawDistributionAsOn".into(),
            Field::Dd(i) => format!("dd{}", 1 + i % 18),
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Change {
    Replace(String),
    /// Insert text at a character position (modulo the length).
    Splice(u8, String),
    /// Keep the first n characters.
    Cut(u8),
    /// Copy the value of another field of the same round.
    CopyFrom(Field),
    Integer(i64),
    Float(f64),
    Bool(bool),
    Null,
    Remove,
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn apply(round: &mut Map<String, Value>, edit: &Edit) {
    let key = edit.field.key();
    let current = text(round.get(&key));
    let value = match &edit.change {
        Change::Replace(s) => Value::String(s.clone()),
        Change::Splice(at, s) => {
            let chars: Vec<char> = current.chars().collect();
            let at = usize::from(*at) % (chars.len() + 1);
            let mut out: String = chars[..at].iter().collect();
            out.push_str(s);
            out.extend(&chars[at..]);
            Value::String(out)
        }
        Change::Cut(n) => Value::String(current.chars().take(usize::from(*n)).collect()),
        Change::CopyFrom(other) => Value::String(text(round.get(&other.key()))),
        Change::Integer(n) => json!(n),
        Change::Float(x) => json!(x),
        Change::Bool(b) => json!(b),
        Change::Null => Value::Null,
        Change::Remove => {
            round.remove(&key);
            return;
        }
    };
    round.insert(key, value);
}

/// The feed's names of the fields a round can be refused for.
const FEED_FIELDS: [&str; 9] = [
    "drawNumber",
    "drawDate",
    "drawDateTime",
    "drawSize",
    "drawCRS",
    "drawCutOff",
    "drawDistributionAsOn",
    "drawName",
    "dd1..dd18",
];

fn check_error(e: &FeedError) {
    match e {
        FeedError::Round { field, .. } => assert!(
            FEED_FIELDS.contains(&field.as_str())
                || field
                    .strip_prefix("dd")
                    .and_then(|n| n.parse::<u8>().ok())
                    .is_some_and(|n| (1..=18).contains(&n)),
            "an unreadable round must name a field of the feed: {e}"
        ),
        FeedError::Rounds { first, count } => {
            assert!(*count >= 2 && first.len() <= *count, "{e:?}");
            first.iter().for_each(check_error);
        }
        FeedError::Json { .. } | FeedError::Shape(_) => {
            panic!("the document is built as JSON: {e}")
        }
    }
}

fuzz_target!(|input: Input| {
    let shipped = shipped_round_objects();
    if input.rounds.len() > 16 {
        return;
    }
    let mut rounds = Vec::with_capacity(input.rounds.len());
    for r in &input.rounds {
        let index = usize::from(r.pick) % shipped.len();
        let mut round = shipped[index].as_object().cloned().unwrap_or_default();
        for edit in &r.edits {
            apply(&mut round, edit);
        }
        rounds.push((index, r.edits.is_empty(), Value::Object(round)));
    }
    let doc = json!({
        "classes": "wb-tables",
        "rounds": rounds.iter().map(|(_, _, r)| r.clone()).collect::<Vec<_>>(),
    });
    let bytes = serde_json::to_vec(&doc).expect("JSON");
    match parse_feed(&bytes, &rules().catalog, names()) {
        Ok(feed) => {
            assert_eq!(feed.draws.len(), rounds.len(), "a round was dropped");
            for (draw, (index, untouched, _)) in feed.draws.iter().zip(&rounds) {
                check_draw(draw);
                if *untouched {
                    assert_eq!(
                        draw,
                        &shipped_draws()[*index],
                        "an untouched round reads differently"
                    );
                }
            }
        }
        Err(e) => check_error(&e),
    }
});
