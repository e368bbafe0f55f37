//! Proofs that travel: an owner's export (`/me/history/export.json`, and the `.zip` beside
//! the CSV) is a proof file that `glassbox verify export` checks with no network; any
//! change to it — one byte of an entry, a removed event, two swapped salts — fails with the
//! log index named, and another owner's events never appear in it.

use crate::helpers::TestApp;
use crate::on_both_databases;
use std::io::Read as _;
use std::time::Duration;

/// The signed-in owner's proof file, once every event in it is in a signed checkpoint
/// (the demo's events and checks enter the log, then the next checkpoint, within moments).
async fn settled_export(app: &TestApp) -> serde_json::Value {
    for _ in 0..100 {
        let res = app.get("/me/history/export.json").await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["content-type"], "application/json");
        let json: serde_json::Value = res.json().await.unwrap();
        let events = json["events"].as_array().unwrap();
        if events.iter().all(|e| e["proof"]["status"] == "included") {
            return json;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the export's events were not all in a signed checkpoint within 10 s");
}

async fn log_key(app: &TestApp) -> String {
    app.get("/log/key")
        .await
        .text()
        .await
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string()
}

/// `glassbox verify export` on `bytes`, as an auditor would run it: (exit code, stdout, stderr).
async fn verify_export(bytes: &[u8], key: Option<&str>) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export");
    std::fs::write(&path, bytes).unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_glassbox"));
    cmd.arg("verify")
        .arg("export")
        .arg(&path)
        .env("RUST_LOG", "error");
    if let Some(k) = key {
        cmd.arg("--key").arg(k);
    }
    let out = cmd.output().await.unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn bytes_of(json: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec_pretty(json).unwrap()
}

fn index_of(event: &serde_json::Value) -> u64 {
    event["log_index"].as_u64().expect("a log index")
}

on_both_databases!(async fn a_downloaded_export_verifies_offline_and_any_change_fails_with_the_index_named(app) {
    // Arrange: an owner with a history in the log.
    app.sign_in_as("Bilal Haddad").await;
    let json = settled_export(app).await;
    let key = log_key(app).await;
    let events = json["events"].as_array().unwrap().clone();
    assert!(events.len() >= 3, "the demo gives Bilal a history: {}", events.len());
    assert_eq!(json["format"], "glassbox-export/v1");

    // Act and assert: the file as downloaded verifies, with the log's key pinned…
    let (code, out, err) = verify_export(&bytes_of(&json), Some(&key)).await;
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("OK: all "), "{out}");
    // …and without it, against the key in the file, saying so.
    let (code, _, err) = verify_export(&bytes_of(&json), None).await;
    assert_eq!(code, Some(0));
    assert!(err.contains("the key inside the file"), "{err}");

    // One changed byte of an entry.
    let target = &events[1];
    let mut entry = glassbox_log::unb64(target["proof"]["entry"].as_str().unwrap()).unwrap();
    let middle = entry.len() / 2;
    entry[middle] ^= 0x20;
    let mut changed = json.clone();
    changed["events"][1]["proof"]["entry"] = glassbox_log::b64(&entry).into();
    let (code, out, _) = verify_export(&bytes_of(&changed), Some(&key)).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("FAILED: "), "{out}");
    assert!(out.contains(&format!("index {}:", index_of(target))), "{out}");

    // A removed event.
    let mut removed = json.clone();
    removed["events"].as_array_mut().unwrap().remove(2);
    let (code, out, _) = verify_export(&bytes_of(&removed), Some(&key)).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("index {}:", index_of(&events[2]))), "{out}");
    assert!(out.contains("lost"), "{out}");

    // Two swapped salts.
    let mut swapped = json.clone();
    let (a, b) = (events[0]["proof"]["salt"].clone(), events[1]["proof"]["salt"].clone());
    assert_ne!(a, b);
    swapped["events"][0]["proof"]["salt"] = b;
    swapped["events"][1]["proof"]["salt"] = a;
    let (code, out, _) = verify_export(&bytes_of(&swapped), Some(&key)).await;
    assert_eq!(code, Some(1), "{out}");
    for e in &events[..2] {
        assert!(out.contains(&format!("index {}:", index_of(e))), "{out}");
    }

    // A shown field that differs from the entry the log holds.
    let mut reworded = json.clone();
    reworded["events"][0]["decision"] = if events[0]["decision"] == "allowed" { "denied" } else { "allowed" }.into();
    let (code, out, _) = verify_export(&bytes_of(&reworded), Some(&key)).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("index {}:", index_of(&events[0]))), "{out}");

    // A key that is not the log's: the checkpoint fails.
    let stranger = glassbox_log::CheckpointSigner::new(glassbox_log::VerifierKey::parse(&key).unwrap().name(), &[7; 32])
        .unwrap()
        .verifier_key()
        .to_string();
    let (code, out, _) = verify_export(&bytes_of(&json), Some(&stranger)).await;
    assert_eq!(code, Some(1), "{out}");

    // A file that is not an export cannot be checked: neither a pass nor a fail.
    let (code, _, err) = verify_export(b"{\"hello\": 1}", Some(&key)).await;
    assert_eq!(code, Some(2), "{err}");
    let (code, _, _) = verify_export(b"not json at all", None).await;
    assert_eq!(code, Some(2));
});

