//! `ee invitation-history` against CheckInvitationHistory: the answer as JSON, the table's rows and summary, the
//! flags mapped onto the request, and bad flags named.

use std::path::Path;

use chrono::NaiveDate;
use ee_proto::v1::{
    CheckInvitationHistoryRequest, CheckInvitationHistoryResponse, DrawFilter, InvitationOutcome,
    Program, RoundKind,
};
use ee_test_support::{Backend, TestApp, on_both_backends};

use crate::support::{refused_profile, run};

const PROFILE: &str = "nurse-in-canada.yaml";
const SINCE: &str = "2025-10-01";
const UNTIL: &str = "2026-08-07";

fn profile_path() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/profiles")
        .join(PROFILE)
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

fn date(s: &str) -> ee_proto::v1::Date {
    ee_proto::convert::date(NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date"))
}

fn parse(text: &str) -> CheckInvitationHistoryResponse {
    ee_cli::messages::parse(
        text,
        Path::new("answer.json"),
        "CheckInvitationHistoryResponse",
    )
    .unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The counts of a history add up, and agree with its rounds.
fn adds_up(h: &CheckInvitationHistoryResponse) {
    let s = h.summary.clone().expect("a summary");
    assert_eq!(s.rounds as usize, h.rounds.len());
    assert_eq!(s.invited + s.not_invited + s.undetermined, s.rounds);
    let count = |o: InvitationOutcome| h.rounds.iter().filter(|r| r.outcome == o as i32).count();
    assert_eq!(s.invited as usize, count(InvitationOutcome::Invited));
    assert_eq!(s.not_invited as usize, count(InvitationOutcome::NotInvited));
    assert_eq!(
        s.undetermined as usize,
        count(InvitationOutcome::Undetermined)
    );
    assert_eq!(
        s.eligible as usize,
        h.rounds.iter().filter(|r| r.eligible).count()
    );
}

async fn the_history_of_a_profile_as_json_table_and_csv(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let file = profile_path();
    let profile = ee_cli::candidate::read_profile(Path::new(&file)).expect("the example reads");
    let want = app
        .eligibility()
        .await
        .check_invitation_history(CheckInvitationHistoryRequest {
            profile: Some(profile.clone()),
            start_date: Some(date(SINCE)),
            end_date: Some(date(UNTIL)),
            filter: Some(DrawFilter::default()),
            closest_misses: 5,
        })
        .await
        .expect("CheckInvitationHistory")
        .into_inner();
    assert!(want.rounds.len() > 20, "a period with rounds: {want:?}");

    // JSON: the server's answer, whole, and it adds up.
    let args = [
        "invitation-history",
        &file,
        "--since",
        SINCE,
        "--until",
        UNTIL,
    ];
    let out = run(&app, &[&args[..], &["-o", "json"]].concat()).await;
    let got = parse(out.ok());
    assert_eq!(got, want);
    adds_up(&got);
    let summary = got.summary.clone().expect("summary");
    assert!(
        summary.invited > 0 && summary.not_invited > 0,
        "{summary:?}"
    );

    // The table: a row per round, newest first, then the summary and the closest misses.
    let out = run(&app, &args).await;
    let text = out.ok();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("round  date"), "{text}");
    for (round, line) in want.rounds.iter().zip(&lines[1..]) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[0], round.draw_number, "{line}");
        assert!(line.contains(&format!(" {} ", round.minimum_crs)), "{line}");
        assert!(line.contains(&format!(" {} ", round.crs)), "{line}");
        let outcome = match InvitationOutcome::try_from(round.outcome) {
            Ok(InvitationOutcome::Invited) => " invited",
            Ok(InvitationOutcome::NotInvited) => " not invited",
            _ => " undetermined",
        };
        assert!(line.contains(outcome), "{line}");
        if let Some(first) = round.reasons.first() {
            assert!(line.contains(&first.code), "{line}");
        }
    }
    assert!(
        text.contains(&format!(
            "{} rounds: {} eligible, {} invited, {} not invited, {} undetermined",
            summary.rounds,
            summary.eligible,
            summary.invited,
            summary.not_invited,
            summary.undetermined
        )),
        "{text}"
    );
    let by_points = text
        .split("Closest misses by points\n")
        .nth(1)
        .expect("closest misses by points");
    assert!(!summary.closest_by_points.is_empty());
    for m in &summary.closest_by_points {
        assert!(
            by_points.contains(&format!("round {:>4}  ", m.draw_number))
                && by_points.contains(&format!("{} point(s) short", m.points_short)),
            "{m:?} in {by_points}"
        );
    }
    assert!(text.contains("Closest misses by the tie-break\n"), "{text}");

    // CSV: a header and a row per round.
    let out = run(&app, &[&args[..], &["-o", "csv"]].concat()).await;
    let csv = out.ok();
    assert!(csv.starts_with("draw_number,held_at,"), "{csv}");
    assert_eq!(csv.lines().count(), want.rounds.len() + 1);

    // The filter flags are ListDraws's, the period start_date and end_date, --closest closest_misses.
    let out = run(
        &app,
        &[&args[..], &["--category", "healthcare", "-o", "json"]].concat(),
    )
    .await;
    let healthcare = parse(out.ok());
    adds_up(&healthcare);
    assert!(!healthcare.rounds.is_empty());
    assert!(healthcare.rounds.len() < want.rounds.len());
    for r in &healthcare.rounds {
        assert_eq!(
            r.round_type.as_ref().expect("round type").category_id,
            "healthcare"
        );
    }
    let out = run(
        &app,
        &[
            &args[..],
            &[
                "--kind",
                "program",
                "--program",
                "cec",
                "--closest",
                "2",
                "-o",
                "json",
            ],
        ]
        .concat(),
    )
    .await;
    let cec = parse(out.ok());
    adds_up(&cec);
    assert!(!cec.rounds.is_empty());
    for r in &cec.rounds {
        let t = r.round_type.as_ref().expect("round type");
        assert_eq!(t.kind, RoundKind::Program as i32);
        assert_eq!(t.program, Program::Cec as i32);
    }
    let s = cec.summary.expect("summary");
    assert!(s.closest_by_points.len() <= 2 && s.closest_by_tie_break.len() <= 2);
    assert_eq!(s.closest_by_points.len(), 2, "{s:?}");
    // A period with no round.
    let out = run(
        &app,
        &[
            "invitation-history",
            &file,
            "--since",
            "2026-08-08",
            "--until",
            "2026-08-08",
        ],
    )
    .await;
    let text = out.ok();
    assert!(text.contains("No round matches"), "{text}");
    assert!(text.contains("0 rounds: 0 eligible, 0 invited"), "{text}");
}

