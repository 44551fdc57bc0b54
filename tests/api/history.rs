//! Reading the history: every round served, the published figures, filters, pages, statistics.

use std::collections::HashSet;

use ee_proto::v1::{
    Draw, DrawFilter, GetDrawRequest, GetDrawStatsRequest, GetLatestDrawRequest, ListDrawsRequest,
    Program, RoundKind,
};
use ee_test_support::fixtures::at;
use ee_test_support::status::{bad_fields, expect_code, expect_invalid, get};
use ee_test_support::{Backend, TestApp, on_both_backends};
use tonic::Code;

fn rfc3339(t: &Option<prost_types::Timestamp>) -> String {
    let t = t.as_ref().expect("timestamp set");
    chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32)
        .expect("valid")
        .to_rfc3339()
}

async fn every_round_of_the_shipped_snapshot_is_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    let mut seen: Vec<Draw> = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_draws(ListDrawsRequest {
                page_size: 100,
                page_token: token.clone(),
                filter: None,
            })
            .await
            .expect("ListDraws")
            .into_inner();
        assert_eq!(page.total_size, 435);
        seen.extend(page.draws);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen.len(), 435);
    let numbers: HashSet<&str> = seen.iter().map(|d| d.number.as_str()).collect();
    assert_eq!(numbers.len(), 435, "no round twice across pages");
    assert!(numbers.contains("91a") && numbers.contains("91b") && numbers.contains("1"));
    assert_eq!(seen[0].number, "434", "newest first");
    assert_eq!(seen[434].number, "1");
    for pair in seen.windows(2) {
        let (a, b) = (
            pair[0].held_at.expect("held_at"),
            pair[1].held_at.expect("held_at"),
        );
        assert!(
            a.seconds >= b.seconds,
            "{} before {}",
            pair[0].number,
            pair[1].number
        );
    }
    let total: u64 = seen.iter().map(|d| u64::from(d.invitations)).sum();
    assert_eq!(total, 1_030_671);
}

async fn published_rounds_have_their_published_figures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    // number, held at, invitations, CRS, tie-break, category version
    for (number, held, invitations, crs, tie, version) in [
        (
            "252",
            "2023-06-28T14:04:34+00:00",
            500,
            476,
            "2022-11-12T12:47:27+00:00",
            1,
        ),
        (
            "255",
            "2023-07-06T14:25:05+00:00",
            1500,
            463,
            "2023-06-19T06:41:05+00:00",
            1,
        ),
        (
            "271",
            "2023-10-26T13:28:39+00:00",
            3600,
            431,
            "2023-05-24T19:47:51+00:00",
            1,
        ),
        (
            "284",
            "2024-02-14T15:50:22+00:00",
            3500,
            422,
            "2024-01-30T02:39:54+00:00",
            1,
        ),
    ] {
        let d = get(&mut client, number).await;
        assert_eq!(d.number, number);
        assert_eq!(rfc3339(&d.held_at), held, "{number}");
        assert_eq!(
            (d.invitations, d.minimum_crs),
            (invitations, crs),
            "{number}"
        );
        assert_eq!(rfc3339(&d.tie_break_at), tie, "{number}");
        let rt = d.round_type.expect("round type");
        assert_eq!(rt.kind(), RoundKind::Category);
        assert_eq!(
            (rt.category_id.as_str(), rt.category_version),
            ("healthcare", version)
        );
        assert_eq!(rt.name, "Healthcare occupations (Version 1)");
        assert_eq!(
            d.eligible_programs,
            [
                Program::Cec as i32,
                Program::Fsw as i32,
                Program::Fst as i32
            ]
        );
    }
    let early = get(&mut client, "1").await;
    assert!(
        early.tie_break_at.is_none(),
        "round 1 has no published tie-break"
    );
    assert!(early.pool_distribution.is_none());
    assert_eq!(early.round_type.expect("type").kind(), RoundKind::General);
    let pnp = get(&mut client, "91a").await;
    assert_eq!(pnp.number, "91a");
}

async fn statistics_for_the_first_half_of_2023(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let stats = app
        .draws()
        .await
        .get_draw_stats(GetDrawStatsRequest {
            filter: Some(DrawFilter {
                held_after: at("2023-01-01T00:00:00Z"),
                held_before: at("2023-07-01T00:00:00Z"),
                ..Default::default()
            }),
        })
        .await
        .expect("GetDrawStats")
        .into_inner();
    assert_eq!(stats.draw_count, 16);
    assert_eq!(stats.invitations_total, 59_548);
    assert_eq!(stats.by_year.len(), 1);
    assert_eq!(stats.by_year[0].year, 2023);
    let by_type: u32 = stats
        .by_round_type
        .iter()
        .map(|g| g.stats.expect("stats").draw_count)
        .sum();
    assert_eq!(by_type, 16);
    assert!(stats.minimum_crs_lowest <= stats.minimum_crs_highest);
    assert!(stats.minimum_crs_mean >= f64::from(stats.minimum_crs_lowest));
    assert!(stats.minimum_crs_mean <= f64::from(stats.minimum_crs_highest));
    let healthcare = stats
        .by_round_type
        .iter()
        .find(|g| {
            g.round_type
                .as_ref()
                .is_some_and(|t| t.category_id == "healthcare")
        })
        .expect("the healthcare round of 2023-06-28");
    assert_eq!(healthcare.stats.expect("stats").invitations_total, 500);
}

