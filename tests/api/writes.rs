//! The operator's writes: recording a round, importing IRCC's feed, and the operator token.

use ee_proto::v1::{
    Draw, GetDrawRequest, GetDrawStatsRequest, ImportFeedRequest, ImportFeedResponse,
    RecordDrawRequest, RoundKind, RoundType,
};
use ee_test_support::fixtures::{
    SNAPSHOT_2024, SNAPSHOT_2026, at, category, round, snapshot, time,
};
use ee_test_support::status::{bad_fields, expect_code, expect_invalid, get};
use ee_test_support::{Backend, TestApp, authorized, on_both_backends, with_token};
use tonic::{Code, Request};

/// The round of the README's example.
fn new_round() -> Draw {
    Draw {
        invitations: 2500,
        minimum_crs: 462,
        tie_break_at: at("2026-03-01T09:30:00Z"),
        ..round("435", category("healthcare"), time("2026-08-20T14:00:00Z"))
    }
}

async fn total(app: &TestApp) -> u32 {
    app.draws()
        .await
        .get_draw_stats(GetDrawStatsRequest { filter: None })
        .await
        .expect("GetDrawStats")
        .into_inner()
        .draw_count
}

async fn recording_a_round_is_idempotent_and_refuses_conflicts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    let recorded = client
        .record_draw(authorized(RecordDrawRequest {
            draw: Some(new_round()),
        }))
        .await
        .expect("RecordDraw")
        .into_inner();
    assert!(recorded.created);
    let stored = recorded.draw.expect("draw");
    let rt = stored.round_type.clone().expect("round type");
    assert_eq!(
        (rt.category_id.as_str(), rt.category_version),
        ("healthcare", 3),
        "the version in force"
    );
    assert_eq!(
        rt.name,
        "Healthcare and social services occupations (Version 3)"
    );
    assert_eq!(stored.eligible_programs.len(), 3);

    let fetched = get(&mut client, "435").await;
    assert_eq!(fetched, stored);

    let again = client
        .record_draw(authorized(RecordDrawRequest {
            draw: Some(new_round()),
        }))
        .await
        .expect("RecordDraw again")
        .into_inner();
    assert!(!again.created, "identical content: success, not created");

    let changed = Draw {
        minimum_crs: 470,
        ..new_round()
    };
    let s = expect_code(
        client
            .record_draw(authorized(RecordDrawRequest {
                draw: Some(changed),
            }))
            .await,
        Code::AlreadyExists,
    );
    assert!(s.message().contains("435"), "{s:?}");
    assert_eq!(total(&app).await, 436);
}

