//! `glassbox staff …`: staff accounts are made here, not in the console, so nobody can
//! grant themselves staff access through the web. They are disabled here or by a security
//! admin on the roster (`/admin/staff`), through the same use case.

use super::StaffCommand;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;

/// Adds or disables a staff member.
pub(super) async fn run(settings: &Settings, cmd: StaffCommand) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url(), 2).await?;
    db.migrate().await?;
    let clock = Clock::system();
    match cmd {
        StaffCommand::Add { email, role, name } => {
            let role: app::model::StaffRole =
                role.parse().map_err(|e| anyhow::anyhow!("--role: {e}"))?;
            crate::services::staff::add(&db, &clock, settings, &email, role, name.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "Staff member {email} added as {}. They sign in at {}.",
                role.label(),
                settings.public_url.join("/staff/login")
            );
        }
        StaffCommand::Disable { email } => {
            let outcome = crate::services::staff::disable_by_email(&db, &clock, settings, &email)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            match outcome {
                crate::services::staff::Disabled::Now => println!(
                    "Staff member {email} disabled; their sessions have ended and their open requests and grants were withdrawn."
                ),
                crate::services::staff::Disabled::Already => {
                    println!("Staff member {email} was already disabled; nothing changed.")
                }
            }
        }
    }
    Ok(())
}
