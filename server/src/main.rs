//! The `glassbox` binary: parse the command line, load the configuration, run.

use clap::Parser;
use glassbox::cli::{
    Cli, Command, OutboxCommand, ServiceTokenCommand, StaffCommand, VerifyCommand,
};
use glassbox::config::Settings;
use glassbox::db::Db;
use glassbox::domain::clock::Clock;
use glassbox::demo;
use glassbox::startup::Application;
use glassbox::telemetry;
use glassbox::verify::{self as verifier, Verdict};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    if let Some(Command::Verify(cmd)) = cli.command {
        return match verify(cmd).await {
            Ok(verdict) => verdict.report(),
            Err(e) => {
                eprintln!("glassbox verify: could not check: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("glassbox: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn unreachable_verify() -> anyhow::Result<()> {
    anyhow::bail!("`verify` is handled before the configuration is loaded")
}

async fn verify(cmd: VerifyCommand) -> anyhow::Result<Verdict> {
    match cmd {
        VerifyCommand::Inclusion {
            url,
            index,
            key,
            entry,
            leaf_hash,
        } => {
            verifier::inclusion(
                &url,
                key.as_deref(),
                index,
                entry.as_deref(),
                leaf_hash.as_deref(),
            )
            .await
        }
        VerifyCommand::Consistency { old, new, url, key } => {
            let read = |p: &std::path::Path| {
                std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("could not read {}: {e}", p.display()))
            };
            let old_note = read(&old)?;
            let client = reqwest::Client::new();
            let base = url.as_deref().map(|u| u.trim_end_matches('/').to_string());
            let new_note = match (&new, &base) {
                (Some(p), _) => read(p)?,
                (None, Some(u)) => {
                    client
                        .get(format!("{u}/log/checkpoint"))
                        .send()
                        .await?
                        .error_for_status()?
                        .text()
                        .await?
                }
                (None, None) => {
                    anyhow::bail!("give --new FILE or --url to fetch the current checkpoint")
                }
            };
            let key = match (&key, &base) {
                (Some(k), _) => glassbox_log::VerifierKey::parse(k)?,
                (None, Some(u)) => verifier::key(&client, u, None).await?,
                (None, None) => anyhow::bail!("give --key (or --url to use the log's own key)"),
            };
            verifier::consistency(base.as_deref(), &key, &old_note, &new_note).await
        }
        VerifyCommand::Database { key } => {
            let settings = Settings::load()?;
            let db = Db::connect(&settings.database_url(), 2).await?;
            let key = match key {
                Some(k) => glassbox_log::VerifierKey::parse(&k)?,
                None => {
                    let (name, secret) =
                        glassbox::db::tree::signing_key(&db).await?.ok_or_else(|| {
                            anyhow::anyhow!("this database has no log key; give --key")
                        })?;
                    let secret: [u8; 32] = secret.try_into().map_err(|_| {
                        anyhow::anyhow!("the stored log key is damaged; give --key")
                    })?;
                    glassbox_log::CheckpointSigner::new(&name, &secret)?.verifier_key()
                }
            };
            verifier::database(&db, &key).await
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Verify(_) => unreachable_verify(),
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
        Command::Staff(cmd) => {
            let db = Db::connect(&settings.database_url(), 2).await?;
            db.migrate().await?;
            let clock = Clock::System;
            match cmd {
                StaffCommand::Add { email, role, name } => {
                    let role: app::model::StaffRole =
                        role.parse().map_err(|e| anyhow::anyhow!("--role: {e}"))?;
                    glassbox::services::staff::add(
                        &db,
                        &clock,
                        &settings,
                        &email,
                        role,
                        name.as_deref(),
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!(
                        "Staff member {email} added as {}. They sign in at {}/staff/login.",
                        role.label(),
                        settings.public_url
                    );
                }
                StaffCommand::Disable { email } => {
                    glassbox::services::staff::disable(&db, &clock, &email)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!("Staff member {email} disabled; their sessions have ended.");
                }
            }
            Ok(())
        }
        Command::ServiceToken(cmd) => {
            let db = Db::connect(&settings.database_url(), 2).await?;
            db.migrate().await?;
            let clock = Clock::System;
            match cmd {
                ServiceTokenCommand::Create { name } => {
                    let token = glassbox::services::tokens::create(&db, &clock, &settings, &name)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!("{token}");
                    eprintln!(
                        "Service token `{name}` created. Store it now: it cannot be shown again."
                    );
                }
                ServiceTokenCommand::Revoke { name } => {
                    if glassbox::db::service_tokens::revoke(&db, &name, clock.now()).await? {
                        println!("Service token `{name}` revoked.");
                    } else {
                        anyhow::bail!("no live service token is named `{name}`");
                    }
                }
                ServiceTokenCommand::List => {
                    for t in glassbox::db::service_tokens::list(&db).await? {
                        let state = if t.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "live"
                        };
                        println!("{}\t{state}", t.name);
                    }
                }
            }
            Ok(())
        }
        Command::Outbox(cmd) => {
            let db =
                Db::connect(&settings.database_url(), settings.database.max_connections).await?;
            db.migrate().await?;
            use glassbox::db::outbox;
            match cmd {
                OutboxCommand::Status => {
                    for (status, n) in outbox::count_by_status(&db).await? {
                        println!("{status}\t{n}");
                    }
                }
                OutboxCommand::Failed { limit } => {
                    for m in outbox::list(&db, Some(outbox::OutboxStatus::Failed), limit).await? {
                        println!(
                            "{}\t{}\t{}\t{} attempt(s)\t{}",
                            m.id,
                            m.failed_at.map(|t| t.to_string()).unwrap_or_default(),
                            m.kind,
                            m.attempts,
                            m.last_error.unwrap_or_default()
                        );
                    }
                }
                OutboxCommand::Retry { id } => {
                    if outbox::requeue_failed(&db, id, Clock::System.now()).await? {
                        println!("Queued again; a running Glassbox sends it shortly.");
                    } else {
                        anyhow::bail!("no failed email has the id {id}");
                    }
                }
            }
            Ok(())
        }
        Command::Serve => {
            Application::build(settings, Clock::System)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Demo { seed_only } => {
            let db =
                Db::connect(&settings.database_url(), settings.database.max_connections).await?;
            db.migrate().await?;
            match demo::seed(&db, &Clock::System, &settings).await? {
                demo::SeedOutcome::Created => println!("Demo data written."),
                demo::SeedOutcome::AlreadyPresent => {
                    println!("Demo data already present; nothing changed.")
                }
            }
            if seed_only {
                return Ok(());
            }
            if !settings.demo_sign_in() {
                println!("Note: demo sign-in is off (GLASSBOX__AUTH__DEMO_SIGN_IN, or not a loopback address).");
            }
            let public = settings.public_url.clone();
            let dev_mail = settings.email.backend == glassbox::config::EmailBackend::Dev;
            let app = Application::build_with_db(settings, Clock::System, db).await?;
            println!("Open {public} and choose \"Try the demo\".");
            if dev_mail {
                println!("The emails it sends stay on this machine: see {public}/dev/mailbox");
            }
            app.run_until_stopped().await
        }
    }
}
