//! `ee-bench`: benchmarks the release `ee-server` over real gRPC, against a bare tonic server answering as many
//! bytes. See README.md.

mod baseline;
mod cli;
mod database;
mod load;
mod process;
mod report;
mod scenarios;
mod workload;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, Command, RunArgs};
use crate::database::Backend;
use crate::report::{Machine, Report};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Some(Command::BaselineServer { listen }) => baseline::serve(listen),
        None => run(cli.run),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ee-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let args = if args.smoke { args.smoke_sized() } else { args };
    let server = process::server_binary(args.server.as_deref())?;
    let postgres_url = args.postgres_url.clone().filter(|u| !u.trim().is_empty());
    let mut backends = Vec::new();
    if !args.no_sqlite {
        backends.push(Backend::Sqlite);
    }
    if postgres_url.is_some() {
        backends.push(Backend::Postgres);
    }
    anyhow::ensure!(
        !backends.is_empty(),
        "nothing to run: --no-sqlite needs a PostgreSQL URL (--postgres-url or EE_TEST_POSTGRES_URL)"
    );
    let args = RunArgs {
        postgres_url,
        ..args
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let load_average_start = load_average();
    let progress = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut bench = scenarios::Bench::new(args.clone(), server, progress.clone());
    progress.set_length(backends.iter().map(|&b| bench.steps(b)).sum());
    let mut reports = Vec::new();
    for backend in backends {
        reports.push(runtime.block_on(bench.run_backend(backend))?);
    }
    progress.finish_and_clear();
    let report = Report {
        machine: Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            load_average_start,
            load_average_end: load_average(),
        },
        smoke: args.smoke,
        duration_seconds: args.duration.as_secs_f64(),
        repeats: args.repeats,
        backends: reports,
        errors: bench.errors,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    };
    if let Some(path) = &args.json_file {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    anyhow::ensure!(
        report.errors.is_empty(),
        "{} RPC errors or missed deliveries (listed above)",
        report.errors.len()
    );
    Ok(())
}

/// The first three fields of /proc/loadavg.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
