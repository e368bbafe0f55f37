//! The staff console's request list: the query its filter form and page links carry (as
//! typed, unchecked: the server's domain reads it and says what to fix), and one page of the
//! list. Pages are found by keyset (`before=` / `after=` a request), never by OFFSET.

use super::{AccessRequestStatus, StaffRequestView};
use serde::{Deserialize, Serialize};

/// How many requests one page of the staff list shows.
pub const STAFF_PAGE_SIZE: i64 = 50;

/// The list's query as the URL carries it. Empty values mean "any"; nothing here is trusted:
/// the server checks every value (and a support agent's `agent` is always themselves).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffListQuery {
    /// Only requests in this status (`pending`, `approved`, …).
    pub status: Option<String>,
    /// Only requests of this staff member (their id; security admins only).
    pub agent: Option<String>,
    /// Only requests about this mailbox (its address).
    pub mailbox: Option<String>,
    /// From this day (`YYYY-MM-DD`, UTC), inclusive.
    pub from: Option<String>,
    /// Up to this day (`YYYY-MM-DD`, UTC), inclusive.
    pub to: Option<String>,
    /// Words to find in the mailbox, the ticket or the justification text.
    pub q: Option<String>,
    /// The page after (older than) this request's position.
    pub before: Option<String>,
    /// The page before (newer than) this request's position.
    pub after: Option<String>,
}

fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl StaffListQuery {
    /// Reads the query from URL values (`get("status")`, …); blank values are left out.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let some = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        StaffListQuery {
            status: some("status"),
            agent: some("agent"),
            mailbox: some("mailbox"),
            from: some("from"),
            to: some("to"),
            q: some("q"),
            before: some("before"),
            after: some("after"),
        }
    }

    /// The filter part (no page position) as URL query parameters; empty when nothing is
    /// filtered.
    pub fn filter_query(&self) -> String {
        [
            ("status", &self.status),
            ("agent", &self.agent),
            ("mailbox", &self.mailbox),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode_component(v))))
        .collect::<Vec<_>>()
        .join("&")
    }

    /// The link to the list with this filter and a page position (`before=…`/`after=…`, or
    /// nothing for the newest page).
    pub fn link(&self, position: Option<&str>) -> String {
        let parts: Vec<String> = [Some(self.filter_query()), position.map(str::to_string)]
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            "/staff".to_string()
        } else {
            format!("/staff?{}", parts.join("&"))
        }
    }

    /// Whether anything is filtered (a page position is not a filter).
    pub fn is_filtered(&self) -> bool {
        !self.filter_query().is_empty()
    }
}

/// A field of the list's filter form (a value that cannot be used is explained beside it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffListField {
    Status,
    Agent,
    Mailbox,
    From,
    To,
    Search,
    /// A page link (`before`/`after`) that is not one Glassbox made.
    Page,
}

impl StaffListField {
    /// The form control's id (`Page`: the list's heading).
    pub fn input_id(self) -> &'static str {
        match self {
            StaffListField::Status => "sl-status",
            StaffListField::Agent => "sl-agent",
            StaffListField::Mailbox => "sl-mailbox",
            StaffListField::From => "sl-from",
            StaffListField::To => "sl-to",
            StaffListField::Search => "sl-q",
            StaffListField::Page => "requests-heading",
        }
    }

    /// The id of the message shown beside the field.
    pub fn message_id(self) -> &'static str {
        match self {
            StaffListField::Status => "sl-status-problem",
            StaffListField::Agent => "sl-agent-problem",
            StaffListField::Mailbox => "sl-mailbox-problem",
            StaffListField::From => "sl-from-problem",
            StaffListField::To => "sl-to-problem",
            StaffListField::Search => "sl-q-problem",
            StaffListField::Page => "sl-page-problem",
        }
    }
}

/// Why the list's query cannot be applied: which field, and what to do, in plain words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffListProblem {
    /// The field to fix.
    pub field: StaffListField,
    /// What to do.
    pub message: String,
}

/// A staff member the list can be narrowed to (security admins' filter).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffChoice {
    /// Their id (the `agent` value).
    pub id: String,
    /// Their name and work address.
    pub label: String,
}

/// One page of the staff console's request list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRequestList {
    /// The requests on this page, newest first.
    pub requests: Vec<StaffRequestView>,
    /// How many requests the filter selects in each status (all pages).
    pub counts: Vec<(AccessRequestStatus, i64)>,
    /// How many requests the filter selects in all.
    pub total: i64,
    /// The position (1-based, newest first) of this page's first request; 0 when empty.
    pub first: i64,
    /// The `before=…` parameter of the next (older) page, if there is one.
    pub older: Option<String>,
    /// The `after=…` parameter of the previous (newer) page, if there is one.
    pub newer: Option<String>,
    /// Why the query cannot be applied (then nothing is listed).
    pub problem: Option<StaffListProblem>,
    /// The staff members to choose from (security admins; empty for support agents).
    pub agents: Vec<StaffChoice>,
    /// Whether the list holds only the viewer's own requests (a support agent).
    pub own: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_round_trips_through_its_link_with_special_characters_encoded() {
        let q = StaffListQuery {
            q: Some("50% off & more".into()),
            status: Some("pending".into()),
            before: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(
            q.link(Some("before=1.abc")),
            "/staff?status=pending&q=50%25%20off%20%26%20more&before=1.abc"
        );
        assert_eq!(StaffListQuery::default().link(None), "/staff");
        assert!(q.is_filtered());
    }
}
