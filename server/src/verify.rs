//! `glassbox verify`: an auditor's checks of a Glassbox log, with the same verification
//! code the owner's browser runs (`glassbox-log`). Online checks talk only to the public
//! `/log` endpoints (and `verify tiles` only the checkpoint and the `/tile` hash tiles);
//! `verify database` reads a copy of the database; `verify export` reads
//! an owner's export file and nothing else.
//!
//! Exit codes: 0 verified, 1 verification failed (the log is not what it claims), 2 the
//! check could not be made (network, bad arguments).

use crate::db::Db;
use anyhow::Context as _;
use glassbox_log::witness::WitnessPolicy;
use glassbox_log::{
    hash_from_b64, Checkpoint, ConsistencyProof, Entry, InclusionProof, VerifierKey,
};
use std::process::ExitCode;

/// The result of a check that could be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Verified; what was verified.
    Verified(String),
    /// The log failed the check; why.
    Failed(String),
}

impl Verdict {
    /// Prints the verdict and gives the exit code.
    pub fn report(&self) -> ExitCode {
        match self {
            Verdict::Verified(m) => {
                println!("OK: {m}");
                ExitCode::SUCCESS
            }
            Verdict::Failed(m) => {
                println!("FAILED: {m}");
                ExitCode::from(1)
            }
        }
    }
}

fn base(url: &str) -> &str {
    url.trim_end_matches('/')
}

async fn get_text(client: &reqwest::Client, url: &str) -> anyhow::Result<String> {
    let res = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("could not reach {url}"))?;
    let status = res.status();
    let body = res
        .text()
        .await
        .with_context(|| format!("could not read {url}"))?;
    anyhow::ensure!(status.is_success(), "{url} answered {status}: {body}");
    Ok(body)
}

/// The verifier keys: the one given (pinned), or else the log's own (trust on first use):
/// `/log/key` lists every key that ever signed, one a line, the current one first. A pinned
/// key also trusts each key the log serves that a chain of key-change statements leads to
/// from it (`/log/key-changes`, each signed by the key before): after a rotation the pinned
/// key still verifies the log, and the note says which key to pin next.
pub async fn key(
    client: &reqwest::Client,
    url: &str,
    given: Option<&str>,
) -> anyhow::Result<Vec<VerifierKey>> {
    let text = match given {
        Some(k) => {
            let pinned = parse_keys(k)?;
            return Ok(follow_key_changes(client, url, pinned).await);
        }
        None => {
            let k = get_text(client, &format!("{}/log/key", base(url))).await?;
            eprintln!(
                "note: using the key the log itself serves ({}); pass --key to pin it",
                k.trim()
            );
            k
        }
    };
    parse_keys(&text)
}

/// Keys, one a line.
fn parse_keys(text: &str) -> anyhow::Result<Vec<VerifierKey>> {
    let keys = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(VerifierKey::parse)
        .collect::<Result<Vec<_>, _>>()
        .context("the verifier key is malformed")?;
    anyhow::ensure!(!keys.is_empty(), "no verifier key was given or served");
    Ok(keys)
}

