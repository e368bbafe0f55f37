//! Staff members.

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
        })
    }
}

const COLUMNS: &str = "id, email, display_name, role, pseudonym, handle, disabled_at";

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
        "INSERT INTO staff (id, email, display_name, role, pseudonym, created_at, handle) VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
