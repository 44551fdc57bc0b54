//! The history of rounds as one immutable value: every round, newest first (by time held, then by number, as the
//! store orders them), indexed by number. Reads never change it; a change makes a new one
//! ([`History::with_changes`]), so readers of the old one are never disturbed. The read model in draw-service
//! holds one and swaps it when the event log moves on; eligibility-service reads rounds through [`DrawLookup`].

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::draw::{Draw, DrawNumber, Selection};
use super::filter::DrawFilter;
use crate::model::category_id::CategoryId;
use crate::rules::categories::Catalog;

/// Where a round sorts, newest first: by the time it was held, then by its number's sort key. The page tokens of
/// `ListDraws` carry it, so a page continues the same way on every replica and in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SortKey {
    pub held_at: DateTime<Utc>,
    pub number_key: i64,
}

impl SortKey {
    pub fn of(draw: &Draw) -> Self {
        Self {
            held_at: draw.held_at,
            number_key: draw.number.sort_key(),
        }
    }
}

/// Every round, newest first, indexed by number. Cheap to clone (the rounds are shared).
#[derive(Debug, Clone, Default)]
pub struct History {
    newest_first: Vec<Arc<Draw>>,
    by_number: HashMap<DrawNumber, usize>,
}

impl History {
    pub fn new(draws: impl IntoIterator<Item = Draw>) -> Self {
        Self::from_shared(draws.into_iter().map(Arc::new).collect())
    }

    fn from_shared(mut draws: Vec<Arc<Draw>>) -> Self {
        draws.sort_unstable_by_key(|d| std::cmp::Reverse(SortKey::of(d)));
        let by_number = draws
            .iter()
            .enumerate()
            .map(|(i, d)| (d.number, i))
            .collect();
        Self {
            newest_first: draws,
            by_number,
        }
    }

    pub fn len(&self) -> usize {
        self.newest_first.len()
    }

    pub fn is_empty(&self) -> bool {
        self.newest_first.is_empty()
    }

    pub fn get(&self, number: &DrawNumber) -> Option<&Arc<Draw>> {
        self.by_number.get(number).map(|&i| &self.newest_first[i])
    }

    /// The rounds the filter selects, newest first.
    pub fn matching<'a>(&'a self, filter: &'a DrawFilter) -> impl Iterator<Item = &'a Arc<Draw>> {
        self.newest_first.iter().filter(|d| filter.matches(d))
    }

    /// Up to `limit` rounds the filter selects, newest first, starting after the round with the key `after`.
    pub fn page(
        &self,
        filter: &DrawFilter,
        after: Option<SortKey>,
        limit: usize,
    ) -> Vec<&Arc<Draw>> {
        let start = after.map_or(0, |key| {
            // Newest first: the rounds that sort after `key` are the ones whose key is smaller.
            self.newest_first.partition_point(|d| SortKey::of(d) >= key)
        });
        self.newest_first[start..]
            .iter()
            .filter(|d| filter.matches(d))
            .take(limit)
            .collect()
    }

    /// Without a filter (every ListDraws that asks for none) the count is the length: counting by filter would walk
    /// the whole history on every page.
    pub fn count(&self, filter: &DrawFilter) -> usize {
        if *filter == DrawFilter::default() {
            return self.newest_first.len();
        }
        self.newest_first
            .iter()
            .filter(|d| filter.matches(d))
            .count()
    }

    /// The newest round the filter selects.
    pub fn latest(&self, filter: &DrawFilter) -> Option<&Arc<Draw>> {
        self.newest_first.iter().find(|d| filter.matches(d))
    }

    /// Whether some round is of this category (catalogued or derived from a label).
    pub fn has_category(&self, id: &CategoryId) -> bool {
        self.newest_first
            .iter()
            .any(|d| matches!(&d.round_type.selection, Selection::Category(c) if &c.id == id))
    }

    /// A new history in which each of `changed` replaces the round of its number, or is added.
    pub fn with_changes(&self, changed: impl IntoIterator<Item = Draw>) -> Self {
        let mut draws = self.newest_first.clone();
        let mut by_number = self.by_number.clone();
        for draw in changed {
            match by_number.get(&draw.number) {
                Some(&i) => draws[i] = Arc::new(draw),
                None => {
                    by_number.insert(draw.number, draws.len());
                    draws.push(Arc::new(draw));
                }
            }
        }
        Self::from_shared(draws)
    }
}

