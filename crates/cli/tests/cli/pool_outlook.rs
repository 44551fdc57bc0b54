//! `ee pool` against GetPoolPosition (a round's distribution, figured by hand from IRCC's feed; a period; a day
//! before the first distribution) and `ee outlook` against GetInvitationOutlook (the chance and the streams; a
//! horizon the server refuses, named as its flag).

use std::path::Path;

use chrono::NaiveDate;
use ee_proto::v1::{
    DatePeriod, GetInvitationOutlookRequest, GetInvitationOutlookResponse, GetPoolPositionRequest,
    GetPoolPositionResponse, get_pool_position_request,
};
use ee_test_support::fixtures::{SNAPSHOT_2026, snapshot};
use ee_test_support::{Backend, TestApp, on_both_backends};

use crate::support::run;

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/profiles")
        .join(name)
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

fn date(s: &str) -> ee_proto::v1::Date {
    ee_proto::convert::date(NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date"))
}

fn parse_pool(text: &str) -> GetPoolPositionResponse {
    ee_cli::messages::parse(text, Path::new("answer.json"), "GetPoolPositionResponse")
        .unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn parse_outlook(text: &str) -> GetInvitationOutlookResponse {
    ee_cli::messages::parse(
        text,
        Path::new("answer.json"),
        "GetInvitationOutlookResponse",
    )
    .unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `-o json` printed the server's answer, in the proto3 JSON mapping, on one line. Compared as text: serde_json
/// reads a double back to within a unit of its last place, not always to the same bits.
fn same_json<M: prost::Message>(printed: &str, want: &M, name: &str) {
    assert_eq!(
        printed,
        format!("{}\n", ee_cli::messages::to_json(want, name)),
        "{name}"
    );
}

/// Round 364's distribution as IRCC's feed of 2026-08-07 publishes it: the count of field `ddN` ("25,123").
fn round_364(field: &str) -> u64 {
    let feed: serde_json::Value =
        serde_json::from_slice(&snapshot(SNAPSHOT_2026)).expect("the feed is JSON");
    let round = feed["rounds"]
        .as_array()
        .expect("rounds")
        .iter()
        .find(|r| r["drawNumber"] == "364")
        .expect("round 364 is in the feed");
    round[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} of round 364"))
        .replace(',', "")
        .parse()
        .unwrap_or_else(|e| panic!("{field} of round 364: {e}"))
}

async fn a_score_in_a_rounds_distribution(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    // Round 364 (2025-09-03, CEC, pool of 2025-09-01). In the feed, dd1..dd17 are the ranges highest first with two
    // subtotals (dd3 = 451-600, dd9 = 401-450) and dd18 the total: dd1 601-1200, dd2 501-600, dd4 491-500,
    // dd5 481-490, dd6 471-480. 480 is in 471-480, the top of its range, so:
    //   above at least = dd1 + dd2 + dd4 + dd5 = 246 + 25,123 + 12,443 + 12,443 = 50,255
    //   above at most  = 50,255 + dd6 = 50,255 + 16,077 = 66,332
    //   estimate       = 50,255 + 16,077 × (480 − 480) / 10 = 50,255
    //   share          = 50,255 / dd18 = 50,255 / 254,672 = 0.19733…
    let above = round_364("dd1") + round_364("dd2") + round_364("dd4") + round_364("dd5");
    let range = round_364("dd6");
    let total = round_364("dd18");
    assert_eq!((above, range, total), (50_255, 16_077, 254_672));

    let out = run(&app, &["pool", "480", "--draw", "364", "-o", "json"]).await;
    let json = out.ok();
    let got = parse_pool(json);
    assert_eq!(got.positions.len(), 1, "{got:?}");
    assert_eq!(got.rounds_without_distribution, 0);
    assert!(got.crs.is_none(), "a score, not a profile: {got:?}");
    let p = &got.positions[0];
    assert_eq!(p.draw_number, "364");
    assert_eq!(p.draw_date, Some(date("2025-09-03")));
    assert_eq!(p.pool_date, Some(date("2025-09-01")));
    assert_eq!(p.total_candidates, total);
    assert_eq!(p.score, 480);
    assert_eq!(
        (p.range_min, p.range_max, p.range_candidates),
        (471, 480, range)
    );
    assert_eq!((p.above_at_least, p.above_at_most), (above, above + range));
    assert!((p.above_estimate - 50_255.0).abs() < 1e-9, "{p:?}");
    assert!(
        (p.share_above - 50_255.0 / 254_672.0).abs() < 1e-12,
        "{p:?}"
    );
    // The server's own answer, whole.
    let want = app
        .eligibility()
        .await
        .get_pool_position(GetPoolPositionRequest {
            score: Some(get_pool_position_request::Score::CrsScore(480)),
            when: Some(get_pool_position_request::When::DrawNumber("364".into())),
        })
        .await
        .expect("GetPoolPosition")
        .into_inner();
    same_json(json, &want, "GetPoolPositionResponse");

    // 475, in the middle of the range: 5 of its 10 scores (476..=480) are above it, so about half its profiles.
    //   50,255 + 16,077 × (480 − 475) / 10 = 50,255 + 8,038.5 = 58,293.5
    let out = run(&app, &["pool", "475", "--draw", "364", "-o", "csv"]).await;
    let csv = out.ok();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "a header and a row: {csv}");
    assert_eq!(
        lines[0],
        "draw_number,draw_date,pool_date,total_candidates,score,range_min,range_max,range_candidates,\
         above_at_least,above_at_most,above_estimate,share_above"
    );
    let row: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(
        &row[..10],
        &[
            "364",
            "2025-09-03",
            "2025-09-01",
            "254672",
            "475",
            "471",
            "480",
            "16077",
            "50255",
            "66332"
        ]
    );
    let estimate: f64 = row[10].parse().expect("above_estimate");
    assert!((estimate - 58_293.5).abs() < 1e-9, "{csv}");

    // The table: the chart of the 15 ranges highest first, the score's range marked, then the figures.
    let out = run(&app, &["pool", "480", "--draw", "364"]).await;
    let text = out.ok();
    assert!(
        text.starts_with("Pool on 2025-09-01: 254,672 profiles\n"),
        "{text}"
    );
    let chart: Vec<&str> = text.lines().skip(1).take(15).collect();
    assert!(
        chart[0].trim_start().starts_with("601-1200      246 "),
        "{text}"
    );
    assert!(
        chart[14].trim_start().starts_with("0-300    8,053 "),
        "{text}"
    );
    let marked: Vec<&&str> = chart.iter().filter(|l| l.contains("◀ you: 480")).collect();
    assert_eq!(marked.len(), 1, "{text}");
    assert!(
        marked[0].trim_start().starts_with("471-480   16,077 "),
        "{text}"
    );
    assert!(
        text.contains("Round 364 on 2025-09-03, pool counted on 2025-09-01: 254,672 profiles"),
        "{text}"
    );
    assert!(
        text.contains("About 50,255 profiles above you (between 50,255 and 66,332), top 19.7%"),
        "{text}"
    );

    // A profile: scored on the round's day, the CRS in the answer.
    let nurse = example("nurse-in-canada.yaml");
    let out = run(&app, &["pool", &nurse, "--draw", "422", "-o", "json"]).await;
    let got = parse_pool(out.ok());
    let crs = got.crs.clone().expect("the profile's CRS");
    assert_eq!(crs.as_of, Some(date("2026-06-25")), "{crs:?}");
    assert_eq!(got.positions[0].score, crs.total);
    let out = run(&app, &["pool", &nurse, "--draw", "422"]).await;
    assert!(
        out.ok()
            .contains(&format!("Your CRS on 2026-06-25: {}", crs.total)),
        "{}",
        out.stdout
    );
}

async fn a_score_over_a_period(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Rounds 211 to 216: the first distribution came with round 214 (2022-01-19), so 211 to 213 have none.
    let args = [
        "pool",
        "480",
        "--since",
        "2021-12-01",
        "--until",
        "2022-02-28",
    ];
    let out = run(&app, &[&args[..], &["-o", "json"]].concat()).await;
    let json = out.ok();
    let got = parse_pool(json);
    let rounds: Vec<&str> = got
        .positions
        .iter()
        .map(|p| p.draw_number.as_str())
        .collect();
    assert_eq!(rounds, ["214", "215", "216"], "oldest first: {got:?}");
    assert_eq!(got.rounds_without_distribution, 3);
    let want = app
        .eligibility()
        .await
        .get_pool_position(GetPoolPositionRequest {
            score: Some(get_pool_position_request::Score::CrsScore(480)),
            when: Some(get_pool_position_request::When::Period(DatePeriod {
                start_date: Some(date("2021-12-01")),
                end_date: Some(date("2022-02-28")),
            })),
        })
        .await
        .expect("GetPoolPosition")
        .into_inner();
    same_json(json, &want, "GetPoolPositionResponse");

    let out = run(&app, &args).await;
    let text = out.ok();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("date        round  score"), "{text}");
    for (p, line) in got.positions.iter().zip(&lines[1..]) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[0], ee_cli::output::date(&p.draw_date), "{line}");
        assert_eq!(cells[1], p.draw_number, "{line}");
        assert_eq!(cells[2], "480", "{line}");
        assert_eq!(
            cells[3],
            ee_cli::output::thousands(p.above_estimate.round() as u64),
            "{line}"
        );
        assert!(
            line.ends_with(&format!("{:.1}%", p.share_above * 100.0)),
            "{line}"
        );
    }
    assert!(
        text.contains("3 distributions; 3 rounds in the period published no distribution"),
        "{text}"
    );
    let out = run(&app, &[&args[..], &["-o", "csv"]].concat()).await;
    assert_eq!(out.ok().lines().count(), 4, "{}", out.stdout);
}

