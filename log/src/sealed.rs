//! The commitment to a notice held back under a legal hold (a *sealed notice*).
//!
//! When an emergency access under a legal order with a non-disclosure period starts, the
//! owner's notice is written in full but not sent. What enters the log at that moment is
//! a commitment to it:
//!
//! ```text
//! commitment = SHA-256( "glassbox-sealed-notice-commitment/v1" 0x00
//!                       ‖ len32(subject) ‖ subject ‖ len32(body) ‖ body
//!                       ‖ len32(release_on) ‖ release_on ‖ nonce[32] )
//! ```
//!
//! (`len32` is a 4-byte big-endian length; `release_on` the release date as `YYYY-MM-DD`.)
//! The random 32-byte nonce makes the commitment *hiding*: the notice follows a template,
//! so without the nonce anyone could try likely notices against a published commitment.
//! SHA-256's collision resistance makes it *binding*: the operator cannot later show a
//! different notice or date with the same commitment. On the release date the notice, the
//! date and the nonce are shown to the owner, and [`commitment`] recomputed over them must
//! equal the commitment in the log entry entered at the time. An extension of the release
//! date enters a new commitment (same notice, the new date), itself a log entry.

use crate::Hash;
use sha2::{Digest, Sha256};

/// The domain-separation prefix of every commitment.
pub const COMMITMENT_TAG: &[u8] = b"glassbox-sealed-notice-commitment/v1\0";

/// Bytes of the random nonce.
pub const NONCE_LEN: usize = 32;

/// The commitment to a notice (its subject and plain-text body) and its release date.
pub fn commitment(subject: &str, body: &str, release_on: &str, nonce: &[u8; NONCE_LEN]) -> Hash {
    let mut h = Sha256::new();
    h.update(COMMITMENT_TAG);
    for part in [subject, body, release_on] {
        h.update((part.len() as u32).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.update(nonce);
    h.finalize().into()
}

/// Lower-case hex of bytes (a commitment, as a [`crate::NoticeEntry`] holds it, or a nonce).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes lower- or upper-case hex of exactly `N` bytes.
pub fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.trim();
    if s.len() != 2 * N || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Whether a released notice matches a commitment made earlier (given as hex).
pub fn matches(
    subject: &str,
    body: &str,
    release_on: &str,
    nonce_hex: &str,
    commitment_hex: &str,
) -> bool {
    match (unhex::<NONCE_LEN>(nonce_hex), unhex::<32>(commitment_hex)) {
        (Some(nonce), Some(c)) => commitment(subject, body, release_on, &nonce) == c,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: [u8; NONCE_LEN] = [3; NONCE_LEN];

    #[test]
    fn a_released_notice_matches_its_commitment() {
        let c = commitment("Subject", "Body", "2027-03-01", &NONCE);
        assert!(matches(
            "Subject",
            "Body",
            "2027-03-01",
            &hex(&NONCE),
            &hex(&c)
        ));
    }

    #[test]
    fn any_change_to_the_notice_its_date_or_its_nonce_breaks_the_match() {
        let c = hex(&commitment("Subject", "Body", "2027-03-01", &NONCE));
        let n = hex(&NONCE);
        assert!(!matches("Subject!", "Body", "2027-03-01", &n, &c));
        assert!(!matches("Subject", "Body.", "2027-03-01", &n, &c));
        assert!(!matches("Subject", "Body", "2027-03-02", &n, &c));
        assert!(!matches(
            "Subject",
            "Body",
            "2027-03-01",
            &hex(&[4; 32]),
            &c
        ));
        assert!(!matches("Subject", "Body", "2027-03-01", "not hex", &c));
    }

    #[test]
    fn fields_cannot_be_shifted_from_one_into_another() {
        assert_ne!(
            commitment("ab", "c", "d", &NONCE),
            commitment("a", "bc", "d", &NONCE)
        );
    }

    #[test]
    fn hex_round_trips_and_refuses_the_wrong_length() {
        let h = [0xa5u8; 32];
        assert_eq!(unhex::<32>(&hex(&h)), Some(h));
        assert_eq!(unhex::<32>(&hex(&h).to_uppercase()), Some(h));
        assert_eq!(unhex::<32>("a5"), None);
        assert_eq!(unhex::<2>("zz00"), None);
    }
}
