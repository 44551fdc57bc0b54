//! The composition root: read the configuration, start logging, run the subcommand.

use std::process::ExitCode;

use anyhow::Context;
use ee_server::{Application, Cli, Command, open_recorder, shutdown_signal, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse_grouped();
    let _logs = telemetry::init(cli.settings.log_format);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        // Said once, in the log's format; not again by the runtime.
        Err(e) => {
            tracing::error!(error = %format_args!("{e:#}"), "exiting on error");
            ExitCode::FAILURE
        }
    }
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
                migrate: true,
                ..settings
            };
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
