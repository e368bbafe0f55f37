//! The log's signing key lives in a file apart from the database: made by `glassbox log
//! keygen` (0600, never overwritten), refused when others can read it, moved out of the
//! database on an old installation's first start, and rotated without old checkpoints
//! ceasing to verify.

use crate::helpers::TestApp;
use crate::on_both_databases;
use glassbox::config::Environment;
use glassbox::db::tree as store;
use glassbox::startup::Application;
use glassbox::transparency::{checkpoints, keys};
use glassbox::verify::{self, Verdict};
use glassbox_log::{open_with_any, CheckpointSigner, VerifierKey};
use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Adds an entry to the log (a new request is a request change) and signs a checkpoint of
/// it with `signer`; returns the note. (Not stored: the running server signs its own.)
async fn grow_and_sign(app: &TestApp, signer: &CheckpointSigner) -> String {
    let token = app.service_token().await;
    let before = store::current_size(&app.db).await.unwrap();
    app.create_request(&token, serde_json::json!({})).await;
    for _ in 0..200 {
        if store::current_size(&app.db).await.unwrap() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let size = store::current_size(&app.db).await.unwrap();
    let root = glassbox::transparency::proofs::root(&app.db, size)
        .await
        .unwrap();
    signer.sign(size, &root)
}

async fn served_keys(app: &TestApp) -> Vec<VerifierKey> {
    let body = reqwest::get(app.url("/log/key"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    body.lines()
        .map(|l| VerifierKey::parse(l).unwrap())
        .collect()
}

on_both_databases!(async fn a_key_file_others_can_read_stops_the_server_from_starting(app) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log-signing.key");
    std::fs::copy(app.key_file(), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut settings = app.settings.clone();
    settings.log.signing_key_file = Some(path.clone());
    let Err(e) = Application::build_with_db(settings, app.clock.clone(), app.db.clone()).await else {
        panic!("a server with a 0644 key file started");
    };
    let message = format!("{e:#}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains(&format!("chmod 600 {}", path.display())), "{message}");
});

on_both_databases!(async fn in_production_a_missing_key_file_refuses_to_start_and_says_how_to_make_one(app) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = app.settings.clone();
    settings.environment = Environment::Production;
    settings.log.signing_key_file = Some(dir.path().join("missing.key"));
    let e = keys::load_signer(&app.db, &app.clock, &settings).await.err().expect("refused");
    assert!(format!("{e:#}").contains("glassbox log keygen --out"), "{e:#}");
    assert!(!dir.path().join("missing.key").exists());
});

#[tokio::test]
async fn keygen_makes_a_file_only_its_owner_can_read_and_refuses_to_overwrite_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys/log.key");
    let keygen = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_glassbox"))
            .args(["log", "keygen", "--out"])
            .arg(&path)
            .env("GLASSBOX__DATA_DIR", dir.path())
            .output()
            .unwrap()
    };
    let first = keygen();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(mode(&path), 0o600);
    let written = std::fs::read_to_string(&path).unwrap();
    let signer = keys::read_key_file(&path).unwrap();
    assert!(String::from_utf8_lossy(&first.stdout).contains(&signer.verifier_key().to_string()));
    let second = keygen();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("never overwritten"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        written,
        "the first key is kept"
    );
}

on_both_databases!(async fn a_log_that_signed_before_refuses_to_start_without_its_key_file_even_locally(app) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = app.settings.clone();
    settings.log.signing_key_file = Some(dir.path().join("elsewhere.key"));
    let e = keys::load_signer(&app.db, &app.clock, &settings).await.err().expect("refused");
    let message = format!("{e:#}");
    assert!(message.contains(&app.signer().verifier_key().to_string()), "{message}");
    assert!(message.contains("glassbox log keygen --out"), "{message}");
    assert!(!dir.path().join("elsewhere.key").exists(), "no new key was made");
});

on_both_databases!(async fn a_key_still_in_the_database_moves_to_its_file_and_what_it_signed_still_verifies(app) {
    // An installation from before key files: its key is the database row.
    let origin = app.settings.log.origin_for(&app.settings.public_url);
    store::insert_signing_key_if_absent(&app.db, &origin, &[5; 32], app.clock.now()).await.unwrap();
    let row_signer = CheckpointSigner::new(&origin, &[5; 32]).unwrap();
    let signed_by_row = grow_and_sign(app, &row_signer).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log-signing.key");
    let mut settings = app.settings.clone();
    settings.log.signing_key_file = Some(path.clone());

    let signer = keys::load_signer(&app.db, &app.clock, &settings).await.unwrap();
    assert_eq!(signer.verifier_key(), row_signer.verifier_key());
    assert_eq!(mode(&path), 0o600);
    assert_eq!(keys::read_key_file(&path).unwrap().verifier_key(), row_signer.verifier_key());
    assert!(store::signing_key(&app.db).await.unwrap().is_none(), "the row is retired");
    let known = keys::known_keys(&app.db).await.unwrap();
    assert!(open_with_any(&known, &signed_by_row).is_ok());
    assert!(matches!(verify::database(&app.db, &known).await.unwrap(), Verdict::Verified(_)));

    // A crash after the file was written but before the row was deleted: the next start
    // finishes the move and keeps the same key.
    store::insert_signing_key_if_absent(&app.db, &origin, &[5; 32], app.clock.now()).await.unwrap();
    let again = keys::load_signer(&app.db, &app.clock, &settings).await.unwrap();
    assert_eq!(again.verifier_key(), row_signer.verifier_key());
    assert!(store::signing_key(&app.db).await.unwrap().is_none());
});

