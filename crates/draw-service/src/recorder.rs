//! The one write path: every round that reaches the database (RecordDraw, ImportFeed, the feed watcher, the seed at
//! start, the `import` subcommand, the relabelling at start) goes through [`DrawRecorder`], which writes it in one
//! transaction with its events and then wakes this process's event hub.
//!
//! A feed that lists a round number more than once is resolved here before anything is written: the last
//! occurrence in the document wins. So a batch carries each round once, the stored round always equals the round
//! in its latest event, and a round's CREATED event always precedes its UPDATED events.

use std::collections::HashMap;
use std::sync::Arc;

use ee_domain::rules::Rules;
use ee_domain::{Draw, DrawFilter, DrawNumber, ErrorCode, RoundKind, Selection, ServiceError};
use ee_ircc_feed::{FeedError, RoundNames};
use ee_store::{Applied, OnConflict, Store, StoreError};

use crate::live::EventHub;
use crate::metrics_names::ROUNDS_WRITTEN;

/// Why a write failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError for RecordError {
    fn error_code(&self) -> ErrorCode {
        match self {
            RecordError::Feed(e) => e.error_code(),
            RecordError::Store(e) => e.error_code(),
        }
    }

    fn client_message(&self) -> String {
        match self {
            RecordError::Feed(e) => e.client_message(),
            RecordError::Store(e) => e.client_message(),
        }
    }

    fn field_violations(&self) -> Vec<ee_domain::FieldViolation> {
        match self {
            RecordError::Feed(e) => e.field_violations(),
            RecordError::Store(e) => e.field_violations(),
        }
    }
}

/// What importing a feed did.
#[derive(Debug, Clone, Default)]
pub struct FeedImport {
    pub applied: Applied,
    /// Rounds of the feed (after duplicates were dropped) whose type the catalogue does not know.
    pub uncatalogued: usize,
    /// Earlier occurrences of round numbers the feed listed more than once.
    pub duplicates_dropped: usize,
}

/// Writes rounds and tells the live subscribers. Cheap to clone.
#[derive(Clone)]
pub struct DrawRecorder {
    store: Store,
    rules: Arc<Rules>,
    names: Arc<RoundNames>,
    hub: Option<EventHub>,
}

/// Keeps the last occurrence of each round number, in the order of those last occurrences.
pub fn last_occurrence_wins(draws: Vec<Draw>) -> (Vec<Draw>, usize) {
    let mut last: HashMap<DrawNumber, usize> = HashMap::with_capacity(draws.len());
    for (i, d) in draws.iter().enumerate() {
        last.insert(d.number, i);
    }
    let dropped = draws.len() - last.len();
    let kept = draws
        .into_iter()
        .enumerate()
        .filter(|(i, d)| last.get(&d.number) == Some(i))
        .map(|(_, d)| d)
        .collect();
    (kept, dropped)
}

impl DrawRecorder {
    /// A recorder that wakes no event hub: for the seed before the hub starts and for the `import` subcommand.
    pub fn new(store: Store, rules: Arc<Rules>, names: Arc<RoundNames>) -> Self {
        Self {
            store,
            rules,
            names,
            hub: None,
        }
    }