async fn filters_select_by_kind_program_category_and_period(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    let mut count = async |filter: DrawFilter| {
        let r = client
            .list_draws(ListDrawsRequest {
                page_size: 500,
                page_token: String::new(),
                filter: Some(filter),
            })
            .await
            .expect("ListDraws")
            .into_inner();
        assert_eq!(r.draws.len() as i32, r.total_size);
        r.draws
    };
    let healthcare = count(DrawFilter {
        category_id: "healthcare".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(healthcare.len(), 6 + 7 + 2);
    let v1 = count(DrawFilter {
        category_id: "healthcare".into(),
        category_version: 1,
        ..Default::default()
    })
    .await;
    assert_eq!(v1.len(), 6);
    assert!(v1.iter().all(|d| {
        d.round_type
            .as_ref()
            .is_some_and(|t| t.category_version == 1)
    }));
    let pnp = count(DrawFilter {
        program: Program::Pnp as i32,
        ..Default::default()
    })
    .await;
    assert_eq!(pnp.len(), 110);
    let general = count(DrawFilter {
        kind: RoundKind::General as i32,
        ..Default::default()
    })
    .await;
    assert_eq!(general.len(), 178);
    let french_2024 = count(DrawFilter {
        category_id: "french".into(),
        held_after: at("2024-01-01T00:00:00Z"),
        held_before: at("2025-01-01T00:00:00Z"),
        ..Default::default()
    })
    .await;
    assert!(!french_2024.is_empty());
    assert!(
        french_2024
            .iter()
            .all(|d| rfc3339(&d.held_at).starts_with("2024-"))
    );
    let none = count(DrawFilter {
        category_id: "researchers".into(),
        ..Default::default()
    })
    .await;
    assert!(none.is_empty());
}

async fn latest_round_by_filter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    let latest = client
        .get_latest_draw(GetLatestDrawRequest { filter: None })
        .await
        .expect("GetLatestDraw")
        .into_inner()
        .draw
        .expect("draw");
    assert_eq!(latest.number, "434");
    let healthcare_v1 = client
        .get_latest_draw(GetLatestDrawRequest {
            filter: Some(DrawFilter {
                category_id: "healthcare".into(),
                category_version: 1,
                ..Default::default()
            }),
        })
        .await
        .expect("GetLatestDraw healthcare v1")
        .into_inner()
        .draw
        .expect("draw");
    assert_eq!(healthcare_v1.number, "327");
    let s = expect_code(
        client
            .get_latest_draw(GetLatestDrawRequest {
                filter: Some(DrawFilter {
                    category_id: "researchers".into(),
                    ..Default::default()
                }),
            })
            .await,
        Code::NotFound,
    );
    assert!(s.message().contains("no round"), "{s:?}");
}

async fn bad_reads_are_refused_with_the_field_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    let s = expect_code(
        client
            .get_draw(GetDrawRequest {
                number: "9999".into(),
            })
            .await,
        Code::NotFound,
    );
    assert!(s.message().contains("9999"));
    expect_invalid(
        client
            .get_draw(GetDrawRequest {
                number: "abc".into(),
            })
            .await,
        "number",
    );
    expect_invalid(
        client
            .get_draw(GetDrawRequest {
                number: String::new(),
            })
            .await,
        "number",
    );
    let list = |page_size, page_token: &str, filter| ListDrawsRequest {
        page_size,
        page_token: page_token.into(),
        filter,
    };
    expect_invalid(client.list_draws(list(-1, "", None)).await, "page_size");
    let both = DrawFilter {
        kind: 42,
        ..Default::default()
    };
    let s = expect_invalid(
        client.list_draws(list(-1, "", Some(both))).await,
        "page_size",
    );
    assert!(
        bad_fields(&s).contains(&"filter.kind".to_owned()),
        "every bad part at once: {s:?}"
    );
    expect_invalid(
        client.list_draws(list(10, "not-a-token", None)).await,
        "page_token",
    );
    let reversed = DrawFilter {
        held_after: at("2024-01-01T00:00:00Z"),
        held_before: at("2023-01-01T00:00:00Z"),
        ..Default::default()
    };
    expect_invalid(
        client
            .list_draws(list(10, "", Some(reversed.clone())))
            .await,
        "filter.held_after",
    );
    expect_invalid(
        client
            .get_draw_stats(GetDrawStatsRequest {
                filter: Some(reversed),
            })
            .await,
        "filter.held_after",
    );
    let unknown = DrawFilter {
        category_id: "astronauts".into(),
        ..Default::default()
    };
    expect_invalid(
        client.list_draws(list(10, "", Some(unknown))).await,
        "filter.category_id",
    );
    let bad_kind = DrawFilter {
        kind: 42,
        ..Default::default()
    };
    expect_invalid(
        client.list_draws(list(10, "", Some(bad_kind))).await,
        "filter.kind",
    );

    // A page token belongs to its filter.
    let first = client
        .list_draws(list(5, "", None))
        .await
        .expect("first page")
        .into_inner();
    let other = DrawFilter {
        kind: RoundKind::General as i32,
        ..Default::default()
    };
    let s = expect_invalid(
        client
            .list_draws(list(5, &first.next_page_token, Some(other)))
            .await,
        "page_token",
    );
    assert!(s.message().contains("another filter"), "{s:?}");
    // An oversized page is served at the maximum.
    let big = client
        .list_draws(list(100_000, "", None))
        .await
        .expect("big page")
        .into_inner();
    assert_eq!(
        big.draws.len(),
        435,
        "an oversized page is served, capped at 500"
    );
}

on_both_backends!(
    every_round_of_the_shipped_snapshot_is_served,
    published_rounds_have_their_published_figures,
    statistics_for_the_first_half_of_2023,
    filters_select_by_kind_program_category_and_period,
    latest_round_by_filter,
    bad_reads_are_refused_with_the_field_named,
);
