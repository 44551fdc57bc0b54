#![doc = include_str!("../README.md")]

use std::sync::Arc;

use chrono::{Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use ee_domain::assessments::outlook::{self, Stream};
use ee_domain::assessments::{crs, invitation, invitation_history};
use ee_domain::model::language::{LanguageResult, LanguageTest, Scores};
use ee_domain::model::noc::NocCode;
use ee_domain::model::profile::{EducationLevel, MaritalStatus, Profile, WorkEntry};
use ee_domain::rules::language::convert;
use ee_domain::{Draw, Rules};

/// One kind of applicant in the panel: an occupation, where the work was done, French, a nomination.
#[derive(Debug, Clone, Copy)]
pub struct Archetype {
    pub label: &'static str,
    pub noc: &'static str,
    /// Three years of work ending on the date asked: in Canada (CEC) or abroad (FSW).
    pub in_canada: bool,
    /// NCLC 7 in French besides the English result.
    pub french: bool,
    pub nominated: bool,
}

/// How strong the profile is: age, English level and education set most of the score.
#[derive(Debug, Clone, Copy)]
pub struct Strength {
    pub label: &'static str,
    pub age: i32,
    pub english_clb: f64,
    pub education: EducationLevel,
}

/// The panel's archetypes: both sides of the border, every program, the categories, a PNP nominee.
pub const ARCHETYPES: [Archetype; 12] = [
    archetype("software engineer abroad", "21231", false, false, false),
    archetype("software engineer in Canada", "21231", true, false, false),
    archetype("registered nurse abroad", "31301", false, false, false),
    archetype("registered nurse in Canada", "31301", true, false, false),
    archetype("welder in Canada (trades)", "72106", true, false, false),
    archetype(
        "truck driver in Canada (transport)",
        "73300",
        true,
        false,
        false,
    ),
    archetype(
        "secondary teacher abroad (education)",
        "41220",
        false,
        false,
        false,
    ),
    archetype(
        "farm supervisor in Canada (agriculture)",
        "82030",
        true,
        false,
        false,
    ),
    archetype("accountant abroad, French", "11100", false, true, false),
    archetype("accountant in Canada, French", "11100", true, true, false),
    archetype("accountant in Canada", "11100", true, false, false),
    archetype(
        "accountant in Canada, PNP nominee",
        "11100",
        true,
        false,
        true,
    ),
];

/// The panel's strengths, from a CRS in the 350s to one in the 500s (in Canada scores more than abroad).
pub const STRENGTHS: [Strength; 5] = [
    strength("weak", 39, 7.0, EducationLevel::Bachelors),
    strength("fair", 34, 8.0, EducationLevel::Bachelors),
    strength("good", 30, 9.0, EducationLevel::Bachelors),
    strength("strong", 29, 10.0, EducationLevel::Masters),
    strength("top", 26, 10.0, EducationLevel::Doctoral),
];

const fn archetype(
    label: &'static str,
    noc: &'static str,
    in_canada: bool,
    french: bool,
    nominated: bool,
) -> Archetype {
    Archetype {
        label,
        noc,
        in_canada,
        french,
        nominated,
    }
}

const fn strength(
    label: &'static str,
    age: i32,
    english_clb: f64,
    education: EducationLevel,
) -> Strength {
    Strength {
        label,
        age,
        english_clb,
        education,
    }
}

fn level(
    test: LanguageTest,
    level: f64,
    taken: NaiveDate,
    rules: &Rules,
) -> Option<LanguageResult> {
    let scores = Scores {
        reading: level,
        writing: level,
        listening: level,
        speaking: level,
    };
    convert(test, scores, Some(taken), &rules.language).ok()
}

/// The profile of an archetype of a strength as it stands on `as_of`: the age on that day, the work of the three
/// years before it (and two more abroad for those in Canada), a test taken six months before, an assessment a year
/// before, the profile submitted sixty days before.
pub fn profile(a: &Archetype, s: &Strength, as_of: NaiveDate, rules: &Rules) -> Profile {
    let years_before = |years: u32| {
        as_of
            .checked_sub_months(Months::new(12 * years))
            .unwrap_or(as_of)
    };
    let days_before = |days: u64| as_of.checked_sub_days(Days::new(days)).unwrap_or(as_of);
    let noc = NocCode::parse(a.noc).expect("the panel's codes are NOC codes");
    let job = |start: NaiveDate, end: NaiveDate, in_canada: bool| WorkEntry {
        noc: noc.clone(),
        start,
        end: Some(end),
        hours_per_week: 40.0,
        in_canada,
        self_employed: false,
        full_time_student: false,
    };
    let mut work = vec![job(years_before(3), days_before(1), a.in_canada)];
    if a.in_canada {
        work.push(job(years_before(5), days_before(3 * 365 + 2), false));
    }
    let taken = days_before(180);
    Profile {
        date_of_birth: years_before(u32::try_from(s.age).unwrap_or(30)),
        marital_status: MaritalStatus::Single,
        education: Some(s.education),
        eca_issued_on: Some(years_before(1)),
        education_assessed: true,
        first_language: level(LanguageTest::Clb, s.english_clb, taken, rules),
        second_language: a
            .french
            .then(|| level(LanguageTest::Nclc, 7.0, taken, rules))
            .flatten(),
        work_history: work,
        provincial_nomination: a.nominated,
        proof_of_funds: true,
        authorized_to_work_in_canada: a.in_canada,
        submitted_at: Utc
            .from_utc_datetime(&days_before(60).and_hms_opt(12, 0, 0).unwrap_or_default())
            .into(),
        ..Profile::default()
    }
}

/// One forecast of the backtest and what happened.
#[derive(Debug, Clone)]
pub struct Row {
    pub as_of: NaiveDate,
    pub archetype: &'static str,
    pub strength: &'static str,
    pub crs: u32,
    pub outlook: f64,
    /// (a) invited when the score clears the latest cut-off of the candidate's streams.
    pub last_cutoff: f64,
    /// (b) the share of the last 10 rounds of the candidate's streams whose cut-off the score clears.
    pub last_ten: f64,
    /// Invited in a round held in the horizon (the invitation rule of `CheckInvitationHistory`).
    pub invited: bool,
}

/// The dates of the backtest: the first day of each month from February 2017 (the outlook as it stood after each
/// month end from January 2017), while the horizon after it is history.
pub fn dates(draws: &[Arc<Draw>], horizon: u32) -> Vec<NaiveDate> {
    let Some(last) = draws.iter().map(|d| d.held_at.date_naive()).max() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut t = NaiveDate::from_ymd_opt(2017, 2, 1).expect("a date");
    while t
        .checked_add_days(Days::new(u64::from(horizon)))
        .is_some_and(|end| end <= last + Days::new(1))
    {
        out.push(t);
        t = t.checked_add_months(Months::new(1)).expect("a date");
    }
    out
}

/// Every forecast of the panel at every date, with the baselines and what happened.
pub fn run(draws: &[Arc<Draw>], rules: &Rules, horizon: u32, dates: &[NaiveDate]) -> Vec<Row> {
    let mut rows = Vec::new();
    for &as_of in dates {
        let end = as_of + Days::new(u64::from(horizon));
        let before: Vec<Arc<Draw>> = draws
            .iter()
            .filter(|d| d.held_at.date_naive() < as_of)
            .cloned()
            .collect();
        let ahead: Vec<Arc<Draw>> = draws
            .iter()
            .filter(|d| (as_of..end).contains(&d.held_at.date_naive()))
            .cloned()
            .collect();
        for a in &ARCHETYPES {
            for s in &STRENGTHS {
                let p = profile(a, s, as_of, rules);
                let Ok(o) = outlook::outlook(&p, as_of, horizon, &before, rules) else {
                    continue;
                };
                let score = crs::score(&p, as_of, rules).total;
                let streams: Vec<Stream> = o.streams.iter().map(|s| s.stream.clone()).collect();
                let (last_cutoff, last_ten) = baselines(&before, &streams, score);
                let history = invitation_history::check_rounds(&p, ahead.iter().cloned(), rules, 0);
                rows.push(Row {
                    as_of,
                    archetype: a.label,
                    strength: s.label,
                    crs: score,
                    outlook: o.probability,
                    last_cutoff,
                    last_ten,
                    invited: history
                        .rounds
                        .iter()
                        .any(|r| r.check.outcome == invitation::Outcome::Invited),
                });
            }
        }
    }
    rows
}

/// Baselines (a) and (b) from the rounds of the streams held before the date.
fn baselines(before: &[Arc<Draw>], streams: &[Stream], score: u32) -> (f64, f64) {
    let mut theirs: Vec<&Arc<Draw>> = before
        .iter()
        .filter(|d| streams.iter().any(|s| s.holds(d)))
        .collect();
    theirs.sort_by_key(|d| std::cmp::Reverse((d.held_at, d.number.sort_key())));
    let last = theirs
        .first()
        .map_or(0.0, |d| f64::from(u8::from(score >= d.minimum_crs)));
    let ten = &theirs[..theirs.len().min(10)];
    let share = if ten.is_empty() {
        0.0
    } else {
        ten.iter().filter(|d| score >= d.minimum_crs).count() as f64 / ten.len() as f64
    };
    (last, share)
}

/// Brier score and log loss of forecasts (log loss with forecasts kept within 0.001 and 0.999).
pub fn scores(rows: &[&Row], forecast: impl Fn(&Row) -> f64) -> (f64, f64) {
    if rows.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = rows.len() as f64;
    let (mut brier, mut log_loss) = (0.0, 0.0);
    for r in rows {
        let p = forecast(r);
        let y = f64::from(u8::from(r.invited));
        brier += (p - y).powi(2);
        let q = p.clamp(0.001, 0.999);
        log_loss -= y * q.ln() + (1.0 - y) * (1.0 - q).ln();
    }
    (brier / n, log_loss / n)
}

/// The eras the figures are given for, by the date of the forecast.
pub const ERAS: [(&str, i32, i32); 3] = [
    ("2017-2019", 2017, 2019),
    ("2020-2022", 2020, 2022),
    ("2023 on", 2023, 9999),
];

/// A way of forecasting a row.
type Forecast = Box<dyn Fn(&Row) -> f64>;

/// The report: each method's Brier score and log loss overall and by era, and the outlook's calibration.
pub fn report(rows: &[Row], horizon: u32) -> String {
    use std::fmt::Write;
    let base_rate = rows.iter().filter(|r| r.invited).count() as f64 / rows.len().max(1) as f64;
    let methods: [(&str, Forecast); 4] = [
        ("outlook", Box::new(|r: &Row| r.outlook)),
        (
            "(a) clears the last cut-off",
            Box::new(|r: &Row| r.last_cutoff),
        ),
        (
            "(b) share of the last 10 rounds",
            Box::new(|r: &Row| r.last_ten),
        ),
        (
            "(c) the panel's base rate",
            Box::new(move |_: &Row| base_rate),
        ),
    ];
    let mut out = String::new();
    let first = rows.iter().map(|r| r.as_of).min();
    let last = rows.iter().map(|r| r.as_of).max();
    let _ = writeln!(
        out,
        "{} forecasts: {} profiles at {} dates from {} to {}, horizon {horizon} days; invited in {:.1}%",
        rows.len(),
        ARCHETYPES.len() * STRENGTHS.len(),
        rows.iter()
            .map(|r| r.as_of)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        first.map_or_else(String::new, |d| d.to_string()),
        last.map_or_else(String::new, |d| d.to_string()),
        base_rate * 100.0
    );
    let _ = writeln!(out);
    let _ = write!(out, "{:<34}", "Brier score / log loss");
    let all: Vec<&Row> = rows.iter().collect();
    let eras: Vec<(&str, Vec<&Row>)> = ERAS
        .iter()
        .map(|(name, from, to)| {
            (
                *name,
                rows.iter()
                    .filter(|r| (*from..=*to).contains(&r.as_of.year()))
                    .collect(),
            )
        })
        .collect();
    let _ = write!(out, "{:>17}", format!("all ({})", all.len()));
    for (name, era) in &eras {
        let _ = write!(out, "{:>20}", format!("{name} ({})", era.len()));
    }
    let _ = writeln!(out);
    for (name, f) in &methods {
        let _ = write!(out, "{name:<34}");
        let (b, l) = scores(&all, f);
        let _ = write!(out, "{:>17}", format!("{b:.4} / {l:.3}"));
        for (_, era) in &eras {
            let (b, l) = scores(era, f);
            let _ = write!(out, "{:>20}", format!("{b:.4} / {l:.3}"));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "calibration of the outlook (predicted deciles against what happened)"
    );
    let _ = writeln!(
        out,
        "{:<12}{:>8}{:>16}{:>16}",
        "predicted", "n", "mean predicted", "observed rate"
    );
    for decile in 0..10 {
        let lo = f64::from(decile) / 10.0;
        let hi = lo + 0.1;
        let bin: Vec<&Row> = rows
            .iter()
            .filter(|r| r.outlook >= lo && (r.outlook < hi || (decile == 9 && r.outlook <= 1.0)))
            .collect();
        if bin.is_empty() {
            let _ = writeln!(out, "{:<12}{:>8}", format!("{lo:.1}-{hi:.1}"), 0);
            continue;
        }
        let n = bin.len() as f64;
        let mean = bin.iter().map(|r| r.outlook).sum::<f64>() / n;
        let observed = bin.iter().filter(|r| r.invited).count() as f64 / n;
        let _ = writeln!(
            out,
            "{:<12}{:>8}{:>16.3}{:>16.3}",
            format!("{lo:.1}-{hi:.1}"),
            bin.len(),
            mean,
            observed
        );
    }
    out
}

/// The shipped history, read as the server reads it on first start.
pub fn shipped_history(rules: &Rules) -> Result<Vec<Arc<Draw>>, String> {
    let names = ee_ircc_feed::RoundNames::builtin(&rules.catalog)?;
    let parsed = ee_ircc_feed::parse_feed(ee_ircc_feed::SHIPPED_SNAPSHOT, &rules.catalog, &names)
        .map_err(|e| e.to_string())?;
    Ok(parsed.draws.into_iter().map(Arc::new).collect())
}