on_both_databases!(async fn the_zip_export_holds_the_csv_the_proof_file_and_a_readme_and_verifies(app) {
    app.sign_in_as("Bilal Haddad").await;
    let json = settled_export(app).await;
    let res = app.get("/me/history/export.zip").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("glassbox-access-history.zip"));
    let bytes = res.bytes().await.unwrap().to_vec();

    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["README.txt", "glassbox-access-history.csv", "glassbox-access-history.json"]);
    let mut read = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let csv = read("glassbox-access-history.csv");
    let inner: serde_json::Value = serde_json::from_str(&read("glassbox-access-history.json")).unwrap();
    assert!(read("README.txt").contains("glassbox verify export"));
    // The CSV and the proof file are one snapshot: the same events.
    let rows = csv.trim_end().split("\r\n").count() - 1;
    assert_eq!(rows, inner["events"].as_array().unwrap().len());
    assert_eq!(inner["events"].as_array().unwrap().len(), json["events"].as_array().unwrap().len());

    let key = log_key(app).await;
    let (code, out, err) = verify_export(&bytes, Some(&key)).await;
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(app.get("/me/history/export.zip").await.status().as_u16(), 200);
    app.sign_in_as("Sam Rivera").await;
    assert_eq!(app.get("/me/history/export.zip").await.status().as_u16(), 403);
});

on_both_databases!(async fn another_owners_events_never_appear_in_an_export(app) {
    // Arrange: both owners have events; Alice gets a fresh one too.
    let token = app.service_token().await;
    app.check(&token, "alice@example.org", "sam.rivera", "metadata").await;
    app.sign_in_as("Alice Martin").await;
    let alice = settled_export(app).await;
    app.sign_in_as("Bilal Haddad").await;
    let bilal = settled_export(app).await;

    // Assert: each file holds only its owner's mailbox, and no event of the other's.
    let ids = |j: &serde_json::Value| -> std::collections::HashSet<String> {
        j["events"].as_array().unwrap().iter().map(|e| e["event_id"].as_str().unwrap().to_string()).collect()
    };
    assert!(!ids(&alice).is_empty() && !ids(&bilal).is_empty());
    assert!(ids(&alice).is_disjoint(&ids(&bilal)));
    let alices = ["alice@example.org", "alice.martin@work.example.org"];
    for (file, mailboxes) in [(&alice, &alices[..]), (&bilal, &["bilal@example.org"][..])] {
        let events = file["events"].as_array().unwrap();
        assert!(events.iter().all(|e| mailboxes.contains(&e["mailbox"].as_str().unwrap())), "{mailboxes:?}");
        // One id per address, and the entries themselves name that mailbox only.
        let mut id_of = std::collections::HashMap::new();
        for e in events {
            let id = e["mailbox_id"].as_str().unwrap();
            assert_eq!(*id_of.entry(e["mailbox"].as_str().unwrap()).or_insert(id), id);
            let entry = glassbox_log::unb64(e["proof"]["entry"].as_str().unwrap()).unwrap();
            let glassbox_log::Entry::Access(entry) = glassbox_log::Entry::decode(&entry).unwrap() else { panic!() };
            assert_eq!(entry.mailbox_id, id);
        }
    }
    // Every event of each owner's mailboxes is in their file, and nothing else.
    for (file, addresses) in [(&bilal, "'bilal@example.org'"), (&alice, "'alice@example.org', 'alice.martin@work.example.org'")] {
        let stored = glassbox::db::on_pool_for_tests(
            &app.db,
            &format!("SELECT COUNT(*) FROM access_events e JOIN mailboxes m ON m.id = e.mailbox_id WHERE m.address IN ({addresses})"),
        )
        .await;
        assert_eq!(stored as usize, ids(file).len(), "{addresses}");
    }
});
