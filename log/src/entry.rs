//! The canonical encodings of the log's entries: the exact bytes hashed into a leaf. The
//! log holds two kinds of entry, told apart by their leading tag:
//!
//! - an access event ([`LogEntry`], tag `glassbox-access-event/v1`): one `check` and its
//!   decision;
//! - a request change ([`ChangeEntry`], tag `glassbox-request-change/v1`): a step in an
//!   access request's life (requested, approved, denied, cancelled, expired, revoked,
//!   ended, shortened) and who took it;
//! - a staff change ([`StaffChangeEntry`], tag `glassbox-staff-change/v1`): a staff member
//!   added, disabled, recertified or lapsed, and who did it;
//! - a sealed notice ([`NoticeEntry`], tag `glassbox-sealed-notice/v1`): the commitment to an
//!   owner's notice held back under a legal hold (sealed, its release date extended, or
//!   released). It names no mailbox: only the commitment, the reason and the dates.
//!
//! Layout (version 1): the tag and a NUL byte, then each field in a fixed order. A text
//! field is its UTF-8 length as a 4-byte big-endian number then its bytes; an optional text
//! field is a 0 byte (absent) or a 1 byte and the text; the salt is 16 raw bytes at the end.
//! The random salt makes a leaf impossible to guess from the (guessable) fields of an
//! entry, so the public log reveals nothing about anyone's mailbox.

/// The version tag every access event's encoding starts with.
pub const TAG: &[u8] = b"glassbox-access-event/v1\0";

/// The version tag every request change's encoding starts with.
pub const CHANGE_TAG: &[u8] = b"glassbox-request-change/v1\0";

/// The version tag every staff change's encoding starts with.
pub const STAFF_TAG: &[u8] = b"glassbox-staff-change/v1\0";

/// The version tag every sealed notice's encoding starts with.
pub const NOTICE_TAG: &[u8] = b"glassbox-sealed-notice/v1\0";

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
    #[error("not a Glassbox log entry (unknown tag)")]
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
            salt: r.salt()?,
        };
        r.end()?;
        Ok(entry)
    }

    /// The leaf hash of this entry.
    pub fn leaf_hash(&self) -> crate::Hash {
        crate::leaf_hash(&self.encode())
    }
}

/// One step in an access request's life, as it is hashed into the log. Texts as in
/// [`LogEntry`]; times as RFC 3339 UTC whole seconds; `change` and `by` are stable codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeEntry {
    /// The change's own id.
    pub change_id: String,
    /// When it happened.
    pub occurred_at: String,
    /// The request it changed.
    pub request_id: String,
    /// The mailbox the request is for.
    pub mailbox_id: String,
    /// The staff member who asked.
    pub agent_id: String,
    /// What happened: `requested`, `approved`, `denied`, `cancelled`, `expired`, `revoked`,
    /// `ended` or `shortened`.
    pub change: String,
    /// Who did it: `owner`, `staff`, `system` (time ran out) or `security` (an incident).
    pub by: String,
    /// The scopes asked for, comma separated.
    pub scopes: String,
    /// When the grant ends, once there is one.
    pub grant_ends_at: Option<String>,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// Random bytes chosen when the change was written.
    pub salt: [u8; SALT_LEN],
}

impl ChangeEntry {
    /// The canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(CHANGE_TAG);
        text(&mut out, &self.change_id);
        text(&mut out, &self.occurred_at);
        text(&mut out, &self.request_id);
        text(&mut out, &self.mailbox_id);
        text(&mut out, &self.agent_id);
        text(&mut out, &self.change);
        text(&mut out, &self.by);
        text(&mut out, &self.scopes);
        opt(&mut out, &self.grant_ends_at);
        opt(&mut out, &self.reason);
        out.extend_from_slice(&self.salt);
        out
    }

    /// Decodes canonical bytes; anything else is an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        let mut r = Reader(bytes);
        if r.take(CHANGE_TAG.len()).map_err(|_| EntryError::Tag)? != CHANGE_TAG {
            return Err(EntryError::Tag);
        }
        let entry = ChangeEntry {
            change_id: r.text()?,
            occurred_at: r.text()?,
            request_id: r.text()?,
            mailbox_id: r.text()?,
            agent_id: r.text()?,
            change: r.text()?,
            by: r.text()?,
            scopes: r.text()?,
            grant_ends_at: r.opt()?,
            reason: r.opt()?,
            salt: r.salt()?,
        };
        r.end()?;
        Ok(entry)
    }

    /// The leaf hash of this entry.
    pub fn leaf_hash(&self) -> crate::Hash {
        crate::leaf_hash(&self.encode())
    }
}