async fn bad_input_to_pool(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Over the CRS maximum: a usage error naming the argument, before any call.
    run(&app, &["pool", "1300"])
        .await
        .fails(2, "<SCORE|PROFILE>");
    // A day before the first distribution: the server's NOT_FOUND, its message printed.
    run(&app, &["pool", "480", "--as-of", "2010-01-01"])
        .await
        .fails(
            3,
            "ee: no round held on or before 2010-01-01 published a pool distribution; the first was published \
             with round 214 on 2022-01-19",
        );
    // A round without a distribution, and one that does not exist.
    run(&app, &["pool", "480", "--draw", "213"])
        .await
        .fails(3, "round 213 published no pool distribution");
    run(&app, &["pool", "480", "--draw", "9999"])
        .await
        .fails(3, "there is no round 9999");
    // The server's refusals, named as the flags that set them.
    run(&app, &["pool", "480", "--draw", "abc"])
        .await
        .fails(2, "the server refused --draw (draw_number)");
    run(
        &app,
        &["pool", "480", "--since", "2026-02-01", "--until", "2026-01-01"],
    )
    .await
    .fails(
        2,
        "the server refused --until (period.end_date): 2026-01-01 is before period.start_date 2026-02-01",
    );
    // One of --as-of, --draw and a period.
    run(
        &app,
        &["pool", "480", "--draw", "364", "--as-of", "2025-01-01"],
    )
    .await
    .fails(2, "--as-of");
    run(&app, &["pool", "/no/such/profile.yaml"])
        .await
        .fails(2, "cannot read /no/such/profile.yaml");
}

