//! The verifiable access log: every check's event is in a Merkle tree whose checkpoints are
//! signed; anyone can verify inclusion and consistency with the public endpoints; direct
//! changes to the stored events are detected and placed (T1); two checkpoints of one size
//! are caught (T2).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should stop at the first surprise

use crate::helpers::TestApp;
use crate::on_both_databases;
use glassbox::db::changes;
use glassbox::db::tree as store;
use glassbox::db::{on_pool_for_tests, Backend};
use glassbox::verify::{self, Verdict};
use glassbox_log::{Checkpoint, ConsistencyProof, InclusionProof, VerifierKey};
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::time::Duration;

async fn text(app: &TestApp, path: &str) -> (u16, String) {
    let res = reqwest::get(app.url(path)).await.expect("request");
    (res.status().as_u16(), res.text().await.expect("body"))
}

pub(crate) async fn key(app: &TestApp) -> VerifierKey {
    let (status, body) = text(app, "/log/key").await;
    assert_eq!(status, 200);
    VerifierKey::parse(&body).expect("a well-formed verifier key")
}

/// Waits until the log has signed a checkpoint of at least `size` leaves.
pub(crate) async fn checkpoint_of_at_least(
    app: &TestApp,
    key: &VerifierKey,
    size: u64,
) -> (Checkpoint, String) {
    for _ in 0..100 {
        let (status, note) = text(app, "/log/checkpoint").await;
        if status == 200 {
            let cp = key
                .open(&note)
                .expect("the served checkpoint verifies with the served key");
            if cp.size >= size {
                return (cp, note);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no checkpoint of size {size} within 10 s");
}

/// How many entries the log holds: access events, request changes and staff changes.
pub(crate) async fn log_entries(app: &TestApp) -> u64 {
    let events = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await;
    let changes = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM request_changes").await;
    let staff = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM staff_changes").await;
    let notices = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM legal_hold_changes").await;
    (events + changes + staff + notices) as u64
}

pub(crate) async fn allowing_grant(app: &TestApp, token: &str) {
    let id = app.create_request(token, serde_json::json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.sign_in_as("Alice Martin").await;
    let (status, _) = app
        .server_fn::<app::api::requests::ApproveRequest>(&[("id", id.as_str()), ("confirm", "yes")])
        .await;
    assert_eq!(status, 200);
}

on_both_databases!(async fn every_check_answer_has_a_log_index_whose_inclusion_verifies(app) {
    let token = app.service_token().await;
    allowing_grant(app, &token).await;
    let key = key(app).await;
    let (first, first_note) = checkpoint_of_at_least(app, &key, 0).await;

    let answers = futures_util::future::join_all((0..20).map(|i| {
        let scope = if i % 2 == 0 { "metadata" } else { "settings" };
        app.check(&token, "alice@example.org", "sam.rivera", scope)
    }))
    .await;
    let mut indexes: Vec<u64> = answers.iter().map(|a| a["log_index"].as_u64().expect("log_index in the answer")).collect();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), 20, "every event has its own index");

    let max = *indexes.last().unwrap();
    let (cp, note) = checkpoint_of_at_least(app, &key, max + 1).await;
    let rows = {
        let mut tx = app.db.begin().await.unwrap();
        store::all_logged(&mut tx).await.unwrap()
    };
    for a in &answers {
        let index = a["log_index"].as_u64().unwrap();
        let (status, body) = text(app, &format!("/log/proof/inclusion?index={index}&size={}", cp.size)).await;
        assert_eq!(status, 200, "{body}");
        let proof: InclusionProof = serde_json::from_str(&body).unwrap();
        assert!(proof.hashes.len() <= 64);
        // The leaf the log proves is the one stored with this very event.
        let row = rows.iter().find(|r| r.id.to_string() == a["event_id"].as_str().unwrap()).expect("the event is stored");
        assert_eq!(row.log_index, Some(index as i64));
        assert_eq!(row.leaf_hash.as_deref(), Some(&proof.leaf().unwrap()[..]));
        let entry = glassbox::transparency::entries::logged_entry(row).unwrap();
        assert_eq!(entry.leaf_hash(), proof.leaf().unwrap(), "the leaf is the hash of the event's entry");
        assert_eq!(proof.verify(&proof.leaf().unwrap(), &cp.root), Ok(()));
        let mut forged = proof.leaf().unwrap();
        forged[0] ^= 1;
        assert!(proof.verify(&forged, &cp.root).is_err(), "another leaf does not verify");
    }

    // The log only grew: the first checkpoint is a prefix of the later one.
    let (status, body) = text(app, &format!("/log/proof/consistency?from={}&to={}", first.size, cp.size)).await;
    assert_eq!(status, 200, "{body}");
    let proof: ConsistencyProof = serde_json::from_str(&body).unwrap();
    assert_eq!(proof.verify(&first.root, &cp.root), Ok(()));
    assert!(matches!(
        verify::consistency(Some(&app.address), std::slice::from_ref(&key), &Default::default(), &first_note, &note).await.unwrap(),
        Verdict::Verified(_)
    ));
    // And the CLI's inclusion check agrees, with the key pinned.
    let verdict = verify::inclusion(&app.address, Some(&key.to_string()), &Default::default(), indexes[3], None, None).await.unwrap();
    assert!(matches!(verdict, Verdict::Verified(_)), "{verdict:?}");
});

/// Waits until every request change is in the log; returns the request's changes.
async fn logged_changes_of(app: &TestApp, id: &str) -> Vec<changes::ChangeEntryRow> {
    let request = app::model::RequestId(id.parse().unwrap());
    for _ in 0..100 {
        let rows = changes::for_request(&app.db, request).await.unwrap();
        if rows.iter().all(|r| r.log_index.is_some()) {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the changes of request {id} did not enter the log within 5 s");
}

on_both_databases!(async fn every_step_in_a_requests_life_enters_the_log_and_verifies(app) {
    let token = app.service_token().await;
    let accesses_before = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await;
    // requested → approved → shortened → revoked, by the agent, then the owner.
    let kept = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.sign_in_as("Alice Martin").await;
    for (call, status) in [
        (app.server_fn::<app::api::requests::ApproveRequest>(&[("id", kept.as_str()), ("confirm", "yes")]).await, "approve"),
        (app.server_fn::<app::api::requests::ShortenGrant>(&[("id", kept.as_str()), ("minutes", "5")]).await, "shorten"),
        (app.server_fn::<app::api::requests::RevokeGrant>(&[("id", kept.as_str())]).await, "revoke"),
    ] {
        assert_eq!(call.0, 200, "{status}: {}", call.1);
    }
    // requested → denied, with the owner's reason.
    let denied = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .server_fn::<app::api::requests::DenyRequest>(&[("id", denied.as_str()), ("reason", "Not today")])
        .await;
    assert_eq!(status, 200, "{body}");
    // requested → expired, when time runs out and the sweeper writes it down.
    let expired = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    app.clock.advance(time::Duration::days(3));
    glassbox::services::requests::sweep(&app.db, &app.clock, &app.settings).await.unwrap();

    let steps = |rows: &[changes::ChangeEntryRow]| -> Vec<(String, String)> {
        rows.iter().map(|r| (r.change.clone(), r.actor.clone())).collect()
    };
    let pair = |c: &str, a: &str| (c.to_string(), a.to_string());
    let kept_rows = logged_changes_of(app, &kept).await;
    assert_eq!(
        steps(&kept_rows),
        vec![pair("requested", "staff"), pair("approved", "owner"), pair("shortened", "owner"), pair("revoked", "owner")]
    );
    let denied_rows = logged_changes_of(app, &denied).await;
    assert_eq!(steps(&denied_rows), vec![pair("requested", "staff"), pair("denied", "owner")]);
    assert_eq!(denied_rows[1].reason.as_deref(), Some("Not today"));
    let expired_rows = logged_changes_of(app, &expired).await;
    assert_eq!(steps(&expired_rows), vec![pair("requested", "staff"), pair("expired", "system")]);

    // Each change is a leaf of the signed log: its entry decodes as that change, and the
    // public inclusion proof verifies against a signed checkpoint.
    let key = key(app).await;
    let all: Vec<_> = kept_rows.iter().chain(&denied_rows).chain(&expired_rows).collect();
    let max = all.iter().map(|r| r.log_index.unwrap() as u64).max().unwrap();
    let (cp, _) = checkpoint_of_at_least(app, &key, max + 1).await;
    for row in &all {
        let index = row.log_index.unwrap() as u64;
        let entry = glassbox::transparency::entries::logged_change(row).unwrap();
        let decoded = glassbox_log::Entry::decode(&entry.encode()).unwrap();
        assert!(matches!(&decoded, glassbox_log::Entry::Change(c) if c.change == row.change && c.request_id == row.request_id.to_string()));
        let (status, body) = text(app, &format!("/log/proof/inclusion?index={index}&size={}", cp.size)).await;
        assert_eq!(status, 200, "{body}");
        let proof: InclusionProof = serde_json::from_str(&body).unwrap();
        assert_eq!(proof.leaf(), Some(entry.leaf_hash()), "the log holds this change at {index}");
        assert_eq!(proof.verify(&entry.leaf_hash(), &cp.root), Ok(()));
        let b64 = glassbox_log::b64(&entry.encode());
        let verdict = verify::inclusion(&app.address, Some(&key.to_string()), &Default::default(), index, Some(b64.as_str()), None).await.unwrap();
        assert!(matches!(verdict, Verdict::Verified(_)), "the CLI verifies the change at {index}: {verdict:?}");
    }
    // The owner's page for the request lists its steps with their places in the log; the
    // same page is not found for another owner. (Three days have passed: Alice signs in
    // again, her session having long reached its idle limit.)
    app.sign_in_as("Alice Martin").await;
    let (status, page) = app.get_page(&format!("/me/requests/{kept}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("What happened, step by step"), "{page}");
    for row in &kept_rows {
        assert!(page.contains(&format!("in the log at index {}", row.log_index.unwrap())), "step {} shown with its index", row.change);
    }
    assert!(page.contains("Approval withdrawn"));
    // What the owner's browser does with the page's steps (the same code, in WASM there).
    let (status, body) = app.server_fn::<app::api::requests::LoadRequest>(&[("id", kept.as_str())]).await;
    assert_eq!(status, 200, "{body}");
    let view: app::model::RequestView = serde_json::from_value(body).unwrap();
    assert_eq!(view.steps.len(), 4);
    let indexes: Vec<u64> = view.steps.iter().filter_map(|s| s.log_index).collect();
    let (status, body) = post_json::<app::api::overview::LoadLogProofs>(app, serde_json::json!({"indexes": indexes, "since": null})).await;
    assert_eq!(status, 200, "{body}");
    let proofs: app::model::LogProofs = serde_json::from_str(&body).unwrap();
    let remembered = app::model::log_check::Remembered::default();
    let check = app::model::log_check::check_page(&view.steps, &proofs, &remembered);
    assert!(check.all_good(), "{check:?}");
    let mut altered = view.steps.clone();
    altered[1].by = app::model::ChangeActor::Staff;
    assert!(!app::model::log_check::check_page(&altered, &proofs, &remembered).all_good(), "a step shown differently from its entry fails");
    app.sign_in_as("Bilal Haddad").await;
    let (status, page) = app.get_page(&format!("/me/requests/{kept}")).await;
    assert!(status == 404 || !page.contains("step by step"), "another owner sees nothing of it");

    // Changes are not accesses: no access event was written by any of this.
    assert_eq!(on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await, accesses_before);
    assert!(matches!(verify::database(&app.db, std::slice::from_ref(&key)).await.unwrap(), Verdict::Verified(_)));
});

on_both_databases!(async fn a_request_change_cannot_be_updated_or_deleted(app) {
    let token = app.service_token().await;
    let id = app.create_request(&token, serde_json::json!({})).await["id"].as_str().unwrap().to_string();
    let rows = logged_changes_of(app, &id).await;
    let index = rows[0].log_index.unwrap();
    for sql in [
        format!("UPDATE request_changes SET actor = 'owner' WHERE log_index = {index}"),
        format!("DELETE FROM request_changes WHERE log_index = {index}"),
    ] {
        let mut tx = app.db.begin().await.unwrap();
        let refused = store::execute_in_tx_for_tests(&mut tx, &sql).await;
        assert!(refused.is_err(), "the database refuses: {sql}");
    }
});

on_both_databases!(async fn demo_events_written_before_the_log_existed_are_entered_into_it(app) {
    let unlogged = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events WHERE log_index IS NULL").await;
    assert_eq!(unlogged, 0);
    let events = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await;
    assert!(events > 0);
    let key = key(app).await;
    let total = log_entries(app).await;
    assert!(total > events as u64, "the demo's request changes are in the log too");
    let (cp, _) = checkpoint_of_at_least(app, &key, total).await;
    assert_eq!(cp.size, total);
    assert!(matches!(verify::database(&app.db, std::slice::from_ref(&key)).await.unwrap(), Verdict::Verified(_)));
});

on_both_databases!(async fn bad_proof_questions_get_a_clear_400_and_the_log_holds_only_hashes(app) {
    let size = log_entries(app).await;
    for path in [
        format!("/log/proof/inclusion?index={size}&size={size}"),
        format!("/log/proof/inclusion?index=0&size={}", size + 1),
        "/log/proof/inclusion?index=-1&size=3".to_string(),
        "/log/proof/inclusion?index=zero&size=3".to_string(),
        "/log/proof/consistency?from=5&to=3".to_string(),
        format!("/log/proof/consistency?from=1&to={}", size + 5),
        "/log/proof/consistency".to_string(),
    ] {
        let (status, body) = text(app, &path).await;
        assert!(status == 400 || status == 422, "{path}: {status} {body}");
        let json: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
        assert!(json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (_, body) = text(app, "/log/proof/inclusion?index=0&size=1").await;
    assert!(!body.contains("alice"), "the public log shows hashes, never event details");
});

/// The SQL that undoes the append-only protection, as an attacker with database access would.
fn drop_protection(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Sqlite => &[
            "DROP TRIGGER access_events_no_update",
            "DROP TRIGGER access_events_no_delete",
            "DROP TRIGGER request_changes_no_update",
            "DROP TRIGGER request_changes_no_delete",
            "DROP TRIGGER staff_changes_no_update",
            "DROP TRIGGER staff_changes_no_delete",
        ],
        Backend::Postgres => &[
            "ALTER TABLE access_events DISABLE TRIGGER USER",
            "ALTER TABLE request_changes DISABLE TRIGGER USER",
            "ALTER TABLE staff_changes DISABLE TRIGGER USER",
        ],
    }
}

on_both_databases!(async fn every_direct_change_to_the_stored_events_is_detected_at_its_first_index(app) {
    // T1, scaled: random updates, deletions, reorderings and insertions, each in a
    // transaction that is rolled back after the offline verifier has run.
    let token = app.service_token().await;
    allowing_grant(app, &token).await;
    for _ in 0..4 {
        futures_util::future::join_all((0..10).map(|_| app.check(&token, "alice@example.org", "sam.rivera", "content"))).await;
    }
    let key = key(app).await;
    let total = log_entries(app).await;
    let (cp, _) = checkpoint_of_at_least(app, &key, total).await;
    let n = cp.size;
    // The log's entries live in three tables; each index is in exactly one.
    let tables: HashMap<u64, &str> = {
        let mut tx = app.db.begin().await.unwrap();
        let events = store::all_logged(&mut tx).await.unwrap();
        let changes = changes::all_logged(&mut tx).await.unwrap();
        let staff = glassbox::db::staff_changes::all_logged(&mut tx).await.unwrap();
        events.iter().map(|r| (r.log_index.unwrap() as u64, "access_events"))
            .chain(changes.iter().map(|r| (r.log_index.unwrap() as u64, "request_changes")))
            .chain(staff.iter().map(|r| (r.log_index.unwrap() as u64, "staff_changes")))
            .collect()
    };
    assert!(tables.values().any(|t| *t == "request_changes"), "the log holds request changes too");
    assert!(tables.values().filter(|t| **t == "staff_changes").count() > 1, "and staff changes (the demo's team)");
    let same_table = |i: u64, rng: &mut rand::rngs::StdRng| loop {
        let j = rng.gen_range(0..n);
        if j != i && tables[&j] == tables[&i] {
            return j;
        }
    };
    let rounds: usize = std::env::var("TAMPER_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let backend = app.db.backend();
    let new_id = if backend == Backend::Sqlite { "randomblob(16)" } else { "gen_random_uuid()" };
    let mut kinds = [0usize; 5];
    let mut changes_touched = 0usize;
    let mut staff_touched = 0usize;
    for round in 0..rounds {
        let i = rng.gen_range(0..n);
        let table = tables[&i];
        let kind = rng.gen_range(0..5);
        kinds[kind] += 1;
        if table == "request_changes" {
            changes_touched += 1;
        }
        if table == "staff_changes" {
            staff_touched += 1;
        }
        let (sql, first_bad): (Vec<String>, u64) = match kind {
            0 => {
                let change = if table == "staff_changes" {
                    [
                        "change = CASE change WHEN 'disabled' THEN 'added' ELSE 'disabled' END",
                        "actor = CASE actor WHEN 'system' THEN 'command_line' ELSE 'system' END, actor_staff_id = NULL",
                        "reason = COALESCE(reason, '') || '.'",
                        "role = CASE role WHEN 'support' THEN 'security_admin' ELSE 'support' END",
                    ][rng.gen_range(0..4)]
                } else if table == "access_events" {
                    [
                        "decision = CASE decision WHEN 'allowed' THEN 'denied' ELSE 'allowed' END",
                        "resource = resource || 'x'",
                        "reason = reason || '.'",
                        "action = action || '_all'",
                        "scope = CASE scope WHEN 'metadata' THEN 'content' ELSE 'metadata' END",
                        "source_network = COALESCE(source_network, '') || '10.9.9.9'",
                    ][rng.gen_range(0..6)]
                } else {
                    [
                        "change = CASE change WHEN 'denied' THEN 'approved' ELSE 'denied' END",
                        "actor = CASE actor WHEN 'owner' THEN 'system' ELSE 'owner' END",
                        "scopes = scopes || ',settings'",
                        "reason = COALESCE(reason, '') || '.'",
                        "grant_ends_at = NULL",
                        "request_id = (SELECT id FROM access_requests ORDER BY created_at LIMIT 1 OFFSET 1)",
                    ][rng.gen_range(0..6)]
                };
                let sql = format!("UPDATE {table} SET {change} WHERE log_index = {i}");
                if change == "grant_ends_at = NULL" || change.starts_with("request_id") {
                    // Those may already hold that value: make sure something changed.
                    let guard = if change == "grant_ends_at = NULL" { "grant_ends_at IS NOT NULL" } else { "request_id <> (SELECT id FROM access_requests ORDER BY created_at LIMIT 1 OFFSET 1)" };
                    (vec![format!("{sql} AND {guard}"), format!("UPDATE {table} SET reason = COALESCE(reason, '') || '!' WHERE log_index = {i}")], i)
                } else {
                    (vec![sql], i)
                }
            }
            1 => (vec![format!("DELETE FROM {table} WHERE log_index = {i}")], i),
            2 => {
                let j = same_table(i, &mut rng);
                let (a, b) = (i.min(j), i.max(j));
                (
                    vec![
                        format!("UPDATE {table} SET log_index = -1 WHERE log_index = {a}"),
                        format!("UPDATE {table} SET log_index = {a} WHERE log_index = {b}"),
                        format!("UPDATE {table} SET log_index = {b} WHERE log_index = -1"),
                    ],
                    a,
                )
            }
            3 => {
                // A forged entry slipped in at index i, later ones (in both tables) shifted up.
                let mut sql = Vec::new();
                for t in ["access_events", "request_changes", "staff_changes"] {
                    sql.push(format!("UPDATE {t} SET log_index = log_index + 1000000 WHERE log_index >= {i}"));
                    sql.push(format!("UPDATE {t} SET log_index = log_index - 999999 WHERE log_index >= 1000000"));
                }
                sql.push(if table == "staff_changes" {
                    format!(
                        "INSERT INTO staff_changes (id, occurred_at, staff_id, change, actor, actor_staff_id, role, reason, \
                         log_index, leaf_salt, leaf_hash) \
                         SELECT {new_id}, occurred_at, staff_id, change, actor, actor_staff_id, role, 'forged', \
                         {i}, leaf_salt, leaf_hash FROM staff_changes WHERE log_index = {}",
                        i + 1
                    )
                } else if table == "access_events" {
                    format!(
                        "INSERT INTO access_events (id, occurred_at, mailbox_id, agent_id, request_id, scope, action, resource, \
                         decision, reason, source_network, log_index, leaf_salt, leaf_hash) \
                         SELECT {new_id}, occurred_at, mailbox_id, agent_id, request_id, scope, action, 'forged', decision, \
                         reason, source_network, {i}, leaf_salt, leaf_hash FROM access_events WHERE log_index = {}",
                        i + 1
                    )
                } else {
                    format!(
                        "INSERT INTO request_changes (id, occurred_at, request_id, mailbox_id, agent_id, change, actor, scopes, \
                         grant_ends_at, reason, log_index, leaf_salt, leaf_hash) \
                         SELECT {new_id}, occurred_at, request_id, mailbox_id, agent_id, 'approved', 'owner', scopes, \
                         grant_ends_at, 'forged', {i}, leaf_salt, leaf_hash FROM request_changes WHERE log_index = {}",
                        i + 1
                    )
                });
                (sql, i)
            }
            _ => {
                // Another entry's salt: the same fields, another leaf.
                let j = same_table(i, &mut rng);
                (
                    vec![format!(
                        "UPDATE {table} SET leaf_salt = (SELECT leaf_salt FROM {table} WHERE log_index = {j}) WHERE log_index = {i}"
                    )],
                    i,
                )
            }
        };
        let mut tx = app.db.begin().await.unwrap();
        for s in drop_protection(backend) {
            store::execute_in_tx_for_tests(&mut tx, s).await.unwrap();
        }
        for s in &sql {
            store::execute_in_tx_for_tests(&mut tx, s).await.unwrap_or_else(|e| panic!("round {round}: {s}: {e}"));
        }
        let finding = glassbox::transparency::checkpoints::audit(&mut tx, std::slice::from_ref(&key)).await.unwrap();
        drop(tx);
        let finding = finding.expect_err(&format!("round {round}: {sql:?} went unnoticed"));
        assert_eq!(finding.index, Some(first_bad), "round {round}: {sql:?}: {finding}");
    }
    assert!(kinds.iter().all(|k| *k > 0), "every kind of change was tried: {kinds:?}");
    assert!(changes_touched > 0, "request changes were tampered with too");
    assert!(staff_touched > 0, "staff changes were tampered with too");
    // Every change was rolled back: the log verifies again.
    assert!(matches!(verify::database(&app.db, std::slice::from_ref(&key)).await.unwrap(), Verdict::Verified(_)));
});

on_both_databases!(async fn a_rewritten_leaf_hash_is_caught_by_the_tree_and_the_signed_root(app) {
    let key = key(app).await;
    let total = log_entries(app).await;
    checkpoint_of_at_least(app, &key, total).await;
    let backend = app.db.backend();
    // The attacker changes an event and recomputes the leaf hash stored with it.
    let rows = {
        let mut tx = app.db.begin().await.unwrap();
        store::all_logged(&mut tx).await.unwrap()
    };
    let mut victim = rows[2].clone();
    victim.resource = "rewritten".into();
    let leaf = glassbox::transparency::entries::logged_entry(&victim).unwrap().leaf_hash();
    let hex: String = leaf.iter().map(|b| format!("{b:02x}")).collect();
    let literal = if backend == Backend::Sqlite { format!("X'{hex}'") } else { format!("'\\x{hex}'::bytea") };
    let mut tx = app.db.begin().await.unwrap();
    for s in drop_protection(backend) {
        store::execute_in_tx_for_tests(&mut tx, s).await.unwrap();
    }
    let at = victim.log_index.unwrap();
    store::execute_in_tx_for_tests(&mut tx, &format!("UPDATE access_events SET resource = 'rewritten', leaf_hash = {literal} WHERE log_index = {at}")).await.unwrap();
    let finding = glassbox::transparency::checkpoints::audit(&mut tx, std::slice::from_ref(&key)).await.unwrap().unwrap_err();
    assert_eq!(finding.index, Some(at as u64), "{finding}");
});

on_both_databases!(async fn two_different_checkpoints_of_one_size_are_caught(app) {
    // T2: a log that shows one history to some readers and another to others, signed with
    // its own key, is caught by comparing two checkpoints of the same size.
    let key = key(app).await;
    let (cp, note) = checkpoint_of_at_least(app, &key, 1).await;
    let signer = app.signer();
    for k in 0..10u8 {
        let mut other_root = cp.root;
        other_root[k as usize] ^= 0xff;
        let other = signer.sign(cp.size, &other_root);
        let verdict = verify::consistency(Some(&app.address), std::slice::from_ref(&key), &Default::default(), &note, &other).await.unwrap();
        assert!(matches!(&verdict, Verdict::Failed(m) if m.contains("split view")), "{verdict:?}");
    }
    // A checkpoint of another size with a forged root fails its consistency proof.
    let forged = signer.sign(cp.size.saturating_sub(1).max(1), &[9; 32]);
    if cp.size > 1 {
        let verdict = verify::consistency(Some(&app.address), std::slice::from_ref(&key), &Default::default(), &forged, &note).await.unwrap();
        assert!(matches!(verdict, Verdict::Failed(_)), "{verdict:?}");
    }
});

async fn post_json<F: leptos::server_fn::ServerFn>(
    app: &TestApp,
    body: serde_json::Value,
) -> (u16, String) {
    let res = app
        .client
        .post(app.url(F::PATH))
        .json(&body)
        .send()
        .await
        .expect("request");
    (res.status().as_u16(), res.text().await.expect("body"))
}

on_both_databases!(async fn the_owners_history_verifies_with_the_browsers_own_check(app) {
    use app::api::overview::{LoadHistory, LoadLogProofs};
    use app::model::log_check::{check_page, remembered_size, HistoryCheck, Remembered};
    use app::model::{HistoryPage, LogProofs};

    let (status, _) = post_json::<LoadLogProofs>(app, serde_json::json!({"indexes": [0], "since": null})).await;
    assert_eq!(status, 401, "proofs are served to signed-in owners' pages");

    app.sign_in_as("Alice Martin").await;
    let key = key(app).await;
    let total = log_entries(app).await;
    checkpoint_of_at_least(app, &key, total).await;
    let (status, body) = post_json::<LoadHistory>(app, serde_json::json!({"cursor": null, "filter": {}})).await;
    assert_eq!(status, 200, "{body}");
    let page: HistoryPage = serde_json::from_str(&body).unwrap();
    assert!(page.events.iter().all(|e| e.log_index.is_some() && e.log_entry.is_some()));
    let (_, html) = app.get_page("/me/history").await;
    assert!(html.contains("in the log at index"), "each row says where its event is in the log");

    // What the browser does (the same function, compiled to WASM there).
    let indexes: Vec<u64> = page.events.iter().filter_map(|e| e.log_index).collect();
    let (status, body) = post_json::<LoadLogProofs>(app, serde_json::json!({"indexes": indexes, "since": null})).await;
    assert_eq!(status, 200, "{body}");
    let proofs: LogProofs = serde_json::from_str(&body).unwrap();
    let first = check_page(&page.events, &proofs, &Remembered::default());
    assert!(first.all_good(), "{first:?}");
    let remembered = first.remember(&proofs, &Default::default()).unwrap();

    // Next visit: more events, and the log is shown to have only grown.
    let token = app.service_token().await;
    app.check(&token, "alice@example.org", "sam.rivera", "content").await;
    checkpoint_of_at_least(app, &key, total + 1).await;
    let since = remembered_size(&remembered);
    assert_eq!(since, Some(total));
    let (_, body) = post_json::<LoadLogProofs>(app, serde_json::json!({"indexes": indexes, "since": since})).await;
    let proofs: LogProofs = serde_json::from_str(&body).unwrap();
    let second = check_page(&page.events, &proofs, &remembered);
    assert_eq!(second.history, HistoryCheck::OnlyGrew { from: total, to: total + 1 });
    assert!(second.all_good());

    // A shown event that differs from the entry the log holds fails in the browser.
    let mut altered = page.events.clone();
    altered[0].reason = "Allowed: routine maintenance".into();
    assert!(!check_page(&altered, &proofs, &remembered).all_good());
});

on_both_databases!(async fn glassbox_verify_says_its_result_in_its_exit_code(app) {
    let key = key(app).await.to_string();
    checkpoint_of_at_least(app, &VerifierKey::parse(&key).unwrap(), 1).await;
    let run = |args: Vec<String>| async move {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_glassbox"))
            .arg("verify")
            .args(args)
            .env("RUST_LOG", "error")
            .output()
            .await
            .unwrap()
    };
    let ok = run(vec!["inclusion".into(), "--url".into(), app.address.clone(), "--index".into(), "0".into(), "--key".into(), key.clone()]).await;
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("OK: index 0 is in"));

    let other_key = glassbox_log::CheckpointSigner::new(VerifierKey::parse(&key).unwrap().name(), &[7; 32]).unwrap().verifier_key().to_string();
    let failed = run(vec!["inclusion".into(), "--url".into(), app.address.clone(), "--index".into(), "0".into(), "--key".into(), other_key]).await;
    assert_eq!(failed.status.code(), Some(1), "a checkpoint not signed by the pinned key fails");
    assert!(String::from_utf8_lossy(&failed.stdout).starts_with("FAILED:"));

    let forged_leaf = glassbox_log::b64(&[0; 32]);
    let other_event = run(vec!["inclusion".into(), "--url".into(), app.address.clone(), "--index".into(), "0".into(), "--key".into(), key.clone(), "--leaf-hash".into(), forged_leaf]).await;
    assert_eq!(other_event.status.code(), Some(1), "another event than the one given fails");

    let unreachable = run(vec!["inclusion".into(), "--url".into(), "http://127.0.0.1:9".into(), "--index".into(), "0".into(), "--key".into(), key]).await;
    assert_eq!(unreachable.status.code(), Some(2), "a check that cannot be made is not a pass or a fail");
});

on_both_databases!(async fn proofs_served_from_memory_equal_proofs_read_from_the_database_after_many_appends(app) {
    // Arrange: a few hundred events appended by the log writer in many batches; it hands
    // each batch's hashes to the proof cache after the commit.
    let token = app.service_token().await;
    allowing_grant(app, &token).await;
    for _ in 0..8 {
        futures_util::future::join_all((0..25).map(|_| app.check(&token, "alice@example.org", "sam.rivera", "content"))).await;
    }
    let key = key(app).await;
    let total = on_pool_for_tests(&app.db, "SELECT COUNT(*) FROM access_events").await as u64;
    let (cp, _) = checkpoint_of_at_least(app, &key, total).await;
    let size = cp.size;
    assert!(size >= 200, "the log holds the appended events: {size}");

    // Act and assert: every inclusion proof and a spread of consistency proofs the server
    // serves equal the ones computed from the stored tree in the database.
    for index in 0..size {
        let (status, body) = text(app, &format!("/log/proof/inclusion?index={index}&size={size}")).await;
        assert_eq!(status, 200, "{body}");
        let served: InclusionProof = serde_json::from_str(&body).unwrap();
        let from_db = glassbox::transparency::proofs::prove_inclusion(&app.db, index, size).await.unwrap();
        assert_eq!(served.hashes, from_db.hashes, "inclusion of {index} in {size}");
        assert_eq!(served.leaf_hash, from_db.leaf_hash);
        assert_eq!(served.verify(&served.leaf().unwrap(), &cp.root), Ok(()));
    }
    for from in (1..size).step_by(7) {
        let (status, body) = text(app, &format!("/log/proof/consistency?from={from}&to={size}")).await;
        assert_eq!(status, 200, "{body}");
        let served: ConsistencyProof = serde_json::from_str(&body).unwrap();
        let from_db = glassbox::transparency::proofs::prove_consistency(&app.db, from, size).await.unwrap();
        assert_eq!(served.hashes, from_db.hashes, "consistency {from} → {size}");
    }

    // A size beyond the log is still refused, with the log's size in the message.
    let current = on_pool_for_tests(&app.db, "SELECT MAX(log_index) + 1 FROM access_events").await as u64;
    for path in [
        format!("/log/proof/inclusion?index=0&size={}", current + 1),
        format!("/log/proof/consistency?from=1&to={}", current + 1),
    ] {
        let (status, body) = text(app, &path).await;
        assert_eq!(status, 422, "{path}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let message = json["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("the log's size, {current}")), "{message}");
    }
});
