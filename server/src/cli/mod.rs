//! The `glassbox` binary's commands. `main.rs` only parses the command line and calls
//! [`run`]; each command's handler lives in its own module here, in the library, so it is
//! compiled and linted with the rest and `main.rs` stays a few lines.

mod args;
mod demo;
mod outbox;
mod service_token;
mod staff;
mod verify;

pub use args::{Cli, Command, OutboxCommand, ServiceTokenCommand, StaffCommand, VerifyCommand};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;
use crate::startup::Application;
use std::process::ExitCode;

/// Runs one command and says how it went as the exit code. `verify` has its own codes (0
/// verified, 1 failed, 2 could not check) and runs before the configuration is loaded, so
/// an outside auditor needs none.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Verify(cmd) => match verify::verify(cmd).await {
            Ok(verdict) => verdict.report(),
            Err(e) => {
                eprintln!("glassbox verify: could not check: {e:#}");
                ExitCode::from(2)
            }
        },
        command => match run_configured(command).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("glassbox: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Every command but `verify`: load and check the configuration, then act.
async fn run_configured(command: Command) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    match command {
        Command::Verify(_) => {
            anyhow::bail!("`verify` is handled before the configuration is loaded")
        }
        Command::Config => {
            print!("{}", settings.to_masked_toml());
            Ok(())
        }
        Command::Migrate => {
            let db =
                Db::connect(&settings.database_url(), settings.database.max_connections).await?;
            db.migrate().await?;
            println!("The database is up to date.");
            Ok(())
        }
        Command::Staff(cmd) => staff::run(&settings, cmd).await,
        Command::ServiceToken(cmd) => service_token::run(&settings, cmd).await,
        Command::Outbox(cmd) => outbox::run(&settings, cmd).await,
        Command::Serve => {
            Application::build(settings, Clock::System)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Demo { seed_only } => demo::run(settings, seed_only).await,
    }
}
