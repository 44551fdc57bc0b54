//! `ee crs explore` against ExploreCrs on every example profile: the answer as JSON, each improvement's new total,
//! the table most points first; `ee crs PROFILE` still scores.

use std::path::Path;

use chrono::NaiveDate;
use ee_proto::v1::{ExploreCrsRequest, ExploreCrsResponse};
use ee_test_support::{Backend, TestApp, on_both_backends};

use crate::support::{example_profiles, refused_profile, run};

const AS_OF: &str = "2026-08-01";

async fn exploring_each_example_profile(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.eligibility().await;
    let as_of = Some(ee_proto::convert::date(
        NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").expect("date"),
    ));
    let mut improvements = 0;
    for path in example_profiles() {
        let file = path.to_str().expect("UTF-8 path");
        let profile = ee_cli::candidate::read_profile(&path).expect("the example reads");
        let want = client
            .explore_crs(ExploreCrsRequest {
                profile: Some(profile),
                as_of,
            })
            .await
            .expect("ExploreCrs")
            .into_inner();

        let out = run(
            &app,
            &["crs", "explore", file, "--as-of", AS_OF, "-o", "json"],
        )
        .await;
        let got: ExploreCrsResponse =
            ee_cli::messages::parse(out.ok(), Path::new("answer.json"), "ExploreCrsResponse")
                .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(got, want, "{file}");
        let total = got.crs.as_ref().expect("crs").total;
        for i in &got.improvements {
            assert!(i.points_added > 0, "{file}: {i:?}");
            assert_eq!(i.new_total, total + i.points_added, "{file}: {i:?}");
        }
        improvements += got.improvements.len();

        // The table: the total now, then each change with its points and new total, most points first.
        let out = run(&app, &["crs", "explore", file, "--as-of", AS_OF]).await;
        let text = out.ok();
        assert!(text.starts_with(&format!("CRS {total} ")), "{file}: {text}");
        let rows: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("points"))
            .skip(1)
            .take_while(|l| !l.is_empty())
            .collect();
        assert_eq!(rows.len(), got.improvements.len(), "{file}: {text}");
        let mut last = u32::MAX;
        for (row, i) in rows.iter().zip(&got.improvements) {
            let cells: Vec<&str> = row.split_whitespace().collect();
            let points: u32 = cells[0].trim_start_matches('+').parse().expect("points");
            let new_total: u32 = cells[1].parse().expect("new total");
            assert_eq!(new_total, total + points, "{row}");
            assert!(points <= last, "most points first: {text}");
            last = points;
            assert!(row.ends_with(&i.description), "{row}");
        }
        // CSV: a header and a row per improvement.
        let out = run(
            &app,
            &["crs", "explore", file, "--as-of", AS_OF, "-o", "csv"],
        )
        .await;
        assert_eq!(out.ok().lines().count(), got.improvements.len() + 1);
        // --as-of before the subcommand is the same.
        let out = run(&app, &["crs", "--as-of", AS_OF, "explore", file]).await;
        assert_eq!(out.ok(), text, "{file}");
        // `ee crs PROFILE` is still the score, with the same total.
        let out = run(&app, &["crs", file, "--as-of", AS_OF]).await;
        assert!(out.ok().starts_with(&format!("CRS {total} ")), "{file}");
    }
    assert!(improvements > 0, "some profile can improve");

    // Bad input: a bad date names its flag; a missing file; a profile the server refuses.
    let file = example_profiles().remove(0);
    let f = file.to_str().expect("path");
    run(&app, &["crs", "explore", f, "--as-of", "2026-02-30"])
        .await
        .fails(2, "--as-of");
    run(&app, &["crs", f, "explore", f])
        .await
        .fails(2, "ee crs takes a profile or `explore PROFILE`, not both");
    run(&app, &["crs", "explore"]).await.fails(2, "<PROFILE>");
    run(&app, &["crs", "explore", "/no/such/profile.json"])
        .await
        .fails(2, "cannot read /no/such/profile.json");
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = refused_profile(dir.path());
    run(&app, &["crs", "explore", refused.to_str().expect("path")])
        .await
        .fails(2, "the server refused the profile: line 2: dateOfBirth: ");
}

on_both_backends!(exploring_each_example_profile);