async fn invalid_rounds_name_the_field_and_write_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    let cases: Vec<(Draw, &str)> = vec![
        (
            Draw {
                held_at: None,
                ..new_round()
            },
            "draw.held_at",
        ),
        (
            Draw {
                invitations: 0,
                ..new_round()
            },
            "draw.invitations",
        ),
        (
            Draw {
                minimum_crs: 1201,
                ..new_round()
            },
            "draw.minimum_crs",
        ),
        (
            Draw {
                number: "4x5".into(),
                ..new_round()
            },
            "draw.number",
        ),
        (
            Draw {
                round_type: Some(RoundType {
                    kind: RoundKind::Category as i32,
                    category_id: "astronauts".into(),
                    ..Default::default()
                }),
                ..new_round()
            },
            "draw.round_type.category_id",
        ),
        (
            Draw {
                round_type: Some(RoundType {
                    kind: RoundKind::Category as i32,
                    category_id: "stem".into(),
                    category_version: 9,
                    ..Default::default()
                }),
                ..new_round()
            },
            "draw.round_type.category_version",
        ),
        (
            Draw {
                round_type: None,
                ..new_round()
            },
            "draw.round_type.kind",
        ),
        (
            Draw {
                tie_break_at: at("2027-01-01T00:00:00Z"),
                ..new_round()
            },
            "draw.tie_break_at",
        ),
        (
            Draw {
                round_type: Some(RoundType {
                    name: "x".repeat(3_000_000),
                    ..new_round().round_type.expect("type")
                }),
                ..new_round()
            },
            "draw.round_type.name",
        ),
        (
            Draw {
                pool_distribution: Some(ee_proto::v1::PoolDistribution {
                    as_of: Some(ee_proto::v1::Date {
                        year: 2026,
                        month: 8,
                        day: 20,
                    }),
                    buckets: vec![
                        ee_proto::v1::CrsBucket {
                            min_score: 0,
                            max_score: 1200,
                            candidates: 1,
                        };
                        3
                    ],
                    total_candidates: 3,
                }),
                ..new_round()
            },
            "draw.pool_distribution.buckets[0]",
        ),
    ];
    for (draw, field) in cases {
        expect_invalid(
            client
                .record_draw(authorized(RecordDrawRequest { draw: Some(draw) }))
                .await,
            field,
        );
    }
    let s = expect_invalid(
        client
            .record_draw(authorized(RecordDrawRequest {
                draw: Some(Draw {
                    held_at: None,
                    invitations: 0,
                    minimum_crs: 5000,
                    ..new_round()
                }),
            }))
            .await,
        "draw.held_at",
    );
    assert_eq!(
        bad_fields(&s),
        ["draw.held_at", "draw.invitations", "draw.minimum_crs"],
        "every field at once"
    );
    // A field the wire cannot read does not hide the others.
    let s = expect_invalid(
        client
            .record_draw(authorized(RecordDrawRequest {
                draw: Some(Draw {
                    held_at: Some(prost_types::Timestamp {
                        seconds: i64::MAX / 2,
                        nanos: 0,
                    }),
                    invitations: 0,
                    round_type: None,
                    ..new_round()
                }),
            }))
            .await,
        "draw.held_at",
    );
    assert_eq!(
        bad_fields(&s),
        ["draw.held_at", "draw.invitations", "draw.round_type.kind"],
        "every field at once"
    );
    expect_invalid(
        client
            .record_draw(authorized(RecordDrawRequest { draw: None }))
            .await,
        "draw",
    );
    expect_code(
        client
            .get_draw(GetDrawRequest {
                number: "435".into(),
            })
            .await,
        Code::NotFound,
    );
    assert_eq!(total(&app).await, 435);
}

async fn writes_need_the_operator_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    let s = expect_code(
        client
            .record_draw(Request::new(RecordDrawRequest {
                draw: Some(new_round()),
            }))
            .await,
        Code::Unauthenticated,
    );
    assert!(s.message().contains("authorization: Bearer"), "{s:?}");
    expect_code(
        client
            .record_draw(with_token(
                RecordDrawRequest {
                    draw: Some(new_round()),
                },
                "wrong-token",
            ))
            .await,
        Code::Unauthenticated,
    );
    expect_code(
        client
            .import_feed(with_token(
                ImportFeedRequest {
                    feed_json: snapshot(SNAPSHOT_2026),
                },
                "test-operator-tokeN",
            ))
            .await,
        Code::Unauthenticated,
    );
    assert_eq!(total(&app).await, 435, "nothing written");

    let open = TestApp::spawn_with(backend, |s| s.operator_token = None).await;
    let s = expect_code(
        open.draws()
            .await
            .record_draw(authorized(RecordDrawRequest {
                draw: Some(new_round()),
            }))
            .await,
        Code::FailedPrecondition,
    );
    assert!(
        s.message().contains("EE_OPERATOR_TOKEN"),
        "says how to set one: {s:?}"
    );
}

async fn import(app: &TestApp, feed: Vec<u8>) -> ImportFeedResponse {
    app.draws()
        .await
        .import_feed(authorized(ImportFeedRequest { feed_json: feed }))
        .await
        .expect("ImportFeed")
        .into_inner()
}

