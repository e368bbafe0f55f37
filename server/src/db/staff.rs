//! Staff members, their recertification and sign-in facts, and the roster's figures.

use super::{on_conn, on_tx, ts, Conn, CorruptRow, Tx};
use app::model::{StaffId, StaffRole};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(FromRow)]
struct StaffDbRow {
    id: Uuid,
    email: String,
    display_name: String,
    role: String,
    pseudonym: String,
    handle: Option<String>,
    disabled_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
    certified_at: Option<OffsetDateTime>,
    last_sign_in_at: Option<OffsetDateTime>,
}

/// A staff member.
#[derive(Clone, Debug)]
pub struct StaffRow {
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: StaffId,
    /// Work address.
    pub email: String,
    /// Their name (never shown to owners).
    pub display_name: String,
    /// What they may do.
    pub role: StaffRole,
    /// The stable name owners see.
    pub pseudonym: String,
    /// How the mail system names this agent in API calls.
    pub handle: Option<String>,
    /// When the account was disabled, if it was.
    pub disabled_at: Option<OffsetDateTime>,
    /// When the account was made.
    pub created_at: OffsetDateTime,
    /// When a security admin last certified them (at their addition, or a recertification).
    /// Every row has one since migration 0013; a row without one counts from `created_at`,
    /// which can only lapse sooner (fail closed).
    pub certified_at: OffsetDateTime,
    /// Their last complete sign-in, if one was recorded (since migration 0013).
    pub last_sign_in_at: Option<OffsetDateTime>,
}

impl StaffRow {
    /// The recertification rule's view of this staff member.
    pub fn standing(&self) -> crate::domain::staff::StaffStanding {
        crate::domain::staff::StaffStanding {
            role: self.role,
            disabled: self.disabled_at.is_some(),
            certified_at: self.certified_at,
        }
    }
}

impl TryFrom<StaffDbRow> for StaffRow {
    type Error = CorruptRow;
    fn try_from(r: StaffDbRow) -> Result<Self, Self::Error> {
        Ok(StaffRow {
            id: StaffId(r.id),
            role: r
                .role
                .parse()
                .map_err(|e: app::model::ParseVocabularyError| CorruptRow {
                    table: "staff",
                    detail: e.to_string(),
                })?,
            email: r.email,
            display_name: r.display_name,
            pseudonym: r.pseudonym,
            handle: r.handle,
            disabled_at: r.disabled_at,
            created_at: r.created_at,
            certified_at: r.certified_at.unwrap_or(r.created_at),
            last_sign_in_at: r.last_sign_in_at,
        })
    }
}

const COLUMNS: &str = "id, email, display_name, role, pseudonym, handle, disabled_at, created_at, \
     certified_at, last_sign_in_at";

/// Inserts a staff member.
pub async fn insert_staff(
    tx: &mut Tx,
    id: StaffId,
    email: &str,
    display_name: &str,
    role: StaffRole,
    pseudonym: &str,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    let handle = email
        .split('@')
        .next()
        .unwrap_or(email)
        .to_ascii_lowercase();
    on_tx!(tx, pool => sqlx::query(
        "INSERT INTO staff (id, email, display_name, role, pseudonym, created_at, handle, certified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $6)",
    )
    .bind(id.0)
    .bind(email)
    .bind(display_name)
    .bind(role.as_str())
    .bind(pseudonym)
    .bind(ts(now))
    .bind(handle)
    .execute(pool)
    .await
    .map(|_| ()))
}

/// One staff member.
pub async fn get_staff(conn: impl Into<Conn<'_>>, id: StaffId) -> anyhow::Result<Option<StaffRow>> {
    let conn = conn.into();
    let lock = conn.share_lock();
    let row = on_conn!(conn, pool => sqlx::query_as::<_, StaffDbRow>(
        &format!("SELECT {COLUMNS} FROM staff WHERE id = $1{lock}"),
    )
    .bind(id.0)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(StaffRow::try_from).transpose()?)
}

/// One staff member by work address.
pub async fn find_staff_by_email(
    conn: impl Into<Conn<'_>>,
    email: &str,
) -> anyhow::Result<Option<StaffRow>> {
    let row = on_conn!(conn, pool => sqlx::query_as::<_, StaffDbRow>(
        &format!("SELECT {COLUMNS} FROM staff WHERE email = $1"),
    )
    .bind(email)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(StaffRow::try_from).transpose()?)
}

