//! An owner's access history: filtered, keyset-paged, exportable. Every query is scoped to
//! the owner the caller names, which comes from the session, never from the URL.

use super::error::ServiceError;
use crate::db::events::{self, EventFilter, EventRecord, Keyset, Who, Whose};
use crate::db::Db;
use app::model::{
    parse_day, EventSeq, EventView, HistoryCursor, HistoryFilter, HistoryPage, OwnerId, MAIL_SYSTEM,
};
use std::collections::{HashMap, HashSet};
use time::{Duration, OffsetDateTime, Time};

/// How many events one history page shows.
pub const PAGE_SIZE: i64 = 25;
/// The most events one export holds.
pub const EXPORT_MAX: usize = 100_000;

/// The store filter for a page filter: whole UTC days, `to` inclusive.
pub fn event_filter(f: &HistoryFilter) -> Result<EventFilter, ServiceError> {
    let day = |s: &Option<String>| -> Result<Option<time::Date>, ServiceError> {
        s.as_deref()
            .map(|d| {
                parse_day(d)
                    .ok_or_else(|| ServiceError::Invalid("Dates look like 2026-11-29.".into()))
            })
            .transpose()
    };
    let since = day(&f.from)?.map(|d| d.with_time(Time::MIDNIGHT).assume_utc());
    let until = day(&f.to)?.map(|d| d.with_time(Time::MIDNIGHT).assume_utc() + Duration::days(1));
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            return Err(ServiceError::Invalid(
                "The start date is after the end date.".into(),
            ));
        }
    }
    Ok(EventFilter {
        who: f.agent.as_deref().map(|a| match a {
            MAIL_SYSTEM => Who::MailSystem,
            pseudonym => Who::Staff(pseudonym.to_string()),
        }),
        scope: f.scope,
        decision: f.decision,
        since,
        until,
    })
}

/// An event as its owner sees it, with its index in the log (without the entry the
/// browser checks it against: see [`views_for_owner`]).
pub fn event_view(e: EventRecord) -> EventView {
    EventView {
        seq: e.seq,
        occurred_at: e.occurred_at,
        mailbox: e.mailbox,
        agent_pseudonym: e.agent_pseudonym,
        agent_role: e.agent_role,
        scope: e.scope,
        action: e.action,
        resource: e.resource,
        source_network: e.source_network,
        request_id: e.request_id,
        decision: e.decision,
        reason: e.reason,
        log_index: e.log_index,
        log_entry: None,
        in_session_of: None,
        break_glass: e.break_glass,
        agent_sign_in: e.agent_sign_in,
    }
}

/// Every access decided under the owner's request `id`, newest first (at most
/// [`RequestView::ACCESSES_SHOWN`](app::model::RequestView::ACCESSES_SHOWN)), as pages show
/// them; another owner's request has none.
pub async fn under_request(
    db: &Db,
    owner: OwnerId,
    id: app::model::RequestId,
) -> Result<Vec<EventView>, ServiceError> {
    let rows =
        events::under_request_for_owner(db, owner, id, app::model::RequestView::ACCESSES_SHOWN)
            .await?;
    views_for_owner(db, owner, rows).await
}

/// The owner's events as every page shows them: each with its real index in the log and
/// the canonical entry the browser verifies against the log's proofs. One query for all.
pub async fn views_for_owner(
    db: &Db,
    owner: OwnerId,
    rows: Vec<EventRecord>,
) -> Result<Vec<EventView>, ServiceError> {
    let seqs: Vec<i64> = rows.iter().map(|e| e.seq.0).collect();
    let mut entries = crate::transparency::entries::entries_for_owner(db, owner, &seqs).await?;
    // Receipts are shown under the IMAP login they belong to.
    let logins: HashMap<i64, EventSeq> = crate::db::imap::receipt_sessions(db, owner, &seqs)
        .await?
        .into_iter()
        .map(|(seq, _, login)| (seq, EventSeq(login)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|e| {
            let logged = entries.remove(&e.seq.0);
            let mut view = event_view(e);
            if let Some((index, entry)) = logged {
                view.log_index = Some(index);
                view.log_entry = Some(entry);
            }
            view.in_session_of = logins.get(&view.seq.0).copied();
            view
        })
        .collect())
}

/// One page of the owner's history matching `filter`, newest first.
pub async fn page(
    db: &Db,
    owner: OwnerId,
    cursor: Option<HistoryCursor>,
    filter: &HistoryFilter,
) -> Result<HistoryPage, ServiceError> {
    let f = event_filter(filter)?;
    let found = keyset_page(db, owner.into(), cursor, &f).await?;
    let events = views_for_owner(db, owner, found.rows).await?;
    Ok(HistoryPage {
        events: under_their_logins(events),
        older: found.older,
        newer: found.newer,
        total: events::count_matching(db, owner, &f).await?,
        at_newest: found.at_newest,
        agents: events::agents_for_owner(db, owner).await?,
    })
}

