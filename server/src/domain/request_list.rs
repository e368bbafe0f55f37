//! Which access requests a staff list shows. The page's query (status, agent, mailbox, a
//! range of days, words to find, a page position) is read once here: a value that cannot
//! be used is refused with the field and what to fix, never guessed. A support agent's
//! list is always their own requests, whatever the query names. Pure: no I/O.

use app::model::{
    parse_day, AccessRequestStatus, RequestId, StaffId, StaffListField, StaffListProblem,
    StaffListQuery, StaffRole,
};
use time::{Duration, OffsetDateTime, Time};
use uuid::Uuid;

/// The longest text search accepted.
pub const MAX_SEARCH: usize = 100;
/// The longest mailbox address accepted.
pub const MAX_MAILBOX: usize = 320;

/// The requests a list selects. Every field narrows; none set means all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only this status, as stored.
    pub status: Option<AccessRequestStatus>,
    /// Only this staff member's requests.
    pub agent: Option<StaffId>,
    /// Only this mailbox (its address, lower-cased).
    pub mailbox: Option<String>,
    /// Made at or after this instant.
    pub since: Option<OffsetDateTime>,
    /// Made before this instant (the start of the day after the chosen last day).
    pub until: Option<OffsetDateTime>,
    /// A `LIKE` pattern (lower-cased, `%`, `_` and `\` escaped with `\`, between `%`s)
    /// for the mailbox, the ticket and the justification text.
    pub search: Option<String>,
}

/// A request's place in the list: newest first, by creation time then id (so requests
/// made in the same second keep one order and none is skipped or shown twice).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListKey {
    /// When the request was made (whole seconds, as stored).
    pub created_at: OffsetDateTime,
    /// Its id, the tie-breaker.
    pub id: RequestId,
}

impl ListKey {
    /// The key as a page link carries it: `<unix seconds>.<id without dashes>`.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}",
            self.created_at.unix_timestamp(),
            self.id.0.simple()
        )
    }

    /// Reads a key from a page link.
    pub fn decode(s: &str) -> Option<Self> {
        let (secs, id) = s.trim().split_once('.')?;
        let created_at = OffsetDateTime::from_unix_timestamp(secs.parse().ok()?).ok()?;
        let id = Uuid::try_parse(id).ok()?;
        Some(ListKey {
            created_at,
            id: RequestId(id),
        })
    }
}

/// Which page of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    /// The newest requests.
    Newest,
    /// Requests older than this one.
    Before(ListKey),
    /// Requests newer than this one.
    After(ListKey),
}

/// A list query that can be run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// What it selects.
    pub filter: ListFilter,
    /// Which page.
    pub position: Position,
}

fn problem(field: StaffListField, message: &str) -> StaffListProblem {
    StaffListProblem {
        field,
        message: message.to_string(),
    }
}

