//! `owner_rules`: an owner's standing rules (no row: none set).

use super::on_tx;
use super::{on_conn, ts, Conn, CorruptRow, Tx};
use app::model::{JustificationCode, OwnerId, StandingRules};
use time::OffsetDateTime;

fn parse_codes(stored: &str) -> Result<Vec<JustificationCode>, CorruptRow> {
    stored
        .split_whitespace()
        .map(|c| {
            c.parse()
                .map_err(|e: app::model::ParseVocabularyError| CorruptRow {
                    table: "owner_rules",
                    detail: e.to_string(),
                })
        })
        .collect()
}

/// The owner's rules (the defaults, all off, when they never set any).
pub async fn get(conn: impl Into<Conn<'_>>, owner: OwnerId) -> anyhow::Result<StandingRules> {
    let row: Option<(bool, bool, String)> = on_conn!(conn, c => sqlx::query_as(
        "SELECT refuse_content, refuse_without_ticket, refuse_codes FROM owner_rules WHERE owner_id = $1",
    )
    .bind(owner.0)
    .fetch_optional(c)
    .await)?;
    let Some((refuse_content, refuse_without_ticket, codes)) = row else {
        return Ok(StandingRules::default());
    };
    Ok(StandingRules {
        refuse_content,
        refuse_without_ticket,
        refuse_codes: parse_codes(&codes)?,
    })
}

/// Replaces the owner's rules.
pub async fn set(
    tx: &mut Tx,
    owner: OwnerId,
    rules: &StandingRules,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    let codes: Vec<&str> = rules.refuse_codes.iter().map(|c| c.as_str()).collect();
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO owner_rules (owner_id, refuse_content, refuse_without_ticket, refuse_codes, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (owner_id) DO UPDATE SET refuse_content = excluded.refuse_content, \
         refuse_without_ticket = excluded.refuse_without_ticket, refuse_codes = excluded.refuse_codes, \
         updated_at = excluded.updated_at",
    )
    .bind(owner.0)
    .bind(rules.refuse_content)
    .bind(rules.refuse_without_ticket)
    .bind(codes.join(" "))
    .bind(ts(now))
    .execute(conn)
    .await
    .map(|_| ()))
}
