//! The staff console's list of access requests: filtered, searched and keyset-paged (newest
//! first by `(created_at, id)`), never with OFFSET, so the 1 000th page costs what the first
//! does. The status a filter matches and the counts group by are the status as shown — a
//! pending request past its deadline is expired, a grant past its end is ended — so the
//! counts add up to what the list holds even before the sweeper has caught up.

use super::requests::{records, RequestDbRow, RequestRecord, SELECT};
use super::{on_pool, ts, CorruptRow, Db};
use app::model::{AccessRequestStatus, RequestId, StaffId};
use time::OffsetDateTime;
use uuid::Uuid;

/// Which requests to read. Every field narrows.
#[derive(Clone, Debug, Default)]
pub struct RequestQuery {
    /// Only one agent's requests: what a support agent is limited to. `None`: everyone's.
    pub in_view_of: Option<StaffId>,
    /// Only this shown status.
    pub status: Option<AccessRequestStatus>,
    /// Only this staff member's requests (the filter; ANDed with `in_view_of`).
    pub agent: Option<StaffId>,
    /// Only this mailbox address (any ASCII case).
    pub mailbox: Option<String>,
    /// Submitted at or after.
    pub since: Option<OffsetDateTime>,
    /// Submitted before.
    pub until: Option<OffsetDateTime>,
    /// Text found (any ASCII case) in the mailbox, the agent's name, pseudonym or handle,
    /// the ticket or the reason given.
    pub search: Option<String>,
}

/// A page's edge: its submission time and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListKey {
    /// When the request was submitted (whole seconds, UTC).
    pub created_at: OffsetDateTime,
    /// The request.
    pub id: RequestId,
}

/// Which way a page goes from its cursor.
#[derive(Clone, Copy, Debug)]
pub enum ListKeyset {
    /// The newest requests.
    Newest,
    /// Requests older than this one, newest first.
    Before(ListKey),
    /// Requests newer than this one (returned newest first too).
    After(ListKey),
}

enum Param {
    Uuid(Uuid),
    Text(String),
    Time(OffsetDateTime),
    Int(i64),
}

