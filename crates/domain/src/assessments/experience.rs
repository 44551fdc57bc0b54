//! Counting work experience: hours in a window, full time capped at a full-time week across all jobs held at once
//! (`full_time` in `data/programs.json`).

use chrono::{Days, Months, NaiveDate};

use crate::model::profile::WorkEntry;
use crate::rules::programs::FullTime;

/// The `years` before `as_of`, ending with `as_of` itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDate,
    /// Exclusive.
    pub until: NaiveDate,
}

impl Window {
    pub fn years_before(as_of: NaiveDate, years: u32) -> Self {
        Self {
            from: as_of
                .checked_sub_months(Months::new(12 * years))
                .unwrap_or(NaiveDate::MIN),
            until: as_of
                .checked_add_days(Days::new(1))
                .unwrap_or(NaiveDate::MAX),
        }
    }
}

/// The days an entry covers, clipped to the window: `[start, end]` with `end` inclusive.
fn span(e: &WorkEntry, w: Window) -> Option<(NaiveDate, NaiveDate)> {
    let start = e.start.max(w.from);
    let end_exclusive = e
        .end
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .unwrap_or(w.until)
        .min(w.until);
    (start < end_exclusive).then_some((start, end_exclusive))
}

/// Hours that count within the window: for each stretch of days, the sum of the weekly hours of the jobs held then,
/// capped at a full-time week.
pub fn hours<'a>(
    entries: impl IntoIterator<Item = &'a WorkEntry>,
    w: Window,
    ft: &FullTime,
) -> f64 {
    let spans: Vec<(NaiveDate, NaiveDate, f64)> = entries
        .into_iter()
        .filter_map(|e| span(e, w).map(|(a, b)| (a, b, e.hours_per_week.max(0.0))))
        .collect();
    let mut cuts: Vec<NaiveDate> = spans.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
    cuts.sort();
    cuts.dedup();
    cuts.windows(2)
        .map(|c| {
            let weekly: f64 = spans
                .iter()
                .filter(|(a, b, _)| *a <= c[0] && c[1] <= *b)
                .map(|(_, _, h)| h)
                .sum();
            weekly.min(ft.hours_per_week) * (c[1] - c[0]).num_days() as f64 / 7.0
        })
        // An empty sum of floats is -0, which would print as "-0 hours".
        .fold(0.0, |total, h| total + h)
}

/// The most hours worked in one unbroken stretch (jobs that follow each other with no day between them).
pub fn longest_continuous_hours<'a>(
    entries: impl IntoIterator<Item = &'a WorkEntry>,
    w: Window,
    ft: &FullTime,
) -> f64 {
    let mut list: Vec<&WorkEntry> = entries
        .into_iter()
        .filter(|e| span(e, w).is_some())
        .collect();
    list.sort_by_key(|e| span(e, w).map(|s| s.0));
    let mut best = 0.0f64;
    let mut group: Vec<&WorkEntry> = Vec::new();
    let mut group_end: Option<NaiveDate> = None;
    for e in list {
        let Some((a, b)) = span(e, w) else { continue };
        if group_end.is_some_and(|end| a > end) {
            best = best.max(hours(group.iter().copied(), w, ft));
            group.clear();
        }
        group.push(e);
        group_end = Some(group_end.map_or(b, |end| end.max(b)));
    }
    best.max(hours(group.iter().copied(), w, ft))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::noc::NocCode;

    const FT: FullTime = FullTime {
        hours_per_week: 30.0,
        hours_per_year: 1560.0,
    };

    fn hours<'a>(entries: impl IntoIterator<Item = &'a WorkEntry>, w: Window) -> f64 {
        super::hours(entries, w, &FT)
    }

    fn whole_years(hours: f64) -> u32 {
        FT.whole_years(hours)
    }

    fn longest_continuous_hours<'a>(
        entries: impl IntoIterator<Item = &'a WorkEntry>,
        w: Window,
    ) -> f64 {
        super::longest_continuous_hours(entries, w, &FT)
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn job(start: &str, end: Option<&str>, hours: f64) -> WorkEntry {
        WorkEntry {
            noc: NocCode::parse("31301").expect("noc"),
            start: d(start),
            end: end.map(d),
            hours_per_week: hours,
            in_canada: true,
            self_employed: false,
            full_time_student: false,
        }
    }

    #[test]
    fn full_time_is_capped_at_thirty_hours() {
        let w = Window::years_before(d("2024-12-31"), 10);
        let one_year = job("2024-01-01", Some("2024-12-30"), 40.0);
        // 365 days of 30 hours: a little over the 52 weeks of a full-time year.
        assert!((hours([&one_year], w) - 365.0 / 7.0 * 30.0).abs() < 0.01);
        assert_eq!(whole_years(hours([&one_year], w)), 1);
        let half = job("2024-01-01", Some("2024-12-30"), 15.0);
        assert_eq!(whole_years(hours([&half], w)), 0);
        // Two part-time jobs at once add up, to the cap.
        let two = [
            job("2024-01-01", Some("2024-12-30"), 20.0),
            job("2024-01-01", Some("2024-12-30"), 20.0),
        ];
        assert_eq!(whole_years(hours(&two, w)), 1);
    }

    #[test]
    fn the_window_clips_old_work() {
        let w = Window::years_before(d("2024-06-30"), 3);
        let old = job("2015-01-01", Some("2021-06-29"), 30.0);
        assert_eq!(hours([&old], w), 0.0);
        let last_day = job("2015-01-01", Some("2021-06-30"), 30.0);
        assert!(
            (hours([&last_day], w) - 30.0 / 7.0).abs() < 0.01,
            "the window's first day counts"
        );
        let ongoing = job("2023-07-01", None, 30.0);
        assert!((hours([&ongoing], w) - 52.3 * 30.0).abs() < 10.0);
    }

    #[test]
    fn a_gap_breaks_continuity() {
        let w = Window::years_before(d("2024-12-31"), 3);
        let a = job("2024-01-01", Some("2024-03-31"), 30.0);
        let b = job("2024-04-01", Some("2024-06-30"), 30.0);
        let c = job("2024-08-01", Some("2024-09-30"), 30.0);
        let joined = longest_continuous_hours([&a, &b], w);
        assert!((joined - 26.0 * 30.0).abs() < 5.0, "{joined}");
        let broken = longest_continuous_hours([&a, &c], w);
        assert!(broken < 14.0 * 30.0, "{broken}");
    }
}
