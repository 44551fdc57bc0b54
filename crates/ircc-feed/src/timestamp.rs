//! The many ways the feed writes a date and time: every spelling IRCC has used, and those a person reads without
//! doubt although IRCC has not used them yet. What a person would doubt is refused: a weekday that is not the
//! date's, two dates that disagree, an ordinal that does not fit its day ("3st"), digits run together
//! ("March 114:00"), a date order that is not certain ("03/08/2026"), a time zone that is not certain ("ET").

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use regex::{Captures, Regex};

/// The separator after a day or a year: a comma or full stop, or spaces.
const SEP: &str = r"(?:\s*[,.]\s*|\s+)";

static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = r"(?ix)^\s*
        (?:
            (?P<month>[a-z]+)\.?\s*
            (?P<day>[0-9]{1,2})(?P<ordinal>st|nd|rd|th)?SEP
            (?:(?P<year>[0-9]{4})SEP)?
        |
            (?P<day_first>[0-9]{1,2})(?P<ordinal_first>st|nd|rd|th)?\s+
            (?P<month_second>[a-z]+)\.?SEP
            (?:(?P<year_second>[0-9]{4})SEP)?
        |
            (?P<iso_date>[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2})(?:\s*t\s*|\s+)
        )
        (?:at\s*)?
        (?:(?P<iso>[0-9]{4}-[0-9]{2}-[0-9]{2})\s+)?
        (?P<hour>[0-9]{1,2})(?::(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.[0-9]+)?)?)?
        \s*(?P<meridiem>am|pm|a\.m\.|p\.m\.)?
        \s*(?P<zone>z|[ecmpan][sd]t|(?:utc|gmt)?\s*[+-][0-9]{1,2}(?::?[0-9]{2})?|utc|gmt)?\s*$"
        .replace("SEP", SEP);
    Regex::new(&pattern).unwrap_or_else(|e| panic!("timestamp pattern: {e}"))
});

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = r"(?ix)^\s*(?:
            (?P<month>[a-z]+)\.?\s*(?P<day>[0-9]{1,2})(?P<ordinal>st|nd|rd|th)?SEP(?P<year>[0-9]{4})
        |
            (?P<day_first>[0-9]{1,2})(?P<ordinal_first>st|nd|rd|th)?\s+(?P<month_second>[a-z]+)\.?SEP(?P<year_second>[0-9]{4})
        |
            (?P<iso_date>[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2})
        )\s*$"
        .replace("SEP", SEP);
    Regex::new(&pattern).unwrap_or_else(|e| panic!("date pattern: {e}"))
});

/// A day of the week before a date ("Wednesday, September 3, 2026"): it must be the date's.
static WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?P<weekday>mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?\.?,?\s+")
        .unwrap_or_else(|e| panic!("weekday pattern: {e}"))
});

/// Typeset spaces ("2:00\u{202f}p.m.") are spaces; zero-width characters are nothing.
fn plain_spaces(text: &str) -> String {
    text.replace(['\u{a0}', '\u{202f}', '\u{2009}', '\u{2007}'], " ")
        .replace(['\u{200b}', '\u{200c}', '\u{200d}', '\u{feff}'], "")
}

/// The text without its weekday, and the weekday it named.
fn without_weekday(text: &str) -> (String, Option<Weekday>) {
    let plain = plain_spaces(text);
    match WEEKDAY.captures(&plain) {
        None => (plain, None),
        Some(c) => {
            let day = c["weekday"].to_ascii_lowercase();
            let weekday = [
                ("mon", Weekday::Mon),
                ("tue", Weekday::Tue),
                ("wed", Weekday::Wed),
                ("thu", Weekday::Thu),
                ("fri", Weekday::Fri),
                ("sat", Weekday::Sat),
                ("sun", Weekday::Sun),
            ]
            .into_iter()
            .find(|(prefix, _)| day.starts_with(prefix))
            .map(|(_, w)| w);
            (plain[c.get(0).map_or(0, |m| m.end())..].to_owned(), weekday)
        }
    }
}

