//! Where a CRS score stands in the pool: how many profiles had a higher score in the distribution IRCC published
//! with a round.
//!
//! IRCC publishes the pool in 15 disjoint ranges (601-1200, 501-600, 491-500 ... 401-410, 351-400, 301-350,
//! 0-300). For a score `s` in the range `lo..=hi` holding `n` profiles, the profiles with a higher score are at least
//! the ranges wholly above (`lower`), at most those plus the whole range (`upper = lower + n`), and, spreading the
//! range's `n` profiles evenly over its `hi - lo + 1` integer scores, about `lower + n × (hi − s) / (hi − lo + 1)`.

use chrono::NaiveDate;

use crate::rounds::draw::{CRS_MAX, Draw, DrawNumber, PUBLISHED_CRS_RANGES, PoolDistribution};

/// A score's place in one published distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolPosition {
    /// The round the distribution was published with.
    pub round: DrawNumber,
    pub round_held_on: NaiveDate,
    /// The day the pool was counted.
    pub pool_as_of: NaiveDate,
    pub total: u64,
    pub score: u32,
    /// The published range the score is in, and the profiles in it (0 when the distribution leaves it out).
    pub range_min: u32,
    pub range_max: u32,
    pub range_count: u64,
    /// Profiles in the ranges wholly above the score: certainly higher.
    pub above_at_least: u64,
    /// Plus the score's whole range: at most this many are higher.
    pub above_at_most: u64,
    /// The even-spread estimate of the profiles with a higher score.
    pub above_estimate: f64,
    /// `above_estimate / total` (0 for an empty pool).
    pub share_above: f64,
}

/// The position of `score` (at most [`CRS_MAX`]) in the distribution published with `draw`, if it has one.
pub fn position(score: u32, draw: &Draw) -> Option<PoolPosition> {
    let pool = draw.pool_distribution.as_ref()?;
    Some(position_in(score, pool, draw))
}

fn position_in(score: u32, pool: &PoolDistribution, draw: &Draw) -> PoolPosition {
    let score = score.min(CRS_MAX);
    let (range_min, range_max) = PUBLISHED_CRS_RANGES
        .iter()
        .copied()
        .find(|(lo, hi)| (*lo..=*hi).contains(&score))
        .unwrap_or((0, CRS_MAX));
    let range_count: u64 = pool
        .buckets
        .iter()
        .filter(|b| b.min_score == range_min && b.max_score == range_max)
        .map(|b| b.candidates)
        .sum();
    let above_at_least: u64 = pool
        .buckets
        .iter()
        .filter(|b| b.min_score > range_max)
        .map(|b| b.candidates)
        .sum();
    let width = f64::from(range_max - range_min + 1);
    let above_estimate =
        above_at_least as f64 + range_count as f64 * f64::from(range_max - score) / width;
    PoolPosition {
        round: draw.number,
        round_held_on: draw.held_at.date_naive(),
        pool_as_of: pool.as_of,
        total: pool.total_candidates,
        score,
        range_min,
        range_max,
        range_count,
        above_at_least,
        above_at_most: above_at_least + range_count,
        above_estimate,
        share_above: if pool.total_candidates == 0 {
            0.0
        } else {
            above_estimate / pool.total_candidates as f64
        },
    }
}

/// The newest round held on or before `date` (by its day) that published a distribution.
pub fn latest_on<'d>(
    draws: impl IntoIterator<Item = &'d Draw>,
    date: NaiveDate,
) -> Option<&'d Draw> {
    draws
        .into_iter()
        .filter(|d| d.pool_distribution.is_some() && d.held_at.date_naive() <= date)
        .max_by_key(|d| (d.held_at, d.number.sort_key()))
}

