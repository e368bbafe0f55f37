//! `glassbox demo`: seeds the demo data set (once), then serves it.

use crate::config::{EmailBackend, Settings};
use crate::db::Db;
use crate::demo;
use crate::domain::clock::Clock;
use crate::startup::Application;

/// Seeds the demo data, then serves unless `seed_only`.
pub(super) async fn run(settings: Settings, seed_only: bool) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url(), settings.database.max_connections).await?;
    db.migrate().await?;
    match demo::seed(&db, &Clock::system(), &settings).await? {
        demo::SeedOutcome::Created => {
            demo::seed_legal_holds(&db, &Clock::system(), &settings).await?;
            println!("Demo data written.")
        }
        demo::SeedOutcome::AlreadyPresent => {
            println!("Demo data already present; nothing changed.")
        }
    }
    if seed_only {
        return Ok(());
    }
    if !settings.demo_sign_in() {
        println!(
            "Note: demo sign-in is off (GLASSBOX__AUTH__DEMO_SIGN_IN, or not a loopback address)."
        );
    }
    let public = settings.public_url.clone();
    let dev_mail = settings.email.backend == EmailBackend::Dev;
    let app = Application::build_with_db(settings, Clock::system(), db).await?;
    println!("Open {public} and choose \"Try the demo\".");
    if dev_mail {
        println!(
            "The emails it sends stay on this machine: see {}",
            public.join("/dev/mailbox")
        );
    }
    app.run_until_stopped().await
}
