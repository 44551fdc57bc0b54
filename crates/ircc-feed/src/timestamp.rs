//! The many ways the feed writes a date and time.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use regex::Regex;

static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*
        (?:
            (?P<month>[a-z]+)\.?\s*
            (?P<day>\d{1,2})(?:st|nd|rd|th)?
            \s*[,.]?\s*
            (?:(?P<year>\d{4})\s*[,.]?\s*)?
        |
            (?P<day_first>\d{1,2})(?:st|nd|rd|th)?\s+
            (?P<month_second>[a-z]+)\.?\s*[,.]?\s*
            (?:(?P<year_second>\d{4})\s*[,.]?\s*)?
        |
            (?P<iso_date>\d{4}-\d{1,2}-\d{1,2})(?:\s*t\s*|\s+)
        )
        (?:at\s*)?
        (?:(?P<iso>\d{4}-\d{2}-\d{2})\s+)?
        (?P<hour>\d{1,2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?)?
        \s*(?P<meridiem>am|pm|a\.m\.|p\.m\.)?
        \s*(?P<zone>utc|gmt|z|edt|est|[+-]\d{2}:?\d{2})?\s*$",
    )
    .unwrap_or_else(|e| panic!("timestamp pattern: {e}"))
});

/// A day of the week before a date ("Wednesday, September 3, 2026"): it says nothing the date does not.
static WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?\.?,?\s+")
        .unwrap_or_else(|e| panic!("weekday pattern: {e}"))
});

/// Spaces as typeset ("2:00\u{202f}p.m.") are spaces.
fn plain_spaces(text: &str) -> String {
    text.replace(['\u{a0}', '\u{202f}', '\u{2009}', '\u{2007}'], " ")
}

/// Minutes east of UTC of a zone written after a time; `None` for a zone this reader does not know.
fn zone_offset_minutes(zone: &str) -> Option<i64> {
    match zone.to_ascii_lowercase().as_str() {
        "utc" | "gmt" | "z" => Some(0),
        "edt" => Some(-4 * 60),
        "est" => Some(-5 * 60),
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let digits: String = z.chars().filter(char::is_ascii_digit).collect();
            let hours: i64 = digits.get(..2)?.parse().ok()?;
            let minutes: i64 = digits.get(2..)?.parse().ok()?;
            (hours <= 14 && minutes < 60).then_some(sign * (hours * 60 + minutes))
        }
    }
}

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*(?:
            (?P<month>[a-z]+)\.?\s*(?P<day>\d{1,2})(?:st|nd|rd|th)?\s*[,.]?\s*(?P<year>\d{4})
        |
            (?P<day_first>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month_second>[a-z]+)\.?\s*[,.]?\s*(?P<year_second>\d{4})
        )\s*$",
    )
    .unwrap_or_else(|e| panic!("date pattern: {e}"))
});

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

/// Whether a timestamp text carries its year.
pub(crate) fn has_year(text: &str) -> bool {
    let plain = plain_spaces(text);
    TIMESTAMP
        .captures(&WEEKDAY.replace(&plain, ""))
        .is_some_and(|c| {
            ["year", "year_second", "iso", "iso_date"]
                .iter()
                .any(|g| c.name(g).is_some())
        })
}

/// Reads a timestamp such as `June 28, 2023 14:04:34 UTC` or `July 3rd 2026 at 21:35:13 UTC`, in UTC. Also the
/// spellings a person reads without doubt although IRCC has not used them yet: a day of the week before the date,
/// the day before the month (`3 September 2026`), ISO 8601 (`2026-09-03T14:00:00Z`), a time without seconds or
/// with only an hour and a 12-hour marker (`2 p.m.`), typeset spaces, and the zones UTC, GMT, Z, EDT, EST and
/// `+hh:mm`. A text with no year takes `default_year`. A 12-hour marker on a 24-hour time (`20:19:59 PM`) is
/// ignored.
pub fn parse_timestamp(text: &str, default_year: Option<i32>) -> Result<DateTime<Utc>, String> {
    let plain = plain_spaces(text);
    let plain = WEEKDAY.replace(&plain, "");
    let c = TIMESTAMP.captures(&plain).ok_or_else(|| {
        format!("{text:?} is not a timestamp like \"June 28, 2023 at 14:04:34 UTC\"")
    })?;
    let number = |name: &str| -> Option<u32> { c.name(name).and_then(|m| m.as_str().parse().ok()) };
    let date = if let Some(iso) = c.name("iso").or_else(|| c.name("iso_date")) {
        iso.as_str()
            .parse::<NaiveDate>()
            .or_else(|_| NaiveDate::parse_from_str(iso.as_str(), "%Y-%m-%d"))
            .map_err(|_| format!("{text:?} has an invalid date {:?}", iso.as_str()))?
    } else {
        let month_name = c
            .name("month")
            .or_else(|| c.name("month_second"))
            .map_or("", |m| m.as_str());
        let m =
            month(month_name).ok_or_else(|| format!("{text:?}: {month_name:?} is not a month"))?;
        let year = match c.name("year").or_else(|| c.name("year_second")) {
            Some(y) => y
                .as_str()
                .parse()
                .map_err(|_| format!("{text:?}: bad year"))?,
            None => default_year.ok_or_else(|| format!("{text:?} has no year"))?,
        };
        let day = number("day").or_else(|| number("day_first")).unwrap_or(0);
        NaiveDate::from_ymd_opt(year, m, day)
            .ok_or_else(|| format!("{text:?} is not a real date"))?
    };
    let meridiem = c.name("meridiem").map(|m| m.as_str().to_ascii_lowercase());
    if c.name("minute").is_none() && meridiem.is_none() {
        return Err(format!(
            "{text:?} has an hour without minutes and without am or pm"
        ));
    }
    let mut hour = number("hour").unwrap_or(99);
    if hour <= 12 {
        match meridiem {
            Some(m) if m.starts_with('p') && hour < 12 => hour += 12,
            Some(m) if m.starts_with('a') && hour == 12 => hour = 0,
            _ => {}
        }
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
    Ok(date.and_time(time).and_utc() - chrono::Duration::minutes(offset))
}

/// Reads a date such as `August 3, 2026`, `3 August 2026`, `Monday, August 3, 2026` or an ISO `2026-08-03`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let plain = plain_spaces(text);
    let plain = WEEKDAY.replace(&plain, "");
    if let Ok(d) = plain.trim().parse::<NaiveDate>() {
        return Ok(d);
    }
    let c = DATE
        .captures(&plain)
        .ok_or_else(|| format!("{text:?} is not a date like \"August 3, 2026\""))?;
    let month_name = c
        .name("month")
        .or_else(|| c.name("month_second"))
        .map_or("", |m| m.as_str());
    let m = month(month_name).ok_or_else(|| format!("{text:?}: {month_name:?} is not a month"))?;
    let number = |a: &str, b: &str| c.name(a).or_else(|| c.name(b)).map(|m| m.as_str());
    let year: i32 = number("year", "year_second")
        .unwrap_or_default()
        .parse()
        .map_err(|_| format!("{text:?}: bad year"))?;
    let day: u32 = number("day", "day_first")
        .unwrap_or_default()
        .parse()
        .map_err(|_| format!("{text:?}: bad day"))?;
    NaiveDate::from_ymd_opt(year, m, day).ok_or_else(|| format!("{text:?} is not a real date"))
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
            "June 3, 2023 at 14:00 PST",
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