/// The positions in every distribution published by a round held from `start` to `end` (both days included),
/// oldest first, with the score on each round's day (`score_on`), and how many rounds of the period published none.
pub fn over_period<'d>(
    score_on: impl Fn(NaiveDate) -> u32,
    draws: impl IntoIterator<Item = &'d Draw>,
    start: NaiveDate,
    end: NaiveDate,
) -> (Vec<PoolPosition>, u32) {
    let mut in_period: Vec<&Draw> = draws
        .into_iter()
        .filter(|d| (start..=end).contains(&d.held_at.date_naive()))
        .collect();
    in_period.sort_by_key(|d| (d.held_at, d.number.sort_key()));
    let without = in_period
        .iter()
        .filter(|d| d.pool_distribution.is_none())
        .count();
    let positions = in_period
        .into_iter()
        .filter_map(|d| position(score_on(d.held_at.date_naive()), d))
        .collect();
    (positions, u32::try_from(without).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rounds::draw::{CrsBucket, DrawDraft, RoundKind};
    use crate::rules::categories::Catalog;

    fn round(number: &str, day: &str, buckets: &[(u32, u32, u64)]) -> Draw {
        DrawDraft {
            number: number.into(),
            held_at: Some(format!("{day}T12:00:00Z").parse().expect("time")),
            kind: Some(RoundKind::General),
            invitations: 1000,
            minimum_crs: 480,
            pool_distribution: (!buckets.is_empty()).then(|| PoolDistribution {
                as_of: day.parse().expect("day"),
                total_candidates: buckets.iter().map(|b| b.2).sum(),
                buckets: buckets
                    .iter()
                    .map(|&(min_score, max_score, candidates)| CrsBucket {
                        min_score,
                        max_score,
                        candidates,
                    })
                    .collect(),
            }),
            ..DrawDraft::default()
        }
        .complete(&Catalog::for_tests())
        .expect("a valid round")
    }

    #[test]
    fn a_score_counts_the_ranges_above_and_spreads_its_own() {
        let d = round(
            "300",
            "2024-05-01",
            &[
                (601, 1200, 100),
                (501, 600, 1000),
                (491, 500, 2000),
                (0, 300, 50),
            ],
        );
        let p = position(495, &d).expect("a distribution");
        assert_eq!((p.range_min, p.range_max, p.range_count), (491, 500, 2000));
        assert_eq!((p.above_at_least, p.above_at_most), (1100, 3100));
        // 2000 over 10 scores, 5 of them (496..=500) above 495.
        assert!((p.above_estimate - 2100.0).abs() < 1e-9);
        assert!((p.share_above - 2100.0 / 3150.0).abs() < 1e-12);
        let top = position(1200, &d).expect("a distribution");
        assert_eq!((top.above_at_least, top.above_estimate), (0, 0.0));
        let bottom = position(0, &d).expect("a distribution");
        assert_eq!(bottom.above_at_least, 3100);
        assert!((bottom.above_estimate - (3100.0 + 50.0 * 300.0 / 301.0)).abs() < 1e-9);
        // A range the distribution leaves out holds no one.
        let gap = position(455, &d).expect("a distribution");
        assert_eq!((gap.range_count, gap.above_at_least), (0, 3100));
    }

    #[test]
    fn the_latest_distribution_on_a_day_and_a_period_oldest_first() {
        let draws = [
            round("1", "2024-01-10", &[(0, 300, 10)]),
            round("2", "2024-01-20", &[]),
            round("3", "2024-02-01", &[(0, 300, 20)]),
        ];
        assert_eq!(
            latest_on(&draws, "2024-01-31".parse().expect("day")).map(|d| d.number.to_string()),
            Some("1".to_owned())
        );
        assert!(latest_on(&draws, "2024-01-09".parse().expect("day")).is_none());
        let (positions, without) = over_period(
            |_| 100,
            &draws,
            "2024-01-01".parse().expect("day"),
            "2024-02-01".parse().expect("day"),
        );
        let rounds: Vec<String> = positions.iter().map(|p| p.round.to_string()).collect();
        assert_eq!((rounds, without), (vec!["1".to_owned(), "3".to_owned()], 1));
    }
}