macro_rules! bind_all {
    ($query:expr, $params:expr) => {{
        let mut q = $query;
        for p in $params {
            q = match p {
                Param::Uuid(v) => q.bind(*v),
                Param::Text(v) => q.bind(v.clone()),
                Param::Time(v) => q.bind(*v),
                Param::Int(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// The status as shown at `$now`, as SQL (see `domain::access_request::effective_status`,
/// which this mirrors and which the store test holds it to).
fn shown_status(params: &mut Vec<Param>, now: OffsetDateTime) -> String {
    use AccessRequestStatus as S;
    let mut p = |v: Param| {
        params.push(v);
        format!("${}", params.len())
    };
    let now1 = p(Param::Time(ts(now)));
    let pending = p(Param::Text(S::Pending.as_str().into()));
    let expired = p(Param::Text(S::Expired.as_str().into()));
    let approved = p(Param::Text(S::Approved.as_str().into()));
    let now2 = p(Param::Time(ts(now)));
    let ended = p(Param::Text(S::Ended.as_str().into()));
    format!(
        "(CASE WHEN r.status = {pending} AND r.expires_at <= {now1} THEN {expired} \
         WHEN r.status = {approved} AND (r.grant_ends_at IS NULL OR r.grant_ends_at <= {now2}) THEN {ended} \
         ELSE r.status END)"
    )
}

/// `LIKE` pattern matching `s` anywhere, with `\` escaping the wildcards in `s`.
fn contains_pattern(s: &str) -> String {
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

/// The WHERE clause for `q` (always starts with ` WHERE 1 = 1`), with its parameters.
fn where_clause(q: &RequestQuery, now: OffsetDateTime, params: &mut Vec<Param>) -> String {
    let mut sql = String::from(" WHERE 1 = 1");
    let push = |params: &mut Vec<Param>, v: Param| {
        params.push(v);
        format!("${}", params.len())
    };
    if let Some(a) = q.in_view_of {
        sql += &format!(" AND r.agent_id = {}", push(params, Param::Uuid(a.0)));
    }
    if let Some(a) = q.agent {
        sql += &format!(" AND r.agent_id = {}", push(params, Param::Uuid(a.0)));
    }
    if let Some(status) = q.status {
        let shown = shown_status(params, now);
        sql += &format!(
            " AND {shown} = {}",
            push(params, Param::Text(status.as_str().into()))
        );
    }
    if let Some(m) = &q.mailbox {
        sql += &format!(
            " AND LOWER(m.address) = {}",
            push(params, Param::Text(m.to_lowercase()))
        );
    }
    if let Some(t) = q.since {
        sql += &format!(" AND r.created_at >= {}", push(params, Param::Time(ts(t))));
    }
    if let Some(t) = q.until {
        sql += &format!(" AND r.created_at < {}", push(params, Param::Time(ts(t))));
    }
    if let Some(s) = &q.search {
        let n = push(params, Param::Text(contains_pattern(s)));
        sql += &format!(
            " AND (LOWER(m.address) LIKE {n} ESCAPE '\\' OR LOWER(s.display_name) LIKE {n} ESCAPE '\\' \
             OR LOWER(s.pseudonym) LIKE {n} ESCAPE '\\' OR LOWER(COALESCE(s.handle, '')) LIKE {n} ESCAPE '\\' \
             OR LOWER(COALESCE(r.ticket, '')) LIKE {n} ESCAPE '\\' OR LOWER(r.justification_text) LIKE {n} ESCAPE '\\')"
        );
    }
    sql
}

/// Up to `limit` requests matching `q` around a keyset cursor, newest first, and whether
/// more exist in the direction of travel.
pub async fn page(
    db: &Db,
    q: &RequestQuery,
    keyset: ListKeyset,
    limit: i64,
    now: OffsetDateTime,
) -> anyhow::Result<(Vec<RequestRecord>, bool)> {
    let mut params = Vec::new();
    let mut sql = format!("{SELECT}{}", where_clause(q, now, &mut params));
    let order = match keyset {
        ListKeyset::Newest => "DESC",
        ListKeyset::Before(k) => {
            sql += &beyond(&mut params, k, false);
            "DESC"
        }
        ListKeyset::After(k) => {
            sql += &beyond(&mut params, k, true);
            "ASC"
        }
    };
    params.push(Param::Int(limit + 1));
    sql += &format!(
        " ORDER BY r.created_at {order}, r.id {order} LIMIT ${}",
        params.len()
    );
    let rows: Vec<RequestDbRow> = on_pool!(db, pool => bind_all!(sqlx::query_as::<_, RequestDbRow>(&sql), &params).fetch_all(pool).await)?;
    let more = rows.len() as i64 > limit;
    let mut list = records(rows.into_iter().take(limit as usize).collect())?;
    if matches!(keyset, ListKeyset::After(_)) {
        list.reverse();
    }
    Ok((list, more))
}

/// ` AND` the rows newer (`newer`) or older than `k` in list order.
fn beyond(params: &mut Vec<Param>, k: ListKey, newer: bool) -> String {
    let op = if newer { ">" } else { "<" };
    params.push(Param::Time(ts(k.created_at)));
    let t = params.len();
    params.push(Param::Uuid(k.id.0));
    let id = params.len();
    format!(" AND (r.created_at {op} ${t} OR (r.created_at = ${t} AND r.id {op} ${id}))")
}

/// Whether a request matching `q` lies beyond `k`: newer (`newer`) or older.
pub async fn exists_beyond(
    db: &Db,
    q: &RequestQuery,
    k: ListKey,
    newer: bool,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    let mut params = Vec::new();
    let mut sql = format!(
        "SELECT EXISTS (SELECT 1 FROM access_requests r JOIN mailboxes m ON m.id = r.mailbox_id \
         JOIN staff s ON s.id = r.agent_id{}",
        where_clause(q, now, &mut params)
    );
    sql += &beyond(&mut params, k, newer);
    sql += ")";
    on_pool!(db, pool => bind_all!(sqlx::query_scalar::<_, bool>(&sql), &params).fetch_one(pool).await)
}

/// How many requests matching `q` are in each shown status at `now`, by status order.
pub async fn counts(
    db: &Db,
    q: &RequestQuery,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<(AccessRequestStatus, i64)>> {
    let mut params = Vec::new();
    let shown = shown_status(&mut params, now);
    let sql = format!(
        "SELECT {shown} AS shown, COUNT(*) FROM access_requests r JOIN mailboxes m ON m.id = r.mailbox_id \
         JOIN staff s ON s.id = r.agent_id{} GROUP BY 1",
        where_clause(q, now, &mut params)
    );
    let rows: Vec<(String, i64)> = on_pool!(db, pool => bind_all!(sqlx::query_as::<_, (String, i64)>(&sql), &params).fetch_all(pool).await)?;
    let mut counts = rows
        .into_iter()
        .map(|(s, n)| {
            Ok((
                s.parse::<AccessRequestStatus>().map_err(|e| CorruptRow {
                    table: "access_requests",
                    detail: e.to_string(),
                })?,
                n,
            ))
        })
        .collect::<Result<Vec<_>, CorruptRow>>()?;
    counts.sort_by_key(|(s, _)| *s);
    Ok(counts)
}

/// Every staff member who made a request, by name (the agent filter's choices).
pub async fn agents(db: &Db) -> sqlx::Result<Vec<(StaffId, String)>> {
    let rows: Vec<(Uuid, String)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT s.id, s.display_name FROM staff s WHERE s.id IN (SELECT agent_id FROM access_requests) \
         ORDER BY s.display_name, s.id",
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(|(id, n)| (StaffId(id), n)).collect())
}