/// One page of one staff member's accesses to any mailbox matching `filter` (its `agent`
/// is not used), newest first: a security admin's view of an agent (the caller checks the
/// role). The same keyset paging as an owner's history.
pub async fn agent_page(
    db: &Db,
    agent: app::model::StaffId,
    cursor: Option<HistoryCursor>,
    filter: &HistoryFilter,
) -> Result<HistoryPage, ServiceError> {
    let f = EventFilter {
        who: None,
        ..event_filter(filter)?
    };
    let whose = Whose::Agent(agent);
    let found = keyset_page(db, whose, cursor, &f).await?;
    Ok(HistoryPage {
        events: found.rows.into_iter().map(event_view).collect(),
        older: found.older,
        newer: found.newer,
        total: events::count_matching(db, whose, &f).await?,
        at_newest: found.at_newest,
        agents: Vec::new(),
    })
}

/// The events of one page and the cursors to the pages either side.
struct Found {
    rows: Vec<EventRecord>,
    older: Option<HistoryCursor>,
    newer: Option<HistoryCursor>,
    at_newest: bool,
}

async fn keyset_page(
    db: &Db,
    whose: Whose,
    cursor: Option<HistoryCursor>,
    f: &EventFilter,
) -> Result<Found, ServiceError> {
    let keyset = match cursor {
        None => Keyset::Newest,
        Some(HistoryCursor::Before(s)) => Keyset::Before(s),
        Some(HistoryCursor::After(s)) => Keyset::After(s),
    };
    let (rows, more) = events::page_for(db, whose, f, keyset, PAGE_SIZE).await?;
    let newest_on_page = rows.first().map(|e| e.seq);
    let oldest_on_page = rows.last().map(|e| e.seq);
    let older = match keyset {
        Keyset::After(_) => match oldest_on_page {
            Some(seq) if events::exists_beyond(db, whose, f, seq, false).await? => {
                Some(HistoryCursor::Before(seq))
            }
            _ => None,
        },
        _ => oldest_on_page.filter(|_| more).map(HistoryCursor::Before),
    };
    let newer = match keyset {
        Keyset::Newest => None,
        Keyset::Before(_) => match newest_on_page {
            Some(seq) if events::exists_beyond(db, whose, f, seq, true).await? => {
                Some(HistoryCursor::After(seq))
            }
            _ => None,
        },
        Keyset::After(_) => newest_on_page.filter(|_| more).map(HistoryCursor::After),
    };
    Ok(Found {
        rows,
        older,
        newer,
        at_newest: matches!(keyset, Keyset::Newest),
    })
}

/// The page's events (newest first) with each IMAP receipt moved directly under its
/// session's login event, oldest first, when that login is on the same page; receipts whose
/// login is on another page stay where they are (and still say which login they belong to).
pub fn under_their_logins(events: Vec<EventView>) -> Vec<EventView> {
    let on_page: HashSet<EventSeq> = events.iter().map(|e| e.seq).collect();
    let (mut filed, rest): (Vec<EventView>, Vec<EventView>) = events
        .into_iter()
        .partition(|e| e.in_session_of.is_some_and(|l| on_page.contains(&l)));
    filed.sort_by_key(|e| e.seq);
    let mut out = Vec::with_capacity(rest.len() + filed.len());
    for e in rest {
        let seq = e.seq;
        out.push(e);
        out.extend(
            filed
                .iter()
                .filter(|r| r.in_session_of == Some(seq))
                .cloned(),
        );
    }
    out
}

/// Every event of the owner's matching `filter` (up to [`EXPORT_MAX`]), newest first, read
/// a keyset page at a time.
pub async fn export(
    db: &Db,
    owner: OwnerId,
    filter: &HistoryFilter,
) -> Result<Vec<EventRecord>, ServiceError> {
    export_of(db, owner.into(), event_filter(filter)?).await
}

/// Every access of staff member `agent` matching `filter` (up to [`EXPORT_MAX`]; its `agent`
/// is not used), newest first: a security admin's download (the caller checks the role).
pub async fn export_agent(
    db: &Db,
    agent: app::model::StaffId,
    filter: &HistoryFilter,
) -> Result<Vec<EventRecord>, ServiceError> {
    let f = EventFilter {
        who: None,
        ..event_filter(filter)?
    };
    export_of(db, Whose::Agent(agent), f).await
}

async fn export_of(
    db: &Db,
    whose: Whose,
    f: EventFilter,
) -> Result<Vec<EventRecord>, ServiceError> {
    let mut all = Vec::new();
    let mut keyset = Keyset::Newest;
    loop {
        let (rows, more) = events::page_for(db, whose, &f, keyset, 1000).await?;
        let last = rows.last().map(|e| e.seq);
        all.extend(rows);
        match last {
            Some(seq) if more && all.len() < EXPORT_MAX => keyset = Keyset::Before(seq),
            _ => break,
        }
    }
    all.truncate(EXPORT_MAX);
    Ok(all)
}