/// One change to the staff roster, as it is hashed into the log: who can ask for access,
/// and who decided that. Texts as in [`LogEntry`]; `change`, `by` and `role` are stable
/// codes. A staff change is about no mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffChangeEntry {
    /// The change's own id.
    pub change_id: String,
    /// When it happened.
    pub occurred_at: String,
    /// The staff member it changed.
    pub staff_id: String,
    /// What happened: `added`, `disabled`, `recertified` or `lapsed`.
    pub change: String,
    /// Who did it: `command_line` (on the server), `security_admin` or `system` (time ran
    /// out).
    pub by: String,
    /// The security admin who did it, when one did.
    pub by_staff_id: Option<String>,
    /// The staff member's role then: `support` or `security_admin`.
    pub role: String,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// Random bytes chosen when the change was written.
    pub salt: [u8; SALT_LEN],
}

impl StaffChangeEntry {
    /// The canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(192);
        out.extend_from_slice(STAFF_TAG);
        text(&mut out, &self.change_id);
        text(&mut out, &self.occurred_at);
        text(&mut out, &self.staff_id);
        text(&mut out, &self.change);
        text(&mut out, &self.by);
        opt(&mut out, &self.by_staff_id);
        text(&mut out, &self.role);
        opt(&mut out, &self.reason);
        out.extend_from_slice(&self.salt);
        out
    }

    /// Decodes canonical bytes; anything else is an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        let mut r = Reader(bytes);
        if r.take(STAFF_TAG.len()).map_err(|_| EntryError::Tag)? != STAFF_TAG {
            return Err(EntryError::Tag);
        }
        let entry = StaffChangeEntry {
            change_id: r.text()?,
            occurred_at: r.text()?,
            staff_id: r.text()?,
            change: r.text()?,
            by: r.text()?,
            by_staff_id: r.opt()?,
            role: r.text()?,
            reason: r.opt()?,
            salt: r.salt()?,
        };
        r.end()?;
        Ok(entry)
    }

    /// The leaf hash of this entry.
    pub fn leaf_hash(&self) -> crate::Hash {
        crate::leaf_hash(&self.encode())
    }
}

/// One step of a notice held back under a legal hold, as it is hashed into the log: the
/// commitment to the notice and its release date (see [`crate::sealed`]), never the
/// notice itself, nor the mailbox. Texts as in [`LogEntry`]; `release_on` is a calendar
/// date (`2027-03-01`, UTC); `change` and `reason` are stable codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeEntry {
    /// The step's own id.
    pub change_id: String,
    /// When it happened.
    pub occurred_at: String,
    /// The sealed notice's id (the same in each of its steps).
    pub notice_id: String,
    /// What happened: `sealed`, `extended` or `released`.
    pub change: String,
    /// Why the notice is held back: the justification code (`legal_request`).
    pub reason: String,
    /// The release date the commitment covers.
    pub release_on: String,
    /// The commitment, as 64 lower-case hex digits.
    pub commitment: String,
    /// The security admin who asked for this step, when one did.
    pub by_staff_id: Option<String>,
    /// The second security admin who approved it, when one did.
    pub second_staff_id: Option<String>,
    /// Random bytes chosen when the step was written.
    pub salt: [u8; SALT_LEN],
}

impl NoticeEntry {
    /// The canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(NOTICE_TAG);
        text(&mut out, &self.change_id);
        text(&mut out, &self.occurred_at);
        text(&mut out, &self.notice_id);
        text(&mut out, &self.change);
        text(&mut out, &self.reason);
        text(&mut out, &self.release_on);
        text(&mut out, &self.commitment);
        opt(&mut out, &self.by_staff_id);
        opt(&mut out, &self.second_staff_id);
        out.extend_from_slice(&self.salt);
        out
    }

    /// Decodes canonical bytes; anything else is an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        let mut r = Reader(bytes);
        if r.take(NOTICE_TAG.len()).map_err(|_| EntryError::Tag)? != NOTICE_TAG {
            return Err(EntryError::Tag);
        }
        let entry = NoticeEntry {
            change_id: r.text()?,
            occurred_at: r.text()?,
            notice_id: r.text()?,
            change: r.text()?,
            reason: r.text()?,
            release_on: r.text()?,
            commitment: r.text()?,
            by_staff_id: r.opt()?,
            second_staff_id: r.opt()?,
            salt: r.salt()?,
        };
        r.end()?;
        Ok(entry)
    }

    /// The leaf hash of this entry.
    pub fn leaf_hash(&self) -> crate::Hash {
        crate::leaf_hash(&self.encode())
    }
}

/// Any entry of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// An access event.
    Access(LogEntry),
    /// A request change.
    Change(ChangeEntry),
    /// A staff change.
    Staff(StaffChangeEntry),
    /// A step of a sealed notice.
    Notice(NoticeEntry),
}

