//! `ee draws watch`: follows `SubscribeDraws`, prints each new or corrected round, runs `--exec` per event, and
//! keeps the last event it handled in a resume file, so that a watcher that is restarted or loses its server
//! misses nothing and repeats nothing.
//!
//! Each event is printed, then given to `--exec`, then saved. A watcher killed after printing an event and before
//! saving it prints that event again when restarted (at least once, never lost); one killed at any other moment
//! neither misses nor repeats.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use clap::Args;
use ee_proto::v1::{Draw, DrawEvent, DrawEventKind, SubscribeDrawsRequest};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tonic::{Code, Status};

use crate::client::ConnectArgs;
use crate::error::{Error, Exit, from_status, one_line};
use crate::filter::FilterArgs;
use crate::output::{self, DRAW_CSV, Format, Out, draw_csv, thousands};

#[derive(Args, Debug)]
pub struct WatchArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Keep the last event handled in this file (written atomically after each event) and, when it exists, resume
    /// after that event.
    #[arg(long, value_name = "PATH")]
    pub resume_file: Option<PathBuf>,
    /// Start after this event id when there is no resume file; 0 replays every event ever logged. Without it (and
    /// without a resume file) only rounds recorded from now on are shown.
    #[arg(long, value_name = "EVENT_ID")]
    pub after: Option<u64>,
    /// Run this shell command (sh -c) for each event, with the event as JSON (the proto3 JSON mapping of DrawEvent)
    /// on its standard input, and EE_EVENT_ID, EE_EVENT_KIND and EE_DRAW_NUMBER set. Events wait for it, in order.
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
    /// Stop after this many events.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
}

/// What the resume file holds.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
pub struct ResumePoint {
    /// The id of the last event handled; the watcher resumes after it.
    pub last_event_id: u64,
}

pub fn read_resume_file(path: &Path) -> anyhow::Result<Option<u64>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::new(
                Exit::Usage,
                format!("cannot read the resume file {}: {e}", path.display()),
            )
            .into());
        }
    };
    let point: ResumePoint = serde_json::from_str(&text).map_err(|e| {
        Error::new(
            Exit::Usage,
            format!(
                "the resume file {} is not one ee wrote ({e}); remove it to start from now, or give --after \
                 EVENT_ID",
                path.display()
            ),
        )
    })?;
    Ok(Some(point.last_event_id))
}

/// Replaces the file in one step: a temporary file beside it, synced, then renamed over it. A crash leaves the old
/// contents or the new, never a mix.
pub fn write_resume_file(path: &Path, last_event_id: u64) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "resume".to_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        serde_json::to_writer(&mut f, &ResumePoint { last_event_id })?;
        std::io::Write::write_all(&mut f, b"\n")?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    // The rename itself is durable once the directory is synced; not every file system allows opening one.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Statuses that another attempt would get again: the watcher stops and says why.
fn is_final(code: Code) -> bool {
    matches!(
        code,
        Code::InvalidArgument
            | Code::OutOfRange
            | Code::NotFound
            | Code::Unauthenticated
            | Code::PermissionDenied
            | Code::FailedPrecondition
            | Code::Unimplemented
    )
}

const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A subscription open this long counts as established (see the backoff reset).
const STABLE: Duration = Duration::from_secs(10);

enum Ended {
    /// `--count` events were handled.
    Done,
    /// The stream or the connection failed; try again.
    Lost(String),
}