/// The pinned keys and every key the log serves that the log's key-change statements lead
/// to from one of them. A log that serves no statements (or cannot be asked) leaves the
/// pinned keys as they are: a checkpoint of an unvouched key then fails as before.
async fn follow_key_changes(
    client: &reqwest::Client,
    url: &str,
    pinned: Vec<VerifierKey>,
) -> Vec<VerifierKey> {
    #[derive(serde::Deserialize)]
    struct Statements {
        statements: Vec<String>,
    }
    let served = get_text(client, &format!("{}/log/key", base(url)))
        .await
        .ok()
        .and_then(|t| parse_keys(&t).ok())
        .unwrap_or_default();
    let statements = match get_text(client, &format!("{}/log/key-changes", base(url))).await {
        Ok(body) => serde_json::from_str::<Statements>(&body)
            .map(|s| s.statements)
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let mut trusted = pinned.clone();
    for key in served {
        if trusted.contains(&key) {
            continue;
        }
        if pinned
            .iter()
            .any(|p| glassbox_log::key_change_leads_to(p, &key, &statements).is_ok())
        {
            eprintln!(
                "note: the log's key changed to {key}; the key you pinned signed the change. Pin the new key from now on."
            );
            trusted.push(key);
        }
    }
    trusted
}

/// The witnesses a check requires: those given (`--witness`, `--quorum`, a majority by
/// default), else the ones the log names at `/log/witnesses` (trust on first use, said so),
/// else none.
pub async fn witness_policy(
    client: &reqwest::Client,
    url: Option<&str>,
    given: &[String],
    quorum: Option<usize>,
) -> anyhow::Result<WitnessPolicy> {
    if !given.is_empty() {
        let quorum = quorum.unwrap_or(given.len() / 2 + 1);
        return WitnessPolicy::new(given, quorum).map_err(anyhow::Error::msg);
    }
    let Some(url) = url else {
        anyhow::ensure!(quorum.is_none(), "--quorum needs --witness keys");
        return Ok(WitnessPolicy::default());
    };
    #[derive(serde::Deserialize)]
    struct Served {
        quorum: usize,
        witnesses: Vec<String>,
    }
    let address = format!("{}/log/witnesses", base(url));
    let res = client
        .get(&address)
        .send()
        .await
        .with_context(|| format!("could not reach {address}"))?;
    // A Glassbox from before witnesses has no such page: no witnesses. Any other failure is
    // a check that could not be made, never a reason to need fewer witnesses.
    if res.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(WitnessPolicy::default());
    }
    anyhow::ensure!(
        res.status().is_success(),
        "{address} answered {}",
        res.status()
    );
    let served: Served = res
        .json()
        .await
        .context("/log/witnesses is not valid JSON")?;
    let quorum = quorum.unwrap_or(served.quorum);
    let policy = WitnessPolicy::new(&served.witnesses, quorum).map_err(anyhow::Error::msg)?;
    if !policy.is_empty() {
        eprintln!(
            "note: requiring {} of the {} witnesses the log itself names; pass --witness to pin them",
            policy.quorum,
            policy.witnesses.len()
        );
    }
    Ok(policy)
}

/// Where the checkpoint to verify against is: the newest one the witnesses cosigned when
/// the policy needs witnesses, else the latest.
pub fn checkpoint_path(policy: &WitnessPolicy) -> &'static str {
    if policy.is_empty() {
        "/log/checkpoint"
    } else {
        "/log/checkpoint/witnessed"
    }
}

/// Opens a checkpoint note with the log's keys, then applies the witness policy.
fn open_checkpoint(
    keys: &[VerifierKey],
    policy: &WitnessPolicy,
    note: &str,
    which: &str,
) -> Result<Checkpoint, Verdict> {
    let checkpoint = glassbox_log::open_with_any(keys, note)
        .map(|(c, _)| c)
        .map_err(|e| Verdict::Failed(format!("{which} does not verify: {e}")))?;
    if !policy.is_empty() {
        policy
            .check(note)
            .map_err(|e| Verdict::Failed(format!("{which} is not accepted: {e}")))?;
    }
    Ok(checkpoint)
}

/// Verifies that the event at `index` is in the log's latest signed checkpoint (the newest
/// one enough witnesses cosigned, when `policy` needs witnesses); when `entry` (base64
/// canonical entry) or `leaf_hash` is given, also that it is that event.
pub async fn inclusion(
    url: &str,
    key_text: Option<&str>,
    policy: &WitnessPolicy,
    index: u64,
    entry: Option<&str>,
    leaf_hash: Option<&str>,
) -> anyhow::Result<Verdict> {
    let client = reqwest::Client::new();
    let key = key(&client, url, key_text).await?;
    let note = get_text(
        &client,
        &format!("{}{}", base(url), checkpoint_path(policy)),
    )
    .await?;
    let checkpoint = match open_checkpoint(&key, policy, &note, "the checkpoint") {
        Ok(c) => c,
        Err(verdict) => return Ok(verdict),
    };
    if index >= checkpoint.size {
        return Ok(Verdict::Failed(format!(
            "index {index} is not in the latest checkpoint (size {}); retry in a second",
            checkpoint.size
        )));
    }
    let proof: InclusionProof = serde_json::from_str(
        &get_text(
            &client,
            &format!(
                "{}/log/proof/inclusion?index={index}&size={}",
                base(url),
                checkpoint.size
            ),
        )
        .await?,
    )
    .context("the inclusion proof is not valid JSON")?;
    if proof.index != index || proof.size != checkpoint.size {
        return Ok(Verdict::Failed(
            "the log answered a proof for another position".into(),
        ));
    }
    let Some(served_leaf) = proof.leaf() else {
        return Ok(Verdict::Failed("the proof's leaf hash is malformed".into()));
    };
    let expected_leaf = match (entry, leaf_hash) {
        (Some(e), _) => {
            let bytes = glassbox_log::unb64(e).context("--entry is not base64")?;
            Entry::decode(&bytes).context("--entry is not a Glassbox log entry")?;
            Some(glassbox_log::leaf_hash(&bytes))
        }
        (None, Some(h)) => {
            Some(hash_from_b64(h).context("--leaf-hash is not a base64 SHA-256 hash")?)
        }
        (None, None) => None,
    };
    let leaf = expected_leaf.unwrap_or(served_leaf);
    if leaf != served_leaf {
        return Ok(Verdict::Failed(format!(
            "the log holds another entry at index {index} than the one given"
        )));
    }
    Ok(match proof.verify(&leaf, &checkpoint.root) {
        Ok(()) => Verdict::Verified(format!(
            "index {index} is in {} at size {} (root {})",
            checkpoint.origin,
            checkpoint.size,
            glassbox_log::b64(&checkpoint.root)
        )),
        Err(e) => Verdict::Failed(format!("inclusion of index {index}: {e}")),
    })
}