/// Every staff member, disabled ones too, by role then name (the roster).
pub async fn list_all_staff(conn: impl Into<Conn<'_>>) -> anyhow::Result<Vec<StaffRow>> {
    let rows = on_conn!(conn, pool => sqlx::query_as::<_, StaffDbRow>(
        &format!("SELECT {COLUMNS} FROM staff ORDER BY role, display_name, id"),
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(StaffRow::try_from)
        .collect::<Result<_, _>>()?)
}

/// What the roster shows of each staff member beyond their row.
#[derive(Clone, Debug, FromRow)]
pub struct RosterFigures {
    /// The staff member (`staff.id`).
    pub id: Uuid,
    /// Whether a TOTP secret is enrolled.
    pub totp_enrolled: bool,
    /// How many passkeys they hold.
    pub passkeys: i64,
    /// Grants that allow access at `now`.
    pub open_grants: i64,
    /// Requests made since `since`.
    pub requests: i64,
    /// Allowed accesses since `since`.
    pub accesses: i64,
}

/// The roster's figures of every staff member: grants open at `now`, requests and allowed
/// accesses since `since`.
pub async fn roster_figures(
    conn: impl Into<Conn<'_>>,
    now: OffsetDateTime,
    since: OffsetDateTime,
) -> sqlx::Result<Vec<RosterFigures>> {
    on_conn!(conn, pool => sqlx::query_as::<_, RosterFigures>(
        "SELECT s.id, (s.totp_secret IS NOT NULL) AS totp_enrolled, \
         (SELECT COUNT(*) FROM passkeys p WHERE p.staff_id = s.id) AS passkeys, \
         (SELECT COUNT(*) FROM access_requests r WHERE r.agent_id = s.id AND r.status = $1 \
            AND r.grant_starts_at <= $2 AND r.grant_ends_at > $2) AS open_grants, \
         (SELECT COUNT(*) FROM access_requests r WHERE r.agent_id = s.id AND r.created_at >= $3) AS requests, \
         (SELECT COUNT(*) FROM access_events e WHERE e.agent_id = s.id AND e.decision = $4 \
            AND e.occurred_at >= $3) AS accesses \
         FROM staff s",
    )
    .bind(app::model::AccessRequestStatus::Approved.as_str())
    .bind(ts(now))
    .bind(ts(since))
    .bind(app::model::Decision::Allowed.as_str())
    .fetch_all(pool)
    .await)
}

/// How many staff members accessed any mailbox (an allowed access) since `since`.
pub async fn count_staff_who_accessed(
    conn: impl Into<Conn<'_>>,
    since: OffsetDateTime,
) -> sqlx::Result<i64> {
    on_conn!(conn, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(DISTINCT agent_id) FROM access_events \
         WHERE agent_id IS NOT NULL AND decision = $1 AND occurred_at >= $2",
    )
    .bind(app::model::Decision::Allowed.as_str())
    .bind(ts(since))
    .fetch_one(pool)
    .await)
}

/// Starts a new certification period for an enabled support agent at `now`, by admin
/// `by`; returns whether the agent was one (a disabled account is not recertified).
pub async fn recertify(
    tx: &mut Tx,
    id: StaffId,
    by: StaffId,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE staff SET certified_at = $1, certified_by = $2, lapse_logged_at = NULL \
         WHERE id = $3 AND disabled_at IS NULL AND role = $4",
    )
    .bind(ts(now))
    .bind(by.0)
    .bind(id.0)
    .bind(StaffRole::Support.as_str())
    .execute(c)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Notes that the lapse of `id`'s current certification (made at or before `cutoff`) was
/// written down; `false` when it already was, the agent was recertified since, or is
/// disabled. Conditional, so that of two sweeps one writes the lapse.
pub async fn mark_lapse_logged(
    tx: &mut Tx,
    id: StaffId,
    cutoff: OffsetDateTime,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE staff SET lapse_logged_at = $1 WHERE id = $2 AND lapse_logged_at IS NULL \
         AND disabled_at IS NULL AND role = $3 AND certified_at <= $4",
    )
    .bind(ts(now))
    .bind(id.0)
    .bind(StaffRole::Support.as_str())
    .bind(ts(cutoff))
    .execute(c)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Enabled support agents whose certification was made at or before `cutoff` and whose