/// Quotes a CSV field, and defuses spreadsheet formulas (a cell starting with `=`, `+`,
/// `-`, `@`, tab or CR is prefixed with `'`).
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Exports give every time in UTC, RFC 3339 (`…Z`), whatever zone the pages showed it in.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The events as CSV, header first. `log_index` is the event's index in the verifiable log
/// (what `glassbox verify` and the pages show), empty while it is not in the log yet.
pub fn to_csv(events: &[EventRecord]) -> String {
    let mut out = String::from(
        "log_index,time,mailbox,agent,role,scope,action,resource,decision,reason,break_glass\r\n",
    );
    for e in events {
        let row = [
            e.log_index.map(|i| i.to_string()).unwrap_or_default(),
            rfc3339(e.occurred_at),
            e.mailbox.clone(),
            e.agent_pseudonym
                .clone()
                .unwrap_or_else(|| "mail system".into()),
            e.agent_role
                .map(|r| r.as_str().to_string())
                .unwrap_or_default(),
            e.scope.as_str().into(),
            e.action.clone(),
            e.resource.clone(),
            e.decision.as_str().into(),
            e.reason.clone(),
            e.break_glass.to_string(),
        ];
        out += &row
            .iter()
            .map(|f| csv_field(f))
            .collect::<Vec<_>>()
            .join(",");
        out += "\r\n";
    }
    out
}

/// The events as JSON objects.
pub fn to_json(events: &[EventRecord]) -> serde_json::Value {
    serde_json::Value::Array(
        events
            .iter()
            .map(|e| {
                serde_json::json!({
                    "log_index": e.log_index,
                    "time": rfc3339(e.occurred_at),
                    "mailbox": e.mailbox,
                    "agent": e.agent_pseudonym,
                    "role": e.agent_role.map(|r| r.as_str()),
                    "scope": e.scope.as_str(),
                    "action": e.action,
                    "resource": e.resource,
                    "decision": e.decision.as_str(),
                    "reason": e.reason,
                    "break_glass": e.break_glass,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, login: Option<i64>) -> EventView {
        EventView {
            seq: EventSeq(seq),
            occurred_at: time::OffsetDateTime::UNIX_EPOCH,
            mailbox: "alice@example.org".into(),
            agent_pseudonym: None,
            agent_role: None,
            scope: app::model::Scope::Content,
            action: "imap_read_bodies".into(),
            resource: "folder:INBOX".into(),
            source_network: None,
            request_id: None,
            decision: app::model::Decision::Allowed,
            reason: String::new(),
            log_index: None,
            log_entry: None,
            in_session_of: login.map(EventSeq),
            break_glass: false,
            agent_sign_in: None,
        }
    }

    #[test]
    fn receipts_come_right_under_their_login_when_it_is_on_the_page() {
        // Newest first: 9 and 7 are receipts of login 5; 8 belongs to a login on an older page.
        let page = vec![
            event(9, Some(5)),
            event(8, Some(2)),
            event(7, Some(5)),
            event(6, None),
            event(5, None),
        ];
        let order: Vec<i64> = under_their_logins(page).iter().map(|e| e.seq.0).collect();
        assert_eq!(order, vec![8, 6, 5, 7, 9]);
    }

    #[test]
    fn exports_give_times_in_utc_even_for_a_time_read_with_another_offset() {
        let record = EventRecord {
            seq: EventSeq(1),
            occurred_at: time::macros::datetime!(2026-11-30 10:05 +13),
            mailbox: "alice@example.org".into(),
            agent_pseudonym: None,
            agent_role: None,
            scope: app::model::Scope::Metadata,
            action: "list_folders".into(),
            resource: "r".into(),
            decision: app::model::Decision::Allowed,
            reason: String::new(),
            log_index: Some(0),
            request_id: None,
            source_network: None,
            break_glass: false,
            agent_sign_in: None,
        };
        let csv = to_csv(std::slice::from_ref(&record));
        assert!(csv.contains(",2026-11-29T21:05:00Z,"), "{csv}");
        assert_eq!(rfc3339(record.occurred_at), "2026-11-29T21:05:00Z");
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn a_day_range_covers_whole_utc_days_with_the_end_day_included() {
        let f = event_filter(&HistoryFilter {
            from: Some("2026-11-01".into()),
            to: Some("2026-11-01".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(f.since, Some(time::macros::datetime!(2026-11-01 00:00 UTC)));
        assert_eq!(f.until, Some(time::macros::datetime!(2026-11-02 00:00 UTC)));
        assert!(event_filter(&HistoryFilter {
            from: Some("2026-11-02".into()),
            to: Some("2026-11-01".into()),
            ..Default::default()
        })
        .is_err());
        assert!(event_filter(&HistoryFilter {
            from: Some("yesterday".into()),
            ..Default::default()
        })
        .is_err());
    }
}