pub async fn run(a: WatchArgs, connect: &ConnectArgs, out: &mut Out) -> anyhow::Result<()> {
    let mut last = match &a.resume_file {
        Some(path) => read_resume_file(path)?.or(a.after),
        None => a.after,
    };
    let filter = a.filter.to_proto();
    let mut handled = 0u64;
    let mut backoff = FIRST_BACKOFF;
    let mut ever_connected = false;
    loop {
        let attempt = async {
            let mut client = connect.draws().await?;
            let response = client
                .subscribe_draws(SubscribeDrawsRequest {
                    after_event_id: last,
                    filter: Some(filter.clone()),
                })
                .await;
            let mut stream = match response {
                Ok(r) => r.into_inner(),
                Err(s) if is_final(s.code()) => return Err(watch_error(&s)),
                Err(s) => return Ok(Ended::Lost(status_text(&s))),
            };
            ever_connected = true;
            let opened = std::time::Instant::now();
            // The server has registered the subscription once it answers: from here nothing is missed.
            eprintln!(
                "ee: watching for rounds, {}",
                last.map_or_else(|| "from now".to_owned(), |l| format!("after event {l}"))
            );
            loop {
                let next = stream.message().await;
                // A subscription that delivered or lasted resets the backoff; one that fails at once keeps doubling
                // it, so a server that accepts and drops does not get a tight loop.
                if matches!(next, Ok(Some(_))) || opened.elapsed() >= STABLE {
                    backoff = FIRST_BACKOFF;
                }
                let message = match next {
                    Ok(Some(m)) => m,
                    Ok(None) => return Ok(Ended::Lost("the server ended the stream".to_owned())),
                    Err(s) if is_final(s.code()) => return Err(watch_error(&s)),
                    Err(s) => return Ok(Ended::Lost(status_text(&s))),
                };
                let Some(event) = message.event else { continue };
                // The server sends no duplicate; this guards a resume file written by a newer watcher.
                if last.is_some_and(|l| event.event_id <= l) {
                    continue;
                }
                print_event(&event, out)?;
                if let Some(cmd) = &a.exec {
                    exec(cmd, &event).await;
                }
                if let Some(path) = &a.resume_file {
                    write_resume_file(path, event.event_id).map_err(|e| {
                        Error::new(
                            Exit::Error,
                            format!(
                                "cannot write the resume file {}: {e}; check the directory's permissions and space",
                                path.display()
                            ),
                        )
                    })?;
                }
                last = Some(event.event_id);
                handled += 1;
                if a.count.is_some_and(|c| handled >= c) {
                    return Ok(Ended::Done);
                }
            }
        };
        let why = match attempt.await {
            Ok(Ended::Done) => return Ok(()),
            Ok(Ended::Lost(why)) => why,
            Err(e) if !ever_connected => return Err(e),
            Err(e) => match e.downcast::<Error>() {
                // A connection that fails again after the watcher was connected is retried, like a lost stream.
                Ok(e) if e.message.starts_with("cannot reach") => e.message,
                Ok(e) => return Err(e.into()),
                Err(e) => return Err(e),
            },
        };
        if !ever_connected {
            return Err(Error::new(
                Exit::Error,
                format!(
                    "the server ended the subscription at once ({why}); check the server's log"
                ),
            )
            .into());
        }
        eprintln!(
            "ee: lost the subscription ({}); reconnecting in {:.1} s, after event {}",
            one_line(&why),
            backoff.as_secs_f64(),
            last.map_or_else(|| "(none yet: from now)".to_owned(), |l| l.to_string())
        );
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn status_text(s: &Status) -> String {
    format!("{:?}: {}", s.code(), one_line(s.message()))
}

fn watch_error(s: &Status) -> anyhow::Error {
    let mut e = from_status(s, "");
    if s.code() == Code::OutOfRange {
        e.message.push_str(
            " (the resume point is beyond the server's last event: a resume file from another server? remove it, \
             or give --after EVENT_ID)",
        );
    }
    e.into()
}

const EVENT_CSV_PREFIX: &[&str] = &["event_id", "event", "recorded_at"];

fn event_kind(event: &DrawEvent) -> &'static str {
    match DrawEventKind::try_from(event.kind) {
        Ok(DrawEventKind::Created) => "created",
        Ok(DrawEventKind::Updated) => "updated",
        _ => "unknown",
    }
}

fn print_event(event: &DrawEvent, out: &mut Out) -> anyhow::Result<()> {
    let draw = event.draw.clone().unwrap_or_default();
    match out.format {
        Format::Json => out.message(event, "DrawEvent"),
        Format::Csv => {
            let mut header: Vec<&str> = EVENT_CSV_PREFIX.to_vec();
            header.extend(DRAW_CSV);
            header.push("changes");
            let mut row = vec![
                event.event_id.to_string(),
                event_kind(event).to_owned(),
                output::rfc3339(&event.recorded_at),
            ];
            row.extend(draw_csv(&draw));
            row.push(
                event
                    .previous
                    .as_ref()
                    .map(|p| changes(p, &draw).join("; "))
                    .unwrap_or_default(),
            );
            out.csv_row(&header, &row)
        }
        Format::Table => {
            let s = out.style;
            let summary = format!(
                "round {} on {}: {} invitations, minimum CRS {}, {}",
                draw.number,
                output::day(&draw.held_at),
                thousands(draw.invitations.into()),
                draw.minimum_crs,
                output::round_type(&draw.round_type)
            );
            let head = format!(
                "{} event {}",
                output::time(&event.recorded_at),
                event.event_id
            );
            match &event.previous {
                Some(previous) if event.kind == DrawEventKind::Updated as i32 => {
                    out.line(format!(
                        "{}  {} {summary}",
                        s.dim(&head),
                        s.yellow("CORRECTED")
                    ))?;
                    for change in changes(previous, &draw) {
                        out.line(format!("    {change}"))?;
                    }
                    Ok(())
                }
                _ => out.line(format!("{}  {} {summary}", s.dim(&head), s.green("NEW"))),
            }
        }
    }
}

/// What a correction changed, one entry per field: `minimum CRS: 481 -> 482`.
pub fn changes(before: &Draw, after: &Draw) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |name: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{name}: {a} -> {b}"));
        }
    };
    field(
        "held at",
        output::time(&before.held_at),
        output::time(&after.held_at),
    );
    field(
        "round type",
        output::round_type(&before.round_type),
        output::round_type(&after.round_type),
    );
    field(
        "invitations",
        before.invitations.to_string(),
        after.invitations.to_string(),
    );
    field(
        "minimum CRS",
        before.minimum_crs.to_string(),
        after.minimum_crs.to_string(),
    );
    field(
        "tie-break",
        output::time(&before.tie_break_at),
        output::time(&after.tie_break_at),
    );
    field(
        "programs",
        output::programs(&before.eligible_programs),
        output::programs(&after.eligible_programs),
    );
    let pool = |d: &Draw| {
        d.pool_distribution.as_ref().map_or_else(
            || "none".to_owned(),
            |p| {
                format!(
                    "{} profiles on {}",
                    thousands(p.total_candidates),
                    output::date(&p.as_of)
                )
            },
        )
    };
    if before.pool_distribution != after.pool_distribution {
        out.push(format!(
            "pool distribution: {} -> {}",
            pool(before),
            pool(after)
        ));
    }
    out
}

