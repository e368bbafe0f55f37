//! Owners and their mailboxes.

use super::{on_conn, on_tx, ts, Conn, Tx};
use app::model::{MailboxId, OwnerId};
use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// An owner row.
#[derive(Clone, Debug, FromRow)]
pub struct OwnerRow {
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: Uuid,
    /// The OIDC `sub`, once linked.
    pub oidc_subject: Option<String>,
    /// Name shown to them.
    pub display_name: String,
    /// Their contact address.
    pub email: String,
}

/// A mailbox row.
#[derive(Clone, Debug, FromRow)]
pub struct MailboxRow {
    /// Primary key: a UUID chosen by the writer, not by the database.
    pub id: Uuid,
    /// Whose mailbox it is (`owners.id`).
    pub owner_id: Uuid,
    /// The mailbox's email address: what the mail system and the API name it by.
    pub address: String,
}

/// Inserts an owner.
pub async fn insert_owner(
    tx: &mut Tx,
    id: OwnerId,
    display_name: &str,
    email: &str,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_tx!(tx, pool => sqlx::query(
        "INSERT INTO owners (id, oidc_subject, display_name, email, created_at) VALUES ($1, NULL, $2, $3, $4)",
    )
    .bind(id.0)
    .bind(display_name)
    .bind(email)
    .bind(ts(now))
    .execute(pool)
    .await
    .map(|_| ()))
}

/// Inserts a mailbox for an owner.
pub async fn insert_mailbox(
    tx: &mut Tx,
    id: MailboxId,
    owner: OwnerId,
    address: &str,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    on_tx!(tx, pool => sqlx::query(
        "INSERT INTO mailboxes (id, owner_id, address, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id.0)
    .bind(owner.0)
    .bind(address)
    .bind(ts(now))
    .execute(pool)
    .await
    .map(|_| ()))
}

/// One owner.
pub async fn get_owner(conn: impl Into<Conn<'_>>, id: OwnerId) -> sqlx::Result<Option<OwnerRow>> {
    on_conn!(conn, pool => sqlx::query_as::<_, OwnerRow>(
        "SELECT id, oidc_subject, display_name, email FROM owners WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(pool)
    .await)
}

/// The owner of a mailbox address, if it is known.
pub async fn find_mailbox(
    conn: impl Into<Conn<'_>>,
    address: &str,
) -> sqlx::Result<Option<MailboxRow>> {
    let conn = conn.into();
    let sql = format!(
        "SELECT id, owner_id, address FROM mailboxes WHERE address = $1{}",
        conn.share_lock()
    );
    on_conn!(conn, pool => sqlx::query_as::<_, MailboxRow>(&sql)
    .bind(address)
    .fetch_optional(pool)
    .await)
}

/// An owner's mailboxes, by address.
pub async fn mailboxes_of(
    conn: impl Into<Conn<'_>>,
    owner: OwnerId,
) -> sqlx::Result<Vec<MailboxRow>> {
    on_conn!(conn, pool => sqlx::query_as::<_, MailboxRow>(
        "SELECT id, owner_id, address FROM mailboxes WHERE owner_id = $1 ORDER BY address",
    )
    .bind(owner.0)
    .fetch_all(pool)
    .await)
}

/// The first `limit` owners by name (for the demo sign-in page).
pub async fn list_owners(conn: impl Into<Conn<'_>>, limit: i64) -> sqlx::Result<Vec<OwnerRow>> {
    on_conn!(conn, pool => sqlx::query_as::<_, OwnerRow>(
        "SELECT id, oidc_subject, display_name, email FROM owners ORDER BY display_name, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await)
}

/// The owner linked to an OpenID Connect subject.
pub async fn find_by_subject(
    conn: impl Into<Conn<'_>>,
    subject: &str,
) -> sqlx::Result<Option<OwnerRow>> {
    on_conn!(conn, pool => sqlx::query_as::<_, OwnerRow>(
        "SELECT id, oidc_subject, display_name, email FROM owners WHERE oidc_subject = $1",
    )
    .bind(subject)
    .fetch_optional(pool)
    .await)
}

/// Links an owner to an OpenID Connect subject, only if it is not linked yet. Returns
/// whether it was linked (false: linked to someone else meanwhile).
pub async fn link_subject(tx: &mut Tx, owner: OwnerId, subject: &str) -> sqlx::Result<bool> {
    on_tx!(tx, conn => sqlx::query("UPDATE owners SET oidc_subject = $1 WHERE id = $2 AND oidc_subject IS NULL")
        .bind(subject)
        .bind(owner.0)
        .execute(conn)
        .await
        .map(|r| r.rows_affected() == 1))
}
