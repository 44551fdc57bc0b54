//! `ee draws list|show|latest|stats` in each output format, against what the RPCs answer.

use std::path::Path;

use chrono::{DateTime, NaiveDate};
use ee_proto::convert::timestamp;
use ee_proto::v1::{Draw, DrawFilter, Program, RoundKind};
use ee_test_support::{Backend, TestApp, on_both_backends};

use crate::support::{list_draws, run};

fn midnight(y: i32, m: u32, d: u32) -> Option<prost_types::Timestamp> {
    let day = NaiveDate::from_ymd_opt(y, m, d).expect("date");
    Some(timestamp(day.and_hms_opt(0, 0, 0).expect("time").and_utc()))
}

/// The filter flags and the ListDraws filter they stand for.
fn cases() -> Vec<(Vec<&'static str>, DrawFilter)> {
    vec![
        (
            vec!["--category", "healthcare"],
            DrawFilter {
                category_id: "healthcare".into(),
                ..Default::default()
            },
        ),
        (
            vec![
                "--kind",
                "program",
                "--program",
                "cec",
                "--since",
                "2024-01-01",
                "--until",
                "2024-12-31",
            ],
            DrawFilter {
                kind: RoundKind::Program as i32,
                program: Program::Cec as i32,
                held_after: midnight(2024, 1, 1),
                // --until names the last day included.
                held_before: midnight(2025, 1, 1),
                ..Default::default()
            },
        ),
        (vec![], DrawFilter::default()),
    ]
}

fn seconds(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339:?}: {e}"))
        .timestamp()
}

async fn list_with_filters_in_every_format(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (flags, filter) in cases() {
        let expected = list_draws(&app, filter).await;
        assert!(!expected.is_empty(), "{flags:?} matches rounds");
        let args = |format: &'static str| {
            let mut a = vec!["draws", "list", "--all", "-o", format];
            a.extend(flags.iter().copied());
            a
        };

        // json: one Draw per line, which parses back (proto3 JSON mapping) into what ListDraws gives.
        let out = run(&app, &args("json")).await;
        let lines: Vec<&str> = out.ok().lines().collect();
        let parsed: Vec<Draw> = lines
            .iter()
            .map(|l| ee_cli::messages::parse(l, Path::new("line.json"), "Draw").expect("a Draw"))
            .collect();
        assert_eq!(parsed, expected, "json for {flags:?}");
        // The mapping's own spelling, read without the CLI's code.
        let first: serde_json::Value = serde_json::from_str(lines[0]).expect("JSON");
        assert_eq!(first["number"], expected[0].number.as_str());
        assert_eq!(first["minimumCrs"], expected[0].minimum_crs);
        assert_eq!(
            seconds(first["heldAt"].as_str().expect("heldAt is a string")),
            expected[0].held_at.expect("held_at").seconds
        );

        // csv: a header row, then one row per round with the same figures.
        let out = run(&app, &args("csv")).await;
        let mut reader = csv::Reader::from_reader(out.ok().as_bytes());
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header, ee_cli::output::DRAW_CSV);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), expected.len(), "csv rows for {flags:?}");
        for (row, d) in rows.iter().zip(&expected) {
            let t = d.round_type.clone().expect("round type");
            assert_eq!(&row[0], d.number);
            assert_eq!(seconds(&row[1]), d.held_at.expect("held_at").seconds);
            assert_eq!(&row[4], t.category_id);
            assert_eq!(&row[6], t.name);
            assert_eq!(row[8].parse::<u32>().expect("invitations"), d.invitations);
            assert_eq!(row[9].parse::<u32>().expect("minimum"), d.minimum_crs);
            match d.tie_break_at {
                Some(tb) => assert_eq!(seconds(&row[10]), tb.seconds),
                None => assert_eq!(&row[10], ""),
            }
        }

        // table: a header, a row per round in the same order, and the count.
        let out = run(&app, &args("table")).await;
        let lines: Vec<&str> = out.ok().lines().collect();
        assert!(lines[0].starts_with("round"), "{}", lines[0]);
        let numbers: Vec<&str> = lines[1..lines.len() - 1]
            .iter()
            .map(|l| l.split_whitespace().next().expect("a number"))
            .collect();
        let want: Vec<&str> = expected.iter().map(|d| d.number.as_str()).collect();
        assert_eq!(numbers, want, "table for {flags:?}");
        assert_eq!(
            lines[lines.len() - 1],
            format!("{} of {} matching rounds", expected.len(), expected.len())
        );
    }

    // --limit takes the newest, across pages; 0 is a usage error, not "the server's default".
    let expected = list_draws(&app, DrawFilter::default()).await;
    let out = run(&app, &["draws", "list", "--limit", "7", "-o", "json"]).await;
    let numbers: Vec<String> = out
        .ok()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON")["number"].to_string())
        .collect();
    let want: Vec<String> = expected[..7]
        .iter()
        .map(|d| format!("{:?}", d.number))
        .collect();
    assert_eq!(numbers, want);
    run(&app, &["draws", "list", "--limit", "0"])
        .await
        .fails(2, "--limit");
}