/// Runs the hook; its failure is reported and the watch goes on (a notifier that is down must not stop it).
async fn exec(cmd: &str, event: &DrawEvent) {
    let json = crate::messages::to_json(event, "DrawEvent");
    let number = event
        .draw
        .as_ref()
        .map(|d| d.number.clone())
        .unwrap_or_default();
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("EE_EVENT_ID", event.event_id.to_string())
        .env("EE_EVENT_KIND", event_kind(event))
        .env("EE_DRAW_NUMBER", &number)
        .stdin(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ee: --exec: cannot run sh: {e}");
            return;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its input closes the pipe early; that is its choice.
        let _ = stdin.write_all(json.as_bytes()).await;
        let _ = stdin.write_all(b"\n").await;
    }
    match child.wait().await {
        Ok(status) if status.success() => {}
        Ok(status) => eprintln!(
            "ee: --exec {cmd:?} failed ({status}) for event {} (round {number}); watching on",
            event.event_id
        ),
        Err(e) => eprintln!("ee: --exec {cmd:?}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resume_file_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ee.resume");
        assert_eq!(read_resume_file(&path).unwrap(), None);
        write_resume_file(&path, 7).unwrap();
        assert_eq!(read_resume_file(&path).unwrap(), Some(7));
        write_resume_file(&path, 12).unwrap();
        assert_eq!(read_resume_file(&path).unwrap(), Some(12));
        // Nothing is left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        std::fs::write(&path, "garbage").unwrap();
        let e = read_resume_file(&path)
            .unwrap_err()
            .downcast::<Error>()
            .unwrap();
        assert_eq!(e.exit, Exit::Usage);
        assert!(e.message.contains("remove it"), "{}", e.message);
    }

    #[test]
    fn a_correction_names_what_changed() {
        let before = Draw {
            number: "1".into(),
            invitations: 100,
            minimum_crs: 480,
            ..Draw::default()
        };
        let after = Draw {
            minimum_crs: 482,
            ..before.clone()
        };
        assert_eq!(changes(&before, &after), vec!["minimum CRS: 480 -> 482"]);
        assert!(changes(&before, &before).is_empty());
    }
}
