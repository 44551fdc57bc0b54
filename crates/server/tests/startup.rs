//! Bad starts of the real `ee-server` binary: each one says what is wrong in one line, exits with a non-zero status
//! and never serves.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ee_test_support::{Backend, TestDb, on_both_backends};

const BINARY: &str = env!("CARGO_BIN_EXE_ee-server");
/// Only a guard against a hung process, not a speed requirement: each bad start below ends in well under it.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// `ee-server ARGS` with only the given variables, so that a developer's `EE_*` settings play no part.
fn ee_server(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env_clear()
        .env("RUST_LOG", "info")
        .env("EE_LISTEN_ADDR", "127.0.0.1:0")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs to its end; a process still running after [`HANG_GUARD`] is killed and the test fails.
fn run(mut command: Command) -> Output {
    let mut child = command.spawn().expect("start ee-server");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > HANG_GUARD {
            let _ = child.kill();
            panic!("ee-server did not exit on a bad start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

/// Asserts a bad start: a non-zero exit, `expected` said exactly once, one error line, never "serving".
fn assert_refused(output: &Output, expected: &str) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "exited with success:\n{text}");
    assert_eq!(
        text.matches(expected).count(),
        1,
        "{expected:?} is not said exactly once:\n{text}"
    );
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(
        errors.len() == 1 && errors[0].contains(expected),
        "not one error line saying {expected:?}:\n{text}"
    );
    assert!(!text.contains("serving gRPC"), "it served:\n{text}");
    assert!(
        !text.contains('\u{1b}'),
        "colour codes in a log that is not a terminal:\n{text}"
    );
    text
}

#[test]
fn a_database_url_of_an_unknown_scheme_is_refused() {
    let output = run(ee_server(
        &["serve"],
        &[("EE_DATABASE_URL", "mysql://app@db.internal/ee")],
    ));
    assert_refused(&output, "unsupported database URL scheme \"mysql\"");
}

#[test]
fn an_unreachable_postgresql_is_refused() {
    // Port 9 (discard) on loopback: nothing listens there, so the connection is refused at once.
    let output = run(ee_server(
        &["serve"],
        &[("EE_DATABASE_URL", "postgres://app:hunter2@127.0.0.1:9/ee")],
    ));
    let text = assert_refused(&output, "cannot connect to the database");
    assert!(text.contains("127.0.0.1"), "names the server:\n{text}");
    assert!(!text.contains("hunter2"), "shows the password:\n{text}");
}

#[test]
fn a_postgresql_url_asking_for_tls_is_refused_naming_the_limitation() {
    for mode in ["require", "verify-full"] {
        let url = format!("postgres://app:hunter2@127.0.0.1:5432/ee?sslmode={mode}");
        let output = run(ee_server(&["serve"], &[("EE_DATABASE_URL", &url)]));
        let text = assert_refused(
            &output,
            &format!("sslmode={mode} cannot be served by this build"),
        );
        assert!(text.contains("without TLS"), "{text}");
        assert!(!text.contains("hunter2"), "shows the password:\n{text}");
    }
}

fn secret_file(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("ee-startup-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).expect("write the secret file");
    path
}

#[test]
fn the_database_url_is_read_from_its_file_trimmed_and_never_shown() {
    let file = secret_file("url", "\n  postgres://app:s3cr%40t@127.0.0.1:9/ee \n");
    let output = run(ee_server(
        &["serve"],
        &[("EE_DATABASE_URL_FILE", file.to_str().expect("utf-8 path"))],
    ));
    let text = assert_refused(&output, "cannot connect to the database");
    assert!(
        !text.contains("s3cr") && !text.contains("s3cr@t"),
        "shows the password:\n{text}"
    );
    let empty = secret_file("empty-url", " \n");
    let output = run(ee_server(
        &["serve"],
        &[("EE_DATABASE_URL_FILE", empty.to_str().expect("utf-8 path"))],
    ));
    assert_refused(&output, "is empty");
    let missing = run(ee_server(
        &["serve", "--database-url-file", "/nonexistent/ee/url"],
        &[],
    ));
    assert_refused(
        &missing,
        "cannot read the database URL file /nonexistent/ee/url",
    );
    let _ = std::fs::remove_file(file);
    let _ = std::fs::remove_file(empty);
}

/// Reads the child's standard output until a line contains `needle`; returns what it read.
fn wait_for_line(child: &mut Child, needle: &str) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.expect("read the log");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(needle) {
            // Keep draining, so that the server never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return seen;
        }
    }
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    panic!("the server ended before {needle:?}:\n{seen}{stderr}");
}

mod migrations {
    use super::*;

    on_both_backends!(serve_without_migrating_refuses_a_database_behind_and_serves_after_migrate);

    /// A `serve` told not to migrate refuses a database that is behind; after `ee-server migrate`, it serves, and
    /// stops on SIGTERM.
    async fn serve_without_migrating_refuses_a_database_behind_and_serves_after_migrate(
        backend: Backend,
    ) {
        let db = TestDb::new(backend);
        let env = [
            ("EE_DATABASE_URL", db.url.as_str()),
            ("EE_MIGRATE", "false"),
        ];
        let refused = run(ee_server(&["serve"], &env));
        let text = assert_refused(&refused, "migration(s) behind this release");
        assert!(
            text.contains("ee-server migrate"),
            "says what to do:\n{text}"
        );

        // EE_MIGRATE=false does not stop `migrate` itself, as the Kubernetes Job runs it with the same ConfigMap.
        let migrated = run(ee_server(&["migrate"], &env));
        assert!(
            migrated.status.success(),
            "migrate failed:\n{}{}",
            String::from_utf8_lossy(&migrated.stdout),
            String::from_utf8_lossy(&migrated.stderr)
        );

        let mut server = ee_server(&["serve"], &env)
            .spawn()
            .expect("start ee-server");
        let log = wait_for_line(&mut server, "serving gRPC");
        assert!(
            log.contains("its migrations are up to date") && !log.contains("migrations_run"),
            "{log}"
        );
        let killed = Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let status = server.wait().expect("wait");
        assert!(status.success(), "exit after SIGTERM: {status}");
    }
}