/// Minutes east of UTC of a zone written after a time; `None` for a zone this reader does not know.
fn zone_offset_minutes(zone: &str) -> Option<i64> {
    let zone: String = zone
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let named = [
        ("utc", 0),
        ("gmt", 0),
        ("z", 0),
        ("nst", -210),
        ("ndt", -150),
        ("ast", -240),
        ("adt", -180),
        ("est", -300),
        ("edt", -240),
        ("cst", -360),
        ("cdt", -300),
        ("mst", -420),
        ("mdt", -360),
        ("pst", -480),
        ("pdt", -420),
    ];
    if let Some((_, minutes)) = named.iter().find(|(name, _)| *name == zone) {
        return Some(*minutes);
    }
    let numeric = zone.trim_start_matches("utc").trim_start_matches("gmt");
    let (sign, digits) = match numeric.chars().next()? {
        '+' => (1, &numeric[1..]),
        '-' => (-1, &numeric[1..]),
        _ => return None,
    };
    if !digits.chars().all(|c| c.is_ascii_digit() || c == ':') {
        return None;
    }
    let (hours, minutes) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() > 2 => digits.split_at(digits.len() - 2),
        None => (digits, "0"),
    };
    let (hours, minutes): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 60 + minutes))
}

fn month(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let name = name.to_ascii_lowercase();
    if name == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| name == *m || (name.len() == 3 && m.starts_with(name.as_str())))
        .map(|i| i as u32 + 1)
}

/// The ordinal suffix of a day: 1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st.
fn ordinal(day: u32) -> &'static str {
    match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// The calendar date of a match of [`TIMESTAMP`] or [`DATE`]; `default_year` where the text has none.
fn date_of(c: &Captures<'_>, text: &str, default_year: Option<i32>) -> Result<NaiveDate, String> {
    if let Some(iso) = c.name("iso_date") {
        let parts: Vec<&str> = iso.as_str().split(['-', '/']).collect();
        let number = |i: usize| parts.get(i).and_then(|p| p.parse::<u32>().ok());
        let year = number(0).and_then(|y| i32::try_from(y).ok());
        return year
            .zip(number(1))
            .zip(number(2))
            .and_then(|((y, m), d)| NaiveDate::from_ymd_opt(y, m, d))
            .ok_or_else(|| format!("{text:?} has an invalid date {:?}", iso.as_str()));
    }
    let either = |a: &str, b: &str| c.name(a).or_else(|| c.name(b)).map(|m| m.as_str());
    let month_name = either("month", "month_second").unwrap_or_default();
    let m = month(month_name).ok_or_else(|| format!("{text:?}: {month_name:?} is not a month"))?;
    let year = match either("year", "year_second") {
        Some(y) => y.parse().map_err(|_| format!("{text:?}: bad year"))?,
        None => default_year.ok_or_else(|| format!("{text:?} has no year"))?,
    };
    let day: u32 = either("day", "day_first")
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    if let Some(suffix) = either("ordinal", "ordinal_first")
        && !suffix.eq_ignore_ascii_case(ordinal(day))
    {
        return Err(format!("{text:?}: \"{day}{suffix}\" is not an ordinal"));
    }
    NaiveDate::from_ymd_opt(year, m, day).ok_or_else(|| format!("{text:?} is not a real date"))
}

/// A date must be in the years people write with four digits, and fall on the weekday the text names.
fn checked(date: NaiveDate, weekday: Option<Weekday>, text: &str) -> Result<NaiveDate, String> {
    if date.year() < 1 {
        return Err(format!(
            "{text:?}: the year {} is not a year of rounds",
            date.year()
        ));
    }
    match weekday {
        Some(w) if w != date.weekday() => Err(format!(
            "{text:?}: {date} is a {:?}, not a {w:?}",
            date.weekday()
        )),
        _ => Ok(date),
    }
}

/// Whether a timestamp text carries its year.
pub(crate) fn has_year(text: &str) -> bool {
    let (plain, _) = without_weekday(text);
    TIMESTAMP.captures(&plain).is_some_and(|c| {
        ["year", "year_second", "iso", "iso_date"]
            .iter()
            .any(|g| c.name(g).is_some())
    })
}

