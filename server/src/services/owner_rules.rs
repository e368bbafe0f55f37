//! The owner's standing rules: read and changed here, applied to each new request by
//! `services::requests::submit` (the decision itself is `domain::standing_rules`).

use super::error::ServiceError;
use crate::db::{owner_rules, Db};
use crate::domain::clock::Clock;
use app::model::{OwnerId, StandingRules};

/// The owner's rules.
pub async fn rules(db: &Db, owner: OwnerId) -> Result<StandingRules, ServiceError> {
    Ok(owner_rules::get(db, owner).await?)
}

/// Replaces the owner's rules. Only the reasons an owner may refuse in advance are kept
/// (anything else is refused as invalid, changing nothing).
#[tracing::instrument(skip_all, fields(owner.id = %owner.0))]
pub async fn set_rules(
    db: &Db,
    clock: &Clock,
    owner: OwnerId,
    mut rules: StandingRules,
) -> Result<StandingRules, ServiceError> {
    if rules
        .refuse_codes
        .iter()
        .any(|c| !StandingRules::CODES.contains(c))
    {
        return Err(ServiceError::Invalid(
            "That reason cannot be refused in advance.".into(),
        ));
    }
    rules
        .refuse_codes
        .sort_by_key(|c| StandingRules::CODES.iter().position(|k| k == c));
    rules.refuse_codes.dedup();
    let now = crate::db::ts(clock.now());
    let mut tx = db.begin().await?;
    if crate::db::owners::get_owner(&mut tx, owner)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound("owner"));
    }
    owner_rules::set(&mut tx, owner, &rules, now).await?;
    tx.commit().await?;
    tracing::info!(
        refuse_content = rules.refuse_content,
        refuse_without_ticket = rules.refuse_without_ticket,
        refuse_codes = rules.refuse_codes.len(),
        "standing rules changed"
    );
    Ok(rules)
}
