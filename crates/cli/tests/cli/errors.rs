//! Each class of error: one line on standard error saying what happened and what to do, and its exit status
//! (1 error, 2 usage, 3 not found).

use ee_test_support::{Backend, OPERATOR_TOKEN, TestApp, on_both_backends};

use crate::support::{ee, refused_profile, run, run_with};

/// A server that cannot be reached, in each form --server takes.
#[tokio::test]
async fn an_unreachable_server() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    for server in [
        format!("127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}"),
    ] {
        let out = run_with(ee(&server), &["draws", "list"]).await;
        out.fails(
            1,
            &format!("cannot reach the server at http://127.0.0.1:{port}"),
        );
        assert!(
            out.stderr.contains("--server"),
            "says what to do: {}",
            out.stderr
        );
    }
    for bad in ["ftp://127.0.0.1:1", "http://127.0.0.1:1/path"] {
        run_with(ee(bad), &["draws", "list"])
            .await
            .fails(2, "--server");
    }
}

/// Completions and the manual page come from the clap definitions: every command is in them.
#[tokio::test]
async fn completions_and_the_manual_page() {
    let nowhere = "127.0.0.1:1";
    for shell in ["bash", "zsh", "fish"] {
        let out = run_with(ee(nowhere), &["completions", shell]).await;
        let text = out.ok();
        for command in [
            "draws",
            "crs",
            "eligibility",
            "invitation",
            "invitation-history",
            "explore",
            "pool",
            "outlook",
            "categories",
            "import",
            "record",
        ] {
            assert!(text.contains(command), "{shell} completes {command}");
        }
    }
    let out = run_with(ee(nowhere), &["man"]).await;
    let text = out.ok();
    assert!(
        text.starts_with(".ie") || text.contains(".TH ee 1"),
        "roff: {text}"
    );
    assert!(
        text.contains("draws")
            && text.contains("invitation")
            && text.contains("invitation\\-history"),
        "{text}"
    );
}

async fn each_error_exits_with_its_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("tempdir");

    // An unknown round, through each command that names one.
    run(&app, &["draws", "show", "9999"])
        .await
        .fails(3, "there is no round 9999");
    let profile = dir.path().join("p.yaml");
    std::fs::write(
        &profile,
        "dateOfBirth: {year: 1990, month: 1, day: 1}\neducation: EDUCATION_LEVEL_MASTERS\n",
    )
    .expect("write");
    let p = profile.to_str().expect("path");
    run(&app, &["invitation", p, "--draw", "9999"])
        .await
        .fails(3, "there is no round 9999");
    run(&app, &["categories", "show", "no-such-category"])
        .await
        .fails(3, "no-such-category");

    // A bad file: the line and the field.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"dateOfBirth\": {\"year\": 1990, \"month\": 1, \"day\": 1},\n  \"education\": \"PHD\"\n}\n",
    )
    .expect("write");
    let out = run(&app, &["crs", bad.to_str().expect("path")]).await;
    out.fails(2, "line 3");
    assert!(out.stderr.contains("education"), "{}", out.stderr);
    // A file the server refuses: the field it names.
    let refused = refused_profile(dir.path());
    let out = run(&app, &["eligibility", refused.to_str().expect("path")]).await;
    out.fails(2, "the server refused the profile: line 2: dateOfBirth: ");
    run(&app, &["crs", "/no/such/file.json"])
        .await
        .fails(2, "cannot read /no/such/file.json");

    // The operator token: missing, refused, and accepted from a file.
    let feed = dir.path().join("feed.json");
    std::fs::write(
        &feed,
        ee_test_support::fixtures::snapshot(ee_test_support::fixtures::SNAPSHOT_2026),
    )
    .expect("write");
    let f = feed.to_str().expect("path");
    run(&app, &["import", f])
        .await
        .fails(2, "needs the operator token");
    run(&app, &["--token", "wrong-token", "import", f])
        .await
        .fails(1, "the server refused the operator token");
    let draw = dir.path().join("draw.yaml");
    std::fs::write(
        &draw,
        "number: \"9300\"\nheldAt: 2027-02-01T14:00:00Z\nroundType: {kind: ROUND_KIND_GENERAL}\n\
         invitations: 1500\nminimumCrs: 501\n",
    )
    .expect("write");
    let mut with_env = ee(&app.addr.to_string());
    with_env.env("EE_OPERATOR_TOKEN", "wrong-token");
    run_with(with_env, &["record", draw.to_str().expect("path")])
        .await
        .fails(1, "the server refused the operator token");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{OPERATOR_TOKEN}\n")).expect("write");
    let mut with_file = ee(&app.addr.to_string());
    with_file.env("EE_OPERATOR_TOKEN_FILE", &token_file);
    let out = run_with(with_file, &["import", f, "-o", "csv"]).await;
    let text = out.ok();
    assert!(text.ends_with(&format!("{f},0,0,435,0,0\n")), "{text}");

    // Usage: exit 2, from clap.
    run(&app, &["draws", "list", "--kind", "sideways"])
        .await
        .fails(2, "sideways");
    run(&app, &["draws", "list", "--since", "2024-13-01"])
        .await
        .fails(2, "--since");
}

on_both_backends!(each_error_exits_with_its_message);