/// Reads a timestamp such as `June 28, 2023 14:04:34 UTC` or `July 3rd 2026 at 21:35:13 UTC`, in UTC. Also the
/// spellings a person reads without doubt although IRCC has not used them yet: a day of the week before the date,
/// the day before the month (`3 September 2026`), ISO 8601 (`2026-09-03T14:00:00Z`, `2026/09/03 14:00`), a time
/// without seconds or with only an hour and a 12-hour marker (`2 p.m.`), typeset spaces, and the zones UTC, GMT,
/// Z, the North American standard and daylight zones (EST, EDT, PST, ...) and numeric offsets (`+hh:mm`,
/// `UTC-4`). A text with no year takes `default_year`. A 12-hour marker on a 24-hour time (`20:19:59 PM`) is
/// ignored, as IRCC has written it.
pub fn parse_timestamp(text: &str, default_year: Option<i32>) -> Result<DateTime<Utc>, String> {
    let (plain, weekday) = without_weekday(text);
    let c = TIMESTAMP.captures(&plain).ok_or_else(|| {
        format!("{text:?} is not a timestamp like \"June 28, 2023 at 14:04:34 UTC\"")
    })?;
    let mut date = date_of(&c, text, default_year)?;
    if let Some(iso) = c.name("iso") {
        // "August 15, 2024 at 2024-08-15 15:11:54 UTC": IRCC wrote the date twice; both must agree.
        let second: NaiveDate = iso
            .as_str()
            .parse()
            .map_err(|_| format!("{text:?} has an invalid date {:?}", iso.as_str()))?;
        let has_year = c.name("year").or_else(|| c.name("year_second")).is_some();
        let agree = (second.month(), second.day()) == (date.month(), date.day())
            && (!has_year || second.year() == date.year());
        if !agree {
            return Err(format!("{text:?} gives two dates that disagree"));
        }
        date = second;
    }
    let date = checked(date, weekday, text)?;
    let number = |name: &str| -> Option<u32> { c.name(name).and_then(|m| m.as_str().parse().ok()) };
    let meridiem = c.name("meridiem").map(|m| m.as_str().to_ascii_lowercase());
    let mut hour = number("hour").unwrap_or(99);
    match (&meridiem, c.name("minute")) {
        (None, None) => {
            return Err(format!(
                "{text:?} has an hour without minutes and without am or pm"
            ));
        }
        (Some(_), _) if hour == 0 => {
            return Err(format!("{text:?}: 0 is not an hour of a 12-hour clock"));
        }
        (Some(m), _) if m.starts_with('p') && hour < 12 => hour += 12,
        (Some(m), _) if m.starts_with('a') && hour == 12 => hour = 0,
        _ => {}
    }
    let time = NaiveTime::from_hms_opt(
        hour,
        number("minute").unwrap_or(0),
        number("second").unwrap_or(0),
    )
    .ok_or_else(|| format!("{text:?} is not a real time of day"))?;
    let offset = match c.name("zone") {
        None => 0,
        Some(z) => zone_offset_minutes(z.as_str())
            .ok_or_else(|| format!("{text:?}: {:?} is not a time zone", z.as_str()))?,
    };
    date.and_time(time)
        .and_utc()
        .checked_sub_signed(chrono::Duration::minutes(offset))
        .filter(|t| (1..=9999).contains(&t.year()))
        .ok_or_else(|| format!("{text:?} is out of the range of dates"))
}