async fn importing_a_newer_snapshot_updates_the_corrected_rounds(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.load_snapshot = false).await;
    assert_eq!(total(&app).await, 0);
    let first = import(&app, snapshot(SNAPSHOT_2024)).await;
    assert_eq!((first.created, first.updated, first.unchanged), (292, 0, 0));
    let again = import(&app, snapshot(SNAPSHOT_2024)).await;
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, 292),
        "re-import changes nothing"
    );

    let before = get(&mut app.draws().await, "262").await;
    assert_eq!(before.tie_break_at, at("2023-08-01T12:59:52Z"));

    // Between the two snapshots IRCC renamed 23 category rounds, changed the pool distribution of four
    // (#223, #224, #226, #227) and corrected #262's tie-break: 28 rounds, counted from the raw files.
    let newer = import(&app, snapshot(SNAPSHOT_2026)).await;
    assert_eq!(
        (newer.created, newer.updated, newer.unchanged),
        (143, 28, 264)
    );

    let mut client = app.draws().await;
    let after = get(&mut client, "262").await;
    assert_eq!(after.tie_break_at, at("2023-07-04T19:36:18Z"));
    let renamed = get(&mut client, "252").await;
    assert_eq!(
        renamed.round_type.expect("type").name,
        "Healthcare occupations (Version 1)"
    );
    let zeroed = get(&mut client, "223").await;
    assert!(zeroed.pool_distribution.is_none());
    assert_eq!(total(&app).await, 435);
}

async fn a_bad_feed_is_refused_whole(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    let s = expect_invalid(
        client
            .import_feed(authorized(ImportFeedRequest {
                feed_json: b"{\"rounds\": [\n  {\"drawNumber\": \"1\",}\n".to_vec(),
            }))
            .await,
        "feed_json",
    );
    assert!(s.message().contains("line 2"), "gives the position: {s:?}");

    // A newer feed whose round 434 has an unreadable CRS: no round of it is written.
    let mut feed: serde_json::Value =
        serde_json::from_slice(&snapshot(SNAPSHOT_2026)).expect("json");
    let mut new = feed["rounds"][0].clone();
    new["drawNumber"] = "435".into();
    feed["rounds"][0]["drawCRS"] = "n/a".into();
    feed["rounds"]
        .as_array_mut()
        .expect("rounds")
        .insert(0, new);
    let s = expect_invalid(
        client
            .import_feed(authorized(ImportFeedRequest {
                feed_json: serde_json::to_vec(&feed).expect("json"),
            }))
            .await,
        "feed_json",
    );
    assert!(
        s.message().contains("round 434") && s.message().contains("drawCRS"),
        "{s:?}"
    );
    expect_code(
        client
            .get_draw(GetDrawRequest {
                number: "435".into(),
            })
            .await,
        Code::NotFound,
    );
    expect_invalid(
        client
            .import_feed(authorized(ImportFeedRequest {
                feed_json: Vec::new(),
            }))
            .await,
        "feed_json",
    );
    assert_eq!(total(&app).await, 435);
}

on_both_backends!(
    recording_a_round_is_idempotent_and_refuses_conflicts,
    invalid_rounds_name_the_field_and_write_nothing,
    writes_need_the_operator_token,
    importing_a_newer_snapshot_updates_the_corrected_rounds,
    a_bad_feed_is_refused_whole,
);

/// The token from a mounted secret file: its trailing newline is not part of it, and the scheme is matched in any
/// case ("BEARER").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_token_can_come_from_a_file() {
    let file = std::env::temp_dir().join(format!("ee-test-token-{}", std::process::id()));
    std::fs::write(&file, "from-a-secret\n").expect("token file");
    let path = file.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, move |s| {
        s.operator_token = None;
        s.operator_token_file = Some(path);
    })
    .await;
    let mut client = app.draws().await;
    let mut request = Request::new(RecordDrawRequest {
        draw: Some(new_round()),
    });
    request.metadata_mut().insert(
        "authorization",
        "BEARER from-a-secret".parse().expect("header"),
    );
    assert!(
        client
            .record_draw(request)
            .await
            .expect("accepted")
            .into_inner()
            .created
    );
    expect_code(
        client
            .record_draw(with_token(
                RecordDrawRequest {
                    draw: Some(new_round()),
                },
                "from-a-secre",
            ))
            .await,
        Code::Unauthenticated,
    );
    let _ = std::fs::remove_file(&file);
}