/// lapse is not written down yet.
pub async fn lapsed_unlogged(
    conn: impl Into<Conn<'_>>,
    cutoff: OffsetDateTime,
) -> sqlx::Result<Vec<StaffId>> {
    let rows: Vec<(Uuid,)> = on_conn!(conn, c => sqlx::query_as(
        "SELECT id FROM staff WHERE role = $1 AND disabled_at IS NULL AND lapse_logged_at IS NULL \
         AND certified_at <= $2 ORDER BY certified_at, id",
    )
    .bind(StaffRole::Support.as_str())
    .bind(ts(cutoff))
    .fetch_all(c)
    .await)?;
    Ok(rows.into_iter().map(|(id,)| StaffId(id)).collect())
}

/// Owner decisions on each agent's requests: (agent, approved, denied), from the request
/// changes (each request is approved or denied at most once).
pub async fn decisions_by_agent(conn: impl Into<Conn<'_>>) -> sqlx::Result<Vec<(Uuid, i64, i64)>> {
    on_conn!(conn, c => sqlx::query_as::<_, (Uuid, i64, i64)>(
        "SELECT agent_id, SUM(CASE WHEN change = $1 THEN 1 ELSE 0 END), SUM(CASE WHEN change = $2 THEN 1 ELSE 0 END) \
         FROM request_changes WHERE change IN ($1, $2) GROUP BY agent_id",
    )
    .bind(app::model::RequestChangeKind::Approved.as_str())
    .bind(app::model::RequestChangeKind::Denied.as_str())
    .fetch_all(c)
    .await)
}

/// One month of an agent's activity (`month` is `YYYY-MM`, UTC).
#[derive(Clone, Debug, FromRow)]
pub struct MonthRow {
    /// The month.
    pub month: String,
    /// Requests made.
    pub requests: i64,
    /// Of them, refused by the owner.
    pub denied: i64,
    /// Allowed accesses.
    pub allowed: i64,
    /// Refused access checks.
    pub refused: i64,
}

/// Agent `id`'s activity per month since `since`, newest month first (months with none
/// are absent). The month of a time is the one dialect difference.
pub async fn monthly_activity(
    db: &super::Db,
    id: StaffId,
    since: OffsetDateTime,
) -> sqlx::Result<Vec<MonthRow>> {
    let month = |col: &str| match db {
        super::Db::Sqlite(_) => format!("strftime('%Y-%m', {col})"),
        super::Db::Postgres(_) => format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM')"),
    };
    let sql = format!(
        "SELECT month, SUM(requests) AS requests, SUM(denied) AS denied, SUM(allowed) AS allowed, SUM(refused) AS refused FROM ( \
           SELECT {r} AS month, 1 AS requests, CASE WHEN status = $3 THEN 1 ELSE 0 END AS denied, 0 AS allowed, 0 AS refused \
             FROM access_requests WHERE agent_id = $1 AND created_at >= $2 \
           UNION ALL \
           SELECT {e} AS month, 0, 0, CASE WHEN decision = $4 THEN 1 ELSE 0 END, CASE WHEN decision = $4 THEN 0 ELSE 1 END \
             FROM access_events WHERE agent_id = $1 AND occurred_at >= $2 \
         ) AS activity GROUP BY month ORDER BY month DESC",
        r = month("created_at"),
        e = month("occurred_at"),
    );
    super::on_pool!(db, pool => sqlx::query_as::<_, MonthRow>(&sql)
        .bind(id.0)
        .bind(ts(since))
        .bind(app::model::AccessRequestStatus::Denied.as_str())
        .bind(app::model::Decision::Allowed.as_str())
        .fetch_all(pool)
        .await)
}

