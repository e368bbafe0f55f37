//! Completeness for a mailbox (the README's construction, `glassbox-mailbox-tag/v1`): the
//! per-mailbox key and entry tags, the public part of a leaf that binds a tag and a minute
//! to a private entry, C2SP `tlog-tiles` entry bundles of public parts, and the owner's
//! check that the entries of their mailbox in the log are exactly the ones their history
//! shows. Pure; the log writer and the entry bundle endpoint are not wired to it yet.

use crate::Hash;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

type HmacSha256 = Hmac<Sha256>;

/// The first bytes of every public part.
pub const PUBLIC_PREFIX: &[u8] = b"glassbox-public/v1";
/// How long a tag is.
pub const TAG_LEN: usize = 16;
/// How long a public part is: prefix, tag, minute, entry hash.
pub const PUBLIC_LEN: usize = PUBLIC_PREFIX.len() + TAG_LEN + 8 + 32;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// A mailbox's tag key: `HMAC-SHA256(S, "glassbox-mailbox-key/v1" ‖ mailbox id)`.
pub fn mailbox_key(secret: &[u8; 32], mailbox_id: &str) -> [u8; 32] {
    hmac(secret, &[b"glassbox-mailbox-key/v1", mailbox_id.as_bytes()])
}

/// The tag of the `counter`-th entry about a mailbox:
/// `HMAC-SHA256(K_m, "glassbox-entry-tag/v1" ‖ counter as u64 BE)[0..16]`.
pub fn tag(key: &[u8; 32], counter: u64) -> [u8; TAG_LEN] {
    let full = hmac(key, &[b"glassbox-entry-tag/v1", &counter.to_be_bytes()]);
    let mut t = [0; TAG_LEN];
    t.copy_from_slice(&full[..TAG_LEN]);
    t
}

/// The public part of a leaf: what entry bundles publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicPart {
    /// The mailbox tag (random for an entry about no mailbox).
    pub tag: [u8; TAG_LEN],
    /// The entry's time, in whole minutes since the epoch.
    pub minute: u64,
    /// SHA-256 of the private (canonical) entry.
    pub entry_hash: Hash,
}

impl PublicPart {
    /// The public part of the private `entry` bytes.
    pub fn of(tag: [u8; TAG_LEN], minute: u64, entry: &[u8]) -> Self {
        Self {
            tag,
            minute,
            entry_hash: Sha256::digest(entry).into(),
        }
    }

    /// Its bytes: `"glassbox-public/v1" ‖ tag ‖ minute (u64 BE) ‖ entry hash`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PUBLIC_LEN);
        out.extend_from_slice(PUBLIC_PREFIX);
        out.extend_from_slice(&self.tag);
        out.extend_from_slice(&self.minute.to_be_bytes());
        out.extend_from_slice(&self.entry_hash);
        out
    }

    /// Reads [`Self::encode`]'s bytes back.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let rest = bytes.strip_prefix(PUBLIC_PREFIX)?;
        if rest.len() != TAG_LEN + 8 + 32 {
            return None;
        }
        let (tag, rest) = rest.split_at(TAG_LEN);
        let (minute, hash) = rest.split_at(8);
        Some(Self {
            tag: tag.try_into().ok()?,
            minute: u64::from_be_bytes(minute.try_into().ok()?),
            entry_hash: hash.try_into().ok()?,
        })
    }

    /// The leaf hash: `SHA-256(0x00 ‖ public part)`.
    pub fn leaf_hash(&self) -> Hash {
        crate::leaf_hash(&self.encode())
    }
}

/// A C2SP `tlog-tiles` entry bundle: each entry as a big-endian u16 length and its bytes.
pub fn encode_bundle(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&(e.len() as u16).to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}

/// The entries of a bundle; `None` when it is truncated.
pub fn decode_bundle(mut bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes.split_at_checked(2)?;
        let len = u16::from_be_bytes([len[0], len[1]]) as usize;
        let (entry, rest) = rest.split_at_checked(len)?;
        out.push(entry.to_vec());
        bytes = rest;
    }
    Some(out)
}