/// show, latest and stats agree with GetDraw, GetLatestDraw and GetDrawStats; the old command names still work.
async fn show_latest_and_stats(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    for (args, number) in [
        (vec!["draws", "show", "91a", "-o", "json"], "91a".to_owned()),
        (vec!["get", "91a", "-o", "json"], "91a".to_owned()),
        (
            vec!["draws", "latest", "--category", "healthcare", "-o", "json"],
            list_draws(
                &app,
                DrawFilter {
                    category_id: "healthcare".into(),
                    ..Default::default()
                },
            )
            .await[0]
                .number
                .clone(),
        ),
    ] {
        let want = client
            .get_draw(ee_proto::v1::GetDrawRequest {
                number: number.clone(),
            })
            .await
            .expect("GetDraw")
            .into_inner()
            .draw
            .expect("draw");
        let out = run(&app, &args).await;
        let got: Draw =
            ee_cli::messages::parse(out.ok(), Path::new("x.json"), "Draw").expect("Draw");
        assert_eq!(got, want, "{args:?}");
    }

    // The table of a round with a pool distribution shows one bar per bucket and marks the minimum's bucket.
    let draw = ee_test_support::status::get(&mut client, "252").await;
    let pool = draw
        .pool_distribution
        .expect("round 252 has a distribution");
    let out = run(&app, &["draws", "show", "252"]).await;
    let text = out.ok();
    assert!(
        text.contains(&format!("minimum CRS  {}", draw.minimum_crs)),
        "{text}"
    );
    for b in &pool.buckets {
        assert!(
            text.contains(&format!("{}-{}", b.min_score, b.max_score)),
            "{text}"
        );
    }
    assert_eq!(text.matches("< minimum CRS").count(), 1, "{text}");

    let stats = client
        .get_draw_stats(ee_proto::v1::GetDrawStatsRequest {
            filter: Some(DrawFilter {
                held_after: midnight(2023, 1, 1),
                ..Default::default()
            }),
        })
        .await
        .expect("GetDrawStats")
        .into_inner();
    let out = run(&app, &["stats", "--since", "2023-01-01", "-o", "csv"]).await;
    let mut reader = csv::Reader::from_reader(out.ok().as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(&rows[0][0], "all");
    assert_eq!(rows[0][2].parse::<u32>().expect("count"), stats.draw_count);
    assert_eq!(
        rows[0][3].parse::<u64>().expect("invitations"),
        stats.invitations_total
    );
    let years: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[0] == "year").collect();
    assert_eq!(years.len(), stats.by_year.len());
    for (row, y) in years.iter().zip(&stats.by_year) {
        assert_eq!(row[1].parse::<i32>().expect("year"), y.year);
        assert_eq!(
            row[2].parse::<u32>().expect("count"),
            y.stats.expect("stats").draw_count
        );
    }
    let table = run(
        &app,
        &["draws", "stats", "--since", "2023-01-01", "--by", "year"],
    )
    .await;
    let text = table.ok();
    assert!(text.contains("█"), "a chart: {text}");
    assert!(!text.contains("round type"), "--by year only: {text}");
}

on_both_backends!(list_with_filters_in_every_format, show_latest_and_stats);
