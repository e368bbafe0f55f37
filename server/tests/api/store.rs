use crate::helpers::{spawn_app_with, Options};
use crate::on_both_databases;
use glassbox::db::{on_pool_for_tests, Backend, Db};
use glassbox::demo::{self, SeedOutcome};

async fn count(db: &Db, table: &str) -> i64 {
    on_pool_for_tests(db, &format!("SELECT COUNT(*) FROM {table}")).await
}

async fn execute(db: &Db, sql: &str) -> Result<u64, sqlx::Error> {
    match db {
        Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
    }
}

on_both_databases!(async fn the_database_itself_refuses_to_change_or_delete_an_access_event(app) {
    let before = count(&app.db, "access_events").await;
    assert!(before > 0);
    let update = execute(&app.db, "UPDATE access_events SET decision = 'allowed', reason = 'tampered' WHERE seq = 1").await;
    let err = update.expect_err("an update must fail").to_string();
    assert!(err.contains("append-only"), "{err}");
    let delete = execute(&app.db, "DELETE FROM access_events WHERE seq = 2").await;
    assert!(delete.expect_err("a delete must fail").to_string().contains("append-only"));
    assert_eq!(count(&app.db, "access_events").await, before, "nothing removed");
    let tampered = count(&app.db, "access_events WHERE reason = 'tampered'").await;
    assert_eq!(tampered, 0, "nothing changed");
    if app.db.backend() == Backend::Postgres {
        assert!(execute(&app.db, "TRUNCATE access_events CASCADE").await.is_err(), "truncate refused too");
        assert_eq!(count(&app.db, "access_events").await, before);
    }
});

on_both_databases!(async fn seeding_the_demo_twice_changes_nothing(app) {
    let tables = ["owners", "mailboxes", "staff", "access_requests", "access_events"];
    let mut before = Vec::new();
    for t in tables {
        before.push(count(&app.db, t).await);
    }
    let settings = glassbox::config::Settings::default();
    assert_eq!(demo::seed(&app.db, &app.clock, &settings).await.unwrap(), SeedOutcome::AlreadyPresent);
    for (t, n) in tables.iter().zip(before) {
        assert_eq!(count(&app.db, t).await, n, "{t} unchanged");
    }
});

on_both_databases!(async fn the_demo_has_requests_in_every_state_and_hundreds_of_events(app) {
    for status in ["pending", "approved", "denied", "expired", "cancelled", "revoked", "ended"] {
        let n = count(&app.db, &format!("access_requests WHERE status = '{status}'")).await;
        assert!(n > 0, "no {status} request in the demo");
    }
    assert!(count(&app.db, "access_events").await >= 300);
    assert!(count(&app.db, "access_events WHERE decision = 'denied'").await > 10);
    assert!(count(&app.db, "staff WHERE role = 'security_admin'").await >= 2);
    assert!(count(&app.db, "owners").await >= 5);
});

on_both_databases!(async fn migrations_can_run_again_on_an_up_to_date_database(app) {
    app.db.migrate().await.expect("a second run is a no-op");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_to_the_store_changes_nothing() {
    // A status the schema does not know is refused by the database's CHECK constraint.
    let app = spawn_app_with(Backend::Sqlite, Options::default())
        .await
        .unwrap();
    let before = count(&app.db, "access_requests").await;
    let res = execute(&app.db, "UPDATE access_requests SET status = 'approvedish'").await;
    assert!(res.is_err());
    assert_eq!(
        count(&app.db, "access_requests WHERE status = 'approvedish'").await,
        0
    );
    assert_eq!(count(&app.db, "access_requests").await, before);
    app.finish().await;
}
