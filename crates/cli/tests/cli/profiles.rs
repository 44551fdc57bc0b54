//! `ee crs`, `ee eligibility`, `ee invitation` on every example profile give the figures and reasons the RPCs give.

use std::path::Path;

use chrono::NaiveDate;
use ee_proto::v1::{
    CalculateCrsRequest, CalculateCrsResponse, CheckEligibilityRequest, CheckEligibilityResponse,
    CheckInvitationRequest, CheckInvitationResponse,
};
use ee_test_support::{Backend, TestApp, on_both_backends};

use crate::support::{example_profiles, run};

const AS_OF: &str = "2026-08-01";
/// A general round, a CEC round, a healthcare round, a French round, a trade round, and a PNP round.
const ROUNDS: &[&str] = &["305", "432", "422", "433", "415", "430"];

fn parse<M: prost::Message + Default>(text: &str, name: &str) -> M {
    ee_cli::messages::parse(text, Path::new("answer.json"), name)
        .unwrap_or_else(|e| panic!("{name}: {e}: {text}"))
}

async fn the_example_profiles_give_the_servers_figures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let as_of = Some(ee_proto::convert::date(
        NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").expect("date"),
    ));
    for path in example_profiles() {
        let file = path.to_str().expect("UTF-8 path");
        let profile = ee_cli::candidate::read_profile(&path).expect("the example reads");

        let want = client
            .calculate_crs(CalculateCrsRequest {
                profile: Some(profile.clone()),
                as_of,
            })
            .await
            .expect("CalculateCrs")
            .into_inner();
        let out = run(&app, &["crs", file, "--as-of", AS_OF, "-o", "json"]).await;
        assert_eq!(
            parse::<CalculateCrsResponse>(out.ok(), "CalculateCrsResponse"),
            want,
            "{file}"
        );
        let crs = want.crs.expect("crs");
        let table = run(&app, &["crs", file, "--as-of", AS_OF]).await;
        let text = table.ok();
        assert!(
            text.starts_with(&format!("CRS {} ", crs.total)),
            "{file}: {text}"
        );
        for section in [
            &crs.core,
            &crs.spouse,
            &crs.transferability,
            &crs.additional,
        ] {
            for line in &section.as_ref().expect("section").lines {
                let shown = text
                    .lines()
                    .find(|l| l.trim_start().starts_with(&line.label))
                    .unwrap_or_else(|| panic!("{file}: no line {:?} in\n{text}", line.label));
                assert!(
                    shown.trim_end().ends_with(&format!(" {}", line.points)),
                    "{shown}"
                );
            }
        }
        for note in &crs.notes {
            assert!(text.contains(note.as_str()), "{file}: note {note:?}");
        }
        let csv = run(&app, &["crs", file, "--as-of", AS_OF, "-o", "csv"]).await;
        let total = csv
            .ok()
            .lines()
            .last()
            .expect("a total row")
            .split(',')
            .nth(3)
            .expect("points")
            .parse::<u32>()
            .expect("a number");
        assert_eq!(total, crs.total, "{file}");

        let want = client
            .check_eligibility(CheckEligibilityRequest {
                profile: Some(profile.clone()),
                as_of,
            })
            .await
            .expect("CheckEligibility")
            .into_inner();
        let out = run(&app, &["eligibility", file, "--as-of", AS_OF, "-o", "json"]).await;
        assert_eq!(
            parse::<CheckEligibilityResponse>(out.ok(), "CheckEligibilityResponse"),
            want,
            "{file}"
        );
        let table = run(&app, &["eligibility", file, "--as-of", AS_OF]).await;
        let text = table.ok();
        for reason in want
            .programs
            .iter()
            .flat_map(|p| &p.reasons)
            .chain(want.categories.iter().flat_map(|c| &c.reasons))
        {
            assert!(
                text.contains(&format!("{}: {}", reason.code, reason.message)),
                "{file}: reason {reason:?} in\n{text}"
            );
        }
        for c in &want.categories {
            let verdict = if c.eligible {
                "  eligible"
            } else {
                "not eligible"
            };
            let line = text
                .lines()
                .find(|l| {
                    l.trim_start()
                        .starts_with(&format!("{} v{} ", c.category_id, c.category_version))
                })
                .unwrap_or_else(|| panic!("{file}: no line for {}", c.category_id));
            assert!(line.contains(verdict), "{line}");
        }

        for round in ROUNDS {
            let want = client
                .check_invitation(CheckInvitationRequest {
                    profile: Some(profile.clone()),
                    draw_number: (*round).into(),
                })
                .await
                .expect("CheckInvitation")
                .into_inner();
            let out = run(&app, &["invitation", file, "--draw", round, "-o", "json"]).await;
            assert_eq!(
                parse::<CheckInvitationResponse>(out.ok(), "CheckInvitationResponse"),
                want,
                "{file} in round {round}"
            );
            let table = run(&app, &["invitation", file, "--draw", round]).await;
            let text = table.ok();
            let verdict = match want.outcome {
                1 => ": INVITED",
                2 => ": NOT INVITED",
                _ => ": UNDETERMINED",
            };
            assert!(
                text.lines().next().expect("a line").ends_with(verdict),
                "{text}"
            );
            for reason in &want.reasons {
                assert!(
                    text.contains(&format!("{}: {}", reason.code, reason.message)),
                    "{file} in round {round}: {reason:?} in\n{text}"
                );
            }
            assert!(
                text.contains(&format!("CRS {} ", want.crs.expect("crs").total)),
                "{text}"
            );
        }
    }
}

on_both_backends!(the_example_profiles_give_the_servers_figures);
