//! The composition root: read the configuration, start logging, run the subcommand.

use anyhow::Context;
use clap::Parser;
use ee_domain::Catalog;
use ee_server::{Application, Cli, Command, open_store, shutdown_signal, telemetry};
use ee_store::OnConflict;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(cli.settings.log_format);
    let result = run(cli).await;
    if let Err(e) = &result {
        tracing::error!(error = format!("{e:#}"), "exiting on error");
    }
    result
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings).await?;
            app.run_until(shutdown_signal()).await
        }
        Command::Migrate => {
            let settings = ee_server::Settings {
                load_snapshot: false,
                ..settings
            };
            open_store(&settings).await?;
            println!("migrations are up to date");
            Ok(())
        }
        Command::Import { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let draws = ee_ircc_feed::parse_feed(&bytes, Catalog::builtin())
                .with_context(|| format!("cannot read the feed {}", file.display()))?;
            let settings = ee_server::Settings {
                load_snapshot: false,
                ..settings
            };
            let store = open_store(&settings).await?;
            let applied =
                tokio::task::spawn_blocking(move || store.apply(&draws, OnConflict::Update))
                    .await??;
            println!(
                "imported {}: {} created, {} updated, {} unchanged",
                file.display(),
                applied.created.len(),
                applied.updated.len(),
                applied.unchanged.len()
            );
            Ok(())
        }
    }
}
