//! Figures over sets of rounds.

use std::collections::BTreeMap;

use chrono::Datelike;

use super::draw::{Draw, Selection};

/// Count, invitations and minimum CRS figures over a set of rounds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DrawStats {
    pub draw_count: u32,
    pub invitations_total: u64,
    /// 0 when there is no round.
    pub minimum_crs_lowest: u32,
    /// 0 when there is no round.
    pub minimum_crs_highest: u32,
    /// The mean of the rounds' minimum CRS, each round counting once; 0 when there is no round.
    pub minimum_crs_mean: f64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Accumulator {
    count: u32,
    invitations: u64,
    lowest: Option<u32>,
    highest: u32,
    crs_sum: u64,
}

impl Accumulator {
    fn add(&mut self, d: &Draw) {
        self.count += 1;
        self.invitations += u64::from(d.invitations);
        self.lowest = Some(self.lowest.map_or(d.minimum_crs, |l| l.min(d.minimum_crs)));
        self.highest = self.highest.max(d.minimum_crs);
        self.crs_sum += u64::from(d.minimum_crs);
    }

    fn finish(self) -> DrawStats {
        DrawStats {
            draw_count: self.count,
            invitations_total: self.invitations,
            minimum_crs_lowest: self.lowest.unwrap_or(0),
            minimum_crs_highest: self.highest,
            minimum_crs_mean: if self.count == 0 {
                0.0
            } else {
                self.crs_sum as f64 / f64::from(self.count)
            },
        }
    }
}

/// Figures over a set of rounds: overall, by calendar year (UTC), and by round type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatsReport {
    pub overall: DrawStats,
    /// Oldest year first.
    pub by_year: Vec<(i32, DrawStats)>,
    /// Ordered by kind, program, category and version; uncatalogued types after catalogued ones of the same key.
    pub by_round_type: Vec<(RoundTypeGroup, DrawStats)>,
}

/// The rounds of one round type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RoundTypeGroup {
    pub selection: Selection,
    pub uncatalogued: bool,
    /// For an uncatalogued type: the label of its latest round (the catalogue has no name for it).
    pub label: Option<String>,
}

impl StatsReport {
    pub fn over<'a>(draws: impl IntoIterator<Item = &'a Draw>) -> Self {
        let mut overall = Accumulator::default();
        let mut years: BTreeMap<i32, Accumulator> = BTreeMap::new();
        // Uncatalogued general rounds have nothing but their label to tell their types apart.
        type Key = (Selection, bool, Option<String>);
        let mut types: BTreeMap<Key, (Accumulator, Option<&Draw>)> = BTreeMap::new();
        for d in draws {
            overall.add(d);
            years.entry(d.held_at.year()).or_default().add(d);
            let rt = &d.round_type;
            let (acc, latest) = types
                .entry((
                    rt.selection.clone(),
                    rt.uncatalogued,
                    (rt.uncatalogued && rt.selection == Selection::General)
                        .then(|| rt.name.clone()),
                ))
                .or_default();
            acc.add(d);
            if latest.is_none_or(|l| (l.held_at, l.number) < (d.held_at, d.number)) {
                *latest = Some(d);
            }
        }
        Self {
            overall: overall.finish(),
            by_year: years.into_iter().map(|(y, a)| (y, a.finish())).collect(),
            by_round_type: types
                .into_iter()
                .map(|((selection, uncatalogued, _), (a, latest))| {
                    let label = latest
                        .filter(|_| uncatalogued)
                        .map(|d| d.round_type.name.clone());
                    let group = RoundTypeGroup {
                        selection,
                        uncatalogued,
                        label,
                    };
                    (group, a.finish())
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::program::Program;
    use crate::rounds::draw::{DrawDraft, RoundKind};
    use crate::rules::categories::Catalog;

    fn draw(number: &str, at: &str, kind: RoundKind, invitations: u32, crs: u32) -> Draw {
        DrawDraft {
            number: number.into(),
            held_at: Some(at.parse().expect("time")),
            kind: Some(kind),
            program: (kind == RoundKind::Program).then_some(Program::Cec),
            invitations,
            minimum_crs: crs,
            ..DrawDraft::default()
        }
        .complete(&Catalog::for_tests())
        .expect("valid")
    }

    #[test]
    fn empty_set_has_zero_figures() {
        let r = StatsReport::over(&[]);
        assert_eq!(r.overall, DrawStats::default());
        assert!(r.by_year.is_empty() && r.by_round_type.is_empty());
    }

    #[test]
    fn figures_group_by_year_and_round_type() {
        let draws = [
            draw("1", "2022-12-31T23:59:59Z", RoundKind::General, 1000, 500),
            draw("2", "2023-01-01T00:00:00Z", RoundKind::Program, 300, 400),
            draw("3", "2023-06-01T12:00:00Z", RoundKind::General, 2000, 481),
        ];
        let r = StatsReport::over(&draws);
        assert_eq!(r.overall.draw_count, 3);
        assert_eq!(r.overall.invitations_total, 3300);
        assert_eq!(
            (r.overall.minimum_crs_lowest, r.overall.minimum_crs_highest),
            (400, 500)
        );
        assert!((r.overall.minimum_crs_mean - 460.333).abs() < 0.001);
        assert_eq!(
            r.by_year
                .iter()
                .map(|(y, s)| (*y, s.draw_count))
                .collect::<Vec<_>>(),
            [(2022, 1), (2023, 2)]
        );
        assert_eq!(r.by_round_type[0].0.selection, Selection::General);
        assert_eq!(r.by_round_type[0].1.invitations_total, 3000);
        assert_eq!(
            r.by_round_type[1].0.selection,
            Selection::Program(Program::Cec)
        );
    }
}
