//! `glassbox backup` and `glassbox restore`: a consistent copy taken while Glassbox runs,
//! restored only when it is whole, its log verifies, and it does not roll the log back
//! behind a checkpoint someone outside already saw.

use crate::helpers::TestApp;
use glassbox::db::Db;
use glassbox::domain::clock::Clock;
use glassbox::services::backup::{self, RestoreRefused};
use glassbox::verify::{self, Verdict};
use secrecy::SecretString;

/// Signs a checkpoint of the log as it is now and returns its note.
async fn checkpoint_now(app: &TestApp) -> String {
    let db = &app.db;
    let signer = app.signer();
    // The log writer enters events within moments; wait until none is left out.
    for _ in 0..100 {
        let unlogged = glassbox::db::on_pool_for_tests(
            db,
            "SELECT COUNT(*) FROM access_events WHERE log_index IS NULL",
        )
        .await;
        if unlogged == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    glassbox::transparency::checkpoints::sign_checkpoint(db, &Clock::system(), &signer)
        .await
        .unwrap();
    glassbox::db::tree::latest_checkpoint(db)
        .await
        .unwrap()
        .unwrap()
        .note
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_and_verifies_and_an_older_one_is_caught_as_a_rollback() {
    let app = crate::helpers::spawn_app(glassbox::db::Backend::Sqlite)
        .await
        .unwrap();
    let token = app.service_token().await;
    for _ in 0..5 {
        app.check(&token, "alice@example.org", "sam.rivera", "metadata")
            .await;
    }
    let old_note = checkpoint_now(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("glassbox-backup.db");

    // Arrange: a backup taken while the server runs, then the log grows and is seen.
    let report = backup::backup(&app.db, &file).await.unwrap();
    assert!(report.checkpoint_size > 0);
    assert!(
        backup::backup(&app.db, &file).await.is_err(),
        "a backup never overwrites"
    );
    for _ in 0..5 {
        app.check(&token, "alice@example.org", "sam.rivera", "metadata")
            .await;
    }
    let seen_note = checkpoint_now(&app).await;

    // Act and assert: restoring the older copy behind what was seen is refused…
    let target = SecretString::from(format!("sqlite://{}/restored.db", dir.path().display()));
    let refused = backup::restore(&target, &file, Some(&seen_note), false)
        .await
        .unwrap_err();
    let refused = refused.downcast::<RestoreRefused>().unwrap();
    assert!(
        matches!(&refused, RestoreRefused::Rollback(m) if m.contains("rollback")),
        "{refused}"
    );
    assert!(
        !dir.path().join("restored.db").exists(),
        "and nothing was put in place"
    );

    // …it restores when it holds what was seen (or when the rollback is accepted)…
    let restored = backup::restore(&target, &file, Some(&old_note), false)
        .await
        .unwrap();
    assert_eq!(restored.checkpoint_size, report.checkpoint_size);
    // …and the restored database verifies.
    let db = Db::connect(&target, 2).await.unwrap();
    let key = glassbox::transparency::keys::known_keys(&db).await.unwrap();
    assert!(matches!(
        verify::database(&db, &key).await.unwrap(),
        Verdict::Verified(_)
    ));
    db.close().await;
    backup::restore(&target, &file, Some(&seen_note), true)
        .await
        .unwrap();
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_whose_log_was_altered_is_refused() {
    let app = crate::helpers::spawn_app(glassbox::db::Backend::Sqlite)
        .await
        .unwrap();
    let token = app.service_token().await;
    app.check(&token, "alice@example.org", "sam.rivera", "metadata")
        .await;
    checkpoint_now(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.db");
    backup::backup(&app.db, &file).await.unwrap();
    // Someone edits an event in the copy (dropping the append-only trigger to do it).
    let copy = Db::connect(
        &SecretString::from(format!("sqlite://{}", file.display())),
        1,
    )
    .await
    .unwrap();
    if let Db::Sqlite(pool) = &copy {
        let triggers: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'access_events'",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        for t in triggers {
            sqlx::query(&format!("DROP TRIGGER {t}"))
                .execute(pool)
                .await
                .unwrap();
        }
        sqlx::query("UPDATE access_events SET decision = 'allowed' WHERE log_index = (SELECT MAX(log_index) FROM access_events WHERE decision = 'denied')")
            .execute(pool)
            .await
            .unwrap();
    }
    copy.close().await;
    let target = SecretString::from(format!("sqlite://{}/restored.db", dir.path().display()));
    let refused = backup::restore(&target, &file, None, false)
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused.downcast_ref::<RestoreRefused>(),
            Some(RestoreRefused::Damaged(_))
        ),
        "{refused:#}"
    );
    app.finish().await;
}

#[tokio::test]
async fn on_postgresql_the_backup_command_points_to_pg_dump() {
    let Some(app) = crate::helpers::spawn_app(glassbox::db::Backend::Postgres).await else {
        return;
    };
    let err = backup::backup(&app.db, std::path::Path::new("/tmp/never-written.db"))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("pg_dump"), "{err:#}");
    app.finish().await;
}
