//! The outlook against the three baselines on the shipped history: a lower Brier score than each, overall and in
//! every era (the claim the docs make, from the same run `ee-backtest` prints).

use ee_backtest::{ERAS, Row, dates, run, scores, shipped_history};
use ee_domain::Rules;
use ee_domain::assessments::outlook::DEFAULT_HORIZON_DAYS;

#[test]
fn the_outlook_beats_every_baseline_overall_and_in_every_era() {
    let rules = Rules::builtin().expect("the built-in rules");
    let draws = shipped_history(&rules).expect("the shipped history");
    let when = dates(&draws, DEFAULT_HORIZON_DAYS);
    assert!(when.len() >= 100, "monthly dates from 2017: {}", when.len());
    let rows = run(&draws, &rules, DEFAULT_HORIZON_DAYS, &when);
    assert_eq!(rows.len(), when.len() * 60, "every profile at every date");
    let base_rate = rows.iter().filter(|r| r.invited).count() as f64 / rows.len() as f64;
    let mut groups: Vec<(&str, Vec<&Row>)> = vec![("all", rows.iter().collect())];
    for (name, from, to) in ERAS {
        groups.push((
            name,
            rows.iter()
                .filter(|r| (from..=to).contains(&chrono::Datelike::year(&r.as_of)))
                .collect(),
        ));
    }
    for (name, group) in &groups {
        let (outlook, _) = scores(group, |r| r.outlook);
        let (last, _) = scores(group, |r| r.last_cutoff);
        let (ten, _) = scores(group, |r| r.last_ten);
        let (base, _) = scores(group, |_| base_rate);
        assert!(
            outlook < last && outlook < ten && outlook < base,
            "{name}: outlook {outlook:.4}, (a) {last:.4}, (b) {ten:.4}, (c) {base:.4}"
        );
    }
    // The report holds the table the docs quote.
    let report = ee_backtest::report(&rows, DEFAULT_HORIZON_DAYS);
    assert!(report.contains("calibration of the outlook"), "{report}");
}