impl Entry {
    /// Decodes any kind by its tag; anything else is an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        if bytes.starts_with(CHANGE_TAG) {
            ChangeEntry::decode(bytes).map(Entry::Change)
        } else if bytes.starts_with(STAFF_TAG) {
            StaffChangeEntry::decode(bytes).map(Entry::Staff)
        } else if bytes.starts_with(NOTICE_TAG) {
            NoticeEntry::decode(bytes).map(Entry::Notice)
        } else {
            LogEntry::decode(bytes).map(Entry::Access)
        }
    }

    /// The canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Entry::Access(e) => e.encode(),
            Entry::Change(e) => e.encode(),
            Entry::Staff(e) => e.encode(),
            Entry::Notice(e) => e.encode(),
        }
    }

    /// The leaf hash.
    pub fn leaf_hash(&self) -> crate::Hash {
        crate::leaf_hash(&self.encode())
    }

    /// The mailbox the entry is about (a staff change and a sealed notice name none).
    pub fn mailbox_id(&self) -> Option<&str> {
        match self {
            Entry::Access(e) => Some(&e.mailbox_id),
            Entry::Change(e) => Some(&e.mailbox_id),
            Entry::Staff(_) | Entry::Notice(_) => None,
        }
    }
}

fn text(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn opt(out: &mut Vec<u8>, s: &Option<String>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            text(out, s);
        }
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

    fn salt(&mut self) -> Result<[u8; SALT_LEN], EntryError> {
        self.take(SALT_LEN)?
            .try_into()
            .map_err(|_| EntryError::Truncated)
    }

    fn end(&self) -> Result<(), EntryError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(EntryError::Trailing)
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

    fn change() -> ChangeEntry {
        ChangeEntry {
            change_id: "0193a1b2-0000-7000-8000-000000000002".into(),
            occurred_at: "2026-11-30T08:16:00Z".into(),
            request_id: "0193a1b2-0000-7000-8000-0000000000cc".into(),
            mailbox_id: "0193a1b2-0000-7000-8000-0000000000aa".into(),
            agent_id: "0193a1b2-0000-7000-8000-0000000000bb".into(),
            change: "revoked".into(),
            by: "owner".into(),
            scopes: "metadata,content".into(),
            grant_ends_at: Some("2026-11-30T10:00:00Z".into()),
            reason: None,
            salt: [9; SALT_LEN],
        }
    }

    #[test]
    fn a_change_decodes_to_itself_and_any_entry_is_told_apart_by_its_tag() {
        let c = change();
        assert_eq!(ChangeEntry::decode(&c.encode()), Ok(c.clone()));
        assert_eq!(Entry::decode(&c.encode()), Ok(Entry::Change(c.clone())));
        assert_eq!(
            Entry::decode(&sample().encode()),
            Ok(Entry::Access(sample()))
        );
        assert_eq!(Entry::Change(c.clone()).leaf_hash(), c.leaf_hash());
        assert_eq!(LogEntry::decode(&c.encode()), Err(EntryError::Tag));
        assert_eq!(
            ChangeEntry::decode(&sample().encode()),
            Err(EntryError::Tag)
        );
    }

    #[test]
    fn a_change_and_an_access_never_share_a_leaf() {
        // The tags differ, so no access event's bytes can be read as a change or back.
        assert_ne!(&TAG[..TAG.len() - 1], &CHANGE_TAG[..TAG.len() - 1]);
        let c = change();
        let mut other = c.clone();
        other.by = "system".into();
        assert_ne!(c.leaf_hash(), other.leaf_hash());
    }

    fn staff_change() -> StaffChangeEntry {
        StaffChangeEntry {
            change_id: "0193a1b2-0000-7000-8000-000000000003".into(),
            occurred_at: "2026-11-30T08:17:00Z".into(),
            staff_id: "0193a1b2-0000-7000-8000-0000000000bb".into(),
            change: "disabled".into(),
            by: "security_admin".into(),
            by_staff_id: Some("0193a1b2-0000-7000-8000-0000000000dd".into()),
            role: "support".into(),
            reason: None,
            salt: [5; SALT_LEN],
        }
    }

    #[test]
    fn a_staff_change_decodes_to_itself_and_is_never_read_as_another_kind() {
        let s = staff_change();
        assert_eq!(StaffChangeEntry::decode(&s.encode()), Ok(s.clone()));
        assert_eq!(Entry::decode(&s.encode()), Ok(Entry::Staff(s.clone())));
        assert_eq!(Entry::Staff(s.clone()).leaf_hash(), s.leaf_hash());
        assert_eq!(Entry::Staff(s.clone()).mailbox_id(), None);
        assert_eq!(LogEntry::decode(&s.encode()), Err(EntryError::Tag));
        assert_eq!(ChangeEntry::decode(&s.encode()), Err(EntryError::Tag));
        assert_eq!(
            StaffChangeEntry::decode(&change().encode()),
            Err(EntryError::Tag)
        );
        let mut other = s.clone();
        other.by_staff_id = None;
        assert_ne!(s.leaf_hash(), other.leaf_hash());
    }

    fn notice() -> NoticeEntry {
        NoticeEntry {
            change_id: "0193a1b2-0000-7000-8000-000000000009".into(),
            occurred_at: "2026-12-03T10:00:00Z".into(),
            notice_id: "0193a1b2-0000-7000-8000-0000000000dd".into(),
            change: "sealed".into(),
            reason: "legal_request".into(),
            release_on: "2027-03-01".into(),
            commitment: "ab".repeat(32),
            by_staff_id: Some("0193a1b2-0000-7000-8000-0000000000cc".into()),
            second_staff_id: Some("0193a1b2-0000-7000-8000-0000000000ce".into()),
            salt: [9; SALT_LEN],
        }
    }

    #[test]
    fn a_sealed_notice_decodes_to_itself_names_no_mailbox_and_is_never_read_as_another_kind() {
        let n = notice();
        assert_eq!(NoticeEntry::decode(&n.encode()), Ok(n.clone()));
        assert_eq!(Entry::decode(&n.encode()), Ok(Entry::Notice(n.clone())));
        assert_eq!(Entry::Notice(n.clone()).leaf_hash(), n.leaf_hash());
        assert_eq!(Entry::Notice(n.clone()).mailbox_id(), None);
        assert_eq!(LogEntry::decode(&n.encode()), Err(EntryError::Tag));
        assert_eq!(StaffChangeEntry::decode(&n.encode()), Err(EntryError::Tag));
        assert_eq!(
            NoticeEntry::decode(&staff_change().encode()),
            Err(EntryError::Tag)
        );
        let mut later = n.clone();
        later.release_on = "2027-03-02".into();
        assert_ne!(n.leaf_hash(), later.leaf_hash());
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
        fn decode_of_encode_is_the_identity_for_changes(
            texts in proptest::collection::vec(".{0,40}", 8),
            ends in opt_text(), reason in opt_text(),
            salt in proptest::array::uniform16(any::<u8>()),
        ) {
            let c = ChangeEntry {
                change_id: texts[0].clone(), occurred_at: texts[1].clone(), request_id: texts[2].clone(),
                mailbox_id: texts[3].clone(), agent_id: texts[4].clone(), change: texts[5].clone(),
                by: texts[6].clone(), scopes: texts[7].clone(), grant_ends_at: ends, reason, salt,
            };
            prop_assert_eq!(Entry::decode(&c.encode()), Ok(Entry::Change(c)));
        }

        #[test]
        fn decode_of_encode_is_the_identity_for_staff_changes(
            texts in proptest::collection::vec(".{0,40}", 6),
            by_staff in opt_text(), reason in opt_text(),
            salt in proptest::array::uniform16(any::<u8>()),
        ) {
            let s = StaffChangeEntry {
                change_id: texts[0].clone(), occurred_at: texts[1].clone(), staff_id: texts[2].clone(),
                change: texts[3].clone(), by: texts[4].clone(), by_staff_id: by_staff,
                role: texts[5].clone(), reason, salt,
            };
            prop_assert_eq!(Entry::decode(&s.encode()), Ok(Entry::Staff(s)));
        }

        #[test]
        fn decode_of_encode_is_the_identity_for_sealed_notices(
            texts in proptest::collection::vec(".{0,40}", 7),
            by_staff in opt_text(), second in opt_text(),
            salt in proptest::array::uniform16(any::<u8>()),
        ) {
            let n = NoticeEntry {
                change_id: texts[0].clone(), occurred_at: texts[1].clone(), notice_id: texts[2].clone(),
                change: texts[3].clone(), reason: texts[4].clone(), release_on: texts[5].clone(),
                commitment: texts[6].clone(), by_staff_id: by_staff, second_staff_id: second, salt,
            };
            prop_assert_eq!(Entry::decode(&n.encode()), Ok(Entry::Notice(n)));
        }

        #[test]
        fn any_decode_never_panics_and_accepts_only_canonical_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            for tag in [CHANGE_TAG, STAFF_TAG, NOTICE_TAG] {
                let mut input = tag.to_vec();
                input.extend_from_slice(&bytes);
                if let Ok(e) = Entry::decode(&input) {
                    prop_assert_eq!(e.encode(), input);
                }
            }
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
