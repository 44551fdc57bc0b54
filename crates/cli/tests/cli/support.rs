//! Running `ee` as a process against a real server, and reading what it prints.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use ee_proto::v1::{Draw, DrawFilter, ListDrawsRequest, RecordDrawRequest};
use ee_test_support::{TestApp, authorized};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdout, Command};

pub const EE: &str = env!("CARGO_BIN_EXE_ee");

/// How long a test waits for a line a process should print before it fails instead of hanging. A bound on a hang,
/// not a measurement: nothing asserts how fast anything is.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// `ee --server SERVER` with none of the shell's EE_* settings.
pub fn ee(server: &str) -> Command {
    let mut c = Command::new(EE);
    for var in [
        "EE_SERVER",
        "EE_OUTPUT",
        "EE_OPERATOR_TOKEN",
        "EE_OPERATOR_TOKEN_FILE",
        "EE_TLS_CA",
        "EE_TLS_CERT",
        "EE_TLS_KEY",
        "NO_COLOR",
    ] {
        c.env_remove(var);
    }
    c.arg("--server").arg(server);
    c.stdin(Stdio::null());
    c.kill_on_drop(true);
    c
}

/// What a finished `ee` printed, and its exit status.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The run succeeded; its standard output.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "ee failed: {}", self.stderr);
        &self.stdout
    }

    /// The run failed with `code`, printing one line that contains `text`.
    pub fn fails(&self, code: i32, text: &str) {
        assert_eq!(self.code, code, "exit status; stderr: {}", self.stderr);
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}: {}",
            self.stderr
        );
        if code != 2 || self.stderr.starts_with("ee: ") {
            assert_eq!(
                self.stderr.trim_end().lines().count(),
                1,
                "one line: {}",
                self.stderr
            );
            assert!(self.stderr.starts_with("ee: "), "{}", self.stderr);
        }
        assert!(self.stdout.is_empty(), "nothing on stdout: {}", self.stdout);
    }
}

pub async fn run_with(mut command: Command, args: &[&str]) -> Run {
    let out = command.args(args).output().await.expect("run ee");
    Run {
        code: out.status.code().expect("ee exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8"),
    }
}

pub async fn run(app: &TestApp, args: &[&str]) -> Run {
    run_with(ee(&app.addr.to_string()), args).await
}

/// A running `ee` whose output is read line by line.
pub struct Running {
    pub child: Child,
    pub stdout: Lines<BufReader<ChildStdout>>,
    pub stderr: Lines<BufReader<ChildStderr>>,
}

impl Running {
    pub fn start(mut command: Command, args: &[&str]) -> Self {
        let mut child = command
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ee");
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
        Self {
            child,
            stdout,
            stderr,
        }
    }

    pub async fn stdout_line(&mut self) -> String {
        tokio::time::timeout(PATIENCE, self.stdout.next_line())
            .await
            .expect("ee printed a line in time")
            .expect("read stdout")
            .expect("ee is still running")
    }

    /// Waits for a line on standard error containing `text`, and returns it.
    pub async fn stderr_containing(&mut self, text: &str) -> String {
        let wait = async {
            loop {
                let line = self
                    .stderr
                    .next_line()
                    .await
                    .expect("read stderr")
                    .unwrap_or_else(|| panic!("ee ended before printing {text:?}"));
                if line.contains(text) {
                    return line;
                }
            }
        };
        tokio::time::timeout(PATIENCE, wait)
            .await
            .unwrap_or_else(|_| panic!("ee did not print {text:?} in time"))
    }

    /// Kills the process (SIGKILL: no chance to tidy up) and waits for it.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("kill ee");
    }
}

/// Every round matching `filter`, through ListDraws.
pub async fn list_draws(app: &TestApp, filter: DrawFilter) -> Vec<Draw> {
    let mut client = app.draws().await;
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_draws(ListDrawsRequest {
                page_size: 500,
                page_token: token,
                filter: Some(filter.clone()),
            })
            .await
            .expect("ListDraws")
            .into_inner();
        all.extend(page.draws);
        token = page.next_page_token;
        if token.is_empty() {
            return all;
        }
    }
}

pub async fn record(app: &TestApp, draw: Draw) -> Draw {
    app.draws()
        .await
        .record_draw(authorized(RecordDrawRequest { draw: Some(draw) }))
        .await
        .expect("RecordDraw")
        .into_inner()
        .draw
        .expect("the stored round")
}

/// Waits until the resume file names `event_id` (the watcher writes it after handling the event).
pub async fn resume_file_reaches(path: &Path, event_id: u64) {
    let wait = async {
        loop {
            if let Ok(Some(id)) = ee_cli::watch::read_resume_file(path)
                && id >= event_id
            {
                return id;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let id = tokio::time::timeout(PATIENCE, wait)
        .await
        .expect("the resume file reached the event in time");
    assert_eq!(id, event_id, "the resume file holds the last event handled");
}

/// A profile file in `dir` that parses but that the server refuses: its date of birth, on line 2, has month 13.
pub fn refused_profile(dir: &Path) -> PathBuf {
    let path = dir.join("refused.yaml");
    std::fs::write(
        &path,
        "education: EDUCATION_LEVEL_MASTERS\ndateOfBirth: {year: 1990, month: 13, day: 1}\n",
    )
    .expect("write the refused profile");
    path
}

/// The example profiles shipped with the crate.
pub fn example_profiles() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/profiles");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/profiles")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "the example profiles are there: {files:?}"
    );
    files
}