/// Verifies that checkpoint note `new` extends checkpoint note `old` (each signed by one of
/// the keys: the log may have rotated its key between them); two different checkpoints of one size are a split view. `url` answers the
/// consistency proof when the sizes differ.
pub async fn consistency(
    url: Option<&str>,
    key: &[VerifierKey],
    policy: &WitnessPolicy,
    old_note: &str,
    new_note: &str,
) -> anyhow::Result<Verdict> {
    let old = match open_checkpoint(key, policy, old_note, "the old checkpoint") {
        Ok(c) => c,
        Err(verdict) => return Ok(verdict),
    };
    let new = match open_checkpoint(key, policy, new_note, "the new checkpoint") {
        Ok(c) => c,
        Err(verdict) => return Ok(verdict),
    };
    let (old, new) = if old.size <= new.size {
        (old, new)
    } else {
        (new, old)
    };
    if old.size == new.size || old.size == 0 {
        return Ok(consistency_verdict(
            &old,
            &new,
            &ConsistencyProof {
                from: old.size,
                to: new.size,
                hashes: vec![],
            },
        ));
    }
    let url = url.context("the sizes differ: give --url to fetch the consistency proof")?;
    let client = reqwest::Client::new();
    let proof: ConsistencyProof = serde_json::from_str(
        &get_text(
            &client,
            &format!(
                "{}/log/proof/consistency?from={}&to={}",
                base(url),
                old.size,
                new.size
            ),
        )
        .await?,
    )
    .context("the consistency proof is not valid JSON")?;
    if proof.from != old.size || proof.to != new.size {
        return Ok(Verdict::Failed(
            "the log answered a proof for other sizes".into(),
        ));
    }
    Ok(consistency_verdict(&old, &new, &proof))
}

fn consistency_verdict(old: &Checkpoint, new: &Checkpoint, proof: &ConsistencyProof) -> Verdict {
    match proof.verify(&old.root, &new.root) {
        Ok(()) => Verdict::Verified(format!(
            "the log of size {} extends the log of size {}: nothing was changed or removed",
            new.size, old.size
        )),
        Err(_) if old.size == new.size => Verdict::Failed(format!(
            "two different checkpoints of size {}: the log shows different histories to different readers (split view)",
            old.size
        )),
        Err(e) => Verdict::Failed(format!(
            "the log of size {} does not extend the log of size {}: {e}",
            new.size, old.size
        )),
    }
}

/// The export's JSON: the file itself, or the one `.json` file of a `.zip` export.
fn export_json(bytes: &[u8]) -> anyhow::Result<String> {
    if !bytes.starts_with(b"PK") {
        return String::from_utf8(bytes.to_vec()).context("the file is neither JSON nor a zip");
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .context("the file looks like a zip but cannot be read as one")?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| n.ends_with(".json"))
        .collect();
    let [name] = names.as_slice() else {
        anyhow::bail!(
            "the zip should hold exactly one .json proof file, it holds {}",
            names.len()
        );
    };
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut zip
            .by_name(name)
            .with_context(|| format!("could not open {name} in the zip"))?,
        &mut text,
    )
    .with_context(|| format!("could not read {name} in the zip"))?;
    Ok(text)
}

