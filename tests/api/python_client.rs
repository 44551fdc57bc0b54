//! A client in another language: Python grpcio, with its code generated from `proto/` in the test.

use std::path::{Path, PathBuf};
use std::process::Command;

use ee_test_support::{Backend, TestApp};

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A virtual environment with grpcio and grpcio-tools (tests/python/requirements.txt), made once per target dir.
fn python_with_grpc(dir: &Path) -> PathBuf {
    let python = dir.join("venv/bin/python");
    let ready = dir.join("venv/.requirements-installed");
    let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).expect("requirements.txt");
    if std::fs::read_to_string(&ready).ok().as_deref() != Some(wanted.as_str()) {
        run(Command::new("python3")
            .args(["-m", "venv"])
            .arg(dir.join("venv")));
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements));
        std::fs::write(&ready, wanted).expect("mark the venv ready");
    }
    python
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_grpcio_client_lists_rounds() {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-client");
    std::fs::create_dir_all(&work).expect("work dir");
    let python = python_with_grpc(&work);
    let generated = work.join(format!("generated-{}", std::process::id()));
    std::fs::create_dir_all(&generated).expect("generated dir");
    let proto_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
    let protos = [
        "common",
        "draw",
        "draw_service",
        "candidate",
        "eligibility_service",
    ]
    .map(|f| format!("expressentry/v1/{f}.proto"));
    run(Command::new(&python)
        .args(["-m", "grpc_tools.protoc"])
        .arg(format!("-I{}", proto_root.display()))
        .arg(format!("--python_out={}", generated.display()))
        .arg(format!("--grpc_python_out={}", generated.display()))
        .args(&protos));

    let app = TestApp::spawn(Backend::Sqlite).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/list_draws.py");
    let addr = app.addr.to_string();
    let out = tokio::task::spawn_blocking(move || {
        run(Command::new(&python).arg(script).arg(&generated).arg(addr))
    })
    .await
    .expect("python client");
    let v: serde_json::Value =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["total_size"], 435);
    let numbers = v["numbers"].as_array().expect("numbers");
    assert_eq!(numbers.len(), 435);
    assert_eq!(numbers[0], "434");
    assert_eq!(
        v["healthcare_v1"],
        serde_json::json!([
            ["327", 463],
            ["301", 445],
            ["284", 422],
            ["271", 431],
            ["255", 463],
            ["252", 476]
        ])
    );
    assert_eq!(v["missing"], "NOT_FOUND");
}
