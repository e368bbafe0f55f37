//! The staff console's list of access requests: its filter, its keyset cursor and one page
//! of it. Everything here round-trips through the URL's query string, so the list pages and
//! filters with a plain GET form and plain links, with or without JavaScript.

use super::views::{encode_component, parse_day, StaffRequestView};
use super::{AccessRequestStatus, RequestId, StaffId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Longest search text and mailbox address the filter keeps.
pub const MAX_FILTER_TEXT: usize = 200;

/// Which requests the list shows. Every field narrows; none set means all in view (a
/// support agent's own, or everyone's for a security admin).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestListFilter {
    /// Only requests in this state, as shown (a pending request past its deadline counts as
    /// expired, a grant past its end as ended).
    pub status: Option<AccessRequestStatus>,
    /// Only the requests of this staff member.
    pub agent: Option<StaffId>,
    /// Only requests for this mailbox address (exact, any case).
    pub mailbox: Option<String>,
    /// Submitted on or after this day (`YYYY-MM-DD`, UTC).
    pub from: Option<String>,
    /// Submitted on or before this day (`YYYY-MM-DD`, UTC).
    pub to: Option<String>,
    /// Words found in the mailbox, the agent's name, pseudonym or handle, the ticket or the
    /// reason given (any case).
    pub q: Option<String>,
}

impl RequestListFilter {
    /// Reads a filter from query values; empty values mean "any". On a value that cannot be
    /// used, answers with what could be read and what to fix, in plain words.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Result<Self, (Self, &'static str)> {
        let some = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut problem: Option<&'static str> = None;
        let status = some("status").and_then(|v| {
            v.parse::<AccessRequestStatus>()
                .map_err(|_| problem.get_or_insert("Choose a status from the list."))
                .ok()
        });
        let agent = some("agent").and_then(|v| {
            v.parse::<StaffId>()
                .map_err(|_| problem.get_or_insert("Choose a staff member from the list."))
                .ok()
        });
        let mut text = |k: &str| {
            some(k).and_then(|v| {
                if v.chars().count() > MAX_FILTER_TEXT {
                    problem.get_or_insert("Search with fewer than 200 characters.");
                    None
                } else {
                    Some(v)
                }
            })
        };
        let (mailbox, q) = (text("mailbox"), text("q"));
        let mut day = |k: &str| {
            some(k).and_then(|v| match parse_day(&v) {
                Some(_) => Some(v),
                None => {
                    problem.get_or_insert("Write the dates as year-month-day, like 2026-11-29.");
                    None
                }
            })
        };
        let (from, to) = (day("from"), day("to"));
        if let (Some(f), Some(t)) = (
            from.as_deref().and_then(parse_day),
            to.as_deref().and_then(parse_day),
        ) {
            if f > t {
                problem.get_or_insert(
                    "The end date is before the start date: choose an end date on or after it.",
                );
            }
        }
        let filter = RequestListFilter {
            status,
            agent,
            mailbox,
            from,
            to,
            q,
        };
        match problem {
            None => Ok(filter),
            Some(message) => Err((filter, message)),
        }
    }

    /// The filter as URL query parameters (empty when nothing is filtered).
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.status {
            parts.push(format!("status={}", s.as_str()));
        }
        if let Some(a) = self.agent {
            parts.push(format!("agent={a}"));
        }
        for (k, v) in [
            ("mailbox", &self.mailbox),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={}", encode_component(v)));
            }
        }
        parts.join("&")
    }

    /// Whether anything is filtered.
    pub fn is_empty(&self) -> bool {
        *self == RequestListFilter::default()
    }
}

/// A place in the list (newest first by submission time, then id): the requests after it
/// (`Before`: older) or before it (`After`: newer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestListCursor {
    /// Requests submitted before this one.
    Before(RequestKey),
    /// Requests submitted after this one.
    After(RequestKey),
}

/// Where a request sits in the list: its submission time (whole seconds) and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestKey {
    /// Submitted at, in seconds since 1970 (UTC).
    pub created_at: i64,
    /// Its id (orders requests submitted in the same second).
    pub id: RequestId,
}

