//! The canonical encoding of one access event: the exact bytes hashed into a leaf.
//!
//! Layout (version 1): the tag `glassbox-access-event/v1` and a NUL byte, then each field
//! in a fixed order. A text field is its UTF-8 length as a 4-byte big-endian number then its
//! bytes; an optional text field is a 0 byte (absent) or a 1 byte and the text; the salt is
//! 16 raw bytes at the end. The random salt makes a leaf impossible to guess from the
//! (guessable) fields of an event, so the public log reveals nothing about anyone's events.

/// The version tag every encoding starts with.
pub const TAG: &[u8] = b"glassbox-access-event/v1\0";

/// Bytes of random salt in each entry.
pub const SALT_LEN: usize = 16;

/// One access event as it is hashed into the log. Texts are given exactly as the server
/// stores them: ids as lower-case hyphenated UUIDs, the time as RFC 3339 UTC whole seconds
/// (`2026-11-30T08:15:00Z`), scope and decision as their stable codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// The event id.
    pub event_id: String,
    /// When it happened.
    pub occurred_at: String,
    /// The mailbox id.
    pub mailbox_id: String,
    /// The staff member's id, if any.
    pub agent_id: Option<String>,
    /// The request (grant) id, if any.
    pub request_id: Option<String>,
    /// The scope code.
    pub scope: String,
    /// The action.
    pub action: String,
    /// The opaque resource id.
    pub resource: String,
    /// `allowed` or `denied`.
    pub decision: String,
    /// Why, in plain words.
    pub reason: String,
    /// The source network, as the mail system reported it.
    pub source_network: Option<String>,
    /// Random bytes chosen when the event was written.
    pub salt: [u8; SALT_LEN],
}

/// Bytes that are not a version-1 entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// Wrong tag (another version or not an entry at all).
    #[error("not a Glassbox access event (unknown tag)")]
    Tag,
    /// Ends in the middle of a field.
    #[error("the entry ends too early")]
    Truncated,
    /// A text that is not UTF-8.
    #[error("a text field is not UTF-8")]
    Utf8,
    /// An optional-field marker other than 0 or 1.
    #[error("a field marker is invalid")]
    Marker,
    /// Bytes after the salt.
    #[error("the entry has trailing bytes")]
    Trailing,
}

impl LogEntry {
    /// The canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(TAG);
        let text = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        let opt = |out: &mut Vec<u8>, s: &Option<String>| match s {
            None => out.push(0),
            Some(s) => {
                out.push(1);
                text(out, s);
            }
        };
        text(&mut out, &self.event_id);
        text(&mut out, &self.occurred_at);
        text(&mut out, &self.mailbox_id);
        opt(&mut out, &self.agent_id);
        opt(&mut out, &self.request_id);
        text(&mut out, &self.scope);
        text(&mut out, &self.action);
        text(&mut out, &self.resource);
        text(&mut out, &self.decision);
        text(&mut out, &self.reason);
        opt(&mut out, &self.source_network);
        out.extend_from_slice(&self.salt);
        out
    }

    /// Decodes canonical bytes; anything else is an error (so `decode(b)` succeeds only
    /// when `encode` gives back exactly `b`).
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        let mut r = Reader(bytes);
        if r.take(TAG.len()).map_err(|_| EntryError::Tag)? != TAG {
            return Err(EntryError::Tag);
        }
        let entry = LogEntry {
            event_id: r.text()?,
            occurred_at: r.text()?,
            mailbox_id: r.text()?,
            agent_id: r.opt()?,
            request_id: r.opt()?,
            scope: r.text()?,
            action: r.text()?,
            resource: r.text()?,
            decision: r.text()?,
            reason: r.text()?,
            source_network: r.opt()?,
            salt: r
                .take(SALT_LEN)?
                .try_into()
                .map_err(|_| EntryError::Truncated)?,
        };
        if !r.0.is_empty() {
            return Err(EntryError::Trailing);
        }
        Ok(entry)
    }

    /// The leaf hash of this entry.
    pub fn leaf_hash(&self) -> crate::Hash {
        crate::leaf_hash(&self.encode())
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EntryError> {
        if self.0.len() < n {
            return Err(EntryError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn text(&mut self) -> Result<String, EntryError> {
        let len: [u8; 4] = self
            .take(4)?
            .try_into()
            .map_err(|_| EntryError::Truncated)?;
        let bytes = self.take(u32::from_be_bytes(len) as usize)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| EntryError::Utf8)
    }

    fn opt(&mut self) -> Result<Option<String>, EntryError> {
        match self.take(1)?[0] {
            0 => Ok(None),
            1 => self.text().map(Some),
            _ => Err(EntryError::Marker),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> LogEntry {
        LogEntry {
            event_id: "0193a1b2-0000-7000-8000-000000000001".into(),
            occurred_at: "2026-11-30T08:15:00Z".into(),
            mailbox_id: "0193a1b2-0000-7000-8000-0000000000aa".into(),
            agent_id: Some("0193a1b2-0000-7000-8000-0000000000bb".into()),
            request_id: None,
            scope: "content".into(),
            action: "read_message".into(),
            resource: "msg-42".into(),
            decision: "allowed".into(),
            reason: "Allowed: you approved this access".into(),
            source_network: None,
            salt: [7; SALT_LEN],
        }
    }

    #[test]
    fn an_entry_decodes_to_itself() {
        let e = sample();
        assert_eq!(LogEntry::decode(&e.encode()), Ok(e));
    }

    #[test]
    fn the_salt_changes_the_leaf_hash() {
        let a = sample();
        let mut b = sample();
        b.salt[0] ^= 1;
        assert_ne!(a.leaf_hash(), b.leaf_hash());
    }

    #[test]
    fn moving_a_byte_between_fields_changes_the_encoding() {
        let mut a = sample();
        a.action = "read_messag".into();
        a.resource = "emsg-42".into();
        assert_ne!(a.encode(), sample().encode());
    }

    #[test]
    fn trailing_truncated_or_foreign_bytes_are_refused() {
        let mut bytes = sample().encode();
        bytes.push(0);
        assert_eq!(LogEntry::decode(&bytes), Err(EntryError::Trailing));
        let bytes = sample().encode();
        assert_eq!(
            LogEntry::decode(&bytes[..bytes.len() - 1]),
            Err(EntryError::Truncated)
        );
        assert_eq!(LogEntry::decode(b"hello"), Err(EntryError::Tag));
    }

    fn opt_text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(".{0,40}")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn decode_of_encode_is_the_identity(
            ids in proptest::collection::vec(".{0,40}", 3),
            agent in opt_text(), request in opt_text(), net in opt_text(),
            texts in proptest::collection::vec(".{0,60}", 5),
            salt in proptest::array::uniform16(any::<u8>()),
        ) {
            let e = LogEntry {
                event_id: ids[0].clone(), occurred_at: ids[1].clone(), mailbox_id: ids[2].clone(),
                agent_id: agent, request_id: request,
                scope: texts[0].clone(), action: texts[1].clone(), resource: texts[2].clone(),
                decision: texts[3].clone(), reason: texts[4].clone(), source_network: net, salt,
            };
            prop_assert_eq!(LogEntry::decode(&e.encode()), Ok(e));
        }

        #[test]
        fn decode_never_panics_and_accepts_only_canonical_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut input = TAG.to_vec();
            input.extend_from_slice(&bytes);
            if let Ok(e) = LogEntry::decode(&input) {
                prop_assert_eq!(e.encode(), input);
            }
        }
    }
}