/// Records a complete sign-in (with the second factor, or the local demo's).
pub async fn record_sign_in(
    conn: impl Into<Conn<'_>>,
    id: StaffId,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_conn!(conn, c => sqlx::query("UPDATE staff SET last_sign_in_at = $1 WHERE id = $2")
        .bind(ts(now))
        .bind(id.0)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Every staff member who is not disabled, by role then name.
pub async fn list_active_staff(conn: impl Into<Conn<'_>>) -> anyhow::Result<Vec<StaffRow>> {
    let rows = on_conn!(conn, pool => sqlx::query_as::<_, StaffDbRow>(
        &format!("SELECT {COLUMNS} FROM staff WHERE disabled_at IS NULL ORDER BY role, display_name"),
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(StaffRow::try_from)
        .collect::<Result<_, _>>()?)
}

/// One staff member by handle (how the mail system names agents).
pub async fn find_staff_by_handle(
    conn: impl Into<Conn<'_>>,
    handle: &str,
) -> anyhow::Result<Option<StaffRow>> {
    let conn = conn.into();
    let lock = conn.share_lock();
    let row = on_conn!(conn, pool => sqlx::query_as::<_, StaffDbRow>(
        &format!("SELECT {COLUMNS} FROM staff WHERE handle = $1{lock}"),
    )
    .bind(handle)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(StaffRow::try_from).transpose()?)
}

/// The staff member linked to an OpenID Connect subject.
pub async fn find_staff_by_subject(
    conn: impl Into<Conn<'_>>,
    subject: &str,
) -> anyhow::Result<Option<StaffRow>> {
    let row = on_conn!(conn, pool => sqlx::query_as::<_, StaffDbRow>(
        &format!("SELECT {COLUMNS} FROM staff WHERE oidc_subject = $1"),
    )
    .bind(subject)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(StaffRow::try_from).transpose()?)
}

/// Links a staff member to an OpenID Connect subject if not linked yet.
pub async fn link_staff_subject(
    conn: impl Into<Conn<'_>>,
    id: StaffId,
    subject: &str,
) -> sqlx::Result<bool> {
    on_conn!(conn, pool => sqlx::query("UPDATE staff SET oidc_subject = $1 WHERE id = $2 AND oidc_subject IS NULL")
        .bind(subject)
        .bind(id.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// The staff member's TOTP secret, once enrolled.
pub async fn totp_secret(conn: impl Into<Conn<'_>>, id: StaffId) -> sqlx::Result<Option<Vec<u8>>> {
    on_conn!(conn, pool => sqlx::query_scalar::<_, Option<Vec<u8>>>("SELECT totp_secret FROM staff WHERE id = $1")
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map(Option::flatten))
}

/// Stores a TOTP secret at enrolment, only if none is stored yet.
pub async fn enrol_totp(
    conn: impl Into<Conn<'_>>,
    id: StaffId,
    secret: &[u8],
) -> sqlx::Result<bool> {
    on_conn!(conn, pool => sqlx::query("UPDATE staff SET totp_secret = $1 WHERE id = $2 AND totp_secret IS NULL")
        .bind(secret)
        .bind(id.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Records that the TOTP code of time step `step` was used, only if no code of that step
/// or a later one was used before: `false` means the code is a replay.
pub async fn use_totp_step(
    conn: impl Into<Conn<'_>>,
    id: StaffId,
    step: i64,
) -> sqlx::Result<bool> {
    on_conn!(conn, pool => sqlx::query(
        "UPDATE staff SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
        .bind(step)
        .bind(id.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Replaces a stored TOTP secret that is still `old` (sealing one stored before sealing).
pub async fn reseal_totp(
    conn: impl Into<Conn<'_>>,
    id: StaffId,
    old: &[u8],
    sealed: &[u8],
) -> sqlx::Result<bool> {
    on_conn!(conn, pool => sqlx::query("UPDATE staff SET totp_secret = $1 WHERE id = $2 AND totp_secret = $3")
        .bind(sealed)
        .bind(id.0)
        .bind(old)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Disables a staff member (their sessions end at their next request).
pub async fn disable(
    conn: impl Into<Conn<'_>>,
    email: &str,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_conn!(conn, pool => sqlx::query("UPDATE staff SET disabled_at = $1 WHERE email = $2 AND disabled_at IS NULL")
        .bind(ts(now))
        .bind(email)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Disables the staff member with id `id` (an incident's measure); returns whether they
/// were active.
pub async fn disable_by_id(
    conn: impl Into<Conn<'_>>,
    id: StaffId,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    on_conn!(conn, c => sqlx::query("UPDATE staff SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
        .bind(ts(now))
        .bind(id.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected() == 1))
}
