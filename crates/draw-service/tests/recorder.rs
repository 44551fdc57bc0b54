//! The write path against a real database: a release whose catalogue lacks a category version that stored rounds
//! have marks those rounds uncatalogued at start, and the release that knows it again relabels them back.

mod reconcile {
    use std::sync::Arc;

    use ee_domain::rules::{RuleSources, Rules};
    use ee_draw_service::DrawRecorder;
    use ee_ircc_feed::{BUILTIN_ROUND_NAMES, RoundNames};
    use ee_test_support::{Backend, TestDb, on_both_backends};
    use serde_json::Value;

    /// The shipped rules, or the shipped rules without the category `education`.
    fn release(without_education: bool) -> (Arc<Rules>, Arc<RoundNames>) {
        let builtin = RuleSources::builtin();
        let mut categories: Value = serde_json::from_str(builtin.categories).expect("categories");
        let mut names: Value = serde_json::from_str(BUILTIN_ROUND_NAMES).expect("round names");
        if without_education {
            categories["categories"]
                .as_array_mut()
                .expect("list")
                .retain(|c| c["id"] != "education");
            names["categories"]
                .as_object_mut()
                .expect("map")
                .remove("education");
        }
        let categories = categories.to_string();
        let rules = Rules::load(&RuleSources {
            categories: &categories,
            ..builtin
        })
        .expect("rules");
        let names = RoundNames::from_json(&names.to_string(), &rules.catalog).expect("names");
        (Arc::new(rules), Arc::new(names))
    }

    async fn recorder(db: &TestDb, without_education: bool) -> DrawRecorder {
        let store = ee_store::Store::open(&db.url, 2, ee_store::DEFAULT_CONNECT_TIMEOUT)
            .await
            .expect("store");
        store.run(|s| s.migrate()).await.expect("migrate");
        let (rules, names) = release(without_education);
        DrawRecorder::new(store, rules, names)
    }

    async fn a_catalogue_that_lacks_a_stored_category_marks_its_rounds_uncatalogued(
        backend: Backend,
    ) {
        let db = TestDb::new(backend);
        let shipped = recorder(&db, false).await;
        shipped
            .seed_if_empty(ee_ircc_feed::SHIPPED_SNAPSHOT)
            .await
            .expect("seed")
            .expect("empty at first");
        assert!(
            shipped
                .reconcile_round_types()
                .await
                .expect("reconcile")
                .events
                .is_empty()
        );

        let older = recorder(&db, true).await;
        let lost = older.reconcile_round_types().await.expect("reconcile");
        let mut numbers: Vec<String> = lost
            .updated
            .iter()
            .map(|(_, d)| d.number.to_string())
            .collect();
        numbers.sort();
        assert_eq!(numbers, ["344", "367"], "the education rounds");
        assert!(
            lost.updated
                .iter()
                .all(|(before, after)| !before.round_type.uncatalogued
                    && after.round_type.uncatalogued
                    && after.category().map(|c| c.id.as_str()) == Some("education-occupations"))
        );
        assert_eq!(lost.events.len(), 2);
        // The type a feed import gives them too: importing the feed changes nothing more.
        let again = older
            .import_feed(ee_ircc_feed::SHIPPED_SNAPSHOT.to_vec())
            .await
            .expect("import");
        assert!(
            again.applied.updated.is_empty(),
            "{:?}",
            again.applied.updated
        );
        assert!(
            older
                .reconcile_round_types()
                .await
                .expect("again")
                .events
                .is_empty(),
            "once"
        );

        let back = shipped.reconcile_round_types().await.expect("reconcile");
        assert_eq!(
            back.updated.len(),
            2,
            "relabelled by the release that knows education"
        );
        assert!(
            back.updated
                .iter()
                .all(|(_, after)| !after.round_type.uncatalogued)
        );
    }

    on_both_backends!(a_catalogue_that_lacks_a_stored_category_marks_its_rounds_uncatalogued);
}
