//! IRCC's feed as it will be: a round of a category nobody has catalogued yet is kept, served, filterable by the id
//! derived from its label, announced, judged UNDETERMINED, and relabelled (an UPDATED event) once a release's
//! catalogue knows the category; a feed naming a round twice keeps the last occurrence, and the stored round, the
//! listing and the last event agree.

use std::time::Duration;

use ee_proto::v1::{
    CheckInvitationRequest, DrawEvent, DrawEventKind, DrawFilter, GetDrawStatsRequest,
    GetLatestDrawRequest, ImportFeedRequest, ImportFeedResponse, InvitationOutcome,
    ListDrawsRequest, RoundKind, SubscribeDrawsRequest,
};
use ee_test_support::fixtures::{SNAPSHOT_2026, snapshot};
use ee_test_support::ircc::{RulesDir, feed, feed_round};
use ee_test_support::status::{expect_invalid, get};
use ee_test_support::streams::{events, next_event, number, quiet, subscribe};
use ee_test_support::{Backend, FeedServer, TestApp, authorized, on_both_backends};
use serde_json::Value;

const CRAFTS_LABEL: &str = "Skilled Crafts Occupations, 2026-Version 1";
const CRAFTS_DERIVED_ID: &str = "skilled-crafts-occupations";

/// IRCC's 2026 feed with `newer` rounds listed before its own, newest first as IRCC lists them.
fn feed_with(newer: &[Value]) -> Vec<u8> {
    let mut doc: Value = serde_json::from_slice(&snapshot(SNAPSHOT_2026)).expect("json");
    let rounds = doc["rounds"].as_array_mut().expect("rounds");
    for (i, r) in newer.iter().enumerate() {
        rounds.insert(i, r.clone());
    }
    serde_json::to_vec(&doc).expect("json")
}

fn crafts_round() -> Value {
    feed_round(
        "435",
        "2026-09-02",
        "September 2, 2026 at 14:00:00 UTC",
        CRAFTS_LABEL,
        1200,
        455,
    )
}

async fn import(app: &TestApp, feed_json: Vec<u8>) -> ImportFeedResponse {
    app.draws()
        .await
        .import_feed(authorized(ImportFeedRequest { feed_json }))
        .await
        .expect("ImportFeed")
        .into_inner()
}

fn date(year: i32, month: i32, day: i32) -> Option<ee_proto::v1::Date> {
    Some(ee_proto::v1::Date { year, month, day })
}

