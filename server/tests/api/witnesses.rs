//! Two real `glassbox witness` processes cosign the log's checkpoints (C2SP tlog-witness):
//! the cosigned checkpoint is served and verified k-of-n; a split view (a second checkpoint
//! of one size) and a rollback are refused by the witnesses, also after a restart, and
//! flagged by `glassbox verify`.

use crate::helpers::{spawn_app_with, Options, TestApp};
use glassbox::db::tree as store;
use glassbox::db::Backend;
use glassbox::transparency::keys;
use glassbox::verify::{self, Verdict};
use glassbox_log::witness::{AddCheckpoint, WitnessPolicy};
use glassbox_log::{CheckpointSigner, VerifierKey};
use std::time::Duration;
use tokio::io::AsyncBufReadExt as _;

/// A `glassbox witness serve` process.
struct WitnessProcess {
    child: tokio::process::Child,
    url: String,
    key: String,
}

impl WitnessProcess {
    /// Makes a key (once) in `dir` and serves with its state there.
    async fn start(dir: &std::path::Path, name: &str, log_key: &str) -> Self {
        let key_file = dir.join("witness.key");
        if !key_file.exists() {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_glassbox"))
                .args(["witness", "keygen", "--name", name, "--out"])
                .arg(&key_file)
                .output()
                .expect("run glassbox witness keygen");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_glassbox"))
            .args(["witness", "serve", "--listen", "127.0.0.1:0", "--key"])
            .arg(&key_file)
            .arg("--state")
            .arg(dir.join("state"))
            .args(["--log", log_key])
            .stdout(std::process::Stdio::piped())
            // Its log stays beside its state, out of the test output.
            .stderr(std::fs::File::create(dir.join("witness.log")).unwrap())
            .kill_on_drop(true)
            .spawn()
            .expect("start glassbox witness");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the witness says where it listens")
            .unwrap()
            .expect("a line");
        // "witness <key> listening on http://<addr>"
        let mut words = line.split_whitespace();
        let key = words.nth(1).unwrap().to_string();
        let url = words.last().unwrap().to_string();
        Self { child, url, key }
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    async fn add(&self, request: &AddCheckpoint) -> (u16, String) {
        let res = reqwest::Client::new()
            .post(format!("{}/add-checkpoint", self.url))
            .body(request.to_body())
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }
}

struct Setup {
    app: TestApp,
    witnesses: Vec<WitnessProcess>,
    signer: CheckpointSigner,
    dirs: Vec<tempfile::TempDir>,
}

async fn setup(backend: Backend) -> Option<Setup> {
    let keys_dir = tempfile::tempdir().unwrap();
    let key_file = keys_dir.path().join("log.key");
    let signer = keys::keygen(&key_file, "witnessed.test/log").unwrap();
    let log_key = signer.verifier_key().to_string();
    let mut dirs = vec![keys_dir];
    let mut witnesses = Vec::new();
    for n in 1..=2 {
        let dir = tempfile::tempdir().unwrap();
        witnesses
            .push(WitnessProcess::start(dir.path(), &format!("w{n}.test/witness"), &log_key).await);
        dirs.push(dir);
    }
    let configured: Vec<String> = witnesses
        .iter()
        .map(|w| format!("{} {}", w.url, w.key))
        .collect();
    let app = spawn_app_with(
        backend,
        Options {
            seed: true,
            configure: Box::new(move |s| {
                s.log.signing_key_file = Some(key_file);
                s.log.witnesses = configured;
                s.log.witness_quorum = Some(2);
                s.log.witness_interval_seconds = 1;
            }),
        },
    )
    .await?;
    Some(Setup {
        app,
        witnesses,
        signer,
        dirs,
    })
}

fn policy(s: &Setup) -> WitnessPolicy {
    WitnessPolicy::new(
        &s.witnesses
            .iter()
            .map(|w| w.key.clone())
            .collect::<Vec<_>>(),
        2,
    )
    .unwrap()
}

/// Waits until the witnessed checkpoint covers at least `size` entries; returns its note.
async fn witnessed_at_least(app: &TestApp, size: u64) -> String {
    for _ in 0..200 {
        let res = reqwest::get(app.url("/log/checkpoint/witnessed"))
            .await
            .unwrap();
        if res.status() == 200 {
            let note = res.text().await.unwrap();
            let (body, _) = glassbox_log::witness::split_note(&note).unwrap();
            let cp = glassbox_log::Checkpoint::parse_body(&body).unwrap();
            if cp.size >= size {
                return note;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no checkpoint of size {size} was cosigned by both witnesses");
}

async fn grow(app: &TestApp) -> u64 {
    let token = app.service_token().await;
    let before = store::current_size(&app.db).await.unwrap();
    app.create_request(&token, serde_json::json!({})).await;
    for _ in 0..200 {
        let now = store::current_size(&app.db).await.unwrap();
        if now > before {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the log did not grow");
}

async fn finish(s: Setup) {
    for w in s.witnesses {
        w.stop().await;
    }
    s.app.finish().await;
    drop(s.dirs);
}

async fn both_witnesses_cosign_and_verifiers_require_both(backend: Backend) {
    let Some(s) = setup(backend).await else {
        return;
    };
    let size = grow(&s.app).await;
    let note = witnessed_at_least(&s.app, size).await;
    let policy = policy(&s);
    let found = policy.check(&note).expect("two cosignatures");
    assert_eq!(found.len(), 2);
    // The log names its witnesses, for verifiers to pin.
    let served: serde_json::Value = reqwest::get(s.app.url("/log/witnesses"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served["quorum"], 2);
    assert_eq!(served["witnesses"].as_array().unwrap().len(), 2);
    // Without --witness the command line takes the log's own list; given keys win.
    let client = reqwest::Client::new();
    assert_eq!(
        verify::witness_policy(&client, Some(&s.app.address), &[], None)
            .await
            .unwrap(),
        policy
    );
    let one = [s.witnesses[0].key.clone()];
    let pinned = verify::witness_policy(&client, Some(&s.app.address), &one, None)
        .await
        .unwrap();
    assert_eq!((pinned.witnesses.len(), pinned.quorum), (1, 1));
    // An unreachable log is a check that cannot be made, not a log without witnesses.
    assert!(
        verify::witness_policy(&client, Some("http://127.0.0.1:9"), &[], None)
            .await
            .is_err()
    );
    // `glassbox verify inclusion` accepts the witnessed checkpoint...
    let key = s.signer.verifier_key().to_string();
    let verdict = verify::inclusion(&s.app.address, Some(&key), &policy, 0, None, None)
        .await
        .unwrap();
    assert!(matches!(verdict, Verdict::Verified(_)), "{verdict:?}");
    // ...and refuses one that only one witness cosigned: a verifier that also trusts a
    // third witness, and needs three, is not satisfied.
    let third = glassbox_log::witness::WitnessSigner::new("w3.test/witness", &[3; 32]).unwrap();
    let mut keys: Vec<String> = s.witnesses.iter().map(|w| w.key.clone()).collect();
    keys.push(third.verifier_key().to_string());
    let strict = WitnessPolicy::new(&keys, 3).unwrap();
    let verdict = verify::inclusion(&s.app.address, Some(&key), &strict, 0, None, None)
        .await
        .unwrap();
    assert!(
        matches!(&verdict, Verdict::Failed(m) if m.contains("2 of the 3")),
        "{verdict:?}"
    );
    // The owner's page proofs are at the witnessed checkpoint, with the policy.
    let proofs =
        glassbox::transparency::checkpoints::proofs_for_page(&s.app.db, &policy, &[0], None)
            .await
            .unwrap();
    assert_eq!(proofs.quorum, 2);
    assert!(policy.check(&proofs.checkpoint).is_ok());
    // Alice's export carries the cosigned checkpoint: it verifies offline with the
    // witnesses required, and a verifier that needs a witness who did not cosign refuses it.
    s.app.sign_in_as("Alice Martin").await;
    let res = s.app.get("/me/history/export.json").await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    let verdict = verify::export(&bytes, Some(&key), &policy).unwrap();
    assert!(
        matches!(&verdict, Verdict::Verified(m) if m.contains("cosigned by w1.test/witness, w2.test/witness")),
        "{verdict:?}"
    );
    let verdict = verify::export(&bytes, Some(&key), &strict).unwrap();
    assert!(
        matches!(&verdict, Verdict::Failed(m) if m.contains("not accepted")),
        "{verdict:?}"
    );
    finish(s).await;
}

async fn a_split_view_and_a_rollback_are_refused_even_after_a_restart(backend: Backend) {
    let Some(mut s) = setup(backend).await else {
        return;
    };
    grow(&s.app).await;
    let size = grow(&s.app).await;
    let note = witnessed_at_least(&s.app, size).await;
    let (body, _) = glassbox_log::witness::split_note(&note).unwrap();
    let seen = glassbox_log::Checkpoint::parse_body(&body).unwrap();
    // The operator (who holds the log's key) signs another tree of the same size.
    let forged = s.signer.sign(seen.size, &[7; 32]);
    let split = AddCheckpoint {
        old_size: seen.size,
        proof: vec![],
        checkpoint: forged.clone(),
    };
    let (status, text) = s.witnesses[0].add(&split).await;
    assert_eq!((status, text.trim()), (409, seen.size.to_string().as_str()));
    // A smaller checkpoint (a rollback): refused, and told the size the witness is at.
    let old_root = glassbox::transparency::proofs::root(&s.app.db, 1)
        .await
        .unwrap();
    let rollback = AddCheckpoint {
        old_size: 1,
        proof: vec![],
        checkpoint: s.signer.sign(1, &old_root),
    };
    let (status, text) = s.witnesses[0].add(&rollback).await;
    assert_eq!((status, text.trim()), (409, seen.size.to_string().as_str()));
    let claiming = AddCheckpoint {
        old_size: seen.size,
        ..rollback.clone()
    };
    assert_eq!(s.witnesses[0].add(&claiming).await.0, 400);
    // The witness remembers across a restart: the same refusals.
    let log_key = s.signer.verifier_key().to_string();
    let first = s.witnesses.remove(0);
    first.stop().await;
    let restarted = WitnessProcess::start(s.dirs[1].path(), "w1.test/witness", &log_key).await;
    let (status, text) = restarted.add(&split).await;
    assert_eq!((status, text.trim()), (409, seen.size.to_string().as_str()));
    assert_eq!(restarted.add(&rollback).await.0, 409);
    // The refused split view was kept as evidence.
    let evidence = std::fs::read_to_string(s.dirs[1].path().join("state/refused.log")).unwrap();
    assert!(evidence.contains(&forged), "{evidence}");
    s.witnesses.insert(0, restarted);
    // `glassbox verify consistency` flags the two checkpoints of one size (both signed by
    // the log's key) as a split view.
    let keys = [VerifierKey::parse(&log_key).unwrap()];
    let verdict = verify::consistency(
        Some(&s.app.address),
        &keys,
        &Default::default(),
        &note,
        &forged,
    )
    .await
    .unwrap();
    assert!(
        matches!(&verdict, Verdict::Failed(m) if m.contains("split view")),
        "{verdict:?}"
    );
    // With the witness policy it does not even get that far: nobody cosigned the forgery.
    let verdict = verify::consistency(Some(&s.app.address), &keys, &policy(&s), &note, &forged)
        .await
        .unwrap();
    assert!(
        matches!(&verdict, Verdict::Failed(m) if m.contains("not accepted")),
        "{verdict:?}"
    );
    finish(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_witnesses_cosign_and_verifiers_require_both_on_sqlite() {
    both_witnesses_cosign_and_verifiers_require_both(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_witnesses_cosign_and_verifiers_require_both_on_postgres() {
    both_witnesses_cosign_and_verifiers_require_both(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witnesses_refuse_a_split_view_and_a_rollback_on_sqlite() {
    a_split_view_and_a_rollback_are_refused_even_after_a_restart(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witnesses_refuse_a_split_view_and_a_rollback_on_postgres() {
    a_split_view_and_a_rollback_are_refused_even_after_a_restart(Backend::Postgres).await;
}
