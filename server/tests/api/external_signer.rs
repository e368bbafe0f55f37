//! An external signer (`GLASSBOX__LOG__SIGNER_COMMAND`) instead of the key file: the
//! shipped OpenSSL signer (integrations/openssl-signer) keeps the key in a PEM file Glassbox
//! never reads. Moving a log to it is a rotation the key file's key signs; a signer that
//! answers a wrong signature, or cannot run, fails closed.

use crate::helpers::TestApp;
use crate::on_both_databases;
use glassbox::db::tree as store;
use glassbox::transparency::signer::{LogSigner, NoteSigner};
use glassbox::transparency::{checkpoints, keys};
use glassbox::verify::{self, Verdict};
use glassbox_log::{open_with_any, VerifierKey};
use std::path::{Path, PathBuf};
use std::time::Duration;

const SIGNER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../integrations/openssl-signer/glassbox-openssl-signer"
);

/// A new Ed25519 key in a PEM file, made by OpenSSL.
fn pem(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let out = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&path)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

async fn grow(app: &TestApp) {
    let token = app.service_token().await;
    let before = store::current_size(&app.db).await.unwrap();
    app.create_request(&token, serde_json::json!({})).await;
    for _ in 0..200 {
        if store::current_size(&app.db).await.unwrap() > before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the log did not grow");
}

async fn latest_note(app: &TestApp) -> String {
    store::latest_checkpoint(&app.db)
        .await
        .unwrap()
        .unwrap()
        .note
}

on_both_databases!(async fn a_log_moved_to_the_openssl_signer_is_signed_by_it_and_its_old_checkpoints_still_verify(app) {
    let dir = tempfile::tempdir().unwrap();
    let key = pem(dir.path(), "log.pem");
    let mut settings = app.settings.clone();
    settings.log.signer_command = Some(format!("{SIGNER} {}", key.display()));
    grow(app).await;
    let old = app.signer();
    checkpoints::sign_checkpoint(&app.db, &app.clock, &old).await.unwrap();
    let before = latest_note(app).await;

    let signer = keys::load_log_signer(&app.db, &app.clock, &settings).await.unwrap();
    assert!(matches!(signer, LogSigner::External(_)), "{signer:?}");
    let new = signer.verifier_key();
    assert_ne!(new, old.verifier_key());
    assert_eq!(new.name(), old.name(), "the log keeps its name");
    // What OpenSSL says the public key is, is the key the notes open with.
    let out = std::process::Command::new(SIGNER).arg(&key).arg("public-key").output().unwrap();
    let public = glassbox_log::unb64(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    assert_eq!(new, VerifierKey::from_public_key(old.name(), &public.try_into().unwrap()).unwrap());

    grow(app).await;
    assert!(checkpoints::sign_checkpoint(&app.db, &app.clock, &signer).await.unwrap().is_some());
    let after = latest_note(app).await;
    assert!(new.open(&after).is_ok(), "{after}");
    // The key file's key handed over to the external key, openly.
    let changes = store::key_changes(&app.db).await.unwrap();
    assert_eq!(glassbox_log::key_change_leads_to(&old.verifier_key(), &new, &changes), Ok(()));
    let known = keys::known_keys(&app.db).await.unwrap();
    assert_eq!(open_with_any(&known, &before).unwrap().1, &old.verifier_key());
    assert_eq!(open_with_any(&known, &after).unwrap().1, &new);
    let verdict = verify::consistency(Some(&app.address), &known, &Default::default(), &before, &after).await.unwrap();
    assert!(matches!(verdict, Verdict::Verified(_)), "{verdict:?}");
    let verdict = verify::database(&app.db, &known).await.unwrap();
    assert!(matches!(verdict, Verdict::Verified(_)), "{verdict:?}");
    // Starting again with the same signer changes nothing more.
    keys::load_log_signer(&app.db, &app.clock, &settings).await.unwrap();
    assert_eq!(store::key_changes(&app.db).await.unwrap().len(), 1);
});

on_both_databases!(async fn a_signer_whose_signature_does_not_verify_signs_nothing(app) {
    let dir = tempfile::tempdir().unwrap();
    let (shown, used) = (pem(dir.path(), "shown.pem"), pem(dir.path(), "used.pem"));
    // A broken signer: it reports one key and signs with another.
    let script = dir.path().join("two-faced-signer");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = public-key ]; then exec {SIGNER} {} public-key; else exec {SIGNER} {} sign; fi\n",
            shown.display(),
            used.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut settings = app.settings.clone();
    settings.log.signer_command = Some(script.display().to_string());
    let signer = keys::load_log_signer(&app.db, &app.clock, &settings).await.unwrap();
    let size_before = store::latest_checkpoint(&app.db).await.unwrap().map(|c| c.size);
    grow(app).await;
    let e = checkpoints::sign_checkpoint(&app.db, &app.clock, &signer).await.expect_err("refused");
    assert!(format!("{e:#}").contains("does not verify"), "{e:#}");
    assert_eq!(store::latest_checkpoint(&app.db).await.unwrap().map(|c| c.size), size_before);
});

on_both_databases!(async fn a_signer_that_cannot_run_or_a_key_nobody_handed_over_to_stops_the_start(app) {
    let mut settings = app.settings.clone();
    settings.log.signer_command = Some("/nonexistent/signer --key x".into());
    let e = keys::load_log_signer(&app.db, &app.clock, &settings).await.expect_err("refused");
    assert!(format!("{e:#}").contains("/nonexistent/signer"), "{e:#}");
    // An external key this log never signed with, and no key file to hand over from.
    let dir = tempfile::tempdir().unwrap();
    let key = pem(dir.path(), "stranger.pem");
    settings.log.signer_command = Some(format!("{SIGNER} {}", key.display()));
    settings.log.signing_key_file = Some(dir.path().join("missing.key"));
    let e = keys::load_log_signer(&app.db, &app.clock, &settings).await.expect_err("refused");
    assert!(format!("{e:#}").contains("never signed this log"), "{e:#}");
    assert!(store::key_changes(&app.db).await.unwrap().is_empty());
});