on_both_databases!(async fn after_a_rotation_checkpoints_of_the_old_and_the_new_key_both_verify(app) {
    let old = app.signer();
    let before = grow_and_sign(app, &old).await;

    let rotation = keys::rotate(&app.db, &app.clock, &app.key_file()).await.unwrap();
    assert_eq!(rotation.old, old.verifier_key());
    assert_eq!(mode(&app.key_file()), 0o600);
    assert_eq!(mode(&rotation.retired), 0o600);
    // The next start signs with the new key.
    let new = keys::load_signer(&app.db, &app.clock, &app.settings).await.unwrap();
    assert_eq!(new.verifier_key(), rotation.new);
    assert_ne!(rotation.new, rotation.old);
    let after = grow_and_sign(app, &new).await;

    // The public key endpoint lists both keys; each checkpoint opens with its own.
    let served = served_keys(app).await;
    assert!(served.contains(&rotation.old) && served.contains(&rotation.new), "{served:?}");
    assert_eq!(open_with_any(&served, &before).unwrap().1, &rotation.old);
    assert_eq!(open_with_any(&served, &after).unwrap().1, &rotation.new);
    // The CLI's checks, with the keys the log serves.
    let verdict = verify::consistency(Some(&app.address), &served, &Default::default(), &before, &after).await.unwrap();
    assert!(matches!(verdict, Verdict::Verified(_)), "{verdict:?}");
    let verdict = verify::inclusion(&app.address, None, &Default::default(), 0, None, None).await.unwrap();
    assert!(matches!(verdict, Verdict::Verified(_)), "{verdict:?}");
    let known = keys::known_keys(&app.db).await.unwrap();
    let verdict = verify::database(&app.db, &known).await.unwrap();
    assert!(matches!(verdict, Verdict::Verified(_)), "{verdict:?}");
    // The browser check's inputs name the key that signed the checkpoint they carry, and
    // carry the old key's statement handing over to the new one.
    let proofs = checkpoints::proofs_for_page(&app.db, &Default::default(), &[0], None).await.unwrap();
    let key = VerifierKey::parse(&proofs.key).unwrap();
    assert!(key.open(&proofs.checkpoint).is_ok());
    assert_eq!(proofs.key_changes.len(), 1, "{:?}", proofs.key_changes);
    assert_eq!(rotation.old.open_key_change(&proofs.key_changes[0]), Ok(rotation.new.clone()));
    assert_eq!(glassbox_log::key_change_leads_to(&rotation.old, &rotation.new, &proofs.key_changes), Ok(()));

    // A tampered checkpoint still fails under either key.
    let cp = open_with_any(&served, &after).unwrap().0;
    let tampered = after.replacen(&format!("\n{}\n", cp.size), &format!("\n{}\n", cp.size + 1), 1);
    assert_ne!(tampered, after);
    assert!(open_with_any(&served, &tampered).is_err());
    let verdict = verify::consistency(Some(&app.address), &served, &Default::default(), &before, &tampered).await.unwrap();
    assert!(matches!(verdict, Verdict::Failed(_)), "{verdict:?}");
});

on_both_databases!(async fn the_cli_with_the_old_key_pinned_follows_the_logs_key_change_and_nothing_else(app) {
    // Arrange: a checkpoint under the old key, a rotation, a checkpoint under the new key.
    let old = app.signer();
    let before = grow_and_sign(app, &old).await;
    let rotation = keys::rotate(&app.db, &app.clock, &app.key_file()).await.unwrap();
    let new = keys::load_signer(&app.db, &app.clock, &app.settings).await.unwrap();
    let after = grow_and_sign(app, &new).await;
    let client = reqwest::Client::new();

    // Act: the old key pinned (`--key`), as someone who pinned it before the rotation would.
    let trusted = verify::key(&client, &app.address, Some(&rotation.old.to_string())).await.unwrap();

    // Assert: the statement the old key signed leads to the new key, so both are trusted and
    // the new key's checkpoint verifies against the old one.
    assert_eq!(trusted, vec![rotation.old.clone(), rotation.new.clone()]);
    let verdict = verify::consistency(Some(&app.address), &trusted, &Default::default(), &before, &after).await.unwrap();
    assert!(matches!(verdict, Verdict::Verified(_)), "{verdict:?}");
    let body: serde_json::Value = reqwest::get(app.url("/log/key-changes")).await.unwrap().json().await.unwrap();
    assert_eq!(body["statements"].as_array().map(Vec::len), Some(1), "{body}");
    // A key nobody handed over from is followed nowhere: pinned alone, it stays alone.
    let stranger = CheckpointSigner::new(rotation.old.name(), &[9; 32]).unwrap().verifier_key();
    let trusted = verify::key(&client, &app.address, Some(&stranger.to_string())).await.unwrap();
    assert_eq!(trusted, vec![stranger]);
    let verdict = verify::consistency(Some(&app.address), &trusted, &Default::default(), &before, &after).await.unwrap();
    assert!(matches!(verdict, Verdict::Failed(_)), "{verdict:?}");
});
