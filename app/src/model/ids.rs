//! One type per id, so that an owner id can never be passed where a request id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new random (time-ordered) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A mailbox owner (a person who signs in to see their access history).
    OwnerId
);
uuid_id!(
    /// One mailbox; an owner may have several.
    MailboxId
);
uuid_id!(
    /// A staff member: a support agent or a security admin.
    StaffId
);
uuid_id!(
    /// An access request (and, once approved, its grant).
    RequestId
);
uuid_id!(
    /// A security incident.
    IncidentId
);

/// The position of an access event in the append-only log (1-based, gap-free).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventSeq(pub i64);

impl fmt::Display for EventSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The idempotency key of one rendered form: random, sent in a hidden field, the same for
/// every submission of that form (a double-click, a resent POST), so the server acts once
/// and answers a repeat with the first result. Not a secret: it is only ever matched
/// together with the identity that submitted it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FormKey(String);

impl FormKey {
    /// A fresh random key.
    pub fn new() -> Self {
        Self(Uuid::new_v4().simple().to_string())
    }

    /// A key as a form sent it: 16 to 64 letters, digits or `-`.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = (16..=64).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        ok.then(|| Self(s.to_string()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for FormKey {
    fn default() -> Self {
        Self::new()
    }
}