/// `s` as a `LIKE` pattern matching it anywhere, with `%`, `_` and the escape character
/// itself taken literally (`ESCAPE '\'`).
pub fn like_pattern(s: &str) -> String {
    let mut p = String::from("%");
    for c in s.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn start_of(day: time::Date) -> OffsetDateTime {
    day.with_time(Time::MIDNIGHT).assume_utc()
}

/// Reads the list query of `viewer` (with `role`). A support agent sees only their own
/// requests: the `agent` value is ignored for them. The first value that cannot be used is
/// the answer, naming its field.
pub fn read(
    query: &StaffListQuery,
    viewer: StaffId,
    role: StaffRole,
) -> Result<ListQuery, StaffListProblem> {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let status = match text(&query.status) {
        None => None,
        Some(s) => Some(
            s.parse::<AccessRequestStatus>()
                .map_err(|_| problem(StaffListField::Status, "Choose a status from the list."))?,
        ),
    };
    let agent = match role {
        StaffRole::Support => Some(viewer),
        StaffRole::SecurityAdmin => match text(&query.agent) {
            None => None,
            Some(a) => Some(StaffId(Uuid::try_parse(&a).map_err(|_| {
                problem(
                    StaffListField::Agent,
                    "Choose a staff member from the list.",
                )
            })?)),
        },
    };
    let mailbox = match text(&query.mailbox) {
        None => None,
        Some(m) if m.chars().count() > MAX_MAILBOX || m.chars().any(char::is_control) => {
            return Err(problem(
                StaffListField::Mailbox,
                "Write the mailbox's whole address, like alice@example.org.",
            ))
        }
        Some(m) => Some(m.to_lowercase()),
    };
    let day = |v: &Option<String>, field| match text(v) {
        None => Ok(None),
        Some(d) => parse_day(&d)
            .map(Some)
            .ok_or_else(|| problem(field, "Write the date as year-month-day, like 2026-11-29.")),
    };
    let from = day(&query.from, StaffListField::From)?;
    let to = day(&query.to, StaffListField::To)?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(problem(
                StaffListField::To,
                "The end date is before the start date: choose an end date on or after it.",
            ));
        }
    }
    let search = match text(&query.q) {
        None => None,
        Some(q) if q.chars().count() > MAX_SEARCH => {
            return Err(problem(
                StaffListField::Search,
                "Search for at most 100 characters.",
            ))
        }
        Some(q) if q.chars().any(char::is_control) => {
            return Err(problem(
                StaffListField::Search,
                "Search for words on one line, without control characters.",
            ))
        }
        Some(q) => Some(like_pattern(&q)),
    };
    let key = |v: &str| {
        ListKey::decode(v).ok_or_else(|| {
            problem(
                StaffListField::Page,
                "That page link is not valid. Start again from the newest requests.",
            )
        })
    };
    let position = match (text(&query.before), text(&query.after)) {
        (None, None) => Position::Newest,
        (Some(b), None) => Position::Before(key(&b)?),
        (None, Some(a)) => Position::After(key(&a)?),
        (Some(_), Some(_)) => {
            return Err(problem(
                StaffListField::Page,
                "A page link may go to older or newer requests, not both.",
            ))
        }
    };
    Ok(ListQuery {
        filter: ListFilter {
            status,
            agent,
            mailbox,
            since: from.map(start_of),
            until: to.map(|t| start_of(t).saturating_add(Duration::days(1))),
            search,
        },
        position,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn q() -> StaffListQuery {
        StaffListQuery::default()
    }

    #[test]
    fn a_support_agent_only_ever_sees_their_own_requests() {
        let (me, other) = (StaffId::new(), StaffId::new());
        let query = StaffListQuery {
            agent: Some(other.to_string()),
            ..q()
        };
        let read = read(&query, me, StaffRole::Support).unwrap();
        assert_eq!(read.filter.agent, Some(me));
        let admin = super::read(&query, me, StaffRole::SecurityAdmin).unwrap();
        assert_eq!(admin.filter.agent, Some(other));
    }

    #[test]
    fn a_range_of_days_covers_both_days_whole_in_utc_and_must_be_in_order() {
        let query = StaffListQuery {
            from: Some("2026-11-01".into()),
            to: Some("2026-11-02".into()),
            ..q()
        };
        let f = read(&query, StaffId::new(), StaffRole::SecurityAdmin)
            .unwrap()
            .filter;
        assert_eq!(f.since, Some(datetime!(2026-11-01 00:00 UTC)));
        assert_eq!(f.until, Some(datetime!(2026-11-03 00:00 UTC)));
        let backwards = StaffListQuery {
            from: Some("2026-11-02".into()),
            to: Some("2026-11-01".into()),
            ..q()
        };
        let p = read(&backwards, StaffId::new(), StaffRole::SecurityAdmin).unwrap_err();
        assert_eq!(p.field, StaffListField::To);
        let bad = StaffListQuery {
            from: Some("yesterday".into()),
            ..q()
        };
        assert_eq!(
            read(&bad, StaffId::new(), StaffRole::SecurityAdmin)
                .unwrap_err()
                .field,
            StaffListField::From
        );
    }

    #[test]
    fn search_wildcards_are_taken_literally() {
        assert_eq!(like_pattern("50%_a\\B"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn a_page_key_round_trips_and_a_made_up_one_is_refused() {
        let key = ListKey {
            created_at: datetime!(2026-11-29 12:00 UTC),
            id: RequestId::new(),
        };
        assert_eq!(ListKey::decode(&key.encode()), Some(key));
        let query = StaffListQuery {
            before: Some("12.not-an-id".into()),
            ..q()
        };
        assert_eq!(
            read(&query, StaffId::new(), StaffRole::Support)
                .unwrap_err()
                .field,
            StaffListField::Page
        );
        let bad_status = StaffListQuery {
            status: Some("lost".into()),
            ..q()
        };
        assert_eq!(
            read(&bad_status, StaffId::new(), StaffRole::Support)
                .unwrap_err()
                .field,
            StaffListField::Status
        );
    }
}