async fn bad_input_to_invitation_history(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let file = profile_path();
    let f = file.as_str();
    // A bad date: clap names the flag.
    run(&app, &["invitation-history", f, "--since", "2024-13-01"])
        .await
        .fails(2, "--since");
    run(&app, &["invitation-history", f, "--until", "yesterday"])
        .await
        .fails(2, "--until");
    // The end before the start: the server's INVALID_ARGUMENT on end_date, as the flag that set it.
    let out = run(
        &app,
        &[
            "invitation-history",
            f,
            "--since",
            "2026-02-01",
            "--until",
            "2026-01-01",
        ],
    )
    .await;
    out.fails(
        2,
        "the server refused --until (end_date): 2026-01-01 is before start_date 2026-02-01",
    );
    // The other profile commands name their flags too: a round number from --draw, a day from --as-of.
    run(&app, &["invitation", f, "--draw", "abc"])
        .await
        .fails(2, "the server refused --draw (draw_number)");
    run(&app, &["crs", f, "--as-of", "1900-01-01"]).await.fails(
        2,
        "the server refused --as-of (as_of): 1900-01-01 is before profile.date_of_birth",
    );
    // An unknown category: the server's INVALID_ARGUMENT on filter.category_id.
    let out = run(&app, &["invitation-history", f, "--category", "nosuch"]).await;
    out.fails(
        2,
        "--category (filter.category_id): unknown category \"nosuch\"",
    );
    // As ListDraws reads it, an id with hyphens names an uncatalogued category: no round yet, and no error.
    let out = run(
        &app,
        &[
            "invitation-history",
            f,
            "--category",
            "no-such",
            "-o",
            "json",
        ],
    )
    .await;
    let none = parse(out.ok());
    assert!(none.rounds.is_empty(), "{none:?}");
    adds_up(&none);
    // --closest out of range, a missing file, a profile the server refuses.
    run(&app, &["invitation-history", f, "--closest", "0"])
        .await
        .fails(2, "--closest");
    run(&app, &["invitation-history", f, "--closest", "51"])
        .await
        .fails(2, "--closest");
    run(&app, &["invitation-history", "/no/such/profile.yaml"])
        .await
        .fails(2, "cannot read /no/such/profile.yaml");
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = refused_profile(dir.path());
    let r = refused.to_str().expect("path");
    run(&app, &["invitation-history", r])
        .await
        .fails(2, "the server refused the profile: line 2: dateOfBirth: ");
    // Both at once: each named where it is.
    let out = run(
        &app,
        &[
            "invitation-history",
            r,
            "--since",
            "2026-02-01",
            "--until",
            "2026-01-01",
        ],
    )
    .await;
    out.fails(2, "--until (end_date)");
    assert!(
        out.stderr.contains("line 2: dateOfBirth: "),
        "{}",
        out.stderr
    );
}

on_both_backends!(
    the_history_of_a_profile_as_json_table_and_csv,
    bad_input_to_invitation_history
);