impl RequestKey {
    /// The key of a request submitted at `created_at`.
    pub fn of(created_at: OffsetDateTime, id: RequestId) -> Self {
        Self {
            created_at: created_at.unix_timestamp(),
            id,
        }
    }

    fn to_param(self) -> String {
        format!("{}_{}", self.created_at, self.id)
    }

    fn from_param(v: &str) -> Option<Self> {
        let (t, id) = v.split_once('_')?;
        Some(Self {
            created_at: t.parse().ok().filter(|t: &i64| *t >= 0)?,
            id: RequestId(id.parse::<Uuid>().ok()?),
        })
    }
}

impl RequestListCursor {
    /// The cursor as URL query parameters (`before=…` or `after=…`).
    pub fn to_query(self) -> String {
        match self {
            RequestListCursor::Before(k) => format!("before={}", k.to_param()),
            RequestListCursor::After(k) => format!("after={}", k.to_param()),
        }
    }

    /// Reads a cursor back from the `before` / `after` query values; `None` means the
    /// newest page.
    pub fn from_query(
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<Option<Self>, &'static str> {
        let bad = "That page link is not valid. Start again from the newest requests.";
        match (
            before.filter(|v| !v.is_empty()),
            after.filter(|v| !v.is_empty()),
        ) {
            (None, None) => Ok(None),
            (Some(b), None) => RequestKey::from_param(b)
                .map(|k| Some(RequestListCursor::Before(k)))
                .ok_or(bad),
            (None, Some(a)) => RequestKey::from_param(a)
                .map(|k| Some(RequestListCursor::After(k)))
                .ok_or(bad),
            (Some(_), Some(_)) => Err("A page link may go forward or back, not both."),
        }
    }
}

/// One page of the staff console's request list, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestListPage {
    /// The requests on this page.
    pub requests: Vec<StaffRequestView>,
    /// The link to older requests, if there are any.
    pub older: Option<RequestListCursor>,
    /// The link to newer requests, if there are any.
    pub newer: Option<RequestListCursor>,
    /// Whether this is the newest page (no cursor).
    pub at_newest: bool,
    /// How many requests match the filter in all (every page).
    pub total: i64,
    /// How many matching requests are in each state (shown state; they add up to `total`).
    pub counts: Vec<(AccessRequestStatus, i64)>,
    /// The staff members the agent filter offers, by name (security admins only; empty for
    /// a support agent, who sees only their own requests).
    pub agents: Vec<(StaffId, String)>,
    /// How many requests one page holds.
    pub page_size: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_survives_the_query_string() {
        let f = RequestListFilter {
            status: Some(AccessRequestStatus::Pending),
            agent: Some(StaffId(Uuid::nil())),
            mailbox: Some("a+b@example.org".into()),
            from: Some("2026-11-01".into()),
            to: Some("2026-11-30".into()),
            q: Some("T-1 & more".into()),
        };
        let q = f.to_query();
        let pairs: Vec<(String, String)> = q
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_string(), urlencoding_decode(v))
            })
            .collect();
        let back = RequestListFilter::from_query(|k| {
            pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        });
        assert_eq!(back, Ok(f));
    }

    fn urlencoding_decode(v: &str) -> String {
        let bytes = v.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_range_that_ends_before_it_starts_is_refused_with_what_to_fix() {
        let r = RequestListFilter::from_query(|k| match k {
            "from" => Some("2026-11-30".into()),
            "to" => Some("2026-11-01".into()),
            _ => None,
        });
        assert!(matches!(r, Err((_, m)) if m.contains("end date")));
    }

    #[test]
    fn a_cursor_survives_the_query_string() {
        let k = RequestKey {
            created_at: 1_790_000_000,
            id: RequestId(Uuid::now_v7()),
        };
        for c in [RequestListCursor::Before(k), RequestListCursor::After(k)] {
            let q = c.to_query();
            let (name, v) = q.split_once('=').unwrap();
            let back = if name == "before" {
                RequestListCursor::from_query(Some(v), None)
            } else {
                RequestListCursor::from_query(None, Some(v))
            };
            assert_eq!(back, Ok(Some(c)));
        }
        assert!(RequestListCursor::from_query(Some("12"), None).is_err());
        assert_eq!(RequestListCursor::from_query(None, None), Ok(None));
    }
}
