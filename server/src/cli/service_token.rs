//! `glassbox service-token …`: the mail system's API credentials. A token is printed once,
//! at creation; only its hash is kept.

use super::ServiceTokenCommand;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;

/// Creates, revokes or lists service tokens.
pub(super) async fn run(settings: &Settings, cmd: ServiceTokenCommand) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url(), 2).await?;
    db.migrate().await?;
    let clock = Clock::system();
    match cmd {
        ServiceTokenCommand::Create { name } => {
            let token = crate::services::tokens::create(&db, &clock, settings, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{token}");
            eprintln!("Service token `{name}` created. Store it now: it cannot be shown again.");
        }
        ServiceTokenCommand::Revoke { name } => {
            if crate::db::service_tokens::revoke(&db, &name, clock.now()).await? {
                println!("Service token `{name}` revoked.");
            } else {
                anyhow::bail!("no live service token is named `{name}`");
            }
        }
        ServiceTokenCommand::List => {
            for t in crate::db::service_tokens::list(&db).await? {
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
