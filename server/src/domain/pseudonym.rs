//! Owners see staff by a stable pseudonym plus role, never by name. The pseudonym is
//! derived from the staff id with a keyed hash, so it is stable, unique enough to tell
//! agents apart, and reveals nothing about the person.

use sha2::{Digest, Sha256};

const WORDS: &[&str] = &[
    "Alder", "Birch", "Cedar", "Dune", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
    "Kestrel", "Lagoon", "Maple", "Nimbus", "Onyx", "Pebble", "Quartz", "Raven", "Sable", "Tundra",
    "Umber", "Violet", "Willow", "Yarrow", "Zephyr", "Aspen", "Basalt", "Coral", "Delta", "Egret",
    "Falcon", "Glacier",
];

/// The pseudonym for a staff member: "Agent Kestrel-4821".
pub fn for_staff(secret_key: &[u8], staff_id: &uuid::Uuid) -> String {
    let mut h = Sha256::new();
    h.update(b"glassbox-pseudonym-v1\0");
    h.update(secret_key);
    h.update(staff_id.as_bytes());
    let d = h.finalize();
    let word = WORDS[usize::from(d[0]) % WORDS.len()];
    let number = u16::from_be_bytes([d[1], d[2]]) % 10_000;
    format!("Agent {word}-{number:04}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pseudonym_is_stable_for_the_same_staff_member() {
        let id = uuid::Uuid::from_u128(42);
        assert_eq!(for_staff(b"k", &id), for_staff(b"k", &id));
        assert!(for_staff(b"k", &id).starts_with("Agent "));
    }

    #[test]
    fn different_staff_members_get_different_pseudonyms() {
        let a = for_staff(b"k", &uuid::Uuid::from_u128(1));
        let b = for_staff(b"k", &uuid::Uuid::from_u128(2));
        assert_ne!(a, b);
    }

    #[test]
    fn the_pseudonym_depends_on_the_installation_secret() {
        let id = uuid::Uuid::from_u128(7);
        assert_ne!(for_staff(b"one", &id), for_staff(b"two", &id));
    }
}