/// Reads a date such as `August 3, 2026`, `3 August 2026`, `Monday, August 3, 2026`, an ISO `2026-08-03` or
/// `2026/08/03`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let (plain, weekday) = without_weekday(text);
    let c = DATE
        .captures(&plain)
        .ok_or_else(|| format!("{text:?} is not a date like \"August 3, 2026\""))?;
    checked(date_of(&c, text, None)?, weekday, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> String {
        parse_timestamp(text, Some(2021))
            .unwrap_or_else(|e| panic!("{e}"))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    #[test]
    fn every_spelling_seen_in_the_feed() {
        for (text, want) in [
            ("August 7, 2026 at 10:08:20 UTC", "2026-08-07 10:08:20"),
            ("June 28, 2023 14:04:34 UTC", "2023-06-28 14:04:34"),
            ("July 3rd 2026 at 21:35:13 UTC", "2026-07-03 21:35:13"),
            ("March 02. 2024 at 01:58:34 UTC", "2024-03-02 01:58:34"),
            ("April 13, 2026  at 23:10:05 UTC", "2026-04-13 23:10:05"),
            ("October 18, 2025 at  7:18:52 UTC", "2025-10-18 07:18:52"),
            ("October 7 at 16:38:21 UTC", "2021-10-07 16:38:21"),
            ("June 22, 2021 at 20:19:59 PM UTC", "2021-06-22 20:19:59"),
            ("October 25, 2023 at 15:48:39 AM UTC", "2023-10-25 15:48:39"),
            (
                "September 30, 2023 at 04:22:17 AM UTC",
                "2023-09-30 04:22:17",
            ),
            ("June 15, 2023 at 23:49:05", "2023-06-15 23:49:05"),
            (
                "August 15, 2024 at 2024-08-15 15:11:54 UTC",
                "2024-08-15 15:11:54",
            ),
            ("July 04, 2023 at 19:36:18 UTC ", "2023-07-04 19:36:18"),
            (" January 17, 2018 at 12:33:00 UTC", "2018-01-17 12:33:00"),
            ("April 26,2023 18:10:04 UTC", "2023-04-26 18:10:04"),
            ("May 1, 2019, at 13:00:00 UTC", "2019-05-01 13:00:00"),
            ("May 1, 2019 at13:00:00 UTC", "2019-05-01 13:00:00"),
            ("Sept 9, 2019 at 1:05:00 PM UTC", "2019-09-09 13:05:00"),
        ] {
            assert_eq!(ts(text), want, "{text:?}");
        }
    }

    #[test]
    fn spellings_a_person_reads_without_doubt() {
        for (text, want) in [
            (
                "Wednesday, September 2, 2026 at 14:00:00 UTC",
                "2026-09-02 14:00:00",
            ),
            ("Wed. Sept. 2, 2026 at 14:00 UTC", "2026-09-02 14:00:00"),
            ("2 September 2026 at 14:00:00 UTC", "2026-09-02 14:00:00"),
            ("2nd Sep 2026, 14:00 UTC", "2026-09-02 14:00:00"),
            ("2026-09-02T14:00:00Z", "2026-09-02 14:00:00"),
            ("2026-09-02 14:00:00 UTC", "2026-09-02 14:00:00"),
            ("2026-09-02T14:00:00.250+00:00", "2026-09-02 14:00:00"),
            ("2026-09-02T10:00:00-04:00", "2026-09-02 14:00:00"),
            ("September 2, 2026 at 10:00:00 EDT", "2026-09-02 14:00:00"),
            ("January 7, 2026 at 9:00:00 EST", "2026-01-07 14:00:00"),
            ("September 2, 2026 at 2 p.m. UTC", "2026-09-02 14:00:00"),
            (
                "September\u{a0}2,\u{a0}2026 at 2:00\u{202f}p.m. UTC",
                "2026-09-02 14:00:00",
            ),
            ("September 2, 2026 at 14:00 GMT", "2026-09-02 14:00:00"),
            ("SEPTEMBER 2, 2026 AT 14:00:00 UTC", "2026-09-02 14:00:00"),
            ("September 2, 2026 at 07:00 PDT", "2026-09-02 14:00:00"),
            ("September 2, 2026 at 10:30 NDT", "2026-09-02 13:00:00"),
            ("September 2, 2026 at 10:00 UTC-4", "2026-09-02 14:00:00"),
            ("2026/09/02 14:00 UTC", "2026-09-02 14:00:00"),
            ("September 2, 2026 at 10:00 UTC-0400", "2026-09-02 14:00:00"),
            (
                "September 2, 2026 at 18:00 UTC\u{2003}+4",
                "2026-09-02 14:00:00",
            ),
        ] {
            assert_eq!(ts(text), want, "{text:?}");
        }
    }

    #[test]
    fn nonsense_is_refused() {
        for text in [
            "",
            "yesterday",
            "Smarch 3, 2023 at 10:00:00 UTC",
            "February 30, 2023 at 10:00:00 UTC",
            "June 3, 2023 at 25:00:00 UTC",
            "June 3, 2023",
            "June 3, 2023 at 14 UTC",
            "June 3, 2023 at 14:00 ET",
            "Friday, March 1, 2027 at 14:00 UTC",
            "March 1, 2027 at 2019-11-30 14:00:00 UTC",
            "2027-03-01 at 2027-05-09 14:00 UTC",
            "March 114:00 UTC",
            "March 1, 202714:00 UTC",
            "March 3st, 2027 at 14:00 UTC",
            "March 1, 2027 at 0:30 PM UTC",
            "+262142-12-31 23:00 UTC",
            "0000-06-01T10:00:00Z",
            "August 20, 2026 at 14:00 +\u{967}\u{968}",
            "March 1, 2027 at 14:\u{663}\u{660} UTC",
            "9999-12-31T23:59:59-14:00",
            "2023-13-01T10:00:00Z",
            "Someday, June 3, 2023 at 10:00 UTC",
        ] {
            assert!(parse_timestamp(text, Some(2023)).is_err(), "{text:?}");
        }
        assert!(parse_timestamp("October 7 at 16:38:21 UTC", None).is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("August 3, 2026").map(|d| d.to_string()),
            Ok("2026-08-03".into())
        );
        assert_eq!(
            parse_date("2026-08-03").map(|d| d.to_string()),
            Ok("2026-08-03".into())
        );
        assert!(parse_date("August 2026").is_err());
        for text in [
            "3 August 2026",
            "Monday, August 3, 2026",
            "Aug. 3rd, 2026",
            "August\u{a0}3, 2026",
        ] {
            assert_eq!(
                parse_date(text).map(|d| d.to_string()),
                Ok("2026-08-03".into()),
                "{text}"
            );
        }
        assert!(
            parse_date("03/08/2026").is_err(),
            "day and month order is not certain"
        );
    }
}
