//! The `glassbox` binary's commands. `main.rs` only parses the command line and calls
//! [`run`]; each command's handler lives in its own module here, in the library, so it is
//! compiled and linted with the rest and `main.rs` stays a few lines.

mod args;
mod demo;
mod log;
mod outbox;
mod service_token;
mod staff;
mod verify;

pub use args::{
    Cli, Command, LogCommand, OutboxCommand, ServiceTokenCommand, StaffCommand, VerifyCommand,
    WitnessArgs, WitnessCommand,
};

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
        Command::Witness(cmd) => match witness(cmd).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("glassbox witness: {e:#}");
                ExitCode::FAILURE
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

/// `glassbox witness …`: a role of its own, without Glassbox's configuration.
async fn witness(cmd: WitnessCommand) -> anyhow::Result<()> {
    match cmd {
        WitnessCommand::Keygen { name, out } => {
            let signer = crate::witness::keygen(&out, &name)?;
            println!("{}", signer.verifier_key());
            eprintln!(
                "Made {}. Give the line above to the log's operator (GLASSBOX__LOG__WITNESSES) and to whoever verifies.",
                out.display()
            );
            Ok(())
        }
        WitnessCommand::Serve {
            listen,
            key,
            state,
            logs,
        } => crate::witness::serve(listen, &key, &state, &logs).await,
    }
}

/// Every command but `verify` and `witness`: load and check the configuration, then act.
async fn run_configured(command: Command) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    match command {
        Command::Verify(_) | Command::Witness(_) => {
            anyhow::bail!("`verify` and `witness` are handled before the configuration is loaded")
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
        Command::Log(cmd) => log::run(&settings, cmd).await,
        Command::Serve => {
            Application::build(settings, Clock::system())
                .await?
                .run_until_stopped()
                .await
        }
        Command::Demo { seed_only } => demo::run(settings, seed_only).await,
        Command::Backup { file } => {
            let db =
                Db::connect(&settings.database_url(), settings.database.max_connections).await?;
            let report = crate::services::backup::backup(&db, &file).await?;
            println!(
                "Backed up to {} (its log holds {} signed entries). Keep a copy of the latest /log/checkpoint with it.",
                report.file.display(),
                report.checkpoint_size
            );
            Ok(())
        }
        Command::Restore {
            file,
            seen,
            accept_rollback,
        } => {
            let seen = match seen {
                Some(p) => Some(
                    std::fs::read_to_string(&p)
                        .map_err(|e| anyhow::anyhow!("could not read {}: {e}", p.display()))?,
                ),
                None => None,
            };
            let report = crate::services::backup::restore(
                &settings.database_url(),
                &file,
                seen.as_deref(),
                accept_rollback,
            )
            .await?;
            if !report.checked_against_seen {
                eprintln!("Warning: without --seen, a rollback behind what others saw cannot be detected.");
            }
            println!(
                "Restored {} (its log holds {} signed entries). `glassbox verify database` checks it.",
                file.display(),
                report.checkpoint_size
            );
            Ok(())
        }
    }
}