/// What the owner's history shows of one entry in the period: its log index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shown {
    /// Where the history says it is in the log.
    pub index: u64,
}

/// A disagreement between the log and the owner's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// The log holds an entry about the mailbox, in the period, that the history omits.
    Hidden {
        /// Its log index.
        index: u64,
    },
    /// The history shows an entry the log does not tag as the mailbox's.
    NotTagged {
        /// The index the history gives.
        index: u64,
    },
    /// A counter is missing between two found ones: an entry of the mailbox is not where
    /// the scan looked, or was never logged.
    Gap {
        /// The missing counter.
        counter: u64,
    },
}

/// The result of the owner's check of one period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletenessReport {
    /// The mailbox's entries found in the period: index → counter.
    pub found: BTreeMap<u64, u64>,
    /// Every disagreement; empty: the history is complete for the period.
    pub mismatches: Vec<Mismatch>,
}

/// Finds every entry of the mailbox with `key` among `public` (index → public part, every
/// entry the scan read), keeps those whose minute is in `from_minute..to_minute`, and
/// compares them with `shown` (the history's entries of the same period). Tags are
/// computed for counters until `lookahead` consecutive ones are missing.
pub fn check_period(
    key: &[u8; 32],
    public: &BTreeMap<u64, PublicPart>,
    from_minute: u64,
    to_minute: u64,
    shown: &[Shown],
    lookahead: u64,
) -> CompletenessReport {
    let by_tag: HashMap<[u8; TAG_LEN], u64> = public.iter().map(|(i, p)| (p.tag, *i)).collect();
    let mut all = BTreeMap::new();
    let (mut counter, mut misses) = (0u64, 0u64);
    while misses < lookahead.max(1) {
        match by_tag.get(&tag(key, counter)) {
            Some(index) => {
                all.insert(counter, *index);
                misses = 0;
            }
            None => misses += 1,
        }
        counter += 1;
    }
    let mut mismatches = Vec::new();
    if let Some((&last, _)) = all.iter().next_back() {
        for c in 0..last {
            if !all.contains_key(&c) {
                mismatches.push(Mismatch::Gap { counter: c });
            }
        }
    }
    let found: BTreeMap<u64, u64> = all
        .iter()
        .filter(|(_, i)| {
            public
                .get(i)
                .is_some_and(|p| (from_minute..to_minute).contains(&p.minute))
        })
        .map(|(c, i)| (*i, *c))
        .collect();
    for s in shown {
        if !found.contains_key(&s.index) {
            mismatches.push(Mismatch::NotTagged { index: s.index });
        }
    }
    for index in found.keys() {
        if !shown.iter().any(|s| s.index == *index) {
            mismatches.push(Mismatch::Hidden { index: *index });
        }
    }
    CompletenessReport { found, mismatches }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: [u8; 32] = [9; 32];

    /// A log of `n` entries: every third about Alice's mailbox, the rest about Bob's, one
    /// a minute.
    fn log(n: u64) -> (BTreeMap<u64, PublicPart>, Vec<u64>) {
        let (alice, bob) = (mailbox_key(&SECRET, "alice"), mailbox_key(&SECRET, "bob"));
        let (mut a, mut b) = (0, 0);
        let mut public = BTreeMap::new();
        let mut alices = Vec::new();
        for i in 0..n {
            let t = if i % 3 == 0 {
                a += 1;
                alices.push(i);
                tag(&alice, a - 1)
            } else {
                b += 1;
                tag(&bob, b - 1)
            };
            public.insert(i, PublicPart::of(t, 1_000 + i, &i.to_be_bytes()));
        }
        (public, alices)
    }

    fn shown(indexes: &[u64]) -> Vec<Shown> {
        indexes.iter().map(|&index| Shown { index }).collect()
    }

    #[test]
    fn a_complete_history_matches_every_entry_the_log_tags_as_the_mailboxs() {
        let (public, alices) = log(300);
        let key = mailbox_key(&SECRET, "alice");
        let report = check_period(&key, &public, 0, u64::MAX, &shown(&alices), 64);
        assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
        assert_eq!(report.found.len(), 100);
    }

    #[test]
    fn an_entry_hidden_from_the_history_is_named_by_its_index() {
        let (public, mut alices) = log(300);
        let hidden = alices.remove(17);
        let key = mailbox_key(&SECRET, "alice");
        let report = check_period(&key, &public, 0, u64::MAX, &shown(&alices), 64);
        assert_eq!(report.mismatches, vec![Mismatch::Hidden { index: hidden }]);
        // One the history shows that is not the mailbox's, and a period bound.
        let mut extra = alices.clone();
        extra.push(hidden);
        extra.push(1);
        let report = check_period(&key, &public, 0, u64::MAX, &shown(&extra), 64);
        assert_eq!(report.mismatches, vec![Mismatch::NotTagged { index: 1 }]);
        let march: Vec<u64> = alices.iter().copied().filter(|i| *i < 150).collect();
        let report = check_period(&key, &public, 0, 1_150, &shown(&march), 64);
        assert_eq!(report.mismatches, vec![Mismatch::Hidden { index: hidden }]);
    }

    #[test]
    fn an_entry_removed_from_the_log_scan_shows_as_a_gap() {
        let (mut public, alices) = log(30);
        public.remove(&alices[3]);
        let key = mailbox_key(&SECRET, "alice");
        let report = check_period(&key, &public, 0, u64::MAX, &shown(&alices), 8);
        assert!(report.mismatches.contains(&Mismatch::Gap { counter: 3 }));
        assert!(report
            .mismatches
            .contains(&Mismatch::NotTagged { index: alices[3] }));
    }

    #[test]
    fn another_owners_key_finds_nothing_of_the_mailbox_and_tags_look_random() {
        let (public, _) = log(3000);
        let carol = mailbox_key(&SECRET, "carol");
        let report = check_period(&carol, &public, 0, u64::MAX, &[], 64);
        assert!(report.found.is_empty() && report.mismatches.is_empty());
        // Without the key, Alice's tags are indistinguishable from Bob's: every bit of the
        // tags is set about half the time in both (a chi-square-like bound over 1000 tags
        // of each, far looser than a real difference would be).
        let ones = |key: &[u8; 32]| -> Vec<u32> {
            let mut counts = vec![0u32; TAG_LEN * 8];
            for c in 0..1000 {
                let t = tag(key, c);
                for (bit, count) in counts.iter_mut().enumerate() {
                    *count += u32::from((t[bit / 8] >> (bit % 8)) & 1);
                }
            }
            counts
        };
        for key in [mailbox_key(&SECRET, "alice"), mailbox_key(&SECRET, "bob")] {
            let counts = ones(&key);
            let chi: f64 = counts
                .iter()
                .map(|&k| {
                    let d = f64::from(k) - 500.0;
                    2.0 * d * d / 500.0
                })
                .sum();
            // 128 degrees of freedom: mean 128, sd 16; 230 is beyond six sd.
            assert!(chi < 230.0, "chi-square {chi}");
        }
        // And no tag of one mailbox is ever another's.
        let alice: std::collections::HashSet<_> = (0..1000)
            .map(|c| tag(&mailbox_key(&SECRET, "alice"), c))
            .collect();
        assert!((0..1000).all(|c| !alice.contains(&tag(&mailbox_key(&SECRET, "bob"), c))));
    }

    #[test]
    fn a_public_part_and_a_bundle_read_back_and_the_leaf_binds_the_tag() {
        let p = PublicPart::of([1; TAG_LEN], 29_000_000, b"entry");
        assert_eq!(p.encode().len(), PUBLIC_LEN);
        assert_eq!(PublicPart::decode(&p.encode()), Some(p));
        let other = PublicPart {
            tag: [2; TAG_LEN],
            ..p
        };
        assert_ne!(p.leaf_hash(), other.leaf_hash());
        let bundle = encode_bundle(&[p.encode(), other.encode()]);
        assert_eq!(
            decode_bundle(&bundle),
            Some(vec![p.encode(), other.encode()])
        );
        assert_eq!(decode_bundle(&bundle[..bundle.len() - 1]), None);
        assert_eq!(PublicPart::decode(b"glassbox-public/v1short"), None);
    }
}
