//! The verifier agrees with independent implementations: proofs made by `tlog_tiles` (a
//! port of Go's sumdb tlog) verify here, and notes signed here verify with `signed_note`.

use glassbox_log::merkle::{verify_consistency, verify_inclusion};
use glassbox_log::{leaf_hash, CheckpointSigner, VerifierKey};
use signed_note::{Note, StandardVerifier, VerifierList};
use std::collections::HashMap;
use tlog_tiles::{prove_record, prove_tree, stored_hashes, tree_hash, Hash, HashReader};

struct Mem(HashMap<u64, Hash>);

impl HashReader for Mem {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        Ok(indexes.iter().map(|i| self.0[i]).collect())
    }
}

#[test]
fn proofs_made_by_tlog_tiles_verify_and_tampered_ones_do_not() {
    let mut store = Mem(HashMap::new());
    let mut roots = vec![glassbox_log::EMPTY_ROOT];
    for n in 0..130u64 {
        let data = format!("event {n}");
        let hashes = stored_hashes(n, data.as_bytes(), &store).unwrap();
        let start = tlog_tiles::stored_hash_index(0, n);
        for (k, h) in hashes.into_iter().enumerate() {
            store.0.insert(start + k as u64, h);
        }
        roots.push(tree_hash(n + 1, &store).unwrap().0);
    }
    for size in 1..=130u64 {
        let root = roots[size as usize];
        for index in (0..size).step_by(7) {
            let proof: Vec<[u8; 32]> = prove_record(size, index, &store)
                .unwrap()
                .iter()
                .map(|h| h.0)
                .collect();
            let leaf = leaf_hash(format!("event {index}").as_bytes());
            assert_eq!(
                verify_inclusion(index, size, &leaf, &proof, &root),
                Ok(()),
                "{index} in {size}"
            );
            assert!(verify_inclusion(index, size, &leaf_hash(b"forged"), &proof, &root).is_err());
        }
        for from in (1..=size).step_by(5) {
            let proof: Vec<[u8; 32]> = prove_tree(size, from, &store)
                .unwrap()
                .iter()
                .map(|h| h.0)
                .collect();
            assert_eq!(
                verify_consistency(from, size, &roots[from as usize], &root, &proof),
                Ok(()),
                "{from} -> {size}"
            );
            if from < size {
                assert!(
                    verify_consistency(from, size, &roots[from as usize - 1], &root, &proof)
                        .is_err()
                );
            }
        }
    }
}

#[test]
fn a_note_signed_here_verifies_with_signed_note_and_the_key_formats_agree() {
    let signer = CheckpointSigner::new("glassbox.example/log", &[5; 32]).unwrap();
    let vkey = signer.verifier_key().to_string();
    let note = signer.sign(3, &[8; 32]);
    let verifier = StandardVerifier::new(&vkey).unwrap();
    let parsed = Note::from_bytes(note.as_bytes()).unwrap();
    let (verified, _) = parsed
        .verify(&VerifierList::new(vec![Box::new(verifier)]))
        .unwrap();
    assert_eq!(verified.len(), 1);
    let cp = tlog_tiles::Checkpoint::from_bytes(parsed.text()).unwrap();
    assert_eq!(
        (cp.origin(), cp.size(), cp.hash().0),
        ("glassbox.example/log", 3, [8; 32])
    );
    assert_eq!(VerifierKey::parse(&vkey).unwrap().to_string(), vkey);
}

/// Neither crate's published version makes or checks `tlog-cosignature`s, so this checks what
/// they do share: a checkpoint carrying a witness's cosignature is still a note `signed_note`
/// parses and verifies with the log's key, the cosignature is a line it keeps as a
/// signature by another key, and that key's id is the one the note format prescribes for
/// type 0x04 (SHA-256 of name, newline, 0x04 and the public key).
#[test]
fn a_cosigned_checkpoint_is_a_note_signed_note_reads_with_the_witness_line_beside_the_log_s() {
    use glassbox_log::witness::{WitnessPolicy, WitnessSigner};
    let log = CheckpointSigner::new("glassbox.example/log", &[5; 32]).unwrap();
    let witness = WitnessSigner::new("witness.example/w1", &[6; 32]).unwrap();
    let note = log.sign(3, &[8; 32]);
    let body = log.verifier_key().open(&note).unwrap().body();
    let cosigned = format!("{note}{}", witness.cosign(&body, 1_700_000_000));
    let parsed = Note::from_bytes(cosigned.as_bytes()).unwrap();
    let verifier = StandardVerifier::new(&log.verifier_key().to_string()).unwrap();
    let (verified, others) = parsed
        .verify(&VerifierList::new(vec![Box::new(verifier)]))
        .unwrap();
    assert_eq!((verified.len(), others.len()), (1, 1));
    assert_eq!(others[0].name(), "witness.example/w1");
    let vkey = witness.verifier_key().to_string();
    let raw = glassbox_log::unb64(vkey.rsplit('+').next().unwrap()).unwrap();
    assert_eq!(raw[0], 0x04);
    assert_eq!(
        others[0].id(),
        signed_note::key_id("witness.example/w1", &raw)
    );
    assert_eq!(
        format!("{:08x}", others[0].id()),
        vkey.split('+').nth(1).unwrap()
    );
    let policy = WitnessPolicy::new(&[vkey], 1).unwrap();
    assert_eq!(policy.check(&cosigned).unwrap()[0].timestamp, 1_700_000_000);
}