    /// The same recorder, waking `hub` after each write.
    pub fn with_hub(self, hub: EventHub) -> Self {
        Self {
            hub: Some(hub),
            ..self
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn rules(&self) -> &Arc<Rules> {
        &self.rules
    }

    /// Writes a batch in which each round number appears once, then wakes the hub and logs what is uncatalogued.
    async fn write(
        &self,
        draws: Vec<Draw>,
        on_conflict: OnConflict,
    ) -> Result<Applied, StoreError> {
        let applied = self
            .store
            .run(move |s| s.apply(&draws, on_conflict))
            .await?;
        if let Some(hub) = &self.hub {
            hub.announce(&applied);
            // Read-your-writes: the write returns once this replica's history in memory shows it.
            if let Some(last) = applied.events.last() {
                hub.shows(last.id).await;
            }
        }
        metrics::counter!(ROUNDS_WRITTEN, "change" => "created")
            .increment(applied.created.len() as u64);
        metrics::counter!(ROUNDS_WRITTEN, "change" => "updated")
            .increment(applied.updated.len() as u64);
        let changed = applied
            .created
            .iter()
            .chain(applied.updated.iter().map(|(_, d)| d));
        for d in changed.filter(|d| d.round_type.uncatalogued) {
            tracing::warn!(
                round = %d.number,
                label = %d.round_type.name,
                round_type = %describe(&d.round_type.selection),
                "kept a round of a type this release's catalogue does not know; invitations in it cannot be \
                 judged until a release catalogues it"
            );
        }
        Ok(applied)
    }

    /// Records one round given by an operator: identical content is a no-op, different content is
    /// [`StoreError::Conflict`] (corrections come through feeds).
    pub async fn record(&self, draw: Draw) -> Result<Applied, StoreError> {
        let number = draw.number;
        let applied = self.write(vec![draw], OnConflict::Reject).await?;
        tracing::info!(round = %number, created = !applied.created.is_empty(), "recorded a round");
        Ok(applied)
    }

    /// Reads and imports a feed in one transaction: new rounds are created, corrected ones updated.
    pub async fn import_feed(&self, feed: Vec<u8>) -> Result<FeedImport, RecordError> {
        let (rules, names) = (self.rules.clone(), self.names.clone());
        let parsed = self
            .store
            .run(move |_| Ok(ee_ircc_feed::parse_feed(&feed, &rules.catalog, &names)))
            .await??;
        for note in &parsed.notes {
            tracing::warn!(note = %note, "importing a feed");
        }
        let (draws, duplicates_dropped) = last_occurrence_wins(parsed.draws);
        if duplicates_dropped > 0 {
            tracing::warn!(
                duplicates_dropped,
                "the feed lists some round numbers more than once; the last occurrence of each was kept"
            );
        }
        let uncatalogued = draws.iter().filter(|d| d.round_type.uncatalogued).count();
        let applied = self.write(draws, OnConflict::Update).await?;
        tracing::info!(
            created = applied.created.len(),
            updated = applied.updated.len(),
            unchanged = applied.unchanged.len(),
            uncatalogued,
            duplicates_dropped,
            "imported a feed"
        );
        Ok(FeedImport {
            applied,
            uncatalogued,
            duplicates_dropped,
        })
    }

    /// Loads `snapshot` (a feed) when the database holds no round; `None` when it holds some.
    pub async fn seed_if_empty(&self, snapshot: &[u8]) -> Result<Option<FeedImport>, RecordError> {
        if self.store.run(|s| s.count_all()).await? > 0 {
            return Ok(None);
        }
        self.import_feed(snapshot.to_vec()).await.map(Some)
    }

    /// Brings the stored round types in line with this release's catalogue, at start (the feed watcher skips an
    /// unchanged feed, so it cannot wait for the next import): each uncatalogued round whose label the catalogue now
    /// knows gets that type, and each round of a category version the catalogue no longer has is marked
    /// uncatalogued (its rules are unknown to this release). An UPDATED event each.
    pub async fn reconcile_round_types(&self) -> Result<Applied, StoreError> {
        let category_rounds = DrawFilter {
            kind: Some(RoundKind::Category),
            ..DrawFilter::default()
        };
        let (uncatalogued, categories) = self
            .store
            .run(move |s| Ok((s.uncatalogued()?, s.all(&category_rounds)?)))
            .await?;
        let catalog = &self.rules.catalog;
        let lost: Vec<Draw> = categories
            .into_iter()
            .filter(|d| !d.round_type.uncatalogued)
            .filter(|d| d.category().is_some_and(|c| catalog.get(&c.id, c.version).is_none()))
            .map(|mut d| {
                tracing::warn!(
                    round = %d.number,
                    round_type = %describe(&d.round_type.selection),
                    "the catalogue of this release lacks the category version of a stored round: it is now uncatalogued"
                );
                // The type a feed import would give it, so that the next import does not change it again.
                let read = self.names.round_type(&d.round_type.name, d.held_at.date_naive(), catalog);
                if read.uncatalogued {
                    d.round_type.selection = read.selection;
                }
                d.round_type.uncatalogued = true;
                d
            })
            .collect();
        let changed: Vec<Draw> = uncatalogued
            .into_iter()
            .filter_map(|d| self.relabelled(d))
            .chain(lost)
            .collect();
        if changed.is_empty() {
            return Ok(Applied::default());
        }
        let applied = self.write(changed, OnConflict::Update).await?;
        for (before, after) in applied
            .updated
            .iter()
            .filter(|(_, a)| !a.round_type.uncatalogued)
        {
            tracing::info!(
                round = %after.number,
                label = %after.round_type.name,
                from = %describe(&before.round_type.selection),
                to = %describe(&after.round_type.selection),
                "relabelled a round: the catalogue now knows its type"
            );
        }
        Ok(applied)
    }

    /// The round with the type its label has now, if the catalogue now knows it.
    fn relabelled(&self, mut d: Draw) -> Option<Draw> {
        let catalog = &self.rules.catalog;
        let now = self
            .names
            .round_type(&d.round_type.name, d.held_at.date_naive(), catalog);
        if now.uncatalogued {
            return None;
        }
        // Programs that were only the default of the old type become the default of the new one.
        if d.eligible_programs == d.round_type.selection.default_programs() {
            d.eligible_programs = now.selection.default_programs();
        }
        d.round_type.selection = now.selection;
        d.round_type.uncatalogued = false;
        Some(d)
    }
}

/// "category skilled-crafts-occupations v1", "program CEC", "general".
fn describe(s: &Selection) -> String {
    match s {
        Selection::General => "general".into(),
        Selection::Program(p) => format!("program {}", p.code()),
        Selection::Category(c) => format!("category {} v{}", c.id, c.version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ee_domain::{DrawDraft, RoundKind};

    fn draw(number: &str, crs: u32) -> Draw {
        let rules = Rules::builtin().expect("rules");
        DrawDraft {
            number: number.into(),
            held_at: Some("2026-09-02T14:00:00Z".parse().expect("time")),
            kind: Some(RoundKind::General),
            invitations: 100,
            minimum_crs: crs,
            ..DrawDraft::default()
        }
        .complete(&rules.catalog)
        .expect("valid")
    }

    #[test]
    fn the_last_occurrence_of_a_number_wins() {
        let (kept, dropped) = last_occurrence_wins(vec![
            draw("436", 500),
            draw("435", 470),
            draw("436", 480),
            draw("437", 490),
            draw("436", 460),
        ]);
        assert_eq!(dropped, 2);
        let got: Vec<(String, u32)> = kept
            .iter()
            .map(|d| (d.number.to_string(), d.minimum_crs))
            .collect();
        assert_eq!(
            got,
            [
                ("435".into(), 470),
                ("437".into(), 490),
                ("436".into(), 460)
            ]
        );
        assert_eq!(last_occurrence_wins(Vec::new()).1, 0);
    }
}
