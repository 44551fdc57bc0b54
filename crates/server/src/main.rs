//! The composition root: read the configuration, start logging, run the subcommand.

use anyhow::Context;
use clap::Parser;
use ee_server::{Application, Cli, Command, open_recorder, shutdown_signal, telemetry};

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
            open_recorder(&settings).await?;
            println!("migrations are up to date");
            Ok(())
        }
        Command::Import { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let recorder = open_recorder(&settings).await?;
            let import = recorder
                .import_feed(bytes)
                .await
                .with_context(|| format!("cannot import the feed {}", file.display()))?;
            println!(
                "imported {}: {} created, {} updated, {} unchanged, {} uncatalogued, {} duplicates dropped",
                file.display(),
                import.applied.created.len(),
                import.applied.updated.len(),
                import.applied.unchanged.len(),
                import.uncatalogued,
                import.duplicates_dropped
            );
            Ok(())
        }
    }
}