async fn the_outlook_of_a_profile(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let file = example("electrician-in-canada.yaml");
    let profile = ee_cli::candidate::read_profile(Path::new(&file)).expect("the example reads");
    let want = app
        .eligibility()
        .await
        .get_invitation_outlook(GetInvitationOutlookRequest {
            profile: Some(profile),
            as_of: Some(date("2025-06-01")),
            horizon_days: 0,
        })
        .await
        .expect("GetInvitationOutlook")
        .into_inner();
    assert!(!want.streams.is_empty(), "in the pool: {want:?}");

    let args = ["outlook", &file, "--as-of", "2025-06-01"];
    let out = run(&app, &[&args[..], &["-o", "json"]].concat()).await;
    same_json(out.ok(), &want, "GetInvitationOutlookResponse");
    assert_eq!(parse_outlook(out.ok()).streams.len(), want.streams.len());

    // The table: the chance as a percentage, the CRS, a row per stream, the method.
    let out = run(&app, &args).await;
    let text = out.ok();
    let headline = text.lines().next().expect("a headline");
    assert!(
        headline.starts_with(&format!(
            "{} chance of at least one invitation in the next 90 days; about {:.1} rounds of your streams \
             expected",
            ee_cli::outlook::chance(want.probability),
            want.expected_rounds
        )),
        "{text}"
    );
    // A probability: a whole percentage (or <1%, >99%).
    let first = headline.split_whitespace().next().expect("a word");
    let digits = first.trim_start_matches(['<', '>']).trim_end_matches('%');
    assert!(
        first.ends_with('%') && digits.parse::<u32>().is_ok_and(|p| p <= 100),
        "a probability: {headline}"
    );
    let crs = want.crs.clone().expect("crs");
    assert!(
        text.contains(&format!("CRS {} on 2025-06-01", crs.total)),
        "{text}"
    );
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("stream "))
        .skip(1)
        .take(want.streams.len())
        .collect();
    for (stream, row) in want.streams.iter().zip(&rows) {
        assert!(row.starts_with(&stream.name), "{row} for {stream:?}");
        let after = row[stream.name.len()..].split_whitespace().next();
        assert_eq!(after, Some(stream.rounds.to_string().as_str()), "{row}");
        assert!(
            row.ends_with(&ee_cli::outlook::chance(stream.probability)),
            "{row}"
        );
    }
    let method = want.method.expect("method");
    assert!(
        text.contains(&format!(
            "Learned from {} windows of 90 days; reference cut-off {}",
            ee_cli::output::thousands(method.windows_learned.into()),
            method.reference_cutoff.expect("a reference cut-off")
        )),
        "{text}"
    );
    for change in &want.score_changes {
        assert!(
            text.contains(&format!(
                "  {}  CRS {} → {}",
                ee_cli::output::date(&change.date),
                change.crs_before,
                change.crs_after
            )),
            "{text}"
        );
    }

    // CSV: a header and a row per stream.
    let out = run(&app, &[&args[..], &["-o", "csv"]].concat()).await;
    let csv = out.ok();
    assert!(
        csv.starts_with("stream,kind,program,category_id,rounds,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), want.streams.len() + 1, "{csv}");

    // A horizon: the server's answer for it.
    let out = run(
        &app,
        &[&args[..], &["--horizon", "30", "-o", "json"]].concat(),
    )
    .await;
    assert_eq!(parse_outlook(out.ok()).horizon_days, 30);
}

async fn bad_input_to_outlook(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let file = example("electrician-in-canada.yaml");
    // Over 365 days: the server's INVALID_ARGUMENT on horizon_days, as the flag that set it.
    let out = run(&app, &["outlook", &file, "--horizon", "400"]).await;
    out.fails(
        2,
        "the server refused --horizon (horizon_days): 400 is not between 1 and 365 days; fix the flag",
    );
    // 0 would be the server's default: refused before any call.
    run(&app, &["outlook", &file, "--horizon", "0"])
        .await
        .fails(2, "--horizon");
    run(&app, &["outlook", &file, "--as-of", "1900-01-01"])
        .await
        .fails(2, "the server refused --as-of (as_of)");
    // No round held a horizon before the day: nothing to learn from.
    run(&app, &["outlook", &file, "--as-of", "2015-02-01"])
        .await
        .fails(3, "no round was held at least 90 days before 2015-02-01");
}

on_both_backends!(
    a_score_in_a_rounds_distribution,
    a_score_over_a_period,
    bad_input_to_pool,
    the_outlook_of_a_profile,
    bad_input_to_outlook
);