/// A software engineer of 30 with a master's, CLB 10 and four years of work abroad: CRS 476 in September 2026,
/// above round 435's minimum of 455, and no carpenter.
fn someone() -> ee_proto::v1::CandidateProfile {
    use ee_proto::v1::{
        EducationLevel, LanguageResult, LanguageScores, LanguageTest, WorkExperience,
    };
    ee_proto::v1::CandidateProfile {
        date_of_birth: date(1996, 1, 1),
        education: EducationLevel::Masters as i32,
        education_assessed: true,
        first_language: Some(LanguageResult {
            test: LanguageTest::Clb as i32,
            scores: Some(LanguageScores {
                reading: 10.0,
                writing: 10.0,
                listening: 10.0,
                speaking: 10.0,
            }),
            test_date: None,
        }),
        work_history: vec![WorkExperience {
            noc_code: "21231".into(),
            start: date(2022, 6, 1),
            end: date(2026, 8, 31),
            hours_per_week: 40.0,
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Whether [`someone`] would have been invited in round 435.
async fn invitation_in_435(app: &TestApp) -> ee_proto::v1::CheckInvitationResponse {
    app.eligibility()
        .await
        .check_invitation(CheckInvitationRequest {
            profile: Some(someone()),
            draw_number: "435".into(),
        })
        .await
        .expect("CheckInvitation")
        .into_inner()
}

fn crafts() -> Option<DrawFilter> {
    Some(DrawFilter {
        category_id: CRAFTS_DERIVED_ID.into(),
        ..Default::default()
    })
}

fn round_type(e: &DrawEvent) -> ee_proto::v1::RoundType {
    e.draw
        .as_ref()
        .and_then(|d| d.round_type.clone())
        .expect("round type")
}

async fn a_round_of_a_category_nobody_catalogued_is_kept_and_relabelled_later(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut live = subscribe(&app, None, None).await;
    let mut only_crafts = subscribe(&app, None, crafts()).await;
    let astronauts = feed_round(
        "436",
        "2026-09-03",
        "Thursday, September 3, 2026 at 2:00 p.m. UTC",
        "Astronaut Invitations",
        50,
        700,
    );
    let r = import(&app, feed_with(&[astronauts, crafts_round()])).await;
    assert_eq!(
        (
            r.created,
            r.updated,
            r.unchanged,
            r.uncatalogued,
            r.duplicates_dropped
        ),
        (2, 0, 435, 2, 0)
    );

    let mut client = app.draws().await;
    let stored = get(&mut client, "435").await;
    let rt = stored.round_type.clone().expect("round type");
    assert_eq!(rt.kind(), RoundKind::Category);
    assert_eq!(
        (
            rt.category_id.as_str(),
            rt.category_version,
            rt.uncatalogued
        ),
        (CRAFTS_DERIVED_ID, 1, true)
    );
    assert_eq!(rt.name, CRAFTS_LABEL);
    assert_eq!((stored.invitations, stored.minimum_crs), (1200, 455));
    let other = get(&mut client, "436")
        .await
        .round_type
        .expect("round type");
    assert_eq!(
        (other.kind(), other.uncatalogued),
        (RoundKind::General, true)
    );

    let listed = client
        .list_draws(ListDrawsRequest {
            filter: crafts(),
            ..Default::default()
        })
        .await
        .expect("ListDraws by the derived id")
        .into_inner();
    assert_eq!((listed.total_size, listed.draws.len()), (1, 1));
    assert_eq!(listed.draws[0], stored);
    let latest = client
        .get_latest_draw(GetLatestDrawRequest { filter: crafts() })
        .await
        .expect("GetLatestDraw by the derived id")
        .into_inner();
    assert_eq!(latest.draw.as_ref(), Some(&stored));
    let stats = client
        .get_draw_stats(GetDrawStatsRequest { filter: None })
        .await
        .expect("GetDrawStats")
        .into_inner();
    let group = stats
        .by_round_type
        .iter()
        .find(|g| {
            g.round_type
                .as_ref()
                .is_some_and(|t| t.category_id == CRAFTS_DERIVED_ID)
        })
        .expect("a group of its own");
    let group_type = group.round_type.as_ref().expect("type");
    assert!(group_type.uncatalogued);
    assert_eq!(group_type.name, CRAFTS_LABEL);

    // Announced like any round, to every subscriber and to those of its derived id.
    let got = events(&mut live, 2).await;
    assert!(got.iter().all(|e| e.kind() == DrawEventKind::Created));
    let created = got
        .iter()
        .find(|e| number(e) == "435")
        .expect("435 announced");
    assert_eq!(created.draw.as_ref(), Some(&stored));
    assert_eq!(number(&next_event(&mut only_crafts).await), "435");

    // A derived id is accepted before any round of it exists; an unknown id of another form is a mistake.
    let filtered = |id: &str| SubscribeDrawsRequest {
        after_event_id: None,
        filter: Some(DrawFilter {
            category_id: id.into(),
            ..Default::default()
        }),
    };
    client
        .subscribe_draws(filtered("arctic-occupations"))
        .await
        .expect("a derived id with no round yet");
    expect_invalid(
        client.subscribe_draws(filtered("plumbers")).await,
        "filter.category_id",
    );

    // Its rules are unknown: invitations in it cannot be judged.
    let check = invitation_in_435(&app).await;
    assert_eq!(check.crs.as_ref().map(|c| c.total), Some(476));
    assert_eq!(check.outcome(), InvitationOutcome::Undetermined);
    assert!(
        check
            .reasons
            .iter()
            .any(|r| r.code == "ROUND_TYPE_UNKNOWN" && r.message.contains(CRAFTS_LABEL)),
        "{:?}",
        check.reasons
    );

    // A later release whose catalogue knows the category relabels the round at start: one UPDATED event.
    let last_seen = got.iter().map(|e| e.event_id).max().expect("events");
    let rules = RulesDir::with_category(
        "skilled_crafts",
        "Skilled crafts occupations",
        "Skilled Crafts Occupations",
        "2026-09-01",
    );
    let upgraded = app
        .replica(|s| s.rules_dir = Some(rules.path.clone()))
        .await;
    let mut resumed = subscribe(&upgraded, Some(last_seen), None).await;
    let update = next_event(&mut resumed).await;
    assert_eq!(
        (number(&update), update.kind()),
        ("435", DrawEventKind::Updated)
    );
    let after = round_type(&update);
    assert_eq!(
        (
            after.category_id.as_str(),
            after.category_version,
            after.uncatalogued
        ),
        ("skilled_crafts", 1, false)
    );
    assert_eq!(after.name, CRAFTS_LABEL, "IRCC's label is kept");
    let before = update
        .previous
        .as_ref()
        .and_then(|p| p.round_type.clone())
        .expect("previous");
    assert!(before.uncatalogued);
    quiet(&mut resumed, Duration::from_millis(500)).await;
    let relabelled = get(&mut upgraded.draws().await, "435").await;
    assert_eq!(
        Some(&relabelled),
        update.draw.as_ref(),
        "the stored round is the one of its latest event"
    );
    let judged = invitation_in_435(&upgraded).await;
    assert_eq!(
        judged.outcome(),
        InvitationOutcome::NotInvited,
        "judged by the category's rules"
    );

    // Another start with the same release relabels nothing more.
    let again = app
        .replica(|s| s.rules_dir = Some(rules.path.clone()))
        .await;
    let mut from_there = subscribe(&again, Some(update.event_id), None).await;
    quiet(&mut from_there, Duration::from_millis(500)).await;
}

async fn the_feed_watcher_keeps_polling_through_a_category_nobody_catalogued(backend: Backend) {
    let feed_server = FeedServer::start(200, feed_with(&[crafts_round()])).await;
    let app = TestApp::spawn_with(backend, |s| {
        s.ircc_feed_url = Some(feed_server.url.clone());
        s.ircc_feed_interval = Duration::from_millis(200);
    })
    .await;
    let mut stream = subscribe(&app, Some(435), None).await;
    let first = next_event(&mut stream).await;
    assert_eq!(number(&first), "435");
    assert!(round_type(&first).uncatalogued);
    // The next round IRCC publishes, a general one, is recorded too: the watcher did not stall on the unknown type.
    let next = feed_round(
        "436",
        "2026-09-16",
        "September 16, 2026 at 15:30:00 UTC",
        "General",
        3000,
        470,
    );
    feed_server.serve(200, feed_with(&[next, crafts_round()]));
    let second = next_event(&mut stream).await;
    assert_eq!(
        (number(&second), second.kind()),
        ("436", DrawEventKind::Created)
    );
    assert!(!round_type(&second).uncatalogued);
    let polls = feed_server.requests();
    quiet(&mut stream, Duration::from_millis(800)).await;
    assert!(feed_server.requests() > polls, "the watcher keeps polling");
}

async fn the_feed_watcher_refuses_a_body_over_its_cap_and_polls_on(backend: Backend) {
    // A readable feed with a new round, padded to 17 MiB: over the 16 MiB cap. The watcher stops reading there,
    // writes nothing (the round is not announced) and polls again.
    let mut doc: Value = serde_json::from_slice(&feed_with(&[crafts_round()])).expect("json");
    doc["pad"] = Value::String(" ".repeat(17 << 20));
    let huge = serde_json::to_vec(&doc).expect("json");
    let feed_server = FeedServer::start(200, huge).await;
    let app = TestApp::spawn_with(backend, |s| {
        s.ircc_feed_url = Some(feed_server.url.clone());
        s.ircc_feed_interval = Duration::from_millis(200);
    })
    .await;
    let mut stream = subscribe(&app, Some(435), None).await;
    while feed_server.requests() < 2 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    quiet(&mut stream, Duration::from_millis(500)).await;
    feed_server.serve(200, feed_with(&[crafts_round()]));
    assert_eq!(number(&next_event(&mut stream).await), "435");
}

async fn a_feed_naming_a_round_twice_keeps_the_last_occurrence(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut stream = subscribe(&app, Some(435), None).await;
    let round = |crs: u32| {
        feed_round(
            "435",
            "2026-09-02",
            "September 2, 2026 at 14:00:00 UTC",
            "General",
            2000,
            crs,
        )
    };
    // The document lists 435 three times; the last occurrence (CRS 471) wins.
    let r = import(&app, feed_with(&[round(490), round(480), round(471)])).await;
    assert_eq!((r.created, r.updated, r.duplicates_dropped), (1, 0, 2));
    let mut client = app.draws().await;
    let stored = get(&mut client, "435").await;
    assert_eq!(stored.minimum_crs, 471);
    let listed = client
        .list_draws(ListDrawsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("ListDraws")
        .into_inner();
    assert_eq!(listed.draws.first(), Some(&stored));
    let created = next_event(&mut stream).await;
    assert_eq!(
        (number(&created), created.kind()),
        ("435", DrawEventKind::Created)
    );
    assert_eq!(
        created.draw.as_ref(),
        Some(&stored),
        "the event carries the stored round"
    );
    quiet(&mut stream, Duration::from_millis(300)).await;

    // A correction listed twice: one UPDATED event, after the CREATED one, carrying the last occurrence.
    let r = import(&app, feed(&[round(475), round(476)])).await;
    assert_eq!((r.created, r.updated, r.duplicates_dropped), (0, 1, 1));
    let updated = next_event(&mut stream).await;
    assert_eq!(
        (number(&updated), updated.kind()),
        ("435", DrawEventKind::Updated)
    );
    assert!(updated.event_id > created.event_id);
    let stored = get(&mut client, "435").await;
    assert_eq!(stored.minimum_crs, 476);
    assert_eq!(updated.draw.as_ref(), Some(&stored));
    assert_eq!(updated.previous.as_ref().map(|p| p.minimum_crs), Some(471));
    quiet(&mut stream, Duration::from_millis(300)).await;
}

on_both_backends!(
    a_round_of_a_category_nobody_catalogued_is_kept_and_relabelled_later,
    the_feed_watcher_keeps_polling_through_a_category_nobody_catalogued,
    a_feed_naming_a_round_twice_keeps_the_last_occurrence,
    the_feed_watcher_refuses_a_body_over_its_cap_and_polls_on,
);
