//! `ee import` (IRCC's feed files, with a progress bar) and `ee record` (one round from a file): the writes, which
//! need the operator token.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use ee_proto::v1::{Draw, ImportFeedRequest, RecordDrawRequest};
use indicatif::{ProgressBar, ProgressStyle};

use crate::client::ConnectArgs;
use crate::draws::show;
use crate::error::{Error, Exit, from_status};
use crate::output::{DRAW_CSV, draw_csv};
use crate::output::{Format, Out};

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// IRCC's feed files (ee_rounds_123_en.json), imported in the order given, each in one transaction.
    #[arg(required = true, value_name = "FEED.json")]
    pub files: Vec<PathBuf>,
    /// No progress bar (it is drawn only on a terminal anyway).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct RecordArgs {
    /// The round: a JSON file in the proto3 JSON mapping of Draw, or YAML of it.
    #[arg(value_name = "DRAW.json")]
    pub file: PathBuf,
}

const IMPORT_CSV: &[&str] = &[
    "file",
    "created",
    "updated",
    "unchanged",
    "uncatalogued",
    "duplicates_dropped",
];

pub async fn import(a: ImportArgs, connect: &ConnectArgs, out: &mut Out) -> anyhow::Result<()> {
    // The token is checked before anything is read or sent.
    connect.token("import")?;
    let mut client = connect.draws().await?;
    // Feeds are read whole; a bar per file shows reading, then the server's import (one call, so its own progress
    // is not visible: the spinner shows it is under way).
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(a.files.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} feeds  {elapsed}  {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    for path in &a.files {
        let name = path.display().to_string();
        // The bar shows the file's name alone: a long path would wrap the line on a narrow terminal.
        let short = path
            .file_name()
            .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned());
        bar.set_message(format!("reading {short}"));
        let feed_json = std::fs::read(path).map_err(|e| {
            Error::new(
                Exit::Usage,
                format!("cannot read {name}: {e}; check the file name"),
            )
        })?;
        bar.set_message(format!(
            "{short}: the server is importing {} kB",
            feed_json.len() / 1000
        ));
        let request = connect.authorized("import", ImportFeedRequest { feed_json })?;
        let result = client.import_feed(request).await;
        let r = match result {
            Ok(r) => r.into_inner(),
            Err(s) => {
                bar.finish_and_clear();
                let mut e = from_status(&s, "");
                e.message = format!("{name}: {}", e.message);
                return Err(e.into());
            }
        };
        bar.inc(1);
        bar.suspend(|| -> anyhow::Result<()> {
            match out.format {
                Format::Json => out.message(&r, "ImportFeedResponse"),
                Format::Csv => out.csv_row(
                    IMPORT_CSV,
                    &[
                        name.clone(),
                        r.created.to_string(),
                        r.updated.to_string(),
                        r.unchanged.to_string(),
                        r.uncatalogued.to_string(),
                        r.duplicates_dropped.to_string(),
                    ],
                ),
                Format::Table => out.line(format!(
                    "{name}: {} created, {} updated, {} unchanged; {} of a type the server's catalogue does not \
                     know, {} duplicates dropped",
                    r.created, r.updated, r.unchanged, r.uncatalogued, r.duplicates_dropped
                )),
            }
        })?;
    }
    bar.finish_and_clear();
    Ok(())
}

pub async fn record(a: RecordArgs, connect: &ConnectArgs, out: &mut Out) -> anyhow::Result<()> {
    let draw: Draw = crate::messages::read_file(&a.file, "Draw")?;
    let request = connect.authorized("record", RecordDrawRequest { draw: Some(draw) })?;
    let mut client = connect.draws().await?;
    let r = client
        .record_draw(request)
        .await
        .map_err(|s| crate::candidate::refused_file(&a.file, &s, "draw"))?
        .into_inner();
    let draw = r.draw.unwrap_or_default();
    match out.format {
        Format::Json => out.message(
            &ee_proto::v1::RecordDrawResponse {
                draw: Some(draw),
                created: r.created,
            },
            "RecordDrawResponse",
        ),
        Format::Csv => {
            let mut header = DRAW_CSV.to_vec();
            header.push("created");
            let mut row = draw_csv(&draw);
            row.push(r.created.to_string());
            out.csv_row(&header, &row)
        }
        Format::Table => {
            let s = out.style;
            out.line(if r.created {
                s.green(&format!("Recorded round {}.", draw.number))
            } else {
                format!(
                    "Round {} was already recorded, identical; nothing changed.",
                    draw.number
                )
            })?;
            show(&draw, out)
        }
    }
}