/// Checks an owner's export (JSON proof file or zip) offline, with `key_text` pinned when
/// given (and the file's key-change statements followed from it), else the file's own key;
/// the file's checkpoint must carry the cosignatures `witnesses` requires.
pub fn export(
    bytes: &[u8],
    key_text: Option<&str>,
    witnesses: &WitnessPolicy,
) -> anyhow::Result<Verdict> {
    use glassbox_log::export::{check_export, ExportFile, KeyTrust};
    let file = ExportFile::parse(&export_json(bytes)?)?;
    let pinned = key_text.map(parse_keys).transpose()?;
    let check = check_export(&file, pinned.as_deref());
    match &check.key {
        KeyTrust::FromFile => eprintln!(
            "note: checked against the key inside the file itself ({}); this shows the file is consistent, not that it is this log's: pass --key with the log's key (from /log/key)",
            file.log.verifier_keys.first().map(String::as_str).unwrap_or("none")
        ),
        KeyTrust::FollowedKeyChange(k) => eprintln!(
            "note: the log's key changed to {k}; the key you pinned signed the change. Pin the new key from now on."
        ),
        KeyTrust::Pinned => {}
    }
    if check.failed() {
        let findings = check.findings();
        let mut message = findings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        if findings.len() > 1 {
            message = format!("{} problems in the export:\n{message}", findings.len());
        }
        return Ok(Verdict::Failed(message));
    }
    let (verified, after, unlogged) = check.counts();
    let Ok(cp) = &check.checkpoint else {
        return Ok(Verdict::Failed("the checkpoint does not verify".into()));
    };
    let witnessed = if witnesses.is_empty() {
        String::new()
    } else {
        match witnesses.check(&file.log.checkpoint) {
            Ok(found) => format!(
                ", a checkpoint cosigned by {} ({} of {} needed)",
                found
                    .iter()
                    .map(|c| c.witness.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                witnesses.quorum,
                witnesses.witnesses.len()
            ),
            Err(e) => {
                return Ok(Verdict::Failed(format!(
                    "the export's checkpoint is not accepted: {e}"
                )))
            }
        }
    };
    let mut message = format!(
        "all {verified} logged events of the export are in the log of {} at size {} (root {}{witnessed}), exactly as the file shows them, and none was removed or added",
        cp.origin,
        cp.size,
        glassbox_log::b64(&cp.root)
    );
    if after + unlogged > 0 {
        message.push_str(&format!(
            "; {} newer events were not yet in that checkpoint and are not checked by this file (export again later)",
            after + unlogged
        ));
    }
    Ok(Verdict::Verified(message))
}

/// Audits the whole log from its hash tiles: the latest checkpoint signed by one of the
/// keys, every tile of its size fetched from `/log/tile/…` (the log's tlog-tiles prefix is
/// its origin, `<host>/log`), each upper tile checked against the
/// tiles below and the leaf hashes recomputed into the signed root
/// (`glassbox_log::tiles::verify_tiles`). A tile the server does not give is a check that
/// could not be made (`Err`), not a failure.
pub async fn tiles(
    url: &str,
    key_text: Option<&str>,
    witnesses: &WitnessPolicy,
) -> anyhow::Result<Verdict> {
    use glassbox_log::tiles::{tiles_for_size, verify_tiles};
    let client = reqwest::Client::new();
    let key = key(&client, url, key_text).await?;
    let note = get_text(
        &client,
        &format!("{}{}", base(url), checkpoint_path(witnesses)),
    )
    .await?;
    let checkpoint = match open_checkpoint(&key, witnesses, &note, "the checkpoint") {
        Ok(c) => c,
        Err(verdict) => return Ok(verdict),
    };
    let mut fetched = std::collections::HashMap::new();
    for tile in tiles_for_size(checkpoint.size) {
        let address = format!("{}/log/{}", base(url), tile.path());
        let res = client
            .get(&address)
            .send()
            .await
            .with_context(|| format!("could not reach {address}"))?;
        let status = res.status();
        let body = res
            .bytes()
            .await
            .with_context(|| format!("could not read {address}"))?;
        anyhow::ensure!(
            status.is_success(),
            "{address} answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
        fetched.insert(tile, body);
    }
    let count = fetched.len();
    Ok(
        match verify_tiles(checkpoint.size, &checkpoint.root, |t| {
            fetched.get(t).map(|b| &b[..])
        }) {
            Ok(()) => Verdict::Verified(format!(
                "all {count} tiles of {} at size {} agree with each other and hash to the signed root {}",
                checkpoint.origin,
                checkpoint.size,
                glassbox_log::b64(&checkpoint.root)
            )),
            Err(fault) => Verdict::Failed(format!(
                "the tiles are not the log the checkpoint of size {} signs: {fault}",
                checkpoint.size
            )),
        },
    )
}

/// Checks every event in the database against the latest signed checkpoint, naming the
/// first index that does not match.
pub async fn database(db: &Db, key: &[VerifierKey]) -> anyhow::Result<Verdict> {
    let mut tx = db.begin().await?;
    let result = crate::transparency::checkpoints::audit(&mut tx, key).await?;
    drop(tx);
    Ok(match result {
        Ok(c) => Verdict::Verified(format!(
            "all {} log entries (access events, request changes and staff changes) match the signed checkpoint of {}",
            c.size, c.origin
        )),
        Err(finding) => Verdict::Failed(finding.to_string()),
    })
}

/// Checks a released notice (the file `/me/notices/{id}.json` serves) against the log at
/// `url`: the notice and its nonce give the commitment of every step, each step's entry
/// says what the file says, and each entry is in the log's latest signed checkpoint. Names
/// the first step that fails. A file that is not a released notice is an error.
pub async fn notice(
    url: &str,
    key_text: Option<&str>,
    witnesses: &WitnessPolicy,
    file: &[u8],
) -> anyhow::Result<Verdict> {
    let notice: app::model::ReleasedNotice = serde_json::from_slice(file)
        .map_err(|e| anyhow::anyhow!("not a released notice file: {e}"))?;
    if !notice.steps.iter().any(|s| s.change == "sealed") {
        return Ok(Verdict::Failed("the file names no sealing step".into()));
    }
    for step in &notice.steps {
        let what = format!(
            "the {} step (release date {})",
            step.change, step.release_on
        );
        if !glassbox_log::sealed::matches(
            &notice.subject,
            &notice.body,
            &step.release_on,
            &notice.nonce,
            &step.commitment,
        ) {
            return Ok(Verdict::Failed(format!(
                "the notice does not give the commitment of {what}: it was changed"
            )));
        }
        let (Some(index), Some(entry)) = (step.log_index, step.entry.as_deref()) else {
            return Ok(Verdict::Failed(format!(
                "{what} is not in the log yet; retry later"
            )));
        };
        let decoded = glassbox_log::unb64(entry)
            .ok()
            .and_then(|b| glassbox_log::NoticeEntry::decode(&b).ok());
        let Some(decoded) = decoded else {
            return Ok(Verdict::Failed(format!(
                "the entry of {what} (index {index}) is not a sealed notice's step"
            )));
        };
        if decoded.change != step.change
            || decoded.release_on != step.release_on
            || decoded.commitment != step.commitment
        {
            return Ok(Verdict::Failed(format!(
                "the entry at index {index} is not {what} as the file shows it"
            )));
        }
        if let Verdict::Failed(why) =
            inclusion(url, key_text, witnesses, index, Some(entry), None).await?
        {
            return Ok(Verdict::Failed(format!("{what} at index {index}: {why}")));
        }
    }
    let sealed = notice
        .steps
        .iter()
        .find(|s| s.change == "sealed")
        .and_then(|s| s.log_index)
        .unwrap_or_default();
    Ok(Verdict::Verified(format!(
        "the notice matches the commitment sealed at log index {sealed} and every one of its {} steps is in the log's latest signed checkpoint",
        notice.steps.len()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use glassbox_log::CheckpointSigner;

    #[tokio::test]
    async fn two_different_checkpoints_of_one_size_are_a_split_view() {
        let signer = CheckpointSigner::new("log.example/log", &[3; 32]).unwrap();
        let key = signer.verifier_key();
        let a = signer.sign(10, &[1; 32]);
        let b = signer.sign(10, &[2; 32]);
        let verdict = consistency(
            None,
            std::slice::from_ref(&key),
            &WitnessPolicy::default(),
            &a,
            &b,
        )
        .await
        .unwrap();
        assert!(matches!(verdict, Verdict::Failed(m) if m.contains("split view")));
        assert!(matches!(
            consistency(
                None,
                std::slice::from_ref(&key),
                &WitnessPolicy::default(),
                &a,
                &a
            )
            .await
            .unwrap(),
            Verdict::Verified(_)
        ));
    }

    #[tokio::test]
    async fn a_checkpoint_not_signed_by_the_key_fails() {
        let key = CheckpointSigner::new("log.example/log", &[3; 32])
            .unwrap()
            .verifier_key();
        let forged = CheckpointSigner::new("log.example/log", &[4; 32])
            .unwrap()
            .sign(10, &[1; 32]);
        let good = CheckpointSigner::new("log.example/log", &[3; 32])
            .unwrap()
            .sign(10, &[1; 32]);
        assert!(matches!(
            consistency(
                None,
                std::slice::from_ref(&key),
                &WitnessPolicy::default(),
                &good,
                &forged
            )
            .await
            .unwrap(),
            Verdict::Failed(_)
        ));
    }
}
