//! `ee draws watch`: a resume file across a kill and a restart, a connection cut and restored, and `--exec`.

use ee_proto::v1::DrawEvent;
use ee_test_support::fault_proxy::{FaultProxy, Mode};
use ee_test_support::fixtures::{after_the_history, general, round};
use ee_test_support::{Backend, TestApp, on_both_backends};

use crate::support::{Running, ee, record, resume_file_reaches};

fn event(line: &str) -> DrawEvent {
    ee_cli::messages::parse(line, std::path::Path::new("event.json"), "DrawEvent")
        .unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn number(e: &DrawEvent) -> &str {
    &e.draw.as_ref().expect("draw").number
}

async fn watcher(app_addr: &str, resume: &std::path::Path) -> Running {
    let resume = resume.to_str().expect("UTF-8 path");
    let mut w = Running::start(
        ee(app_addr),
        &["draws", "watch", "--resume-file", resume, "-o", "json"],
    );
    w.stderr_containing("watching for rounds").await;
    w
}

/// A watcher sees a round recorded while it runs, is killed, misses a round recorded while it is down, and once
/// restarted prints exactly that round, once: the next thing it prints is the round recorded after the restart.
async fn a_restarted_watcher_prints_what_it_missed_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let resume = dir.path().join("watch.resume");
    let addr = app.addr.to_string();

    let mut first = watcher(&addr, &resume).await;
    record(&app, round("9001", general(), after_the_history(1))).await;
    let seen = event(&first.stdout_line().await);
    assert_eq!(number(&seen), "9001");
    resume_file_reaches(&resume, seen.event_id).await;
    first.kill().await;

    record(&app, round("9002", general(), after_the_history(2))).await;

    let mut second = watcher(&addr, &resume).await;
    let missed = event(&second.stdout_line().await);
    assert_eq!(
        number(&missed),
        "9002",
        "the round recorded while it was down"
    );
    assert!(missed.event_id > seen.event_id);
    record(&app, round("9003", general(), after_the_history(3))).await;
    let next = event(&second.stdout_line().await);
    assert_eq!(
        number(&next),
        "9003",
        "nothing repeated between the missed round and the next"
    );
    resume_file_reaches(&resume, next.event_id).await;
    second.kill().await;
}

/// A watcher whose connection is cut reconnects with backoff and misses nothing recorded meanwhile.
async fn a_cut_watcher_reconnects_and_misses_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let proxy = FaultProxy::start(app.addr).await;
    let mut w = Running::start(
        ee(&proxy.addr.to_string()),
        &["draws", "watch", "-o", "json"],
    );
    w.stderr_containing("watching for rounds, from now").await;
    record(&app, round("9101", general(), after_the_history(1))).await;
    let a = event(&w.stdout_line().await);
    assert_eq!(number(&a), "9101");

    proxy.set(Mode::Cut);
    w.stderr_containing("lost the subscription").await;
    record(&app, round("9102", general(), after_the_history(2))).await;
    record(&app, round("9103", general(), after_the_history(3))).await;
    proxy.set(Mode::Pass);
    w.stderr_containing(&format!("watching for rounds, after event {}", a.event_id))
        .await;

    let b = event(&w.stdout_line().await);
    let c = event(&w.stdout_line().await);
    assert_eq!((number(&b), number(&c)), ("9102", "9103"));
    record(&app, round("9104", general(), after_the_history(4))).await;
    let d = event(&w.stdout_line().await);
    assert_eq!(number(&d), "9104", "nothing repeated");
    w.kill().await;
}

/// `--exec` runs once per event, in order, with the event as JSON on standard input and its id, kind and round
/// in the environment; a failing hook does not stop the watch.
async fn exec_runs_per_event(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let resume = dir.path().join("r");
    let events = dir.path().join("events.jsonl");
    let env = dir.path().join("env.txt");
    let hook = format!(
        "cat >> '{}'; echo \"$EE_EVENT_ID $EE_EVENT_KIND $EE_DRAW_NUMBER\" >> '{}'; exit 3",
        events.display(),
        env.display()
    );
    let mut w = Running::start(
        ee(&app.addr.to_string()),
        &[
            "draws",
            "watch",
            "--resume-file",
            resume.to_str().expect("path"),
            "--exec",
            &hook,
        ],
    );
    w.stderr_containing("watching for rounds").await;
    record(&app, round("9201", general(), after_the_history(1))).await;
    let failed = w.stderr_containing("--exec").await;
    assert!(failed.contains("failed"), "{failed}");
    record(&app, round("9202", general(), after_the_history(2))).await;
    let first = w.stdout_line().await;
    assert!(first.contains("NEW round 9201"), "{first}");
    let second = w.stdout_line().await;
    assert!(second.contains("NEW round 9202"), "{second}");

    let last = second
        .split_whitespace()
        .nth(3)
        .and_then(|id| id.parse::<u64>().ok())
        .expect("the table line names the event id");
    resume_file_reaches(&resume, last).await;
    let got: Vec<DrawEvent> = std::fs::read_to_string(&events)
        .expect("the hook's input")
        .lines()
        .map(event)
        .collect();
    assert_eq!(got.iter().map(number).collect::<Vec<_>>(), ["9201", "9202"]);
    let env_lines = std::fs::read_to_string(&env).expect("the hook's environment");
    let want: Vec<String> = got
        .iter()
        .map(|e| format!("{} created {}", e.event_id, number(e)))
        .collect();
    assert_eq!(env_lines.lines().collect::<Vec<_>>(), want);
    w.kill().await;
}

/// A correction (IRCC's older feed re-imported reverts later corrections) is shown with what changed.
async fn a_correction_shows_what_changed(backend: Backend) {
    use ee_proto::v1::ImportFeedRequest;
    use ee_test_support::fixtures::{SNAPSHOT_2024, snapshot};

    let app = TestApp::spawn(backend).await;
    let mut w = Running::start(ee(&app.addr.to_string()), &["draws", "watch"]);
    w.stderr_containing("watching for rounds").await;
    let r = app
        .draws()
        .await
        .import_feed(ee_test_support::authorized(ImportFeedRequest {
            feed_json: snapshot(SNAPSHOT_2024),
        }))
        .await
        .expect("ImportFeed")
        .into_inner();
    assert!(r.updated > 0, "the older feed changes rounds");
    let head = w.stdout_line().await;
    assert!(head.contains("CORRECTED round "), "{head}");
    let change = w.stdout_line().await;
    assert!(
        change.starts_with("    ") && change.contains(": ") && change.contains(" -> "),
        "a changed field, before -> after: {change}"
    );
    w.kill().await;
}

on_both_backends!(
    a_correction_shows_what_changed,
    a_restarted_watcher_prints_what_it_missed_once,
    a_cut_watcher_reconnects_and_misses_nothing,
    exec_runs_per_event
);