/// Rounds by number and by filter, wherever they are kept.
pub trait DrawLookup: Send + Sync {
    fn draw(&self, number: &DrawNumber) -> Option<Arc<Draw>>;
    /// Every round the filter selects, newest first.
    fn draws(&self, filter: &DrawFilter) -> Vec<Arc<Draw>>;
    /// Whether some round is of this category (catalogued or derived from a label).
    fn has_category(&self, id: &CategoryId) -> bool;
}

/// Whether a round filter may name the category `id`: one the catalogue knows, or one derived from the label of a
/// round of an uncatalogued category. An id in the derived form (words joined by hyphens, which catalogue ids never
/// have) is accepted before any round of it exists, so that a subscriber can wait for the first one; another unknown
/// id must be the derived id of some round `draws` holds. Err is the description of the refusal.
pub fn check_filter_category(
    id: &CategoryId,
    catalog: &Catalog,
    draws: &dyn DrawLookup,
) -> Result<(), String> {
    if catalog.contains(id) || id.as_str().contains('-') || draws.has_category(id) {
        return Ok(());
    }
    let known: Vec<&str> = catalog.ids().map(CategoryId::as_str).collect();
    Err(format!(
        "unknown category {:?}: the catalogue knows {}; a category it does not know is named by the id derived \
         from IRCC's label (its words joined by hyphens, such as \"skilled-crafts-occupations\")",
        id.as_str(),
        known.join(", ")
    ))
}

impl DrawLookup for History {
    fn draw(&self, number: &DrawNumber) -> Option<Arc<Draw>> {
        self.get(number).cloned()
    }

    fn draws(&self, filter: &DrawFilter) -> Vec<Arc<Draw>> {
        self.matching(filter).cloned().collect()
    }

    fn has_category(&self, id: &CategoryId) -> bool {
        History::has_category(self, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rounds::draw::{CategoryRef, RoundKind, RoundType};

    fn draw(number: &str, day: u32, selection: Selection) -> Draw {
        Draw {
            number: DrawNumber::parse(number).expect("number"),
            held_at: DateTime::parse_from_rfc3339(&format!("2024-01-{day:02}T12:00:00Z"))
                .expect("time")
                .to_utc(),
            round_type: RoundType {
                selection,
                name: String::new(),
                uncatalogued: false,
            },
            invitations: 100,
            minimum_crs: 400 + day,
            tie_break_at: None,
            eligible_programs: Vec::new(),
            pool_distribution: None,
        }
    }

    fn numbers<'a>(draws: impl IntoIterator<Item = &'a Arc<Draw>>) -> Vec<String> {
        draws.into_iter().map(|d| d.number.to_string()).collect()
    }

    fn healthcare() -> Selection {
        Selection::Category(CategoryRef {
            id: CategoryId::parse("healthcare").expect("id"),
            version: 1,
        })
    }

    #[test]
    fn pages_newest_first_and_changes_make_a_new_history() {
        let history = History::new([
            draw("1", 1, Selection::General),
            draw("3", 3, healthcare()),
            draw("2", 2, Selection::General),
            draw("91a", 2, Selection::General),
        ]);
        let all = DrawFilter::default();
        assert_eq!(numbers(history.matching(&all)), ["3", "91a", "2", "1"]);
        let first = history.page(&all, None, 2);
        assert_eq!(numbers(first.iter().copied()), ["3", "91a"]);
        let after = SortKey::of(first[1]);
        assert_eq!(numbers(history.page(&all, Some(after), 10)), ["2", "1"]);
        assert_eq!(history.count(&all), 4);
        let general = DrawFilter {
            kind: Some(RoundKind::General),
            ..DrawFilter::default()
        };
        assert_eq!(
            history.count(&general),
            3,
            "a filter still counts what it selects"
        );

        let moved =
            history.with_changes([draw("3", 1, Selection::General), draw("4", 4, healthcare())]);
        assert_eq!(numbers(moved.matching(&all)), ["4", "91a", "2", "3", "1"]);
        assert_eq!(
            numbers(history.matching(&all)),
            ["3", "91a", "2", "1"],
            "the old one is unchanged"
        );
        let id = CategoryId::parse("healthcare").expect("id");
        assert!(history.has_category(&id) && moved.has_category(&id));
        assert_eq!(
            moved
                .get(&DrawNumber::parse("3").expect("n"))
                .map(|d| d.minimum_crs),
            Some(401)
        );
    }
}
