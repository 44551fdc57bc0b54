//! `ee-bench --smoke` against the ee-server built in the same profile (debug under `cargo test`): every scenario,
//! tiny, on SQLite, and on PostgreSQL when EE_TEST_POSTGRES_URL is set. It fails on any RPC error or missed
//! delivery. The ee-server binary is not built by `cargo test -p ee-bench` (cargo builds the binaries of the
//! package under test only): `cargo test --workspace` builds it, or `cargo build -p ee-server` does; without it
//! this test fails and says so, rather than pass having measured nothing.

use std::path::PathBuf;
use std::process::Command;

fn server_binary() -> PathBuf {
    let bench = PathBuf::from(env!("CARGO_BIN_EXE_ee-bench"));
    let server = bench.with_file_name(format!("ee-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        server.is_file(),
        "{} is missing: build it first with `cargo build -p ee-server` (same profile as this test), \
         or run `cargo test --workspace`",
        server.display()
    );
    server
}

fn smoke(extra: &[&str], postgres_url: Option<&str>) {
    let server = server_binary();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ee-bench"));
    command
        .arg("--smoke")
        .args(["--server", &server.display().to_string()])
        .args(extra)
        .env_remove("EE_TEST_POSTGRES_URL");
    if let Some(url) = postgres_url {
        command.args(["--postgres-url", url]);
    }
    let out = command.output().expect("run ee-bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ee-bench --smoke {extra:?} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("no RPC error, no missed delivery"),
        "{stdout}\n{stderr}"
    );
    for figure in [
        "GetDraw",
        "CheckEligibility",
        "fan-out",
        "import:",
        "growth",
    ] {
        assert!(stdout.contains(figure), "no {figure} in:\n{stdout}");
    }
    if postgres_url.is_some() {
        assert!(stdout.contains("== PostgreSQL"), "{stdout}");
        assert!(stdout.contains("cross-replica"), "{stdout}");
    }
}

#[test]
fn smoke_on_sqlite() {
    smoke(&[], None);
}

#[cfg(postgres_tests)]
#[test]
fn smoke_on_postgres() {
    let url = std::env::var("EE_TEST_POSTGRES_URL").expect("EE_TEST_POSTGRES_URL");
    smoke(&["--no-sqlite"], Some(&url));
}

#[test]
fn json_output_parses_and_bad_flags_are_usage_errors() {
    let server = server_binary();
    let out = Command::new(env!("CARGO_BIN_EXE_ee-bench"))
        .args(["--smoke", "--json", "--scenario", "import"])
        .args(["--server", &server.display().to_string()])
        .env_remove("EE_TEST_POSTGRES_URL")
        .output()
        .expect("run ee-bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        report["backends"][0]["import"]["full_median_ms"]
            .as_f64()
            .is_some_and(|ms| ms > 0.0)
    );

    for bad in [
        &["--scenario", "everything"][..],
        &["--concurrency", "0"],
        &["--duration", "soon"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_ee-bench"))
            .args(bad)
            .output()
            .expect("run ee-bench");
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("error:") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_ee-bench"))
        .args(["--server", "/nonexistent/ee-server", "--scenario", "import"])
        .output()
        .expect("run ee-bench");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
}
