//! `glassbox outbox …`: what the email sender has queued, sent and given up on, and a way
//! to queue a failed email again once its cause is fixed.

use super::OutboxCommand;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;

/// Shows the outbox or requeues a failed email.
pub(super) async fn run(settings: &Settings, cmd: OutboxCommand) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url(), settings.database.max_connections).await?;
    db.migrate().await?;
    use crate::db::outbox;
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
            if outbox::requeue_failed(&db, id, Clock::system().now()).await? {
                println!("Queued again; a running Glassbox sends it shortly.");
            } else {
                anyhow::bail!("no failed email has the id {id}");
            }
        }
    }
    Ok(())
}
